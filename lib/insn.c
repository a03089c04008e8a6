// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: decode the faulting instruction with capstone (see insn.h).
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <capstone/capstone.h>

#include "insn.h"

static const char *const reg_names[DMS_NREGS] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8",
	"r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip",
};

const char *dms_reg_name(enum dms_reg reg)
{
	return reg >= 0 && reg < DMS_NREGS ? reg_names[reg] : "?";
}

bool dms_addr_canonical(uint64_t addr, unsigned int vaddr_bits)
{
	if (vaddr_bits < 32 || vaddr_bits > 63)
		vaddr_bits = 48;
	// Bits 63 .. vaddr_bits-1 must all be equal.
	uint64_t top = addr >> (vaddr_bits - 1);
	return top == 0 || top == (UINT64_MAX >> (vaddr_bits - 1));
}

// capstone register (any width) -> the 64-bit register it is part of.
static enum dms_reg from_cs(unsigned int r)
{
	switch (r) {
	case X86_REG_RAX: case X86_REG_EAX: case X86_REG_AX: case X86_REG_AL: case X86_REG_AH:
		return DMS_REG_RAX;
	case X86_REG_RBX: case X86_REG_EBX: case X86_REG_BX: case X86_REG_BL: case X86_REG_BH:
		return DMS_REG_RBX;
	case X86_REG_RCX: case X86_REG_ECX: case X86_REG_CX: case X86_REG_CL: case X86_REG_CH:
		return DMS_REG_RCX;
	case X86_REG_RDX: case X86_REG_EDX: case X86_REG_DX: case X86_REG_DL: case X86_REG_DH:
		return DMS_REG_RDX;
	case X86_REG_RSI: case X86_REG_ESI: case X86_REG_SI: case X86_REG_SIL:
		return DMS_REG_RSI;
	case X86_REG_RDI: case X86_REG_EDI: case X86_REG_DI: case X86_REG_DIL:
		return DMS_REG_RDI;
	case X86_REG_RBP: case X86_REG_EBP: case X86_REG_BP: case X86_REG_BPL:
		return DMS_REG_RBP;
	case X86_REG_RSP: case X86_REG_ESP: case X86_REG_SP: case X86_REG_SPL:
		return DMS_REG_RSP;
	case X86_REG_RIP: case X86_REG_EIP:
		return DMS_REG_RIP;
	case X86_REG_R8: case X86_REG_R8D: case X86_REG_R8W: case X86_REG_R8B:
		return DMS_REG_R8;
	case X86_REG_R9: case X86_REG_R9D: case X86_REG_R9W: case X86_REG_R9B:
		return DMS_REG_R9;
	case X86_REG_R10: case X86_REG_R10D: case X86_REG_R10W: case X86_REG_R10B:
		return DMS_REG_R10;
	case X86_REG_R11: case X86_REG_R11D: case X86_REG_R11W: case X86_REG_R11B:
		return DMS_REG_R11;
	case X86_REG_R12: case X86_REG_R12D: case X86_REG_R12W: case X86_REG_R12B:
		return DMS_REG_R12;
	case X86_REG_R13: case X86_REG_R13D: case X86_REG_R13W: case X86_REG_R13B:
		return DMS_REG_R13;
	case X86_REG_R14: case X86_REG_R14D: case X86_REG_R14W: case X86_REG_R14B:
		return DMS_REG_R14;
	case X86_REG_R15: case X86_REG_R15D: case X86_REG_R15W: case X86_REG_R15B:
		return DMS_REG_R15;
	default:
		return DMS_REG_NONE;
	}
}

// Instructions whose memory operand is not an access.
static bool no_access(unsigned int id)
{
	return id == X86_INS_LEA || id == X86_INS_NOP;
}

static void explain_mem(const cs_insn *insn, const cs_x86_op *op, const struct dms_regs *regs,
			unsigned int vaddr_bits, struct dms_fault_insn *ret)
{
	uint64_t ea = (uint64_t)op->mem.disp;

	ret->has_mem = true;
	ret->mem_written = (op->access & CS_AC_WRITE) != 0;
	ret->base = from_cs(op->mem.base);
	ret->index = from_cs(op->mem.index);
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

struct dms_error *dms_insn_analyze(const uint8_t *code, size_t len, uint64_t rip,
				   const struct dms_regs *regs, unsigned int vaddr_bits,
				   struct dms_fault_insn *ret)
{
	csh h;
	cs_insn *insn = NULL;

	memset(ret, 0, sizeof(*ret));
	ret->address = rip;
	ret->base = ret->index = ret->culprit = DMS_REG_NONE;
	snprintf(ret->text, sizeof(ret->text), "(bad)");
	if (!code || !len) {
		// No code at RIP: a jump or call through a bad pointer lands here.
		snprintf(ret->text, sizeof(ret->text), "(no code at RIP)");
		if (!dms_addr_canonical(rip, vaddr_bits))
			ret->culprit = DMS_REG_RIP;
		return NULL;
	}
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT, "capstone: cannot open x86-64");
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	cs_option(h, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
	if (cs_disasm(h, code, len, rip, 1, &insn) == 1) {
		ret->length = insn->size;
		snprintf(ret->text, sizeof(ret->text), "%s%s%s", insn->mnemonic,
			 insn->op_str[0] ? " " : "", insn->op_str);
		const cs_x86 *x = &insn->detail->x86;
		for (uint8_t i = 0; i < x->op_count && !no_access(insn->id); i++) {
			if (x->operands[i].type == X86_OP_MEM) {
				explain_mem(insn, &x->operands[i], regs, vaddr_bits, ret);
				break;
			}
		}
		cs_free(insn, 1);
	}
	cs_close(&h);
	return NULL;
}

// Does insn write 64-bit register r (any part of it)?
static bool writes(csh h, const cs_insn *insn, enum dms_reg r)
{
	cs_regs rd, wr;
	uint8_t nrd = 0, nwr = 0;

	if (cs_regs_access(h, insn, rd, &nrd, wr, &nwr) != CS_ERR_OK)
		return true; // unknown: assume the worst
	for (uint8_t i = 0; i < nwr; i++)
		if (from_cs(wr[i]) == r)
			return true;
	return false;
}

#define MAX_BEFORE 64

struct dms_error *dms_insn_find_load(const uint8_t *code, size_t rip_index, uint64_t rip,
				     enum dms_reg reg, const struct dms_regs *regs,
				     struct dms_load_site *ret)
{
	csh h;
	cs_insn *insns = NULL;
	size_t n = 0;

	memset(ret, 0, sizeof(*ret));
	if (!code || !rip_index || reg == DMS_REG_NONE || reg == DMS_REG_RIP)
		return NULL;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT, "capstone: cannot open x86-64");
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	cs_option(h, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
	// Resynchronise: the first start offset whose decoding lands exactly on RIP.
	for (size_t start = 0; start < rip_index && start < 16; start++) {
		n = cs_disasm(h, code + start, rip_index - start, rip - (rip_index - start), 0, &insns);
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

		if (!writes(h, in, reg))
			continue;
		const cs_x86 *x = &in->detail->x86;
		const cs_x86_op *mem = NULL;
		for (uint8_t i = 0; i < x->op_count; i++)
			if (x->operands[i].type == X86_OP_MEM && (x->operands[i].access & CS_AC_READ))
				mem = &x->operands[i];
		if (!mem || no_access(in->id))
			break; // reg was computed, not loaded
		ret->found = true;
		ret->address = in->address;
		snprintf(ret->text, sizeof(ret->text), "%s%s%s", in->mnemonic, in->op_str[0] ? " " : "",
			 in->op_str);
		enum dms_reg base = from_cs(mem->mem.base), index = from_cs(mem->mem.index);
		bool ok = regs && mem->mem.segment == X86_REG_INVALID && base != DMS_REG_RIP &&
			  (base == DMS_REG_NONE || regs->valid[base]) &&
			  (index == DMS_REG_NONE || regs->valid[index]);
		// The address registers must hold, at RIP, what they held at the load.
		for (size_t j = k; ok && j < n; j++)
			ok = (base == DMS_REG_NONE || !writes(h, &insns[j], base)) &&
			     (index == DMS_REG_NONE || !writes(h, &insns[j], index));
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
		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]))
			break;
		// "Code: Unable to access opcode bytes at ..." has no bytes: stops here.
		if (p[2] && p[2] != ' ' && p[2] != '>' && p[2] != ')' && p[2] != '\n')
			break;
		unsigned int byte;
		if (sscanf(p, "%2x", &byte) != 1)
			break;
		if (mark)
			*rip_index = (int)n;
		buf[n++] = (uint8_t)byte;
		p += 2;
		if (*p == '>' || *p == ')')
			p++;
	}
	return n;
}
