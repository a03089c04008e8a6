// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: a walk of a kernel maple tree (lib/maple_tree.c, 6.1+), e.g. the
// sparse_irqs tree that holds every irq_desc since 6.5.
//
// The tree is read through a reader of kernel virtual addresses; its layout
// (node structs, node type enumerators, the pointer encoding) comes from the
// kernel facts table (lib/kfacts.h).  Every node is untrusted: the depth, the
// nodes read and the entries returned are bounded, pivots must rise, and a
// node that breaks a rule ends the walk with DMS_ERR_INVALID_DATA after the
// entries before it were passed on.
#ifndef DMS_MAPLE_H
#define DMS_MAPLE_H

#include <stdint.h>

#include "error.h"
#include "kfacts.h"
#include "reader.h"

/** Called for every entry of the tree: the index range [first, last] it covers. */
typedef struct dms_error *dms_maple_fn(uint64_t first, uint64_t last, uint64_t entry, void *arg);

/**
 * Walk the maple tree whose ma_root pointer value is root, in index order,
 * calling fn for each non-NULL entry (at most max_entries; more ends the walk
 * with DMS_ERR_INVALID_DATA).  DMS_ERR_UNSUPPORTED when the facts table lacks
 * the maple tree's layout.  *nodes_ret (optional): nodes read.
 */
struct dms_error *dms_maple_walk(const struct dms_reader *kv, const struct dms_kfacts *kf,
				 uint64_t root, size_t max_entries, dms_maple_fn *fn, void *arg,
				 size_t *nodes_ret);

#endif // DMS_MAPLE_H
