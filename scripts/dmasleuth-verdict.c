// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth-verdict: dmaf's verdict from a facts file, without crash or the dump.
//
//   dmasleuth-verdict [-j] [-v] FACTS.json
//
// FACTS.json is what `dmaf -f FILE` wrote inside crash (docs/json.md, "dmaf -f").
// Prints exactly what dmaf printed from the same facts (-j: dmaf -j's JSON, -v: every
// incriminating frame): the verdict is lib/verdict.c's, on any machine.  The tests
// replay the lab's recorded facts this way (tests/facts/).
// Exit status: 0 on success, 2 on a usage error or an unreadable/invalid facts file.
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "facts.h"
#include "verdict.h"

static void usage(FILE *out)
{
	fputs("usage: dmasleuth-verdict [-j] [-v] FACTS.json\n"
	      "  the verdict of dmaf from the facts `dmaf -f FACTS.json` wrote\n"
	      "  -j  one JSON object, as dmaf -j\n"
	      "  -v  also list every incriminating frame, as dmaf -v\n",
	      out);
}

int main(int argc, char **argv)
{
	bool json = false, verbose = false;
	int c;

	while ((c = getopt(argc, argv, "jvh")) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	struct dms_facts f;
	static struct dms_vresult r;
	struct dms_error *err = dms_facts_read_file(argv[optind], &f);
	if (!err)
		err = dms_verdict_compute(&f, &r);
	if (err) {
		fprintf(stderr, "dmasleuth-verdict: %s: %s\n", argv[optind],
			err->message ? err->message : dms_error_string(err->code));
		dms_error_destroy(err);
		dms_facts_deinit(&f);
		return 2;
	}
	if (json)
		dms_verdict_write_json(stdout, &f, &r, NULL);
	else
		dms_verdict_write_text(stdout, &f, &r, verbose, NULL);
	dms_facts_deinit(&f);
	return fflush(stdout) ? 2 : 0;
}
