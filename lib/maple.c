// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: a walk of a kernel maple tree (see maple.h).
//
// A maple tree's ma_root is NULL, a single entry (index 0), or an encoded node
// pointer marked internal (low bits 10, above 4096); an encoded node keeps its
// type in the bits under the node mask (node | type << shift | 4), and the
// slots of internal nodes hold encoded children.  Leaf nodes (maple_leaf_64) and internal ones
// (maple_range_64, and maple_arange_64 in trees that track gaps) keep pivots
// and slots: slot i covers [pivot[i-1] + 1, pivot[i]], the last slot up to the
// node's own maximum; a zero pivot after the first slot ends the node's data.
#include "maple.h"

#include <string.h>

// MAPLE_HEIGHT_MAX, and a node budget far above any real tree.
#define MAX_HEIGHT 31
#define MAX_NODES (1u << 20)
#define NODE_BYTES 256

struct walk {
	const struct dms_reader *kv;
	const struct dms_kfacts *kf;
	dms_maple_fn *fn;
	void *arg;
	size_t max, n, nodes;
};

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static bool is_internal(uint64_t e)
{
	return (e & 3) == 2;
}

static bool is_node(uint64_t e)
{
	return is_internal(e) && e > 4096;
}

static struct dms_error *walk_node(struct walk *w, uint64_t enode, uint64_t min, uint64_t max,
				   int depth)
{
	const struct dms_kfacts *kf = w->kf;
	if (depth > MAX_HEIGHT)
		return dms_error_create(DMS_ERR_INVALID_DATA, "maple tree deeper than %d levels",
					MAX_HEIGHT);
	if (++w->nodes > MAX_NODES)
		return dms_error_create(DMS_ERR_INVALID_DATA, "maple tree of more than %u nodes",
					MAX_NODES);
	int64_t type = (int64_t)((enode >> kf->maple_type_shift) & kf->maple_type_mask);
	uint64_t node = enode & ~kf->maple_node_mask;
	int32_t poff, soff;
	uint32_t npiv, nslot;
	bool leaf = type == kf->maple_leaf_64;
	if (leaf || type == kf->maple_range_64) {
		poff = kf->mr64_pivot, soff = kf->mr64_slot;
		npiv = kf->mr64_npivots, nslot = kf->mr64_nslots;
	} else if (type == kf->maple_arange_64) {
		poff = kf->ma64_pivot, soff = kf->ma64_slot;
		npiv = kf->ma64_npivots, nslot = kf->ma64_nslots;
	} else {
		return dms_error_create_at(DMS_ERR_INVALID_DATA, node,
					   "maple node %#llx: type %lld is not one walked here",
					   (unsigned long long)node, (long long)type);
	}
	uint8_t buf[NODE_BYTES];
	size_t got = 0;
	struct dms_error *err = dms_reader_read_phys(w->kv, node, buf, sizeof(buf), &got);
	if (err)
		return err;
	if (got < sizeof(buf))
		return dms_error_create_at(DMS_ERR_INVALID_DATA, node,
					   "maple node %#llx is not in the dump",
					   (unsigned long long)node);
	uint64_t lo = min;
	for (uint32_t i = 0; i < nslot; i++) {
		uint64_t piv = i < npiv ? rd64(buf + poff + 8 * i) : max;
		if (i > 0 && i < npiv && piv == 0)
			break; // the end of the node's data
		if (piv < lo || piv > max)
			return dms_error_create_at(DMS_ERR_INVALID_DATA, node,
						   "maple node %#llx: pivot %u is %#llx, outside "
						   "[%#llx, %#llx]",
						   (unsigned long long)node, i,
						   (unsigned long long)piv, (unsigned long long)lo,
						   (unsigned long long)max);
		uint64_t e = rd64(buf + soff + 8 * i);
		if (e && leaf && !is_internal(e)) {
			if (w->n++ >= w->max)
				return dms_error_create(DMS_ERR_INVALID_DATA,
							"maple tree of more than %zu entries",
							w->max);
			err = w->fn(lo, piv, e, w->arg);
		} else if (e && !leaf) {
			// A child is an encoded node (node | type << shift | 4); only
			// the root is also marked internal (| 2).
			err = walk_node(w, e, lo, piv, depth + 1);
		}
		if (err)
			return err;
		if (piv >= max)
			break;
		lo = piv + 1;
	}
	return NULL;
}

struct dms_error *dms_maple_walk(const struct dms_reader *kv, const struct dms_kfacts *kf,
				 uint64_t root, size_t max_entries, dms_maple_fn *fn, void *arg,
				 size_t *nodes_ret)
{
	if (nodes_ret)
		*nodes_ret = 0;
	bool layout = kf->mr64_pivot >= 0 && kf->mr64_slot >= 0 && kf->ma64_pivot >= 0 &&
		      kf->ma64_slot >= 0 && kf->maple_leaf_64 != DMS_KF_NONE &&
		      kf->maple_range_64 != DMS_KF_NONE && kf->maple_arange_64 != DMS_KF_NONE &&
		      kf->maple_node_mask && kf->maple_type_mask;
	// Both node layouts inside the node size, pivots one fewer than slots.
	layout = layout && kf->mr64_nslots && kf->mr64_npivots + 1 == kf->mr64_nslots &&
		 kf->ma64_nslots && kf->ma64_npivots + 1 == kf->ma64_nslots &&
		 (uint64_t)kf->mr64_pivot + 8 * kf->mr64_npivots <= NODE_BYTES &&
		 (uint64_t)kf->mr64_slot + 8 * kf->mr64_nslots <= NODE_BYTES &&
		 (uint64_t)kf->ma64_pivot + 8 * kf->ma64_npivots <= NODE_BYTES &&
		 (uint64_t)kf->ma64_slot + 8 * kf->ma64_nslots <= NODE_BYTES;
	if (!layout)
		return dms_error_create(DMS_ERR_UNSUPPORTED,
					"no maple tree layout in the kernel facts");
	if (!root)
		return NULL;
	if (!is_node(root)) {
		// A single entry, at index 0.
		if (is_internal(root) || !max_entries)
			return NULL;
		return fn(0, 0, root, arg);
	}
	struct walk w = { kv, kf, fn, arg, max_entries, 0, 0 };
	struct dms_error *err = walk_node(&w, root, 0, UINT64_MAX, 0);
	if (nodes_ret)
		*nodes_ret = w.nodes;
	return err;
}
