// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth crash extension: the kernel facts table (lib/kfacts.h), filled
// once at load from crash's debuginfo through a layout provider over
// STRUCT_SIZE / MEMBER_OFFSET / MEMBER_SIZE / enumerator_value, plus the
// target's address-space numbers and symbols crash knows (target_env: the
// one place that knows the crash target).  Nothing here decides:
// lib/kfacts.c does.  None of these calls longjmps (symbol_value only after
// symbol_exists, kvtop with verbose 0).
#include <crash/defs.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dms_ext.h"
#include "kfacts.h"

struct dms_kfacts dms_kf;

static struct dms_error *not_found(const char *type, const char *path)
{
	return dms_error_create(DMS_ERR_NOT_FOUND, "%s%s%s not in the debuginfo", type,
				path ? "." : "", path ? path : "");
}

static bool type_exists(const char *type)
{
	return STRUCT_EXISTS((char *)type);
}

static struct dms_error *cl_type_size(void *ctx, const char *type, uint64_t *ret)
{
	(void)ctx;
	if (!type_exists(type))
		return not_found(type, NULL);
	long sz = STRUCT_SIZE((char *)type);
	if (sz < 0)
		sz = UNION_SIZE((char *)type);
	if (sz < 0)
		return not_found(type, NULL);
	*ret = (uint64_t)sz;
	return NULL;
}

// One member (anonymous struct/union members looked through).
static bool one_member(const char *type, const char *m, long *off, long *size)
{
	*off = MEMBER_OFFSET((char *)type, (char *)m);
	*size = *off >= 0 ? MEMBER_SIZE((char *)type, (char *)m) : -1;
	if (*off < 0) {
		*off = ANON_MEMBER_OFFSET((char *)type, (char *)m);
		*size = *off >= 0 ? ANON_MEMBER_SIZE((char *)type, (char *)m) : -1;
	}
	return *off >= 0;
}

// A dotted member path ("f_path.dentry"): through embedded structs only.
static struct dms_error *cl_member(void *ctx, const char *type, const char *path,
				   uint64_t *offset_ret, uint64_t *size_ret)
{
	(void)ctx;
	char tname[128], buf[128];
	if (!type_exists(type) ||
	    snprintf(tname, sizeof(tname), "%s", type) >= (int)sizeof(tname) ||
	    snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return not_found(type, path);
	long total = 0, off, size = -1;
	for (char *m = buf; m;) {
		char *dot = strchr(m, '.');
		if (dot)
			*dot = '\0';
		if (!one_member(tname, m, &off, &size))
			return not_found(type, path);
		total += off;
		if (dot) {
			char *tn = MEMBER_TYPE_NAME(tname, m);
			if (!tn || tn == (char *)-1)
				return not_found(type, path);
			if (!strncmp(tn, "struct ", 7))
				tn += 7;
			else if (!strncmp(tn, "union ", 6))
				tn += 6;
			snprintf(tname, sizeof(tname), "%s", tn);
		}
		m = dot ? dot + 1 : NULL;
	}
	*offset_ret = (uint64_t)total;
	*size_ret = size >= 0 ? (uint64_t)size : 0;
	return NULL;
}

static struct dms_error *cl_enum(void *ctx, const char *name, int64_t *ret)
{
	(void)ctx;
	long v;
	if (!enumerator_value((char *)name, &v))
		return not_found(name, NULL);
	*ret = v;
	return NULL;
}

// Bit-fields.  crash's MEMBER_OFFSET rounds a bit-field's position down to
// a byte, so the bit comes from gdb's own layout print, the same in the gdb
// 10.2 of every crash 8.0.x:
//
//   /* offset    |  size */  type = struct slab {
//   /*   40      |     8 */    union {
//   /*                 4 */        struct {
//   /*   42: 0   |     4 */            unsigned int objects : 15;
//
// Only members of the type itself or of its anonymous structs and unions
// count: lines inside a named member ("} slab_list;") are dropped when it
// closes.  A plain path (no dots) only.
#define MAX_PTYPE_DEPTH 32

static struct dms_error *cl_bitfield(void *ctx, const char *type, const char *path,
				     uint64_t *bit_offset_ret, uint64_t *bit_size_ret)
{
	(void)ctx;
	char cmd[160];
	if (strchr(path, '.') || !type_exists(type) ||
	    snprintf(cmd, sizeof(cmd), "ptype /o struct %s", type) >= (int)sizeof(cmd))
		return not_found(type, path);
	FILE *out = tmpfile();
	if (!out)
		return not_found(type, path);
	struct dms_error *err = NULL;
	if (!gdb_pass_through(cmd, out, GNU_RETURN_ON_ERROR)) {
		err = not_found(type, path);
		goto out_close;
	}
	rewind(out);
	char line[512];
	size_t depth = 0;
	bool found = false, found_saved[MAX_PTYPE_DEPTH] = { false };
	uint64_t bit = 0, width = 0;
	while (fgets(line, sizeof(line), out)) {
		size_t n = strlen(line);
		while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
			line[--n] = '\0';
		char *rest = line + strspn(line, " \t");
		unsigned long byte = 0, b = 0;
		bool has_bit = false;
		if (!strncmp(rest, "/*", 2)) {
			char *end = strstr(rest, "*/");
			if (!end)
				continue;
			has_bit = sscanf(rest, "/* %lu: %lu |", &byte, &b) == 2;
			rest = end + 2;
			rest += strspn(rest, " \t");
		}
		n = strlen(rest);
		if (n && rest[n - 1] == '{') {
			if (depth < MAX_PTYPE_DEPTH)
				found_saved[depth] = found;
			depth++;
		} else if (rest[0] == '}') {
			if (depth)
				depth--;
			// "} name;": what was inside belongs to a named member.
			char *p = rest + 1 + strspn(rest + 1, " \t");
			if (*p && *p != ';' && depth < MAX_PTYPE_DEPTH)
				found = found_saved[depth];
		} else if (has_bit && !found && n && rest[n - 1] == ';') {
			// "unsigned int objects : 15;"
			char *colon = strstr(rest, " : ");
			if (!colon)
				continue;
			char *name_end = colon;
			char *name = name_end;
			while (name > rest && (isalnum((unsigned char)name[-1]) || name[-1] == '_'))
				name--;
			unsigned long w;
			if ((size_t)(name_end - name) == strlen(path) &&
			    !strncmp(name, path, strlen(path)) &&
			    sscanf(colon, " : %lu;", &w) == 1 && w > 0 && w <= 64 && b < 8) {
				found = true;
				bit = (uint64_t)byte * 8 + b;
				width = w;
			}
		}
	}
	if (found) {
		*bit_offset_ret = bit;
		*bit_size_ret = width;
	} else {
		err = not_found(type, path);
	}
out_close:
	fclose(out);
	return err;
}

static const struct dms_layout_ops crash_layout_ops = { cl_type_size, cl_member, cl_enum,
							cl_bitfield };

struct dms_layout dms_crash_layout(void)
{
	return (struct dms_layout){ &crash_layout_ops, NULL };
}

// NUMBER(name) of the dump's vmcoreinfo.
static bool vmcoreinfo_number(void *ctx, const char *name, int64_t *ret)
{
	(void)ctx;
	char key[96];
	if (!pc->read_vmcoreinfo ||
	    snprintf(key, sizeof(key), "NUMBER(%s)", name) >= (int)sizeof(key))
		return false;
	char *s = pc->read_vmcoreinfo(key);
	if (!s)
		return false;
	char *end;
	long long v = strtoll(s, &end, 10);
	bool ok = end != s;
	free(s);
	if (ok)
		*ret = v;
	return ok;
}

// ---- the target ---------------------------------------------------------
//
// The only code that knows which crash target the extension is built for:
// crash's machdep differs per architecture (its macros and machine_specific
// members exist only for their own target), so each target reads its
// address-space facts here, once, into the table.  Everything else -- glue
// and lib -- asks the table (kfacts.h: dms_kf_kernel_ptr, dms_kf_kernel_min,
// dms_kf_user_addr, dms_kf_phys_to_virt, ...).

#if defined(X86_64)
static void target_env(struct dms_kfacts_env *env)
{
	env->arch = DMS_ARCH_X86_64;
	// The direct map starts at physical 0: page_offset_base (KASLR).
	env->page_offset = PTOV(0);
	env->dmap_phys = 0;
	// vmemmap_base: struct page of pfn 0.
	env->vmemmap = VMEMMAP_VADDR;
	// 5-level paging (LA57): 57 bits, else 48.
	env->va_bits = (machdep->flags & VM_5LEVEL) ? 57 : 48;
	// TASK_SIZE_MAX: the top of user space minus a guard page.
	env->user_limit = USERSPACE_TOP ? USERSPACE_TOP - PAGESIZE() : 0;
}
#elif defined(ARM64)
// A hex value of the dump's vmcoreinfo ("SYMBOL(vmemmap)").
static bool vmcoreinfo_hex(const char *key, uint64_t *ret)
{
	if (!pc->read_vmcoreinfo)
		return false;
	char *s = pc->read_vmcoreinfo((char *)key);
	if (!s)
		return false;
	char *end;
	unsigned long long v = strtoull(s, &end, 16);
	bool ok = end != s;
	free(s);
	if (ok)
		*ret = v;
	return ok;
}

static void target_env(struct dms_kfacts_env *env)
{
	struct machine_specific *ms = machdep->machspec;
	env->arch = DMS_ARCH_ARM64;
	// The linear map: __phys_to_virt(p) = (p - PHYS_OFFSET) | PAGE_OFFSET.
	// PHYS_OFFSET (memstart_addr) is the start of RAM (0x40000000 on QEMU
	// virt) or, with a randomised linear map, below it, even "negative"
	// (0xffffec9f00000000 in the lab's dumps): PTOV(0) means nothing here.
	// The direct map's first byte is taken at the start of RAM, the
	// lowest memory node, through crash's PTOV.
	uint64_t ram = UINT64_MAX;
	for (int n = 0; n < vt->numnodes; n++)
		if (vt->node_table[n].start_paddr < ram)
			ram = vt->node_table[n].start_paddr;
	if (ram != UINT64_MAX) {
		env->dmap_phys = ram;
		env->page_offset = PTOV(ram);
	}
	// vmemmap = VMEMMAP_START - (memstart_addr >> PAGE_SHIFT), memstart_addr
	// signed: struct page of pfn 0, below the vmemmap region.  The dump's
	// vmcoreinfo says it where the kernel exports it; crash 8.0.6's own
	// computation shifts memstart_addr unsigned, wrong when it is negative.
	uint64_t vm;
	if (vmcoreinfo_hex("SYMBOL(vmemmap)", &vm))
		env->vmemmap = vm;
	else if (ms->struct_page_size)
		env->vmemmap =
			VMEMMAP_VADDR - (uint64_t)(((int64_t)ms->phys_offset >> PAGESHIFT()) *
						   (int64_t)ms->struct_page_size);
	// vabits_actual (TCR_EL1.T1SZ), which crash keeps in VA_BITS.
	env->va_bits = (uint32_t)(ms->VA_BITS_ACTUAL ? ms->VA_BITS_ACTUAL : ms->VA_BITS);
	// TASK_SIZE_64 = 1 << vabits_actual: mm_struct.task_size is exactly
	// the top of user space, which crash keeps as USERSPACE_TOP.
	env->user_limit = USERSPACE_TOP;
}
#else
#error "dmasleuth: build for a crash target this file knows (X86_64, ARM64)"
#endif

static void env_init(struct dms_kfacts_env *env)
{
	memset(env, 0, sizeof(*env));
	env->page_size = PAGESIZE();
	target_env(env);
	// Kernel pointers carry top-byte tags only with a KASAN tag mode (arm64
	// TBI1); those kernels have its init function.
	env->kernel_tags =
		symbol_exists("kasan_init_sw_tags") || symbol_exists("kasan_init_hw_tags");
	if (symbol_exists("_text") && symbol_exists("_end")) {
		// The image's physical start from its first mapped page (arm64
		// unmaps the head of _text after boot).
		physaddr_t start = 0, end;
		uint64_t vs = symbol_value("_text"), ve = symbol_value("_end");
		uint64_t skip = 0, ps = PAGESIZE();
		while (skip < 64 * ps && vs + skip < ve && !kvtop(NULL, vs + skip, &start, 0))
			skip += ps;
		if (ve > vs && vs + skip < ve && start >= skip && kvtop(NULL, ve - 1, &end, 0) &&
		    end >= start) {
			env->kimage_start = vs;
			env->kimage_end = ve;
			env->kimage_pstart = start - skip;
			env->kimage_pend = end + 1;
		}
	}
	uint64_t max_paddr = 0;
	for (int n = 0; n < vt->numnodes; n++) {
		struct node_table *nt = &vt->node_table[n];
		uint64_t end = nt->start_paddr + (uint64_t)nt->size * PAGESIZE();
		if (end > max_paddr)
			max_paddr = end;
	}
	env->max_pfn = max_paddr / PAGESIZE();
	env->slab_caches = symbol_exists("slab_caches") ? symbol_value("slab_caches") : 0;
	env->release = kt->utsname.release;
	env->vmcoreinfo = vmcoreinfo_number;
}

void dms_ext_kfacts_init(void)
{
	static bool loaded;
	if (loaded)
		return;
	struct dms_kfacts_env env;
	env_init(&env);
	struct dms_layout l = dms_crash_layout();
	dms_error_destroy(dms_kfacts_fill(&l, &env, &dms_kf));
	loaded = true;
}

uint64_t dms_max_paddr(void)
{
	return dms_kf.max_pfn << dms_kf.page_shift;
}
