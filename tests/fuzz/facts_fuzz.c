// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzz the facts reader (lib/json.c, lib/facts.c) and the verdict over what it accepts:
// a facts file may come from another machine (dmasleuth-verdict FILE).  Accepted facts
// must write back out and read again, and the verdict's counts must add up.
#include <stdio.h>
#include <stdlib.h>

#include "facts.h"
#include "fuzz.h"
#include "verdict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dms_facts f, again;
	static struct dms_vresult r;
	struct dms_error *err = dms_facts_read((const char *)data, size, &f);

	if (err) {
		FUZZ_CHECK(err->message != NULL);
		dms_error_destroy(err);
		return 0;
	}
	err = dms_verdict_compute(&f, &r);
	if (!err) {
		uint64_t sum = 0;
		for (int c = 0; c < DMS_FRAME_NUM_CLASSES; c++)
			sum += r.frames[c];
		FUZZ_CHECK(sum == r.carved);
		FUZZ_CHECK(r.nevidence <= DMS_VERDICT_MAX_EVIDENCE);
		FILE *null = fopen("/dev/null", "w");
		if (null) {
			dms_verdict_write_text(null, &f, &r, true, NULL);
			dms_verdict_write_json(null, &f, &r, NULL);
			fclose(null);
		}
	}
	dms_error_destroy(err);
	// What was read writes back and reads again.
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	if (mem) {
		dms_facts_write(&f, mem);
		fclose(mem);
		err = dms_facts_read(buf, len, &again);
		FUZZ_CHECK(!err);
		dms_facts_deinit(&again);
		free(buf);
	}
	dms_facts_deinit(&f);
	return 0;
}
