// SPDX-License-Identifier: GPL-2.0-or-later
// A layout provider (lib/layout.h) over a fixture written by
// tests/data/mklayouts: tests/data/layouts/RELEASE.json, the answers of one
// kernel's debuginfo to the questions lib asks.  Unit tests run without the
// debuginfo.  A question the fixture does not hold answers "not found" and
// is counted (jsonlayout_unrecorded): regenerate the fixtures when lib asks
// something new.
#ifndef DMS_JSONLAYOUT_H
#define DMS_JSONLAYOUT_H

#include <stdbool.h>
#include <stddef.h>

#include "layout.h"

struct jsonlayout;

/** Load tests/data/layouts/<release>.json; NULL (and a message on stderr) on failure. */
struct jsonlayout *jsonlayout_load(const char *release);

/** Load a fixture by path; NULL if it is missing (quiet) or invalid (a message). */
struct jsonlayout *jsonlayout_load_path(const char *path);

/**
 * A recorder: answers from inner (which must outlive it) and records every
 * question and answer, on top of the entries of the fixture at path if it
 * exists; jsonlayout_save() writes them (used to regenerate fixtures from
 * the debuginfo: DMS_LAYOUT_RECORD, see nicring_test.c).
 */
struct jsonlayout *jsonlayout_recorder(const struct dms_layout *inner, const char *path);

/** Write the entries as a fixture; false on I/O error. */
bool jsonlayout_save(const struct jsonlayout *jl, const char *release, const char *path);

/** Free; accepts NULL. */
void jsonlayout_free(struct jsonlayout *jl);

/** The provider (valid while jl lives). */
struct dms_layout jsonlayout_provider(struct jsonlayout *jl);

/** Questions asked that the fixture does not record; *last (may be NULL) names the last one. */
size_t jsonlayout_unrecorded(const struct jsonlayout *jl, const char **last);

#endif // DMS_JSONLAYOUT_H
