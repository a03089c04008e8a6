// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzz the log signature scanner: arbitrary bytes as a kernel log (ramoops records
// can be torn and hold binary junk).  Every reported line must lie inside the input.
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "logsig.h"

struct state {
	size_t size, last;
};

static struct dms_error *on_sig(const struct dms_logsig *sig, const char *line, void *arg)
{
	struct state *st = arg;

	FUZZ_CHECK(sig->offset + sig->len <= st->size);
	FUZZ_CHECK(sig->offset >= st->last);
	FUZZ_CHECK(strlen(line) <= sig->len);
	FUZZ_CHECK(strlen(sig->driver) < sizeof(sig->driver));
	FUZZ_CHECK(strlen(sig->device) < sizeof(sig->device));
	FUZZ_CHECK(strlen(sig->netdev) < sizeof(sig->netdev));
	FUZZ_CHECK(sig->name && dms_logsig_kind_meaning(sig->kind)[0]);
	st->last = sig->offset + 1;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	// A copy of exactly size bytes, no terminator: reading past it is an ASan error.
	char *log = malloc(size ? size : 1);
	struct state st = { .size = size };

	if (!log)
		return 0;
	memcpy(log, data, size);
	struct dms_error *err = dms_logsig_scan(log, size, on_sig, &st);
	FUZZ_CHECK(!err);
	free(log);
	return 0;
}
