// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: the first oops of a kernel log, parsed (x86-64, arm64).
//
// The kernel prints everything the panic analysis needs.  x86-64: the oops line, "RIP:
// 0010:func+0x3f/0xa0", the general-purpose registers, CR2 and the code bytes around
// RIP.  arm64 (arch/arm64/mm/fault.c, kernel/traps.c, kernel/process.c): "Unable to
// handle kernel paging request at virtual address ..." with the fault address, "Mem
// abort info:" (ESR, EC, FSC, WnR), the page table walk, "Internal error: Oops: <ESR>
// [#1]", "pc : func+0x1a8/0x370", "lr : ...", "sp : ...", x29 .. x0 three to a line, the
// call trace, then "Code:" with four 32-bit words before the faulting one and that one
// in parentheses.  Parsing them from the log works even where a dump's stack or task
// list is damaged.  Lines are untrusted text; nothing is read past the given length.
#ifndef DMS_OOPS_H
#define DMS_OOPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "insn.h"
#include "vaddr.h"

struct dms_oops {
	bool found;
	// Told by the caller, else recognised from the text (DMS_ARCH_UNKNOWN when the
	// oops says neither).
	enum dms_arch arch;
	// x86-64: the "[#1]" line ("general protection fault, probably for non-canonical
	// ..."); arm64: "Unable to handle kernel paging request at virtual address ..." when
	// the fault handler printed it, else the "[#1]" line.
	char headline[160];
	size_t offset;	    // of the headline in the log
	char die_line[160]; // the "[#1]" line ("Internal error: Oops: 0000000096000004 [#1] SMP")
	bool user_mode;	    // the PC was a user address ("RIP: 0033:", arm64 "pc : <hex>")
	char rip_sym[96];   // RIP / pc: "anon_vma_interval_tree_insert+0x48/0xc0" (or an address)
	// rip_sym split when it has exactly the form func+0xOFF/0xSIZE (OFF < SIZE).
	char rip_func[96];
	uint64_t rip_off;
	bool rip_func_ok;
	uint64_t rip;	 // when printed as an address (0 if only a symbol)
	char lr_sym[96]; // arm64 lr: "kmem_cache_alloc+0x5c/0x370"
	// x86-64: RAX..R15 (RIP from rip); arm64: x0..x29, sp (pc from rip; x30 only when
	// lr is printed as a number)
	struct dms_regs regs;
	uint64_t cr2; // x86-64
	bool has_cr2;
	// arm64: the fault address of "Unable to handle kernel ... at virtual address"
	// (printed untagged: see lib/vaddr.h)
	bool has_far;
	uint64_t far;
	// arm64: the exception syndrome ("ESR = 0x...", else the value of the
	// "Internal error: ...: <ESR> [#1]" line), and the decoded lines' own fields
	bool has_esr;
	uint64_t esr;
	bool has_fsc, has_wnr;
	unsigned int fsc;     // "FSC = 0x04: level 0 translation fault"
	bool wnr;	      // "CM = 0, WnR = 1"
	unsigned int va_bits; // "swapper pgtable: 4k pages, 48-bit VAs", 0 when not printed
	uint8_t code[64];     // the "Code:" bytes (arm64: the words, little-endian)
	size_t code_len;
	int code_rip;  // index of the byte at RIP/PC in code[], -1 if not marked
	char comm[32]; // "Comm: labctl"
	int pid;
};

/**
 * Parse the first oops ("... [#1] ...", arm64 also "SError Interrupt on CPU...") of a
 * kernel log of len bytes and the register dump that follows it.  The architecture is
 * recognised from the text.  ret->found is false when the log has no oops.
 * Values are taken only when they have the form the kernel prints (16 hex digits
 * for a register, CR2 and RSP): a garbled or cut one is left invalid, never read as a
 * shorter number.
 */
void dms_oops_parse(const char *log, size_t len, struct dms_oops *ret);

/**
 * The same for a log of arch (crash's machine type); DMS_ARCH_UNKNOWN recognises it
 * from the text.  A 32-bit ARM oops is found (headline, fault address) but its
 * registers and code are not parsed.
 */
void dms_oops_parse_arch(const char *log, size_t len, enum dms_arch arch, struct dms_oops *ret);

/** An arm64 exception syndrome, decoded (ARM ARM D17.2.40 ESR_EL1). */
struct dms_esr {
	unsigned int ec;     // exception class, ESR[31:26]
	const char *ec_name; // "data abort (current EL)"; never NULL
	bool data_abort, insn_abort;
	bool write;	      // data abort: WnR, the access was a write
	bool cache_maint;     // data abort: CM, a cache maintenance instruction
	unsigned int fsc;     // data/instruction abort: DFSC/IFSC, ESR[5:0]
	const char *fsc_name; // "translation fault" ...; "" when not an abort
	int level;	      // translation table level of a level fault, else -1
};

/** Decode an ESR_EL1 value. */
void dms_esr_decode(uint64_t esr, struct dms_esr *ret);

/**
 * What the arm64 oops says about the faulting access, one phrase: "read, level 0
 * translation fault, ESR 0x96000004"; "" when the oops printed no syndrome.  Writes at
 * most size bytes (NUL-terminated) to buf and returns buf.
 */
char *dms_oops_abort_describe(const struct dms_oops *o, char *buf, size_t size);

#endif // DMS_OOPS_H
