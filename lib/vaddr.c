// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: virtual address rules per architecture (see vaddr.h).
#include <inttypes.h>
#include <stdio.h>

#include "vaddr.h"

const char *dms_arch_name(enum dms_arch arch)
{
	switch (arch) {
	case DMS_ARCH_X86_64:
		return "x86_64";
	case DMS_ARCH_ARM64:
		return "arm64";
	case DMS_ARCH_ARM:
		return "arm";
	default:
		return "unknown";
	}
}

static unsigned int width(enum dms_arch arch, unsigned int va_bits)
{
	if (arch == DMS_ARCH_ARM64)
		return va_bits >= 36 && va_bits <= 52 ? va_bits : 48;
	return va_bits >= 32 && va_bits <= 63 ? va_bits : 48;
}

void dms_vaddr_classify(enum dms_arch arch, unsigned int va_bits, uint64_t v, struct dms_vaddr *ret)
{
	unsigned int w = width(arch, va_bits);

	ret->va_bits = w;
	ret->tag = 0;
	ret->untagged = v;
	if (arch != DMS_ARCH_ARM64) {
		// Bits 63..w-1 all equal.
		uint64_t top = v >> (w - 1);
		if (top == 0)
			ret->kind = DMS_VADDR_USER;
		else if (top == UINT64_MAX >> (w - 1))
			ret->kind = DMS_VADDR_KERNEL;
		else
			ret->kind = DMS_VADDR_NONCANONICAL;
		return;
	}
	bool upper = (v >> 55) & 1;
	// Bits 55..w must all equal bit 55 (the top byte is looked at below).
	uint64_t mid = (v >> w) & (UINT64_MAX >> (64 - (56 - w)));
	uint64_t mid_all = upper ? UINT64_MAX >> (64 - (56 - w)) : 0;
	uint8_t top = (uint8_t)(v >> 56);
	ret->untagged = (v & (UINT64_MAX >> 8)) | (upper ? 0xffULL << 56 : 0);
	if (mid != mid_all) {
		ret->kind = DMS_VADDR_NONCANONICAL;
		return;
	}
	if (top == (upper ? 0xff : 0x00)) {
		ret->kind = upper ? DMS_VADDR_KERNEL : DMS_VADDR_USER;
		return;
	}
	ret->tag = top;
	ret->kind = upper ? DMS_VADDR_KERNEL_TAGGED : DMS_VADDR_USER_TAGGED;
}

bool dms_vaddr_bad_pointer(enum dms_arch arch, unsigned int va_bits, uint64_t value)
{
	struct dms_vaddr a;

	dms_vaddr_classify(arch, va_bits, value, &a);
	return a.kind != DMS_VADDR_USER && a.kind != DMS_VADDR_KERNEL;
}

char *dms_vaddr_describe(enum dms_arch arch, unsigned int va_bits, uint64_t value, char *buf,
			 size_t size)
{
	struct dms_vaddr a;

	if (!size)
		return buf;
	dms_vaddr_classify(arch, va_bits, value, &a);
	switch (a.kind) {
	case DMS_VADDR_USER:
		snprintf(buf, size, "is a user address");
		break;
	case DMS_VADDR_KERNEL:
		snprintf(buf, size, "is a kernel address");
		break;
	case DMS_VADDR_USER_TAGGED:
		// TBI0: the MMU would translate the untagged user address.
		snprintf(buf, size,
			 "is not a kernel address: bit 55 clear (user range) with %#x in its "
			 "top byte (the kernel prints it untagged as 0x%016" PRIx64 ")",
			 a.tag, value & (UINT64_MAX >> 8));
		break;
	case DMS_VADDR_KERNEL_TAGGED:
		snprintf(buf, size,
			 "is not a kernel address: bit 55 set (kernel range) but %#x in its "
			 "top byte, not 0xff",
			 a.tag);
		break;
	case DMS_VADDR_NONCANONICAL:
		if (arch == DMS_ARCH_ARM64)
			snprintf(buf, size,
				 "is not a kernel address: bits 55..%u are not all equal, "
				 "between the user and kernel address ranges (%u-bit VA)",
				 a.va_bits, a.va_bits);
		else
			snprintf(buf, size, "is non-canonical");
		break;
	}
	return buf;
}

bool dms_vaddr_same_untagged(enum dms_arch arch, uint64_t value, uint64_t printed)
{
	if (value == printed)
		return true;
	return arch == DMS_ARCH_ARM64 && ((value ^ printed) & (UINT64_MAX >> 8)) == 0;
}
