// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for lib/oops.c: the first oops of a kernel log, in the formats x86-64
// kernels print (6.x with and without symbols, user-mode frames after it, CRLF), and in the
// formats arm64 kernels print (5.10 and 6.1; pstore records), 32-bit ARM recognised.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oops.h"
#include "test.h"

static const char gpf_log[] =
	"[   11.100000] e1000: eth0 NIC Link is Up 1000 Mbps Full Duplex\n"
	"[   12.375160] general protection fault, probably for non-canonical address "
	"0x4aa36f23206fea01: 0000 [#1] PREEMPT SMP NOPTI\r\n"
	"[   12.375661] CPU: 1 PID: 118 Comm: worker Tainted: G           OE      6.1.0 #1\n"
	"[   12.376195] RIP: 0010:vma_interval_tree_insert_after+0x3f/0xa0\n"
	"[   12.376363] Code: 68 48 c1 e9 0c 49 89 f8 48 8d 7c 11 ff 48 8b 50 30 48 85 d2 74 64 48 "
	"39 7a 18 72 58 48 8b 42 10 48 85 c0 75 05 eb 59 48 89 c8 <48> 39 78 18 73 04 48 89 78 18\n"
	"[   12.376363] RSP: 0018:ff5a31dfc0647b40 EFLAGS: 00000202\n"
	"[   12.376363] RAX: 4aa36f23206fe9e9 RBX: ff37402d026fc428 RCX: 0000000000000001\n"
	"[   12.376363] RDX: ff37402d1f842748 RSI: ff37402d026294b0 RDI: 0000000000000000\n"
	"[   12.376363] RBP: ff37402d1f924000 R08: ff37402d1f9062f8 R09: ff37402d1f4dfd88\n"
	"[   12.376363] R10: ff37402d1f4dfd08 R11: 0000000000000000 R12: ff37402d02709b00\n"
	"[   12.376363] R13: ff37402d026294c0 R14: ff37402d02709b70 R15: ff37402d1f9062f8\n"
	"[   12.376363] FS:  000000003b865380(0000) GS:ff37402d12700000(0000) "
	"knlGS:0000000000000000\n"
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

// A garbled or cut register value is missing, not a shorter number; a RIP offset
// that is not exactly func+0xOFF/0xSIZE gives no address (issue 12: a garbled
// oops must not make dmaf decode another instruction or blame another value).
static void dms_oops_parse_garbled_values_are_invalid(void)
{
	static const char log[] =
		"[   37.441809] general protection fault, probably for non-canonical address "
		"0x7f13e8a32b79380f: 0000 [#1] PREEMPT SMP NOPTI\n"
		"[   37.443164] RIP: 0010:anon_vma_interval_tree_insert+0x4z/0xc0\n"
		"[   37.444120] RAX: ff19e434 RBX: ff19e434c3fcc0d0 RCX: ff19e434c3a4d63g\n"
		"[   37.444284] RDX: 7f13e8a3?b7937a7 RSI: ff19e434c3fcc120 RDI: 00000007fc3aa18f\n"
		"[   37.445164] CR2: 0000000000401c7 CR3: 0000000004890000 CR4: 0000000000751ee0\n";
	struct dms_oops o;

	dms_oops_parse(log, strlen(log), &o);
	EXPECT_TRUE(o.found);
	EXPECT_TRUE(!o.rip_func_ok);
	EXPECT_TRUE(!o.regs.valid[DMS_REG_RAX]);
	EXPECT_TRUE(o.regs.valid[DMS_REG_RBX]);
	EXPECT_TRUE(!o.regs.valid[DMS_REG_RCX]);
	EXPECT_TRUE(!o.regs.valid[DMS_REG_RDX]);
	EXPECT_UINT(o.regs.r[DMS_REG_RSI], 0xff19e434c3fcc120ULL);
	EXPECT_TRUE(!o.has_cr2);
}

static void dms_oops_parse_rip_function_and_offset(void)
{
	struct dms_oops o;

	dms_oops_parse(gpf_log, strlen(gpf_log), &o);
	EXPECT_TRUE(o.rip_func_ok);
	EXPECT_STR(o.rip_func, "vma_interval_tree_insert_after");
	EXPECT_UINT(o.rip_off, 0x3f);
}

static void dms_oops_parse_feeds_insn_analysis(void)
{
	struct dms_oops o;
	struct dms_fault_insn fi;

	dms_oops_parse(gpf_log, strlen(gpf_log), &o);
	EXPECT_TRUE(o.code_rip >= 0);
	EXPECT_TRUE(!dms_insn_analyze(DMS_ARCH_X86_64, o.code + o.code_rip,
				      o.code_len - (size_t)o.code_rip, 0xffffffff81000000ULL,
				      &o.regs, 48, &fi));
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
	static const char log[] = "[ 19.0] general protection fault, probably for non-canonical "
				  "address 0xce72912d6a6a0e42: 0000 [#1] SMP\n"
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
	EXPECT_TRUE(!dms_insn_analyze(DMS_ARCH_X86_64, o.code + o.code_rip,
				      o.code_len - (size_t)o.code_rip, 0xffffffff81000000ULL,
				      &o.regs, 48, &fi));
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

// An arm64 6.1 oops in the format of arch/arm64/mm/fault.c (die_kernel_fault,
// mem_abort_decode, show_pte), kernel/traps.c (__die, dump_kernel_instr) and
// kernel/process.c (__show_regs: three registers a line, "x9 : "), as crash's `log`
// shows it.  The faulting pointer is not in either address range; the kernel printed
// it untagged (bit 55 clear: top byte cleared).
static const char arm64_log[] =
	"[   24.117210] e1000 0000:00:02.0 eth0: NIC Link is Up 1000 Mbps Full Duplex, Flow "
	"Control: RX\n"
	"[   25.409871] Unable to handle kernel paging request at virtual address "
	"000c3e8b17f2d966\n"
	"[   25.410012] Mem abort info:\n"
	"[   25.410055]   ESR = 0x0000000096000004\n"
	"[   25.410101]   EC = 0x25: DABT (current EL), IL = 32 bits\n"
	"[   25.410150]   SET = 0, FnV = 0\n"
	"[   25.410187]   EA = 0, S1PTW = 0\n"
	"[   25.410224]   FSC = 0x04: level 0 translation fault\n"
	"[   25.410266] Data abort info:\n"
	"[   25.410297]   ISV = 0, ISS = 0x00000004\n"
	"[   25.410335]   CM = 0, WnR = 0\n"
	"[   25.410370] [000c3e8b17f2d966] address between user and kernel address ranges\n"
	"[   25.410447] Internal error: Oops: 0000000096000004 [#1] SMP\n"
	"[   25.410503] Modules linked in: e1000 labfault(OE)\n"
	"[   25.410580] CPU: 0 PID: 412 Comm: labctl Tainted: G           OE      6.1.0-56-arm64 "
	"#1  Debian 6.1.192-2\n"
	"[   25.410671] Hardware name: QEMU QEMU Virtual Machine, BIOS 0.0.0 02/06/2015\n"
	"[   25.410733] pstate: 60400005 (nZCv daif +PAN -UAO -TCO -DIT -SSBS BTYPE=--)\n"
	"[   25.410795] pc : kmem_cache_alloc+0x1a8/0x370\n"
	"[   25.410844] lr : kmem_cache_alloc+0x5c/0x370\n"
	"[   25.410888] sp : ffff80000a0b3b20\n"
	"[   25.410921] x29: ffff80000a0b3b20 x28: ffff000003a21e00 x27: 0000000000000000\n"
	"[   25.411004] x26: ffff000002d8c000 x25: ffff800009203000 x24: 0000000000000dc0\n"
	"[   25.411085] x23: ffff8000082f41c4 x22: 0000000000000dc0 x21: ffff00001fdb9e80\n"
	"[   25.411167] x20: ffff00001fdb9e80 x19: ffff000002c01900 x18: 0000000000000000\n"
	"[   25.411248] x17: 0000000000000000 x16: 0000000000000000 x15: 0000ffffd6f9b4f0\n"
	"[   25.411329] x14: 0000000000000000 x13: 0000000000000000 x12: 0000000000000000\n"
	"[   25.411410] x11: 0000000000000000 x10: 0000000000000000 x9 : ffff8000082f4178\n"
	"[   25.411491] x8 : ffff000003b0a000 x7 : 0000000000000000 x6 : 0000000000000000\n"
	"[   25.411572] x5 : 0000000000000000 x4 : 0000000000000000 x3 : 0000000000000000\n"
	"[   25.411652] x2 : 0000000000000020 x1 : 46d9f2178b3e0c5a x0 : 5a0c3e8b17f2d946\n"
	"[   25.411733] Call trace:\n"
	"[   25.411760]  kmem_cache_alloc+0x1a8/0x370\n"
	"[   25.411807]  vm_area_dup+0x2c/0xd0\n"
	"[   25.411848]  dup_mm+0x2a4/0x4d0\n"
	"[   25.411886]  copy_process+0x8f8/0x1530\n"
	"[   25.411927]  kernel_clone+0x9c/0x3f0\n"
	"[   25.411966]  __do_sys_clone+0x70/0xa4\n"
	"[   25.412005]  __arm64_sys_clone+0x28/0x3c\n"
	"[   25.412046]  invoke_syscall+0x78/0x100\n"
	"[   25.412086]  el0_svc_common.constprop.0+0x4c/0xf4\n"
	"[   25.412134]  do_el0_svc+0x34/0xd0\n"
	"[   25.412171]  el0_svc+0x34/0xe0\n"
	"[   25.412207]  el0t_64_sync_handler+0xf4/0x120\n"
	"[   25.412251]  el0t_64_sync+0x18c/0x190\n"
	"[   25.412292] Code: f9400a80 b9402a62 8b020001 dac00c21 (f8626800) \n"
	"[   25.412347] ---[ end trace 0000000000000000 ]---\n"
	"[   25.412391] Kernel panic - not syncing: Oops: Fatal exception\n"
	"[   25.412444] SMP: stopping secondary CPUs\n"
	"[   25.412500] pc : cpu_do_idle+0x10/0x20\n"
	"[   25.412550] x0 : 0000000000000000\n";

static void dms_oops_parse_arm64_paging_request(void)
{
	struct dms_oops o;

	dms_oops_parse(arm64_log, strlen(arm64_log), &o);
	EXPECT_TRUE(o.found);
	EXPECT_INT(o.arch, DMS_ARCH_ARM64);
	EXPECT_STR(o.headline,
		   "Unable to handle kernel paging request at virtual address 000c3e8b17f2d966");
	EXPECT_UINT(o.offset, strstr(arm64_log, "[   25.409871]") - arm64_log);
	EXPECT_STR(o.die_line, "Internal error: Oops: 0000000096000004 [#1] SMP");
	EXPECT_TRUE(o.has_far);
	EXPECT_UINT(o.far, 0x000c3e8b17f2d966ULL);
	EXPECT_TRUE(!o.has_cr2);
	EXPECT_TRUE(o.has_esr);
	EXPECT_UINT(o.esr, 0x96000004);
	EXPECT_TRUE(o.has_fsc && o.has_wnr);
	EXPECT_UINT(o.fsc, 4);
	EXPECT_TRUE(!o.wnr);
	EXPECT_STR(o.rip_sym, "kmem_cache_alloc+0x1a8/0x370");
	EXPECT_STR(o.lr_sym, "kmem_cache_alloc+0x5c/0x370");
	EXPECT_UINT(o.rip, 0);
	EXPECT_TRUE(!o.user_mode);
	EXPECT_INT(o.pid, 412);
	EXPECT_STR(o.comm, "labctl");
	// x0 .. x29 and sp; x30 only as a symbol (lr).
	for (int i = 0; i <= 29; i++)
		EXPECT_TRUE(o.regs.valid[DMS_REG_X(i)]);
	EXPECT_TRUE(!o.regs.valid[DMS_REG_X(30)]);
	EXPECT_UINT(o.regs.r[DMS_REG_X(0)], 0x5a0c3e8b17f2d946ULL); // not the other CPU's x0
	EXPECT_UINT(o.regs.r[DMS_REG_X(9)], 0xffff8000082f4178ULL);
	EXPECT_UINT(o.regs.r[DMS_REG_X(29)], 0xffff80000a0b3b20ULL);
	EXPECT_UINT(o.regs.r[DMS_REG_SP], 0xffff80000a0b3b20ULL);
	EXPECT_TRUE(!o.regs.valid[DMS_REG_RAX]);
	// The Code line after the call trace: five words, the last one faulting.
	EXPECT_INT(o.code_len, 20);
	EXPECT_INT(o.code_rip, 16);
	char buf[96];
	EXPECT_STR(dms_oops_abort_describe(&o, buf, sizeof(buf)),
		   "read, level 0 translation fault, ESR 0x96000004");
}

static void dms_oops_parse_arm64_feeds_insn_analysis(void)
{
	struct dms_oops o;
	struct dms_fault_insn fi;
	struct dms_load_site ls;
	uint64_t pc = 0xffff8000082f42f0ULL; // kmem_cache_alloc+0x1a8, from the vmlinux

	dms_oops_parse_arch(arm64_log, strlen(arm64_log), DMS_ARCH_ARM64, &o);
	EXPECT_TRUE(!dms_insn_analyze(o.arch, o.code + o.code_rip, o.code_len - (size_t)o.code_rip,
				      pc, &o.regs, o.va_bits, &fi));
	EXPECT_STR(fi.text, "ldr x0, [x0, x2]");
	EXPECT_INT(fi.culprit, DMS_REG_X(0));
	EXPECT_UINT(fi.ea, 0x5a0c3e8b17f2d966ULL);
	// The kernel printed the same address with its top byte cleared.
	EXPECT_TRUE(o.has_far && dms_vaddr_same_untagged(DMS_ARCH_ARM64, fi.ea, o.far));
	EXPECT_TRUE(!dms_insn_find_load(o.arch, o.code, (size_t)o.code_rip, pc, fi.culprit, &o.regs,
					&ls));
	EXPECT_TRUE(ls.found);
	EXPECT_STR(ls.text, "ldr x0, [x20, #0x10]");
	EXPECT_UINT(ls.ea, 0xffff00001fdb9e90ULL); // x20 + 0x10: the per-cpu freelist
}

static void dms_oops_parse_arm64_null_and_write(void)
{
	// A NULL dereference by a store, from a pstore dmesg record (<N> levels), 5.10
	// style (ESR printed as 32 bits; registers two to a line with a trailing blank).
	static const char log[] =
		"Oops#1 Part1\n"
		"<1>[  301.220011] Unable to handle kernel NULL pointer dereference at virtual "
		"address 0000000000000018\n"
		"<1>[  301.220020] Mem abort info:\n"
		"<1>[  301.220024]   ESR = 0x96000046\n"
		"<1>[  301.220030]   EC = 0x25: DABT (current EL), IL = 32 bits\n"
		"<1>[  301.220033]   FSC = 0x06: level 2 translation fault\n"
		"<1>[  301.220036] Data abort info:\n"
		"<1>[  301.220039]   CM = 0, WnR = 1\n"
		"<1>[  301.220042] user pgtable: 4k pages, 39-bit VAs, pgdp=0000000046e1c000\n"
		"<1>[  301.220047] [0000000000000018] pgd=0000000000000000, p4d=0000000000000000\n"
		"<0>[  301.220053] Internal error: Oops: 96000046 [#1] PREEMPT SMP\n"
		"<4>[  301.220090] CPU: 3 PID: 1893 Comm: kworker/3:2 Not tainted 5.10.110 #0\n"
		"<4>[  301.220101] pc : mtk_poll_rx+0x2c4/0x9a0\n"
		"<4>[  301.220107] lr : mtk_napi_rx+0x70/0x148\n"
		"<4>[  301.220111] sp : ffffffc011ad3d30\n"
		"<4>[  301.220114] x29: ffffffc011ad3d30 x28: 0000000000000000 \n"
		"<4>[  301.220120] x1 : 0000000000000000 x0 : 0000000000000000 \n"
		"<0>[  301.220130] Code: 9100c3e0 f9401a61 b9000020 aa1303e0 (f9000c1f) \n";
	struct dms_oops o;
	char buf[96];

	dms_oops_parse(log, strlen(log), &o);
	EXPECT_TRUE(o.found);
	EXPECT_INT(o.arch, DMS_ARCH_ARM64);
	EXPECT_UINT(o.far, 0x18);
	EXPECT_UINT(o.esr, 0x96000046);
	EXPECT_INT(o.va_bits, 39);
	EXPECT_STR(o.rip_sym, "mtk_poll_rx+0x2c4/0x9a0");
	EXPECT_UINT(o.regs.r[DMS_REG_X(29)], 0xffffffc011ad3d30ULL);
	EXPECT_TRUE(o.regs.valid[DMS_REG_X(0)] && o.regs.valid[DMS_REG_X(28)]);
	EXPECT_STR(dms_oops_abort_describe(&o, buf, sizeof(buf)),
		   "write, level 2 translation fault, ESR 0x96000046");
	struct dms_fault_insn fi;
	EXPECT_TRUE(!dms_insn_analyze(o.arch, o.code + o.code_rip, 4, 0xffffffc0107a1234ULL,
				      &o.regs, o.va_bits, &fi));
	EXPECT_STR(fi.text, "str xzr, [x0, #0x18]");
	EXPECT_TRUE(fi.mem_written);
	EXPECT_UINT(fi.ea, 0x18);
	EXPECT_INT(fi.culprit, DMS_REG_NONE); // NULL + offset: no bad pointer to chase
}

static void dms_oops_parse_arm64_bug_and_serror(void)
{
	// BUG(): the syndrome is the BRK's; no fault address.
	static const char bug[] = "[  88.1] kernel BUG at mm/slub.c:413!\n"
				  "[  88.1] Internal error: Oops - BUG: 00000000f2000800 [#1] SMP\n"
				  "[  88.1] pc : __slab_free+0x2d4/0x3a0\n";
	// An asynchronous external abort (no [#1]).
	static const char serror[] =
		"[ 912.3] SError Interrupt on CPU2, code 0x00000000bf000002 -- SError\n"
		"[ 912.3] CPU: 2 PID: 0 Comm: swapper/2 Not tainted 6.12.58 #0\n"
		"[ 912.3] pc : mtk_wed_check_wfdma_rx_fill+0x48/0xb0\n"
		"[ 912.3] x2 : 0000000000000001 x1 : ffffffc082a64000 x0 : 0000000000000000\n"
		"[ 912.3] Kernel panic - not syncing: Asynchronous SError Interrupt\n";
	struct dms_oops o;
	char buf[96];
	struct dms_esr e;

	dms_oops_parse(bug, strlen(bug), &o);
	EXPECT_TRUE(o.found);
	EXPECT_INT(o.arch, DMS_ARCH_ARM64);
	EXPECT_STR(o.headline, "Internal error: Oops - BUG: 00000000f2000800 [#1] SMP");
	EXPECT_TRUE(!o.has_far);
	EXPECT_UINT(o.esr, 0xf2000800);
	EXPECT_STR(dms_oops_abort_describe(&o, buf, sizeof(buf)), "BRK (BUG/WARN), ESR 0xf2000800");
	dms_oops_parse(serror, strlen(serror), &o);
	EXPECT_TRUE(o.found);
	EXPECT_INT(o.arch, DMS_ARCH_ARM64);
	EXPECT_STR(o.rip_sym, "mtk_wed_check_wfdma_rx_fill+0x48/0xb0");
	EXPECT_UINT(o.regs.r[DMS_REG_X(1)], 0xffffffc082a64000ULL);
	EXPECT_INT(o.pid, 0);
	dms_esr_decode(0x92000047, &e); // write, level 3 translation fault, lower EL
	EXPECT_TRUE(e.data_abort && e.write);
	EXPECT_INT(e.level, 3);
	EXPECT_STR(e.fsc_name, "translation fault");
	dms_esr_decode(0x8600000f, &e); // instruction abort, level 3 permission fault
	EXPECT_TRUE(e.insn_abort && !e.write);
	EXPECT_STR(e.fsc_name, "permission fault");
	dms_esr_decode(0x96000011, &e);
	EXPECT_STR(e.fsc_name, "synchronous tag check fault (MTE)");
	EXPECT_INT(e.level, -1);
}

static void dms_oops_parse_arch_told_or_other(void)
{
	// 32-bit ARM (a Raspberry Pi 2): recognised, not mistaken for arm64.
	static const char arm[] =
		"[ 1179.3] Unable to handle kernel paging request at virtual address 4500087d\n"
		"[ 1179.3] pgd = 8e6a4000\n"
		"[ 1179.3] Internal error: Oops: 17 [#1] SMP ARM\n"
		"[ 1179.3] pc : [<8068b784>]    lr : [<8068e380>]    psr: 20000113\n"
		"[ 1179.3] Code: e5933000 e3530000 0a000003 e5932010 (e5920000) \n";
	struct dms_oops o;

	dms_oops_parse(arm, strlen(arm), &o);
	EXPECT_TRUE(o.found);
	EXPECT_INT(o.arch, DMS_ARCH_ARM);
	EXPECT_UINT(o.far, 0x4500087d);
	EXPECT_TRUE(!o.has_esr); // an ARM FSR, not an ESR
	EXPECT_INT(o.code_len, 0);
	// The caller's machine type wins over the text: an x86 caller ignores arm64 lines.
	dms_oops_parse_arch(arm64_log, strlen(arm64_log), DMS_ARCH_X86_64, &o);
	EXPECT_TRUE(o.found);
	EXPECT_INT(o.arch, DMS_ARCH_X86_64);
	EXPECT_TRUE(!o.has_far);
	EXPECT_TRUE(!o.regs.valid[DMS_REG_X(0)]);
	// An x86 log stays x86 when detected.
	dms_oops_parse(gpf_log, strlen(gpf_log), &o);
	EXPECT_INT(o.arch, DMS_ARCH_X86_64);
}

static void dms_oops_parse_arm64_bounded(void)
{
	struct dms_oops o;
	// Cut inside the register dump: what is there is parsed, nothing past len.
	const char *cut = strstr(arm64_log, "x2 : ");

	dms_oops_parse(arm64_log, (size_t)(cut - arm64_log) + 3, &o);
	EXPECT_TRUE(o.found);
	EXPECT_TRUE(o.regs.valid[DMS_REG_X(3)]);
	EXPECT_TRUE(!o.regs.valid[DMS_REG_X(2)]);
	EXPECT_INT(o.code_len, 0);
	EXPECT_INT(o.code_rip, -1);
	// A preamble too far from its "[#1]" line is not this oops'.
	char far_log[8192] = "[ 1.0] Unable to handle kernel paging request at virtual address "
			     "0000000000001000\n";
	for (int i = 0; i < 60; i++)
		strcat(far_log, "[ 1.1] unrelated line\n");
	strcat(far_log, "[ 2.0] Internal error: Oops: 0000000096000005 [#1] SMP\n");
	dms_oops_parse(far_log, strlen(far_log), &o);
	EXPECT_TRUE(o.found);
	EXPECT_TRUE(!o.has_far);
	EXPECT_STR(o.headline, "Internal error: Oops: 0000000096000005 [#1] SMP");
	EXPECT_UINT(o.esr, 0x96000005);
}

// Real arm64 oopses: the serial console (CRLF) of the lab's arm64 6.1 dumps, cut from the
// line before "Unable to handle kernel ..." to the end of the panic (tests/data/oops/).
static char *read_fixture(const char *name, size_t *len)
{
	char path[256];
	snprintf(path, sizeof(path), "tests/data/oops/%s", name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = malloc(1 << 16);
	*len = buf ? fread(buf, 1, 1 << 16, f) : 0;
	fclose(f);
	return buf;
}

static void dms_oops_parse_arm64_lab_console_virtio(void)
{
	size_t len;
	char *log = read_fixture("arm64-6.1-virtio-vlan.log", &len);
	struct dms_oops o;
	struct dms_fault_insn fi;
	struct dms_load_site ls;

	if (!log) {
		test_fail(__FILE__, __LINE__,
			  "tests/data/oops/arm64-6.1-virtio-vlan.log unreadable");
		return;
	}
	dms_oops_parse(log, len, &o);
	free(log);
	EXPECT_TRUE(o.found);
	EXPECT_INT(o.arch, DMS_ARCH_ARM64);
	EXPECT_STR(o.headline,
		   "Unable to handle kernel paging request at virtual address ffbf1c372fb97457");
	EXPECT_UINT(o.far, 0xffbf1c372fb97457ULL);
	EXPECT_UINT(o.esr, 0x96000004);
	EXPECT_STR(o.rip_sym, "anon_vma_interval_tree_insert+0x6c/0xe0");
	EXPECT_STR(o.comm, "labctl");
	EXPECT_UINT(o.regs.r[DMS_REG_X(3)], 0xffbf1c372fb973efULL);
	EXPECT_UINT(o.regs.r[DMS_REG_X(29)], 0xffff800008343c70ULL);
	EXPECT_INT(o.code_len, 20);
	EXPECT_TRUE(!dms_insn_analyze(o.arch, o.code + o.code_rip, 4, 0xffff80000834c06cULL,
				      &o.regs, 48, &fi));
	EXPECT_STR(fi.text, "ldr x3, [x3, #0x68]");
	EXPECT_INT(fi.culprit, DMS_REG_X(3));
	// Bit 55 set: the kernel printed the address as the instruction used it.
	EXPECT_UINT(fi.ea, o.far);
	EXPECT_TRUE(!dms_insn_find_load(o.arch, o.code, (size_t)o.code_rip, 0xffff80000834c06cULL,
					fi.culprit, &o.regs, &ls));
	EXPECT_STR(ls.text, "ldr x3, [x3]");
	EXPECT_TRUE(!ls.ea_known); // x3 was its own base
}

static void dms_oops_parse_arm64_lab_console_e1000(void)
{
	size_t len;
	char *log = read_fixture("arm64-6.1-e1000-vma.log", &len);
	struct dms_oops o;
	struct dms_fault_insn fi;
	struct dms_load_site ls;

	if (!log) {
		test_fail(__FILE__, __LINE__, "tests/data/oops/arm64-6.1-e1000-vma.log unreadable");
		return;
	}
	dms_oops_parse_arch(log, len, DMS_ARCH_ARM64, &o);
	free(log);
	EXPECT_TRUE(o.found);
	EXPECT_STR(o.rip_sym, "kmem_cache_alloc_bulk+0xc4/0x304");
	EXPECT_INT(o.code_rip, 16);
	EXPECT_TRUE(!dms_insn_analyze(o.arch, o.code + o.code_rip, 4, 0xffffbb0104d7e6c4ULL,
				      &o.regs, 48, &fi));
	// The hardened freelist: the object (x6) from the per-cpu freelist is no pointer;
	// x1 = swab(x6 + x0) sits beside it in the register dump.
	EXPECT_STR(fi.text, "ldr x0, [x6, x0]");
	EXPECT_INT(fi.culprit, DMS_REG_X(6));
	EXPECT_UINT(fi.ea, 0x6e523e0435681b99ULL);
	EXPECT_UINT(__builtin_bswap64(fi.ea), o.regs.r[DMS_REG_X(1)]);
	// Bit 55 clear: the kernel printed it with the top byte cleared.
	EXPECT_UINT(o.far, 0x00523e0435681b99ULL);
	EXPECT_TRUE(fi.ea != o.far && dms_vaddr_same_untagged(DMS_ARCH_ARM64, fi.ea, o.far));
	// x6 was not loaded in the four instructions the Code: line shows.
	EXPECT_TRUE(!dms_insn_find_load(o.arch, o.code, (size_t)o.code_rip, 0xffffbb0104d7e6c4ULL,
					fi.culprit, &o.regs, &ls));
	EXPECT_TRUE(!ls.found);
}

const struct dms_test oops_tests[] = {
	TEST_ENTRY(dms_oops_parse_gpf_with_registers),
	TEST_ENTRY(dms_oops_parse_garbled_values_are_invalid),
	TEST_ENTRY(dms_oops_parse_rip_function_and_offset),
	TEST_ENTRY(dms_oops_parse_feeds_insn_analysis),
	TEST_ENTRY(dms_oops_parse_rip_address_and_no_code),
	TEST_ENTRY(dms_oops_parse_orig_rax_not_rax),
	TEST_ENTRY(dms_oops_parse_interleaved_cpus),
	TEST_ENTRY(dms_oops_parse_no_oops),
	TEST_ENTRY(dms_oops_parse_bounded_by_len),
	TEST_ENTRY(dms_oops_parse_arm64_paging_request),
	TEST_ENTRY(dms_oops_parse_arm64_feeds_insn_analysis),
	TEST_ENTRY(dms_oops_parse_arm64_null_and_write),
	TEST_ENTRY(dms_oops_parse_arm64_bug_and_serror),
	TEST_ENTRY(dms_oops_parse_arch_told_or_other),
	TEST_ENTRY(dms_oops_parse_arm64_bounded),
	TEST_ENTRY(dms_oops_parse_arm64_lab_console_virtio),
	TEST_ENTRY(dms_oops_parse_arm64_lab_console_e1000),
	{ 0 },
};
