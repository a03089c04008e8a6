// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzz the oops parser (x86-64 and arm64 formats): arbitrary bytes as a kernel log, then
// the parsed code bytes and registers through the instruction analysis, as dmaf does.
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "oops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *log = malloc(size ? size : 1);
	struct dms_oops o;

	if (!log)
		return 0;
	memcpy(log, data, size); // no terminator: reading past it is an ASan error
	dms_oops_parse(log, size, &o);
	free(log);
	FUZZ_CHECK(memchr(o.headline, '\0', sizeof(o.headline)) != NULL);
	FUZZ_CHECK(memchr(o.rip_sym, '\0', sizeof(o.rip_sym)) != NULL);
	FUZZ_CHECK(o.code_len <= sizeof(o.code));
	FUZZ_CHECK(o.code_rip >= -1 && o.code_rip < (int)o.code_len + (o.code_len == 0));
	if (o.code_rip >= 0) {
		struct dms_fault_insn fi;
		FUZZ_CHECK(!dms_insn_analyze(o.arch, o.code + o.code_rip,
					     o.code_len - (size_t)o.code_rip, o.rip, &o.regs,
					     o.va_bits, &fi));
		struct dms_load_site ls;
		FUZZ_CHECK(!dms_insn_find_load(o.arch, o.code, (size_t)o.code_rip, o.rip,
					       fi.culprit, &o.regs, &ls));
	}
	char buf[128];
	dms_oops_abort_describe(&o, buf, sizeof(buf));
	FUZZ_CHECK(memchr(buf, '\0', sizeof(buf)) != NULL);
	FUZZ_CHECK(memchr(o.die_line, '\0', sizeof(o.die_line)) != NULL);
	FUZZ_CHECK(memchr(o.lr_sym, '\0', sizeof(o.lr_sym)) != NULL);
	return 0;
}
