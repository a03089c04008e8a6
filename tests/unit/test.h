// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth unit tests: a tiny harness.
//
// A test is a void function; each EXPECT_* macro reports what it expected
// and what it got, then returns from the test on failure.  Each module's
// test file exports one NULL-terminated table, listed in main.c.
#ifndef DMS_TEST_H
#define DMS_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

struct dms_test {
	const char *name;
	void (*fn)(void);
};

#define TEST_ENTRY(fn)                                                                             \
	{                                                                                          \
#fn, fn                                                                            \
	}

extern const struct dms_test error_tests[], reader_tests[], pkt_tests[], scan_tests[],
	pcapw_tests[], slub_tests[], classify_tests[], objcheck_tests[], logsig_tests[],
	insn_tests[], verdict_tests[], oops_tests[], damaged_tests[];
extern const struct dms_test dwlayout_tests[], nicring_tests[], kfacts_tests[], vaddr_tests[];
extern const struct dms_test memmap_tests[], redact_tests[], facts_tests[];
extern const struct dms_test dumpfile_tests[], report_tests[], maple_tests[];

/** Record a failure of the running test (prints file:line and message). */
void test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Mark the running test skipped, with a reason. */
void test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Hex dump of a byte buffer to stderr (for failure messages). */
void test_hexdump(const uint8_t *p, size_t len);

#define EXPECT_INT(got, want)                                                                      \
	do {                                                                                       \
		long long got_ = (long long)(got), want_ = (long long)(want);                      \
		if (got_ != want_) {                                                               \
			test_fail(__FILE__, __LINE__, "%s: expected %lld, got %lld", #got, want_,  \
				  got_);                                                           \
			return;                                                                    \
		}                                                                                  \
	} while (0)

#define EXPECT_UINT(got, want)                                                                     \
	do {                                                                                       \
		unsigned long long got_ = (unsigned long long)(got);                               \
		unsigned long long want_ = (unsigned long long)(want);                             \
		if (got_ != want_) {                                                               \
			test_fail(__FILE__, __LINE__, "%s: expected %#llx, got %#llx", #got,       \
				  want_, got_);                                                    \
			return;                                                                    \
		}                                                                                  \
	} while (0)

#define EXPECT_FALSE(cond) EXPECT_TRUE(!(cond))

#define EXPECT_TRUE(cond)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			test_fail(__FILE__, __LINE__, "expected %s to be true, got false", #cond); \
			return;                                                                    \
		}                                                                                  \
	} while (0)

#define EXPECT_STR(got, want)                                                                      \
	do {                                                                                       \
		const char *got_ = (got), *want_ = (want);                                         \
		if (!got_ || !want_ || strcmp(got_, want_)) {                                      \
			test_fail(__FILE__, __LINE__, "%s: expected \"%s\", got \"%s\"", #got,     \
				  want_ ? want_ : "(null)", got_ ? got_ : "(null)");               \
			return;                                                                    \
		}                                                                                  \
	} while (0)

#define EXPECT_MEM(got, want, n)                                                                   \
	do {                                                                                       \
		if (memcmp((got), (want), (n))) {                                                  \
			test_fail(__FILE__, __LINE__,                                              \
				  "%s: bytes differ; expected then got:", #got);                   \
			test_hexdump((const uint8_t *)(want), (n));                                \
			test_hexdump((const uint8_t *)(got), (n));                                 \
			return;                                                                    \
		}                                                                                  \
	} while (0)

// The call must succeed (return NULL); otherwise print the error.
#define EXPECT_OK(call)                                                                            \
	do {                                                                                       \
		struct dms_error *err_ = (call);                                                   \
		if (err_) {                                                                        \
			test_fail(__FILE__, __LINE__, "%s: expected success, got error %d: %s",    \
				  #call, (int)err_->code, err_->message);                          \
			dms_error_destroy(err_);                                                   \
			return;                                                                    \
		}                                                                                  \
	} while (0)

// The call must fail with the given error code.
#define EXPECT_ERR(call, want_code)                                                                \
	do {                                                                                       \
		struct dms_error *err_ = (call);                                                   \
		int code_ = err_ ? (int)err_->code : 0;                                            \
		dms_error_destroy(err_);                                                           \
		if (code_ != (int)(want_code)) {                                                   \
			test_fail(__FILE__, __LINE__, "%s: expected error %s, got %s", #call,      \
				  dms_error_string(want_code), dms_error_string(code_));           \
			return;                                                                    \
		}                                                                                  \
	} while (0)

#endif // DMS_TEST_H
