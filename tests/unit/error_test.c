// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdlib.h>

#include "error.h"
#include "test.h"

static void dms_error_create_formats_message(void)
{
	struct dms_error *err = dms_error_create(DMS_ERR_IO, "read %d of %s", 3, "x");
	EXPECT_INT(err->code, DMS_ERR_IO);
	EXPECT_INT(err->has_address, 0);
	EXPECT_STR(err->message, "read 3 of x");
	dms_error_destroy(err);
}

static void dms_error_create_null_fmt_uses_table(void)
{
	struct dms_error *err = dms_error_create(DMS_ERR_FAULT, NULL);
	EXPECT_STR(err->message, "memory not present in the dump");
	dms_error_destroy(err);
}

static void dms_error_create_at_keeps_address(void)
{
	struct dms_error *err = dms_error_create_at(DMS_ERR_FAULT, 0x1234000, "page %d", 1);
	EXPECT_INT(err->has_address, 1);
	EXPECT_UINT(err->address, 0x1234000);
	dms_error_destroy(err);
}

static void dms_error_destroy_accepts_null_and_static(void)
{
	dms_error_destroy(NULL);
	dms_error_destroy(&dms_enomem);
	EXPECT_STR(dms_enomem.message, "out of memory");
}

static void dms_error_string_out_of_range(void)
{
	EXPECT_STR(dms_error_string(DMS_NUM_ERRORS), "unknown error");
	EXPECT_STR(dms_error_string(DMS_ERR_OK), "success");
}

const struct dms_test error_tests[] = {
	TEST_ENTRY(dms_error_create_formats_message),
	TEST_ENTRY(dms_error_create_null_fmt_uses_table),
	TEST_ENTRY(dms_error_create_at_keeps_address),
	TEST_ENTRY(dms_error_destroy_accepts_null_and_static),
	TEST_ENTRY(dms_error_string_out_of_range),
	{ NULL, NULL },
};
