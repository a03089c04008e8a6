// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: decode the faulting instruction with capstone (see insn.h).
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <capstone/capstone.h>

#include "insn.h"

static const char *const x86_names[] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8",
	"r9",  "r10", "r11", "r12", "r13", "r14", "r15", "rip",
};

static const char *const arm64_names[] = {
	"x0",  "x1",  "x2",  "x3",  "x4",  "x5",  "x6",	 "x7",	"x8",  "x9",  "x10",
	"x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19", "x20", "x21",
	"x22", "x23", "x24", "x25", "x26", "x27", "x28", "x29", "x30", "sp",  "pc",
};

_Static_assert(sizeof(x86_names) / sizeof(x86_names[0]) == DMS_REG_X0, "x86 register names");
_Static_assert(sizeof(arm64_names) / sizeof(arm64_names[0]) == DMS_NREGS - DMS_REG_X0,
	       "arm64 register names");

const char *dms_reg_name(enum dms_reg reg)
{
	if (reg >= 0 && reg < DMS_REG_X0)
		return x86_names[reg];
	if (reg >= DMS_REG_X0 && reg < DMS_NREGS)
		return arm64_names[reg - DMS_REG_X0];
	return "?";
}

enum dms_reg dms_reg_pc(enum dms_arch arch)
{
	return arch == DMS_ARCH_ARM64 ? DMS_REG_PC : DMS_REG_RIP;
}

bool dms_addr_canonical(uint64_t addr, unsigned int vaddr_bits)
{
	return !dms_vaddr_bad_pointer(DMS_ARCH_X86_64, vaddr_bits, addr);
}

// ---------------------------------------------------------------- x86-64

// capstone register (any width) -> the 64-bit register it is part of.
static enum dms_reg x86_to_dms(unsigned int r)
{
	switch (r) {
	case X86_REG_RAX:
	case X86_REG_EAX:
	case X86_REG_AX:
	case X86_REG_AL:
	case X86_REG_AH:
		return DMS_REG_RAX;
	case X86_REG_RBX:
	case X86_REG_EBX:
	case X86_REG_BX:
	case X86_REG_BL:
	case X86_REG_BH:
		return DMS_REG_RBX;
	case X86_REG_RCX:
	case X86_REG_ECX:
	case X86_REG_CX:
	case X86_REG_CL:
	case X86_REG_CH:
		return DMS_REG_RCX;
	case X86_REG_RDX:
	case X86_REG_EDX:
	case X86_REG_DX:
	case X86_REG_DL:
	case X86_REG_DH:
		return DMS_REG_RDX;
	case X86_REG_RSI:
	case X86_REG_ESI:
	case X86_REG_SI:
	case X86_REG_SIL:
		return DMS_REG_RSI;
	case X86_REG_RDI:
	case X86_REG_EDI:
	case X86_REG_DI:
	case X86_REG_DIL:
		return DMS_REG_RDI;
	case X86_REG_RBP:
	case X86_REG_EBP:
	case X86_REG_BP:
	case X86_REG_BPL:
		return DMS_REG_RBP;
	case X86_REG_RSP:
	case X86_REG_ESP:
	case X86_REG_SP:
	case X86_REG_SPL:
		return DMS_REG_RSP;
	case X86_REG_RIP:
	case X86_REG_EIP:
		return DMS_REG_RIP;
	case X86_REG_R8:
	case X86_REG_R8D:
	case X86_REG_R8W:
	case X86_REG_R8B:
		return DMS_REG_R8;
	case X86_REG_R9:
	case X86_REG_R9D:
	case X86_REG_R9W:
	case X86_REG_R9B:
		return DMS_REG_R9;
	case X86_REG_R10:
	case X86_REG_R10D:
	case X86_REG_R10W:
	case X86_REG_R10B:
		return DMS_REG_R10;
	case X86_REG_R11:
	case X86_REG_R11D:
	case X86_REG_R11W:
	case X86_REG_R11B:
		return DMS_REG_R11;
	case X86_REG_R12:
	case X86_REG_R12D:
	case X86_REG_R12W:
	case X86_REG_R12B:
		return DMS_REG_R12;
	case X86_REG_R13:
	case X86_REG_R13D:
	case X86_REG_R13W:
	case X86_REG_R13B:
		return DMS_REG_R13;
	case X86_REG_R14:
	case X86_REG_R14D:
	case X86_REG_R14W:
	case X86_REG_R14B:
		return DMS_REG_R14;
	case X86_REG_R15:
	case X86_REG_R15D:
	case X86_REG_R15W:
	case X86_REG_R15B:
		return DMS_REG_R15;
	default:
		return DMS_REG_NONE;
	}
}

// Instructions whose memory operand is not an access.
static bool x86_no_access(unsigned int id)
{
	return id == X86_INS_LEA || id == X86_INS_NOP;
}

static void x86_explain_mem(const cs_insn *insn, const cs_x86_op *op, const struct dms_regs *regs,
			    unsigned int vaddr_bits, struct dms_fault_insn *ret)
{
	uint64_t ea = (uint64_t)op->mem.disp;

	ret->has_mem = true;
	ret->mem_written = (op->access & CS_AC_WRITE) != 0;
	ret->base = x86_to_dms(op->mem.base);
	ret->index = x86_to_dms(op->mem.index);
	ret->scale = op->mem.scale;
	ret->disp = op->mem.disp;
	ret->segment = op->mem.segment == X86_REG_FS || op->mem.segment == X86_REG_GS;
	ret->ea_known = !ret->segment;
	if (ret->base == DMS_REG_RIP) {
		// %rip-relative: the next instruction's address plus disp, never bad data.
		ea += insn->address + insn->size;
		ret->base = DMS_REG_NONE;
	} else if (ret->base != DMS_REG_NONE) {
		if (regs && regs->valid[ret->base])
			ea += regs->r[ret->base];
		else
			ret->ea_known = false;
	}
	if (ret->index != DMS_REG_NONE) {
		if (regs && regs->valid[ret->index])
			ea += regs->r[ret->index] * (uint64_t)ret->scale;
		else
			ret->ea_known = false;
	}
	if (!ret->ea_known)
		return;
	ret->ea = ea;
	ret->ea_canonical = dms_addr_canonical(ea, vaddr_bits);
	if (ret->ea_canonical)
		return;
	// Which register carried the bad value: a non-canonical base or index, else the
	// base (a canonical base plus a displacement that crossed the hole).
	if (ret->index != DMS_REG_NONE && !dms_addr_canonical(regs->r[ret->index], vaddr_bits))
		ret->culprit = ret->index;
	if (ret->base != DMS_REG_NONE &&
	    (ret->culprit == DMS_REG_NONE || !dms_addr_canonical(regs->r[ret->base], vaddr_bits)))
		ret->culprit = ret->base;
}

static struct dms_error *x86_analyze(const uint8_t *code, size_t len, uint64_t rip,
				     const struct dms_regs *regs, unsigned int vaddr_bits,
				     struct dms_fault_insn *ret)
{
	csh h;
	cs_insn *insn = NULL;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT, "capstone: cannot open x86-64");
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	cs_option(h, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
	if (cs_disasm(h, code, len, rip, 1, &insn) == 1) {
		ret->length = insn->size;
		snprintf(ret->text, sizeof(ret->text), "%s%s%s", insn->mnemonic,
			 insn->op_str[0] ? " " : "", insn->op_str);
		const cs_x86 *x = &insn->detail->x86;
		for (uint8_t i = 0; i < x->op_count && !x86_no_access(insn->id); i++) {
			if (x->operands[i].type == X86_OP_MEM) {
				x86_explain_mem(insn, &x->operands[i], regs, vaddr_bits, ret);
				break;
			}
		}
		cs_free(insn, 1);
	}
	cs_close(&h);
	return NULL;
}

// Does insn write 64-bit register r (any part of it)?
static bool x86_writes(csh h, const cs_insn *insn, enum dms_reg r)
{
	cs_regs rd, wr;
	uint8_t nrd = 0, nwr = 0;

	if (cs_regs_access(h, insn, rd, &nrd, wr, &nwr) != CS_ERR_OK)
		return true; // unknown: assume the worst
	for (uint8_t i = 0; i < nwr; i++)
		if (x86_to_dms(wr[i]) == r)
			return true;
	return false;
}

#define MAX_BEFORE 64

static struct dms_error *x86_find_load(const uint8_t *code, size_t rip_index, uint64_t rip,
				       enum dms_reg reg, const struct dms_regs *regs,
				       struct dms_load_site *ret)
{
	csh h;
	cs_insn *insns = NULL;
	size_t n = 0;

	if (reg > DMS_REG_R15)
		return NULL;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT, "capstone: cannot open x86-64");
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	cs_option(h, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
	// Resynchronise: the first start offset whose decoding lands exactly on RIP.
	for (size_t start = 0; start < rip_index && start < 16; start++) {
		n = cs_disasm(h, code + start, rip_index - start, rip - (rip_index - start), 0,
			      &insns);
		size_t end = start;
		for (size_t i = 0; i < n; i++)
			end += insns[i].size;
		if (n && end == rip_index && n <= MAX_BEFORE)
			break;
		if (n)
			cs_free(insns, n);
		insns = NULL;
		n = 0;
	}
	// The last instruction before RIP that writes reg: a load from memory or not.
	for (size_t k = n; k-- > 0;) {
		const cs_insn *in = &insns[k];

		if (!x86_writes(h, in, reg))
			continue;
		const cs_x86 *x = &in->detail->x86;
		const cs_x86_op *mem = NULL;
		for (uint8_t i = 0; i < x->op_count; i++)
			if (x->operands[i].type == X86_OP_MEM &&
			    (x->operands[i].access & CS_AC_READ))
				mem = &x->operands[i];
		if (!mem || x86_no_access(in->id))
			break; // reg was computed, not loaded
		ret->found = true;
		ret->address = in->address;
		snprintf(ret->text, sizeof(ret->text), "%s%s%s", in->mnemonic,
			 in->op_str[0] ? " " : "", in->op_str);
		enum dms_reg base = x86_to_dms(mem->mem.base), index = x86_to_dms(mem->mem.index);
		bool ok = regs && mem->mem.segment == X86_REG_INVALID && base != DMS_REG_RIP &&
			  (base == DMS_REG_NONE || regs->valid[base]) &&
			  (index == DMS_REG_NONE || regs->valid[index]);
		// The address registers must hold, at RIP, what they held at the load.
		for (size_t j = k; ok && j < n; j++)
			ok = (base == DMS_REG_NONE || !x86_writes(h, &insns[j], base)) &&
			     (index == DMS_REG_NONE || !x86_writes(h, &insns[j], index));
		if (ok) {
			ret->ea = (uint64_t)mem->mem.disp;
			if (base != DMS_REG_NONE)
				ret->ea += regs->r[base];
			if (index != DMS_REG_NONE)
				ret->ea += regs->r[index] * (uint64_t)mem->mem.scale;
			ret->ea_known = true;
		}
		break;
	}
	if (n)
		cs_free(insns, n);
	cs_close(&h);
	return NULL;
}

// ---------------------------------------------------------------- arm64

// One decoded arm64 instruction, as the analysis needs it.
struct a64 {
	bool ok; // decoded (by capstone or by the LSE decoder below)
	char text[192];
	bool has_mem;	  // a memory operand [base{, index|#disp}]
	bool mem_written; // a store, or an atomic read-modify-write
	bool mem_read;
	enum dms_reg base, index; // DMS_REG_NONE when absent
	int64_t disp;
	int ext;	    // ARM64_EXT_* of the index
	unsigned int shift; // left shift of the (extended) index
	bool literal;	    // a PC-relative literal load ("ldr x0, <label>")
	uint64_t literal_addr;
	// Registers the instruction writes (bit n: xn, bit 31: sp); all when unknown.
	uint32_t writes;
	// Registers loaded from memory, in order (ldp: two), and the size of each.
	enum dms_reg loaded[2];
	unsigned int nloaded, load_size;
};

#define A64_SP_BIT (1u << 31)
#define A64_ALL 0xffffffffu
// AAPCS64: a call may change x0-x18 and x30 (and writes x30 itself).
#define A64_CALL_CLOBBER (0x7ffffu | (1u << 30))

// capstone arm64 register (x, w, sp, wsp) -> dms register; zero registers -> NONE.
static enum dms_reg a64_reg(unsigned int r)
{
	if (r >= ARM64_REG_X0 && r <= ARM64_REG_X28)
		return DMS_REG_X(r - ARM64_REG_X0);
	if (r >= ARM64_REG_W0 && r <= ARM64_REG_W30)
		return DMS_REG_X(r - ARM64_REG_W0);
	switch (r) {
	case ARM64_REG_X29:
		return DMS_REG_X(29);
	case ARM64_REG_X30:
		return DMS_REG_X(30);
	case ARM64_REG_SP:
	case ARM64_REG_WSP:
		return DMS_REG_SP;
	default:
		return DMS_REG_NONE;
	}
}

static uint32_t a64_bit(enum dms_reg r)
{
	if (r >= DMS_REG_X0 && r <= DMS_REG_X30)
		return 1u << (r - DMS_REG_X0);
	return r == DMS_REG_SP ? A64_SP_BIT : 0;
}

// Rn of a load/store: 31 is sp.
static enum dms_reg a64_rn(uint32_t w)
{
	unsigned int n = (w >> 5) & 31;
	return n == 31 ? DMS_REG_SP : DMS_REG_X(n);
}

// Rt/Rs: 31 is the zero register.
static enum dms_reg a64_rt(unsigned int n)
{
	return n == 31 ? DMS_REG_NONE : DMS_REG_X(n);
}

static const char *a64_rname(unsigned int n, bool x)
{
	static const char *const wn[32] = {
		"w0",  "w1",  "w2",  "w3",  "w4",  "w5",  "w6",	 "w7",	"w8",  "w9",  "w10",
		"w11", "w12", "w13", "w14", "w15", "w16", "w17", "w18", "w19", "w20", "w21",
		"w22", "w23", "w24", "w25", "w26", "w27", "w28", "w29", "w30", "wzr",
	};
	if (x)
		return n == 31 ? "xzr" : dms_reg_name(DMS_REG_X(n));
	return wn[n & 31];
}

// The LSE atomics capstone 4 does not decode (ARM ARM C4.1.94 "Atomic memory
// operations", C6.2 CAS/CASP).  Memory operand [Xn|SP], read and written.
static bool a64_lse(uint32_t w, struct a64 *a)
{
	unsigned int size = w >> 30, rs = (w >> 16) & 31, rn = (w >> 5) & 31, rt = w & 31;
	const char *rn_name = rn == 31 ? "sp" : dms_reg_name(DMS_REG_X(rn));
	static const char *const sfx[4] = { "b", "h", "", "" };

	if ((w & 0x3f200c00u) == 0x38200000u) {
		// LD<op>{A}{L}, SWP{A}{L}, ST<op>{L} (Rt = zr, no acquire), LDAPR.
		static const char *const ops[8] = { "add",  "clr",  "eor",  "set",
						    "smax", "smin", "umax", "umin" };
		bool acq = (w >> 23) & 1, rel = (w >> 22) & 1, o3 = (w >> 15) & 1;
		unsigned int opc = (w >> 12) & 7;
		bool x = size == 3;
		if (o3 && opc == 4) { // LDAPR: a load (acquire, RCpc)
			if (rs != 31 || !acq || rel)
				return false;
			snprintf(a->text, sizeof(a->text), "ldapr%s %s, [%s]", sfx[size],
				 a64_rname(rt, x), rn_name);
			a->mem_read = true;
		} else if (o3 && opc == 0) {
			snprintf(a->text, sizeof(a->text), "swp%s%s%s %s, %s, [%s]", acq ? "a" : "",
				 rel ? "l" : "", sfx[size], a64_rname(rs, x), a64_rname(rt, x),
				 rn_name);
			a->mem_read = a->mem_written = true;
		} else if (!o3) {
			if (rt == 31 && !acq)
				snprintf(a->text, sizeof(a->text), "st%s%s%s %s, [%s]", ops[opc],
					 rel ? "l" : "", sfx[size], a64_rname(rs, x), rn_name);
			else
				snprintf(a->text, sizeof(a->text), "ld%s%s%s%s %s, %s, [%s]",
					 ops[opc], acq ? "a" : "", rel ? "l" : "", sfx[size],
					 a64_rname(rs, x), a64_rname(rt, x), rn_name);
			a->mem_read = a->mem_written = true;
		} else {
			return false;
		}
		a->writes = a64_bit(a64_rt(rt));
		if (a64_rt(rt) != DMS_REG_NONE) {
			a->loaded[a->nloaded++] = a64_rt(rt);
			a->load_size = 1u << size;
		}
	} else if ((w & 0x3fa07c00u) == 0x08a07c00u) {
		// CAS{A}{L}{B,H}: Rs (compare value) receives the old memory value.
		bool acq = (w >> 22) & 1, rel = (w >> 15) & 1, x = size == 3;
		snprintf(a->text, sizeof(a->text), "cas%s%s%s %s, %s, [%s]", acq ? "a" : "",
			 rel ? "l" : "", sfx[size], a64_rname(rs, x), a64_rname(rt, x), rn_name);
		a->mem_read = a->mem_written = true;
		a->writes = a64_bit(a64_rt(rs));
	} else if ((w & 0xbfa07c00u) == 0x08207c00u) {
		// CASP{A}{L}: a register pair Rs, Rs+1.
		bool acq = (w >> 22) & 1, rel = (w >> 15) & 1, x = (w >> 30) & 1;
		if (rs & 1 || rt & 1)
			return false;
		snprintf(a->text, sizeof(a->text), "casp%s%s %s, %s, %s, %s, [%s]", acq ? "a" : "",
			 rel ? "l" : "", a64_rname(rs, x), a64_rname(rs + 1, x), a64_rname(rt, x),
			 a64_rname(rt + 1, x), rn_name);
		a->mem_read = a->mem_written = true;
		a->writes = a64_bit(a64_rt(rs)) | a64_bit(a64_rt(rs + 1));
	} else {
		return false;
	}
	a->ok = true;
	a->has_mem = true;
	a->base = a64_rn(w);
	return true;
}

static bool a64_is_store(const char *mnemonic)
{
	// Every arm64 store mnemonic starts with "st" (str, stur, stp, stnp, stlr, stxr,
	// stlxr, st1..st4 ...); no load does.
	return mnemonic[0] == 's' && mnemonic[1] == 't';
}

// Decode the word at code[0..4) (little-endian) located at pc.
static void a64_decode(csh h, const uint8_t *code, uint64_t pc, struct a64 *a)
{
	cs_insn *insn = NULL;
	uint32_t w = (uint32_t)code[0] | (uint32_t)code[1] << 8 | (uint32_t)code[2] << 16 |
		     (uint32_t)code[3] << 24;

	memset(a, 0, sizeof(*a));
	a->base = a->index = DMS_REG_NONE;
	a->writes = A64_ALL;
	snprintf(a->text, sizeof(a->text), "(bad)");
	if (cs_disasm(h, code, 4, pc, 1, &insn) != 1) {
		a64_lse(w, a);
		return;
	}
	a->ok = true;
	snprintf(a->text, sizeof(a->text), "%s%s%s", insn->mnemonic, insn->op_str[0] ? " " : "",
		 insn->op_str);
	cs_regs rd, wr;
	uint8_t nrd = 0, nwr = 0;
	if (cs_regs_access(h, insn, rd, &nrd, wr, &nwr) == CS_ERR_OK) {
		a->writes = 0;
		for (uint8_t i = 0; i < nwr; i++)
			a->writes |= a64_bit(a64_reg(wr[i]));
	}
	if (insn->id == ARM64_INS_BL || insn->id == ARM64_INS_BLR)
		a->writes |= A64_CALL_CLOBBER;
	const cs_arm64 *d = &insn->detail->arm64;
	bool store = a64_is_store(insn->mnemonic);
	enum dms_reg regs_before[4];
	unsigned int nregs = 0, size = 8;
	for (uint8_t i = 0; i < d->op_count; i++) {
		const cs_arm64_op *op = &d->operands[i];
		if (op->type == ARM64_OP_REG && !a->has_mem && nregs < 4) {
			regs_before[nregs++] = a64_reg(op->reg);
			size = op->reg >= ARM64_REG_W0 && op->reg <= ARM64_REG_W30 ? 4 : 8;
		} else if (op->type == ARM64_OP_MEM && !a->has_mem) {
			a->has_mem = true;
			a->base = a64_reg(op->mem.base);
			a->index = a64_reg(op->mem.index);
			a->disp = op->mem.disp;
			a->ext = op->ext;
			a->shift = op->shift.type == ARM64_SFT_LSL ? op->shift.value : 0;
		} else if (op->type == ARM64_OP_IMM && !a->has_mem && insn->id == ARM64_INS_LDR &&
			   nregs == 1) {
			a->literal = true; // ldr Xt, <label>: capstone gives the address
			a->literal_addr = (uint64_t)op->imm;
		}
	}
	if (a->has_mem) {
		a->mem_written = store;
		a->mem_read = !store && insn->id != ARM64_INS_PRFM && insn->id != ARM64_INS_PRFUM;
	} else if (a->literal) {
		a->mem_read = true;
	}
	// Registers a load fills, in order: the general-purpose ones before the operand
	// (a store-exclusive's status register is not loaded).
	if (a->mem_read || a->literal) {
		for (unsigned int i = 0; i < nregs && a->nloaded < 2; i++)
			if (regs_before[i] != DMS_REG_NONE && regs_before[i] != DMS_REG_SP)
				a->loaded[a->nloaded++] = regs_before[i];
		a->load_size = size;
	}
	cs_free(insn, 1);
}

static csh a64_open(struct dms_error **err)
{
	csh h = 0;

	*err = NULL;
	if (cs_open(CS_ARCH_ARM64, CS_MODE_LITTLE_ENDIAN, &h) != CS_ERR_OK) {
		*err = dms_error_create(DMS_ERR_INVALID_ARGUMENT, "capstone: cannot open arm64");
		return 0;
	}
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	return h;
}

// The value of register r for an address, or false when unknown.
static bool a64_val(const struct dms_regs *regs, enum dms_reg r, uint64_t *ret)
{
	if (r == DMS_REG_NONE) {
		*ret = 0;
		return true;
	}
	if (!regs || !regs->valid[r])
		return false;
	*ret = regs->r[r];
	return true;
}

// The index register's contribution: extended (UXTW/SXTW ...) then shifted.
static uint64_t a64_index(uint64_t v, int ext, unsigned int shift)
{
	switch (ext) {
	case ARM64_EXT_UXTB:
		v = (uint8_t)v;
		break;
	case ARM64_EXT_UXTH:
		v = (uint16_t)v;
		break;
	case ARM64_EXT_UXTW:
		v = (uint32_t)v;
		break;
	case ARM64_EXT_SXTB:
		v = (uint64_t)(int64_t)(int8_t)v;
		break;
	case ARM64_EXT_SXTH:
		v = (uint64_t)(int64_t)(int16_t)v;
		break;
	case ARM64_EXT_SXTW:
		v = (uint64_t)(int64_t)(int32_t)v;
		break;
	default:
		break;
	}
	return shift < 64 ? v << shift : 0;
}

// Effective address of a's memory operand with regs (the pre-writeback address).
static bool a64_ea(const struct a64 *a, const struct dms_regs *regs, uint64_t *ret)
{
	uint64_t b, i;

	if (a->literal) {
		*ret = a->literal_addr;
		return true;
	}
	if (!a->has_mem || !a64_val(regs, a->base, &b) || !a64_val(regs, a->index, &i))
		return false;
	*ret = b + (uint64_t)a->disp;
	if (a->index != DMS_REG_NONE)
		*ret += a64_index(i, a->ext, a->shift);
	return true;
}

static struct dms_error *a64_analyze(const uint8_t *code, size_t len, uint64_t pc,
				     const struct dms_regs *regs, unsigned int va_bits,
				     struct dms_fault_insn *ret)
{
	struct dms_error *err;
	struct a64 a;

	if (len < 4)
		return NULL;
	csh h = a64_open(&err);
	if (err)
		return err;
	a64_decode(h, code, pc, &a);
	cs_close(&h);
	snprintf(ret->text, sizeof(ret->text), "%s", a.text);
	if (!a.ok)
		return NULL;
	ret->length = 4;
	if (!a.has_mem)
		return NULL;
	ret->has_mem = true;
	ret->mem_written = a.mem_written;
	ret->base = a.base;
	ret->index = a.index;
	ret->scale = a.index != DMS_REG_NONE && a.shift < 31 ? 1 << a.shift : 0;
	ret->disp = a.disp;
	ret->ea_known = a64_ea(&a, regs, &ret->ea);
	if (!ret->ea_known)
		return NULL;
	ret->ea_canonical = !dms_vaddr_bad_pointer(DMS_ARCH_ARM64, va_bits, ret->ea);
	if (ret->ea_canonical)
		return NULL;
	// Which register carried the bad value: a bad base (the usual: a pointer made of
	// other bytes), else a bad-looking index, else the base (a good base plus an
	// offset that left the range).
	if (ret->base != DMS_REG_NONE &&
	    dms_vaddr_bad_pointer(DMS_ARCH_ARM64, va_bits, regs->r[ret->base]))
		ret->culprit = ret->base;
	else if (ret->index != DMS_REG_NONE &&
		 dms_vaddr_bad_pointer(DMS_ARCH_ARM64, va_bits, regs->r[ret->index]))
		ret->culprit = ret->index;
	else if (ret->base != DMS_REG_NONE)
		ret->culprit = ret->base;
	else
		ret->culprit = ret->index;
	return NULL;
}

#define A64_MAX_BEFORE 64

static struct dms_error *a64_find_load(const uint8_t *code, size_t pc_index, uint64_t pc,
				       enum dms_reg reg, const struct dms_regs *regs,
				       struct dms_load_site *ret)
{
	struct dms_error *err;
	struct a64 insns[A64_MAX_BEFORE];

	if (reg < DMS_REG_X0 || reg > DMS_REG_X30)
		return NULL;
	// Whole words before PC, the nearest A64_MAX_BEFORE.
	size_t n = pc_index / 4;
	if (n > A64_MAX_BEFORE)
		n = A64_MAX_BEFORE;
	if (!n)
		return NULL;
	csh h = a64_open(&err);
	if (err)
		return err;
	const uint8_t *first = code + pc_index - 4 * n;
	for (size_t i = 0; i < n; i++)
		a64_decode(h, first + 4 * i, pc - 4 * (n - i), &insns[i]);
	cs_close(&h);
	// The last instruction before PC that writes reg: a load from memory or not.
	for (size_t k = n; k-- > 0;) {
		const struct a64 *in = &insns[k];
		if (!(in->writes & a64_bit(reg)))
			continue;
		unsigned int slot = 0;
		while (slot < in->nloaded && in->loaded[slot] != reg)
			slot++;
		if (!in->ok || slot == in->nloaded)
			break; // reg was computed (or clobbered by a call), not loaded
		ret->found = true;
		ret->address = pc - 4 * (n - k);
		snprintf(ret->text, sizeof(ret->text), "%s", in->text);
		// The address registers must hold, at PC, what they held at the load.
		uint32_t need = a64_bit(in->base) | a64_bit(in->index);
		bool ok = true;
		for (size_t j = k; ok && j < n; j++)
			ok = !(insns[j].writes & need);
		uint64_t ea;
		if (ok && a64_ea(in, regs, &ea)) {
			ret->ea = ea + (uint64_t)slot * in->load_size;
			ret->ea_known = true;
		}
		break;
	}
	return NULL;
}

// ---------------------------------------------------------------- both

struct dms_error *dms_insn_analyze(enum dms_arch arch, const uint8_t *code, size_t len, uint64_t pc,
				   const struct dms_regs *regs, unsigned int va_bits,
				   struct dms_fault_insn *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->arch = arch == DMS_ARCH_UNKNOWN ? DMS_ARCH_X86_64 : arch;
	ret->address = pc;
	ret->base = ret->index = ret->culprit = DMS_REG_NONE;
	snprintf(ret->text, sizeof(ret->text), "(bad)");
	if (arch == DMS_ARCH_ARM)
		return NULL; // 32-bit ARM: not decoded
	if (!code || !len) {
		// No code at the PC: a jump or call through a bad pointer lands here.
		snprintf(ret->text, sizeof(ret->text), "(no code at %s)",
			 arch == DMS_ARCH_ARM64 ? "PC" : "RIP");
		if (dms_vaddr_bad_pointer(ret->arch, va_bits, pc))
			ret->culprit = dms_reg_pc(arch);
		return NULL;
	}
	if (arch == DMS_ARCH_ARM64)
		return a64_analyze(code, len, pc, regs, va_bits, ret);
	return x86_analyze(code, len, pc, regs, va_bits, ret);
}

struct dms_error *dms_insn_find_load(enum dms_arch arch, const uint8_t *code, size_t pc_index,
				     uint64_t pc, enum dms_reg reg, const struct dms_regs *regs,
				     struct dms_load_site *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (!code || !pc_index || reg == DMS_REG_NONE || arch == DMS_ARCH_ARM)
		return NULL;
	if (arch == DMS_ARCH_ARM64)
		return a64_find_load(code, pc_index, pc, reg, regs, ret);
	return x86_find_load(code, pc_index, pc, reg, regs, ret);
}

// Tokens of a "Code:" line: "48", "<48>" (x86-64), "f8626800", "(f8626800)", "????????" (arm64).
size_t dms_oops_code_parse(const char *line, uint8_t *buf, size_t size, int *rip_index)
{
	const char *p = strstr(line, "Code:");
	size_t n = 0;

	*rip_index = -1;
	if (!p)
		return 0;
	p += strlen("Code:");
	while (*p && n < size) {
		bool mark = false;

		while (*p == ' ')
			p++;
		if (*p == '<' || *p == '(') {
			mark = true;
			p++;
		}
		size_t digits = 0;
		while (digits < 9 && (isxdigit((unsigned char)p[digits]) || p[digits] == '?'))
			digits++;
		char end = p[digits];
		// "Code: Unable to access opcode bytes at ..." has no bytes: stops here.
		if (end && end != ' ' && end != '>' && end != ')' && end != '\n' && end != '\r')
			break;
		if (digits == 8) {
			// An arm64 word, printed as a number: stored little-endian.
			if (strspn(p, "?") >= 8) {
				// Unreadable: the words before it are no longer next to the rest.
				n = 0;
				*rip_index = -1;
				if (mark)
					break;
				p += 8;
				continue;
			}
			if (size - n < 4)
				break;
			unsigned int word;
			if (strspn(p, "0123456789abcdefABCDEF") < 8 || sscanf(p, "%8x", &word) != 1)
				break;
			if (mark)
				*rip_index = (int)n;
			for (int i = 0; i < 4; i++)
				buf[n++] = (uint8_t)(word >> (8 * i));
			p += 8;
		} else if (digits == 2 && isxdigit((unsigned char)p[0]) &&
			   isxdigit((unsigned char)p[1])) {
			unsigned int byte;
			if (sscanf(p, "%2x", &byte) != 1)
				break;
			if (mark)
				*rip_index = (int)n;
			buf[n++] = (uint8_t)byte;
			p += 2;
		} else {
			break;
		}
		if (*p == '>' || *p == ')')
			p++;
	}
	return n;
}
