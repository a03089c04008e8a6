// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: the oops' bad pointer and where it came from -- what to read, and what
// the reads mean.
//
// The seed's analysis, automated: the first oops of the log (lib/oops.h), its faulting
// instruction decoded (lib/insn.h), the register whose non-canonical value made it
// fault, the instruction before that loaded the register and the address it read, and
// where in memory the value is stored.  The glue reads the dump where the plan says
// (the faulting function's address when the oops printed only a symbol, the word at
// the load site, the places the value is stored: struct dms_fpanic in facts.h); lib
// makes the plan and judges the reads, so a recorded facts file replays the analysis.
#ifndef DMS_PANIC_H
#define DMS_PANIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "facts.h"
#include "insn.h"
#include "oops.h"

/** What the oops says and which reads of the dump would explain its bad value. */
struct dms_panic_plan {
	struct dms_oops oops; // oops.found: the log has one
	// The oops printed the faulting function as a symbol only: its address is needed
	// (sym, then rip = address + sym_off once reads->has_sym names it).
	bool need_sym;
	char sym[96];
	uint64_t sym_off;
	uint64_t rip;
	struct dms_fault_insn insn;
	unsigned int va_bits; // the width the value was judged by
	bool culprit;	      // a register's value made the address bad (insn.culprit)
	uint64_t value;	      // that value
	bool noncanonical;    // no pointer kernel code may follow (dms_vaddr_bad_pointer)
	// The instruction before RIP that loaded the register, and the address it read
	// (ls.ea when ls.ea_known): read the word there.
	struct dms_load_site ls;
	// Search memory for value (the load site did not show where it came from).
	bool search;
};

/**
 * Plan the panic analysis of the log's first oops with the reads made so far (reads
 * may be NULL: none yet).  arch: crash's machine type (DMS_ARCH_UNKNOWN: recognised
 * from the log); va_bits: the facts table's (0: the oops' own, else 48).  Call again after reading
 * the symbol (need_sym) to learn the culprit and the load site; then read the word at the load site
 * and, if it is not the value, search memory (search).
 */
void dms_panic_plan(const char *log, size_t len, enum dms_arch arch, unsigned int va_bits,
		    const struct dms_fpanic *reads, struct dms_panic_plan *ret);

/** The panic as the verdict weighs it. */
struct dms_vpanic {
	bool valid;	    // a culprit register was found
	enum dms_arch arch; // of the decoded instruction (x86-64 registers print as %rax)
	// "mov 0x10(%rdx),%rax at anon_vma_interval_tree_insert+72"; arm64 adds what the
	// abort was ("(read, level 0 translation fault)")
	char insn[256];
	char reg[8];	// culprit register
	uint64_t value; // its value
	// The value is no pointer kernel code may follow (lib/vaddr.h: non-canonical on
	// x86-64; on arm64 between the ranges or tagged), and why, in words ("" reads
	// "is non-canonical").
	bool noncanonical;
	char why[160];
	bool value_in_frame;	     // the value's bytes lie inside a carved frame
	uint64_t frame_paddr;	     // ... that one
	uint64_t loaded_from;	     // where in memory the value was found (0 unknown)
	int64_t loaded_delta;	     // what was stored there minus the value (container_of offsets)
	char load_insn[192];	     // the instruction that loaded the register, when the code says
	char loaded_from_owner[160]; // "slab vm_area_struct obj ffff...+0x10 state=allocated"
	size_t value_copies;	     // places the value was found (a search), 0 if not searched
	bool value_copies_more;	     // ... and more than that
	// Not "" when the log has an oops that was not analysed: what was missing or
	// unreadable (a garbled or cut oops must say so, not read as no oops).
	char not_analysed[200];
};

/**
 * Judge the facts' panic reads against the plan: where the bad value came from and
 * whether those bytes belong to a carved frame (frames of f).
 */
void dms_panic_analyze(const struct dms_facts *f, struct dms_vpanic *ret);

#endif // DMS_PANIC_H
