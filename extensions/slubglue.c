// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth crash extension: the session's SLUB model (lib/slub.h) and
// object checker (lib/objcheck.h), over the kernel facts table (dms_kf).
//
// Everything read here comes from the facts table and crash's tables
// (symbol_exists/symbol_value, kt/vt, the layout provider): no call
// that can longjmp (symbol_value only after symbol_exists, readmem with
// RETURN_ON_ERROR), so dms_ext_slub() can be called from any command.  The
// model reads slab bytes through the physical crash reader and struct
// page / kmem_cache / per-cpu data through the virtual one; both forward
// their progress ticks to whatever the running command installed
// (dms_ext_slub_set_tick), so a long walk is interruptible.
#include <crash/defs.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dms_ext.h"
#include "objcheck.h"
#include "slub.h"

static struct {
	bool tried;
	char why[160];
	struct dms_creader *phys, *kv;
	struct dms_slub *slub;
	struct dms_objcheck *oc;
	bool oc_tried;
	char oc_why[160];
	dms_creader_tick_fn *tick;
	void *tick_arg;
} g;

static bool fwd_tick(uint64_t pos, void *arg)
{
	(void)arg;
	return g.tick ? g.tick(pos, g.tick_arg) : true;
}

void dms_ext_slub_set_tick(dms_creader_tick_fn *tick, void *arg)
{
	g.tick = tick;
	g.tick_arg = arg;
}

bool dms_ext_slub_stopped(void)
{
	return (g.phys && dms_creader_stopped(g.phys)) || (g.kv && dms_creader_stopped(g.kv));
}

// Pages the parallel reader decompresses ahead of a slab walk: the slabs'.
static bool slab_pages(uint64_t paddr, uint64_t len, void *arg)
{
	return dms_slub_slab_range(arg, paddr, len);
}

bool dms_ext_slub_stream(unsigned int threads, char *why, size_t whylen)
{
	if (!g.slub) {
		snprintf(why, whylen, "no SLUB model");
		return false;
	}
	return dms_creader_stream_want(g.phys, 0, dms_max_paddr(), threads, slab_pages, g.slub, why,
				       whylen);
}

unsigned int dms_ext_slub_stream_threads(void)
{
	return g.phys ? dms_creader_stream_threads(g.phys) : 0;
}

void dms_ext_slub_unstream(void)
{
	if (g.phys)
		dms_creader_unstream(g.phys);
}

static bool read_ptr(const char *sym, uint64_t *ret)
{
	if (!symbol_exists((char *)sym))
		return false;
	return readmem(symbol_value((char *)sym), KVADDR, ret, sizeof(*ret), "dmasleuth ptr",
		       QUIET | RETURN_ON_ERROR) != 0;
}

// Kernel variables that hold a struct kmem_cache pointer, for cache names
// merged into another cache (SLAB_MERGE_DEFAULT): the variable's name minus
// its _cachep/_cache suffix, or the name the kernel creates it with.
static const struct {
	const char *var, *name;
} cache_vars[] = {
	{ "vm_area_cachep", "vm_area_struct" },
	{ "anon_vma_cachep", "anon_vma" },
	{ "anon_vma_chain_cachep", "anon_vma_chain" },
	{ "mm_cachep", "mm_struct" },
	{ "filp_cachep", "filp" },
	{ "dentry_cache", "dentry" },
	{ "cred_jar", "cred_jar" },
	{ "names_cachep", "names_cache" },
	{ "fs_cachep", "fs_cache" },
	{ "files_cachep", "files_cache" },
	{ "sighand_cachep", "sighand_cache" },
	{ "signal_cachep", "signal_cache" },
	{ "task_struct_cachep", "task_struct" },
	{ "skbuff_head_cache", "skbuff_head_cache" },
	{ "skbuff_fclone_cache", "skbuff_fclone_cache" },
	{ "pid_cachep", "pid" },
	{ "inode_cachep", "inode_cache" },
	{ "vmap_area_cachep", "vmap_area" },
	{ "radix_tree_node_cachep", "radix_tree_node" },
};

static void aliases_add(struct dms_slub *slub)
{
	for (size_t i = 0; i < sizeof(cache_vars) / sizeof(cache_vars[0]); i++) {
		uint64_t addr;
		if (!read_ptr(cache_vars[i].var, &addr) || !addr)
			continue;
		const struct dms_slub_cache *c = dms_slub_cache_by_addr(slub, addr);
		if (!c || !strcmp(c->name, cache_vars[i].name))
			continue;
		dms_error_destroy(dms_slub_add_alias(slub, addr, cache_vars[i].name));
	}
}

struct dms_slub *dms_ext_slub(const char **why)
{
	if (g.slub || g.tried) {
		if (!g.slub && why)
			*why = g.why;
		return g.slub;
	}
	g.tried = true;
	uint32_t ncpu = kt->cpus > 0 && kt->cpus <= NR_CPUS ? (uint32_t)kt->cpus : 1;
	uint64_t *pcpu = calloc(ncpu, sizeof(*pcpu));
	if (!pcpu) {
		snprintf(g.why, sizeof(g.why), "out of memory");
		goto out_fail;
	}
	for (uint32_t i = 0; i < ncpu; i++)
		pcpu[i] = (uint64_t)kt->__per_cpu_offset[i];
	// The kernel facts are the table's; CPUs and nodes are this machine's.
	struct dms_slub_env env = {
		.nr_cpus = ncpu,
		.per_cpu_offset = pcpu,
		.nr_nodes = vt->numnodes > 0 ? (uint32_t)vt->numnodes : 1,
	};
	if (!dms_kf.slab_ok) {
		snprintf(g.why, sizeof(g.why), "%s", dms_kf.slab_why);
		goto out_free_pcpu;
	}
	if (dms_kf.c_freelist < 0) {
		// SLAB kernels have struct kmem_cache_node too; SLUB's cpu
		// freelist is the telling member.
		snprintf(g.why, sizeof(g.why), "no kmem_cache_cpu.freelist (not a SLUB kernel?)");
		goto out_free_pcpu;
	}
	g.phys = dms_creader_phys_create(fwd_tick, NULL);
	g.kv = dms_creader_virt_create(fwd_tick, NULL);
	if (!g.phys || !g.kv) {
		snprintf(g.why, sizeof(g.why), "out of memory");
		goto out_readers;
	}
	struct dms_error *err = dms_slub_create(dms_creader_reader(g.phys),
						dms_creader_reader(g.kv), &dms_kf, &env, &g.slub);
	if (err) {
		snprintf(g.why, sizeof(g.why), "SLUB model: %s",
			 err->message ? err->message : dms_error_string(err->code));
		dms_error_destroy(err);
		g.slub = NULL;
		goto out_readers;
	}
	aliases_add(g.slub);
	free(pcpu); // create copied it
	return g.slub;

out_readers:
	dms_creader_destroy(g.phys);
	dms_creader_destroy(g.kv);
	g.phys = g.kv = NULL;
out_free_pcpu:
	free(pcpu);
out_fail:
	if (why)
		*why = g.why;
	return NULL;
}

// Pointer predicate for classify/objcheck: slab objects by the model,
// then crash's symbols and address ranges.
bool dms_ext_ptr_info(uint64_t value, void *arg, struct dms_ptr_info *ret)
{
	(void)arg;
	memset(ret, 0, sizeof(*ret));
	// The target's kernel range (what a kernel pointer looks like there),
	// then crash's: kernel virtual addresses start at its kvbase (x86-64
	// PAGE_OFFSET, with 4- or 5-level paging; arm64 the flipped layout's
	// PAGE_OFFSET, tags allowed where the kernel uses them).
	if (value == ~0ULL || !dms_kf_kernel_ptr(&dms_kf, value) || !IS_KVADDR(value))
		return false;
	uint64_t pa;
	if (dms_kvaddr_to_paddr(value, &pa)) {
		ret->kind = DMS_PTR_DIRECT_MAP;
		if (g.slub) {
			struct dms_slub_obj o;
			struct dms_error *err = dms_slub_lookup(g.slub, value, &o);
			if (!err && o.where == DMS_SLUB_WHERE_OBJECT && o.cache) {
				ret->kind = DMS_PTR_SLAB;
				ret->name = o.cache->name;
				ret->offset = o.offset;
			}
			dms_error_destroy(err);
		}
		return true;
	}
	if (symbol_exists("_text") && symbol_exists("_end") && value >= symbol_value("_text") &&
	    value < symbol_value("_end")) {
		ret->kind = DMS_PTR_KERNEL_IMAGE;
		ulong off = 0;
		struct syment *sp = value_search(value, &off);
		if (sp) {
			ret->name = sp->name;
			ret->offset = (int64_t)off;
		}
		return true;
	}
	if (IS_VMALLOC_ADDR(value)) {
		ret->kind = DMS_PTR_VMALLOC;
		return true;
	}
	ret->kind = DMS_PTR_KERNEL;
	return true;
}

struct dms_objcheck *dms_ext_objcheck(const char **why)
{
	if (g.oc || g.oc_tried) {
		if (!g.oc && why)
			*why = g.oc_why;
		return g.oc;
	}
	g.oc_tried = true;
	const char *swhy = NULL;
	struct dms_slub *slub = dms_ext_slub(&swhy);
	if (!slub) {
		snprintf(g.oc_why, sizeof(g.oc_why), "%s", swhy ? swhy : "no SLUB model");
		goto out_fail;
	}
	struct dms_objcheck_env env = { 0 };
	// The target's rules: user limit (x86-64 TASK_SIZE_MAX, arm64 1 <<
	// va_bits), VM_* bits; kernel pointers by crash's own tables.
	env.kf = &dms_kf;
	env.kernel_ptr = dms_ext_ptr_info;
	struct dms_error *err = dms_objcheck_create(slub, &env, &g.oc);
	if (err) {
		snprintf(g.oc_why, sizeof(g.oc_why), "object checks: %s",
			 err->message ? err->message : dms_error_string(err->code));
		dms_error_destroy(err);
		g.oc = NULL;
		goto out_fail;
	}
	// Member offsets through the provider the facts table was filled from.
	struct dms_layout l = dms_crash_layout();
	dms_error_destroy(dms_objcheck_resolve(g.oc, &l));
	for (size_t i = 0; i < dms_objcheck_num_rules(g.oc); i++) {
		struct dms_cache_rules *r = dms_objcheck_rules_at(g.oc, i);
		uint64_t addr;
		if (r->present && r->cache_var && read_ptr(r->cache_var, &addr) &&
		    dms_slub_cache_by_addr(slub, addr))
			r->cache_addr = addr;
	}
	return g.oc;

out_fail:
	if (why)
		*why = g.oc_why;
	return NULL;
}
