// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for lib/verdict.c: the verdict from synthetic facts.
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "verdict.h"

static const uint8_t NIC_MAC[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t OTHER_MAC[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };

static struct dms_vnetdev nic(void)
{
	struct dms_vnetdev n = { .name = "eth3", .driver = "ixgbe", .up = false };

	memcpy(n.mac, NIC_MAC, 6);
	return n;
}

static struct dms_vframe frame(const char *cache, enum dms_vobj_state state, const uint8_t *mac,
			       uint64_t paddr)
{
	struct dms_vframe f = {
		.paddr = paddr,
		.has_l2 = true,
		.ip_csum_ok = true,
		.l4_csum_ok = true,
		.owner = DMS_VOWNER_SLAB,
		.obj = 0xffff888000000000ULL + paddr - 0x10,
		.obj_offset = 0x10,
		.obj_size = 200,
		.state = state,
	};

	snprintf(f.cache, sizeof(f.cache), "%s", cache);
	f.packet_cache = dms_cache_may_hold_packets(cache);
	memcpy(f.dst_mac, mac, 6);
	snprintf(f.summary, sizeof(f.summary), "IPv4 UDP 198.18.0.1:9 > 198.18.0.2:9 len 100");
	snprintf(f.flow, sizeof(f.flow), "udp 198.18.0.1:9 > 198.18.0.2:9");
	return f;
}

static bool has(const struct dms_vresult *r, enum dms_evidence_kind k)
{
	for (size_t i = 0; i < r->nevidence; i++)
		if (r->evidence[i].kind == k)
			return true;
	return false;
}

static void dms_verdict_compute_frames_in_vma_addressed_to_nic(void)
{
	struct dms_vnetdev nd = nic();
	struct dms_vframe f[3] = {
		frame("vm_area_struct", DMS_VOBJ_LIVE, NIC_MAC, 0x1000040),
		frame("anon_vma_chain", DMS_VOBJ_LIVE, NIC_MAC, 0x2000840),
		frame("kmalloc-2k", DMS_VOBJ_LIVE, NIC_MAC, 0x3000000),
	};
	struct dms_vinput in = { .frames = f, .nframes = 3, .netdevs = &nd, .nnetdevs = 1 };
	struct dms_vresult r;

	EXPECT_TRUE(!dms_verdict_compute(&in, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "dma-after-free");
	EXPECT_STR(r.netdev, "eth3");
	EXPECT_STR(r.driver, "ixgbe");
	EXPECT_INT(r.incriminating, 2);
	EXPECT_TRUE(has(&r, DMS_EV_FRAMES_IN_FOREIGN_OBJECTS));
	EXPECT_TRUE(has(&r, DMS_EV_DST_MAC));
	EXPECT_TRUE(has(&r, DMS_EV_LEGIT_PACKETS)); // the kmalloc-2k one
	EXPECT_TRUE(r.score >= 60 && r.score <= 100);
	EXPECT_INT(r.nflows, 1);
	EXPECT_TRUE(strstr(r.evidence[0].text, "vm_area_struct x1") != NULL);
}

static void dms_verdict_compute_packets_only_in_network_buffers(void)
{
	struct dms_vnetdev nd = nic();
	struct dms_vframe f[3] = {
		frame("kmalloc-2k", DMS_VOBJ_LIVE, NIC_MAC, 0x1000000),
		frame("skbuff_head_cache", DMS_VOBJ_LIVE, NIC_MAC, 0x2000000),
		frame("", DMS_VOBJ_UNKNOWN, NIC_MAC, 0x3000000),
	};
	struct dms_vinput in = { .frames = f, .nframes = 3, .netdevs = &nd, .nnetdevs = 1 };
	struct dms_vresult r;

	f[2].owner = DMS_VOWNER_PAGE_FRAG;
	EXPECT_TRUE(!dms_verdict_compute(&in, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "no-corruption-found");
	EXPECT_STR(r.netdev, "");
	EXPECT_TRUE(!has(&r, DMS_EV_FRAMES_IN_FOREIGN_OBJECTS));
}

static void dms_verdict_compute_frames_in_freed_objects_only(void)
{
	struct dms_vnetdev nd = nic();
	struct dms_vframe f = frame("vm_area_struct", DMS_VOBJ_FREE, NIC_MAC, 0x1000000);
	struct dms_vinput in = { .frames = &f, .nframes = 1, .netdevs = &nd, .nnetdevs = 1 };
	struct dms_vresult r;

	EXPECT_TRUE(!dms_verdict_compute(&in, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "no-corruption-found");
	EXPECT_TRUE(has(&r, DMS_EV_FRAMES_IN_FREED_OBJECTS));
}

static void dms_verdict_compute_software_corruption(void)
{
	struct dms_vinput in = { .slab_findings = 2, .objcheck_failures = 1 };
	struct dms_vresult r;

	in.panic.valid = true;
	in.panic.noncanonical = true;
	in.panic.value = 0x3d636e79732e6264ULL;
	snprintf(in.panic.reg, sizeof(in.panic.reg), "rax");
	snprintf(in.panic.insn, sizeof(in.panic.insn), "call *(%%rax)");
	EXPECT_TRUE(!dms_verdict_compute(&in, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "slab-corruption-not-dma");
	EXPECT_TRUE(has(&r, DMS_EV_SOFTWARE_CORRUPTION));
	EXPECT_TRUE(has(&r, DMS_EV_PANIC));
	EXPECT_STR(r.netdev, "");
	EXPECT_TRUE(r.score >= 60);
}

static void dms_verdict_compute_packet_findings_are_not_software(void)
{
	// Slab findings whose bytes are packets belong to the DMA story.
	struct dms_vnetdev nd = nic();
	struct dms_vframe f = frame("filp", DMS_VOBJ_LIVE, NIC_MAC, 0x1000000);
	struct dms_vinput in = { .frames = &f, .nframes = 1, .netdevs = &nd, .nnetdevs = 1,
				 .slab_findings = 3, .slab_findings_packet = 3 };
	struct dms_vresult r;

	EXPECT_TRUE(!dms_verdict_compute(&in, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "dma-after-free");
	EXPECT_TRUE(!has(&r, DMS_EV_SOFTWARE_CORRUPTION));
}

static void dms_verdict_compute_not_addressed_to_any_nic(void)
{
	struct dms_vnetdev nd = nic();
	struct dms_vframe f = frame("dentry", DMS_VOBJ_LIVE, OTHER_MAC, 0x1000000);
	struct dms_vinput in = { .frames = &f, .nframes = 1, .netdevs = &nd, .nnetdevs = 1 };
	struct dms_vresult r;

	EXPECT_TRUE(!dms_verdict_compute(&in, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "inconclusive");
	EXPECT_TRUE(has(&r, DMS_EV_FRAMES_IN_FOREIGN_OBJECTS));
	EXPECT_TRUE(!has(&r, DMS_EV_DST_MAC));
}

static void dms_verdict_compute_virtio_header_attributes(void)
{
	struct dms_vframe f = frame("task_struct", DMS_VOBJ_LIVE, OTHER_MAC, 0x100000c);
	struct dms_vinput in = { .frames = &f, .nframes = 1 };
	struct dms_vresult r;

	f.virtio_hdr = true;
	EXPECT_TRUE(!dms_verdict_compute(&in, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "dma-after-free");
	EXPECT_TRUE(has(&r, DMS_EV_DEVICE_FRAMING));
}

static void dms_verdict_compute_ring_slot_names_ring(void)
{
	struct dms_vframe f = frame("maple_node", DMS_VOBJ_LIVE, OTHER_MAC, 0x1000840);
	struct dms_vslot slot = { .netdev = "eth7", .ring = 2, .slot = 17, .stale = true,
				  .dma = 0x1000800, .paddr = 0x1000800, .len = 2048 };
	struct dms_vinput in = { .frames = &f, .nframes = 1, .slots = &slot, .nslots = 1 };
	struct dms_vresult r;

	EXPECT_TRUE(!dms_verdict_compute(&in, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "dma-after-free");
	EXPECT_TRUE(has(&r, DMS_EV_RING_PROVENANCE));
	EXPECT_STR(r.netdev, "eth7");
	EXPECT_INT(r.ring, 2);
}

static void dms_verdict_compute_slot_elsewhere_is_no_provenance(void)
{
	struct dms_vnetdev nd = nic();
	struct dms_vframe f = frame("maple_node", DMS_VOBJ_LIVE, NIC_MAC, 0x1000840);
	struct dms_vslot slot = { .netdev = "eth3", .ring = 0, .slot = 1, .dma = 0x5000000,
				  .paddr = 0x5000000, .len = 2048 };
	struct dms_vinput in = { .frames = &f, .nframes = 1, .netdevs = &nd, .nnetdevs = 1,
				 .slots = &slot, .nslots = 1 };
	struct dms_vresult r;

	EXPECT_TRUE(!dms_verdict_compute(&in, &r));
	EXPECT_TRUE(!has(&r, DMS_EV_RING_PROVENANCE));
	EXPECT_INT(r.ring, -1);
}

static void dms_verdict_compute_bad_checksums_are_not_whole(void)
{
	struct dms_vnetdev nd = nic();
	struct dms_vframe f = frame("vm_area_struct", DMS_VOBJ_LIVE, NIC_MAC, 0x1000000);
	struct dms_vinput in = { .frames = &f, .nframes = 1, .netdevs = &nd, .nnetdevs = 1 };
	struct dms_vresult r;

	// The payload was written over after the frame landed: still a received frame.
	f.l4_csum_ok = false;
	EXPECT_TRUE(!dms_verdict_compute(&in, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "dma-after-free");
	EXPECT_TRUE(strstr(r.evidence[0].text, "0 also with a valid L4 checksum") != NULL);
	// Without a valid IP header it is packet-like data, not a frame.
	f.ip_csum_ok = false;
	EXPECT_TRUE(!dms_verdict_compute(&in, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "inconclusive");
	EXPECT_INT(r.incriminating, 0);
}

static void dms_verdict_compute_page_table_owner(void)
{
	struct dms_vnetdev nd = nic();
	struct dms_vframe f = frame("", DMS_VOBJ_UNKNOWN, NIC_MAC, 0x1000000);
	struct dms_vinput in = { .frames = &f, .nframes = 1, .netdevs = &nd, .nnetdevs = 1 };
	struct dms_vresult r;

	f.owner = DMS_VOWNER_PGTABLE;
	EXPECT_TRUE(!dms_verdict_compute(&in, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "dma-after-free");
	EXPECT_TRUE(strstr(r.evidence[0].text, "page table") != NULL);
}

static void dms_verdict_compute_shared_buffer_offset(void)
{
	struct dms_vnetdev nd = nic();
	struct dms_vframe f[4];
	struct dms_vinput in = { .frames = f, .nframes = 4, .netdevs = &nd, .nnetdevs = 1 };
	struct dms_vresult r;

	for (int i = 0; i < 4; i++)
		f[i] = frame("filp", DMS_VOBJ_LIVE, NIC_MAC, 0x1000000 + 0x800 * (uint64_t)(i * 3) + 0x40);
	EXPECT_TRUE(!dms_verdict_compute(&in, &r));
	EXPECT_TRUE(has(&r, DMS_EV_DEVICE_FRAMING));
}

static void dms_verdict_compute_panic_value_in_frame(void)
{
	struct dms_vnetdev nd = nic();
	struct dms_vframe f = frame("vm_area_struct", DMS_VOBJ_LIVE, NIC_MAC, 0x1000000);
	struct dms_vinput in = { .frames = &f, .nframes = 1, .netdevs = &nd, .nnetdevs = 1 };
	struct dms_vresult r;

	in.panic = (struct dms_vpanic){ .valid = true, .noncanonical = true, .value_in_frame = true,
					.value = 0x004500087d7dca0bULL, .frame_paddr = 0x1000000,
					.loaded_from = 0xffff888001000010ULL };
	snprintf(in.panic.reg, sizeof(in.panic.reg), "rax");
	snprintf(in.panic.loaded_from_owner, sizeof(in.panic.loaded_from_owner),
		 "vm_area_struct +0x10 (live)");
	EXPECT_TRUE(!dms_verdict_compute(&in, &r));
	EXPECT_TRUE(has(&r, DMS_EV_PANIC));
	EXPECT_TRUE(r.score >= 75);
}

static void dms_verdict_compute_nic_log_line(void)
{
	struct dms_vlog log = { .kind = "rx-ring-disable-timeout", .nic_class = true,
				.driver = "i40e", .line = "i40e 0000:07:00.3: VSI seid 399 Rx ring 0 disable timeout" };
	struct dms_vnetdev nd = nic();
	struct dms_vframe f = frame("vm_area_struct", DMS_VOBJ_LIVE, NIC_MAC, 0x1000000);
	struct dms_vinput in = { .frames = &f, .nframes = 1, .netdevs = &nd, .nnetdevs = 1,
				 .logs = &log, .nlogs = 1 };
	struct dms_vresult r;

	EXPECT_TRUE(!dms_verdict_compute(&in, &r));
	EXPECT_TRUE(has(&r, DMS_EV_LOG));
}

static void dms_verdict_compute_many_caches_bounded(void)
{
	static struct dms_vframe f[300];
	struct dms_vnetdev nd = nic();
	struct dms_vinput in = { .frames = f, .nframes = 300, .netdevs = &nd, .nnetdevs = 1 };
	struct dms_vresult r;
	char name[32];

	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "cache%d", i);
		f[i] = frame(name, DMS_VOBJ_LIVE, NIC_MAC, 0x1000000 + 0x1000 * (uint64_t)i);
		snprintf(f[i].flow, sizeof(f[i].flow), "udp flow %d", i);
	}
	EXPECT_TRUE(!dms_verdict_compute(&in, &r));
	EXPECT_INT(r.incriminating, 300);
	EXPECT_INT(r.nflows, 4);
	EXPECT_TRUE(r.nevidence <= DMS_VERDICT_MAX_EVIDENCE);
}

static void dms_verdict_compute_empty_input(void)
{
	struct dms_vinput in = { 0 };
	struct dms_vresult r;

	EXPECT_TRUE(!dms_verdict_compute(&in, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "no-corruption-found");
	struct dms_error *err = dms_verdict_compute(NULL, &r);
	EXPECT_TRUE(err != NULL);
	dms_error_destroy(err);
}

static void dms_verdict_compute_unknown_state_counts(void)
{
	// A broken freelist leaves the object's state unknown: not known free, so it counts.
	struct dms_vnetdev nd = nic();
	struct dms_vframe f = frame("anon_vma_chain", DMS_VOBJ_UNKNOWN, NIC_MAC, 0x1000000);
	struct dms_vinput in = { .frames = &f, .nframes = 1, .netdevs = &nd, .nnetdevs = 1 };
	struct dms_vresult r;

	EXPECT_TRUE(!dms_verdict_compute(&in, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "dma-after-free");
	EXPECT_TRUE(strstr(r.evidence[0].text, "1 in slabs whose freelist is broken") != NULL);
}

// The i40e machine logged "Rx ring 0 disable timeout" over and over.  Thirty such lines
// are one signature of one device: one merged evidence item, weighed once, and the
// panic and the software-corruption items keep their places.
static void flood_logs(struct dms_vlog *logs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		logs[i] = (struct dms_vlog){ .kind = "rx-ring-disable-timeout", .nic_class = true,
					     .driver = "i40e", .device = "0000:07:00.3",
					     .time = 24.76 + (double)i };
		snprintf(logs[i].line, sizeof(logs[i].line),
			 "[%12.6f] i40e 0000:07:00.3: VSI seid 399 Rx ring 0 disable timeout",
			 logs[i].time);
	}
}

static size_t count_kind(const struct dms_vresult *r, enum dms_evidence_kind k)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nevidence; i++)
		n += r->evidence[i].kind == k;
	return n;
}

static void bad_pointer(struct dms_vpanic *p)
{
	*p = (struct dms_vpanic){ .valid = true, .noncanonical = true,
				  .value = 0x3d636e79732e6264ULL };
	snprintf(p->reg, sizeof(p->reg), "rax");
	snprintf(p->insn, sizeof(p->insn), "movq (%%rax), %%rax at acct_collect+0x5b");
}

static void dms_verdict_compute_log_flood_keeps_panic_and_software(void)
{
	static struct dms_vlog logs[30];
	struct dms_vinput in = { .logs = logs, .nlogs = 30, .slab_findings = 2 };
	struct dms_vresult r;

	flood_logs(logs, 30);
	bad_pointer(&in.panic);
	EXPECT_TRUE(!dms_verdict_compute(&in, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "slab-corruption-not-dma");
	EXPECT_INT(count_kind(&r, DMS_EV_PANIC), 1);
	EXPECT_INT(count_kind(&r, DMS_EV_SOFTWARE_CORRUPTION), 1);
	EXPECT_INT(count_kind(&r, DMS_EV_LOG), 1);
	// software corruption 20 + panic 5 + no packet bytes in the damage 40.
	EXPECT_INT(r.score, 65);
	for (size_t i = 0; i < r.nevidence; i++)
		if (r.evidence[i].kind == DMS_EV_LOG)
			EXPECT_TRUE(strstr(r.evidence[i].text, "30 lines") != NULL);
}

static void dms_verdict_compute_log_flood_bad_pointer_is_weak(void)
{
	// Log lines and one bad pointer, nothing found behind it: inconclusive, and the
	// score counts the log once (10) and the panic (5), not thirty times.
	static struct dms_vlog logs[30];
	struct dms_vinput in = { .logs = logs, .nlogs = 30 };
	struct dms_vresult r;

	flood_logs(logs, 30);
	bad_pointer(&in.panic);
	EXPECT_TRUE(!dms_verdict_compute(&in, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "inconclusive");
	EXPECT_INT(r.score, 15);
	EXPECT_INT(count_kind(&r, DMS_EV_PANIC), 1);
}

static void dms_verdict_compute_log_merged_by_kind_and_device(void)
{
	// Two devices, two kinds, and more distinct signatures than the evidence list
	// shows: every kind that bears on the verdict keeps its item.
	static struct dms_vlog logs[64];
	struct dms_vnetdev nd = nic();
	struct dms_vframe f = frame("vm_area_struct", DMS_VOBJ_LIVE, NIC_MAC, 0x1000000);
	struct dms_vinput in = { .frames = &f, .nframes = 1, .netdevs = &nd, .nnetdevs = 1,
				 .logs = logs, .nlogs = 64, .slab_findings = 1 };
	struct dms_vresult r;

	for (size_t i = 0; i < 64; i++) {
		logs[i] = (struct dms_vlog){ .nic_class = true, .driver = "i40e", .time = -1 };
		snprintf(logs[i].kind, sizeof(logs[i].kind), "%s",
			 i % 2 ? "rx-ring-disable-timeout" : "netdev-watchdog");
		snprintf(logs[i].netdev, sizeof(logs[i].netdev), "eth%zu", i < 4 ? i % 2 + 9 : i);
		snprintf(logs[i].line, sizeof(logs[i].line), "line %zu", i);
	}
	bad_pointer(&in.panic);
	EXPECT_TRUE(!dms_verdict_compute(&in, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "dma-after-free");
	EXPECT_TRUE(count_kind(&r, DMS_EV_LOG) <= DMS_VERDICT_MAX_LOG_ITEMS);
	EXPECT_INT(count_kind(&r, DMS_EV_PANIC), 1);
	EXPECT_INT(count_kind(&r, DMS_EV_SOFTWARE_CORRUPTION), 1);
	EXPECT_INT(count_kind(&r, DMS_EV_FRAMES_IN_FOREIGN_OBJECTS), 1);
	EXPECT_INT(count_kind(&r, DMS_EV_DST_MAC), 1);
	// frames 40 + MAC 20 + log 10 (once) + panic 5.
	EXPECT_INT(r.score, 75);
	// The last log item says how many signatures were not listed.
	bool more = false;
	for (size_t i = 0; i < r.nevidence; i++)
		more |= r.evidence[i].kind == DMS_EV_LOG && strstr(r.evidence[i].text, "more") != NULL;
	EXPECT_TRUE(more);
}

static void dms_virtio_hdr_plausible_cases(void)
{
	static const uint8_t rx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	static const uint8_t valid[12] = { 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	static const uint8_t gso[12] = { 1, 1, 54, 0, 0xa8, 5, 34, 0, 16, 0, 3, 0 };
	static const uint8_t eth[12] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56, 0x52, 0x54, 0, 1, 2, 3 };
	static const uint8_t zero[12] = { 0 };

	EXPECT_TRUE(dms_virtio_hdr_plausible(rx));
	EXPECT_TRUE(dms_virtio_hdr_plausible(valid));
	EXPECT_TRUE(dms_virtio_hdr_plausible(gso));
	EXPECT_TRUE(!dms_virtio_hdr_plausible(eth));
	EXPECT_TRUE(!dms_virtio_hdr_plausible(zero)); // num_buffers 0
}

static void dms_cache_may_hold_packets_names(void)
{
	EXPECT_TRUE(dms_cache_may_hold_packets("kmalloc-2k"));
	EXPECT_TRUE(dms_cache_may_hold_packets("kmalloc-cg-512"));
	EXPECT_TRUE(dms_cache_may_hold_packets("skbuff_head_cache"));
	EXPECT_TRUE(!dms_cache_may_hold_packets("vm_area_struct"));
	EXPECT_TRUE(!dms_cache_may_hold_packets("filp"));
	EXPECT_TRUE(!dms_cache_may_hold_packets("maple_node"));
}


static void dms_verdict_compute_panic_text_per_arch(void)
{
	struct dms_vinput in = { 0 };
	struct dms_vresult r;
	const char *text = NULL;

	// arm64: registers without AT&T's %, the arm64 reason instead of "non-canonical".
	in.panic = (struct dms_vpanic){ .valid = true, .noncanonical = true, .arch = DMS_ARCH_ARM64,
					.value = 0x5a0c3e8b17f2d946ULL };
	snprintf(in.panic.reg, sizeof(in.panic.reg), "x0");
	snprintf(in.panic.insn, sizeof(in.panic.insn), "ldr x0, [x0, x2] at kmem_cache_alloc+0x1a8/0x370");
	snprintf(in.panic.why, sizeof(in.panic.why), "is not a kernel address: between the ranges");
	EXPECT_TRUE(!dms_verdict_compute(&in, &r));
	for (size_t i = 0; i < r.nevidence; i++)
		if (r.evidence[i].kind == DMS_EV_PANIC)
			text = r.evidence[i].text;
	EXPECT_TRUE(text != NULL);
	EXPECT_TRUE(strstr(text, "; x0 = 0x5a0c3e8b17f2d946 is not a kernel address") != NULL);
	EXPECT_TRUE(strstr(text, "%x0") == NULL);
	// x86-64 (and callers that set no arch): "%rax ... is non-canonical", as before.
	in.panic.arch = DMS_ARCH_UNKNOWN;
	in.panic.why[0] = '\0';
	snprintf(in.panic.reg, sizeof(in.panic.reg), "rax");
	EXPECT_TRUE(!dms_verdict_compute(&in, &r));
	text = NULL;
	for (size_t i = 0; i < r.nevidence; i++)
		if (r.evidence[i].kind == DMS_EV_PANIC)
			text = r.evidence[i].text;
	EXPECT_TRUE(text && strstr(text, "; %rax = 0x5a0c3e8b17f2d946 is non-canonical") != NULL);
}

const struct dms_test verdict_tests[] = {
	TEST_ENTRY(dms_verdict_compute_frames_in_vma_addressed_to_nic),
	TEST_ENTRY(dms_verdict_compute_packets_only_in_network_buffers),
	TEST_ENTRY(dms_verdict_compute_frames_in_freed_objects_only),
	TEST_ENTRY(dms_verdict_compute_software_corruption),
	TEST_ENTRY(dms_verdict_compute_packet_findings_are_not_software),
	TEST_ENTRY(dms_verdict_compute_not_addressed_to_any_nic),
	TEST_ENTRY(dms_verdict_compute_virtio_header_attributes),
	TEST_ENTRY(dms_verdict_compute_ring_slot_names_ring),
	TEST_ENTRY(dms_verdict_compute_slot_elsewhere_is_no_provenance),
	TEST_ENTRY(dms_verdict_compute_bad_checksums_are_not_whole),
	TEST_ENTRY(dms_verdict_compute_page_table_owner),
	TEST_ENTRY(dms_verdict_compute_shared_buffer_offset),
	TEST_ENTRY(dms_verdict_compute_panic_value_in_frame),
	TEST_ENTRY(dms_verdict_compute_nic_log_line),
	TEST_ENTRY(dms_verdict_compute_many_caches_bounded),
	TEST_ENTRY(dms_verdict_compute_empty_input),
	TEST_ENTRY(dms_verdict_compute_unknown_state_counts),
	TEST_ENTRY(dms_verdict_compute_log_flood_keeps_panic_and_software),
	TEST_ENTRY(dms_verdict_compute_log_flood_bad_pointer_is_weak),
	TEST_ENTRY(dms_verdict_compute_log_merged_by_kind_and_device),
	TEST_ENTRY(dms_virtio_hdr_plausible_cases),
	TEST_ENTRY(dms_cache_may_hold_packets_names),
	TEST_ENTRY(dms_verdict_compute_panic_text_per_arch),
	{ 0 },
};
