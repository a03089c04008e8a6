// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: the layout-provider interface.
//
// Engines that read kernel structs by name (the NIC ring walker) ask a
// provider for sizes, member offsets and enum values instead of hard-coding
// them.  Two providers exist: lib/dwlayout (libdw on vmlinux / debug .ko
// files) and, in crash, the glue's wrapper over STRUCT_SIZE/MEMBER_OFFSET/
// enumerator_value.  Type names are given without the "struct "/"union "
// tag ("i40e_ring"); a member path is dot-separated ("split.vring.desc") and
// looks through anonymous struct/union members transparently.
#ifndef DMS_LAYOUT_H
#define DMS_LAYOUT_H

#include <stdint.h>

#include "error.h"

struct dms_layout_ops {
	/* sizeof(struct or union type); DMS_ERR_NOT_FOUND if unknown. */
	struct dms_error *(*type_size)(void *ctx, const char *type, uint64_t *ret);
	/*
	 * Offset from the start of type and size in bytes of member path;
	 * DMS_ERR_NOT_FOUND if the type or a member is unknown.
	 */
	struct dms_error *(*member)(void *ctx, const char *type, const char *path,
				    uint64_t *offset_ret, uint64_t *size_ret);
	/* Value of an enumerator ("__IXGBE_RX_3K_BUFFER"); may be NULL. */
	struct dms_error *(*enum_value)(void *ctx, const char *name, int64_t *ret);
	/*
	 * A bit-field member path: its first bit counted from the start of
	 * type (little-endian: bit 0 is the lowest bit of byte 0) and its
	 * width; DMS_ERR_NOT_FOUND if unknown, DMS_ERR_INVALID_ARGUMENT if the
	 * member is not a bit-field.  May be NULL.
	 */
	struct dms_error *(*bitfield)(void *ctx, const char *type, const char *path,
				      uint64_t *bit_offset_ret, uint64_t *bit_size_ret);
};

struct dms_layout {
	const struct dms_layout_ops *ops;
	void *ctx;
};

/** sizeof(type) through the provider. */
struct dms_error *dms_layout_type_size(const struct dms_layout *l, const char *type, uint64_t *ret);

/** Offset and size of a member path through the provider. */
struct dms_error *dms_layout_member(const struct dms_layout *l, const char *type, const char *path,
				    uint64_t *offset_ret, uint64_t *size_ret);

/** An enumerator's value; DMS_ERR_NOT_FOUND when the provider has none. */
struct dms_error *dms_layout_enum_value(const struct dms_layout *l, const char *name, int64_t *ret);

/**
 * A bit-field's first bit (from the start of type) and width; DMS_ERR_NOT_FOUND
 * when the provider cannot say.
 */
struct dms_error *dms_layout_bitfield(const struct dms_layout *l, const char *type,
				      const char *path, uint64_t *bit_offset_ret,
				      uint64_t *bit_size_ret);

#endif // DMS_LAYOUT_H
