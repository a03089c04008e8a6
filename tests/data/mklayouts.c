// SPDX-License-Identifier: GPL-2.0-or-later
// mklayouts: write the layout fixture of one kernel (tests/data/layouts/
// RELEASE.json) from its debuginfo vmlinux.
//
//   mklayouts RELEASE VMLINUX > tests/data/layouts/RELEASE.json
//
// It runs the code that asks (dms_kfacts_fill, and the objcheck rule sets'
// member paths the glue resolves) over lib/dwlayout through a recording
// provider, and writes every question with its answer -- null for "not in
// this kernel" -- so the fixture holds exactly what is asked, nothing more.
// tests/unit/jsonlayout.c answers from it; a question it does not hold is
// counted there, so a new fact without a new fixture fails the unit tests.
// Run by tests/data/mklayouts.sh.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dwlayout.h"
#include "kfacts.h"
#include "objcheck.h"

#define MAX_RECS 1024

struct rec {
	char kind; // 't' type size, 'm' member, 'e' enum, 'b' bit-field
	char key[160];
	bool found;
	int64_t a, b;
};

static struct {
	struct dms_layout inner;
	struct rec recs[MAX_RECS];
	size_t n;
} g;

static void record(char kind, const char *key, bool found, int64_t a, int64_t b)
{
	for (size_t i = 0; i < g.n; i++) {
		if (g.recs[i].kind == kind && !strcmp(g.recs[i].key, key))
			return;
	}
	if (g.n == MAX_RECS) {
		fprintf(stderr, "mklayouts: more than %d questions\n", MAX_RECS);
		exit(1);
	}
	struct rec *r = &g.recs[g.n++];
	r->kind = kind;
	snprintf(r->key, sizeof(r->key), "%s", key);
	r->found = found;
	r->a = a;
	r->b = b;
}

static struct dms_error *rec_type_size(void *ctx, const char *type, uint64_t *ret)
{
	(void)ctx;
	struct dms_error *err = dms_layout_type_size(&g.inner, type, ret);
	record('t', type, !err, err ? 0 : (int64_t)*ret, 0);
	return err;
}

static struct dms_error *rec_member(void *ctx, const char *type, const char *path, uint64_t *off,
				    uint64_t *size)
{
	(void)ctx;
	char key[160];
	snprintf(key, sizeof(key), "%s:%s", type, path);
	struct dms_error *err = dms_layout_member(&g.inner, type, path, off, size);
	record('m', key, !err, err ? 0 : (int64_t)*off, err ? 0 : (int64_t)*size);
	return err;
}

static struct dms_error *rec_enum(void *ctx, const char *name, int64_t *ret)
{
	(void)ctx;
	struct dms_error *err = dms_layout_enum_value(&g.inner, name, ret);
	record('e', name, !err, err ? 0 : *ret, 0);
	return err;
}

static struct dms_error *rec_bitfield(void *ctx, const char *type, const char *path, uint64_t *off,
				      uint64_t *size)
{
	(void)ctx;
	char key[160];
	snprintf(key, sizeof(key), "%s:%s", type, path);
	struct dms_error *err = dms_layout_bitfield(&g.inner, type, path, off, size);
	record('b', key, !err, err ? 0 : (int64_t)*off, err ? 0 : (int64_t)*size);
	return err;
}

static const struct dms_layout_ops rec_ops = { rec_type_size, rec_member, rec_enum, rec_bitfield };

static void section(const char *name, char kind, bool last)
{
	printf("  \"%s\": {", name);
	bool first = true;
	for (size_t i = 0; i < g.n; i++) {
		const struct rec *r = &g.recs[i];
		if (r->kind != kind)
			continue;
		printf("%s\n    \"%s\": ", first ? "" : ",", r->key);
		first = false;
		if (!r->found)
			printf("null");
		else if (kind == 'm' || kind == 'b')
			printf("[%lld, %lld]", (long long)r->a, (long long)r->b);
		else
			printf("%lld", (long long)r->a);
	}
	printf("\n  }%s\n", last ? "" : ",");
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: mklayouts RELEASE VMLINUX\n");
		return 2;
	}
	struct dms_dwlayout *dl;
	struct dms_error *err = dms_dwlayout_open(argv[2], &dl);
	if (err) {
		fprintf(stderr, "mklayouts: %s\n", err->message ? err->message : "open failed");
		return 1;
	}
	g.inner = dms_dwlayout_provider(dl);
	struct dms_layout rec = { &rec_ops, NULL };

	// The facts table's questions.
	struct dms_kfacts_env env = { 0 };
	struct dms_kfacts kf;
	err = dms_kfacts_fill(&rec, &env, &kf);
	if (err) {
		fprintf(stderr, "mklayouts: %s\n", err->message ? err->message : "fill failed");
		return 1;
	}
	// The objcheck rule sets' member paths (dms_objcheck_resolve, as the glue).
	struct dms_objcheck *oc;
	struct dms_objcheck_env oenv = { 0 };
	err = dms_objcheck_create(NULL, &oenv, &oc);
	if (err)
		return 1;
	err = dms_objcheck_resolve(oc, &rec);
	if (err) {
		fprintf(stderr, "mklayouts: %s\n", err->message ? err->message : "resolve failed");
		return 1;
	}
	dms_objcheck_destroy(oc);

	printf("{\n  \"release\": \"%s\",\n", argv[1]);
	printf("  \"source\": \"tests/data/mklayouts over the release's debuginfo vmlinux\",\n");
	section("types", 't', false);
	section("members", 'm', false);
	section("enums", 'e', false);
	section("bitfields", 'b', true);
	printf("}\n");
	dms_dwlayout_destroy(dl);
	return 0;
}
