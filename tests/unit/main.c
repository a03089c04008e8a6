// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth unit test runner: runs every test (or those whose name contains
// argv[1]); the last line is "unit: N passed, M failed".
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

static const struct dms_test *const all_tables[] = {
	error_tests,	reader_tests,	pkt_tests,	scan_tests,   pcapw_tests,   slub_tests,
	classify_tests, objcheck_tests, logsig_tests,	insn_tests,   verdict_tests, oops_tests,
	damaged_tests,	dwlayout_tests, nicring_tests,	kfacts_tests, vaddr_tests,   memmap_tests,
	redact_tests,	facts_tests,	dumpfile_tests, report_tests, maple_tests,
};

static const char *current;
static int current_failed, current_skipped;

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	current_failed = 1;
	fprintf(stderr, "FAIL %s: %s:%d: ", current, file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void test_skip(const char *fmt, ...)
{
	va_list ap;
	current_skipped = 1;
	printf("SKIP %s: ", current);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void test_hexdump(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		fprintf(stderr, "%02x%s", p[i], i % 16 == 15 || i + 1 == len ? "\n" : " ");
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	int passed = 0, failed = 0, skipped = 0;
	for (size_t t = 0; t < sizeof(all_tables) / sizeof(all_tables[0]); t++) {
		for (const struct dms_test *test = all_tables[t]; test->name; test++) {
			if (filter && !strstr(test->name, filter))
				continue;
			current = test->name;
			current_failed = current_skipped = 0;
			test->fn();
			fflush(stdout);
			if (current_failed)
				failed++;
			else if (current_skipped)
				skipped++;
			else
				passed++;
		}
	}
	if (skipped)
		printf("unit: %d skipped\n", skipped);
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
