// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: struct layouts from DWARF (libdw/libdwfl).  See dwlayout.h.
#define _GNU_SOURCE
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dwlayout.h"

// Index keys: kind + name.  Names point into the DWARF string data, which
// lives as long as the Dwfl.
enum key_kind {
	KEY_STRUCT = 's',
	KEY_UNION = 'u',
	KEY_TYPEDEF = 't',
	KEY_ENUMERATOR = 'e',
};

struct type_entry {
	const char *name; // NULL: empty slot
	char kind;
	Dwarf_Die die;
	int64_t value; // enumerators
};

struct member_entry {
	char *key; // "type\0path" flattened as "type:path"; NULL: empty slot
	struct dms_dw_member m;
};

struct dms_dwlayout {
	Dwfl *dwfl;
	Dwarf **files;
	// Per file: NULL, or the built-in module whose compile units alone are indexed.
	char **only;
	size_t nfiles, nindexed;
	struct type_entry *types;
	size_t ntypes, types_cap; // cap is a power of two
	struct member_entry *members;
	size_t nmembers, members_cap;
};

// Types nest deeper than this only in broken DWARF.
#define MAX_TYPE_DEPTH 32

static char *debuginfo_path;

static const Dwfl_Callbacks offline_callbacks = {
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};

const char *dms_dw_kind_name(enum dms_dw_kind kind)
{
	static const char *const names[] = {
		[DMS_DW_OTHER] = "other",	[DMS_DW_BASE] = "base",
		[DMS_DW_POINTER] = "pointer",	[DMS_DW_ARRAY] = "array",
		[DMS_DW_STRUCT] = "struct",	[DMS_DW_UNION] = "union",
		[DMS_DW_FUNCTION] = "function",
	};
	if ((unsigned int)kind >= sizeof(names) / sizeof(names[0]))
		return "other";
	return names[kind];
}

// FNV-1a over kind and name.
static uint64_t hash_str(char kind, const char *s)
{
	uint64_t h = 1469598103934665603ULL ^ (uint8_t)kind;
	h *= 1099511628211ULL;
	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static struct type_entry *types_find(struct dms_dwlayout *dl, char kind, const char *name)
{
	if (!dl->types_cap)
		return NULL;
	size_t mask = dl->types_cap - 1;
	for (size_t i = hash_str(kind, name) & mask;; i = (i + 1) & mask) {
		struct type_entry *e = &dl->types[i];
		if (!e->name)
			return NULL;
		if (e->kind == kind && !strcmp(e->name, name))
			return e;
	}
}

static int types_grow(struct dms_dwlayout *dl)
{
	size_t ncap = dl->types_cap ? dl->types_cap * 2 : 4096;
	struct type_entry *nt = calloc(ncap, sizeof(*nt));
	if (!nt)
		return -1;
	for (size_t j = 0; j < dl->types_cap; j++) {
		struct type_entry *e = &dl->types[j];
		if (!e->name)
			continue;
		size_t i = hash_str(e->kind, e->name) & (ncap - 1);
		while (nt[i].name)
			i = (i + 1) & (ncap - 1);
		nt[i] = *e;
	}
	free(dl->types);
	dl->types = nt;
	dl->types_cap = ncap;
	return 0;
}

// Insert unless present (the first definition wins).  -1: out of memory.
static int types_add(struct dms_dwlayout *dl, char kind, const char *name, const Dwarf_Die *die,
		     int64_t value)
{
	if ((dl->ntypes + 1) * 2 > dl->types_cap && types_grow(dl))
		return -1;
	size_t mask = dl->types_cap - 1;
	size_t i = hash_str(kind, name) & mask;
	for (;; i = (i + 1) & mask) {
		struct type_entry *e = &dl->types[i];
		if (!e->name)
			break;
		if (e->kind == kind && !strcmp(e->name, name))
			return 0;
	}
	dl->types[i] =
		(struct type_entry){ .name = name, .kind = kind, .die = *die, .value = value };
	dl->ntypes++;
	return 0;
}

static bool is_declaration(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	bool flag = false;
	return dwarf_attr(die, DW_AT_declaration, &a) && dwarf_formflag(&a, &flag) == 0 && flag;
}

static int index_enumerators(struct dms_dwlayout *dl, Dwarf_Die *enum_die)
{
	Dwarf_Die child;
	if (dwarf_child(enum_die, &child) != 0)
		return 0;
	do {
		if (dwarf_tag(&child) != DW_TAG_enumerator)
			continue;
		const char *name = dwarf_diename(&child);
		Dwarf_Attribute a;
		if (!name || !dwarf_attr(&child, DW_AT_const_value, &a))
			continue;
		int64_t v;
		Dwarf_Word u;
		if (dwarf_whatform(&a) == DW_FORM_sdata) {
			Dwarf_Sword s;
			if (dwarf_formsdata(&a, &s))
				continue;
			v = s;
		} else {
			if (dwarf_formudata(&a, &u))
				continue;
			v = (int64_t)u;
		}
		if (types_add(dl, KEY_ENUMERATOR, name, &child, v))
			return -1;
	} while (dwarf_siblingof(&child, &child) == 0);
	return 0;
}

// Index the named types among die's children; descends into structs and
// unions (nested definitions) but not into functions.
static int index_children(struct dms_dwlayout *dl, Dwarf_Die *parent, int depth)
{
	Dwarf_Die die;
	if (depth > MAX_TYPE_DEPTH || dwarf_child(parent, &die) != 0)
		return 0;
	do {
		int tag = dwarf_tag(&die);
		const char *name = dwarf_diename(&die);
		char kind = 0;
		switch (tag) {
		case DW_TAG_structure_type:
			kind = KEY_STRUCT;
			break;
		case DW_TAG_union_type:
			kind = KEY_UNION;
			break;
		case DW_TAG_typedef:
			kind = KEY_TYPEDEF;
			break;
		case DW_TAG_enumeration_type:
			if (index_enumerators(dl, &die))
				return -1;
			continue;
		default:
			continue;
		}
		if (name && !is_declaration(&die) && types_add(dl, kind, name, &die, 0))
			return -1;
		if ((tag == DW_TAG_structure_type || tag == DW_TAG_union_type) &&
		    index_children(dl, &die, depth + 1))
			return -1;
	} while (dwarf_siblingof(&die, &die) == 0);
	return 0;
}

// Whether a compile unit's source belongs to module mod as kbuild names it:
// ".../mod.c" or any file under a directory ".../mod/" (a multi-file driver);
// '-' and '_' are the same in module names.
static bool cu_of_module(const char *cu_name, const char *mod)
{
	if (!cu_name)
		return false;
	size_t ml = strlen(mod);
	for (const char *p = cu_name; *p; p++) {
		if (p != cu_name && p[-1] != '/')
			continue;
		size_t i = 0;
		while (i < ml && p[i] &&
		       (p[i] == mod[i] ||
			((p[i] == '-' || p[i] == '_') && (mod[i] == '-' || mod[i] == '_'))))
			i++;
		if (i == ml && (p[i] == '/' || (p[i] == '.' && p[i + 1] == 'c' && !p[i + 2])))
			return true;
	}
	return false;
}

static struct dms_error *index_file(struct dms_dwlayout *dl, Dwarf *dbg, const char *only)
{
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie;
	uint8_t unit_type;
	size_t matched = 0;
	while (dwarf_get_units(dbg, cu, &cu, NULL, &unit_type, &cudie, NULL) == 0) {
		if (only && !cu_of_module(dwarf_diename(&cudie), only))
			continue;
		matched++;
		if (index_children(dl, &cudie, 0))
			return &dms_enomem;
	}
	// No unit named after the module: look through all of them (slow, but right).
	if (only && !matched)
		return index_file(dl, dbg, NULL);
	return NULL;
}

static struct dms_error *index_files(struct dms_dwlayout *dl)
{
	for (; dl->nindexed < dl->nfiles; dl->nindexed++) {
		struct dms_error *err =
			index_file(dl, dl->files[dl->nindexed], dl->only[dl->nindexed]);
		if (err)
			return err;
	}
	return NULL;
}

struct dms_error *dms_dwlayout_create(struct dms_dwlayout **ret)
{
	struct dms_dwlayout *dl = calloc(1, sizeof(*dl));
	if (!dl)
		return &dms_enomem;
	dl->dwfl = dwfl_begin(&offline_callbacks);
	if (!dl->dwfl) {
		free(dl);
		return dms_error_create(DMS_ERR_IO, "dwfl_begin: %s", dwfl_errmsg(-1));
	}
	*ret = dl;
	return NULL;
}

static struct dms_error *add_file(struct dms_dwlayout *dl, const char *path, const char *only)
{
	Dwarf **nf = realloc(dl->files, (dl->nfiles + 1) * sizeof(*nf));
	if (!nf)
		return &dms_enomem;
	dl->files = nf;
	char **no = realloc(dl->only, (dl->nfiles + 1) * sizeof(*no));
	if (!no)
		return &dms_enomem;
	dl->only = no;
	char *only_copy = NULL;
	if (only && !(only_copy = strdup(only)))
		return &dms_enomem;
	struct dms_error *err;
	char name[32];
	snprintf(name, sizeof(name), "file%zu", dl->nfiles);
	dwfl_report_begin_add(dl->dwfl);
	Dwfl_Module *mod = dwfl_report_offline(dl->dwfl, name, path, -1);
	if (dwfl_report_end(dl->dwfl, NULL, NULL) != 0 || !mod) {
		err = dms_error_create(DMS_ERR_IO, "%s: %s", path, dwfl_errmsg(-1));
		goto out_free_only;
	}
	Dwarf_Addr bias;
	// Applies the relocations of an ET_REL file to its DWARF sections.
	Dwarf *dbg = dwfl_module_getdwarf(mod, &bias);
	if (!dbg) {
		err = dms_error_create(DMS_ERR_INVALID_DATA, "%s: no DWARF: %s", path,
				       dwfl_errmsg(-1));
		goto out_free_only;
	}
	dl->only[dl->nfiles] = only_copy;
	dl->files[dl->nfiles++] = dbg;
	return NULL;

out_free_only:
	free(only_copy);
	return err;
}

struct dms_error *dms_dwlayout_add_file(struct dms_dwlayout *dl, const char *path)
{
	return add_file(dl, path, NULL);
}

struct dms_error *dms_dwlayout_add_builtin(struct dms_dwlayout *dl, const char *vmlinux,
					   const char *module)
{
	return add_file(dl, vmlinux, module);
}

struct dms_error *dms_dwlayout_open(const char *path, struct dms_dwlayout **ret)
{
	struct dms_dwlayout *dl;
	struct dms_error *err = dms_dwlayout_create(&dl);
	if (err)
		return err;
	err = dms_dwlayout_add_file(dl, path);
	if (err) {
		dms_dwlayout_destroy(dl);
		return err;
	}
	*ret = dl;
	return NULL;
}

void dms_dwlayout_destroy(struct dms_dwlayout *dl)
{
	if (!dl)
		return;
	for (size_t i = 0; i < dl->members_cap; i++)
		free(dl->members[i].key);
	free(dl->members);
	free(dl->types);
	for (size_t i = 0; i < dl->nfiles; i++)
		free(dl->only[i]);
	free(dl->only);
	free(dl->files);
	dwfl_end(dl->dwfl);
	free(dl);
}

// Look through typedefs and qualifiers.  Returns false on broken DWARF.
static bool strip_type(Dwarf_Die *die, Dwarf_Die *ret)
{
	*ret = *die;
	for (int i = 0; i < MAX_TYPE_DEPTH; i++) {
		switch (dwarf_tag(ret)) {
		case DW_TAG_typedef:
		case DW_TAG_const_type:
		case DW_TAG_volatile_type:
		case DW_TAG_restrict_type:
		case DW_TAG_atomic_type: {
			Dwarf_Attribute a;
			if (!dwarf_attr_integrate(ret, DW_AT_type, &a))
				return false; // typedef of void
			if (!dwarf_formref_die(&a, ret))
				return false;
			break;
		}
		default:
			return true;
		}
	}
	return false;
}

// The DW_AT_type of die; false for void.
static bool type_of(Dwarf_Die *die, Dwarf_Die *ret)
{
	Dwarf_Attribute a;
	return dwarf_attr_integrate(die, DW_AT_type, &a) && dwarf_formref_die(&a, ret);
}

static enum dms_dw_kind kind_of(Dwarf_Die *type)
{
	Dwarf_Die t;
	if (!strip_type(type, &t))
		return DMS_DW_OTHER;
	switch (dwarf_tag(&t)) {
	case DW_TAG_base_type:
	case DW_TAG_enumeration_type:
		return DMS_DW_BASE;
	case DW_TAG_pointer_type:
		return DMS_DW_POINTER;
	case DW_TAG_array_type:
		return DMS_DW_ARRAY;
	case DW_TAG_structure_type:
		return DMS_DW_STRUCT;
	case DW_TAG_union_type:
		return DMS_DW_UNION;
	case DW_TAG_subroutine_type:
		return DMS_DW_FUNCTION;
	default:
		return DMS_DW_OTHER;
	}
}

static uint64_t type_size(Dwarf_Die *type)
{
	Dwarf_Die t;
	if (!strip_type(type, &t))
		return 0;
	Dwarf_Word size;
	if (dwarf_aggregate_size(&t, &size) == 0)
		return size;
	if (dwarf_tag(&t) == DW_TAG_pointer_type)
		return 8; // pointers without DW_AT_byte_size: the target's word
	return 0;
}

// Append s to buf[*len..cap), truncating.
static void put(char *buf, size_t cap, size_t *len, const char *s)
{
	size_t n = strlen(s);
	if (*len + 1 >= cap)
		return;
	if (n > cap - 1 - *len)
		n = cap - 1 - *len;
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = '\0';
}

// A C-like spelling of a type ("struct i40e_ring *", "u16", "char[21]");
// type NULL is void.
static void type_name(Dwarf_Die *type, char *buf, size_t cap, int depth)
{
	size_t len = strlen(buf);
	if (!type) {
		put(buf, cap, &len, "void");
		return;
	}
	if (depth > MAX_TYPE_DEPTH) {
		put(buf, cap, &len, "?");
		return;
	}
	const char *name = dwarf_diename(type);
	Dwarf_Die sub;
	switch (dwarf_tag(type)) {
	case DW_TAG_structure_type:
		put(buf, cap, &len, "struct ");
		put(buf, cap, &len, name ? name : "<anonymous>");
		return;
	case DW_TAG_union_type:
		put(buf, cap, &len, "union ");
		put(buf, cap, &len, name ? name : "<anonymous>");
		return;
	case DW_TAG_enumeration_type:
		put(buf, cap, &len, "enum ");
		put(buf, cap, &len, name ? name : "<anonymous>");
		return;
	case DW_TAG_pointer_type:
		type_name(type_of(type, &sub) ? &sub : NULL, buf, cap, depth + 1);
		len = strlen(buf);
		put(buf, cap, &len, " *");
		return;
	case DW_TAG_const_type:
		put(buf, cap, &len, "const ");
		type_name(type_of(type, &sub) ? &sub : NULL, buf, cap, depth + 1);
		return;
	case DW_TAG_volatile_type:
		put(buf, cap, &len, "volatile ");
		type_name(type_of(type, &sub) ? &sub : NULL, buf, cap, depth + 1);
		return;
	case DW_TAG_array_type:
		type_name(type_of(type, &sub) ? &sub : NULL, buf, cap, depth + 1);
		len = strlen(buf);
		put(buf, cap, &len, "[]");
		return;
	case DW_TAG_subroutine_type:
		put(buf, cap, &len, "function");
		return;
	default:
		put(buf, cap, &len, name ? name : "?");
		return;
	}
}

// Number of elements of an array type's first dimension (0: flexible).
static uint64_t array_len(Dwarf_Die *array)
{
	Dwarf_Die sub;
	if (dwarf_child(array, &sub) != 0)
		return 0;
	do {
		if (dwarf_tag(&sub) != DW_TAG_subrange_type)
			continue;
		Dwarf_Attribute a;
		Dwarf_Word w;
		if (dwarf_attr_integrate(&sub, DW_AT_count, &a) && dwarf_formudata(&a, &w) == 0)
			return w;
		if (dwarf_attr_integrate(&sub, DW_AT_upper_bound, &a) &&
		    dwarf_formudata(&a, &w) == 0 && w != (Dwarf_Word)-1)
			return w + 1;
		return 0;
	} while (dwarf_siblingof(&sub, &sub) == 0);
	return 0;
}

// Byte offset of a member (0 for union members); bit-fields also set *bits.
static bool member_location(Dwarf_Die *member, uint64_t *offset, uint64_t *bit_off)
{
	Dwarf_Attribute a;
	*offset = 0;
	*bit_off = 0;
	Dwarf_Word w;
	if (dwarf_attr_integrate(member, DW_AT_data_bit_offset, &a)) {
		if (dwarf_formudata(&a, &w))
			return false;
		*offset = w / 8;
		*bit_off = w % 8;
		return true;
	}
	if (!dwarf_attr_integrate(member, DW_AT_data_member_location, &a))
		return true;
	if (dwarf_formudata(&a, &w) == 0) {
		*offset = w;
	} else {
		// DWARF 2: a location expression DW_OP_plus_uconst N.
		Dwarf_Op *ops;
		size_t nops;
		if (dwarf_getlocation(&a, &ops, &nops) != 0 || nops != 1 ||
		    ops[0].atom != DW_OP_plus_uconst)
			return false;
		*offset = ops[0].number;
	}
	// DWARF 2-4 bit-fields (gcc before DWARF 5): DW_AT_bit_offset counts
	// from the most significant bit of a storage unit of DW_AT_byte_size
	// bytes at the member location; on a little-endian target the field's
	// lowest bit is byte_size * 8 - bit_offset - bit_size.
	Dwarf_Word boff, bsize, usize;
	if (dwarf_attr_integrate(member, DW_AT_bit_offset, &a) && dwarf_formudata(&a, &boff) == 0 &&
	    dwarf_attr_integrate(member, DW_AT_bit_size, &a) && dwarf_formudata(&a, &bsize) == 0 &&
	    dwarf_attr_integrate(member, DW_AT_byte_size, &a) && dwarf_formudata(&a, &usize) == 0 &&
	    usize <= 16 && boff + bsize <= usize * 8) {
		uint64_t bit = *offset * 8 + usize * 8 - boff - bsize;
		*offset = bit / 8;
		*bit_off = bit % 8;
	}
	return true;
}

// Find member name in struct/union type (stripped), searching anonymous
// members; *offset accumulates.
static bool find_member(Dwarf_Die *type, const char *name, Dwarf_Die *ret, uint64_t *offset,
			uint64_t *bit_off, int depth)
{
	Dwarf_Die child;
	if (depth > MAX_TYPE_DEPTH || dwarf_child(type, &child) != 0)
		return false;
	do {
		if (dwarf_tag(&child) != DW_TAG_member)
			continue;
		const char *n = dwarf_diename(&child);
		uint64_t off, boff;
		if (!member_location(&child, &off, &boff))
			continue;
		if (n && !strcmp(n, name)) {
			*ret = child;
			*offset += off;
			*bit_off = boff;
			return true;
		}
		if (n)
			continue;
		Dwarf_Die t, st;
		if (!type_of(&child, &t) || !strip_type(&t, &st))
			continue;
		int tag = dwarf_tag(&st);
		if (tag != DW_TAG_structure_type && tag != DW_TAG_union_type)
			continue;
		uint64_t inner = *offset + off;
		if (find_member(&st, name, ret, &inner, bit_off, depth + 1)) {
			*offset = inner;
			return true;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

// Split "struct x"/"union x"/"x" and find the definition (stripped).
static struct dms_error *lookup_type(struct dms_dwlayout *dl, const char *type, Dwarf_Die *ret)
{
	struct dms_error *err = index_files(dl);
	if (err)
		return err;
	const char *name = type;
	char only = 0;
	if (!strncmp(type, "struct ", 7)) {
		name = type + 7;
		only = KEY_STRUCT;
	} else if (!strncmp(type, "union ", 6)) {
		name = type + 6;
		only = KEY_UNION;
	}
	static const char order[] = { KEY_STRUCT, KEY_UNION, KEY_TYPEDEF };
	for (size_t i = 0; i < sizeof(order); i++) {
		if (only && order[i] != only)
			continue;
		struct type_entry *e = types_find(dl, order[i], name);
		if (!e)
			continue;
		if (!strip_type(&e->die, ret))
			continue;
		return NULL;
	}
	return dms_error_create(DMS_ERR_NOT_FOUND, "type %s not found in the debuginfo", type);
}

struct dms_error *dms_dwlayout_type_size(struct dms_dwlayout *dl, const char *type, uint64_t *ret)
{
	Dwarf_Die die;
	struct dms_error *err = lookup_type(dl, type, &die);
	if (err)
		return err;
	Dwarf_Word size;
	if (dwarf_aggregate_size(&die, &size) != 0)
		return dms_error_create(DMS_ERR_INVALID_DATA, "type %s has no size", type);
	*ret = size;
	return NULL;
}

static uint64_t hash_key(const char *s)
{
	return hash_str(0, s);
}

static struct member_entry *members_find(struct dms_dwlayout *dl, const char *key)
{
	if (!dl->members_cap)
		return NULL;
	size_t mask = dl->members_cap - 1;
	for (size_t i = hash_key(key) & mask;; i = (i + 1) & mask) {
		if (!dl->members[i].key)
			return NULL;
		if (!strcmp(dl->members[i].key, key))
			return &dl->members[i];
	}
}

// Cache a result; failure to cache is not an error.
static void members_add(struct dms_dwlayout *dl, const char *key, const struct dms_dw_member *m)
{
	if ((dl->nmembers + 1) * 2 > dl->members_cap) {
		size_t ncap = dl->members_cap ? dl->members_cap * 2 : 64;
		struct member_entry *nm = calloc(ncap, sizeof(*nm));
		if (!nm)
			return;
		for (size_t j = 0; j < dl->members_cap; j++) {
			if (!dl->members[j].key)
				continue;
			size_t i = hash_key(dl->members[j].key) & (ncap - 1);
			while (nm[i].key)
				i = (i + 1) & (ncap - 1);
			nm[i] = dl->members[j];
		}
		free(dl->members);
		dl->members = nm;
		dl->members_cap = ncap;
	}
	char *k = strdup(key);
	if (!k)
		return;
	size_t mask = dl->members_cap - 1;
	size_t i = hash_key(key) & mask;
	while (dl->members[i].key)
		i = (i + 1) & mask;
	dl->members[i].key = k;
	dl->members[i].m = *m;
	dl->nmembers++;
}

static void describe_member(Dwarf_Die *member, struct dms_dw_member *m)
{
	Dwarf_Die t;
	bool has_type = type_of(member, &t);
	m->type_name[0] = '\0';
	type_name(has_type ? &t : NULL, m->type_name, sizeof(m->type_name), 0);
	m->kind = has_type ? kind_of(&t) : DMS_DW_OTHER;
	m->size = has_type ? type_size(&t) : 0;
	Dwarf_Attribute a;
	Dwarf_Word w;
	if (dwarf_attr_integrate(member, DW_AT_bit_size, &a) && dwarf_formudata(&a, &w) == 0)
		m->bit_size = (uint32_t)w;
	m->elem_name[0] = '\0';
	Dwarf_Die st;
	if (!has_type || !strip_type(&t, &st))
		return;
	if (m->kind != DMS_DW_POINTER && m->kind != DMS_DW_ARRAY)
		return;
	if (m->kind == DMS_DW_ARRAY)
		m->array_len = array_len(&st);
	Dwarf_Die elem, selem;
	if (!type_of(&st, &elem)) {
		type_name(NULL, m->elem_name, sizeof(m->elem_name), 0);
		return;
	}
	// Name a struct or union element by its tag, whatever typedef wraps it.
	Dwarf_Die *named = &elem;
	if (strip_type(&elem, &selem) &&
	    (dwarf_tag(&selem) == DW_TAG_structure_type || dwarf_tag(&selem) == DW_TAG_union_type))
		named = &selem;
	type_name(named, m->elem_name, sizeof(m->elem_name), 0);
	m->elem_kind = kind_of(&elem);
	m->elem_size = type_size(&elem);
	if (m->kind == DMS_DW_ARRAY && m->array_len && m->size / m->array_len > m->elem_size)
		m->elem_size = m->size / m->array_len; // multi-dimensional
}

struct dms_error *dms_dwlayout_member(struct dms_dwlayout *dl, const char *type, const char *path,
				      struct dms_dw_member *ret)
{
	char *key;
	if (asprintf(&key, "%s:%s", type, path) < 0)
		return &dms_enomem;
	struct member_entry *hit = members_find(dl, key);
	if (hit) {
		*ret = hit->m;
		free(key);
		return NULL;
	}
	struct dms_error *err = NULL;
	Dwarf_Die cur;
	err = lookup_type(dl, type, &cur);
	if (err)
		goto out_free_key;
	struct dms_dw_member m = { 0 };
	const char *p = path;
	Dwarf_Die member;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char comp[128];
		int tag = dwarf_tag(&cur);
		if (n == 0 || n >= sizeof(comp) ||
		    (tag != DW_TAG_structure_type && tag != DW_TAG_union_type)) {
			err = dms_error_create(DMS_ERR_NOT_FOUND, "%s.%s: cannot resolve at \"%s\"",
					       type, path, p);
			goto out_free_key;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		uint64_t bit_off = 0;
		if (!find_member(&cur, comp, &member, &m.offset, &bit_off, 0)) {
			err = dms_error_create(DMS_ERR_NOT_FOUND, "%s.%s: no member \"%s\"", type,
					       path, comp);
			goto out_free_key;
		}
		m.bit_offset = (uint32_t)bit_off;
		if (!dot)
			break;
		Dwarf_Die t;
		if (!type_of(&member, &t) || !strip_type(&t, &cur)) {
			err = dms_error_create(DMS_ERR_NOT_FOUND, "%s.%s: \"%s\" has no type", type,
					       path, comp);
			goto out_free_key;
		}
		p = dot + 1;
	}
	describe_member(&member, &m);
	members_add(dl, key, &m);
	*ret = m;
out_free_key:
	free(key);
	return err;
}

struct dms_error *dms_dwlayout_enum_value(struct dms_dwlayout *dl, const char *name, int64_t *ret)
{
	struct dms_error *err = index_files(dl);
	if (err)
		return err;
	struct type_entry *e = types_find(dl, KEY_ENUMERATOR, name);
	if (!e)
		return dms_error_create(DMS_ERR_NOT_FOUND, "enumerator %s not found", name);
	*ret = e->value;
	return NULL;
}

static struct dms_error *prov_type_size(void *ctx, const char *type, uint64_t *ret)
{
	return dms_dwlayout_type_size(ctx, type, ret);
}

static struct dms_error *prov_member(void *ctx, const char *type, const char *path,
				     uint64_t *offset_ret, uint64_t *size_ret)
{
	struct dms_dw_member m;
	struct dms_error *err = dms_dwlayout_member(ctx, type, path, &m);
	if (err)
		return err;
	*offset_ret = m.offset;
	*size_ret = m.size;
	return NULL;
}

static struct dms_error *prov_enum_value(void *ctx, const char *name, int64_t *ret)
{
	return dms_dwlayout_enum_value(ctx, name, ret);
}

static struct dms_error *prov_bitfield(void *ctx, const char *type, const char *path,
				       uint64_t *bit_offset_ret, uint64_t *bit_size_ret)
{
	struct dms_dw_member m;
	struct dms_error *err = dms_dwlayout_member(ctx, type, path, &m);
	if (err)
		return err;
	if (!m.bit_size)
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT, "%s.%s is not a bit-field", type,
					path);
	*bit_offset_ret = m.offset * 8 + m.bit_offset;
	*bit_size_ret = m.bit_size;
	return NULL;
}

static const struct dms_layout_ops dwlayout_ops = {
	.type_size = prov_type_size,
	.member = prov_member,
	.enum_value = prov_enum_value,
	.bitfield = prov_bitfield,
};

struct dms_layout dms_dwlayout_provider(struct dms_dwlayout *dl)
{
	return (struct dms_layout){ .ops = &dwlayout_ops, .ctx = dl };
}

// --- .modinfo ------------------------------------------------------------

// .modinfo is a run of NUL-terminated "key=value" strings (include/linux/
// moduleparam.h MODULE_INFO); debug packages keep it in their .ko files.
struct dms_error *dms_dwlayout_modinfo(const char *path, const char *key, char *buf, size_t size)
{
	if (size)
		buf[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dms_error_create(DMS_ERR_IO, "%s: %s", path, strerror(errno));
	struct dms_error *err = NULL;
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	size_t shstrndx;
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx)) {
		err = dms_error_create(DMS_ERR_INVALID_DATA, "%s: not an ELF file", path);
		goto out_close;
	}
	size_t klen = strlen(key);
	err = dms_error_create(DMS_ERR_NOT_FOUND, "%s: no %s in .modinfo", path, key);
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;
		const char *name;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(name = elf_strptr(elf, shstrndx, sh.sh_name)) || strcmp(name, ".modinfo"))
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		const char *p = d ? d->d_buf : NULL, *end = p ? p + d->d_size : NULL;
		while (p && p < end) {
			size_t n = strnlen(p, (size_t)(end - p));
			if (n > klen && !memcmp(p, key, klen) && p[klen] == '=') {
				size_t vl = n - klen - 1;
				if (size) {
					vl = vl < size - 1 ? vl : size - 1;
					memcpy(buf, p + klen + 1, vl);
					buf[vl] = '\0';
				}
				dms_error_destroy(err);
				err = NULL;
				goto out_end;
			}
			p += n + 1;
		}
	}
out_end:
	elf_end(elf);
out_close:
	close(fd);
	return err;
}

bool dms_dwlayout_vermagic_matches(const char *vermagic, const char *release, char *ret_release,
				   size_t size)
{
	size_t n = strcspn(vermagic, " \t");
	if (size) {
		size_t c = n < size - 1 ? n : size - 1;
		memcpy(ret_release, vermagic, c);
		ret_release[c] = '\0';
	}
	return n && n == strlen(release) && !memcmp(vermagic, release, n);
}
