// SPDX-License-Identifier: GPL-2.0-or-later
// A layout provider over a mklayouts fixture (see jsonlayout.h).  The
// parser reads the fixture's own shape: an object of objects (types,
// members, enums, bitfields) whose values are an integer, [offset, size]
// ([first bit, width] for bit-fields) or null.
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonlayout.h"

struct entry {
	char section; // 't', 'm', 'e', 'b'
	char key[160];
	int found;
	long long a, b;
};

struct jsonlayout {
	struct entry *v;
	size_t n, cap;
	// Recording: answer from inner and record.
	const struct dms_layout *inner;
	size_t unrecorded;
	char last[160];
};

struct cur {
	const char *p, *end;
};

static void ws(struct cur *c)
{
	while (c->p < c->end && isspace((unsigned char)*c->p))
		c->p++;
}

static int eat(struct cur *c, char ch)
{
	ws(c);
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return 1;
	}
	return 0;
}

static int str(struct cur *c, char *buf, size_t n)
{
	if (!eat(c, '"'))
		return 0;
	size_t i = 0;
	while (c->p < c->end && *c->p != '"') {
		if (*c->p == '\\' && c->p + 1 < c->end)
			c->p++;
		if (i + 1 < n)
			buf[i++] = *c->p;
		c->p++;
	}
	buf[i] = '\0';
	return eat(c, '"');
}

static int num(struct cur *c, long long *v)
{
	ws(c);
	char *e;
	*v = strtoll(c->p, &e, 10);
	if (e == c->p)
		return 0;
	c->p = e;
	return 1;
}

static int add(struct jsonlayout *jl, const struct entry *e)
{
	if (jl->n == jl->cap) {
		size_t ncap = jl->cap ? jl->cap * 2 : 64;
		struct entry *nv = realloc(jl->v, ncap * sizeof(*nv));
		if (!nv)
			return 0;
		jl->v = nv;
		jl->cap = ncap;
	}
	jl->v[jl->n++] = *e;
	return 1;
}

// One section object: "key": value, ...
static int section(struct jsonlayout *jl, struct cur *c, char which)
{
	if (!eat(c, '{'))
		return 0;
	if (eat(c, '}'))
		return 1;
	do {
		struct entry e = { .section = which };
		if (!str(c, e.key, sizeof(e.key)) || !eat(c, ':'))
			return 0;
		ws(c);
		if (c->end - c->p >= 4 && !strncmp(c->p, "null", 4)) {
			c->p += 4;
		} else if (eat(c, '[')) {
			if (!num(c, &e.a) || !eat(c, ',') || !num(c, &e.b) || !eat(c, ']'))
				return 0;
			e.found = 1;
		} else if (num(c, &e.a)) {
			e.found = 1;
		} else {
			return 0;
		}
		if (!add(jl, &e))
			return 0;
	} while (eat(c, ','));
	return eat(c, '}');
}

static int skip_value(struct cur *c)
{
	char buf[256];
	ws(c);
	if (c->p < c->end && *c->p == '"')
		return str(c, buf, sizeof(buf));
	long long v;
	return num(c, &v);
}

struct jsonlayout *jsonlayout_load(const char *release)
{
	char path[512];
	snprintf(path, sizeof(path), "tests/data/layouts/%s.json", release);
	struct jsonlayout *jl = jsonlayout_load_path(path);
	if (!jl)
		fprintf(stderr, "jsonlayout: cannot load %s\n", path);
	return jl;
}

struct jsonlayout *jsonlayout_load_path(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	static char text[1 << 16];
	size_t len = fread(text, 1, sizeof(text), f);
	fclose(f);
	struct jsonlayout *jl = calloc(1, sizeof(*jl));
	if (!jl)
		return NULL;
	struct cur c = { text, text + len };
	int ok = eat(&c, '{');
	while (ok && !eat(&c, '}')) {
		char key[64];
		ok = str(&c, key, sizeof(key)) && eat(&c, ':');
		if (!ok)
			break;
		if (!strcmp(key, "types"))
			ok = section(jl, &c, 't');
		else if (!strcmp(key, "members"))
			ok = section(jl, &c, 'm');
		else if (!strcmp(key, "enums"))
			ok = section(jl, &c, 'e');
		else if (!strcmp(key, "bitfields"))
			ok = section(jl, &c, 'b');
		else
			ok = skip_value(&c);
		eat(&c, ',');
	}
	if (!ok) {
		fprintf(stderr, "jsonlayout: %s: parse error at byte %zu\n", path,
			(size_t)(c.p - text));
		jsonlayout_free(jl);
		return NULL;
	}
	return jl;
}

void jsonlayout_free(struct jsonlayout *jl)
{
	if (!jl)
		return;
	free(jl->v);
	free(jl);
}

static const struct entry *find(struct jsonlayout *jl, char section, const char *key)
{
	for (size_t i = 0; i < jl->n; i++) {
		if (jl->v[i].section == section && !strcmp(jl->v[i].key, key))
			return &jl->v[i];
	}
	if (jl->inner)
		return NULL;
	jl->unrecorded++;
	snprintf(jl->last, sizeof(jl->last), "%s", key);
	return NULL;
}

static struct dms_error *nf(const char *key)
{
	return dms_error_create(DMS_ERR_NOT_FOUND, "%s not in the fixture", key);
}

// Recording: ask inner, keep the answer.
static struct dms_error *rec(struct jsonlayout *jl, char section, const char *key,
			     struct dms_error *err, long long a, long long b)
{
	struct entry e = { .section = section, .found = !err, .a = err ? 0 : a, .b = err ? 0 : b };
	snprintf(e.key, sizeof(e.key), "%s", key);
	if (!find(jl, section, key))
		add(jl, &e);
	return err;
}

static struct dms_error *jl_type_size(void *ctx, const char *type, uint64_t *ret)
{
	struct jsonlayout *jl = ctx;
	if (jl->inner) {
		struct dms_error *err = dms_layout_type_size(jl->inner, type, ret);
		return rec(jl, 't', type, err, err ? 0 : (long long)*ret, 0);
	}
	const struct entry *e = find(ctx, 't', type);
	if (!e || !e->found)
		return nf(type);
	*ret = (uint64_t)e->a;
	return NULL;
}

static struct dms_error *jl_member(void *ctx, const char *type, const char *path, uint64_t *off,
				   uint64_t *size)
{
	char key[160];
	snprintf(key, sizeof(key), "%s:%s", type, path);
	struct jsonlayout *jl = ctx;
	if (jl->inner) {
		struct dms_error *err = dms_layout_member(jl->inner, type, path, off, size);
		return rec(jl, 'm', key, err, err ? 0 : (long long)*off,
			   err ? 0 : (long long)*size);
	}
	const struct entry *e = find(ctx, 'm', key);
	if (!e || !e->found)
		return nf(key);
	*off = (uint64_t)e->a;
	*size = (uint64_t)e->b;
	return NULL;
}

static struct dms_error *jl_enum(void *ctx, const char *name, int64_t *ret)
{
	struct jsonlayout *jl = ctx;
	if (jl->inner) {
		struct dms_error *err = dms_layout_enum_value(jl->inner, name, ret);
		return rec(jl, 'e', name, err, err ? 0 : (long long)*ret, 0);
	}
	const struct entry *e = find(ctx, 'e', name);
	if (!e || !e->found)
		return nf(name);
	*ret = e->a;
	return NULL;
}

static struct dms_error *jl_bitfield(void *ctx, const char *type, const char *path, uint64_t *off,
				     uint64_t *size)
{
	char key[160];
	snprintf(key, sizeof(key), "%s:%s", type, path);
	struct jsonlayout *jl = ctx;
	if (jl->inner) {
		struct dms_error *err = dms_layout_bitfield(jl->inner, type, path, off, size);
		return rec(jl, 'b', key, err, err ? 0 : (long long)*off,
			   err ? 0 : (long long)*size);
	}
	const struct entry *e = find(ctx, 'b', key);
	if (!e || !e->found)
		return nf(key);
	*off = (uint64_t)e->a;
	*size = (uint64_t)e->b;
	return NULL;
}

static const struct dms_layout_ops jl_ops = { jl_type_size, jl_member, jl_enum, jl_bitfield };

struct dms_layout jsonlayout_provider(struct jsonlayout *jl)
{
	return (struct dms_layout){ &jl_ops, jl };
}

size_t jsonlayout_unrecorded(const struct jsonlayout *jl, const char **last)
{
	if (last)
		*last = jl->last;
	return jl->unrecorded;
}

struct jsonlayout *jsonlayout_recorder(const struct dms_layout *inner, const char *path)
{
	struct jsonlayout *jl = jsonlayout_load_path(path);
	if (!jl)
		jl = calloc(1, sizeof(*jl));
	if (jl)
		jl->inner = inner;
	return jl;
}

static void save_section(FILE *f, const struct jsonlayout *jl, const char *name, char which,
			 bool last)
{
	fprintf(f, "  \"%s\": {", name);
	bool first = true;
	for (size_t i = 0; i < jl->n; i++) {
		const struct entry *e = &jl->v[i];
		if (e->section != which)
			continue;
		fprintf(f, "%s\n    \"%s\": ", first ? "" : ",", e->key);
		first = false;
		if (!e->found)
			fprintf(f, "null");
		else if (which == 'm' || which == 'b')
			fprintf(f, "[%lld, %lld]", e->a, e->b);
		else
			fprintf(f, "%lld", e->a);
	}
	fprintf(f, "\n  }%s\n", last ? "" : ",");
}

bool jsonlayout_save(const struct jsonlayout *jl, const char *release, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	fprintf(f, "{\n  \"release\": \"%s\",\n", release);
	fprintf(f, "  \"source\": \"tests/unit (DMS_LAYOUT_RECORD) over the release's debug "
		   "modules\",\n");
	save_section(f, jl, "types", 't', false);
	save_section(f, jl, "members", 'm', false);
	save_section(f, jl, "enums", 'e', false);
	save_section(f, jl, "bitfields", 'b', true);
	fprintf(f, "}\n");
	return fclose(f) == 0;
}
