// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: the faulting instruction of an oops, decoded (capstone, x86-64).
//
// Given the code bytes at the exception RIP and the exception frame's registers, say
// what the instruction did, which memory operand it used, which register held the bad
// value, what the effective address was, and whether it is canonical: the seed's
// `dis -r` + register reading, automated.  The engine does not read memory: the caller
// supplies the bytes (from the dump, or from the oops' "Code:" line).
#ifndef DMS_INSN_H
#define DMS_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/** General-purpose registers of an x86-64 exception frame, in pt_regs' spirit. */
enum dms_reg {
	DMS_REG_RAX, DMS_REG_RBX, DMS_REG_RCX, DMS_REG_RDX, DMS_REG_RSI, DMS_REG_RDI,
	DMS_REG_RBP, DMS_REG_RSP, DMS_REG_R8, DMS_REG_R9, DMS_REG_R10, DMS_REG_R11,
	DMS_REG_R12, DMS_REG_R13, DMS_REG_R14, DMS_REG_R15, DMS_REG_RIP,
	DMS_NREGS,
	DMS_REG_NONE = -1,
};

struct dms_regs {
	uint64_t r[DMS_NREGS];
	bool valid[DMS_NREGS];
};

/** What the faulting instruction was and what made it fault (as far as it can tell). */
struct dms_fault_insn {
	uint64_t address; // RIP
	size_t length; // instruction length in bytes (0: could not decode)
	char text[192]; // AT&T syntax, as crash's `dis` prints it: "mov 0x10(%rdx),%rax"
	bool has_mem; // the instruction has a memory operand (the one reported below)
	bool mem_written; // that operand is a destination
	enum dms_reg base, index; // DMS_REG_NONE when absent (or %rip-relative)
	int scale;
	int64_t disp;
	bool segment; // %fs/%gs override: per-cpu or TLS, the address needs the base
	bool ea_known; // every register the address needs was valid
	uint64_t ea; // effective address (when ea_known)
	bool ea_canonical;
	enum dms_reg culprit; // the register whose value made the address bad, or NONE
};

/** Short lowercase name of a register ("rax"); "?" for anything else. */
const char *dms_reg_name(enum dms_reg reg);

/** Canonical for a virtual address width of vaddr_bits (48, or 57 with 5-level paging). */
bool dms_addr_canonical(uint64_t addr, unsigned int vaddr_bits);

/**
 * Decode the instruction at code[0..len) (located at rip) and explain its memory
 * operand with the given registers.  An undecodable instruction is not an error: ret
 * has length 0 and text "(bad)".  vaddr_bits as for dms_addr_canonical().
 */
struct dms_error *dms_insn_analyze(const uint8_t *code, size_t len, uint64_t rip,
				   const struct dms_regs *regs, unsigned int vaddr_bits,
				   struct dms_fault_insn *ret);

/** Where the culprit register's value was loaded from, if the code before RIP says. */
struct dms_load_site {
	bool found; // an instruction before RIP loaded the register from memory
	char text[192]; // that instruction, AT&T syntax
	uint64_t address; // its address
	bool ea_known; // its address registers are known and unchanged up to RIP
	uint64_t ea; // the memory it read
};

/**
 * Decode the code bytes before RIP (code[0..rip_index) as in an oops "Code:" line, whose
 * first byte may sit inside an instruction: the decoder resynchronises on RIP) and find
 * the last instruction that loaded reg from memory.  Its effective address is computed
 * with regs when no instruction in between (itself included) writes the registers it uses.
 */
struct dms_error *dms_insn_find_load(const uint8_t *code, size_t rip_index, uint64_t rip,
				     enum dms_reg reg, const struct dms_regs *regs,
				     struct dms_load_site *ret);

/**
 * Parse an oops "Code:" line ("Code: 48 8b 42 10 <48> 39 78 18 ..."): the bytes, and the
 * index of the byte in <angle brackets> (the faulting RIP's first byte).  Returns the
 * number of bytes stored in buf (at most size); *rip_index is -1 when none is marked.
 */
size_t dms_oops_code_parse(const char *line, uint8_t *buf, size_t size, int *rip_index);

#endif // DMS_INSN_H
