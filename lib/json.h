// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: a small JSON reader and string writer (RFC 8259).
//
// Reads a whole document into a tree (one allocation arena), for facts files
// (lib/facts.h) that may come from another machine: every input is untrusted.
// Nesting is limited to DMS_JSON_MAX_DEPTH, strings are decoded with their
// length (a \u0000 stays a byte), and nothing is read past the given length.
// dmasleuth's writers escape each byte outside printable ASCII as \u00XX; the
// reader turns \u0000-\u00ff back into that byte, so a string round-trips byte
// for byte.  Other code points are stored as UTF-8.
#ifndef DMS_JSON_H
#define DMS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

#define DMS_JSON_MAX_DEPTH 32

enum dms_json_type {
	DMS_JSON_NULL,
	DMS_JSON_FALSE,
	DMS_JSON_TRUE,
	DMS_JSON_NUMBER,
	DMS_JSON_STRING,
	DMS_JSON_ARRAY,
	DMS_JSON_OBJECT,
};

/** One value of a parsed document (read-only; lives as long as its document). */
struct dms_json_value {
	enum dms_json_type type;
	const char *key; // member name inside an object, else NULL
	const char *str; // STRING: decoded bytes (NUL-terminated); NUMBER: its text
	size_t len;	 // STRING: bytes in str; ARRAY/OBJECT: members
	const struct dms_json_value *child; // ARRAY/OBJECT: first member
	const struct dms_json_value *next;  // next member of the parent
};

struct dms_json;

/**
 * Parse text[0..len) as one JSON value (surrounding white space allowed).  The error
 * says what is wrong and at which byte offset.
 */
struct dms_error *dms_json_parse(const char *text, size_t len, struct dms_json **ret);

/** Free a document; accepts NULL. */
void dms_json_destroy(struct dms_json *doc);

/** The document's top-level value. */
const struct dms_json_value *dms_json_root(const struct dms_json *doc);

/** Member key of an object; NULL if v is not an object or has no such member. */
const struct dms_json_value *dms_json_get(const struct dms_json_value *v, const char *key);

/** A string member's text, or NULL (absent, null, or not a string). */
const char *dms_json_get_str(const struct dms_json_value *obj, const char *key);

/**
 * An unsigned integer: a JSON number without fraction or exponent, or a string
 * "0x..." (addresses); false otherwise (also on overflow).
 */
bool dms_json_u64(const struct dms_json_value *v, uint64_t *ret);

/** A signed integer (number, or "0x..."/"-0x..." string). */
bool dms_json_i64(const struct dms_json_value *v, int64_t *ret);

/** A number as a double (fractions allowed); false if v is not a number. */
bool dms_json_double(const struct dms_json_value *v, double *ret);

/** true/false; false if v is not a boolean. */
bool dms_json_bool(const struct dms_json_value *v, bool *ret);

/**
 * Write s as a JSON string to out: quotes and backslashes escaped, every byte outside
 * printable ASCII as \u00XX.  Text from a dump is never a format.  NULL writes "".
 */
void dms_json_write_str(FILE *out, const char *s);

/** The same for len bytes (NULs included). */
void dms_json_write_mem(FILE *out, const char *s, size_t len);

#endif // DMS_JSON_H
