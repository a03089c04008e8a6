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

	if (size < sizeof(regs.r) + 1)
		return 0;
	// The first byte picks the architecture (x86-64 or arm64) and the VA width.
	enum dms_arch arch = data[0] & 1 ? DMS_ARCH_ARM64 : DMS_ARCH_X86_64;
	unsigned int va_bits = data[0] >> 1;
	data++;
	size--;
	memcpy(regs.r, data, sizeof(regs.r));
	for (int i = 0; i < DMS_NREGS; i++)
		regs.valid[i] = (data[i] & 1) != 0;
	data += sizeof(regs.r);
	size -= sizeof(regs.r);
	enum dms_reg pc = dms_reg_pc(arch);
	FUZZ_CHECK(!dms_insn_analyze(arch, data, size, regs.r[pc], &regs, va_bits, &fi));
	FUZZ_CHECK(fi.length <= size && fi.length <= 15);
	FUZZ_CHECK(memchr(fi.text, '\0', sizeof(fi.text)) != NULL);
	FUZZ_CHECK(fi.culprit >= DMS_REG_NONE && fi.culprit < DMS_NREGS);
	struct dms_load_site ls;
	FUZZ_CHECK(!dms_insn_find_load(arch, data, size, regs.r[pc], fi.culprit, &regs, &ls));
	FUZZ_CHECK(memchr(ls.text, '\0', sizeof(ls.text)) != NULL);

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
