// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: bounds-checked byte cursor for parsing untrusted data (internal).
//
// tcpdump's GET_BE_U_2 / drgn's binary_buffer idea: every read first checks
// that enough bytes remain (end - pos < n fails); on failure the position is
// unchanged and false is returned.
#ifndef DMS_CURSOR_H
#define DMS_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct dms_cursor {
	const uint8_t *buf;
	// Offsets into buf: next byte to read, one past the last readable.
	size_t pos, end;
};

static inline void dms_cursor_init(struct dms_cursor *c, const uint8_t *buf, size_t pos, size_t end)
{
	c->buf = buf;
	c->end = end;
	c->pos = pos <= end ? pos : end;
}

static inline size_t dms_cursor_remaining(const struct dms_cursor *c)
{
	return c->end - c->pos;
}

static inline bool dms_cursor_skip(struct dms_cursor *c, size_t n)
{
	if (c->end - c->pos < n)
		return false;
	c->pos += n;
	return true;
}

static inline bool dms_cursor_u8(struct dms_cursor *c, uint8_t *ret)
{
	if (c->end - c->pos < 1)
		return false;
	*ret = c->buf[c->pos++];
	return true;
}

static inline bool dms_cursor_be16(struct dms_cursor *c, uint16_t *ret)
{
	if (c->end - c->pos < 2)
		return false;
	*ret = (uint16_t)(c->buf[c->pos] << 8 | c->buf[c->pos + 1]);
	c->pos += 2;
	return true;
}

static inline bool dms_cursor_be32(struct dms_cursor *c, uint32_t *ret)
{
	if (c->end - c->pos < 4)
		return false;
	const uint8_t *p = c->buf + c->pos;
	*ret = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	c->pos += 4;
	return true;
}

static inline bool dms_cursor_bytes(struct dms_cursor *c, void *ret, size_t n)
{
	if (c->end - c->pos < n)
		return false;
	memcpy(ret, c->buf + c->pos, n);
	c->pos += n;
	return true;
}

// Unchecked big-endian loads for callers that have checked the length.
static inline uint16_t dms_load_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

#endif // DMS_CURSOR_H
