// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for lib/insn.c: the faulting instruction, its memory operand, the culprit.
#include <string.h>

#include "insn.h"
#include "test.h"

#define KTEXT 0xffffffff81234560ULL

static struct dms_regs regs_with(enum dms_reg r, uint64_t v)
{
	struct dms_regs regs;

	memset(&regs, 0, sizeof(regs));
	for (int i = 0; i < DMS_NREGS; i++) {
		regs.valid[i] = true;
		regs.r[i] = 0xffff888012345000ULL + 0x100 * i; // canonical direct-map values
	}
	regs.r[r] = v;
	return regs;
}

static void dms_insn_analyze_load_through_packet_bytes(void)
{
	// mov 0x10(%rdx),%rax with %rdx holding IPv4 header bytes (45 00 ...).
	static const uint8_t code[] = { 0x48, 0x8b, 0x42, 0x10 };
	struct dms_regs regs = regs_with(DMS_REG_RDX, 0x004500087d7dca0bULL ^ 0x4000000000000000ULL);
	struct dms_fault_insn fi;

	EXPECT_TRUE(!dms_insn_analyze(code, sizeof(code), KTEXT, &regs, 48, &fi));
	EXPECT_INT(fi.length, 4);
	EXPECT_STR(fi.text, "movq 0x10(%rdx), %rax");
	EXPECT_TRUE(fi.has_mem);
	EXPECT_TRUE(!fi.mem_written);
	EXPECT_INT(fi.base, DMS_REG_RDX);
	EXPECT_INT(fi.index, DMS_REG_NONE);
	EXPECT_INT(fi.disp, 0x10);
	EXPECT_TRUE(fi.ea_known);
	EXPECT_UINT(fi.ea, regs.r[DMS_REG_RDX] + 0x10);
	EXPECT_TRUE(!fi.ea_canonical);
	EXPECT_INT(fi.culprit, DMS_REG_RDX);
}

static void dms_insn_analyze_store_with_index(void)
{
	// mov %rcx,0x8(%rbx,%rsi,8): the index is the bad one.
	static const uint8_t code[] = { 0x48, 0x89, 0x4c, 0xf3, 0x08 };
	struct dms_regs regs = regs_with(DMS_REG_RSI, 0x0800450000540000ULL);
	struct dms_fault_insn fi;

	EXPECT_TRUE(!dms_insn_analyze(code, sizeof(code), KTEXT, &regs, 48, &fi));
	EXPECT_TRUE(fi.has_mem);
	EXPECT_TRUE(fi.mem_written);
	EXPECT_INT(fi.base, DMS_REG_RBX);
	EXPECT_INT(fi.index, DMS_REG_RSI);
	EXPECT_INT(fi.scale, 8);
	EXPECT_INT(fi.culprit, DMS_REG_RSI);
}

static void dms_insn_analyze_canonical_address(void)
{
	// cmp %rdi,0x18(%rax): a canonical address faults for other reasons (unmapped).
	static const uint8_t code[] = { 0x48, 0x39, 0x78, 0x18 };
	struct dms_regs regs = regs_with(DMS_REG_RAX, 0xffff888000001000ULL);
	struct dms_fault_insn fi;

	EXPECT_TRUE(!dms_insn_analyze(code, sizeof(code), KTEXT, &regs, 48, &fi));
	EXPECT_TRUE(fi.ea_known);
	EXPECT_TRUE(fi.ea_canonical);
	EXPECT_INT(fi.culprit, DMS_REG_NONE);
}

static void dms_insn_analyze_lea_is_not_an_access(void)
{
	// lea 0x10(%rdx),%rax does not touch memory.
	static const uint8_t code[] = { 0x48, 0x8d, 0x42, 0x10 };
	struct dms_regs regs = regs_with(DMS_REG_RDX, 0x1122334455667788ULL);
	struct dms_fault_insn fi;

	EXPECT_TRUE(!dms_insn_analyze(code, sizeof(code), KTEXT, &regs, 48, &fi));
	EXPECT_INT(fi.length, 4);
	EXPECT_TRUE(!fi.has_mem);
}

static void dms_insn_analyze_rip_relative(void)
{
	// mov 0x100(%rip),%rax: address from RIP, never a culprit register.
	static const uint8_t code[] = { 0x48, 0x8b, 0x05, 0x00, 0x01, 0x00, 0x00 };
	struct dms_regs regs = regs_with(DMS_REG_RAX, 0);
	struct dms_fault_insn fi;

	EXPECT_TRUE(!dms_insn_analyze(code, sizeof(code), KTEXT, &regs, 48, &fi));
	EXPECT_INT(fi.base, DMS_REG_NONE);
	EXPECT_UINT(fi.ea, KTEXT + 7 + 0x100);
	EXPECT_TRUE(fi.ea_canonical);
}

static void dms_insn_analyze_unknown_register(void)
{
	static const uint8_t code[] = { 0x48, 0x8b, 0x42, 0x10 };
	struct dms_regs regs = regs_with(DMS_REG_RDX, 0);
	struct dms_fault_insn fi;

	regs.valid[DMS_REG_RDX] = false;
	EXPECT_TRUE(!dms_insn_analyze(code, sizeof(code), KTEXT, &regs, 48, &fi));
	EXPECT_TRUE(fi.has_mem);
	EXPECT_TRUE(!fi.ea_known);
	EXPECT_INT(fi.culprit, DMS_REG_NONE);
}

static void dms_insn_analyze_no_code_bad_rip(void)
{
	struct dms_fault_insn fi;

	EXPECT_TRUE(!dms_insn_analyze(NULL, 0, 0xad62ec65400ddcaaULL, NULL, 48, &fi));
	EXPECT_INT(fi.length, 0);
	EXPECT_INT(fi.culprit, DMS_REG_RIP);
}

static void dms_insn_analyze_garbage_bytes(void)
{
	static const uint8_t code[] = { 0x0f, 0xff };
	struct dms_fault_insn fi;

	EXPECT_TRUE(!dms_insn_analyze(code, sizeof(code), KTEXT, NULL, 48, &fi));
	EXPECT_TRUE(!fi.has_mem);
}

static void dms_addr_canonical_widths(void)
{
	EXPECT_TRUE(dms_addr_canonical(0x00007fffffffffffULL, 48));
	EXPECT_TRUE(dms_addr_canonical(0xffff800000000000ULL, 48));
	EXPECT_TRUE(!dms_addr_canonical(0x0000800000000000ULL, 48));
	EXPECT_TRUE(!dms_addr_canonical(0x4500087d7dca0b00ULL, 48));
	EXPECT_TRUE(dms_addr_canonical(0x00ffffffffffffffULL, 57));
	EXPECT_TRUE(!dms_addr_canonical(0x0100000000000000ULL, 57));
	EXPECT_TRUE(dms_addr_canonical(0, 0)); // bad width falls back to 48
}

static void dms_oops_code_parse_marked_byte(void)
{
	const char *line = "[   12.376363] Code: 48 85 c0 75 05 eb 59 48 89 c8 <48> 39 78 18 73 04";
	uint8_t buf[64];
	int idx;
	size_t n = dms_oops_code_parse(line, buf, sizeof(buf), &idx);

	EXPECT_INT(n, 16);
	EXPECT_INT(idx, 10);
	EXPECT_UINT(buf[idx], 0x48);
	EXPECT_UINT(buf[idx + 1], 0x39);
}

static void dms_oops_code_parse_unable(void)
{
	uint8_t buf[8];
	int idx;

	EXPECT_INT(dms_oops_code_parse("Code: Unable to access opcode bytes at 0xad62ec65400ddc80.",
				       buf, sizeof(buf), &idx), 0);
	EXPECT_INT(idx, -1);
	EXPECT_INT(dms_oops_code_parse("no code here", buf, sizeof(buf), &idx), 0);
}

static void dms_oops_code_parse_bounded(void)
{
	uint8_t buf[3];
	int idx;

	EXPECT_INT(dms_oops_code_parse("Code: 01 02 03 04 <05>", buf, sizeof(buf), &idx), 3);
	EXPECT_INT(idx, -1);
}

static void dms_insn_find_load_mov_from_memory(void)
{
	// Code bytes as an oops prints them, starting mid-instruction:
	//   mov %rdi,0x18(%rax); mov -0x20(%rax),%rdx; lea 0x10(%rax),%rcx; <cmp 0x68(%rdx),%r8>
	static const uint8_t code[] = { 0x8b, 0x42, 0x10, 0x48, 0x89, 0x78, 0x18, 0x48, 0x8b, 0x50,
					0xe0, 0x48, 0x8d, 0x48, 0x10, 0x4c, 0x3b, 0x42, 0x68 };
	struct dms_regs regs = regs_with(DMS_REG_RDX, 0x7f13e8a32b7937a7ULL);
	struct dms_load_site ls;
	uint64_t rip = KTEXT + 0x40;

	EXPECT_TRUE(!dms_insn_find_load(code, 15, rip, DMS_REG_RDX, &regs, &ls));
	EXPECT_TRUE(ls.found);
	EXPECT_STR(ls.text, "movq -0x20(%rax), %rdx");
	EXPECT_UINT(ls.address, rip - 8);
	EXPECT_TRUE(ls.ea_known);
	EXPECT_UINT(ls.ea, regs.r[DMS_REG_RAX] - 0x20);
}

static void dms_insn_find_load_base_clobbered(void)
{
	// mov (%rax),%rax: the base is overwritten by the load itself.
	static const uint8_t code[] = { 0x48, 0x8b, 0x00, 0x48, 0x8b, 0x10 };
	struct dms_regs regs = regs_with(DMS_REG_RAX, 0x3d636e79732e6264ULL);
	struct dms_load_site ls;

	EXPECT_TRUE(!dms_insn_find_load(code, 3, KTEXT + 3, DMS_REG_RAX, &regs, &ls));
	EXPECT_TRUE(ls.found);
	EXPECT_TRUE(!ls.ea_known);
}

static void dms_insn_find_load_computed_register(void)
{
	// lea 0x8(%rbx),%rdx: computed, not loaded.
	static const uint8_t code[] = { 0x48, 0x8d, 0x53, 0x08, 0x48, 0x8b, 0x02 };
	struct dms_regs regs = regs_with(DMS_REG_RDX, 1);
	struct dms_load_site ls;

	EXPECT_TRUE(!dms_insn_find_load(code, 4, KTEXT + 4, DMS_REG_RDX, &regs, &ls));
	EXPECT_TRUE(!ls.found);
	EXPECT_TRUE(!dms_insn_find_load(NULL, 0, KTEXT, DMS_REG_RDX, &regs, &ls));
	EXPECT_TRUE(!ls.found);
}

const struct dms_test insn_tests[] = {
	TEST_ENTRY(dms_insn_find_load_mov_from_memory),
	TEST_ENTRY(dms_insn_find_load_base_clobbered),
	TEST_ENTRY(dms_insn_find_load_computed_register),
	TEST_ENTRY(dms_insn_analyze_load_through_packet_bytes),
	TEST_ENTRY(dms_insn_analyze_store_with_index),
	TEST_ENTRY(dms_insn_analyze_canonical_address),
	TEST_ENTRY(dms_insn_analyze_lea_is_not_an_access),
	TEST_ENTRY(dms_insn_analyze_rip_relative),
	TEST_ENTRY(dms_insn_analyze_unknown_register),
	TEST_ENTRY(dms_insn_analyze_no_code_bad_rip),
	TEST_ENTRY(dms_insn_analyze_garbage_bytes),
	TEST_ENTRY(dms_addr_canonical_widths),
	TEST_ENTRY(dms_oops_code_parse_marked_byte),
	TEST_ENTRY(dms_oops_code_parse_unable),
	TEST_ENTRY(dms_oops_code_parse_bounded),
	{ 0 },
};
