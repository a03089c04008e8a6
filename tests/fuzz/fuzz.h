// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth fuzz harnesses: the libFuzzer entry point, also driven by
// replay.c over a corpus directory without libFuzzer.
#ifndef DMS_FUZZ_H
#define DMS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

// Invariant check that survives -DNDEBUG.
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			__builtin_trap();                                                          \
	} while (0)

#endif // DMS_FUZZ_H
