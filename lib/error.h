// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: error objects (drgn's struct drgn_error style).
//
// A fallible function returns a struct dms_error *: NULL means success.
// Codes and their default messages live in one table, DMS_ERRORS below
// (elfutils' DWFL_ERRORS idea).  Out-of-memory is a static object, so it can
// always be returned; dms_error_destroy() knows not to free static errors.
#ifndef DMS_ERROR_H
#define DMS_ERROR_H

#include <stdbool.h>
#include <stdint.h>

#define DMS_ERRORS                                                                                 \
	DMS_ERROR(OK, "success")                                                                   \
	DMS_ERROR(NOMEM, "out of memory")                                                          \
	DMS_ERROR(INVALID_ARGUMENT, "invalid argument")                                            \
	DMS_ERROR(FAULT, "memory not present in the dump")                                         \
	DMS_ERROR(IO, "I/O error")                                                                 \
	DMS_ERROR(TRUNCATED, "data truncated")                                                     \
	DMS_ERROR(INVALID_DATA, "invalid data")                                                    \
	DMS_ERROR(NOT_FOUND, "not found")                                                          \
	DMS_ERROR(STOP, "stopped by callback")                                                     \
	DMS_ERROR(UNSUPPORTED, "not supported")                                                    \
	DMS_ERROR(PCAP, "pcap writer error")

enum dms_error_code {
#define DMS_ERROR(name, msg) DMS_ERR_##name,
	DMS_ERRORS
#undef DMS_ERROR
		DMS_NUM_ERRORS,
};

struct dms_error {
	enum dms_error_code code;
	// True when address is meaningful (e.g. the physical address of a fault).
	bool has_address;
	// Statically allocated: never freed.
	bool is_static;
	uint64_t address;
	char *message;
};

/** Static out-of-memory error; safe to return from anywhere. */
extern struct dms_error dms_enomem;

/** Default message of an error code; never NULL. */
const char *dms_error_string(enum dms_error_code code);

/**
 * Create an error with a formatted message (NULL fmt: the table's message).
 * Returns &dms_enomem if allocation fails, never NULL.
 */
struct dms_error *dms_error_create(enum dms_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** Like dms_error_create(), carrying an address (physical or virtual). */
struct dms_error *dms_error_create_at(enum dms_error_code code, uint64_t address, const char *fmt,
				      ...) __attribute__((format(printf, 3, 4)));

/** Free an error; accepts NULL and static errors. */
void dms_error_destroy(struct dms_error *err);

#endif // DMS_ERROR_H
