// SPDX-License-Identifier: GPL-2.0-or-later
// Shared by the tests that read the Debian debug modules ($DEBUG_MODULES).
#ifndef DMS_DWLAYOUT_TEST_H
#define DMS_DWLAYOUT_TEST_H

#include "dwlayout.h"

/**
 * Open $DEBUG_MODULES/<name>.ko for each space-separated name into one
 * layout; *ret NULL (and no error) when $DEBUG_MODULES is unset.
 */
struct dms_error *test_open_modules(const char *names, struct dms_dwlayout **ret);

// Open modules or skip the test (returns from it) when $DEBUG_MODULES is unset.
#define OPEN_OR_SKIP(names, dl)                                                                    \
	do {                                                                                       \
		EXPECT_OK(test_open_modules(names, &(dl)));                                        \
		if (!(dl)) {                                                                       \
			test_skip("DEBUG_MODULES not set: run eval \"$(dumps/fetch-debuginfo)\""); \
			return;                                                                    \
		}                                                                                  \
	} while (0)

#endif // DMS_DWLAYOUT_TEST_H
