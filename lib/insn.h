// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: the faulting instruction of an oops, decoded (capstone: x86-64, arm64).
//
// Given the code bytes at the exception RIP/PC and the exception frame's registers, say
// what the instruction did, which memory operand it used, which register held the bad
// value, what the effective address was, and whether it is a well-formed address of
// the architecture (lib/vaddr.h): the seed's `dis -r` + register reading, automated.
// The engine does not read memory: the caller supplies the bytes (from the dump, or
// from the oops' "Code:" line).  arm64 code is 32-bit little-endian words; LSE atomics
// (CAS*, LD<op>*, ST<op>*, SWP*, LDAPR), which capstone 4 does not know, are decoded
// here by their encoding (ARM ARM C4.1 "Loads and Stores").
#ifndef DMS_INSN_H
#define DMS_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "vaddr.h"

/**
 * General-purpose registers of an exception frame, in pt_regs' spirit: x86-64's, then
 * arm64's (x0 .. x30, sp, pc; x1 .. x29 are DMS_REG_X(n)).  One number space, so a
 * register names itself without its architecture.
 */
enum dms_reg {
	DMS_REG_RAX,
	DMS_REG_RBX,
	DMS_REG_RCX,
	DMS_REG_RDX,
	DMS_REG_RSI,
	DMS_REG_RDI,
	DMS_REG_RBP,
	DMS_REG_RSP,
	DMS_REG_R8,
	DMS_REG_R9,
	DMS_REG_R10,
	DMS_REG_R11,
	DMS_REG_R12,
	DMS_REG_R13,
	DMS_REG_R14,
	DMS_REG_R15,
	DMS_REG_RIP,
	DMS_REG_X0,
	DMS_REG_X30 = DMS_REG_X0 + 30,
	DMS_REG_SP,
	DMS_REG_PC,
	DMS_NREGS,
	DMS_REG_NONE = -1,
};

/** arm64 register xn (0 <= n <= 30). */
#define DMS_REG_X(n) ((enum dms_reg)(DMS_REG_X0 + (n)))

struct dms_regs {
	uint64_t r[DMS_NREGS];
	bool valid[DMS_NREGS];
};

/** What the faulting instruction was and what made it fault (as far as it can tell). */
struct dms_fault_insn {
	enum dms_arch arch;
	uint64_t address; // RIP / PC
	size_t length;	  // instruction length in bytes (0: could not decode)
	// x86-64: AT&T syntax, as crash's `dis` prints it: "mov 0x10(%rdx),%rax";
	// arm64: "ldr x0, [x0, x2]"
	char text[192];
	bool has_mem;		  // the instruction has a memory operand (the one reported below)
	bool mem_written;	  // that operand is a destination (arm64 atomics: read and written)
	enum dms_reg base, index; // DMS_REG_NONE when absent (or %rip-relative)
	int scale;		  // x86: the scale; arm64: 1 << the index's shift
	int64_t disp;
	bool segment;  // %fs/%gs override: per-cpu or TLS, the address needs the base
	bool ea_known; // every register the address needs was valid
	uint64_t ea;   // effective address (when ea_known)
	// The address is well formed for the architecture (not dms_vaddr_bad_pointer():
	// x86-64 canonical; arm64 in the user or kernel range, untagged).
	bool ea_canonical;
	enum dms_reg culprit; // the register whose value made the address bad, or NONE
};

/** Short lowercase name of a register ("rax", "x0", "sp"); "?" for anything else. */
const char *dms_reg_name(enum dms_reg reg);

/** The program counter of arch: DMS_REG_RIP or DMS_REG_PC (RIP for unknown). */
enum dms_reg dms_reg_pc(enum dms_arch arch);

/** Canonical for a virtual address width of vaddr_bits (48, or 57 with 5-level paging). */
bool dms_addr_canonical(uint64_t addr, unsigned int vaddr_bits);

/**
 * Decode the instruction of arch at code[0..len) (located at pc) and explain its memory
 * operand with the given registers.  An undecodable instruction is not an error: ret
 * has length 0 and text "(bad)".  va_bits as for dms_vaddr_classify().
 * DMS_ARCH_UNKNOWN is decoded as x86-64; DMS_ARCH_ARM (32-bit) is not decoded.
 */
struct dms_error *dms_insn_analyze(enum dms_arch arch, const uint8_t *code, size_t len, uint64_t pc,
				   const struct dms_regs *regs, unsigned int va_bits,
				   struct dms_fault_insn *ret);

/** Where the culprit register's value was loaded from, if the code before PC says. */
struct dms_load_site {
	bool found;	  // an instruction before PC loaded the register from memory
	char text[192];	  // that instruction (AT&T syntax on x86-64)
	uint64_t address; // its address
	bool ea_known;	  // its address registers are known and unchanged up to PC
	uint64_t ea;	  // the memory it read (for a pair, the register's half)
};

/**
 * Decode the code bytes before PC (code[0..pc_index), as in an oops "Code:" line) and
 * find the last instruction that loaded reg from memory.  x86-64: the first byte may sit
 * inside an instruction, the decoder resynchronises on PC; arm64: whole 32-bit words,
 * a call (bl/blr) in between clobbers x0-x18 and x30.  Its effective address is computed
 * with regs when no instruction in between (itself included) writes the registers it uses.
 */
struct dms_error *dms_insn_find_load(enum dms_arch arch, const uint8_t *code, size_t pc_index,
				     uint64_t pc, enum dms_reg reg, const struct dms_regs *regs,
				     struct dms_load_site *ret);

/**
 * Parse an oops "Code:" line: x86-64 bytes ("Code: 48 8b 42 10 <48> 39 78 18 ..."), the
 * byte in <angle brackets> the faulting RIP's first; or arm64 32-bit words ("Code:
 * 54000c41 8b020000 (f8626800)"), stored little-endian, the word in (parentheses) the
 * faulting one; an unreadable word ("????????") drops the words before it.  Returns the
 * number of bytes stored in buf (at most size); *rip_index is the index of the faulting
 * byte, -1 when none is marked (or the marked word was unreadable).
 */
size_t dms_oops_code_parse(const char *line, uint8_t *buf, size_t size, int *rip_index);

#endif // DMS_INSN_H
