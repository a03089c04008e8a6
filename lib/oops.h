// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: the first oops of a kernel log, parsed (x86-64).
//
// The kernel prints everything the panic analysis needs: the oops line, "RIP:
// 0010:func+0x3f/0xa0", the general-purpose registers, CR2 and the code bytes around
// RIP.  Parsing them from the log works even where a dump's stack or task list is
// damaged.  Lines are untrusted text; nothing is read past the given length.
#ifndef DMS_OOPS_H
#define DMS_OOPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "insn.h"

struct dms_oops {
	bool found;
	char headline[160]; // "general protection fault, probably for non-canonical ..."
	size_t offset; // of the headline in the log
	bool user_mode; // RIP was a user address ("RIP: 0033:")
	char rip_sym[96]; // "anon_vma_interval_tree_insert+0x48/0xc0" (or a raw address)
	uint64_t rip; // when printed as an address (0 if only a symbol)
	struct dms_regs regs; // RAX..R15 from the register dump (RIP filled from rip)
	uint64_t cr2;
	bool has_cr2;
	uint8_t code[64]; // the "Code:" bytes
	size_t code_len;
	int code_rip; // index of the byte at RIP in code[], -1 if not marked
	char comm[32]; // "Comm: labctl"
	int pid;
};

/**
 * Parse the first oops ("... [#1] ...") of a kernel log of len bytes and the register
 * dump that follows it (up to the next "Call Trace:" or a few dozen lines).  ret->found
 * is false when the log has no oops.
 */
void dms_oops_parse(const char *log, size_t len, struct dms_oops *ret);

#endif // DMS_OOPS_H
