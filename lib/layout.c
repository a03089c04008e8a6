// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: the layout-provider interface (see layout.h).
#include <stddef.h>

#include "layout.h"

struct dms_error *dms_layout_type_size(const struct dms_layout *l, const char *type, uint64_t *ret)
{
	return l->ops->type_size(l->ctx, type, ret);
}

struct dms_error *dms_layout_member(const struct dms_layout *l, const char *type, const char *path,
				    uint64_t *offset_ret, uint64_t *size_ret)
{
	return l->ops->member(l->ctx, type, path, offset_ret, size_ret);
}

struct dms_error *dms_layout_enum_value(const struct dms_layout *l, const char *name, int64_t *ret)
{
	if (!l->ops->enum_value)
		return dms_error_create(DMS_ERR_NOT_FOUND,
					"no enumerators in this layout provider");
	return l->ops->enum_value(l->ctx, name, ret);
}

struct dms_error *dms_layout_bitfield(const struct dms_layout *l, const char *type,
				      const char *path, uint64_t *bit_offset_ret,
				      uint64_t *bit_size_ret)
{
	if (!l->ops->bitfield)
		return dms_error_create(DMS_ERR_NOT_FOUND, "no bit-fields in this layout provider");
	return l->ops->bitfield(l->ctx, type, path, bit_offset_ret, bit_size_ret);
}
