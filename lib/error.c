// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: error objects.
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static const char *const error_messages[] = {
#define DMS_ERROR(name, msg) [DMS_ERR_##name] = msg,
	DMS_ERRORS
#undef DMS_ERROR
};

struct dms_error dms_enomem = {
	.code = DMS_ERR_NOMEM,
	.is_static = true,
	.message = (char *)"out of memory",
};

const char *dms_error_string(enum dms_error_code code)
{
	if ((unsigned int)code >= DMS_NUM_ERRORS)
		return "unknown error";
	return error_messages[code];
}

__attribute__((format(printf, 4, 0))) static struct dms_error *
error_vcreate(enum dms_error_code code, bool has_address, uint64_t address, const char *fmt,
	      va_list ap)
{
	struct dms_error *err = malloc(sizeof(*err));
	if (!err)
		return &dms_enomem;
	err->code = code;
	err->has_address = has_address;
	err->is_static = false;
	err->address = address;
	if (fmt) {
		if (vasprintf(&err->message, fmt, ap) < 0)
			err->message = NULL;
	} else {
		err->message = strdup(dms_error_string(code));
	}
	if (!err->message) {
		free(err);
		return &dms_enomem;
	}
	return err;
}

struct dms_error *dms_error_create(enum dms_error_code code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct dms_error *err = error_vcreate(code, false, 0, fmt, ap);
	va_end(ap);
	return err;
}

struct dms_error *dms_error_create_at(enum dms_error_code code, uint64_t address, const char *fmt,
				      ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct dms_error *err = error_vcreate(code, true, address, fmt, ap);
	va_end(ap);
	return err;
}

void dms_error_destroy(struct dms_error *err)
{
	if (!err || err->is_static)
		return;
	free(err->message);
	free(err);
}
