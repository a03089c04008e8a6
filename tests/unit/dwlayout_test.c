// SPDX-License-Identifier: GPL-2.0-or-later
// Tests of lib/dwlayout on the Debian 6.1.0-56 debug modules ($DEBUG_MODULES,
// set by `eval "$(dumps/fetch-debuginfo)"` and by `make check`).  Expected
// values are from a second source: gdb's `ptype/o` on the same files.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dwlayout.h"
#include "test.h"
#include "dwlayout_test.h"

struct dms_error *test_open_modules(const char *names, struct dms_dwlayout **ret)
{
	*ret = NULL;
	const char *dir = getenv("DEBUG_MODULES");
	if (!dir || !*dir)
		return NULL;
	struct dms_dwlayout *dl;
	struct dms_error *err = dms_dwlayout_create(&dl);
	if (err)
		return err;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", names);
	for (char *save, *m = strtok_r(buf, " ", &save); m; m = strtok_r(NULL, " ", &save)) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s.ko", dir, m);
		err = dms_dwlayout_add_file(dl, path);
		if (err) {
			dms_dwlayout_destroy(dl);
			return err;
		}
	}
	*ret = dl;
	return NULL;
}

static void dms_dwlayout_open_missing_file(void)
{
	struct dms_dwlayout *dl = NULL;
	EXPECT_ERR(dms_dwlayout_open("/nonexistent/e1000.ko", &dl), DMS_ERR_IO);
	EXPECT_TRUE(dl == NULL);
}

static void dms_dwlayout_open_not_elf(void)
{
	char path[] = "/tmp/dwlayout-test-XXXXXX";
	int fd = mkstemp(path);
	EXPECT_TRUE(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("not an ELF file at all\n", f);
	fclose(f);
	struct dms_dwlayout *dl = NULL;
	struct dms_error *err = dms_dwlayout_open(path, &dl);
	unlink(path);
	EXPECT_TRUE(err != NULL);
	dms_error_destroy(err);
	EXPECT_TRUE(dl == NULL);
}

static void dms_dwlayout_type_size_module_structs(void)
{
	struct dms_dwlayout *dl;
	OPEN_OR_SKIP("e1000", dl);
	uint64_t a = 0, b = 0, c = 0;
	struct dms_error *err = dms_dwlayout_type_size(dl, "e1000_rx_ring", &a);
	if (!err)
		err = dms_dwlayout_type_size(dl, "struct e1000_rx_buffer", &b);
	if (!err)
		err = dms_dwlayout_type_size(dl, "e1000_rx_desc", &c);
	dms_dwlayout_destroy(dl);
	EXPECT_OK(err);
	EXPECT_INT(a, 56);
	EXPECT_INT(b, 16);
	EXPECT_INT(c, 16);
}

static void dms_dwlayout_type_size_unknown_type(void)
{
	struct dms_dwlayout *dl;
	OPEN_OR_SKIP("e1000", dl);
	uint64_t sz;
	struct dms_error *err = dms_dwlayout_type_size(dl, "no_such_struct_here", &sz);
	int code = err ? (int)err->code : 0;
	bool named = err && strstr(err->message, "no_such_struct_here");
	dms_error_destroy(err);
	dms_dwlayout_destroy(dl);
	EXPECT_INT(code, DMS_ERR_NOT_FOUND);
	EXPECT_TRUE(named);
}

// ET_REL: member names come through relocated DW_FORM_strp; a wrong
// relocation would give wrong names and nothing would resolve.
static void dms_dwlayout_member_relocated_module(void)
{
	struct dms_dwlayout *dl;
	OPEN_OR_SKIP("e1000", dl);
	struct dms_dw_member m;
	struct dms_error *err = dms_dwlayout_member(dl, "e1000_rx_ring", "buffer_info", &m);
	dms_dwlayout_destroy(dl);
	EXPECT_OK(err);
	EXPECT_INT(m.offset, 32);
	EXPECT_INT(m.size, 8);
	EXPECT_INT(m.kind, DMS_DW_POINTER);
	EXPECT_STR(m.type_name, "struct e1000_rx_buffer *");
	EXPECT_STR(m.elem_name, "struct e1000_rx_buffer");
	EXPECT_INT(m.elem_size, 16);
	EXPECT_INT(m.elem_kind, DMS_DW_STRUCT);
}

static void dms_dwlayout_member_union_path(void)
{
	struct dms_dwlayout *dl;
	OPEN_OR_SKIP("e1000", dl);
	struct dms_dw_member data, page, dma;
	struct dms_error *err = dms_dwlayout_member(dl, "e1000_rx_buffer", "rxbuf.data", &data);
	if (!err)
		err = dms_dwlayout_member(dl, "e1000_rx_buffer", "rxbuf.page", &page);
	if (!err)
		err = dms_dwlayout_member(dl, "e1000_rx_buffer", "dma", &dma);
	dms_dwlayout_destroy(dl);
	EXPECT_OK(err);
	EXPECT_INT(data.offset, 0);
	EXPECT_INT(page.offset, 0);
	EXPECT_STR(data.elem_name, "u8");
	EXPECT_INT(data.elem_size, 1);
	EXPECT_STR(page.elem_name, "struct page");
	EXPECT_INT(dma.offset, 8);
	EXPECT_INT(dma.kind, DMS_DW_BASE);
	EXPECT_STR(dma.type_name, "dma_addr_t");
}

// i40e_ring.rx_bi sits in an anonymous union; e1000_buffer.page in an
// anonymous struct inside an anonymous union.
static void dms_dwlayout_member_anonymous_members(void)
{
	struct dms_dwlayout *dl, *dl2;
	OPEN_OR_SKIP("i40e", dl);
	struct dms_dw_member rx_bi, page;
	struct dms_error *err = dms_dwlayout_member(dl, "i40e_ring", "rx_bi", &rx_bi);
	dms_dwlayout_destroy(dl);
	EXPECT_OK(err);
	OPEN_OR_SKIP("e1000e", dl2);
	err = dms_dwlayout_member(dl2, "e1000_buffer", "page", &page);
	dms_dwlayout_destroy(dl2);
	EXPECT_OK(err);
	EXPECT_INT(rx_bi.offset, 40);
	EXPECT_STR(rx_bi.elem_name, "struct i40e_rx_buffer");
	EXPECT_INT(rx_bi.elem_size, 24);
	EXPECT_INT(page.offset, 24);
	EXPECT_INT(page.kind, DMS_DW_POINTER);
}

// Two files: virtio_net's receive_queue and virtio_ring's vring_virtqueue.
static void dms_dwlayout_member_nested_path_two_files(void)
{
	struct dms_dwlayout *dl;
	OPEN_OR_SKIP("virtio_net virtio_ring", dl);
	struct dms_dw_member desc, num, extra, vq;
	uint64_t rq = 0;
	struct dms_error *err =
		dms_dwlayout_member(dl, "vring_virtqueue", "split.vring.desc", &desc);
	if (!err)
		err = dms_dwlayout_member(dl, "vring_virtqueue", "split.vring.num", &num);
	if (!err)
		err = dms_dwlayout_member(dl, "vring_virtqueue", "split.desc_extra", &extra);
	if (!err)
		err = dms_dwlayout_member(dl, "receive_queue", "vq", &vq);
	if (!err)
		err = dms_dwlayout_type_size(dl, "receive_queue", &rq);
	dms_dwlayout_destroy(dl);
	EXPECT_OK(err);
	EXPECT_INT(desc.offset, 104);
	// vring_desc_t is a typedef: the element is named by its struct.
	EXPECT_STR(desc.elem_name, "struct vring_desc");
	EXPECT_INT(desc.elem_size, 16);
	EXPECT_INT(num.offset, 96);
	EXPECT_INT(num.size, 4);
	EXPECT_INT(extra.offset, 144);
	EXPECT_INT(vq.offset, 0);
	EXPECT_INT(rq, 1280);
}

static void dms_dwlayout_member_inline_array(void)
{
	struct dms_dwlayout *dl;
	OPEN_OR_SKIP("ixgbe", dl);
	struct dms_dw_member rx_ring, nq;
	struct dms_error *err = dms_dwlayout_member(dl, "ixgbe_adapter", "rx_ring", &rx_ring);
	if (!err)
		err = dms_dwlayout_member(dl, "ixgbe_adapter", "num_rx_queues", &nq);
	dms_dwlayout_destroy(dl);
	EXPECT_OK(err);
	EXPECT_INT(rx_ring.kind, DMS_DW_ARRAY);
	EXPECT_INT(rx_ring.array_len, 64);
	EXPECT_INT(rx_ring.size, 512);
	EXPECT_INT(rx_ring.elem_kind, DMS_DW_POINTER);
	EXPECT_INT(rx_ring.elem_size, 8);
	EXPECT_STR(rx_ring.elem_name, "struct ixgbe_ring *");
	EXPECT_INT(nq.offset, 576);
}

static void dms_dwlayout_member_flexible_array(void)
{
	struct dms_dwlayout *dl;
	OPEN_OR_SKIP("virtio_ring", dl);
	struct dms_dw_member ring;
	struct dms_error *err = dms_dwlayout_member(dl, "vring_avail", "ring", &ring);
	dms_dwlayout_destroy(dl);
	EXPECT_OK(err);
	EXPECT_INT(ring.kind, DMS_DW_ARRAY);
	EXPECT_INT(ring.offset, 4);
	EXPECT_INT(ring.array_len, 0);
	EXPECT_INT(ring.elem_size, 2);
}

static void dms_dwlayout_member_bitfield(void)
{
	struct dms_dwlayout *dl;
	OPEN_OR_SKIP("e1000", dl);
	struct dms_dw_member m;
	struct dms_error *err = dms_dwlayout_member(dl, "sk_buff", "fclone", &m);
	dms_dwlayout_destroy(dl);
	EXPECT_OK(err);
	EXPECT_INT(m.offset, 126);
	EXPECT_INT(m.bit_offset, 2);
	EXPECT_INT(m.bit_size, 2);
}

static void dms_dwlayout_member_missing_component(void)
{
	struct dms_dwlayout *dl;
	OPEN_OR_SKIP("i40e", dl);
	struct dms_dw_member m;
	struct dms_error *err = dms_dwlayout_member(dl, "i40e_ring", "rx_bi.nosuch", &m);
	int code1 = err ? (int)err->code : 0;
	dms_error_destroy(err);
	err = dms_dwlayout_member(dl, "i40e_ring", "no_member", &m);
	int code2 = err ? (int)err->code : 0;
	bool named = err && strstr(err->message, "no_member");
	dms_error_destroy(err);
	dms_dwlayout_destroy(dl);
	// rx_bi is a pointer: a path does not continue through it.
	EXPECT_INT(code1, DMS_ERR_NOT_FOUND);
	EXPECT_INT(code2, DMS_ERR_NOT_FOUND);
	EXPECT_TRUE(named);
}

static void dms_dwlayout_member_cached_repeat(void)
{
	struct dms_dwlayout *dl;
	OPEN_OR_SKIP("igb", dl);
	struct dms_dw_member a, b;
	struct dms_error *err = dms_dwlayout_member(dl, "igb_ring", "next_to_use", &a);
	if (!err)
		err = dms_dwlayout_member(dl, "igb_ring", "next_to_use", &b);
	dms_dwlayout_destroy(dl);
	EXPECT_OK(err);
	EXPECT_INT(a.offset, 102);
	EXPECT_MEM(&a, &b, sizeof(a));
}

static void dms_dwlayout_enum_value_ring_flags(void)
{
	struct dms_dwlayout *dl;
	OPEN_OR_SKIP("igb ixgbe", dl);
	int64_t a = -1, b = -1, c = -1;
	struct dms_error *err = dms_dwlayout_enum_value(dl, "IGB_RING_FLAG_RX_3K_BUFFER", &a);
	if (!err)
		err = dms_dwlayout_enum_value(dl, "IGB_RING_FLAG_RX_BUILD_SKB_ENABLED", &b);
	if (!err)
		err = dms_dwlayout_enum_value(dl, "__IXGBE_RX_BUILD_SKB_ENABLED", &c);
	int64_t x;
	struct dms_error *miss = dms_dwlayout_enum_value(dl, "NO_SUCH_ENUMERATOR", &x);
	int code = miss ? (int)miss->code : 0;
	dms_error_destroy(miss);
	dms_dwlayout_destroy(dl);
	EXPECT_OK(err);
	EXPECT_INT(a, 0);
	EXPECT_INT(b, 1);
	EXPECT_INT(c, 1);
	EXPECT_INT(code, DMS_ERR_NOT_FOUND);
}

static void dms_dwlayout_provider_member_and_size(void)
{
	struct dms_dwlayout *dl;
	OPEN_OR_SKIP("i40e", dl);
	struct dms_layout l = dms_dwlayout_provider(dl);
	uint64_t off = 0, size = 0, rs = 0;
	int64_t v = -1;
	struct dms_error *err = dms_layout_member(&l, "i40e_vsi", "num_queue_pairs", &off, &size);
	if (!err)
		err = dms_layout_type_size(&l, "i40e_ring", &rs);
	if (!err)
		err = dms_layout_enum_value(&l, "__I40E_DOWN", &v);
	dms_dwlayout_destroy(dl);
	EXPECT_OK(err);
	EXPECT_INT(off, 3406);
	EXPECT_INT(size, 2);
	EXPECT_INT(rs, 384);
	EXPECT_INT(v, 3);
}

// A built-in module's part of vmlinux: only its compile units are indexed
// (page_pool is built into every kernel that has it; net/core/page_pool.c
// does not include mm/slab.h, so kmem_cache_node is not among its types).
static void dms_dwlayout_add_builtin_only_its_units(void)
{
	const char *vmlinux = getenv("VMLINUX");
	if (!vmlinux || !*vmlinux) {
		test_skip("VMLINUX not set: run eval \"$(dumps/fetch-debuginfo)\"");
		return;
	}
	struct dms_dwlayout *dl;
	EXPECT_OK(dms_dwlayout_create(&dl));
	struct dms_error *err = dms_dwlayout_add_builtin(dl, vmlinux, "page_pool");
	uint64_t pp = 0, kcn = 0;
	if (!err)
		err = dms_dwlayout_type_size(dl, "page_pool", &pp);
	struct dms_error *absent = dms_dwlayout_type_size(dl, "kmem_cache_node", &kcn);
	int code = absent ? (int)absent->code : 0;
	dms_error_destroy(absent);
	dms_dwlayout_destroy(dl);
	EXPECT_OK(err);
	EXPECT_TRUE(pp > 0);
	EXPECT_INT(code, DMS_ERR_NOT_FOUND);
}

static void dms_dwlayout_add_builtin_missing_file(void)
{
	struct dms_dwlayout *dl;
	EXPECT_OK(dms_dwlayout_create(&dl));
	EXPECT_ERR(dms_dwlayout_add_builtin(dl, "/nonexistent/vmlinux", "virtio_ring"), DMS_ERR_IO);
	dms_dwlayout_destroy(dl);
}

// A .ko's vermagic names the kernel it was built for (issue 12: the NIC's debug
// .ko of another build must not describe this dump's structs).
static void dms_dwlayout_modinfo_vermagic(void)
{
	const char *dir = getenv("DEBUG_MODULES");
	if (!dir || !*dir) {
		test_skip("DEBUG_MODULES not set");
		return;
	}
	char path[4096], vm[128];
	snprintf(path, sizeof(path), "%s/e1000.ko", dir);
	EXPECT_OK(dms_dwlayout_modinfo(path, "vermagic", vm, sizeof(vm)));
	EXPECT_TRUE(strstr(vm, "SMP") != NULL);
	EXPECT_ERR(dms_dwlayout_modinfo(path, "no-such-key", vm, sizeof(vm)), DMS_ERR_NOT_FOUND);
	EXPECT_ERR(dms_dwlayout_modinfo("/nonexistent/e1000.ko", "vermagic", vm, sizeof(vm)),
		   DMS_ERR_IO);
}

static void dms_dwlayout_vermagic_matches_release(void)
{
	char rel[64];
	EXPECT_TRUE(dms_dwlayout_vermagic_matches("6.1.0-56-amd64 SMP preempt mod_unload ",
						  "6.1.0-56-amd64", rel, sizeof(rel)));
	EXPECT_STR(rel, "6.1.0-56-amd64");
	EXPECT_TRUE(!dms_dwlayout_vermagic_matches("5.10.0-32-amd64 SMP mod_unload modversions ",
						   "6.1.0-56-amd64", rel, sizeof(rel)));
	EXPECT_STR(rel, "5.10.0-32-amd64");
	// A prefix is not a match.
	EXPECT_TRUE(
		!dms_dwlayout_vermagic_matches("6.1.0-56 SMP", "6.1.0-56-amd64", rel, sizeof(rel)));
	EXPECT_TRUE(!dms_dwlayout_vermagic_matches("", "6.1.0-56-amd64", rel, sizeof(rel)));
}

const struct dms_test dwlayout_tests[] = {
	TEST_ENTRY(dms_dwlayout_modinfo_vermagic),
	TEST_ENTRY(dms_dwlayout_vermagic_matches_release),
	TEST_ENTRY(dms_dwlayout_add_builtin_only_its_units),
	TEST_ENTRY(dms_dwlayout_add_builtin_missing_file),
	TEST_ENTRY(dms_dwlayout_open_missing_file),
	TEST_ENTRY(dms_dwlayout_open_not_elf),
	TEST_ENTRY(dms_dwlayout_type_size_module_structs),
	TEST_ENTRY(dms_dwlayout_type_size_unknown_type),
	TEST_ENTRY(dms_dwlayout_member_relocated_module),
	TEST_ENTRY(dms_dwlayout_member_union_path),
	TEST_ENTRY(dms_dwlayout_member_anonymous_members),
	TEST_ENTRY(dms_dwlayout_member_nested_path_two_files),
	TEST_ENTRY(dms_dwlayout_member_inline_array),
	TEST_ENTRY(dms_dwlayout_member_flexible_array),
	TEST_ENTRY(dms_dwlayout_member_bitfield),
	TEST_ENTRY(dms_dwlayout_member_missing_component),
	TEST_ENTRY(dms_dwlayout_member_cached_repeat),
	TEST_ENTRY(dms_dwlayout_enum_value_ring_flags),
	TEST_ENTRY(dms_dwlayout_provider_member_and_size),
	{ NULL, NULL },
};
