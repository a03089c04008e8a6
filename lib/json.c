// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: a small JSON reader and string writer (see json.h; RFC 8259).
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

// Memory comes from chunks that never move, so values can point at each other.
struct chunk {
	struct chunk *next;
	size_t used, size;
	_Alignas(max_align_t) unsigned char data[];
};

struct dms_json {
	struct chunk *chunks;
	struct dms_json_value *root;
};

struct parser {
	struct dms_json *doc;
	const char *p, *start, *end;
	struct dms_error *err;
};

static void *arena(struct dms_json *doc, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct chunk *c = doc->chunks;
	if (!c || c->size - c->used < n) {
		size_t size = n > 65536 ? n : 65536;
		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->size = size;
		c->used = 0;
		c->next = doc->chunks;
		doc->chunks = c;
	}
	void *ret = c->data + c->used;
	c->used += n;
	return ret;
}

static __attribute__((format(printf, 2, 3))) void fail(struct parser *ps, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	if (ps->err)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ps->err = dms_error_create(DMS_ERR_INVALID_DATA, "JSON: %s at byte %zu", msg,
				   (size_t)(ps->p - ps->start));
}

static void ws(struct parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static bool literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n)) {
		fail(ps, "expected %s", word);
		return false;
	}
	ps->p += n;
	return true;
}

static int hex4(const char *s)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

// A string at ps->p (the opening quote): decoded into the arena.
static bool string(struct parser *ps, const char **ret, size_t *len_ret)
{
	const char *q = ++ps->p;

	// Its raw length bounds the decoded one.
	while (q < ps->end && *q != '"') {
		if (*q == '\\' && q + 1 < ps->end)
			q++;
		q++;
	}
	if (q >= ps->end) {
		fail(ps, "unterminated string");
		return false;
	}
	char *out = arena(ps->doc, (size_t)(q - ps->p) + 1);
	if (!out) {
		ps->err = &dms_enomem;
		return false;
	}
	size_t n = 0;
	while (*ps->p != '"') {
		unsigned char c = (unsigned char)*ps->p++;
		if (c < 0x20) {
			ps->p--;
			fail(ps, "control character in a string");
			return false;
		}
		if (c != '\\') {
			out[n++] = (char)c;
			continue;
		}
		c = (unsigned char)*ps->p++;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			out[n++] = (char)c;
			break;
		case 'b':
			out[n++] = '\b';
			break;
		case 'f':
			out[n++] = '\f';
			break;
		case 'n':
			out[n++] = '\n';
			break;
		case 'r':
			out[n++] = '\r';
			break;
		case 't':
			out[n++] = '\t';
			break;
		case 'u': {
			int v = ps->end - ps->p >= 4 ? hex4(ps->p) : -1;
			if (v < 0) {
				fail(ps, "bad \\u escape");
				return false;
			}
			ps->p += 4;
			if (v < 0x100) {
				out[n++] = (char)v; // a byte, as dmasleuth writes them
			} else if (v < 0x800) {
				out[n++] = (char)(0xc0 | v >> 6);
				out[n++] = (char)(0x80 | (v & 0x3f));
			} else {
				// Surrogates are stored as they come (3 bytes each).
				out[n++] = (char)(0xe0 | v >> 12);
				out[n++] = (char)(0x80 | ((v >> 6) & 0x3f));
				out[n++] = (char)(0x80 | (v & 0x3f));
			}
			break;
		}
		default:
			ps->p--;
			fail(ps, "bad escape");
			return false;
		}
	}
	ps->p++;
	out[n] = '\0';
	*ret = out;
	*len_ret = n;
	return true;
}

// RFC 8259 section 6: -? int frac? exp?
static bool number(struct parser *ps, struct dms_json_value *v)
{
	const char *s = ps->p;

	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') {
		fail(ps, "bad number");
		return false;
	}
	if (*ps->p == '0')
		ps->p++;
	else
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	if (ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') {
			fail(ps, "bad fraction");
			return false;
		}
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') {
			fail(ps, "bad exponent");
			return false;
		}
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	size_t n = (size_t)(ps->p - s);
	char *t = arena(ps->doc, n + 1);
	if (!t) {
		ps->err = &dms_enomem;
		return false;
	}
	memcpy(t, s, n);
	t[n] = '\0';
	v->type = DMS_JSON_NUMBER;
	v->str = t;
	v->len = n;
	return true;
}

static struct dms_json_value *value(struct parser *ps, int depth)
{
	ws(ps);
	if (ps->p >= ps->end) {
		fail(ps, "unexpected end");
		return NULL;
	}
	if (depth > DMS_JSON_MAX_DEPTH) {
		fail(ps, "nested deeper than %d", DMS_JSON_MAX_DEPTH);
		return NULL;
	}
	struct dms_json_value *v = arena(ps->doc, sizeof(*v));
	if (!v) {
		ps->err = &dms_enomem;
		return NULL;
	}
	memset(v, 0, sizeof(*v));
	switch (*ps->p) {
	case 'n':
		v->type = DMS_JSON_NULL;
		return literal(ps, "null") ? v : NULL;
	case 't':
		v->type = DMS_JSON_TRUE;
		return literal(ps, "true") ? v : NULL;
	case 'f':
		v->type = DMS_JSON_FALSE;
		return literal(ps, "false") ? v : NULL;
	case '"':
		v->type = DMS_JSON_STRING;
		return string(ps, &v->str, &v->len) ? v : NULL;
	case '[':
	case '{': {
		bool obj = *ps->p == '{';
		char close = obj ? '}' : ']';
		struct dms_json_value **tail = (struct dms_json_value **)&v->child;
		v->type = obj ? DMS_JSON_OBJECT : DMS_JSON_ARRAY;
		ps->p++;
		ws(ps);
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			return v;
		}
		for (;;) {
			const char *key = NULL;
			size_t klen;
			ws(ps);
			if (obj) {
				if (ps->p >= ps->end || *ps->p != '"') {
					fail(ps, "expected a member name");
					return NULL;
				}
				if (!string(ps, &key, &klen))
					return NULL;
				ws(ps);
				if (ps->p >= ps->end || *ps->p != ':') {
					fail(ps, "expected ':'");
					return NULL;
				}
				ps->p++;
			}
			struct dms_json_value *m = value(ps, depth + 1);
			if (!m)
				return NULL;
			m->key = key;
			*tail = m;
			tail = (struct dms_json_value **)&m->next;
			v->len++;
			ws(ps);
			if (ps->p < ps->end && *ps->p == ',') {
				ps->p++;
				continue;
			}
			if (ps->p < ps->end && *ps->p == close) {
				ps->p++;
				return v;
			}
			fail(ps, "expected ',' or '%c'", close);
			return NULL;
		}
	}
	default:
		return number(ps, v) ? v : NULL;
	}
}

struct dms_error *dms_json_parse(const char *text, size_t len, struct dms_json **ret)
{
	*ret = NULL;
	struct dms_json *doc = calloc(1, sizeof(*doc));
	if (!doc)
		return &dms_enomem;
	struct parser ps = { .doc = doc, .p = text, .start = text, .end = text + len };
	doc->root = value(&ps, 0);
	if (doc->root) {
		ws(&ps);
		if (ps.p != ps.end)
			fail(&ps, "trailing bytes");
	}
	if (ps.err || !doc->root) {
		dms_json_destroy(doc);
		return ps.err ? ps.err : &dms_enomem;
	}
	*ret = doc;
	return NULL;
}

void dms_json_destroy(struct dms_json *doc)
{
	if (!doc)
		return;
	while (doc->chunks) {
		struct chunk *c = doc->chunks;
		doc->chunks = c->next;
		free(c);
	}
	free(doc);
}

const struct dms_json_value *dms_json_root(const struct dms_json *doc)
{
	return doc ? doc->root : NULL;
}

const struct dms_json_value *dms_json_get(const struct dms_json_value *v, const char *key)
{
	if (!v || v->type != DMS_JSON_OBJECT)
		return NULL;
	for (const struct dms_json_value *m = v->child; m; m = m->next)
		if (!strcmp(m->key, key))
			return m;
	return NULL;
}

const char *dms_json_get_str(const struct dms_json_value *obj, const char *key)
{
	const struct dms_json_value *v = dms_json_get(obj, key);

	return v && v->type == DMS_JSON_STRING ? v->str : NULL;
}

static bool parse_u64(const char *s, int base, uint64_t *ret)
{
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, base);
	if (errno || *end)
		return false;
	*ret = v;
	return true;
}

bool dms_json_u64(const struct dms_json_value *v, uint64_t *ret)
{
	if (!v)
		return false;
	if (v->type == DMS_JSON_NUMBER)
		return parse_u64(v->str, 10, ret);
	if (v->type == DMS_JSON_STRING && v->len > 2 && v->str[0] == '0' &&
	    (v->str[1] == 'x' || v->str[1] == 'X') && strlen(v->str) == v->len)
		return parse_u64(v->str + 2, 16, ret);
	return false;
}

bool dms_json_i64(const struct dms_json_value *v, int64_t *ret)
{
	uint64_t u;

	if (!v)
		return false;
	bool neg = (v->type == DMS_JSON_NUMBER || v->type == DMS_JSON_STRING) && v->str[0] == '-';
	struct dms_json_value pos = *v;
	if (neg) {
		pos.str++;
		pos.len--;
	}
	if (!dms_json_u64(&pos, &u))
		return false;
	if (neg ? u > (uint64_t)INT64_MAX + 1 : u > (uint64_t)INT64_MAX)
		return false;
	*ret = neg ? (int64_t)(0 - u) : (int64_t)u;
	return true;
}

bool dms_json_double(const struct dms_json_value *v, double *ret)
{
	if (!v || v->type != DMS_JSON_NUMBER)
		return false;
	*ret = strtod(v->str, NULL);
	return true;
}

bool dms_json_bool(const struct dms_json_value *v, bool *ret)
{
	if (!v || (v->type != DMS_JSON_TRUE && v->type != DMS_JSON_FALSE))
		return false;
	*ret = v->type == DMS_JSON_TRUE;
	return true;
}

void dms_json_write_mem(FILE *out, const char *s, size_t len)
{
	fputc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

void dms_json_write_str(FILE *out, const char *s)
{
	dms_json_write_mem(out, s ? s : "", s ? strlen(s) : 0);
}
