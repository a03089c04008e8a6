// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for lib/oops.c: the first oops of a kernel log, in the formats x86-64
// kernels print (6.x with and without symbols, user-mode frames after it, CRLF).
#include <string.h>

#include "oops.h"
#include "test.h"

static const char gpf_log[] =
	"[   11.100000] e1000: eth0 NIC Link is Up 1000 Mbps Full Duplex\n"
	"[   12.375160] general protection fault, probably for non-canonical address 0x4aa36f23206fea01: 0000 [#1] PREEMPT SMP NOPTI\r\n"
	"[   12.375661] CPU: 1 PID: 118 Comm: worker Tainted: G           OE      6.1.0 #1\n"
	"[   12.376195] RIP: 0010:vma_interval_tree_insert_after+0x3f/0xa0\n"
	"[   12.376363] Code: 68 48 c1 e9 0c 49 89 f8 48 8d 7c 11 ff 48 8b 50 30 48 85 d2 74 64 48 39 7a 18 72 58 48 8b 42 10 48 85 c0 75 05 eb 59 48 89 c8 <48> 39 78 18 73 04 48 89 78 18\n"
	"[   12.376363] RSP: 0018:ff5a31dfc0647b40 EFLAGS: 00000202\n"
	"[   12.376363] RAX: 4aa36f23206fe9e9 RBX: ff37402d026fc428 RCX: 0000000000000001\n"
	"[   12.376363] RDX: ff37402d1f842748 RSI: ff37402d026294b0 RDI: 0000000000000000\n"
	"[   12.376363] RBP: ff37402d1f924000 R08: ff37402d1f9062f8 R09: ff37402d1f4dfd88\n"
	"[   12.376363] R10: ff37402d1f4dfd08 R11: 0000000000000000 R12: ff37402d02709b00\n"
	"[   12.376363] R13: ff37402d026294c0 R14: ff37402d02709b70 R15: ff37402d1f9062f8\n"
	"[   12.376363] FS:  000000003b865380(0000) GS:ff37402d12700000(0000) knlGS:0000000000000000\n"
	"[   12.376363] CR2: 000000003b865ca8 CR3: 000000001fe5c000 CR4: 0000000000751ee0\n"
	"[   12.376363] Call Trace:\n"
	"[   12.376363] RIP: 0033:0x43cd53\n"
	"[   12.376363] RAX: ffffffffffffffda RBX: 0000000000000000 RCX: 000000000043cd53\n";

static void dms_oops_parse_gpf_with_registers(void)
{
	struct dms_oops o;

	dms_oops_parse(gpf_log, strlen(gpf_log), &o);
	EXPECT_TRUE(o.found);
	EXPECT_TRUE(strstr(o.headline, "non-canonical address 0x4aa36f23206fea01") != NULL);
	EXPECT_TRUE(strchr(o.headline, '\r') == NULL);
	EXPECT_STR(o.rip_sym, "vma_interval_tree_insert_after+0x3f/0xa0");
	EXPECT_TRUE(!o.user_mode);
	EXPECT_UINT(o.rip, 0);
	EXPECT_UINT(o.regs.r[DMS_REG_RAX], 0x4aa36f23206fe9e9ULL); // not the user frame's RAX
	EXPECT_UINT(o.regs.r[DMS_REG_R15], 0xff37402d1f9062f8ULL);
	EXPECT_UINT(o.regs.r[DMS_REG_RSP], 0xff5a31dfc0647b40ULL);
	EXPECT_TRUE(o.regs.valid[DMS_REG_R8] && o.regs.valid[DMS_REG_RDI]);
	EXPECT_TRUE(o.has_cr2);
	EXPECT_UINT(o.cr2, 0x3b865ca8);
	EXPECT_INT(o.pid, 118);
	EXPECT_STR(o.comm, "worker");
	EXPECT_INT(o.code_rip, 42);
	EXPECT_UINT(o.code[o.code_rip], 0x48);
}

static void dms_oops_parse_feeds_insn_analysis(void)
{
	struct dms_oops o;
	struct dms_fault_insn fi;

	dms_oops_parse(gpf_log, strlen(gpf_log), &o);
	EXPECT_TRUE(o.code_rip >= 0);
	EXPECT_TRUE(!dms_insn_analyze(o.code + o.code_rip, o.code_len - (size_t)o.code_rip,
				      0xffffffff81000000ULL, &o.regs, 48, &fi));
	EXPECT_STR(fi.text, "cmpq %rdi, 0x18(%rax)");
	EXPECT_INT(fi.culprit, DMS_REG_RAX);
	EXPECT_TRUE(!fi.ea_canonical);
}

static void dms_oops_parse_rip_address_and_no_code(void)
{
	static const char log[] =
		"[ 16.3] general protection fault: 0000 [#1] PREEMPT SMP NOPTI\n"
		"[ 16.3] RIP: 0010:0xad62ec65400ddcaa\n"
		"[ 16.3] Code: Unable to access opcode bytes at 0xad62ec65400ddc80.\n"
		"[ 16.3] RAX: ff37bd9adfab7908 RBX: 0000000000000008 RCX: 0000000000100001\n";
	struct dms_oops o;

	dms_oops_parse(log, strlen(log), &o);
	EXPECT_TRUE(o.found);
	EXPECT_UINT(o.rip, 0xad62ec65400ddcaaULL);
	EXPECT_TRUE(o.regs.valid[DMS_REG_RIP]);
	EXPECT_INT(o.code_len, 0);
	EXPECT_UINT(o.regs.r[DMS_REG_RBX], 8);
}

static void dms_oops_parse_orig_rax_not_rax(void)
{
	static const char log[] = "BUG: kernel NULL pointer dereference, address: 0 [#1] SMP\n"
				  "RIP: 0010:f+0x1/0x2\n"
				  "ORIG_RAX: ffffffffffffffff CS: 0010 SS: 0018\n";
	struct dms_oops o;

	dms_oops_parse(log, strlen(log), &o);
	EXPECT_TRUE(o.found);
	EXPECT_TRUE(!o.regs.valid[DMS_REG_RAX]);
}

static void dms_oops_parse_interleaved_cpus(void)
{
	// A second CPU's warning interleaves with the oops, its "Call Trace:" first.
	static const char log[] =
		"[ 19.0] general protection fault, probably for non-canonical address 0xce72912d6a6a0e42: 0000 [#1] SMP\n"
		"[ 19.0] CPU: 1 PID: 551 Comm: a\n"
		"[ 19.0] CPU: 0 PID: 544 Comm: b\n"
		"[ 19.0] RIP: 0010:down_write+0x1c/0x70\n"
		"[ 19.1] Call Trace:\n"
		"[ 19.1] Code: 53 48 89 fb <f0> 48 0f b1 13\n"
		"[ 19.1] RBX: ce72912d6a6a0e42 R15: 0000000000000000\n"
		"[ 19.2] Call Trace:\n"
		"[ 19.2] RBX: 0000000000000001\n";
	struct dms_oops o;
	struct dms_fault_insn fi;

	dms_oops_parse(log, strlen(log), &o);
	EXPECT_TRUE(o.found);
	EXPECT_INT(o.pid, 551);
	EXPECT_UINT(o.regs.r[DMS_REG_RBX], 0xce72912d6a6a0e42ULL);
	EXPECT_TRUE(!dms_insn_analyze(o.code + o.code_rip, o.code_len - (size_t)o.code_rip,
				      0xffffffff81000000ULL, &o.regs, 48, &fi));
	EXPECT_INT(fi.culprit, DMS_REG_RBX);
}

static void dms_oops_parse_no_oops(void)
{
	static const char log[] = "[ 1.0] Linux version 6.1\n[ 2.0] sysrq: Trigger a crash\n";
	struct dms_oops o;

	dms_oops_parse(log, strlen(log), &o);
	EXPECT_TRUE(!o.found);
	dms_oops_parse(NULL, 0, &o);
	EXPECT_TRUE(!o.found);
}

static void dms_oops_parse_bounded_by_len(void)
{
	struct dms_oops o;
	const char *cut = strstr(gpf_log, "RAX:");

	dms_oops_parse(gpf_log, (size_t)(cut - gpf_log), &o);
	EXPECT_TRUE(o.found);
	EXPECT_TRUE(!o.regs.valid[DMS_REG_RAX]);
	EXPECT_TRUE(o.regs.valid[DMS_REG_RSP]);
}

const struct dms_test oops_tests[] = {
	TEST_ENTRY(dms_oops_parse_gpf_with_registers),
	TEST_ENTRY(dms_oops_parse_feeds_insn_analysis),
	TEST_ENTRY(dms_oops_parse_rip_address_and_no_code),
	TEST_ENTRY(dms_oops_parse_orig_rax_not_rax),
	TEST_ENTRY(dms_oops_parse_interleaved_cpus),
	TEST_ENTRY(dms_oops_parse_no_oops),
	TEST_ENTRY(dms_oops_parse_bounded_by_len),
	{ 0 },
};
