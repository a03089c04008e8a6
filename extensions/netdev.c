// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth crash extension: network devices and their RX rings.
//
// Walks init_net's device list (bounded, cycle-checked), names each device's
// driver (dev.parent->driver->name, else the module owning netdev_ops), and
// reads its RX rings with lib/nicring: the driver's table entry is chosen by
// name, its struct layouts come from the driver's debug .ko read with
// lib/dwlayout (one layout per module set: e1000 and e1000e both define
// struct e1000_adapter), found where crash loaded it (`mod -s`) or in the
// debuginfo cache of dumps/fetch-debuginfo.  No driver knowledge lives here.
//
// Also: netdev_features_t decoded by the NETIF_F_*_BIT enumerators of the
// dump's debuginfo, and whether an IOMMU translates DMA addresses.
#include <crash/defs.h>

#include <ctype.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dms_ext.h"
#include "dwlayout.h"
#include "nicring.h"

// Largest list we believe when init_net says nothing better.
#define MAX_NETDEVS 65536

static bool read_kv(uint64_t addr, void *buf, size_t len)
{
	return readmem(addr, KVADDR, buf, len, "dmasleuth netdev", QUIET | RETURN_ON_ERROR);
}

static bool read_u64(uint64_t addr, uint64_t *ret)
{
	return read_kv(addr, ret, sizeof(*ret));
}

// net_device and friends: the facts table's (lib/kfacts.h, filled at load).
static const struct dms_kfacts *const kf = &dms_kf;

// Can the device list be walked?  Else why not.
static const char *nd_why(void)
{
	if (!symbol_exists("init_net"))
		return "no init_net symbol";
	if (kf->nd_struct_size <= 0)
		return "no struct net_device in the debuginfo";
	if (!dms_kf_has(kf->nd_name) || !dms_kf_has(kf->nd_dev_list) ||
	    !dms_kf_has(kf->net_dev_base_head))
		return "net_device.name/dev_list or net.dev_base_head not found";
	return NULL;
}

// Bounded copy (truncates).
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

// Copy a dump string into buf, printable ASCII only.
static void sanitise(char *buf)
{
	for (char *p = buf; *p; p++)
		if (!isgraph((unsigned char)*p) && *p != ' ')
			*p = '?';
}

static void read_cstr(uint64_t addr, char *buf, size_t size)
{
	buf[0] = '\0';
	if (!addr || !read_kv(addr, buf, size - 1)) {
		// May end just before a missing page: one byte at a time.
		size_t n = 0;
		while (addr && n < size - 1 && read_kv(addr + n, buf + n, 1) && buf[n])
			n++;
		buf[n] = '\0';
	}
	buf[size - 1] = '\0';
	sanitise(buf);
}

// crash's modules (docs/compat.md, "crash versions"): struct load_module grew
// in crash 8.0.3 (6.4's module_memory) and IN_MODULE() became a call to a
// function that is static there, so st->load_modules[] is never indexed and
// IN_MODULE is not used.  crash finds the entry (module_symbol() and
// is_module_name(), exported with the same prototypes in every 8.0.x) and
// only its leading members are read: their offsets are the same in every
// crash 8.0.x.  A defs.h that moves them does not build.
_Static_assert(offsetof(struct load_module, mod_namelist) == 24 &&
		       offsetof(struct load_module, mod_name) == 24 + 256 &&
		       offsetof(struct load_module, mod_flags) == 24 + 256 + 64,
	       "crash's struct load_module changed its leading members: see docs/compat.md");

// The module whose memory holds addr, or NULL.
static const struct load_module *module_of(uint64_t addr)
{
	struct load_module *lm = NULL;
	if (!module_symbol((ulong)addr, NULL, &lm, NULL, 16))
		return NULL;
	return lm;
}

// The file crash loaded module mod's symbols from (`mod -s`), or NULL.
static const char *module_debug_file(const char *mod)
{
	struct load_module *lm = NULL;
	if (!is_module_name((char *)mod, NULL, &lm) || !lm || !(lm->mod_flags & MOD_LOAD_SYMS) ||
	    !lm->mod_namelist[0])
		return NULL;
	return lm->mod_namelist;
}

static void driver_name(uint64_t dev, struct dms_netdev *ret)
{
	uint64_t parent = 0, drv = 0, name = 0;
	if (kf->nd_dev >= 0 && kf->dev_parent >= 0 &&
	    read_u64(dev + (uint64_t)kf->nd_dev + (uint64_t)kf->dev_parent, &parent) && parent) {
		ret->parent = parent;
		if (kf->dev_iommu_group >= 0)
			read_u64(parent + (uint64_t)kf->dev_iommu_group, &ret->iommu_group);
		if (kf->dev_driver >= 0 && read_u64(parent + (uint64_t)kf->dev_driver, &drv) &&
		    drv && kf->drv_name >= 0 && read_u64(drv + (uint64_t)kf->drv_name, &name) &&
		    name) {
			read_cstr(name, ret->driver, sizeof(ret->driver));
			if (ret->driver[0]) {
				snprintf(ret->driver_from, sizeof(ret->driver_from),
					 "dev.parent->driver->name");
				return;
			}
		}
	}
	uint64_t ops = 0;
	const struct load_module *lm;
	if (kf->nd_netdev_ops >= 0 && read_u64(dev + (uint64_t)kf->nd_netdev_ops, &ops) && ops &&
	    (lm = module_of(ops))) {
		copy_str(ret->driver, sizeof(ret->driver), lm->mod_name);
		snprintf(ret->driver_from, sizeof(ret->driver_from), "module of netdev_ops");
		return;
	}
	// Built in: netdev_ops is a symbol of the kernel image.  Anything else
	// (a damaged pointer) says nothing about the driver.
	ulong off = 0;
	bool builtin = ops && IS_KVADDR(ops) && value_search((ulong)ops, &off);
	snprintf(ret->driver, sizeof(ret->driver), "%s", builtin ? "(built-in)" : "?");
	snprintf(ret->driver_from, sizeof(ret->driver_from), "%s",
		 builtin || !ops ? "none" : "none (netdev_ops bad)");
}

static void read_one(uint64_t dev, struct dms_netdev *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->addr = dev;
	// net_device.name is char[IFNAMSIZ]: its size from the debuginfo.  A name
	// that fills it has lost its terminator: shown, and said so.
	char name[32];
	memset(name, 0, sizeof(name));
	long nlen = kf->nd_name_size > 0 && kf->nd_name_size < (long)sizeof(name) ? kf->nd_name_size
										  : 16;
	read_kv(dev + (uint64_t)kf->nd_name, name, (size_t)nlen);
	ret->name_unterminated = strnlen(name, (size_t)nlen) == (size_t)nlen;
	name[nlen] = '\0';
	sanitise(name);
	snprintf(ret->name, sizeof(ret->name), "%s", name);
	uint32_t flags = 0;
	if (kf->nd_flags >= 0 && read_kv(dev + (uint64_t)kf->nd_flags, &flags, sizeof(flags)))
		ret->up = (flags & kf->iff_up) != 0;
	ret->flags = flags;
	if (kf->nd_features >= 0)
		ret->has_features = read_u64(dev + (uint64_t)kf->nd_features, &ret->features);
	if (kf->nd_hw_features >= 0)
		read_u64(dev + (uint64_t)kf->nd_hw_features, &ret->hw_features);
	uint8_t alen = 6;
	if (kf->nd_addr_len >= 0)
		read_kv(dev + (uint64_t)kf->nd_addr_len, &alen, 1);
	ret->addr_len = alen > 32 ? 32 : alen;
	if (kf->nd_dev_addr >= 0) {
		// 5.17+: const unsigned char *dev_addr; before: unsigned char[32].
		uint64_t at = dev + (uint64_t)kf->nd_dev_addr;
		if (kf->nd_dev_addr_size == 8 && !read_u64(at, &at))
			at = 0;
		if (at && ret->addr_len)
			ret->has_mac = read_kv(at, ret->mac, ret->addr_len > 6 ? 6 : ret->addr_len);
	}
	uint32_t q;
	if (kf->nd_real_num_rx_queues >= 0 &&
	    read_kv(dev + (uint64_t)kf->nd_real_num_rx_queues, &q, 4))
		ret->rx_queues = q;
	if (kf->nd_real_num_tx_queues >= 0 &&
	    read_kv(dev + (uint64_t)kf->nd_real_num_tx_queues, &q, 4))
		ret->tx_queues = q;
	ret->priv = dms_nicring_netdev_priv(dev, (uint64_t)kf->nd_struct_size);
	driver_name(dev, ret);
}

size_t dms_netdev_list(struct dms_netdev *out, size_t max, char *why, size_t whylen)
{
	if (why && whylen)
		why[0] = '\0';
	const char *no = nd_why();
	if (no) {
		if (why)
			snprintf(why, whylen, "%s", no);
		return 0;
	}
	uint64_t head = symbol_value("init_net") + (uint64_t)kf->net_dev_base_head;
	// Cap: the last ifindex handed out bounds the number of devices.
	uint64_t cap = MAX_NETDEVS;
	int32_t ifindex;
	if (kf->net_ifindex >= 0 &&
	    read_kv(symbol_value("init_net") + (uint64_t)kf->net_ifindex, &ifindex,
		    sizeof(ifindex)) &&
	    ifindex > 0 && (uint64_t)ifindex + 16 < cap)
		cap = (uint64_t)ifindex + 16;
	uint64_t prev = head, cur;
	if (!read_u64(head, &cur)) {
		if (why)
			snprintf(why, whylen,
				 "init_net.dev_base_head at %#" PRIx64 " not in the dump", head);
		return 0;
	}
	// Brent's cycle detection on the node addresses.
	uint64_t saved = cur, power = 1, lam = 0;
	size_t n = 0;
	for (uint64_t i = 0; cur != head; i++) {
		if (i >= cap) {
			if (why)
				snprintf(why, whylen,
					 "device list longer than %" PRIu64 " entries: stopped",
					 cap);
			break;
		}
		if (!IS_KVADDR(cur) || (cur & 7)) {
			if (why)
				snprintf(why, whylen,
					 "bad device list pointer %#" PRIx64 " after %#" PRIx64,
					 cur, prev);
			break;
		}
		uint64_t next, back;
		if (!read_u64(cur, &next) || !read_u64(cur + 8, &back)) {
			if (why)
				snprintf(why, whylen,
					 "device list node %#" PRIx64 " not in the dump", cur);
			break;
		}
		if (back != prev && why && !why[0])
			snprintf(why, whylen,
				 "device list node %#" PRIx64 ": prev %#" PRIx64 " != %#" PRIx64
				 " (kept going)",
				 cur, back, prev);
		// A device already listed: the list loops back (Brent's check
		// alone sees it only some steps later, after listing it again).
		bool again = false;
		for (size_t k = 0; k < n && k < max && !again; k++)
			again = out[k].addr == cur - (uint64_t)kf->nd_dev_list;
		if (again) {
			if (why)
				snprintf(why, whylen,
					 "cycle in the device list: %#" PRIx64 "->next = %#" PRIx64
					 ", a device already listed",
					 prev, cur);
			break;
		}
		if (n < max)
			read_one(cur - (uint64_t)kf->nd_dev_list, &out[n]);
		n++;
		prev = cur;
		cur = next;
		if (cur == saved) {
			if (why)
				snprintf(why, whylen, "cycle in the device list at %#" PRIx64, cur);
			break;
		}
		if (++lam == power) {
			saved = cur;
			power *= 2;
			lam = 0;
		}
	}
	return n < max ? n : max;
}

// ---- features ------------------------------------------------------------

size_t dms_netdev_features(uint64_t features, struct dms_feature *ret, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < DMS_KF_F_NUM && n < max; i++) {
		int bit = kf->netif_f[i];
		ret[n].name = dms_kf_feature_label((enum dms_kf_feature)i);
		ret[n].known = bit >= 0;
		ret[n].on = ret[n].known && ((features >> bit) & 1);
		n++;
	}
	return n;
}

// ---- IOMMU ---------------------------------------------------------------

// IOMMU_DOMAIN_IDENTITY is __IOMMU_DOMAIN_PT (1U << 2) in include/linux/iommu.h:
// a macro, so not in the debuginfo.
#define DMS_IOMMU_DOMAIN_PT 4

static bool read_int_sym(const char *sym, int32_t *ret)
{
	return symbol_exists((char *)sym) && read_kv(symbol_value((char *)sym), ret, sizeof(*ret));
}

// IOMMUs registered with the core (iommu_device_list, drivers/iommu/iommu.c): how many
// (at most 64; the list is dump data), and the first one's sysfs name: an ARM SMMU is
// "smmu3.0x0000000009050000" (arm-smmu-v3) or "smmu.0x..." (arm-smmu), Intel's "dmar0",
// AMD's "ivhd0".  -1 when this kernel has no such list.
static int registered_iommus(char *name, size_t size)
{
	long list = kf->iommu_list, dev = kf->iommu_dev;
	long kobj = kf->dev_kobj, kname = kf->kobj_name;
	uint64_t head, p, d, str;

	name[0] = '\0';
	if (!symbol_exists("iommu_device_list") || list < 0)
		return -1;
	head = symbol_value("iommu_device_list");
	if (!read_u64(head, &p))
		return -1;
	int n = 0;
	while (p && p != head && n < 64) {
		uint64_t obj = p - (uint64_t)list;
		if (!n && dev >= 0 && kobj >= 0 && kname >= 0 &&
		    read_u64(obj + (uint64_t)dev, &d) && d &&
		    read_u64(d + (uint64_t)kobj + (uint64_t)kname, &str) && str)
			read_string(str, name, (int)size - 1);
		n++;
		if (!read_u64(p, &p))
			break;
	}
	for (char *c = name; *c; c++)
		if (*c < 32 || *c > 126)
			*c = '?';
	return n;
}

void dms_iommu_get(struct dms_iommu *ret)
{
	memset(ret, 0, sizeof(*ret));
	int32_t v;
	// x86-64 kernels say which IOMMU driver is on; on arm64 (SMMU) and elsewhere the
	// registered IOMMU devices do.
	bool x86 = symbol_exists("intel_iommu_enabled") || symbol_exists("amd_iommus_present");
	if (read_int_sym("intel_iommu_enabled", &v) && v) {
		ret->on = true;
		snprintf(ret->which, sizeof(ret->which), "intel (intel_iommu_enabled=%d)", v);
	} else if (read_int_sym("amd_iommus_present", &v) && v > 0) {
		ret->on = true;
		snprintf(ret->which, sizeof(ret->which), "amd (amd_iommus_present=%d)", v);
	} else if (!x86) {
		char name[40];
		int n = registered_iommus(name, sizeof(name));
		if (n > 0) {
			ret->on = true;
			snprintf(ret->which, sizeof(ret->which), "%s (%d registered)",
				 name[0] ? name : "?", n);
		}
	}
	uint32_t type;
	if (symbol_exists("iommu_def_domain_type") &&
	    read_kv(symbol_value("iommu_def_domain_type"), &type, sizeof(type)))
		ret->passthrough = (type & DMS_IOMMU_DOMAIN_PT) != 0;
	if (!ret->on)
		snprintf(ret->text, sizeof(ret->text), "%s: DMA address = physical address",
			 x86 ? "off (no intel/amd IOMMU enabled)" : "off (no IOMMU registered)");
	else if (ret->passthrough)
		snprintf(ret->text, sizeof(ret->text),
			 "%s, default domain passthrough: DMA address = physical address",
			 ret->which);
	else
		snprintf(ret->text, sizeof(ret->text),
			 "%s, translating: DMA addresses are IOVAs; IOVA->physical translation "
			 "is NOT done (physical addresses unknown)",
			 ret->which);
}

static struct dms_error *iova_unknown(void *arg, uint64_t iova, uint64_t *ret)
{
	(void)arg;
	(void)ret;
	return dms_error_create_at(DMS_ERR_NOT_FOUND, iova, "IOVA translation not supported");
}

// ---- driver layouts ------------------------------------------------------

// One resolved table entry: its layout (the driver's debug modules) and walker.
struct drv_slot {
	const struct dms_nicring_driver *drv;
	bool tried;
	struct dms_dwlayout *dl;
	struct dms_nicring *nr;
	char files[512];
	char why[640];
};
#define MAX_DRIVERS 32
static struct drv_slot drv_slots[MAX_DRIVERS];

static bool file_ok(const char *path)
{
	return access(path, R_OK) == 0;
}

// Is the .ko at path built for the dumped kernel (its vermagic's release)?
// A .ko of another kernel describes other structs: it is skipped, and tried
// says so.  A file without vermagic is taken (nothing to compare).
static bool ko_matches(const char *path, char *tried, size_t tsize)
{
	char vm[128], rel[64];
	struct dms_error *err = dms_dwlayout_modinfo(path, "vermagic", vm, sizeof(vm));
	if (err) {
		dms_error_destroy(err);
		return true;
	}
	if (dms_dwlayout_vermagic_matches(vm, kt->utsname.release, rel, sizeof(rel)))
		return true;
	size_t tl = strlen(tried);
	if (snprintf(tried + tl, tsize - tl, "%s%s is for %s, not %s", tl ? "; " : "", path, rel,
		     kt->utsname.release) >= (int)(tsize - tl))
		tried[tsize - 1] = '\0';
	return false;
}

// Where the debug .ko of module mod is: crash's own (`mod -s`), then the
// fetch-debuginfo cache; only a .ko built for the dumped kernel.  Writes the
// places looked at to tried.
static bool find_ko(const char *mod, char *path, size_t size, char *tried, size_t tsize)
{
	char skipped[512] = "";
	const char *loaded = module_debug_file(mod);
	if (loaded && file_ok(loaded) && ko_matches(loaded, skipped, sizeof(skipped))) {
		snprintf(path, size, "%s", loaded);
		return true;
	}
	const char *rel = kt->utsname.release;
	char dirs[4][320];
	int nd_ = 0;
	const char *e;
	if ((e = getenv("DEBUG_MODULES")) && *e)
		snprintf(dirs[nd_++], sizeof(dirs[0]), "%s", e);
	if ((e = getenv("DMASLEUTH_CACHE")) && *e)
		snprintf(dirs[nd_++], sizeof(dirs[0]), "%s/%s/modules", e, rel);
	if ((e = getenv("XDG_CACHE_HOME")) && *e)
		snprintf(dirs[nd_++], sizeof(dirs[0]), "%s/dmasleuth/%s/modules", e, rel);
	if ((e = getenv("HOME")) && *e)
		snprintf(dirs[nd_++], sizeof(dirs[0]), "%s/.cache/dmasleuth/%s/modules", e, rel);
	char looked[1024] = "mod -s";
	for (int d = 0; d < nd_; d++) {
		size_t tl = strlen(looked);
		if (snprintf(looked + tl, sizeof(looked) - tl, ", %s", dirs[d]) >=
		    (int)(sizeof(looked) - tl))
			looked[sizeof(looked) - 1] = '\0';
		char alt[64];
		snprintf(alt, sizeof(alt), "%s", mod);
		for (char *p = alt; *p; p++)
			if (*p == '_')
				*p = '-';
		const char *names[2] = { mod, alt };
		for (int k = 0; k < 2; k++) {
			if (snprintf(path, size, "%s/%s.ko", dirs[d], names[k]) < (int)size &&
			    file_ok(path) && ko_matches(path, skipped, sizeof(skipped)))
				return true;
		}
	}
	// A file of another kernel is the news when there was one: first.
	snprintf(tried, tsize, "%s%slooked in: %s", skipped, skipped[0] ? "; " : "", looked);
	return false;
}

// The vmlinux with debuginfo that crash was started with (the debug file when
// the symbols came from a separate one), or NULL if it is not readable.
static const char *builtin_vmlinux(void)
{
	const char *p = pc->namelist_debug ? pc->namelist_debug : pc->namelist;
	return p && file_ok(p) ? p : NULL;
}

static void drv_resolve(struct drv_slot *s)
{
	s->tried = true;
	s->files[0] = '\0';
	s->why[0] = '\0';
	struct dms_error *err = dms_dwlayout_create(&s->dl);
	if (err)
		goto out_err;
	// modules: space-separated; each is added to this driver's layout only.
	char mods[128];
	snprintf(mods, sizeof(mods), "%s", s->drv->modules ? s->drv->modules : s->drv->name);
	char *save = NULL;
	for (char *m = strtok_r(mods, " ", &save); m; m = strtok_r(NULL, " ", &save)) {
		char path[512], tried[1024];
		if (find_ko(m, path, sizeof(path), tried, sizeof(tried))) {
			err = dms_dwlayout_add_file(s->dl, path);
		} else if (!is_module_name(m, NULL, NULL) && builtin_vmlinux()) {
			// Not a loaded module, yet its driver runs: built into the
			// kernel (e.g. virtio_ring on 6.12); its types are in vmlinux.
			snprintf(path, sizeof(path), "%s (built-in %s)", builtin_vmlinux(), m);
			err = dms_dwlayout_add_builtin(s->dl, builtin_vmlinux(), m);
		} else {
			snprintf(
				s->why, sizeof(s->why),
				"debuginfo of module %.32s not found (%.400s); run `mod -s %.32s "
				"FILE`, or set DEBUG_MODULES to the directory of the debug modules",
				m, tried, m);
			s->tried = false; // looked up again after a `mod -s`
			goto out_destroy;
		}
		if (err)
			goto out_err;
		size_t fl = strlen(s->files);
		snprintf(s->files + fl, sizeof(s->files) - fl, "%s%s", fl ? " " : "", path);
	}
	struct dms_layout l = dms_dwlayout_provider(s->dl);
	err = dms_nicring_create(s->drv, &l, &s->nr);
	if (err)
		goto out_err;
	return;
out_err:
	snprintf(s->why, sizeof(s->why), "%s: %s", s->drv->name,
		 err->message ? err->message : dms_error_string(err->code));
	dms_error_destroy(err);
out_destroy:
	dms_nicring_destroy(s->nr);
	s->nr = NULL;
	dms_dwlayout_destroy(s->dl);
	s->dl = NULL;
}

/** The walker of a driver (NULL with *why set when it has no entry or no debuginfo). */
static const struct dms_nicring *drv_walker(const char *driver, const char **why,
					    const char **files)
{
	static char nowhy[96];
	const struct dms_nicring_driver *drv = dms_nicring_driver_find(driver);
	*files = "";
	if (!drv) {
		snprintf(nowhy, sizeof(nowhy), "no ring table entry for driver \"%s\"", driver);
		*why = nowhy;
		return NULL;
	}
	struct drv_slot *s = NULL;
	for (int i = 0; i < MAX_DRIVERS; i++) {
		if (drv_slots[i].drv == drv || !drv_slots[i].drv) {
			s = &drv_slots[i];
			s->drv = drv;
			break;
		}
	}
	if (!s) {
		*why = "too many drivers";
		return NULL;
	}
	if (!s->tried)
		drv_resolve(s);
	*why = s->why;
	*files = s->files;
	return s->nr;
}

// ---- rings ---------------------------------------------------------------

static struct dms_creader *kv_reader;

static void env_init(struct dms_nicring_env *env, const struct dms_netdev *dev,
		     const struct dms_iommu *iommu)
{
	memset(env, 0, sizeof(*env));
	if (!kv_reader)
		kv_reader = dms_creader_virt_create(NULL, NULL);
	env->kv = kv_reader ? dms_creader_reader(kv_reader) : NULL;
	// vmemmap, sizeof(struct page) and the end of memory: the facts table.
	env->vmemmap = dms_kf.vmemmap;
	if (dms_kf.page_struct_size > 0)
		env->page_struct_size = (uint64_t)dms_kf.page_struct_size;
	env->max_pfn = dms_kf.max_pfn;
	// Lowest address of the target's kernel range (x86-64: the canonical
	// upper half; arm64: TTBR1): bounds netdev_priv and the ring pointers.
	env->kernel_min = dms_kf_kernel_min(&dms_kf);
	// A device behind a translating IOMMU: DMA addresses are IOVAs.
	if (iommu->on && !iommu->passthrough && (dev->iommu_group || !dev->parent))
		env->iova_to_phys = iova_unknown;
}

void dms_netdev_rings_destroy(struct dms_netdev_rings *r)
{
	if (!r)
		return;
	if (r->hw)
		for (size_t i = 0; i < r->nhw; i++)
			free(r->hw[i]);
	free(r->hw);
	free(r->freed_hw);
	dms_nicring_result_destroy(r->res);
	free(r);
}

struct dms_error *dms_netdev_rings_get(const struct dms_netdev *dev, struct dms_netdev_rings **ret)
{
	struct dms_netdev_rings *r = calloc(1, sizeof(*r));
	if (!r)
		return &dms_enomem;
	const char *why, *files;
	r->nr = drv_walker(dev->driver, &why, &files);
	r->files = files;
	dms_iommu_get(&r->iommu);
	if (!r->nr) {
		snprintf(r->why, sizeof(r->why), "%s", why);
		*ret = r;
		return NULL;
	}
	struct dms_nicring_env env;
	env_init(&env, dev, &r->iommu);
	if (!env.kv) {
		dms_netdev_rings_destroy(r);
		return &dms_enomem;
	}
	struct dms_error *err = dms_nicring_walk(r->nr, &env, dev->priv, &r->res);
	if (err)
		goto out_destroy;
	r->hw = calloc(r->res->nrings ? r->res->nrings : 1, sizeof(*r->hw));
	r->freed_hw = calloc(r->res->nrings ? r->res->nrings : 1, sizeof(*r->freed_hw));
	if (!r->hw || !r->freed_hw) {
		err = &dms_enomem;
		goto out_destroy;
	}
	r->nhw = r->res->nrings;
	for (size_t i = 0; i < r->res->nrings; i++) {
		const struct dms_nicring_ring *ring = &r->res->rings[i];
		if (!ring->valid || !ring->count)
			continue;
		struct dms_nicring_ring copy = *ring;
		if (!ring->desc && ring->desc_dma && !env.iova_to_phys) {
			// The driver freed its descriptor ring but kept its DMA
			// address: read what that memory holds now (DMA address =
			// physical address, IOMMU off).
			uint64_t kv;
			if (!dms_paddr_to_kvaddr(ring->desc_dma, &kv))
				continue;
			copy.desc = kv;
			r->freed_hw[i] = true;
		} else if (!ring->desc) {
			continue;
		}
		struct dms_error *e = dms_nicring_read_hw(r->nr, &env, &copy, &r->hw[i]);
		if (e && e->code != DMS_ERR_INVALID_ARGUMENT) {
			err = e;
			goto out_destroy;
		}
		dms_error_destroy(e);
	}
	*ret = r;
	return NULL;
out_destroy:
	dms_netdev_rings_destroy(r);
	return err;
}
