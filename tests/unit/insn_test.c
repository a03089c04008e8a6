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
	struct dms_regs regs =
		regs_with(DMS_REG_RDX, 0x004500087d7dca0bULL ^ 0x4000000000000000ULL);
	struct dms_fault_insn fi;

	EXPECT_TRUE(!dms_insn_analyze(DMS_ARCH_X86_64, code, sizeof(code), KTEXT, &regs, 48, &fi));
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

	EXPECT_TRUE(!dms_insn_analyze(DMS_ARCH_X86_64, code, sizeof(code), KTEXT, &regs, 48, &fi));
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

	EXPECT_TRUE(!dms_insn_analyze(DMS_ARCH_X86_64, code, sizeof(code), KTEXT, &regs, 48, &fi));
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

	EXPECT_TRUE(!dms_insn_analyze(DMS_ARCH_X86_64, code, sizeof(code), KTEXT, &regs, 48, &fi));
	EXPECT_INT(fi.length, 4);
	EXPECT_TRUE(!fi.has_mem);
}

static void dms_insn_analyze_rip_relative(void)
{
	// mov 0x100(%rip),%rax: address from RIP, never a culprit register.
	static const uint8_t code[] = { 0x48, 0x8b, 0x05, 0x00, 0x01, 0x00, 0x00 };
	struct dms_regs regs = regs_with(DMS_REG_RAX, 0);
	struct dms_fault_insn fi;

	EXPECT_TRUE(!dms_insn_analyze(DMS_ARCH_X86_64, code, sizeof(code), KTEXT, &regs, 48, &fi));
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
	EXPECT_TRUE(!dms_insn_analyze(DMS_ARCH_X86_64, code, sizeof(code), KTEXT, &regs, 48, &fi));
	EXPECT_TRUE(fi.has_mem);
	EXPECT_TRUE(!fi.ea_known);
	EXPECT_INT(fi.culprit, DMS_REG_NONE);
}

static void dms_insn_analyze_no_code_bad_rip(void)
{
	struct dms_fault_insn fi;

	EXPECT_TRUE(
		!dms_insn_analyze(DMS_ARCH_X86_64, NULL, 0, 0xad62ec65400ddcaaULL, NULL, 48, &fi));
	EXPECT_INT(fi.length, 0);
	EXPECT_INT(fi.culprit, DMS_REG_RIP);
}

static void dms_insn_analyze_garbage_bytes(void)
{
	static const uint8_t code[] = { 0x0f, 0xff };
	struct dms_fault_insn fi;

	EXPECT_TRUE(!dms_insn_analyze(DMS_ARCH_X86_64, code, sizeof(code), KTEXT, NULL, 48, &fi));
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
				       buf, sizeof(buf), &idx),
		   0);
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

	EXPECT_TRUE(!dms_insn_find_load(DMS_ARCH_X86_64, code, 15, rip, DMS_REG_RDX, &regs, &ls));
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

	EXPECT_TRUE(
		!dms_insn_find_load(DMS_ARCH_X86_64, code, 3, KTEXT + 3, DMS_REG_RAX, &regs, &ls));
	EXPECT_TRUE(ls.found);
	EXPECT_TRUE(!ls.ea_known);
}

static void dms_insn_find_load_computed_register(void)
{
	// lea 0x8(%rbx),%rdx: computed, not loaded.
	static const uint8_t code[] = { 0x48, 0x8d, 0x53, 0x08, 0x48, 0x8b, 0x02 };
	struct dms_regs regs = regs_with(DMS_REG_RDX, 1);
	struct dms_load_site ls;

	EXPECT_TRUE(
		!dms_insn_find_load(DMS_ARCH_X86_64, code, 4, KTEXT + 4, DMS_REG_RDX, &regs, &ls));
	EXPECT_TRUE(!ls.found);
	EXPECT_TRUE(!dms_insn_find_load(DMS_ARCH_X86_64, NULL, 0, KTEXT, DMS_REG_RDX, &regs, &ls));
	EXPECT_TRUE(!ls.found);
}

// ---------------------------------------------------------------- arm64
//
// Words as the kernel's "Code:" line prints them, checked against aarch64-linux-gnu-objdump
// (binutils 2.40); stored little-endian as in memory.

#define A64_TEXT 0xffff800008300000ULL

// Little-endian bytes of words.
static size_t a64_code(const uint32_t *words, size_t n, uint8_t *buf)
{
	for (size_t i = 0; i < n; i++)
		for (int b = 0; b < 4; b++)
			buf[4 * i + (size_t)b] = (uint8_t)(words[i] >> (8 * b));
	return 4 * n;
}

// Plausible arm64 kernel values: x0..x30 and sp in the direct map.
static struct dms_regs a64_regs(void)
{
	struct dms_regs regs;

	memset(&regs, 0, sizeof(regs));
	for (int i = 0; i <= 30; i++) {
		regs.r[DMS_REG_X(i)] = 0xffff000003a21e00ULL + 0x40 * (uint64_t)i;
		regs.valid[DMS_REG_X(i)] = true;
	}
	regs.r[DMS_REG_SP] = 0xffff80000a0b3b20ULL;
	regs.valid[DMS_REG_SP] = true;
	regs.valid[DMS_REG_X(30)] = false; // lr is printed as a symbol
	return regs;
}

static void dms_insn_analyze_arm64_freelist_load(void)
{
	// ldr x0, [x0, x2]: the hardened freelist pointer of the object at x0, read at
	// s->offset (x2); x0 holds bytes that are no pointer (between the ranges).
	static const uint32_t w[] = { 0xf8626800 };
	uint8_t code[4];
	struct dms_regs regs = a64_regs();
	struct dms_fault_insn fi;

	a64_code(w, 1, code);
	regs.r[DMS_REG_X(0)] = 0x5a0c3e8b17f2d946ULL;
	regs.r[DMS_REG_X(2)] = 0x20;
	EXPECT_TRUE(!dms_insn_analyze(DMS_ARCH_ARM64, code, 4, A64_TEXT, &regs, 48, &fi));
	EXPECT_STR(fi.text, "ldr x0, [x0, x2]");
	EXPECT_INT(fi.length, 4);
	EXPECT_TRUE(fi.has_mem);
	EXPECT_TRUE(!fi.mem_written);
	EXPECT_INT(fi.base, DMS_REG_X(0));
	EXPECT_INT(fi.index, DMS_REG_X(2));
	EXPECT_TRUE(fi.ea_known);
	EXPECT_UINT(fi.ea, 0x5a0c3e8b17f2d966ULL);
	EXPECT_TRUE(!fi.ea_canonical);
	EXPECT_INT(fi.culprit, DMS_REG_X(0));
	EXPECT_STR(dms_reg_name(fi.culprit), "x0");
	// The same bytes under the x86-64 rule would be decoded as x86 code: the
	// architecture matters.
	EXPECT_TRUE(!dms_insn_analyze(DMS_ARCH_X86_64, code, 4, A64_TEXT, &regs, 48, &fi));
	EXPECT_TRUE(strcmp(fi.text, "ldr x0, [x0, x2]") != 0);
}

static void dms_insn_analyze_arm64_tagged_pointer_store(void)
{
	// str x1, [x0, #8] with IPv4 bytes in x0: top byte 0x45, a tagged user address.
	static const uint32_t w[] = { 0xf9000401 };
	uint8_t code[4];
	struct dms_regs regs = a64_regs();
	struct dms_fault_insn fi;

	a64_code(w, 1, code);
	regs.r[DMS_REG_X(0)] = 0x4500087d7dca0b00ULL;
	EXPECT_TRUE(!dms_insn_analyze(DMS_ARCH_ARM64, code, 4, A64_TEXT, &regs, 48, &fi));
	EXPECT_STR(fi.text, "str x1, [x0, #8]");
	EXPECT_TRUE(fi.mem_written);
	EXPECT_INT(fi.disp, 8);
	EXPECT_UINT(fi.ea, 0x4500087d7dca0b08ULL);
	EXPECT_INT(fi.culprit, DMS_REG_X(0));
	// A kernel address that faults for another reason names no culprit.
	regs.r[DMS_REG_X(0)] = 0xffff000004000000ULL;
	EXPECT_TRUE(!dms_insn_analyze(DMS_ARCH_ARM64, code, 4, A64_TEXT, &regs, 48, &fi));
	EXPECT_TRUE(fi.ea_canonical);
	EXPECT_INT(fi.culprit, DMS_REG_NONE);
	// So does NULL plus an offset.
	regs.r[DMS_REG_X(0)] = 0;
	EXPECT_TRUE(!dms_insn_analyze(DMS_ARCH_ARM64, code, 4, A64_TEXT, &regs, 48, &fi));
	EXPECT_UINT(fi.ea, 8);
	EXPECT_INT(fi.culprit, DMS_REG_NONE);
}

static void dms_insn_analyze_arm64_bad_index(void)
{
	// ldr x0, [x1, x2, lsl #3]: a good base, an index of packet bytes.
	static const uint32_t w[] = { 0xf8627820, 0xb862d820 };
	uint8_t code[8];
	struct dms_regs regs = a64_regs();
	struct dms_fault_insn fi;

	a64_code(w, 2, code);
	regs.r[DMS_REG_X(2)] = 0x0800450000540000ULL;
	EXPECT_TRUE(!dms_insn_analyze(DMS_ARCH_ARM64, code, 8, A64_TEXT, &regs, 48, &fi));
	EXPECT_STR(fi.text, "ldr x0, [x1, x2, lsl #3]");
	EXPECT_INT(fi.scale, 8);
	EXPECT_UINT(fi.ea, regs.r[DMS_REG_X(1)] + (0x0800450000540000ULL << 3));
	EXPECT_INT(fi.culprit, DMS_REG_X(2));
	// ldr w0, [x1, w2, sxtw #2] with w2 = -1: x1 - 4, a good address.
	regs.r[DMS_REG_X(2)] = 0x00000000ffffffffULL;
	EXPECT_TRUE(!dms_insn_analyze(DMS_ARCH_ARM64, code + 4, 4, A64_TEXT + 4, &regs, 48, &fi));
	EXPECT_STR(fi.text, "ldr w0, [x1, w2, sxtw #2]");
	EXPECT_UINT(fi.ea, regs.r[DMS_REG_X(1)] - 4);
	EXPECT_INT(fi.culprit, DMS_REG_NONE);
}

static void dms_insn_analyze_arm64_lse_atomics(void)
{
	// LSE atomics capstone 4 cannot decode: ldaddal x1, x2, [x0]; casal x0, x1, [x2];
	// stadd w1, [x0]; ldapr x1, [x2] (objdump -march=armv8.3-a).
	static const uint32_t w[] = { 0xf8e10002, 0xc8e0fc41, 0xb821001f, 0xf8bfc041 };
	uint8_t code[16];
	struct dms_regs regs = a64_regs();
	struct dms_fault_insn fi;

	a64_code(w, 4, code);
	regs.r[DMS_REG_X(0)] = 0xce72912d6a6a0e42ULL;
	EXPECT_TRUE(!dms_insn_analyze(DMS_ARCH_ARM64, code, 4, A64_TEXT, &regs, 48, &fi));
	EXPECT_STR(fi.text, "ldaddal x1, x2, [x0]");
	EXPECT_TRUE(fi.has_mem && fi.mem_written);
	EXPECT_INT(fi.culprit, DMS_REG_X(0));
	regs.r[DMS_REG_X(2)] = 0xce72912d6a6a0e42ULL;
	EXPECT_TRUE(!dms_insn_analyze(DMS_ARCH_ARM64, code + 4, 4, A64_TEXT, &regs, 48, &fi));
	EXPECT_STR(fi.text, "casal x0, x1, [x2]");
	EXPECT_INT(fi.culprit, DMS_REG_X(2));
	EXPECT_TRUE(!dms_insn_analyze(DMS_ARCH_ARM64, code + 8, 4, A64_TEXT, &regs, 48, &fi));
	EXPECT_STR(fi.text, "stadd w1, [x0]");
	EXPECT_TRUE(!dms_insn_analyze(DMS_ARCH_ARM64, code + 12, 4, A64_TEXT, &regs, 48, &fi));
	EXPECT_STR(fi.text, "ldapr x1, [x2]");
	EXPECT_TRUE(!fi.mem_written);
	// A word that is neither: "(bad)", no operand.
	static const uint8_t bad[4] = { 0xff, 0xff, 0xff, 0xff };
	EXPECT_TRUE(!dms_insn_analyze(DMS_ARCH_ARM64, bad, 4, A64_TEXT, &regs, 48, &fi));
	EXPECT_STR(fi.text, "(bad)");
	EXPECT_INT(fi.length, 0);
	EXPECT_TRUE(!fi.has_mem);
}

static void dms_insn_analyze_arm64_no_code(void)
{
	struct dms_fault_insn fi;

	// A jump through a pointer of packet bytes: no code at the PC.
	EXPECT_TRUE(
		!dms_insn_analyze(DMS_ARCH_ARM64, NULL, 0, 0x4500087d7dca0b00ULL, NULL, 48, &fi));
	EXPECT_STR(fi.text, "(no code at PC)");
	EXPECT_INT(fi.culprit, DMS_REG_PC);
	// A short buffer is not read past its end.
	static const uint8_t half[2] = { 0x00, 0x68 };
	EXPECT_TRUE(!dms_insn_analyze(DMS_ARCH_ARM64, half, 2, A64_TEXT, NULL, 48, &fi));
	EXPECT_INT(fi.length, 0);
	// 32-bit ARM is recognised but not decoded.
	EXPECT_TRUE(!dms_insn_analyze(DMS_ARCH_ARM, half, 2, 0xc0123456, NULL, 32, &fi));
	EXPECT_STR(fi.text, "(bad)");
}

static void dms_insn_find_load_arm64_freelist(void)
{
	// ldr x0, [x20, #16] (c->freelist); ldr w2, [x19, #40] (s->offset);
	// add x1, x0, x2; rev x1, x1 (swab of the pointer's address); (ldr x0, [x0, x2])
	static const uint32_t w[] = { 0xf9400a80, 0xb9402a62, 0x8b020001, 0xdac00c21, 0xf8626800 };
	uint8_t code[20];
	struct dms_regs regs = a64_regs();
	struct dms_load_site ls;
	uint64_t pc = A64_TEXT + 0x1a8;

	a64_code(w, 5, code);
	regs.r[DMS_REG_X(0)] = 0x5a0c3e8b17f2d946ULL;
	EXPECT_TRUE(!dms_insn_find_load(DMS_ARCH_ARM64, code, 16, pc, DMS_REG_X(0), &regs, &ls));
	EXPECT_TRUE(ls.found);
	EXPECT_STR(ls.text, "ldr x0, [x20, #0x10]");
	EXPECT_UINT(ls.address, pc - 16);
	EXPECT_TRUE(ls.ea_known);
	EXPECT_UINT(ls.ea, regs.r[DMS_REG_X(20)] + 0x10);
	// x1 was computed (rev), not loaded.
	EXPECT_TRUE(!dms_insn_find_load(DMS_ARCH_ARM64, code, 16, pc, DMS_REG_X(1), &regs, &ls));
	EXPECT_TRUE(!ls.found);
	// A window that does not start on a word boundary still decodes whole words.
	EXPECT_TRUE(
		!dms_insn_find_load(DMS_ARCH_ARM64, code + 1, 15, pc, DMS_REG_X(2), &regs, &ls));
	EXPECT_TRUE(ls.found);
	EXPECT_STR(ls.text, "ldr w2, [x19, #0x28]");
}

static void dms_insn_find_load_arm64_pair_and_writeback(void)
{
	// ldp x1, x2, [x3, #16]; (ldr x0, [x2, #8]): x2 is the pair's second half.
	static const uint32_t pair[] = { 0xa9410861, 0xf9400440 };
	// ldr x3, [x20], #8 (post-index: x20 changed since); (ldr x4, [x3, #48])
	static const uint32_t post[] = { 0xf8408683, 0xf9401864 };
	// ldr x1, <literal>; (ldr x0, [x1])
	static const uint32_t lit[] = { 0x58000041, 0xf9400020 };
	uint8_t code[8];
	struct dms_regs regs = a64_regs();
	struct dms_load_site ls;

	a64_code(pair, 2, code);
	EXPECT_TRUE(!dms_insn_find_load(DMS_ARCH_ARM64, code, 4, A64_TEXT + 4, DMS_REG_X(2), &regs,
					&ls));
	EXPECT_TRUE(ls.found);
	EXPECT_STR(ls.text, "ldp x1, x2, [x3, #0x10]");
	EXPECT_TRUE(ls.ea_known);
	EXPECT_UINT(ls.ea, regs.r[DMS_REG_X(3)] + 0x10 + 8);
	a64_code(post, 2, code);
	EXPECT_TRUE(!dms_insn_find_load(DMS_ARCH_ARM64, code, 4, A64_TEXT + 4, DMS_REG_X(3), &regs,
					&ls));
	EXPECT_TRUE(ls.found);
	EXPECT_TRUE(!ls.ea_known);
	a64_code(lit, 2, code);
	EXPECT_TRUE(!dms_insn_find_load(DMS_ARCH_ARM64, code, 4, A64_TEXT + 4, DMS_REG_X(1), &regs,
					&ls));
	EXPECT_TRUE(ls.found);
	EXPECT_TRUE(ls.ea_known);
	EXPECT_UINT(ls.ea, A64_TEXT + 8); // the literal follows the two words
}

static void dms_insn_find_load_arm64_call_clobbers(void)
{
	// ldr x0, [x19]; bl <f>; (ldr x2, [x0]): x0 is the callee's return value.
	static const uint32_t w[] = { 0xf9400260, 0x94000000, 0xf9400002 };
	// ldr x0, [x19]; <undecodable>; (ldr x2, [x0]): anything may have happened.
	static const uint32_t b[] = { 0xf9400260, 0xffffffff, 0xf9400002 };
	uint8_t code[12];
	struct dms_regs regs = a64_regs();
	struct dms_load_site ls;

	a64_code(w, 3, code);
	EXPECT_TRUE(!dms_insn_find_load(DMS_ARCH_ARM64, code, 8, A64_TEXT + 8, DMS_REG_X(0), &regs,
					&ls));
	EXPECT_TRUE(!ls.found);
	a64_code(b, 3, code);
	EXPECT_TRUE(!dms_insn_find_load(DMS_ARCH_ARM64, code, 8, A64_TEXT + 8, DMS_REG_X(0), &regs,
					&ls));
	EXPECT_TRUE(!ls.found);
}

static void dms_oops_code_parse_arm64_words(void)
{
	uint8_t buf[64];
	int idx;
	size_t n = dms_oops_code_parse(
		"[   25.410718] Code: b9402a62 f9405ea1 8b020001 dac00c21 (f8626800) ", buf,
		sizeof(buf), &idx);

	EXPECT_INT(n, 20);
	EXPECT_INT(idx, 16);
	// Little-endian: f8626800 is 00 68 62 f8 in memory.
	EXPECT_UINT(buf[16], 0x00);
	EXPECT_UINT(buf[17], 0x68);
	EXPECT_UINT(buf[18], 0x62);
	EXPECT_UINT(buf[19], 0xf8);
	EXPECT_UINT(buf[0], 0x62);
	// An unreadable word drops the words before it; an unreadable faulting word
	// leaves nothing to decode.
	n = dms_oops_code_parse("Code: b9402a62 ???????? 8b020001 dac00c21 (f8626800)", buf,
				sizeof(buf), &idx);
	EXPECT_INT(n, 12);
	EXPECT_INT(idx, 8);
	n = dms_oops_code_parse("Code: ???????? ???????? ???????? ???????? (???????\?)", buf,
				sizeof(buf), &idx);
	EXPECT_INT(n, 0);
	EXPECT_INT(idx, -1);
	// Too little room for a word: stop, never write past size.
	uint8_t small[6];
	n = dms_oops_code_parse("Code: b9402a62 (f8626800)", small, sizeof(small), &idx);
	EXPECT_INT(n, 4);
	EXPECT_INT(idx, -1);
	// 32-bit Thumb halfwords are not arm64 words.
	n = dms_oops_code_parse("Code: 4b0a 6818 (6859) 4770", buf, sizeof(buf), &idx);
	EXPECT_INT(n, 0);
}

const struct dms_test insn_tests[] = {
	TEST_ENTRY(dms_insn_analyze_arm64_freelist_load),
	TEST_ENTRY(dms_insn_analyze_arm64_tagged_pointer_store),
	TEST_ENTRY(dms_insn_analyze_arm64_bad_index),
	TEST_ENTRY(dms_insn_analyze_arm64_lse_atomics),
	TEST_ENTRY(dms_insn_analyze_arm64_no_code),
	TEST_ENTRY(dms_insn_find_load_arm64_freelist),
	TEST_ENTRY(dms_insn_find_load_arm64_pair_and_writeback),
	TEST_ENTRY(dms_insn_find_load_arm64_call_clobbers),
	TEST_ENTRY(dms_oops_code_parse_arm64_words),
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
