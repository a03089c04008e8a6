// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: what a packet scan prints, shared by pktscan (inside crash) and
// dmasleuth-scan (without crash): one line or one JSON object per hit
// (docs/json.md), the flow and owner tables, the summary.  Owners are the
// caller's: it passes their text, the key they are counted under and a
// writer for their JSON object (none: "owner":null).
#ifndef DMS_REPORT_H
#define DMS_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "redact.h"
#include "scan.h"

/**
 * A JSON string (RFC 8259): quotes and backslashes escaped, everything outside
 * printable ASCII as \u00XX (docs/json.md).  Text from a dump is never a format.
 * NULL prints "".
 */
void dms_json_str(FILE *out, const char *s);

struct dms_report_config {
	FILE *out;
	// Prefix of the summary line ("pktscan").
	const char *name;
	bool json, summary_only;
	// Damaged frames are reported (pktscan -D): the summary counts them.
	bool damaged;
	// Page size of the dump (the page offset column).
	uint64_t page_size;
	// Addresses in JSON lines and the flow table shown by their pseudonyms
	// (lib/redact.h; NULL: as they are).  Hit summaries come already redacted.
	struct dms_redact *redact;
};

struct dms_report_hit {
	const struct dms_hit *hit;
	uint64_t paddr, kvaddr;
	bool has_paddr, has_kvaddr;
	// dms_pkt_format() text and the owner's one-line text (unused with
	// summary_only).
	const char *summary, *owner;
	// The OWNERS table key this hit counts under.
	const char *owner_key;
	// Writes the owner's JSON object; NULL writes null.
	void (*owner_json)(FILE *out, const void *arg);
	const void *owner_arg;
};

struct dms_report_end {
	double secs;
	bool interrupted;
	// Bytes the scan read (has_bytes_read false: not a reader scan).
	bool has_bytes_read;
	uint64_t bytes_read;
	// "parallel" or "readmem", and the parallel reader's threads.
	const char *reader;
	unsigned int reader_threads;
};

struct dms_report;

/** A report writing to config->out; its flow table is allocated once (constant size). */
struct dms_error *dms_report_create(const struct dms_report_config *config,
				    struct dms_report **ret);

/** Free a report; accepts NULL. */
void dms_report_destroy(struct dms_report *rp);

/** Count a hit and print its line or JSON object (nothing with summary_only). */
void dms_report_hit(struct dms_report *rp, const struct dms_report_hit *h);

/** Hits counted so far. */
uint64_t dms_report_hits(const struct dms_report *rp);

/** Print the summary (text: hits line, FLOWS and OWNERS tables; JSON: the summary object). */
void dms_report_summary(struct dms_report *rp, const struct dms_report_end *end);

#endif // DMS_REPORT_H
