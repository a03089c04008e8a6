// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: what a 64-bit value is as a virtual address, per architecture.
//
// x86-64: an address is canonical when bits 63..va_bits-1 are all equal (va_bits 48,
// or 57 with 5-level paging); the lower half is user space, the upper half the
// kernel's.  A non-canonical address faults (#GP) before any page table is read.
//
// arm64 (ARM ARM D8.1 "Translation table base and address ranges"; Linux
// Documentation/arch/arm64/memory.rst, tagged-pointers.rst): bit 55 selects the
// translation table, TTBR0 (user) or TTBR1 (kernel); bits 55..va_bits (va_bits 48 or
// 52; 39/42/47 in other configurations) must equal bit 55, else the access faults
// ("address between user and kernel address ranges").  The top byte (63..56) is
// ignored by the MMU where Top Byte Ignore is on: Linux turns it on for user
// addresses (TBI0) always, for kernel addresses (TBI1) only with the KASAN tag modes.
// Elsewhere the top byte must equal bit 55 too.  The kernel prints a fault address
// untagged (untagged_addr(): the top byte is cleared when bit 55 is 0), so a logged
// address may differ from the register it came from in its top byte.
//
// Pure functions of (arch, va_bits, value): the caller says what the target is.
#ifndef DMS_VADDR_H
#define DMS_VADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The architecture of the dumped machine (from crash's machine type, or the log). */
enum dms_arch {
	DMS_ARCH_UNKNOWN,
	DMS_ARCH_X86_64,
	DMS_ARCH_ARM64,
	DMS_ARCH_ARM, // 32-bit ARM: recognised in logs, not decoded
};

/** "x86_64", "arm64", "arm", "unknown"; never NULL. */
const char *dms_arch_name(enum dms_arch arch);

/** What a value is as a virtual address. */
enum dms_vaddr_kind {
	DMS_VADDR_USER,	  // the lower (user) range, no tag
	DMS_VADDR_KERNEL, // the upper (kernel) range, no tag
	// arm64: the user range (bit 55 clear) with a tag in the top byte (TBI0): the MMU
	// translates `untagged`, a user address; a kernel pointer never looks like this.
	DMS_VADDR_USER_TAGGED,
	// arm64: the kernel range (bit 55 set) whose top byte is not 0xff: a tag only on a
	// kernel built with KASAN tag modes (TBI1), else the access faults.
	DMS_VADDR_KERNEL_TAGGED,
	// x86-64: not canonical; arm64: bits 55..va_bits are not all equal to bit 55,
	// between the user and the kernel range.
	DMS_VADDR_NONCANONICAL,
};

struct dms_vaddr {
	enum dms_vaddr_kind kind;
	uint64_t untagged;    // arm64: the top byte replaced by bit 55's extension; else the value
	uint8_t tag;	      // arm64: the top byte when tagged, else 0
	unsigned int va_bits; // the width used (a bad va_bits argument replaced by the default)
};

/**
 * Classify value as a virtual address of arch with va_bits bits of virtual address
 * (0 or out of range: 48).  DMS_ARCH_UNKNOWN and DMS_ARCH_ARM use the x86-64 rule,
 * which for a 64-bit value means "top bits all equal".
 */
void dms_vaddr_classify(enum dms_arch arch, unsigned int va_bits, uint64_t value,
			struct dms_vaddr *ret);

/**
 * Is value a pointer no kernel code should follow: non-canonical, between the
 * ranges, or (arm64, kernel without tags) carrying a tag in its top byte?  A plain
 * user address (NULL plus an offset, a small integer) is not: it faults for other
 * reasons and tells nothing about where the value came from.
 */
bool dms_vaddr_bad_pointer(enum dms_arch arch, unsigned int va_bits, uint64_t value);

/**
 * One phrase for a report: "is non-canonical" (x86-64), "is between the user and
 * kernel address ranges", "is a user address 0x... with tag 0x45 in its top byte" ...
 * Writes at most size bytes (NUL-terminated) to buf and returns buf.
 */
char *dms_vaddr_describe(enum dms_arch arch, unsigned int va_bits, uint64_t value, char *buf,
			 size_t size);

/**
 * Could a fault address the kernel printed (untagged, see above) come from value?
 * Equal, or equal below the top byte on arm64.
 */
bool dms_vaddr_same_untagged(enum dms_arch arch, uint64_t value, uint64_t printed);

#endif // DMS_VADDR_H
