// SPDX-License-Identifier: GPL-2.0-or-later
// Tests of lib/nicring on synthetic memory built from the REAL struct layouts
// of Debian's debug modules (read with lib/dwlayout; 6.1.0-56 amd64 and arm64,
// 6.12.95+deb12 arm64): adapter ->
// rings -> buffer-info arrays -> descriptors at realistic kernel addresses,
// then walked through a kernel-virtual dms_memimg reader.  The builders here
// name members themselves (not through the driver table), so a wrong table
// entry fails a test instead of agreeing with itself.
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dwlayout.h"
#include "nicring.h"
#include "reader.h"
#include "jsonlayout.h"
#include "test.h"
#include "dwlayout_test.h"

// Direct map, vmemmap and the image's place in physical memory: x86_64
// (4-level paging) for the amd64 kernel, arm64 (48-bit VA, 4K pages: Debian's
// 6.1 and 6.12) for the arm64 ones.  fake_create() picks them.
#define X86_DIRECT 0xffff888000000000ULL
#define X86_VMEMMAP 0xffffea0000000000ULL
#define ARM64_DIRECT 0xffff000000000000ULL
#define ARM64_VMEMMAP 0xfffffc0000000000ULL
static uint64_t direct_base = X86_DIRECT, vmemmap_base = X86_VMEMMAP;
#define DIRECT direct_base
#define VMEMMAP vmemmap_base
#define PAGE_STRUCT 64
#define PHYS0 0x40000000ULL
#define IMG_SIZE (4u << 20)
#define VA(pa) (DIRECT + (pa))

struct fake {
	uint8_t *img;
	uint64_t brk; // next free virtual address
	struct dms_dwlayout *dl;
	struct dms_layout l, dwl;
	// Without $DEBUG_MODULES: the fixture; with $DMS_LAYOUT_RECORD too: a
	// recorder that rewrites the fixture (record_path) at destroy.
	struct jsonlayout *jl;
	char record_path[512];
	const char *release;
	struct dms_memimg *mi;
	struct dms_nicring_env env;
	struct dms_nicring *nr;
};

// The layouts: the debug modules of $DEBUG_MODULES (6.1.0-56-amd64) and, for
// the arm64 kernels, of fetch-debuginfo's cache ($DMASLEUTH_CACHE or
// ~/.cache/dmasleuth)/RELEASE/modules; without them, the
// fixture tests/data/layouts/nic-RELEASE-MODULES.json holding every size and
// offset these tests and lib/nicring ask.  Regenerate the fixtures with the
// debuginfo: set -a; eval "$(dumps/fetch-debuginfo 6.1.0-56-amd64)";
// set +a; DMS_LAYOUT_RECORD=1 tests/unit/unit-tests nicring.
#define NIC_FIXTURE_RELEASE "6.1.0-56-amd64"

static void fake_destroy(struct fake *f)
{
	if (!f)
		return;
	dms_nicring_destroy(f->nr);
	dms_memimg_destroy(f->mi);
	if (f->jl && f->record_path[0] && !jsonlayout_save(f->jl, f->release, f->record_path))
		test_fail(__FILE__, __LINE__, "cannot write %s", f->record_path);
	jsonlayout_free(f->jl);
	dms_dwlayout_destroy(f->dl);
	free(f->img);
	free(f);
}

static void nic_fixture_path(const char *release, const char *modules, char *buf, size_t n)
{
	int k = snprintf(buf, n, "tests/data/layouts/nic-%s-", release);
	for (const char *m = modules; *m && k > 0 && (size_t)k + 6 < n; m++)
		buf[k++] = *m == ' ' ? '+' : *m;
	snprintf(buf + k, n - (size_t)k, ".json");
}

// The debug modules of another release than $DEBUG_MODULES': those of
// dumps/fetch-debuginfo's cache, CACHE/RELEASE/modules
// (6.1.0-56-arm64 is a lab kernel; the 6.12 arm64 -dbg is fetched by hand,
// see docs/rxring-engine.md).  virtio_ring, built into Debian's arm64
// kernels, is taken from the release's vmlinux when it has no .ko.  *ret
// NULL (no error) when the cache or one of the files is absent.
static struct dms_error *open_release_modules(const char *release, const char *names,
					      struct dms_dwlayout **ret)
{
	*ret = NULL;
	// fetch-debuginfo's cache: $DMASLEUTH_CACHE, else
	// $XDG_CACHE_HOME/dmasleuth, else ~/.cache/dmasleuth.
	char cache[512];
	const char *e;
	if ((e = getenv("DMASLEUTH_CACHE")) && *e)
		snprintf(cache, sizeof(cache), "%s", e);
	else if ((e = getenv("XDG_CACHE_HOME")) && *e)
		snprintf(cache, sizeof(cache), "%s/dmasleuth", e);
	else if ((e = getenv("HOME")) && *e)
		snprintf(cache, sizeof(cache), "%s/.cache/dmasleuth", e);
	else
		return NULL;
	char dir[1024], vmlinux[1200], buf[256];
	snprintf(dir, sizeof(dir), "%s/%s/modules", cache, release);
	snprintf(vmlinux, sizeof(vmlinux), "%s/%s/vmlinux-%s", cache, release, release);
	snprintf(buf, sizeof(buf), "%s", names);
	struct dms_dwlayout *dl;
	struct dms_error *err = dms_dwlayout_create(&dl);
	if (err)
		return err;
	for (char *save, *m = strtok_r(buf, " ", &save); m; m = strtok_r(NULL, " ", &save)) {
		char path[1300];
		snprintf(path, sizeof(path), "%s/%s.ko", dir, m);
		if (access(path, R_OK) == 0)
			err = dms_dwlayout_add_file(dl, path);
		else if (!strcmp(m, "virtio_ring") && access(vmlinux, R_OK) == 0)
			err = dms_dwlayout_add_builtin(dl, vmlinux, m);
		else {
			dms_dwlayout_destroy(dl);
			return NULL;
		}
		if (err) {
			dms_dwlayout_destroy(dl);
			return err;
		}
	}
	*ret = dl;
	return NULL;
}

static bool is_arm64(const char *release)
{
	return strstr(release, "arm64") != NULL;
}

// NULL and no failure: neither debuginfo nor a fixture (the caller skips).
// release NULL: the amd64 kernel of $DEBUG_MODULES.
static struct fake *fake_create_rel(const char *release, const char *modules, const char *driver,
				    bool *skip)
{
	*skip = false;
	struct fake *f = calloc(1, sizeof(*f));
	f->img = calloc(1, IMG_SIZE);
	f->release = release ? release : NIC_FIXTURE_RELEASE;
	bool arm64 = is_arm64(f->release);
	direct_base = arm64 ? ARM64_DIRECT : X86_DIRECT;
	vmemmap_base = arm64 ? ARM64_VMEMMAP : X86_VMEMMAP;
	char path[512];
	nic_fixture_path(f->release, modules, path, sizeof(path));
	struct dms_error *err = release ? open_release_modules(release, modules, &f->dl)
					: test_open_modules(modules, &f->dl);
	if (!err && !f->dl) {
		f->jl = jsonlayout_load_path(path);
		if (!f->jl) {
			*skip = true;
			fake_destroy(f);
			return NULL;
		}
		f->l = jsonlayout_provider(f->jl);
	} else if (!err) {
		f->dwl = dms_dwlayout_provider(f->dl);
		f->l = f->dwl;
		const char *rec = getenv("DMS_LAYOUT_RECORD");
		if (rec && *rec) {
			f->jl = jsonlayout_recorder(&f->dwl, path);
			f->l = jsonlayout_provider(f->jl);
			snprintf(f->record_path, sizeof(f->record_path), "%s", path);
		}
	}
	struct dms_memimg_config cfg = { .phys_base = VA(PHYS0),
					 .page_size = 4096,
					 .direct_map_base = DIRECT };
	if (!err)
		err = dms_memimg_create(f->img, IMG_SIZE, &cfg, &f->mi);
	if (!err)
		err = dms_nicring_create(dms_nicring_driver_find(driver), &f->l, &f->nr);
	if (err) {
		test_fail(__FILE__, __LINE__, "fake_create(%s): %s", driver, err->message);
		dms_error_destroy(err);
		fake_destroy(f);
		return NULL;
	}
	f->brk = VA(PHYS0) + 4096; // page 0 stays zero
	f->env = (struct dms_nicring_env){
		.kv = dms_memimg_reader(f->mi),
		.vmemmap = VMEMMAP,
		.page_struct_size = PAGE_STRUCT,
		.max_pfn = (PHYS0 + IMG_SIZE) / 4096,
		// x86-64 with 4-level paging, or arm64 with 48-bit VA.
		.kernel_min = arm64 ? ARM64_DIRECT : 0xffff800000000000ULL,
	};
	return f;
}

#define FAKE_OR_SKIP(f, modules, driver) FAKE_REL_OR_SKIP(f, NULL, modules, driver)
#define FAKE_REL_OR_SKIP(f, release, modules, driver)                                              \
	do {                                                                                       \
		bool skip_;                                                                        \
		(f) = fake_create_rel(release, modules, driver, &skip_);                           \
		if (skip_) {                                                                       \
			test_skip("no DEBUG_MODULES and no fixture for %s", modules);              \
			return;                                                                    \
		}                                                                                  \
		if (!(f))                                                                          \
			return;                                                                    \
	} while (0)

static uint64_t fake_alloc(struct fake *f, uint64_t size, uint64_t align)
{
	f->brk = (f->brk + align - 1) & ~(align - 1);
	uint64_t va = f->brk;
	f->brk += size;
	if (f->brk > VA(PHYS0) + IMG_SIZE) {
		test_fail(__FILE__, __LINE__, "fake image full");
		return VA(PHYS0);
	}
	return va;
}

static uint64_t fake_sizeof(struct fake *f, const char *type)
{
	uint64_t size = 0;
	struct dms_error *err = dms_layout_type_size(&f->l, type, &size);
	if (err) {
		test_fail(__FILE__, __LINE__, "%s", err->message);
		dms_error_destroy(err);
	}
	return size;
}

static uint64_t fake_new(struct fake *f, const char *type)
{
	return fake_alloc(f, fake_sizeof(f, type), 64);
}

static void fake_put(struct fake *f, uint64_t va, uint64_t size, uint64_t value)
{
	if (va < VA(PHYS0) || va + size > VA(PHYS0) + IMG_SIZE) {
		test_fail(__FILE__, __LINE__, "write outside the image at %#llx",
			  (unsigned long long)va);
		return;
	}
	for (uint64_t i = 0; i < size; i++)
		f->img[va - VA(PHYS0) + i] = (uint8_t)(value >> (8 * i));
}

static uint64_t fake_get(struct fake *f, uint64_t va, uint64_t size)
{
	uint64_t v = 0;
	for (uint64_t i = 0; i < size; i++)
		v |= (uint64_t)f->img[va - VA(PHYS0) + i] << (8 * i);
	return v;
}

static uint64_t fake_off(struct fake *f, const char *type, const char *path, uint64_t *size)
{
	uint64_t off = 0, msize = 0;
	struct dms_error *err = dms_layout_member(&f->l, type, path, &off, &msize);
	if (err) {
		test_fail(__FILE__, __LINE__, "%s", err->message);
		dms_error_destroy(err);
	}
	if (size)
		*size = msize;
	return off;
}

// Set member path of the struct type at va (size from the debuginfo).
static void fake_set(struct fake *f, const char *type, uint64_t va, const char *path,
		     uint64_t value)
{
	uint64_t size;
	uint64_t off = fake_off(f, type, path, &size);
	fake_put(f, va + off, size, value);
}

static uint64_t page_of(uint64_t va)
{
	return VMEMMAP + ((va - DIRECT) / 4096) * PAGE_STRUCT;
}

// An Intel-style ring as the test builds it.
struct ring_spec {
	const char *ring_type, *bufinfo_member, *bufinfo_type;
	// Members of the buffer-info element (NULL: not set).
	const char *page_member, *data_member, *page_offset_member;
	// Hardware descriptor: DD (bit 0) and length fields.
	uint32_t dd_off, dd_size, len_off, len_size, len_shift;
	bool addr_survives_wb;
	uint32_t count, ntu, ntc;
	// Frame start inside each buffer page (the driver's headroom).
	uint32_t headroom;
};

struct ring_truth {
	uint64_t ring, desc, bufinfo;
	uint64_t dma[64], buf_dma[64], page[64], data[64];
	uint32_t page_offset[64];
	// The slot whose descriptor the device wrote back, and one whose
	// descriptor holds another address.
	uint32_t done_slot, differ_slot;
	uint64_t differ_addr;
};

static bool in_window(uint32_t i, uint32_t ntc, uint32_t ntu)
{
	return ntc <= ntu ? i >= ntc && i < ntu : i >= ntc || i < ntu;
}

// Fill the ring struct at t->ring: counters, descriptor ring, buffer-info
// array with one page per slot, and the descriptors the device holds.
static void fill_ring(struct fake *f, const struct ring_spec *s, struct ring_truth *t)
{
	const char *rt = s->ring_type;
	uint64_t ring = t->ring;
	memset(t, 0, sizeof(*t));
	t->ring = ring;
	uint64_t bsize = fake_sizeof(f, s->bufinfo_type);
	t->desc = fake_alloc(f, 4096, 4096);
	t->bufinfo = fake_alloc(f, bsize * s->count, 64);
	fake_set(f, rt, t->ring, "count", s->count);
	fake_set(f, rt, t->ring, "next_to_use", s->ntu);
	fake_set(f, rt, t->ring, "next_to_clean", s->ntc);
	fake_set(f, rt, t->ring, "desc", t->desc);
	fake_set(f, rt, t->ring, "dma", t->desc - DIRECT);
	fake_set(f, rt, t->ring, "size", 4096);
	fake_set(f, rt, t->ring, s->bufinfo_member, t->bufinfo);
	t->done_slot = s->ntc;
	t->differ_slot = (s->ntc + 2) % s->count;
	for (uint32_t i = 0; i < s->count; i++) {
		uint64_t e = t->bufinfo + i * bsize;
		uint64_t page = fake_alloc(f, 4096, 4096);
		uint32_t po = s->page_offset_member ? (i & 1 ? 2048 : 0) + s->headroom : 0;
		t->page_offset[i] = po;
		// e1000/e1000e map the data (frame start); the others map the page.
		t->dma[i] = page - DIRECT + (s->page_offset_member ? 0 : s->headroom);
		t->buf_dma[i] = t->dma[i] + po;
		fake_set(f, s->bufinfo_type, e, "dma", t->dma[i]);
		if (s->page_member) {
			t->page[i] = page_of(page);
			fake_set(f, s->bufinfo_type, e, s->page_member, t->page[i]);
		}
		if (s->data_member) {
			t->data[i] = page + s->headroom;
			fake_set(f, s->bufinfo_type, e, s->data_member, t->data[i]);
		}
		if (s->page_offset_member)
			fake_set(f, s->bufinfo_type, e, s->page_offset_member, po);
		if (!in_window(i, s->ntc, s->ntu))
			continue;
		uint64_t d = t->desc + 16ULL * i;
		fake_put(f, d, 8, t->buf_dma[i]);
		if (i == t->done_slot) {
			// Written back: DD set, a length, the address overwritten
			// unless the format keeps it.
			if (!s->addr_survives_wb)
				fake_put(f, d, 8, 0x0000beef00000000ULL);
			fake_put(f, d + s->dd_off, s->dd_size, 1);
			uint64_t len = fake_get(f, d + s->len_off, s->len_size);
			fake_put(f, d + s->len_off, s->len_size, len | (60ULL << s->len_shift));
		}
		if (i == t->differ_slot) {
			t->differ_addr = 0x7000000ULL + 4096ULL * i;
			fake_put(f, d, 8, t->differ_addr);
		}
	}
}

// Check a walked ring against what fill_ring built.
static void check_ring(struct fake *f, const struct ring_spec *s, const struct ring_truth *t,
		       const struct dms_nicring_ring *r)
{
	EXPECT_TRUE(r->valid);
	EXPECT_UINT(r->addr, t->ring);
	EXPECT_INT(r->count, s->count);
	EXPECT_INT(r->ntu, s->ntu);
	EXPECT_INT(r->ntc, s->ntc);
	EXPECT_UINT(r->desc, t->desc);
	EXPECT_UINT(r->desc_dma, t->desc - DIRECT);
	EXPECT_UINT(r->desc_phys, t->desc - DIRECT);
	EXPECT_UINT(r->bufinfo, t->bufinfo);
	EXPECT_INT(r->nslots, s->count);
	uint32_t posted = 0;
	for (uint32_t i = 0; i < s->count; i++) {
		const struct dms_nicring_slot *sl = &r->slots[i];
		bool in = in_window(i, s->ntc, s->ntu);
		posted += in;
		EXPECT_INT(sl->index, i);
		EXPECT_INT(sl->state, in ? DMS_NICRING_SLOT_POSTED : DMS_NICRING_SLOT_STALE);
		EXPECT_UINT(sl->dma, t->dma[i]);
		EXPECT_UINT(sl->buf_dma, t->buf_dma[i]);
		EXPECT_UINT(sl->frame_dma, t->buf_dma[i]);
		EXPECT_INT(sl->phys_state, DMS_NICRING_PHYS_IDENTITY);
		EXPECT_UINT(sl->buf_phys, t->buf_dma[i]);
		EXPECT_UINT(sl->frame_phys, t->buf_dma[i]);
		EXPECT_UINT(sl->page, t->page[i]);
		EXPECT_UINT(sl->page_phys,
			    t->page[i] ? (t->page[i] - VMEMMAP) / PAGE_STRUCT * 4096 : 0);
		EXPECT_UINT(sl->data, t->data[i]);
		EXPECT_INT(sl->page_offset, t->page_offset[i]);
	}
	EXPECT_INT(r->nposted, posted);
	// The device's view: the descriptor ring.
	struct dms_nicring_hwdesc *hw = NULL;
	EXPECT_OK(dms_nicring_read_hw(f->nr, &f->env, r, &hw));
	int agree = 0, differ = 0, unknown = 0;
	for (uint32_t i = 0; i < s->count; i++) {
		enum dms_nicring_agree a = dms_nicring_compare(&r->slots[i], &hw[i]);
		bool in = in_window(i, s->ntc, s->ntu);
		if (!hw[i].present)
			break;
		if (i == t->done_slot) {
			if (!hw[i].done || hw[i].len != 60 ||
			    a != (s->addr_survives_wb ? DMS_NICRING_AGREE : DMS_NICRING_UNKNOWN))
				break;
		} else if (i == t->differ_slot) {
			if (hw[i].addr != t->differ_addr || a != DMS_NICRING_DIFFER || hw[i].done)
				break;
		} else if (in && (a != DMS_NICRING_AGREE || hw[i].addr != t->buf_dma[i])) {
			break;
		}
		agree += a == DMS_NICRING_AGREE;
		differ += a == DMS_NICRING_DIFFER;
		unknown += a == DMS_NICRING_UNKNOWN;
	}
	free(hw);
	// Slots outside the window have a zero descriptor: they differ.
	EXPECT_INT(agree + differ + unknown, s->count);
	EXPECT_INT(agree, posted - 1 - !s->addr_survives_wb);
}

static struct dms_nicring_result *walk(struct fake *f, uint64_t priv)
{
	struct dms_nicring_result *res = NULL;
	struct dms_error *err = dms_nicring_walk(f->nr, &f->env, priv, &res);
	if (err) {
		test_fail(__FILE__, __LINE__, "walk: %s", err->message);
		dms_error_destroy(err);
	}
	return res;
}

static void print_findings(const struct dms_nicring_result *res)
{
	for (size_t i = 0; res && i < res->nfindings; i++)
		fprintf(stderr, "  finding %s ring %d slot %d: %s\n",
			dms_nicring_code_name(res->findings[i].code), res->findings[i].ring,
			res->findings[i].slot, res->findings[i].reason);
}

// The i40e fixture: i40e_netdev_priv -> vsi -> rx_rings[2] -> i40e_ring.
static const struct ring_spec i40e_spec = {
	.ring_type = "i40e_ring",
	.bufinfo_member = "rx_bi",
	.bufinfo_type = "i40e_rx_buffer",
	.page_member = "page",
	.page_offset_member = "page_offset",
	// qword1: DD bit 0, length in bits 38..51.
	.dd_off = 8,
	.dd_size = 8,
	.len_off = 8,
	.len_size = 8,
	.len_shift = 38,
	.count = 16,
	.ntu = 13,
	.ntc = 3,
	.headroom = 64, // I40E_SKB_PAD on x86_64
};

struct i40e_fix {
	uint64_t priv, vsi, rings;
	struct ring_truth t[2];
};

static void i40e_build(struct fake *f, struct i40e_fix *x, uint32_t nrings)
{
	x->priv = fake_new(f, "i40e_netdev_priv");
	x->vsi = fake_new(f, "i40e_vsi");
	x->rings = fake_alloc(f, 8 * nrings, 8);
	fake_set(f, "i40e_netdev_priv", x->priv, "vsi", x->vsi);
	fake_set(f, "i40e_vsi", x->vsi, "rx_rings", x->rings);
	fake_set(f, "i40e_vsi", x->vsi, "num_queue_pairs", nrings);
	for (uint32_t i = 0; i < nrings; i++) {
		x->t[i].ring = fake_new(f, "i40e_ring");
		fake_put(f, x->rings + 8 * i, 8, x->t[i].ring);
		fake_set(f, "i40e_ring", x->t[i].ring, "rx_buf_len", 2048);
		fake_set(f, "i40e_ring", x->t[i].ring, "rx_offset", 64);
		fill_ring(f, &i40e_spec, &x->t[i]);
	}
}

static void dms_nicring_walk_i40e_synthetic(void)
{
	struct fake *f;
	FAKE_OR_SKIP(f, "i40e", "i40e");
	struct i40e_fix x;
	i40e_build(f, &x, 2);
	struct dms_nicring_result *res = walk(f, x.priv);
	print_findings(res);
	EXPECT_TRUE(res != NULL);
	EXPECT_INT(res->nfindings, 0);
	EXPECT_UINT(res->container, x.vsi);
	EXPECT_INT(res->nrings, 2);
	for (uint32_t i = 0; i < 2; i++) {
		EXPECT_INT(res->rings[i].index, i);
		EXPECT_INT(res->rings[i].buf_len, 2048);
		EXPECT_INT(res->rings[i].frame_offset, 64);
		EXPECT_INT(res->rings[i].device_hdr, 0);
		check_ring(f, &i40e_spec, &x.t[i], &res->rings[i]);
	}
	dms_nicring_result_destroy(res);
	fake_destroy(f);
}

static const struct ring_spec ixgbe_spec = {
	.ring_type = "ixgbe_ring",
	.bufinfo_member = "rx_buffer_info",
	.bufinfo_type = "ixgbe_rx_buffer",
	.page_member = "page",
	.page_offset_member = "page_offset",
	// wb.upper.status_error at 8, wb.upper.length at 12.
	.dd_off = 8,
	.dd_size = 4,
	.len_off = 12,
	.len_size = 2,
	.count = 32,
	.ntu = 5,
	.ntc = 20, // wrapped window
	.headroom = 64,
};

// ixgbe and igb: rx_ring[] pointers inline in the adapter.
static void inline_build(struct fake *f, const char *adapter, const struct ring_spec *s,
			 uint64_t *priv, struct ring_truth *t, uint32_t nrings, const char *flags,
			 uint64_t flag_value)
{
	*priv = fake_new(f, adapter);
	fake_set(f, adapter, *priv, "num_rx_queues", nrings);
	uint64_t arr = *priv + fake_off(f, adapter, "rx_ring", NULL);
	for (uint32_t i = 0; i < nrings; i++) {
		t[i].ring = fake_new(f, s->ring_type);
		fake_put(f, arr + 8 * i, 8, t[i].ring);
		fake_set(f, s->ring_type, t[i].ring, flags, flag_value);
		fill_ring(f, s, &t[i]);
	}
}

static void dms_nicring_walk_ixgbe_synthetic(void)
{
	struct fake *f;
	FAKE_OR_SKIP(f, "ixgbe", "ixgbe");
	uint64_t priv;
	struct ring_truth t[3];
	// __IXGBE_RX_3K_BUFFER (bit 0) and __IXGBE_RX_BUILD_SKB_ENABLED (bit 1).
	inline_build(f, "ixgbe_adapter", &ixgbe_spec, &priv, t, 3, "state", 0x3);
	struct dms_nicring_result *res = walk(f, priv);
	print_findings(res);
	EXPECT_TRUE(res != NULL);
	EXPECT_INT(res->nfindings, 0);
	EXPECT_UINT(res->container, priv);
	EXPECT_INT(res->nrings, 3);
	for (uint32_t i = 0; i < 3; i++) {
		EXPECT_INT(res->rings[i].buf_len, 3072);
		EXPECT_INT(res->rings[i].frame_offset, 64);
		check_ring(f, &ixgbe_spec, &t[i], &res->rings[i]);
	}
	dms_nicring_result_destroy(res);
	fake_destroy(f);
}

static const struct ring_spec igb_spec = {
	.ring_type = "igb_ring",
	.bufinfo_member = "rx_buffer_info",
	.bufinfo_type = "igb_rx_buffer",
	.page_member = "page",
	.page_offset_member = "page_offset",
	.dd_off = 8,
	.dd_size = 4,
	.len_off = 12,
	.len_size = 2,
	.count = 64,
	.ntu = 63,
	.ntc = 0,
	.headroom = 0, // no build_skb: frames at the buffer start
};

static void dms_nicring_walk_igb_synthetic(void)
{
	struct fake *f;
	FAKE_OR_SKIP(f, "igb", "igb");
	uint64_t priv;
	struct ring_truth t[1];
	// No flag: 2048-byte buffers, no headroom.
	inline_build(f, "igb_adapter", &igb_spec, &priv, t, 1, "flags", 0);
	struct dms_nicring_result *res = walk(f, priv);
	print_findings(res);
	EXPECT_TRUE(res != NULL);
	EXPECT_INT(res->nfindings, 0);
	EXPECT_INT(res->nrings, 1);
	EXPECT_INT(res->rings[0].buf_len, 2048);
	EXPECT_INT(res->rings[0].frame_offset, 0);
	check_ring(f, &igb_spec, &t[0], &res->rings[0]);
	dms_nicring_result_destroy(res);
	fake_destroy(f);
}

static const struct ring_spec e1000_spec = {
	.ring_type = "e1000_rx_ring",
	.bufinfo_member = "buffer_info",
	.bufinfo_type = "e1000_rx_buffer",
	.data_member = "rxbuf.data",
	// Legacy descriptor: status at 12, length at 8, address kept.
	.dd_off = 12,
	.dd_size = 1,
	.len_off = 8,
	.len_size = 2,
	.addr_survives_wb = true,
	.count = 16,
	.ntu = 15,
	.ntc = 0,
	.headroom = 64, // E1000_HEADROOM
};

static uint64_t e1000_build(struct fake *f, struct ring_truth *t, uint32_t nrings)
{
	uint64_t priv = fake_new(f, "e1000_adapter");
	uint64_t rsize = fake_sizeof(f, "e1000_rx_ring");
	uint64_t rings = fake_alloc(f, rsize * nrings, 64);
	fake_set(f, "e1000_adapter", priv, "rx_ring", rings);
	fake_set(f, "e1000_adapter", priv, "num_rx_queues", nrings);
	fake_set(f, "e1000_adapter", priv, "rx_buffer_len", 2048);
	for (uint32_t i = 0; i < nrings; i++) {
		t[i].ring = rings + i * rsize;
		fill_ring(f, &e1000_spec, &t[i]);
	}
	return priv;
}

static void dms_nicring_walk_e1000_synthetic(void)
{
	struct fake *f;
	FAKE_OR_SKIP(f, "e1000", "e1000");
	struct ring_truth t[2];
	uint64_t priv = e1000_build(f, t, 2);
	struct dms_nicring_result *res = walk(f, priv);
	print_findings(res);
	EXPECT_TRUE(res != NULL);
	EXPECT_INT(res->nfindings, 0);
	EXPECT_INT(res->nrings, 2);
	for (uint32_t i = 0; i < 2; i++) {
		EXPECT_INT(res->rings[i].buf_len, 2048);
		EXPECT_INT(res->rings[i].frame_offset, 64);
		check_ring(f, &e1000_spec, &t[i], &res->rings[i]);
	}
	dms_nicring_result_destroy(res);
	fake_destroy(f);
}

// A union of page and data: a vmemmap pointer is read as the page.
static void dms_nicring_walk_e1000_jumbo_page(void)
{
	struct fake *f;
	FAKE_OR_SKIP(f, "e1000", "e1000");
	struct ring_truth t[1];
	uint64_t priv = e1000_build(f, t, 1);
	uint64_t page = page_of(VA(PHYS0) + 0x200000);
	fake_set(f, "e1000_rx_buffer", t[0].bufinfo + 16 * 4, "rxbuf.page", page);
	struct dms_nicring_result *res = walk(f, priv);
	EXPECT_TRUE(res != NULL && res->nrings == 1 && res->rings[0].valid);
	const struct dms_nicring_slot *s = &res->rings[0].slots[4];
	uint64_t got_page = s->page, got_data = s->data, got_phys = s->page_phys;
	dms_nicring_result_destroy(res);
	fake_destroy(f);
	EXPECT_UINT(got_page, page);
	EXPECT_UINT(got_data, 0);
	EXPECT_UINT(got_phys, PHYS0 + 0x200000);
}

static const struct ring_spec e1000e_spec = {
	.ring_type = "e1000_ring",
	.bufinfo_member = "buffer_info",
	.bufinfo_type = "e1000_buffer",
	// Extended descriptor: status_error at 8, length at 12.
	.dd_off = 8,
	.dd_size = 4,
	.len_off = 12,
	.len_size = 2,
	.count = 8,
	.ntu = 2,
	.ntc = 7,
	.headroom = 64,
};

static void dms_nicring_walk_e1000e_synthetic(void)
{
	struct fake *f;
	FAKE_OR_SKIP(f, "e1000e", "e1000e");
	struct ring_truth t = { 0 };
	uint64_t priv = fake_new(f, "e1000_adapter");
	t.ring = fake_new(f, "e1000_ring");
	fake_set(f, "e1000_adapter", priv, "rx_ring", t.ring);
	fake_set(f, "e1000_adapter", priv, "rx_buffer_len", 1522);
	fill_ring(f, &e1000e_spec, &t);
	struct dms_nicring_result *res = walk(f, priv);
	print_findings(res);
	EXPECT_TRUE(res != NULL);
	EXPECT_INT(res->nfindings, 0);
	EXPECT_INT(res->nrings, 1);
	EXPECT_INT(res->rings[0].buf_len, 1522);
	check_ring(f, &e1000e_spec, &t, &res->rings[0]);
	dms_nicring_result_destroy(res);
	fake_destroy(f);
}

// virtio_net: virtnet_info -> rq[] -> vq -> container_of vring_virtqueue.
struct virtio_fix {
	uint64_t priv, rq, vvq, desc, avail, used, extra, state;
	uint64_t buf[8];
};

#define VQ_NUM 8

static void virtio_build(struct fake *f, struct virtio_fix *x)
{
	const char *vt = "vring_virtqueue";
	x->priv = fake_new(f, "virtnet_info");
	x->rq = fake_new(f, "receive_queue");
	x->vvq = fake_new(f, vt);
	x->desc = fake_alloc(f, 16 * VQ_NUM, 4096);
	x->avail = fake_alloc(f, 6 + 2 * VQ_NUM, 2);
	x->used = fake_alloc(f, 6 + 8 * VQ_NUM, 4096);
	x->extra = fake_alloc(f, fake_sizeof(f, "vring_desc_extra") * VQ_NUM, 64);
	x->state = fake_alloc(f, fake_sizeof(f, "vring_desc_state_split") * VQ_NUM, 64);
	fake_set(f, "virtnet_info", x->priv, "rq", x->rq);
	fake_set(f, "virtnet_info", x->priv, "max_queue_pairs", 1);
	fake_set(f, "virtnet_info", x->priv, "hdr_len", 12);
	fake_set(f, "receive_queue", x->rq, "vq", x->vvq + fake_off(f, vt, "vq", NULL));
	fake_set(f, vt, x->vvq, "split.vring.num", VQ_NUM);
	fake_set(f, vt, x->vvq, "split.vring.desc", x->desc);
	fake_set(f, vt, x->vvq, "split.vring.avail", x->avail);
	fake_set(f, vt, x->vvq, "split.vring.used", x->used);
	fake_set(f, vt, x->vvq, "split.desc_extra", x->extra);
	fake_set(f, vt, x->vvq, "split.desc_state", x->state);
	fake_set(f, vt, x->vvq, "split.queue_dma_addr", x->desc - DIRECT);
	fake_set(f, vt, x->vvq, "last_used_idx", 3);
	uint64_t es = fake_sizeof(f, "vring_desc_extra");
	uint64_t ss = fake_sizeof(f, "vring_desc_state_split");
	for (uint32_t i = 0; i < VQ_NUM; i++) {
		// Mergeable buffers carved from a page_frag: odd offsets.
		x->buf[i] = VA(PHYS0) + 0x300000 + 1536ULL * i + 64;
		uint64_t dma = x->buf[i] - DIRECT;
		fake_set(f, "vring_desc", x->desc + 16 * i, "addr", dma);
		fake_set(f, "vring_desc", x->desc + 16 * i, "len", 1536);
		fake_set(f, "vring_desc_extra", x->extra + es * i, "addr", dma);
		fake_set(f, "vring_desc_extra", x->extra + es * i, "len", 1536);
		// Slot 2 was detached: its extra keeps the old address.
		if (i != 2)
			fake_set(f, "vring_desc_state_split", x->state + ss * i, "data", x->buf[i]);
	}
	// avail idx 10, used idx 5, last used 3 (free-running).
	fake_put(f, x->avail + 2, 2, 10);
	static const uint16_t heads[] = { 5, 6, 7, 0, 1 };
	for (uint32_t k = 0; k < 5; k++)
		fake_put(f, x->avail + 4 + 2 * ((5 + k) % VQ_NUM), 2, heads[k]);
	fake_put(f, x->used + 2, 2, 5);
	fake_put(f, x->used + 4 + 8 * 3, 4, 3);
	fake_put(f, x->used + 4 + 8 * 4, 4, 4);
	// The device holds another address in descriptor 6.
	fake_put(f, x->desc + 16 * 6, 8, 0x5000000);
}

static void virtio_net_synthetic(const char *release)
{
	struct fake *f;
	FAKE_REL_OR_SKIP(f, release, "virtio_net virtio_ring", "virtio_net");
	struct virtio_fix x;
	virtio_build(f, &x);
	struct dms_nicring_result *res = walk(f, x.priv);
	print_findings(res);
	EXPECT_TRUE(res != NULL);
	EXPECT_INT(res->nfindings, 0);
	EXPECT_INT(res->nrings, 1);
	const struct dms_nicring_ring *r = &res->rings[0];
	EXPECT_TRUE(r->valid);
	EXPECT_UINT(r->addr, x.vvq);
	EXPECT_INT(r->count, VQ_NUM);
	EXPECT_INT(r->ntu, 10);
	EXPECT_INT(r->used_idx, 5);
	EXPECT_INT(r->ntc, 3);
	EXPECT_UINT(r->desc, x.desc);
	EXPECT_UINT(r->desc_dma, x.desc - DIRECT);
	EXPECT_UINT(r->bufinfo, x.extra);
	EXPECT_INT(r->device_hdr, 12);
	EXPECT_INT(r->nposted, 5);
	static const enum dms_nicring_slot_state want[VQ_NUM] = {
		DMS_NICRING_SLOT_POSTED,    DMS_NICRING_SLOT_POSTED,	DMS_NICRING_SLOT_STALE,
		DMS_NICRING_SLOT_COMPLETED, DMS_NICRING_SLOT_COMPLETED, DMS_NICRING_SLOT_POSTED,
		DMS_NICRING_SLOT_POSTED,    DMS_NICRING_SLOT_POSTED,
	};
	for (uint32_t i = 0; i < VQ_NUM; i++) {
		const struct dms_nicring_slot *s = &r->slots[i];
		EXPECT_INT(s->state, want[i]);
		EXPECT_UINT(s->dma, x.buf[i] - DIRECT);
		EXPECT_UINT(s->buf_phys, x.buf[i] - DIRECT);
		// The frame follows the 12-byte virtio_net_hdr_mrg_rxbuf.
		EXPECT_UINT(s->frame_dma, x.buf[i] - DIRECT + 12);
		EXPECT_UINT(s->frame_phys, x.buf[i] - DIRECT + 12);
		EXPECT_UINT(s->data, i == 2 ? 0 : x.buf[i]);
		EXPECT_INT(s->len, 1536);
	}
	struct dms_nicring_hwdesc *hw = NULL;
	EXPECT_OK(dms_nicring_read_hw(f->nr, &f->env, r, &hw));
	enum dms_nicring_agree a5 = dms_nicring_compare(&r->slots[5], &hw[5]);
	enum dms_nicring_agree a6 = dms_nicring_compare(&r->slots[6], &hw[6]);
	uint32_t len0 = hw[0].len;
	uint64_t addr6 = hw[6].addr;
	free(hw);
	dms_nicring_result_destroy(res);
	fake_destroy(f);
	EXPECT_INT(a5, DMS_NICRING_AGREE);
	EXPECT_INT(a6, DMS_NICRING_DIFFER);
	EXPECT_UINT(addr6, 0x5000000);
	EXPECT_INT(len0, 1536);
}

static void dms_nicring_walk_virtio_net_synthetic(void)
{
	virtio_net_synthetic(NULL);
}

// arm64: virtio_ring is built in, its struct vring_virtqueue comes from the
// release's vmlinux (the layout of virtio_net.ko alone lacks it).
static void dms_nicring_walk_virtio_net_arm64_61(void)
{
	virtio_net_synthetic("6.1.0-56-arm64");
}

static void dms_nicring_walk_virtio_net_arm64_612(void)
{
	virtio_net_synthetic("6.12.95+deb12-arm64");
}

static size_t count_code(const struct dms_nicring_result *res, enum dms_nicring_code code);
static struct dms_error *iova_shift(void *arg, uint64_t iova, uint64_t *ret);

// bcmgenet (Raspberry Pi 4): bcmgenet_priv.rx_rings[5] inline; ring 0, the
// default ring and on GENET v5 the only one (hw_params->rx_queues 0; 6.1's
// bcmgenet_isr1 loops index <= rx_queues), over priv->rx_cbs; the
// descriptors are device registers, so only the control blocks are in memory.
#define GENET_N 8
#define GENET_EMPTY 5

struct genet_fix {
	uint64_t priv, cbs, ring;
	uint32_t nrings;
	uint64_t dma[GENET_N], skb[GENET_N];
};

static void genet_build(struct fake *f, struct genet_fix *x)
{
	const char *pt = "bcmgenet_priv", *rt = "bcmgenet_rx_ring", *ct = "enet_cb";
	memset(x, 0, sizeof(*x));
	x->priv = fake_new(f, pt);
	uint64_t csize = fake_sizeof(f, ct), rsize = fake_sizeof(f, rt), asize;
	uint64_t roff = fake_off(f, pt, "rx_rings", &asize);
	x->nrings = rsize ? (uint32_t)(asize / rsize) : 0;
	x->cbs = fake_alloc(f, csize * GENET_N, 64);
	x->ring = x->priv + roff; // rx_rings[0]
	fake_set(f, pt, x->priv, "rx_cbs", x->cbs);
	fake_set(f, pt, x->priv, "num_rx_bds", GENET_N);
	fake_set(f, pt, x->priv, "rx_buf_len", 2048);
	fake_set(f, rt, x->ring, "index", 0);
	fake_set(f, rt, x->ring, "cbs", x->cbs);
	fake_set(f, rt, x->ring, "size", GENET_N);
	fake_set(f, rt, x->ring, "c_index", 3);
	fake_set(f, rt, x->ring, "read_ptr", 3);
	fake_set(f, rt, x->ring, "cb_ptr", 0);
	fake_set(f, rt, x->ring, "end_ptr", GENET_N - 1);
	for (uint32_t i = 0; i < GENET_N; i++) {
		uint64_t cb = x->cbs + i * csize;
		// Descriptor registers: an ioremap address, never followed.
		fake_set(f, ct, cb, "bd_addr", 0xffff800082a42000ULL + 12 * i);
		if (i == GENET_EMPTY) // never filled: the open failed here
			continue;
		x->skb[i] = fake_alloc(f, 256, 64);
		// skb->data of a __netdev_alloc_skb(): NET_SKB_PAD into the head.
		x->dma[i] = fake_alloc(f, 2048 + 64 + 32, 64) + 64 - DIRECT;
		fake_set(f, ct, cb, "skb", x->skb[i]);
		fake_set(f, ct, cb, "dma_addr", x->dma[i]);
		fake_set(f, ct, cb, "dma_len", 2048);
	}
}

static void bcmgenet_synthetic(const char *release)
{
	struct fake *f;
	FAKE_REL_OR_SKIP(f, release, "genet", "bcmgenet");
	struct genet_fix x;
	genet_build(f, &x);
	struct dms_nicring_result *res = walk(f, x.priv);
	print_findings(res);
	EXPECT_TRUE(res != NULL);
	if (!res) {
		fake_destroy(f);
		return;
	}
	// GENET_MAX_MQ_CNT + 1 rings in Linux 6.1 and 6.12.
	EXPECT_INT(x.nrings, 5);
	EXPECT_INT(res->nfindings, 0);
	EXPECT_UINT(res->container, x.priv);
	EXPECT_INT(res->nrings, x.nrings);
	for (size_t i = 1; i < res->nrings; i++) {
		// Priority rings the driver did not set up (GENET v5: none).
		EXPECT_TRUE(res->rings[i].valid && res->rings[i].unallocated);
		EXPECT_INT(res->rings[i].nslots, 0);
	}
	const struct dms_nicring_ring *r = &res->rings[0];
	EXPECT_TRUE(r->valid && !r->unallocated);
	EXPECT_UINT(r->addr, x.ring);
	EXPECT_INT(r->count, GENET_N);
	EXPECT_UINT(r->bufinfo, x.cbs);
	EXPECT_UINT(r->desc, 0);
	EXPECT_INT(r->buf_len, 2048);
	EXPECT_INT(r->device_hdr, 66);
	// A full ring: every slot with a buffer is the device's.
	EXPECT_INT(r->nposted, GENET_N - 1);
	EXPECT_INT(r->nslots, GENET_N);
	for (uint32_t i = 0; i < r->nslots; i++) {
		const struct dms_nicring_slot *sl = &r->slots[i];
		bool empty = i == GENET_EMPTY;
		EXPECT_INT(sl->state, empty ? DMS_NICRING_SLOT_EMPTY : DMS_NICRING_SLOT_POSTED);
		EXPECT_UINT(sl->dma, x.dma[i]);
		EXPECT_UINT(sl->skb, x.skb[i]);
		EXPECT_INT(sl->len, empty ? 0 : 2048);
		if (empty)
			continue;
		EXPECT_UINT(sl->buf_dma, x.dma[i]);
		// 64-byte receive status block + 2 bytes before the frame.
		EXPECT_UINT(sl->frame_dma, x.dma[i] + 66);
		EXPECT_INT(sl->phys_state, DMS_NICRING_PHYS_IDENTITY);
		EXPECT_UINT(sl->frame_phys, x.dma[i] + 66);
		EXPECT_UINT(sl->page, 0);
		EXPECT_TRUE(!sl->dma_derived);
	}
	// The device's copy is in its registers: nothing to read.
	struct dms_nicring_hwdesc *hw = NULL;
	EXPECT_ERR(dms_nicring_read_hw(f->nr, &f->env, r, &hw), DMS_ERR_INVALID_ARGUMENT);
	EXPECT_TRUE(hw == NULL);
	dms_nicring_result_destroy(res);
	fake_destroy(f);
}

static void dms_nicring_walk_bcmgenet_arm64_61(void)
{
	bcmgenet_synthetic("6.1.0-56-arm64");
}

static void dms_nicring_walk_bcmgenet_arm64_612(void)
{
	bcmgenet_synthetic("6.12.95+deb12-arm64");
}

// A control block whose skb is not a kernel pointer is a finding; the
// ring is still walked.
static void dms_nicring_walk_bcmgenet_bad_skb(void)
{
	struct fake *f;
	FAKE_REL_OR_SKIP(f, "6.1.0-56-arm64", "genet", "bcmgenet");
	struct genet_fix x;
	genet_build(f, &x);
	fake_set(f, "enet_cb", x.cbs + 2 * fake_sizeof(f, "enet_cb"), "skb", 0x4500087d7dca0bULL);
	struct dms_nicring_result *res = walk(f, x.priv);
	size_t bad = count_code(res, DMS_NICRING_BAD_SLOT_POINTER);
	int32_t slot = res && res->nfindings ? res->findings[0].slot : -1;
	bool valid = res && res->nrings && res->rings[0].valid;
	dms_nicring_result_destroy(res);
	fake_destroy(f);
	EXPECT_INT(bad, 1);
	EXPECT_INT(slot, 2);
	EXPECT_TRUE(valid);
}

// mtk_soc_eth (MediaTek frame engine): mtk_mac.hw -> mtk_eth.rx_ring[4]
// inline; u8 **data holds one buffer per slot and no DMA address; the
// descriptors' rxd1 holds what the device was given.
#define MTK_N 8
#define MTK_DONE 3
#define MTK_DIFFER 6

struct mtk_fix {
	uint64_t mac, eth, ring, desc, data, pool;
	uint32_t nrings;
	uint64_t buf[MTK_N], dma[MTK_N];
};

static void mtk_build(struct fake *f, struct mtk_fix *x, bool page_pool)
{
	const char *et = "mtk_eth", *rt = "mtk_rx_ring", *dt = "mtk_rx_dma";
	memset(x, 0, sizeof(*x));
	x->mac = fake_new(f, "mtk_mac");
	x->eth = fake_new(f, et);
	fake_set(f, "mtk_mac", x->mac, "hw", x->eth);
	uint64_t asize, rsize = fake_sizeof(f, rt);
	x->ring = x->eth + fake_off(f, et, "rx_ring", &asize); // rx_ring[0]
	x->nrings = rsize ? (uint32_t)(asize / rsize) : 0;
	uint64_t dsize = fake_sizeof(f, dt);
	x->desc = fake_alloc(f, dsize * MTK_N, 4096);
	x->data = fake_alloc(f, 8 * MTK_N, 64);
	x->pool = page_pool ? fake_alloc(f, 512, 64) : 0;
	fake_set(f, rt, x->ring, "dma", x->desc);
	fake_set(f, rt, x->ring, "phys", x->desc - DIRECT);
	fake_set(f, rt, x->ring, "data", x->data);
	fake_set(f, rt, x->ring, "dma_size", MTK_N);
	fake_set(f, rt, x->ring, "buf_size", 1536);
	fake_set(f, rt, x->ring, "calc_idx", MTK_N - 1);
	fake_set(f, rt, x->ring, "page_pool", x->pool);
	for (uint32_t i = 0; i < MTK_N; i++) {
		// page_pool: a page, mapped at MTK_PP_HEADROOM; else a page
		// frag mapped at NET_SKB_PAD.
		x->buf[i] = page_pool ? fake_alloc(f, 4096, 4096) : fake_alloc(f, 2048, 64);
		x->dma[i] = x->buf[i] - DIRECT + (page_pool ? 256 : 64);
		fake_put(f, x->data + 8 * i, 8, x->buf[i]);
		uint64_t d = x->desc + dsize * i;
		fake_set(f, dt, d, "rxd1", i == MTK_DIFFER ? 0x7000000 : (uint32_t)x->dma[i]);
		// RX_DMA_PREP_PLEN0(buf_size) at dma_len_offset 16; the device
		// sets RX_DMA_DONE and the frame length when it wrote one.
		uint32_t rxd2 = 1536u << 16;
		if (i == MTK_DONE)
			rxd2 = 0x80000000u | 60u << 16;
		fake_set(f, dt, d, "rxd2", rxd2);
	}
}

static void mtk_synthetic(bool page_pool)
{
	struct fake *f;
	FAKE_REL_OR_SKIP(f, "6.12.95+deb12-arm64", "mtk_eth", "mtk_soc_eth");
	struct mtk_fix x;
	mtk_build(f, &x, page_pool);
	struct dms_nicring_result *res = walk(f, x.mac);
	print_findings(res);
	EXPECT_TRUE(res != NULL);
	if (!res) {
		fake_destroy(f);
		return;
	}
	EXPECT_INT(x.nrings, 4); // MTK_MAX_RX_RING_NUM
	EXPECT_INT(res->nfindings, 0);
	EXPECT_UINT(res->container, x.eth);
	EXPECT_INT(res->nrings, x.nrings);
	for (size_t i = 1; i < res->nrings; i++)
		EXPECT_TRUE(res->rings[i].valid && res->rings[i].unallocated);
	const struct dms_nicring_ring *r = &res->rings[0];
	EXPECT_TRUE(r->valid && !r->unallocated);
	EXPECT_UINT(r->addr, x.ring);
	EXPECT_INT(r->count, MTK_N);
	EXPECT_UINT(r->desc, x.desc);
	EXPECT_UINT(r->desc_dma, x.desc - DIRECT);
	EXPECT_UINT(r->bufinfo, x.data);
	EXPECT_INT(r->buf_len, 1536);
	EXPECT_INT(r->frame_offset, page_pool ? 256 : 64);
	EXPECT_INT(r->nposted, MTK_N);
	struct dms_nicring_hwdesc *hw = NULL;
	EXPECT_OK(dms_nicring_read_hw(f->nr, &f->env, r, &hw));
	for (uint32_t i = 0; hw && i < r->nslots; i++) {
		const struct dms_nicring_slot *sl = &r->slots[i];
		EXPECT_INT(sl->state, DMS_NICRING_SLOT_POSTED);
		EXPECT_TRUE(sl->dma_derived);
		EXPECT_UINT(sl->data, x.buf[i]);
		EXPECT_UINT(sl->dma, x.dma[i]);
		EXPECT_UINT(sl->buf_dma, x.dma[i]);
		EXPECT_UINT(sl->frame_dma, x.dma[i]);
		EXPECT_UINT(sl->buf_phys, x.dma[i]);
		EXPECT_INT(sl->phys_state, DMS_NICRING_PHYS_IDENTITY);
		EXPECT_INT(sl->len, 1536);
		EXPECT_TRUE(hw[i].present);
		EXPECT_INT(hw[i].done, i == MTK_DONE);
		EXPECT_INT(hw[i].len, i == MTK_DONE ? 60 : 0);
		EXPECT_UINT(hw[i].addr, i == MTK_DIFFER ? 0x7000000 : x.dma[i]);
		EXPECT_INT(dms_nicring_compare(sl, &hw[i]),
			   i == MTK_DIFFER ? DMS_NICRING_DIFFER : DMS_NICRING_AGREE);
	}
	free(hw);
	dms_nicring_result_destroy(res);
	fake_destroy(f);
}

static void dms_nicring_walk_mtk_page_pool(void)
{
	mtk_synthetic(true);
}

static void dms_nicring_walk_mtk_page_frag(void)
{
	mtk_synthetic(false);
}

// With an IOMMU the device's addresses are IOVAs the driver does not keep:
// the buffers' physical addresses are known, the comparison is not.
static void dms_nicring_walk_mtk_iommu(void)
{
	struct fake *f;
	FAKE_REL_OR_SKIP(f, "6.12.95+deb12-arm64", "mtk_eth", "mtk_soc_eth");
	struct mtk_fix x;
	mtk_build(f, &x, true);
	f->env.iova_to_phys = iova_shift;
	struct dms_nicring_result *res = walk(f, x.mac);
	struct dms_nicring_slot s0 = { 0 };
	enum dms_nicring_agree a0 = DMS_NICRING_AGREE;
	if (res && res->nrings && res->rings[0].nslots) {
		s0 = res->rings[0].slots[0];
		struct dms_nicring_hwdesc *hw = NULL;
		EXPECT_OK(dms_nicring_read_hw(f->nr, &f->env, &res->rings[0], &hw));
		if (hw)
			a0 = dms_nicring_compare(&s0, &hw[0]);
		free(hw);
	}
	dms_nicring_result_destroy(res);
	fake_destroy(f);
	EXPECT_TRUE(s0.dma_derived);
	EXPECT_UINT(s0.dma, 0);
	EXPECT_UINT(s0.buf_phys, x.dma[0]);
	EXPECT_INT(s0.phys_state, DMS_NICRING_PHYS_TRANSLATED);
	EXPECT_INT(a0, DMS_NICRING_UNKNOWN);
}

// lan78xx (Raspberry Pi 3B+): no ring; skbs on lan78xx_net.rxq (URBs
// submitted to the USB host controller) and rxq_done (completed), each with
// its struct urb * in skb->cb (struct skb_data).
#define USBQ_POSTED 4
#define USBQ_DONE 2
#define USBQ_UNMAPPED 1 // submitted, transfer_dma not (yet) set

struct usbq_fix {
	uint64_t priv, head[2];
	uint64_t skb[2][USBQ_POSTED], urb[2][USBQ_POSTED], buf[2][USBQ_POSTED];
};

// pt: the struct at netdev_priv (lan78xx_net, usbnet); done: its queue of
// completed URBs, or NULL.
static void usbq_build(struct fake *f, struct usbq_fix *x, const char *pt, const char *done)
{
	memset(x, 0, sizeof(*x));
	x->priv = fake_new(f, pt);
	x->head[0] = x->priv + fake_off(f, pt, "rxq", NULL);
	x->head[1] = done ? x->priv + fake_off(f, pt, done, NULL) : 0;
	uint64_t urb_in_skb =
		fake_off(f, "sk_buff", "cb", NULL) + fake_off(f, "skb_data", "urb", NULL);
	const uint32_t n[2] = { USBQ_POSTED, USBQ_DONE };
	for (uint32_t q = 0; q < (done ? 2u : 1u); q++) {
		uint64_t prev = x->head[q];
		for (uint32_t i = 0; i < n[q]; i++) {
			uint64_t skb = x->skb[q][i] = fake_new(f, "sk_buff");
			uint64_t urb = x->urb[q][i] = fake_new(f, "urb");
			x->buf[q][i] = fake_alloc(f, 4096, 64);
			fake_put(f, skb + urb_in_skb, 8, urb);
			fake_set(f, "sk_buff", skb, "prev", prev);
			fake_set(f, "sk_buff", prev, "next", skb); // sk_buff_head.next too
			fake_set(f, "sk_buff", skb, "data", x->buf[q][i]);
			fake_set(f, "urb", urb, "transfer_buffer", x->buf[q][i]);
			fake_set(f, "urb", urb, "transfer_buffer_length", 4096);
			if (!(q == 0 && i == USBQ_UNMAPPED))
				fake_set(f, "urb", urb, "transfer_dma", x->buf[q][i] - DIRECT);
			prev = skb;
		}
		fake_set(f, "sk_buff", prev, "next", x->head[q]);
		fake_set(f, "sk_buff_head", x->head[q], "prev", prev);
		fake_set(f, "sk_buff_head", x->head[q], "qlen", n[q]);
	}
}

// modules, driver, priv type, done queue; hdr: bytes before the first frame.
static void usbq_synthetic(const char *release, const char *modules, const char *driver,
			   const char *pt, const char *done, uint32_t hdr)
{
	struct fake *f;
	FAKE_REL_OR_SKIP(f, release, modules, driver);
	struct usbq_fix x;
	usbq_build(f, &x, pt, done);
	uint32_t nq = done ? 2 : 1;
	struct dms_nicring_result *res = walk(f, x.priv);
	print_findings(res);
	EXPECT_TRUE(res != NULL && res->nrings == nq);
	if (!res || res->nrings != nq) {
		dms_nicring_result_destroy(res);
		fake_destroy(f);
		return;
	}
	EXPECT_INT(res->nfindings, 0);
	const uint32_t n[2] = { USBQ_POSTED, USBQ_DONE };
	for (uint32_t q = 0; q < nq; q++) {
		const struct dms_nicring_ring *r = &res->rings[q];
		EXPECT_TRUE(r->valid);
		EXPECT_UINT(r->addr, x.head[q]);
		EXPECT_INT(r->count, n[q]);
		EXPECT_INT(r->nslots, n[q]);
		EXPECT_INT(r->nposted, q ? 0 : n[q]);
		EXPECT_INT(r->device_hdr, hdr);
		for (uint32_t i = 0; i < r->nslots; i++) {
			const struct dms_nicring_slot *sl = &r->slots[i];
			uint64_t pa = x.buf[q][i] - DIRECT;
			bool unmapped = q == 0 && i == USBQ_UNMAPPED;
			EXPECT_INT(sl->state,
				   q ? DMS_NICRING_SLOT_COMPLETED : DMS_NICRING_SLOT_POSTED);
			EXPECT_UINT(sl->skb, x.skb[q][i]);
			EXPECT_UINT(sl->data, x.buf[q][i]);
			EXPECT_INT(sl->len, 4096);
			EXPECT_INT(sl->dma_derived, unmapped);
			EXPECT_UINT(sl->buf_dma, pa);
			EXPECT_UINT(sl->buf_phys, pa);
			EXPECT_UINT(sl->frame_phys, pa + hdr);
		}
	}
	// The device's copy of the buffer addresses is in the host controller.
	struct dms_nicring_hwdesc *hw = NULL;
	EXPECT_UINT(res->container, x.priv);
	EXPECT_ERR(dms_nicring_read_hw(f->nr, &f->env, &res->rings[0], &hw),
		   DMS_ERR_INVALID_ARGUMENT);
	dms_nicring_result_destroy(res);
	fake_destroy(f);
}

// lan78xx: RX_CMD_A, RX_CMD_B, RX_CMD_C (10 bytes) before the first frame.
static void dms_nicring_walk_lan78xx_arm64_61(void)
{
	usbq_synthetic("6.1.0-56-arm64", "lan78xx", "lan78xx", "lan78xx_net", "rxq_done", 10);
}

static void dms_nicring_walk_lan78xx_arm64_612(void)
{
	usbq_synthetic("6.12.95+deb12-arm64", "lan78xx", "lan78xx", "lan78xx_net", "rxq_done", 10);
}

// smsc95xx (usbnet): a 4-byte status word before each frame; no done queue.
static void dms_nicring_walk_smsc95xx_arm64_61(void)
{
	usbq_synthetic("6.1.0-56-arm64", "usbnet", "smsc95xx", "usbnet", NULL, 4);
}

static void dms_nicring_walk_smsc95xx_arm64_612(void)
{
	usbq_synthetic("6.12.95+deb12-arm64", "usbnet", "smsc95xx", "usbnet", NULL, 4);
}

// A queue whose last skb links back into the queue instead of to the head
// (a cycle), and a qlen that disagrees with the list: findings, bounded.
static void dms_nicring_walk_lan78xx_broken_queue(void)
{
	struct fake *f;
	FAKE_REL_OR_SKIP(f, "6.1.0-56-arm64", "lan78xx", "lan78xx");
	struct usbq_fix x;
	usbq_build(f, &x, "lan78xx_net", "rxq_done");
	fake_set(f, "sk_buff", x.skb[0][USBQ_POSTED - 1], "next", x.skb[0][1]);
	fake_set(f, "sk_buff_head", x.head[1], "qlen", USBQ_DONE + 3);
	struct dms_nicring_result *res = walk(f, x.priv);
	size_t chain = count_code(res, DMS_NICRING_BAD_CHAIN);
	size_t count = count_code(res, DMS_NICRING_BAD_COUNT);
	uint32_t nslots0 = res && res->nrings > 0 ? res->rings[0].nslots : 0;
	uint32_t nslots1 = res && res->nrings > 1 ? res->rings[1].nslots : 0;
	dms_nicring_result_destroy(res);
	fake_destroy(f);
	EXPECT_INT(chain, 1);
	EXPECT_INT(count, 1);
	EXPECT_INT(nslots0, USBQ_POSTED);
	EXPECT_INT(nslots1, USBQ_DONE);
}

// Count findings of a code (and check the ring index when ring >= -1).
static size_t count_code(const struct dms_nicring_result *res, enum dms_nicring_code code)
{
	size_t n = 0;
	for (size_t i = 0; res && i < res->nfindings; i++)
		n += res->findings[i].code == code;
	return n;
}

static void dms_nicring_walk_garbage_ring_pointer(void)
{
	struct fake *f;
	FAKE_OR_SKIP(f, "i40e", "i40e");
	struct i40e_fix x;
	i40e_build(f, &x, 2);
	fake_put(f, x.rings + 8, 8, 0x4141414141414141ULL);
	struct dms_nicring_result *res = walk(f, x.priv);
	bool ok = res && res->nrings == 2 && res->rings[0].valid && !res->rings[1].valid &&
		  res->nfindings == 1 && res->findings[0].code == DMS_NICRING_BAD_POINTER &&
		  res->findings[0].ring == 1 && res->findings[0].value == 0x4141414141414141ULL;
	if (!ok)
		print_findings(res);
	dms_nicring_result_destroy(res);
	fake_destroy(f);
	EXPECT_TRUE(ok);
}

static void dms_nicring_walk_huge_count(void)
{
	struct fake *f;
	FAKE_OR_SKIP(f, "e1000", "e1000");
	struct ring_truth t[2];
	uint64_t priv = e1000_build(f, t, 2);
	fake_set(f, "e1000_rx_ring", t[0].ring, "count", 0x7fffffff);
	struct dms_nicring_result *res = walk(f, priv);
	bool ok = res && res->nrings == 2 && !res->rings[0].valid && res->rings[1].valid &&
		  count_code(res, DMS_NICRING_BAD_COUNT) == 1 && res->findings[0].ring == 0 &&
		  res->findings[0].value == 0x7fffffff;
	dms_nicring_result_destroy(res);
	fake_destroy(f);
	EXPECT_TRUE(ok);
}

static void dms_nicring_walk_huge_ring_count(void)
{
	struct fake *f;
	FAKE_OR_SKIP(f, "i40e", "i40e");
	struct i40e_fix x;
	i40e_build(f, &x, 1);
	fake_set(f, "i40e_vsi", x.vsi, "num_queue_pairs", 60000);
	struct dms_nicring_result *res = walk(f, x.priv);
	bool ok = res && res->nrings == 0 && count_code(res, DMS_NICRING_BAD_COUNT) == 1;
	dms_nicring_result_destroy(res);
	fake_destroy(f);
	EXPECT_TRUE(ok);
}

// A negative int ring count (num_rx_queues 0xff27ddaf): the finding shows the value
// memory holds, not the 64-bit widening 18446744073709551615 (issue 12).
static void dms_nicring_walk_negative_ring_count(void)
{
	struct fake *f;
	FAKE_OR_SKIP(f, "e1000", "e1000");
	struct ring_truth t[1];
	uint64_t priv = e1000_build(f, t, 1);
	fake_set(f, "e1000_adapter", priv, "num_rx_queues", 0xff27ddaf);
	struct dms_nicring_result *res = walk(f, priv);
	EXPECT_TRUE(res != NULL);
	if (!res) {
		fake_destroy(f);
		return;
	}
	EXPECT_INT(count_code(res, DMS_NICRING_BAD_COUNT), 1);
	EXPECT_INT(res->nrings, 0);
	if (res->nfindings) {
		const struct dms_nicring_finding *fd = &res->findings[0];
		EXPECT_INT(fd->value, 0xff27ddaf);
		EXPECT_TRUE(strstr(fd->reason, "0xff27ddaf") != NULL);
		EXPECT_TRUE(strstr(fd->reason, "-14164561") != NULL);
		EXPECT_TRUE(strstr(fd->reason, "18446744073709551615") == NULL);
		if (!strstr(fd->reason, "0xff27ddaf"))
			printf("    got: %s\n", fd->reason);
	}
	dms_nicring_result_destroy(res);
	fake_destroy(f);
}

// A kernel-looking pointer to memory outside the dump: reported, no crash.
static void dms_nicring_walk_pointer_outside_dump(void)
{
	struct fake *f;
	FAKE_OR_SKIP(f, "i40e", "i40e");
	struct i40e_fix x;
	i40e_build(f, &x, 1);
	fake_set(f, "i40e_ring", x.t[0].ring, "rx_bi", DIRECT + 0x7000000000ULL);
	struct dms_nicring_result *res = walk(f, x.priv);
	bool ok = res && res->nrings == 1 && count_code(res, DMS_NICRING_NOT_IN_DUMP) == 1 &&
		  res->rings[0].nslots == 16 &&
		  res->rings[0].slots[0].state == DMS_NICRING_SLOT_EMPTY;
	dms_nicring_result_destroy(res);
	fake_destroy(f);
	EXPECT_TRUE(ok);
}

static void dms_nicring_walk_ring_not_in_dump(void)
{
	struct fake *f;
	FAKE_OR_SKIP(f, "i40e", "i40e");
	struct i40e_fix x;
	i40e_build(f, &x, 2);
	dms_memimg_set_present(f->mi, x.t[1].ring, 1, 0);
	struct dms_nicring_result *res = walk(f, x.priv);
	bool ok = res && res->nrings == 2 && res->rings[0].valid && !res->rings[1].valid &&
		  count_code(res, DMS_NICRING_NOT_IN_DUMP) >= 1;
	dms_nicring_result_destroy(res);
	fake_destroy(f);
	EXPECT_TRUE(ok);
}

static void dms_nicring_walk_bad_indices(void)
{
	struct fake *f;
	FAKE_OR_SKIP(f, "i40e", "i40e");
	struct i40e_fix x;
	i40e_build(f, &x, 1);
	fake_set(f, "i40e_ring", x.t[0].ring, "next_to_use", 5000);
	struct dms_nicring_result *res = walk(f, x.priv);
	// The slots are still read (their addresses are evidence), none posted.
	bool ok = res && res->nrings == 1 && res->rings[0].valid && res->rings[0].nposted == 0 &&
		  res->rings[0].slots[5].state == DMS_NICRING_SLOT_STALE &&
		  count_code(res, DMS_NICRING_BAD_INDEX) == 1;
	dms_nicring_result_destroy(res);
	fake_destroy(f);
	EXPECT_TRUE(ok);
}

static void dms_nicring_walk_vsi_pointer_garbage(void)
{
	struct fake *f;
	FAKE_OR_SKIP(f, "i40e", "i40e");
	struct i40e_fix x;
	i40e_build(f, &x, 1);
	fake_set(f, "i40e_netdev_priv", x.priv, "vsi", 0x10);
	struct dms_nicring_result *res = walk(f, x.priv);
	bool ok = res && res->nrings == 0 && count_code(res, DMS_NICRING_BAD_POINTER) == 1;
	dms_nicring_result_destroy(res);
	fake_destroy(f);
	EXPECT_TRUE(ok);
}

static void dms_nicring_walk_slot_page_not_struct_page(void)
{
	struct fake *f;
	FAKE_OR_SKIP(f, "i40e", "i40e");
	struct i40e_fix x;
	i40e_build(f, &x, 1);
	fake_set(f, "i40e_rx_buffer", x.t[0].bufinfo + 24 * 7, "page", VMEMMAP + 3);
	struct dms_nicring_result *res = walk(f, x.priv);
	bool ok = res && res->nfindings == 1 &&
		  res->findings[0].code == DMS_NICRING_BAD_SLOT_POINTER &&
		  res->findings[0].slot == 7 && res->rings[0].slots[7].page_phys == 0 &&
		  res->rings[0].slots[8].page_phys != 0;
	dms_nicring_result_destroy(res);
	fake_destroy(f);
	EXPECT_TRUE(ok);
}

static void dms_nicring_walk_unallocated_ring(void)
{
	struct fake *f;
	FAKE_OR_SKIP(f, "e1000", "e1000");
	struct ring_truth t[1];
	uint64_t priv = e1000_build(f, t, 1);
	fake_set(f, "e1000_rx_ring", t[0].ring, "buffer_info", 0);
	struct dms_nicring_result *res = walk(f, priv);
	bool ok = res && res->nfindings == 0 && res->nrings == 1 && res->rings[0].valid &&
		  res->rings[0].unallocated && res->rings[0].nslots == 0;
	dms_nicring_result_destroy(res);
	fake_destroy(f);
	EXPECT_TRUE(ok);
}

static void dms_nicring_walk_bad_priv(void)
{
	struct fake *f;
	FAKE_OR_SKIP(f, "igb", "igb");
	struct dms_nicring_result *res = walk(f, 0x1234);
	bool ok = res && res->nrings == 0 && count_code(res, DMS_NICRING_BAD_POINTER) == 1;
	dms_nicring_result_destroy(res);
	fake_destroy(f);
	EXPECT_TRUE(ok);
}

static void dms_nicring_walk_virtio_chain_cycle(void)
{
	struct fake *f;
	FAKE_OR_SKIP(f, "virtio_net virtio_ring", "virtio_net");
	struct virtio_fix x;
	virtio_build(f, &x);
	// Descriptor 5 chains to itself (VRING_DESC_F_NEXT).
	fake_set(f, "vring_desc", x.desc + 16 * 5, "flags", 1);
	fake_set(f, "vring_desc", x.desc + 16 * 5, "next", 5);
	struct dms_nicring_result *res = walk(f, x.priv);
	bool ok = res && count_code(res, DMS_NICRING_BAD_CHAIN) == 1;
	dms_nicring_result_destroy(res);
	fake_destroy(f);
	EXPECT_TRUE(ok);
}

// The device used more buffers than the driver posted since it last looked
// (buffers re-posted behind the driver's back after ifdown): the completed
// window is a finding, the posted window [used, avail) is still marked.
static void dms_nicring_walk_virtio_runaway_used(void)
{
	struct fake *f;
	FAKE_OR_SKIP(f, "virtio_net virtio_ring", "virtio_net");
	struct virtio_fix x;
	virtio_build(f, &x);
	fake_set(f, "vring_virtqueue", x.vvq, "last_used_idx", (uint16_t)(5 - 100));
	struct dms_nicring_result *res = walk(f, x.priv);
	uint32_t posted = 0, completed = 0;
	for (uint32_t i = 0; res && res->nrings && i < res->rings[0].nslots; i++) {
		posted += res->rings[0].slots[i].state == DMS_NICRING_SLOT_POSTED;
		completed += res->rings[0].slots[i].state == DMS_NICRING_SLOT_COMPLETED;
	}
	bool ok = res && count_code(res, DMS_NICRING_BAD_INDEX) == 1 && res->rings[0].valid &&
		  posted > 0 && completed == 0;
	if (!ok)
		fprintf(stderr,
			"expected 1 BAD_INDEX, posted > 0, completed 0; got posted %u "
			"completed %u\n",
			posted, completed);
	dms_nicring_result_destroy(res);
	fake_destroy(f);
	EXPECT_TRUE(ok);
}

static void dms_nicring_walk_virtio_runaway_avail(void)
{
	struct fake *f;
	FAKE_OR_SKIP(f, "virtio_net virtio_ring", "virtio_net");
	struct virtio_fix x;
	virtio_build(f, &x);
	fake_put(f, x.avail + 2, 2, 1000);
	struct dms_nicring_result *res = walk(f, x.priv);
	bool ok = res && count_code(res, DMS_NICRING_BAD_INDEX) == 1 && res->rings[0].valid;
	dms_nicring_result_destroy(res);
	fake_destroy(f);
	EXPECT_TRUE(ok);
}

static void dms_nicring_walk_virtio_packed_unsupported(void)
{
	struct fake *f;
	FAKE_OR_SKIP(f, "virtio_net virtio_ring", "virtio_net");
	struct virtio_fix x;
	virtio_build(f, &x);
	fake_set(f, "vring_virtqueue", x.vvq, "packed_ring", 1);
	struct dms_nicring_result *res = walk(f, x.priv);
	bool ok = res && count_code(res, DMS_NICRING_UNSUPPORTED) == 1 && !res->rings[0].valid;
	dms_nicring_result_destroy(res);
	fake_destroy(f);
	EXPECT_TRUE(ok);
}

static void dms_nicring_walk_virtio_bad_size(void)
{
	struct fake *f;
	FAKE_OR_SKIP(f, "virtio_net virtio_ring", "virtio_net");
	struct virtio_fix x;
	virtio_build(f, &x);
	fake_set(f, "vring_virtqueue", x.vvq, "split.vring.num", 12);
	struct dms_nicring_result *res = walk(f, x.priv);
	bool ok = res && count_code(res, DMS_NICRING_BAD_COUNT) == 1;
	dms_nicring_result_destroy(res);
	fake_destroy(f);
	EXPECT_TRUE(ok);
}

// IOMMU on: the hook translates, or says it cannot.
static struct dms_error *iova_shift(void *arg, uint64_t iova, uint64_t *ret)
{
	(void)arg;
	if (iova >= 0x100000000ULL)
		return dms_error_create_at(DMS_ERR_NOT_FOUND, iova, "no mapping");
	*ret = iova + 0x100000000ULL;
	return NULL;
}

static void dms_nicring_walk_iova_hook(void)
{
	struct fake *f;
	FAKE_OR_SKIP(f, "igb", "igb");
	uint64_t priv;
	struct ring_truth t[1];
	inline_build(f, "igb_adapter", &igb_spec, &priv, t, 1, "flags", 0);
	fake_set(f, "igb_rx_buffer", t[0].bufinfo + 24 * 9, "dma", 0x200000000ULL);
	f->env.iova_to_phys = iova_shift;
	struct dms_nicring_result *res = walk(f, priv);
	EXPECT_TRUE(res != NULL && res->nrings == 1 && res->rings[0].valid);
	struct dms_nicring_slot s0 = res->rings[0].slots[0], s9 = res->rings[0].slots[9];
	dms_nicring_result_destroy(res);
	fake_destroy(f);
	EXPECT_INT(s0.phys_state, DMS_NICRING_PHYS_TRANSLATED);
	EXPECT_UINT(s0.buf_phys, s0.buf_dma + 0x100000000ULL);
	EXPECT_UINT(s0.frame_phys, s0.frame_dma + 0x100000000ULL);
	EXPECT_INT(s9.phys_state, DMS_NICRING_PHYS_UNKNOWN);
	EXPECT_UINT(s9.buf_phys, 0);
}

// Every entry of the table resolves against its real debug modules, and
// each descriptor format agrees with the kernel's own struct or union: the
// amd64 modules of $DEBUG_MODULES and the arm64 ones of fetch-debuginfo's cache
// (bcmgenet and mtk_soc_eth are built for arm64 only; mtk_eth from 6.12 on).
static const char *const entry_releases[] = { NULL, "6.1.0-56-arm64", "6.12.95+deb12-arm64" };

// The layout of modules in release (NULL: $DEBUG_MODULES); *ret NULL when
// that release's debuginfo lacks one of them.
static struct dms_error *open_entry_modules(const char *release, const char *modules,
					    struct dms_dwlayout **ret)
{
	*ret = NULL;
	if (release)
		return open_release_modules(release, modules, ret);
	const char *dir = getenv("DEBUG_MODULES");
	if (!dir || !*dir)
		return NULL;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", modules);
	for (char *save, *m = strtok_r(buf, " ", &save); m; m = strtok_r(NULL, " ", &save)) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s.ko", dir, m);
		if (access(path, R_OK) != 0)
			return NULL;
	}
	return test_open_modules(modules, ret);
}

static void dms_nicring_create_every_table_entry(void)
{
	size_t n;
	const struct dms_nicring_driver *d = dms_nicring_drivers(&n);
	EXPECT_TRUE(n >= 8);
	size_t checked = 0;
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < sizeof(entry_releases) / sizeof(entry_releases[0]); k++) {
			const char *rel = entry_releases[k] ? entry_releases[k] : "$DEBUG_MODULES";
			struct dms_dwlayout *dl = NULL;
			EXPECT_OK(open_entry_modules(entry_releases[k], d[i].modules, &dl));
			if (!dl)
				continue;
			checked++;
			struct dms_layout l = dms_dwlayout_provider(dl);
			struct dms_nicring *nr = NULL;
			struct dms_error *err = dms_nicring_create(&d[i], &l, &nr);
			dms_nicring_destroy(nr);
			const struct dms_nicring_desc_fmt *fmt = d[i].desc_fmt;
			uint64_t size = fmt ? 0 : 1;
			struct dms_dw_member m = { 0 };
			if (!err && fmt)
				err = dms_dwlayout_type_size(dl, fmt->type, &size);
			if (!err && fmt)
				err = dms_dwlayout_member(dl, fmt->type, fmt->addr_member, &m);
			dms_dwlayout_destroy(dl);
			if (err)
				fprintf(stderr, "  driver %s, %s\n", d[i].name, rel);
			EXPECT_OK(err);
			if (!fmt) // descriptors in device memory
				continue;
			EXPECT_INT(size, fmt->size);
			EXPECT_INT(m.offset, fmt->addr_off);
			EXPECT_INT(m.size, fmt->addr_size ? fmt->addr_size : 8);
		}
	}
	if (!checked)
		test_skip("no debuginfo: set DEBUG_MODULES (dumps/fetch-debuginfo)");
}

static void dms_nicring_create_missing_member(void)
{
	struct dms_dwlayout *dl;
	OPEN_OR_SKIP("i40e", dl);
	struct dms_nicring_driver d = *dms_nicring_driver_find("i40e");
	d.slot_dma = "no_such_dma";
	struct dms_layout l = dms_dwlayout_provider(dl);
	struct dms_nicring *nr = NULL;
	struct dms_error *err = dms_nicring_create(&d, &l, &nr);
	int code = err ? (int)err->code : 0;
	bool named = err && strstr(err->message, "i40e_rx_buffer.no_such_dma");
	dms_error_destroy(err);
	dms_nicring_destroy(nr);
	dms_dwlayout_destroy(dl);
	EXPECT_INT(code, DMS_ERR_NOT_FOUND);
	EXPECT_TRUE(named);
}

// The wrong module's layout (e1000e's e1000_adapter for e1000) is caught.
static void dms_nicring_create_wrong_module(void)
{
	struct dms_dwlayout *dl;
	OPEN_OR_SKIP("e1000e", dl);
	struct dms_layout l = dms_dwlayout_provider(dl);
	struct dms_nicring *nr = NULL;
	struct dms_error *err = dms_nicring_create(dms_nicring_driver_find("e1000"), &l, &nr);
	int code = err ? (int)err->code : 0;
	dms_error_destroy(err);
	dms_nicring_destroy(nr);
	dms_dwlayout_destroy(dl);
	EXPECT_INT(code, DMS_ERR_NOT_FOUND);
}

static void dms_nicring_read_hw_invalid_ring(void)
{
	struct dms_nicring_ring ring = { .index = 3 };
	struct dms_nicring_hwdesc *hw = NULL;
	EXPECT_ERR(dms_nicring_read_hw(NULL, NULL, &ring, &hw), DMS_ERR_INVALID_ARGUMENT);
	EXPECT_TRUE(hw == NULL);
}

static void dms_nicring_driver_find_names(void)
{
	EXPECT_TRUE(dms_nicring_driver_find("i40e") != NULL);
	EXPECT_STR(dms_nicring_driver_find("virtio_net")->priv_type, "virtnet_info");
	EXPECT_TRUE(dms_nicring_driver_find("mlx5_core") == NULL);
	EXPECT_STR(dms_nicring_code_name(DMS_NICRING_BAD_CHAIN), "BAD_CHAIN");
	EXPECT_STR(dms_nicring_code_name(DMS_NICRING_NUM_CODES), "UNKNOWN");
	EXPECT_STR(dms_nicring_slot_state_name(DMS_NICRING_SLOT_STALE), "stale");
}

static void dms_nicring_netdev_priv_aligned(void)
{
	// sizeof(struct net_device) is 2432 in the 6.1.0-56 vmlinux (a multiple of 32).
	EXPECT_UINT(dms_nicring_netdev_priv(0xffff888004a3c000ULL, 2432), 0xffff888004a3c980ULL);
	EXPECT_UINT(dms_nicring_netdev_priv(0xffff888004a3c000ULL, 2433), 0xffff888004a3c9a0ULL);
}

const struct dms_test nicring_tests[] = {
	TEST_ENTRY(dms_nicring_walk_i40e_synthetic),
	TEST_ENTRY(dms_nicring_walk_ixgbe_synthetic),
	TEST_ENTRY(dms_nicring_walk_igb_synthetic),
	TEST_ENTRY(dms_nicring_walk_e1000_synthetic),
	TEST_ENTRY(dms_nicring_walk_e1000_jumbo_page),
	TEST_ENTRY(dms_nicring_walk_e1000e_synthetic),
	TEST_ENTRY(dms_nicring_walk_virtio_net_synthetic),
	TEST_ENTRY(dms_nicring_walk_virtio_net_arm64_61),
	TEST_ENTRY(dms_nicring_walk_virtio_net_arm64_612),
	TEST_ENTRY(dms_nicring_walk_bcmgenet_arm64_61),
	TEST_ENTRY(dms_nicring_walk_bcmgenet_arm64_612),
	TEST_ENTRY(dms_nicring_walk_bcmgenet_bad_skb),
	TEST_ENTRY(dms_nicring_walk_mtk_page_pool),
	TEST_ENTRY(dms_nicring_walk_mtk_page_frag),
	TEST_ENTRY(dms_nicring_walk_mtk_iommu),
	TEST_ENTRY(dms_nicring_walk_lan78xx_arm64_61),
	TEST_ENTRY(dms_nicring_walk_lan78xx_arm64_612),
	TEST_ENTRY(dms_nicring_walk_lan78xx_broken_queue),
	TEST_ENTRY(dms_nicring_walk_smsc95xx_arm64_61),
	TEST_ENTRY(dms_nicring_walk_smsc95xx_arm64_612),
	TEST_ENTRY(dms_nicring_walk_garbage_ring_pointer),
	TEST_ENTRY(dms_nicring_walk_huge_count),
	TEST_ENTRY(dms_nicring_walk_huge_ring_count),
	TEST_ENTRY(dms_nicring_walk_negative_ring_count),
	TEST_ENTRY(dms_nicring_walk_pointer_outside_dump),
	TEST_ENTRY(dms_nicring_walk_ring_not_in_dump),
	TEST_ENTRY(dms_nicring_walk_bad_indices),
	TEST_ENTRY(dms_nicring_walk_vsi_pointer_garbage),
	TEST_ENTRY(dms_nicring_walk_slot_page_not_struct_page),
	TEST_ENTRY(dms_nicring_walk_unallocated_ring),
	TEST_ENTRY(dms_nicring_walk_bad_priv),
	TEST_ENTRY(dms_nicring_walk_virtio_chain_cycle),
	TEST_ENTRY(dms_nicring_walk_virtio_runaway_avail),
	TEST_ENTRY(dms_nicring_walk_virtio_runaway_used),
	TEST_ENTRY(dms_nicring_walk_virtio_packed_unsupported),
	TEST_ENTRY(dms_nicring_walk_virtio_bad_size),
	TEST_ENTRY(dms_nicring_walk_iova_hook),
	TEST_ENTRY(dms_nicring_create_every_table_entry),
	TEST_ENTRY(dms_nicring_create_missing_member),
	TEST_ENTRY(dms_nicring_create_wrong_module),
	TEST_ENTRY(dms_nicring_read_hw_invalid_ring),
	TEST_ENTRY(dms_nicring_driver_find_names),
	TEST_ENTRY(dms_nicring_netdev_priv_aligned),
	{ NULL, NULL },
};
