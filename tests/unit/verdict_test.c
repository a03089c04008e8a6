// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for lib/verdict.c: the verdict from synthetic facts (lib/facts.h).
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "verdict.h"

static const uint8_t NIC_MAC[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t OTHER_MAC[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };

static struct dms_vnetdev nic(void)
{
	struct dms_vnetdev n = { .name = "eth3",
				 .driver = "ixgbe",
				 .bus_driver = true,
				 .rings_read = true,
				 .up = false };

	memcpy(n.mac, NIC_MAC, 6);
	return n;
}

static struct dms_vframe frame(const char *cache, enum dms_vobj_state state, const uint8_t *mac,
			       uint64_t paddr)
{
	struct dms_vframe f = {
		.paddr = paddr,
		.len = 142,
		.has_l2 = true,
		.ip_csum_ok = true,
		.l4_csum_ok = true,
		.owner = DMS_OWNER_SLAB,
		.obj = 0xffff888000000000ULL + paddr - 0x10,
		.obj_offset = 0x10,
		.obj_size = 200,
		.state = state,
	};

	snprintf(f.cache, sizeof(f.cache), "%s", cache);
	memcpy(f.dst_mac, mac, 6);
	snprintf(f.summary, sizeof(f.summary), "IPv4 UDP 198.18.0.1:9 > 198.18.0.2:9 len 100");
	snprintf(f.flow, sizeof(f.flow), "udp 198.18.0.1:9 > 198.18.0.2:9");
	return f;
}

// Facts from frames and netdevs (the caller deinits them).
static struct dms_facts facts(const struct dms_vframe *fr, size_t n, const struct dms_vnetdev *nd,
			      size_t nn)
{
	struct dms_facts f;

	dms_facts_init(&f);
	f.va_bits = 48;
	f.slub = true;
	for (size_t i = 0; i < n; i++)
		dms_error_destroy(dms_facts_add_frame(&f, &fr[i]));
	for (size_t i = 0; i < nn; i++)
		dms_error_destroy(dms_facts_add_netdev(&f, &nd[i]));
	return f;
}

static void findings(struct dms_facts *f, size_t n, size_t packet)
{
	for (size_t i = 0; i < n; i++) {
		struct dms_ffinding fd = { .code = "FREELIST_OUTSIDE",
					   .cache = "kmalloc-192",
					   .object = 0xffff888001000000ULL + 0xc0 * i,
					   .object_packets = i < packet };
		dms_error_destroy(dms_facts_add_finding(f, &fd));
	}
}

static bool has(const struct dms_vresult *r, enum dms_evidence_kind k)
{
	for (size_t i = 0; i < r->nevidence; i++)
		if (r->evidence[i].kind == k)
			return true;
	return false;
}

static bool noted(const struct dms_vresult *r, const char *text)
{
	for (size_t i = 0; i < r->nnotes; i++)
		if (strstr(r->notes[i], text))
			return true;
	return false;
}

// The oops of tests/unit/oops_test.c: cmpq %rdi, 0x18(%rax) with a non-canonical %rax.
#define BAD_VALUE 0x4aa36f23206fe9e9ULL
static const char gpf_log[] =
	"[   12.375160] general protection fault, probably for non-canonical address "
	"0x4aa36f23206fea01: 0000 [#1] PREEMPT SMP NOPTI\n"
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
	"[   12.376363] Call Trace:\n";

// A log: prefix lines, then the oops.
static void set_log(struct dms_facts *f, const char *prefix, bool oops)
{
	static char buf[32768];

	snprintf(buf, sizeof(buf), "%s%s", prefix ? prefix : "", oops ? gpf_log : "");
	dms_error_destroy(dms_facts_set_log(f, buf, strlen(buf)));
}

// The oops' bad value found in memory at paddr (owner slab).
static void value_at(struct dms_facts *f, uint64_t paddr)
{
	f->panic.searched = true;
	f->panic.searched_value = BAD_VALUE;
	f->panic.nhits = 1;
	f->panic.hits[0] =
		(struct dms_fvalue_hit){ .paddr = paddr,
					 .kvaddr = 0xffff888000000000ULL + paddr,
					 .owner = DMS_OWNER_SLAB,
					 .owner_text = "slab vm_area_struct obj x+0x10" };
}

static void dms_verdict_compute_frames_in_vma_addressed_to_nic(void)
{
	struct dms_vnetdev nd = nic();
	struct dms_vframe fr[3] = {
		frame("vm_area_struct", DMS_VOBJ_LIVE, NIC_MAC, 0x1000040),
		frame("anon_vma_chain", DMS_VOBJ_LIVE, NIC_MAC, 0x2000840),
		frame("kmalloc-2k", DMS_VOBJ_LIVE, NIC_MAC, 0x3000000),
	};
	struct dms_facts f = facts(fr, 3, &nd, 1);
	struct dms_vresult r;

	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "dma-after-free");
	EXPECT_STR(r.netdev, "eth3");
	EXPECT_STR(r.driver, "ixgbe");
	EXPECT_INT(r.frames[DMS_FRAME_INCRIMINATING], 2);
	EXPECT_TRUE(has(&r, DMS_EV_FRAMES_IN_FOREIGN_OBJECTS));
	EXPECT_TRUE(has(&r, DMS_EV_DST_MAC));
	EXPECT_TRUE(has(&r, DMS_EV_LEGIT_PACKETS)); // the kmalloc-2k one
	EXPECT_TRUE(r.score >= 60 && r.score <= 100);
	EXPECT_INT(r.nflows, 1);
	EXPECT_TRUE(strstr(r.evidence[0].text, "vm_area_struct x1") != NULL);
	dms_facts_deinit(&f);
}

static void dms_verdict_compute_packets_only_in_network_buffers(void)
{
	struct dms_vnetdev nd = nic();
	struct dms_vframe fr[3] = {
		frame("kmalloc-2k", DMS_VOBJ_LIVE, NIC_MAC, 0x1000000),
		frame("skbuff_head_cache", DMS_VOBJ_LIVE, NIC_MAC, 0x2000000),
		frame("", DMS_VOBJ_UNKNOWN, NIC_MAC, 0x3000000),
	};
	fr[2].owner = DMS_OWNER_PAGE;
	struct dms_facts f = facts(fr, 3, &nd, 1);
	struct dms_vresult r;

	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "no-corruption-found");
	EXPECT_STR(r.netdev, "");
	EXPECT_TRUE(!has(&r, DMS_EV_FRAMES_IN_FOREIGN_OBJECTS));
	EXPECT_INT(r.frames[DMS_FRAME_BELONGS], 3);
	EXPECT_INT(r.carved, 3);
	dms_facts_deinit(&f);
}

static void dms_verdict_compute_one_number_where_packets_belong(void)
{
	// Frames counted by owner (page_pool, pages, free pages) and frames in packet caches
	// are one class: the FRAMES line and the evidence item print the same number, and
	// the classes sum to the frames carved.
	struct dms_vframe fr[2] = {
		frame("kmalloc-1k", DMS_VOBJ_LIVE, NIC_MAC, 0x1000000),
		frame("vm_area_struct", DMS_VOBJ_FREE, NIC_MAC, 0x2000000),
	};
	struct dms_facts f = facts(fr, 2, NULL, 0);
	struct dms_vresult r;
	char out[4096];

	f.frames_counted[DMS_OWNER_PAGE_POOL] = 300;
	f.frames_counted[DMS_OWNER_BUDDY] = 20;
	f.frames_counted[DMS_OWNER_KIMAGE] = 4;
	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_INT(r.frames[DMS_FRAME_BELONGS], 321);
	EXPECT_INT(r.frames[DMS_FRAME_FREED], 1);
	EXPECT_INT(r.frames[DMS_FRAME_KERNEL_IMAGE], 4);
	EXPECT_INT(r.carved, 326);
	FILE *mem = fmemopen(out, sizeof(out), "w");
	dms_verdict_write_text(mem, &f, &r, false, NULL);
	fclose(mem);
	EXPECT_TRUE(strstr(out, "FRAMES: 326 carved, 0 incriminating, 321 where packets belong, "
				"1 in free non-packet objects, 4 in the kernel image;") != NULL);
	EXPECT_TRUE(strstr(out, "[packets-where-packets-belong] 321 packets where") != NULL);
	dms_facts_deinit(&f);
}

static void dms_verdict_compute_frames_in_freed_objects_only(void)
{
	struct dms_vnetdev nd = nic();
	struct dms_vframe fr = frame("vm_area_struct", DMS_VOBJ_FREE, NIC_MAC, 0x1000000);
	struct dms_facts f = facts(&fr, 1, &nd, 1);
	struct dms_vresult r;

	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "no-corruption-found");
	EXPECT_TRUE(has(&r, DMS_EV_FRAMES_IN_FREED_OBJECTS));
	dms_facts_deinit(&f);
}

static void dms_verdict_compute_software_corruption(void)
{
	struct dms_facts f = facts(NULL, 0, NULL, 0);
	struct dms_vresult r;

	findings(&f, 2, 0);
	set_log(&f, NULL, true);
	value_at(&f, 0x2000010);
	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "slab-corruption-not-dma");
	EXPECT_TRUE(has(&r, DMS_EV_SOFTWARE_CORRUPTION));
	EXPECT_TRUE(has(&r, DMS_EV_PANIC));
	EXPECT_STR(r.netdev, "");
	EXPECT_INT(r.slab_findings, 2);
	EXPECT_INT(r.score, 65);
	for (size_t i = 0; i < r.nevidence; i++)
		if (r.evidence[i].kind == DMS_EV_SOFTWARE_CORRUPTION)
			EXPECT_TRUE(strstr(r.evidence[i].text, "2 slab findings whose bytes") !=
				    NULL);
	dms_facts_deinit(&f);
}

static void dms_verdict_compute_packet_findings_are_not_software(void)
{
	// Slab findings whose bytes are packets belong to the DMA story: the object holds
	// packets, or the damaged bytes lie inside a carved frame.
	struct dms_vnetdev nd = nic();
	struct dms_vframe fr = frame("filp", DMS_VOBJ_LIVE, NIC_MAC, 0x1000000);
	struct dms_facts f = facts(&fr, 1, &nd, 1);
	struct dms_ffinding in_frame = { .code = "FREELIST_OUTSIDE",
					 .cache = "filp",
					 .addr = 0xffff888001000020ULL,
					 .paddr = 0x1000020 };
	struct dms_vresult r;

	findings(&f, 2, 2);
	dms_error_destroy(dms_facts_add_finding(&f, &in_frame));
	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "dma-after-free");
	EXPECT_INT(r.slab_findings, 3);
	EXPECT_INT(r.slab_findings_packet, 3);
	EXPECT_TRUE(!has(&r, DMS_EV_SOFTWARE_CORRUPTION));
	dms_facts_deinit(&f);
}

static void dms_verdict_compute_not_addressed_to_any_nic(void)
{
	struct dms_vnetdev nd = nic();
	struct dms_vframe fr = frame("dentry", DMS_VOBJ_LIVE, OTHER_MAC, 0x1000000);
	struct dms_facts f = facts(&fr, 1, &nd, 1);
	struct dms_vresult r;

	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "inconclusive");
	EXPECT_TRUE(has(&r, DMS_EV_FRAMES_IN_FOREIGN_OBJECTS));
	EXPECT_TRUE(!has(&r, DMS_EV_DST_MAC));
	dms_facts_deinit(&f);
}

static void dms_verdict_compute_zero_mac_names_no_nic(void)
{
	// Loopback's all-zero address names nobody: zeroed bytes are not a destination.
	static const uint8_t zero[6] = { 0 };
	struct dms_vnetdev lo = { .name = "lo" };
	struct dms_vframe fr = frame("dentry", DMS_VOBJ_LIVE, zero, 0x1000000);
	struct dms_facts f = facts(&fr, 1, &lo, 1);
	struct dms_vresult r;

	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "inconclusive");
	EXPECT_STR(r.netdev, "");
	dms_facts_deinit(&f);
}

static void dms_verdict_compute_virtio_header_attributes(void)
{
	struct dms_vframe fr = frame("task_struct", DMS_VOBJ_LIVE, OTHER_MAC, 0x100000c);
	fr.virtio_hdr = true;
	struct dms_facts f = facts(&fr, 1, NULL, 0);
	struct dms_vresult r;

	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "dma-after-free");
	EXPECT_TRUE(has(&r, DMS_EV_DEVICE_FRAMING));
	dms_facts_deinit(&f);
}

static void dms_verdict_compute_ring_slot_names_ring(void)
{
	struct dms_vframe fr = frame("maple_node", DMS_VOBJ_LIVE, OTHER_MAC, 0x1000840);
	struct dms_vslot slot = { .netdev = "eth7",
				  .ring = 2,
				  .slot = 17,
				  .stale = true,
				  .dma = 0x1000800,
				  .paddr = 0x1000800,
				  .len = 2048 };
	struct dms_facts f = facts(&fr, 1, NULL, 0);
	struct dms_vresult r;

	dms_error_destroy(dms_facts_add_slot(&f, &slot));
	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "dma-after-free");
	EXPECT_TRUE(has(&r, DMS_EV_RING_PROVENANCE));
	EXPECT_STR(r.netdev, "eth7");
	EXPECT_INT(r.ring, 2);
	dms_facts_deinit(&f);
}

static void dms_verdict_compute_slot_elsewhere_is_no_provenance(void)
{
	struct dms_vnetdev nd = nic();
	struct dms_vframe fr = frame("maple_node", DMS_VOBJ_LIVE, NIC_MAC, 0x1000840);
	struct dms_vslot slots[2] = {
		{ .netdev = "eth3",
		  .ring = 0,
		  .slot = 1,
		  .dma = 0x5000000,
		  .paddr = 0x5000000,
		  .len = 2048 },
		// An IOVA that was not translated says nothing about physical pages.
		{ .netdev = "eth3", .ring = 0, .slot = 2, .dma = 0x800, .paddr = 0, .len = 0 },
	};
	struct dms_facts f = facts(&fr, 1, &nd, 1);
	struct dms_vresult r;

	dms_error_destroy(dms_facts_add_slot(&f, &slots[0]));
	dms_error_destroy(dms_facts_add_slot(&f, &slots[1]));
	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_TRUE(!has(&r, DMS_EV_RING_PROVENANCE));
	EXPECT_INT(r.ring, -1);
	dms_facts_deinit(&f);
}

static void dms_verdict_compute_bad_checksums_are_not_whole(void)
{
	struct dms_vnetdev nd = nic();
	struct dms_vframe fr = frame("vm_area_struct", DMS_VOBJ_LIVE, NIC_MAC, 0x1000000);
	struct dms_vresult r;

	// The payload was written over after the frame landed: still a received frame.
	fr.l4_csum_ok = false;
	struct dms_facts f = facts(&fr, 1, &nd, 1);
	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "dma-after-free");
	EXPECT_TRUE(strstr(r.evidence[0].text, "0 also with a valid L4 checksum") != NULL);
	dms_facts_deinit(&f);
	// Without a valid IP header it is packet-like data, not a frame.
	fr.ip_csum_ok = false;
	f = facts(&fr, 1, &nd, 1);
	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "inconclusive");
	EXPECT_INT(r.frames[DMS_FRAME_INCRIMINATING], 0);
	EXPECT_INT(r.frames[DMS_FRAME_FOREIGN_PARTIAL], 1);
	dms_facts_deinit(&f);
}

static void dms_verdict_compute_page_table_owner(void)
{
	struct dms_vnetdev nd = nic();
	struct dms_vframe fr = frame("", DMS_VOBJ_UNKNOWN, NIC_MAC, 0x1000000);
	fr.owner = DMS_OWNER_PGTABLE;
	struct dms_facts f = facts(&fr, 1, &nd, 1);
	struct dms_vresult r;

	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "dma-after-free");
	EXPECT_TRUE(strstr(r.evidence[0].text, "page table") != NULL);
	dms_facts_deinit(&f);
}

static void dms_verdict_compute_shared_buffer_offset(void)
{
	struct dms_vnetdev nd = nic();
	struct dms_vframe fr[4];
	struct dms_vresult r;

	for (int i = 0; i < 4; i++)
		fr[i] = frame("filp", DMS_VOBJ_LIVE, NIC_MAC,
			      0x1000000 + 0x800 * (uint64_t)(i * 3) + 0x40);
	struct dms_facts f = facts(fr, 4, &nd, 1);
	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_TRUE(has(&r, DMS_EV_DEVICE_FRAMING));
	dms_facts_deinit(&f);
}

static void dms_verdict_compute_panic_value_in_frame(void)
{
	struct dms_vnetdev nd = nic();
	struct dms_vframe fr = frame("vm_area_struct", DMS_VOBJ_LIVE, NIC_MAC, 0x1000000);
	struct dms_facts f = facts(&fr, 1, &nd, 1);
	struct dms_vresult r;

	set_log(&f, NULL, true);
	value_at(&f, 0x1000020); // inside the frame
	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_TRUE(has(&r, DMS_EV_PANIC));
	EXPECT_TRUE(r.panic.value_in_frame);
	EXPECT_UINT(r.panic.frame_paddr, 0x1000000);
	EXPECT_UINT(r.panic.value, BAD_VALUE);
	EXPECT_STR(r.panic.reg, "rax");
	EXPECT_INT(r.score, 75); // frames 40 + MAC 20 + panic from frame bytes 15
	dms_facts_deinit(&f);
}

static void dms_verdict_compute_panic_value_elsewhere(void)
{
	// The value found in a slab object that holds no frame, twice in memory.
	struct dms_facts f = facts(NULL, 0, NULL, 0);
	struct dms_vresult r;

	set_log(&f, NULL, true);
	value_at(&f, 0x7000010);
	f.panic.hits[1] = (struct dms_fvalue_hit){ .paddr = 0x8000000, .owner = DMS_OWNER_PAGE };
	f.panic.nhits = 2;
	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "inconclusive");
	EXPECT_TRUE(!r.panic.value_in_frame);
	EXPECT_UINT(r.panic.loaded_from, 0xffff888007000010ULL);
	EXPECT_INT(r.score, 5);
	EXPECT_TRUE(noted(&r, "occurs 2 times in memory"));
	// A search for another value says nothing about this one.
	f.panic.searched_value = BAD_VALUE + 8;
	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_UINT(r.panic.loaded_from, 0);
	dms_facts_deinit(&f);
}

static void dms_verdict_compute_nic_log_line(void)
{
	struct dms_vnetdev nd = nic();
	struct dms_vframe fr = frame("vm_area_struct", DMS_VOBJ_LIVE, NIC_MAC, 0x1000000);
	struct dms_facts f = facts(&fr, 1, &nd, 1);
	struct dms_vresult r;

	set_log(&f, "[   24.761472] i40e 0000:07:00.3: VSI seid 399 Rx ring 0 disable timeout\n",
		false);
	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_TRUE(has(&r, DMS_EV_LOG));
	dms_facts_deinit(&f);
}

static void dms_verdict_compute_many_caches_bounded(void)
{
	static struct dms_vframe fr[300];
	struct dms_vnetdev nd = nic();
	struct dms_vresult r;
	char name[32];

	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "cache%d", i);
		fr[i] = frame(name, DMS_VOBJ_LIVE, NIC_MAC, 0x1000000 + 0x1000 * (uint64_t)i);
		snprintf(fr[i].flow, sizeof(fr[i].flow), "udp flow %d", i);
	}
	struct dms_facts f = facts(fr, 300, &nd, 1);
	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_INT(r.frames[DMS_FRAME_INCRIMINATING], 300);
	EXPECT_INT(r.nflows, 4);
	EXPECT_TRUE(r.nevidence <= DMS_VERDICT_MAX_EVIDENCE);
	dms_facts_deinit(&f);
}

static void dms_verdict_compute_empty_input(void)
{
	struct dms_facts f = facts(NULL, 0, NULL, 0);
	struct dms_vresult r;

	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "no-corruption-found");
	struct dms_error *err = dms_verdict_compute(NULL, &r);
	EXPECT_TRUE(err != NULL);
	dms_error_destroy(err);
}

static void dms_verdict_compute_unknown_state_counts(void)
{
	// A broken freelist leaves the object's state unknown: not known free, so it counts.
	struct dms_vnetdev nd = nic();
	struct dms_vframe fr = frame("anon_vma_chain", DMS_VOBJ_UNKNOWN, NIC_MAC, 0x1000000);
	struct dms_facts f = facts(&fr, 1, &nd, 1);
	struct dms_vresult r;

	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "dma-after-free");
	EXPECT_TRUE(strstr(r.evidence[0].text, "1 in slabs whose freelist is broken") != NULL);
	dms_facts_deinit(&f);
}

// The i40e machine logged "Rx ring 0 disable timeout" over and over.  Thirty such lines
// are one signature of one device: one merged evidence item, weighed once, and the
// panic and the software-corruption items keep their places.
static void flood(struct dms_facts *f, size_t n, bool oops)
{
	static char buf[16384];
	size_t off = 0;

	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(
			buf + off, sizeof(buf) - off,
			"[%12.6f] i40e 0000:07:00.3: VSI seid 399 Rx ring 0 disable timeout\n",
			24.76 + (double)i);
	set_log(f, buf, oops);
}

static size_t count_kind(const struct dms_vresult *r, enum dms_evidence_kind k)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nevidence; i++)
		n += r->evidence[i].kind == k;
	return n;
}

static void dms_verdict_compute_log_flood_keeps_panic_and_software(void)
{
	struct dms_facts f = facts(NULL, 0, NULL, 0);
	struct dms_vresult r;

	flood(&f, 30, true);
	findings(&f, 2, 0);
	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "slab-corruption-not-dma");
	EXPECT_INT(count_kind(&r, DMS_EV_PANIC), 1);
	EXPECT_INT(count_kind(&r, DMS_EV_SOFTWARE_CORRUPTION), 1);
	EXPECT_INT(count_kind(&r, DMS_EV_LOG), 1);
	// software corruption 20 + panic 5 + no packet bytes in the damage 40.
	EXPECT_INT(r.score, 65);
	for (size_t i = 0; i < r.nevidence; i++)
		if (r.evidence[i].kind == DMS_EV_LOG)
			EXPECT_TRUE(strstr(r.evidence[i].text, "30 lines") != NULL);
	dms_facts_deinit(&f);
}

static void dms_verdict_compute_log_flood_bad_pointer_is_weak(void)
{
	// Log lines and one bad pointer, nothing found behind it: inconclusive, and the
	// score counts the log once (10) and the panic (5), not thirty times.
	struct dms_facts f = facts(NULL, 0, NULL, 0);
	struct dms_vresult r;

	flood(&f, 30, true);
	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "inconclusive");
	EXPECT_INT(r.score, 15);
	EXPECT_INT(count_kind(&r, DMS_EV_PANIC), 1);
	dms_facts_deinit(&f);
}

static void dms_verdict_compute_log_merged_by_kind_and_device(void)
{
	// Many devices and two kinds, more distinct signatures than the evidence list
	// shows: every kind that bears on the verdict keeps its item.
	struct dms_vnetdev nd = nic();
	struct dms_vframe fr = frame("vm_area_struct", DMS_VOBJ_LIVE, NIC_MAC, 0x1000000);
	struct dms_facts f = facts(&fr, 1, &nd, 1);
	struct dms_vresult r;
	static char buf[16384];
	size_t off = 0;

	for (size_t i = 0; i < 64; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
					i % 2 ? "[ %zu.0] i40e 0000:07:00.%zu: VSI seid 399 Rx "
						"ring 0 disable timeout\n"
					      : "[ %zu.0] NETDEV WATCHDOG: eth%zu (i40e): transmit "
						"queue 0 timed out\n",
					i, i < 4 ? i % 2 + 2 : i);
	set_log(&f, buf, true);
	findings(&f, 1, 0);
	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_STR(dms_verdict_name(r.verdict), "dma-after-free");
	EXPECT_INT(count_kind(&r, DMS_EV_LOG), DMS_VERDICT_MAX_LOG_ITEMS);
	EXPECT_INT(count_kind(&r, DMS_EV_PANIC), 1);
	EXPECT_INT(count_kind(&r, DMS_EV_SOFTWARE_CORRUPTION), 1);
	EXPECT_INT(count_kind(&r, DMS_EV_FRAMES_IN_FOREIGN_OBJECTS), 1);
	EXPECT_INT(count_kind(&r, DMS_EV_DST_MAC), 1);
	// frames 40 + MAC 20 + log 10 (once) + panic 5.
	EXPECT_INT(r.score, 75);
	// The last log item says how many signatures were not listed.
	bool more = false;
	for (size_t i = 0; i < r.nevidence; i++)
		more |= r.evidence[i].kind == DMS_EV_LOG &&
			strstr(r.evidence[i].text, "more NIC") != NULL;
	EXPECT_TRUE(more);
	dms_facts_deinit(&f);
}

static void dms_verdict_compute_page_pool_in_flight(void)
{
	struct dms_facts f = facts(NULL, 0, NULL, 0);
	struct dms_fpool pools[3] = {
		{ .addr = 0xffff888003000000ULL,
		  .pages = 40,
		  .counters = true,
		  .hold = 1064,
		  .release = 1000 },
		{ .addr = 0xffff888003001000ULL,
		  .pages = 8,
		  .counters = true,
		  .hold = 500,
		  .release = 500 },
		// Counters that could not be read say nothing.
		{ .addr = 0xffff888003002000ULL,
		  .pages = 8,
		  .counters = false,
		  .hold = 9,
		  .release = 0 },
	};
	struct dms_vresult r;

	f.has_pools = true;
	for (int i = 0; i < 3; i++)
		dms_error_destroy(dms_facts_add_pool(&f, &pools[i]));
	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_INT(r.nnotes, 1);
	EXPECT_TRUE(noted(&r, "page_pool 0xffff888003000000: 64 pages in flight (hold 1064, "
			      "release 1000), 40 of its pages"));
	EXPECT_STR(dms_verdict_name(r.verdict), "no-corruption-found"); // context, not evidence
	dms_facts_deinit(&f);
}

static void dms_verdict_compute_irq_storm(void)
{
	struct dms_facts f = facts(NULL, 0, NULL, 0);
	struct dms_firq q[3] = { { .irq = 24, .name = "eth1-rx-0", .count = 17195 },
				 { .irq = 57, .name = "sfp-txfault", .count = 2400000 },
				 { .irq = 0, .name = "timer", .count = 118 } };
	struct dms_vresult r;

	f.has_irqs = true;
	for (int i = 0; i < 3; i++)
		dms_error_destroy(dms_facts_add_irq(&f, &q[i]));
	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_TRUE(noted(&r, "IRQ 57 (sfp-txfault) fired 2400000 times, 139x the next busiest "
			      "IRQ: an IRQ storm"));
	// Busy but not ten times the next one: no storm.
	f.irqs[0].count = 400000;
	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_TRUE(!noted(&r, "IRQ storm"));
	dms_facts_deinit(&f);
}

static void dms_verdict_compute_offloads_of_logged_nic(void)
{
	struct dms_vnetdev nd = { .name = "eth0",
				  .driver = "bcmgenet",
				  .bus_driver = true,
				  .rings_read = false,
				  .rings_why = "no ring table entry for driver \"bcmgenet\"",
				  .nfeatures = 3 };
	struct dms_facts f;
	struct dms_vresult r;

	snprintf(nd.features[0].name, sizeof(nd.features[0].name), "rx-csum");
	nd.features[0].on = true;
	snprintf(nd.features[1].name, sizeof(nd.features[1].name), "gro");
	nd.features[1].on = true;
	snprintf(nd.features[2].name, sizeof(nd.features[2].name), "tso");
	f = facts(NULL, 0, &nd, 1);
	set_log(&f, "[  100.1] eth0: hw csum failure\n[  100.2] eth0: hw csum failure\n", false);
	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_TRUE(
		noted(&r, "eth0 (bcmgenet) is in the log (hw-csum-failure); offloads on: rx-csum"));
	// The device's rings could not be read: said, with why.
	EXPECT_TRUE(noted(&r, "eth0 (bcmgenet): RX rings not read (no ring table entry"));
	dms_facts_deinit(&f);
}

static void dms_verdict_compute_gaps_become_notes(void)
{
	struct dms_facts f = facts(NULL, 0, NULL, 0);
	struct dms_vresult r;

	dms_error_destroy(dms_facts_add_gap(&f, "slub", "no kmem_cache list"));
	dms_error_destroy(dms_facts_add_gap(&f, "log", "crash's log command printed nothing"));
	f.frames_unweighed = 7;
	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	EXPECT_TRUE(
		noted(&r, "no SLUB model (no kmem_cache list): objects' allocation state unknown"));
	EXPECT_TRUE(noted(
		&r, "the kernel log could not be read (crash's log command printed nothing)"));
	EXPECT_TRUE(noted(&r, "7 frames in slab memory beyond the first"));
	EXPECT_INT(r.frames[DMS_FRAME_UNWEIGHED], 7);
	dms_facts_deinit(&f);
}

// An arm64 oops (tests/unit/oops_test.c's): registers print without AT&T's %, the value
// is judged by arm64's address rules, the abort says what it was.
static const char arm64_oops[] =
	"[   25.409871] Unable to handle kernel paging request at virtual address "
	"000c3e8b17f2d966\n"
	"[   25.410012] Mem abort info:\n"
	"[   25.410055]   ESR = 0x0000000096000004\n"
	"[   25.410101]   EC = 0x25: DABT (current EL), IL = 32 bits\n"
	"[   25.410224]   FSC = 0x04: level 0 translation fault\n"
	"[   25.410266] Data abort info:\n"
	"[   25.410335]   CM = 0, WnR = 0\n"
	"[   25.410447] Internal error: Oops: 0000000096000004 [#1] SMP\n"
	"[   25.410580] CPU: 0 PID: 412 Comm: labctl Tainted: G           OE      6.1.0-56-arm64 "
	"#1\n"
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
	"[   25.412292] Code: f9400a80 b9402a62 8b020001 dac00c21 (f8626800) \n"
	"[   25.412347] ---[ end trace 0000000000000000 ]---\n";

static void dms_verdict_compute_panic_text_per_arch(void)
{
	struct dms_facts f = facts(NULL, 0, NULL, 0);
	struct dms_vresult r;
	const char *text = NULL;

	f.arch = DMS_ARCH_ARM64;
	f.va_bits = 48;
	dms_error_destroy(dms_facts_set_log(&f, arm64_oops, strlen(arm64_oops)));
	f.panic.has_sym = true;
	snprintf(f.panic.rip_sym, sizeof(f.panic.rip_sym), "kmem_cache_alloc");
	f.panic.sym_addr = 0xffff8000082f4148ULL; // pc - 0x1a8
	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	for (size_t i = 0; i < r.nevidence; i++)
		if (r.evidence[i].kind == DMS_EV_PANIC)
			text = r.evidence[i].text;
	EXPECT_TRUE(text != NULL);
	EXPECT_TRUE(strstr(text, "ldr x0, [x0, x2] at kmem_cache_alloc+0x1a8/0x370 (") != NULL);
	EXPECT_TRUE(strstr(text, "; x0 = 0x5a0c3e8b17f2d946 ") != NULL);
	EXPECT_TRUE(strstr(text, "%x0") == NULL && strstr(text, "non-canonical") == NULL);
	EXPECT_STR(dms_verdict_name(r.verdict), "inconclusive");
	// x86-64: "%rax ... is non-canonical", as before.
	dms_facts_deinit(&f);
	f = facts(NULL, 0, NULL, 0);
	set_log(&f, NULL, true);
	EXPECT_TRUE(!dms_verdict_compute(&f, &r));
	text = NULL;
	for (size_t i = 0; i < r.nevidence; i++)
		if (r.evidence[i].kind == DMS_EV_PANIC)
			text = r.evidence[i].text;
	EXPECT_TRUE(text && strstr(text, "; %rax = 0x4aa36f23206fe9e9 is non-canonical") != NULL);
	dms_facts_deinit(&f);
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

static void dms_cache_holds_packets_names(void)
{
	static const char *const merged[] = { "anon_vma_chain", "kmalloc-64" };

	EXPECT_TRUE(dms_cache_holds_packets("kmalloc-2k", NULL, 0));
	EXPECT_TRUE(dms_cache_holds_packets("kmalloc-cg-512", NULL, 0));
	EXPECT_TRUE(dms_cache_holds_packets("kmalloc-rnd-03-64", NULL, 0));
	EXPECT_TRUE(dms_cache_holds_packets("dma-kmalloc-256", NULL, 0));
	EXPECT_TRUE(dms_cache_holds_packets("skbuff_head_cache", NULL, 0));
	EXPECT_TRUE(dms_cache_holds_packets("skbuff_small_head", NULL, 0));
	EXPECT_TRUE(dms_cache_holds_packets("", NULL, 0));
	EXPECT_TRUE(!dms_cache_holds_packets("vm_area_struct", NULL, 0));
	EXPECT_TRUE(!dms_cache_holds_packets("filp", NULL, 0));
	EXPECT_TRUE(!dms_cache_holds_packets("maple_node", NULL, 0));
	// A cache a packet cache was merged into holds its objects too.
	EXPECT_TRUE(dms_cache_holds_packets("pid", merged, 2));
	EXPECT_TRUE(!dms_cache_holds_packets("pid", merged, 1));
}

const struct dms_test verdict_tests[] = {
	TEST_ENTRY(dms_verdict_compute_frames_in_vma_addressed_to_nic),
	TEST_ENTRY(dms_verdict_compute_packets_only_in_network_buffers),
	TEST_ENTRY(dms_verdict_compute_one_number_where_packets_belong),
	TEST_ENTRY(dms_verdict_compute_frames_in_freed_objects_only),
	TEST_ENTRY(dms_verdict_compute_software_corruption),
	TEST_ENTRY(dms_verdict_compute_packet_findings_are_not_software),
	TEST_ENTRY(dms_verdict_compute_not_addressed_to_any_nic),
	TEST_ENTRY(dms_verdict_compute_zero_mac_names_no_nic),
	TEST_ENTRY(dms_verdict_compute_virtio_header_attributes),
	TEST_ENTRY(dms_verdict_compute_ring_slot_names_ring),
	TEST_ENTRY(dms_verdict_compute_slot_elsewhere_is_no_provenance),
	TEST_ENTRY(dms_verdict_compute_bad_checksums_are_not_whole),
	TEST_ENTRY(dms_verdict_compute_page_table_owner),
	TEST_ENTRY(dms_verdict_compute_shared_buffer_offset),
	TEST_ENTRY(dms_verdict_compute_panic_value_in_frame),
	TEST_ENTRY(dms_verdict_compute_panic_value_elsewhere),
	TEST_ENTRY(dms_verdict_compute_nic_log_line),
	TEST_ENTRY(dms_verdict_compute_many_caches_bounded),
	TEST_ENTRY(dms_verdict_compute_empty_input),
	TEST_ENTRY(dms_verdict_compute_unknown_state_counts),
	TEST_ENTRY(dms_verdict_compute_log_flood_keeps_panic_and_software),
	TEST_ENTRY(dms_verdict_compute_log_flood_bad_pointer_is_weak),
	TEST_ENTRY(dms_verdict_compute_log_merged_by_kind_and_device),
	TEST_ENTRY(dms_verdict_compute_page_pool_in_flight),
	TEST_ENTRY(dms_verdict_compute_irq_storm),
	TEST_ENTRY(dms_verdict_compute_offloads_of_logged_nic),
	TEST_ENTRY(dms_verdict_compute_gaps_become_notes),
	TEST_ENTRY(dms_verdict_compute_panic_text_per_arch),
	TEST_ENTRY(dms_virtio_hdr_plausible_cases),
	TEST_ENTRY(dms_cache_holds_packets_names),
	{ 0 },
};
