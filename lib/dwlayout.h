// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: struct layouts read from DWARF with elfutils (libdw/libdwfl).
//
// Opens vmlinux or debug .ko files.  Modules are relocatable ELF (ET_REL):
// their .debug_info refers to .debug_str through relocations, so files are
// reported to libdwfl offline (dwfl_report_offline), which applies them; a
// bare dwarf_begin() would read wrong names.  Type definitions are indexed by
// name on the first look-up (a few seconds for a 600 MB vmlinux, milliseconds
// for a module); member look-ups are cached.  Type names are given without
// the tag ("i40e_ring"; "struct i40e_ring" and "union ..." are accepted too).
#ifndef DMS_DWLAYOUT_H
#define DMS_DWLAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "layout.h"

/** What a type is, after typedefs and const/volatile are looked through. */
enum dms_dw_kind {
	DMS_DW_OTHER,
	DMS_DW_BASE, // integer, float, bool, enum
	DMS_DW_POINTER,
	DMS_DW_ARRAY,
	DMS_DW_STRUCT,
	DMS_DW_UNION,
	DMS_DW_FUNCTION,
};

/** "other", "base", "pointer", "array", "struct", "union", "function". */
const char *dms_dw_kind_name(enum dms_dw_kind kind);

/** A resolved member path. */
struct dms_dw_member {
	// Bytes from the start of the outer type, and the member's size.
	uint64_t offset, size;
	enum dms_dw_kind kind;
	// The member's type name as written ("u16", "struct i40e_ring *").
	char type_name[96];
	// Pointers: the pointee; arrays: the element type.  Name with its tag
	// ("struct i40e_rx_buffer", "void", "u8"), size 0 when unknown (void,
	// incomplete), kind of the element after typedefs.
	char elem_name[96];
	uint64_t elem_size;
	enum dms_dw_kind elem_kind;
	// Arrays: number of elements of the first dimension; 0 for a flexible
	// array member ("ring[]").
	uint64_t array_len;
	// Bit-fields: width and offset in bits from offset; bit_size 0 if not.
	uint32_t bit_size, bit_offset;
};

struct dms_dwlayout;

/** Create an empty layout; add files with dms_dwlayout_add_file(). */
struct dms_error *dms_dwlayout_create(struct dms_dwlayout **ret);

/**
 * Add a vmlinux or .ko (relocatable) with DWARF.  Later look-ups search every
 * file added, in order.  Fails with DMS_ERR_IO / DMS_ERR_INVALID_DATA naming
 * the file when it cannot be read or has no DWARF.
 */
struct dms_error *dms_dwlayout_add_file(struct dms_dwlayout *dl, const char *path);

/**
 * Add the part of a vmlinux that holds a built-in module's types: only the
 * compile units of module (sources "<module>.c" or under a directory
 * "<module>/"; '-' and '_' alike), or every unit if none is named so.
 * Indexing all of a distribution vmlinux takes seconds and ~250 MB.
 */
struct dms_error *dms_dwlayout_add_builtin(struct dms_dwlayout *dl, const char *vmlinux,
					   const char *module);

/** Shorthand: create and add one file. */
struct dms_error *dms_dwlayout_open(const char *path, struct dms_dwlayout **ret);

/** Destroy; accepts NULL. */
void dms_dwlayout_destroy(struct dms_dwlayout *dl);

/** sizeof(struct/union/typedef name); DMS_ERR_NOT_FOUND if not defined. */
struct dms_error *dms_dwlayout_type_size(struct dms_dwlayout *dl, const char *type, uint64_t *ret);

/**
 * Resolve a dot-separated member path in a struct or union ("rxbuf.data",
 * "split.vring.desc"); anonymous struct/union members are searched
 * transparently, and a path may continue through an embedded struct but not
 * through a pointer.  DMS_ERR_NOT_FOUND names the missing component.
 */
struct dms_error *dms_dwlayout_member(struct dms_dwlayout *dl, const char *type, const char *path,
				      struct dms_dw_member *ret);

/** Value of an enumerator by name; DMS_ERR_NOT_FOUND if none. */
struct dms_error *dms_dwlayout_enum_value(struct dms_dwlayout *dl, const char *name, int64_t *ret);

/**
 * The value of key in a kernel module's .modinfo section ("vermagic" ->
 * "6.1.0-56-amd64 SMP preempt mod_unload modversions "), NUL-terminated in
 * buf (truncated to size).  DMS_ERR_NOT_FOUND when the file has no such key,
 * DMS_ERR_IO / DMS_ERR_INVALID_DATA when it cannot be read as ELF.
 */
struct dms_error *dms_dwlayout_modinfo(const char *path, const char *key, char *buf, size_t size);

/**
 * Was a module with this vermagic built for the kernel release?  Its first
 * word must equal release: a .ko of another kernel describes other structs.
 * *ret_release gets that word (truncated to size), for messages.
 */
bool dms_dwlayout_vermagic_matches(const char *vermagic, const char *release, char *ret_release,
				   size_t size);

/** The layout-provider interface over this layout (valid while dl lives). */
struct dms_layout dms_dwlayout_provider(struct dms_dwlayout *dl);

#endif // DMS_DWLAYOUT_H
