// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzz the faulting-instruction decoder and the oops "Code:" line parser.
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "insn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dms_regs regs;
	struct dms_fault_insn fi;
	uint8_t buf[64];
	int idx;

	if (size < sizeof(regs.r))
		return 0;
	memcpy(regs.r, data, sizeof(regs.r));
	for (int i = 0; i < DMS_NREGS; i++)
		regs.valid[i] = (data[i] & 1) != 0;
	data += sizeof(regs.r);
	size -= sizeof(regs.r);
	FUZZ_CHECK(!dms_insn_analyze(data, size, regs.r[DMS_REG_RIP], &regs, 48, &fi));
	FUZZ_CHECK(fi.length <= size && fi.length <= 15);
	FUZZ_CHECK(memchr(fi.text, '\0', sizeof(fi.text)) != NULL);
	FUZZ_CHECK(fi.culprit >= DMS_REG_NONE && fi.culprit < DMS_NREGS);

	char *line = malloc(size + 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	size_t n = dms_oops_code_parse(line, buf, sizeof(buf), &idx);
	FUZZ_CHECK(n <= sizeof(buf));
	FUZZ_CHECK(idx >= -1 && idx < (int)n);
	free(line);
	return 0;
}
