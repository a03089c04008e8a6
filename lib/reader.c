// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: memory-reader interface and the in-memory image reader.
#include <stdlib.h>
#include <string.h>

#include "reader.h"

struct dms_error *dms_reader_read_phys(const struct dms_reader *r, uint64_t paddr, void *buf,
				       size_t len, size_t *ret)
{
	*ret = 0;
	if (len == 0)
		return NULL;
	return r->ops->read_phys(r->ctx, paddr, buf, len, ret);
}

struct dms_error *dms_reader_for_each_range(const struct dms_reader *r, uint64_t start,
					    uint64_t end, dms_range_fn *fn, void *arg)
{
	if (start >= end)
		return NULL;
	return r->ops->for_each_range(r->ctx, start, end, fn, arg);
}

struct dms_error *dms_reader_kvaddr_to_paddr(const struct dms_reader *r, uint64_t kvaddr,
					     uint64_t *ret)
{
	if (!r->ops->kvaddr_to_paddr)
		return dms_error_create_at(DMS_ERR_NOT_FOUND, kvaddr, "no address translation");
	return r->ops->kvaddr_to_paddr(r->ctx, kvaddr, ret);
}

struct dms_error *dms_reader_paddr_to_kvaddr(const struct dms_reader *r, uint64_t paddr,
					     uint64_t *ret)
{
	if (!r->ops->paddr_to_kvaddr)
		return dms_error_create_at(DMS_ERR_NOT_FOUND, paddr, "no address translation");
	return r->ops->paddr_to_kvaddr(r->ctx, paddr, ret);
}

struct dms_memimg {
	struct dms_reader reader;
	const uint8_t *data;
	size_t size;
	uint64_t phys_base;
	uint64_t direct_map_base;
	unsigned int page_shift;
	uint64_t npages;
	// One bit per page, 1 = present.
	uint64_t *present;
};

static int page_present(const struct dms_memimg *img, uint64_t pfn)
{
	return (img->present[pfn / 64] >> (pfn % 64)) & 1;
}

static struct dms_error *memimg_read_phys(void *ctx, uint64_t paddr, void *buf, size_t len,
					  size_t *ret)
{
	struct dms_memimg *img = ctx;
	uint8_t *out = buf;
	size_t done = 0;
	uint64_t page_size = img->reader.page_size;
	while (done < len) {
		uint64_t pa = paddr + done;
		if (pa < paddr) // wrapped around
			break;
		if (pa < img->phys_base || pa - img->phys_base >= img->size)
			break;
		uint64_t off = pa - img->phys_base;
		if (!page_present(img, off >> img->page_shift))
			break;
		uint64_t n = page_size - (off & (page_size - 1));
		if (n > len - done)
			n = len - done;
		memcpy(out + done, img->data + off, n);
		done += n;
	}
	*ret = done;
	return NULL;
}

static struct dms_error *memimg_for_each_range(void *ctx, uint64_t start, uint64_t end,
					       dms_range_fn *fn, void *arg)
{
	struct dms_memimg *img = ctx;
	uint64_t img_end = img->phys_base + img->size;
	if (start < img->phys_base)
		start = img->phys_base;
	if (end > img_end)
		end = img_end;
	if (start >= end)
		return NULL;
	uint64_t pfn = (start - img->phys_base) >> img->page_shift;
	uint64_t last = (end - 1 - img->phys_base) >> img->page_shift;
	while (pfn <= last) {
		if (!page_present(img, pfn)) {
			pfn++;
			continue;
		}
		uint64_t run = pfn;
		while (run + 1 <= last && page_present(img, run + 1))
			run++;
		uint64_t s = img->phys_base + (pfn << img->page_shift);
		uint64_t e = img->phys_base + ((run + 1) << img->page_shift);
		if (s < start)
			s = start;
		if (e > end)
			e = end;
		struct dms_error *err = fn(s, e - s, arg);
		if (err)
			return err;
		pfn = run + 1;
	}
	return NULL;
}

static struct dms_error *memimg_kvaddr_to_paddr(void *ctx, uint64_t kvaddr, uint64_t *ret)
{
	struct dms_memimg *img = ctx;
	if (!img->direct_map_base || kvaddr < img->direct_map_base)
		return dms_error_create_at(DMS_ERR_NOT_FOUND, kvaddr,
					   "address not in the direct map");
	*ret = kvaddr - img->direct_map_base;
	return NULL;
}

static struct dms_error *memimg_paddr_to_kvaddr(void *ctx, uint64_t paddr, uint64_t *ret)
{
	struct dms_memimg *img = ctx;
	if (!img->direct_map_base || paddr > UINT64_MAX - img->direct_map_base)
		return dms_error_create_at(DMS_ERR_NOT_FOUND, paddr,
					   "address not in the direct map");
	*ret = img->direct_map_base + paddr;
	return NULL;
}

static const struct dms_reader_ops memimg_ops = {
	.read_phys = memimg_read_phys,
	.for_each_range = memimg_for_each_range,
	.kvaddr_to_paddr = memimg_kvaddr_to_paddr,
	.paddr_to_kvaddr = memimg_paddr_to_kvaddr,
};

struct dms_error *dms_memimg_create(const void *data, size_t size,
				    const struct dms_memimg_config *config, struct dms_memimg **ret)
{
	uint64_t page_size = config->page_size ? config->page_size : 4096;
	if (page_size < 256 || (page_size & (page_size - 1)))
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT,
					"page size %llu is not a power of two >= 256",
					(unsigned long long)page_size);
	if ((size & (page_size - 1)) || (config->phys_base & (page_size - 1)))
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT,
					"image base or size not page aligned");
	if (size && config->phys_base > UINT64_MAX - size)
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT,
					"image wraps around the address space");
	struct dms_memimg *img = calloc(1, sizeof(*img));
	if (!img)
		return &dms_enomem;
	img->page_shift = (unsigned int)__builtin_ctzll(page_size);
	img->npages = size >> img->page_shift;
	img->present = malloc(((img->npages + 63) / 64 + 1) * sizeof(uint64_t));
	if (!img->present) {
		free(img);
		return &dms_enomem;
	}
	memset(img->present, 0xff, ((img->npages + 63) / 64 + 1) * sizeof(uint64_t));
	img->data = data;
	img->size = size;
	img->phys_base = config->phys_base;
	img->direct_map_base = config->direct_map_base;
	img->reader.ops = &memimg_ops;
	img->reader.ctx = img;
	img->reader.page_size = page_size;
	*ret = img;
	return NULL;
}

void dms_memimg_destroy(struct dms_memimg *img)
{
	if (!img)
		return;
	free(img->present);
	free(img);
}

void dms_memimg_set_present(struct dms_memimg *img, uint64_t paddr, uint64_t len, int present)
{
	uint64_t img_end = img->phys_base + img->size;
	uint64_t end = len > UINT64_MAX - paddr ? UINT64_MAX : paddr + len;
	if (paddr < img->phys_base)
		paddr = img->phys_base;
	if (end > img_end)
		end = img_end;
	if (paddr >= end)
		return;
	uint64_t first = (paddr - img->phys_base) >> img->page_shift;
	uint64_t last = (end - 1 - img->phys_base) >> img->page_shift;
	for (uint64_t pfn = first; pfn <= last; pfn++) {
		if (present)
			img->present[pfn / 64] |= UINT64_C(1) << (pfn % 64);
		else
			img->present[pfn / 64] &= ~(UINT64_C(1) << (pfn % 64));
	}
}

const struct dms_reader *dms_memimg_reader(const struct dms_memimg *img)
{
	return &img->reader;
}
