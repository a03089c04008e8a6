// SPDX-License-Identifier: GPL-2.0-or-later
#include "test.h"

const struct dms_test pcapw_tests[] = {
	{ NULL, NULL },
};
