// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for lib/vaddr.c: virtual address rules of x86-64 and arm64.
#include <string.h>

#include "test.h"
#include "vaddr.h"

static enum dms_vaddr_kind kind(enum dms_arch arch, unsigned int va_bits, uint64_t v)
{
	struct dms_vaddr a;

	dms_vaddr_classify(arch, va_bits, v, &a);
	return a.kind;
}

static void dms_vaddr_classify_x86_64_canonical(void)
{
	EXPECT_INT(kind(DMS_ARCH_X86_64, 48, 0x00007fffffffffffULL), DMS_VADDR_USER);
	EXPECT_INT(kind(DMS_ARCH_X86_64, 48, 0xffff800000000000ULL), DMS_VADDR_KERNEL);
	EXPECT_INT(kind(DMS_ARCH_X86_64, 48, 0x0000800000000000ULL), DMS_VADDR_NONCANONICAL);
	// The seed's bad pointer: IPv4 header bytes.
	EXPECT_INT(kind(DMS_ARCH_X86_64, 48, 0x004500087d7dca0bULL), DMS_VADDR_NONCANONICAL);
	EXPECT_INT(kind(DMS_ARCH_X86_64, 57, 0x00ffffffffffffffULL), DMS_VADDR_USER);
	EXPECT_INT(kind(DMS_ARCH_X86_64, 57, 0x0100000000000000ULL), DMS_VADDR_NONCANONICAL);
	// x86 has no tags: a top byte is just bits.
	EXPECT_INT(kind(DMS_ARCH_X86_64, 48, 0x45ff800000001000ULL), DMS_VADDR_NONCANONICAL);
	EXPECT_INT(kind(DMS_ARCH_X86_64, 0, 0xffff888000000000ULL), DMS_VADDR_KERNEL); // default 48
}

static void dms_vaddr_classify_arm64_ranges(void)
{
	struct dms_vaddr a;

	// Debian arm64 6.1: 48-bit VA, direct map from 0xffff000000000000, task size 1 << 48.
	EXPECT_INT(kind(DMS_ARCH_ARM64, 48, 0xffff000040000000ULL), DMS_VADDR_KERNEL);
	EXPECT_INT(kind(DMS_ARCH_ARM64, 48, 0x0000ffffffffffffULL), DMS_VADDR_USER);
	EXPECT_INT(kind(DMS_ARCH_ARM64, 48, 0x0001000000000000ULL), DMS_VADDR_NONCANONICAL);
	// The x86 rule would call 0xffff0000... non-canonical at 47 bits: arm64 splits at 48.
	EXPECT_INT(kind(DMS_ARCH_X86_64, 47, 0xffff000040000000ULL), DMS_VADDR_NONCANONICAL);
	// Between the ranges: bit 55 set, bits 54..48 not all set.
	dms_vaddr_classify(DMS_ARCH_ARM64, 48, 0xff80c0a801020304ULL, &a);
	EXPECT_INT(a.kind, DMS_VADDR_NONCANONICAL);
	EXPECT_INT(a.va_bits, 48);
	// 52-bit VA: bits 51..48 belong to the address.
	EXPECT_INT(kind(DMS_ARCH_ARM64, 52, 0xfff0000000000000ULL), DMS_VADDR_KERNEL);
	EXPECT_INT(kind(DMS_ARCH_ARM64, 48, 0xfff0000000000000ULL), DMS_VADDR_NONCANONICAL);
	EXPECT_INT(kind(DMS_ARCH_ARM64, 52, 0xff8f000000000000ULL), DMS_VADDR_NONCANONICAL);
	EXPECT_INT(kind(DMS_ARCH_ARM64, 52, 0x000f000000000000ULL), DMS_VADDR_USER);
	EXPECT_INT(kind(DMS_ARCH_ARM64, 48, 0x000f000000000000ULL), DMS_VADDR_NONCANONICAL);
	// 39-bit VA (other configurations).
	EXPECT_INT(kind(DMS_ARCH_ARM64, 39, 0xffffff8000000000ULL), DMS_VADDR_KERNEL);
	EXPECT_INT(kind(DMS_ARCH_ARM64, 39, 0xffff800000000000ULL), DMS_VADDR_NONCANONICAL);
	EXPECT_INT(kind(DMS_ARCH_ARM64, 39, 0xffffffc000000000ULL), DMS_VADDR_KERNEL);
}

static void dms_vaddr_classify_arm64_top_byte_tags(void)
{
	struct dms_vaddr a;

	// IPv4 header bytes as a pointer: 0x45 in the top byte, bit 55 clear, bits 54..48
	// zero: TBI0 makes it the user address 0x0000087d7dca0b00 with tag 0x45.
	dms_vaddr_classify(DMS_ARCH_ARM64, 48, 0x4500087d7dca0b00ULL, &a);
	EXPECT_INT(a.kind, DMS_VADDR_USER_TAGGED);
	EXPECT_UINT(a.tag, 0x45);
	EXPECT_UINT(a.untagged, 0x0000087d7dca0b00ULL);
	EXPECT_TRUE(dms_vaddr_bad_pointer(DMS_ARCH_ARM64, 48, 0x4500087d7dca0b00ULL));
	// A kernel pointer with a tag (KASAN_SW_TAGS style) in a kernel without tags.
	dms_vaddr_classify(DMS_ARCH_ARM64, 48, 0xf2ff000012345678ULL, &a);
	EXPECT_INT(a.kind, DMS_VADDR_KERNEL_TAGGED);
	EXPECT_UINT(a.tag, 0xf2);
	EXPECT_UINT(a.untagged, 0xffff000012345678ULL);
	// Plain values are not bad pointers: NULL + offset, a kernel address.
	EXPECT_TRUE(!dms_vaddr_bad_pointer(DMS_ARCH_ARM64, 48, 0x10));
	EXPECT_TRUE(!dms_vaddr_bad_pointer(DMS_ARCH_ARM64, 48, 0xffff000003a21e00ULL));
	EXPECT_TRUE(dms_vaddr_bad_pointer(DMS_ARCH_ARM64, 48, 0x0008450000540000ULL));
}

static void dms_vaddr_describe_per_arch(void)
{
	char buf[160];

	EXPECT_STR(dms_vaddr_describe(DMS_ARCH_X86_64, 48, 0x004500087d7dca0bULL, buf, sizeof(buf)),
		   "is non-canonical");
	EXPECT_TRUE(strstr(dms_vaddr_describe(DMS_ARCH_ARM64, 48, 0x4500087d7dca0b00ULL, buf,
					      sizeof(buf)),
			   "0x45 in its top byte") != NULL);
	EXPECT_TRUE(strstr(buf, "untagged as 0x0000087d7dca0b00") != NULL);
	EXPECT_TRUE(strstr(dms_vaddr_describe(DMS_ARCH_ARM64, 48, 0xff80c0a801020304ULL, buf,
					      sizeof(buf)),
			   "between the user and kernel") != NULL);
	// Truncation keeps a terminator.
	dms_vaddr_describe(DMS_ARCH_ARM64, 48, 0xff80c0a801020304ULL, buf, 8);
	EXPECT_INT(strlen(buf), 7);
}

static void dms_vaddr_same_untagged_top_byte(void)
{
	// The kernel printed the fault address with the top byte cleared.
	EXPECT_TRUE(dms_vaddr_same_untagged(DMS_ARCH_ARM64, 0x4500087d7dca0b00ULL,
					    0x0000087d7dca0b00ULL));
	EXPECT_TRUE(!dms_vaddr_same_untagged(DMS_ARCH_X86_64, 0x4500087d7dca0b00ULL,
					     0x0000087d7dca0b00ULL));
	EXPECT_TRUE(!dms_vaddr_same_untagged(DMS_ARCH_ARM64, 0x4500087d7dca0b00ULL,
					     0x0000087d7dca0b08ULL));
	EXPECT_STR(dms_arch_name(DMS_ARCH_ARM64), "arm64");
	EXPECT_STR(dms_arch_name((enum dms_arch)99), "unknown");
}

const struct dms_test vaddr_tests[] = {
	TEST_ENTRY(dms_vaddr_classify_x86_64_canonical),
	TEST_ENTRY(dms_vaddr_classify_arm64_ranges),
	TEST_ENTRY(dms_vaddr_classify_arm64_top_byte_tags),
	TEST_ENTRY(dms_vaddr_describe_per_arch),
	TEST_ENTRY(dms_vaddr_same_untagged_top_byte),
	{ 0 },
};
