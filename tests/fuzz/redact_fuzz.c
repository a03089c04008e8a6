// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzz redaction: any bytes the decoder takes for a frame are redacted in place without
// reading or writing outside them, the result re-decodes no longer than it was, and any
// text maps to NUL-terminated text within its buffer.
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pkt.h"
#include "redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dms_redact *r[2];
	static const uint8_t key[32] = { 1, 2, 3 };

	if (!r[0]) {
		struct dms_redact_opts keep = { .keep = 5, .cut = true, .keep_oui = true };
		FUZZ_CHECK(!dms_redact_create(key, NULL, &r[0]));
		FUZZ_CHECK(!dms_redact_create(key, &keep, &r[1]));
	}
	if (size < 1)
		return 0;
	struct dms_redact *rd = r[data[0] & 1];
	enum dms_l2 l2 = data[0] & 2 ? DMS_L2_ETHERNET : DMS_L2_NONE;
	data++;
	size--;
	uint8_t *frame = malloc(size ? size : 1);
	if (!frame)
		return 0;
	memcpy(frame, data, size);
	struct dms_pkt p;
	dms_pkt_decode(frame, size, l2, &p);
	if (p.status != DMS_PKT_INVALID || p.l3_off) {
		size_t kept = dms_redact_frame(rd, frame, p.caplen, &p);
		FUZZ_CHECK(kept <= p.caplen);
	}
	free(frame);

	char *text = malloc(size + 1), out[96];
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	size_t n = dms_redact_text(rd, text, out, sizeof(out));
	FUZZ_CHECK(memchr(out, '\0', sizeof(out)) != NULL);
	FUZZ_CHECK(strlen(out) == (n < sizeof(out) ? n : sizeof(out) - 1));
	free(text);
	return 0;
}
