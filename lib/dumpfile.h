// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: reading a dump file directly, and in parallel.
//
// struct dms_dumpfile opens a memory dump without crash: a raw physical
// memory image, an ELF core (kexec/vmcore, QEMU dump-guest-memory, makedumpfile
// -E) or a kdump-compressed file as makedumpfile writes it (pages zlib, lzo,
// snappy or zstd compressed, excluded pages absent), plain or in the flattened
// format (makedumpfile -F, QEMU dump-guest-memory -z), which is indexed once.
// It serves struct dms_reader with random reads on the calling thread.
//
// struct dms_pstream is a whole-memory pass over [start, end): N worker
// threads decompress independent pages ahead of the reader, into a fixed ring
// of slots, and read_phys hands them out in increasing address order.  A read
// outside the window (backwards, or a page the plan skipped) is served by the
// dump file's random reader, so results never depend on the access pattern.
//
// Every header, index entry and page descriptor is untrusted: nothing is read
// outside the file, a page whose descriptor or data is invalid reads as absent
// (and is counted), and the in-memory index (bitmap, rank table, flattened
// index, ELF segments) must fit a fixed budget or the open fails.
#ifndef DMS_DUMPFILE_H
#define DMS_DUMPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "reader.h"

enum dms_dump_format {
	DMS_DUMP_RAW,
	DMS_DUMP_ELF,
	DMS_DUMP_KDUMP,
	DMS_DUMP_KDUMP_FLAT,
};

// Compression methods seen in page descriptors (makedumpfile's page flags).
#define DMS_DUMP_ZLIB 0x1
#define DMS_DUMP_LZO 0x2
#define DMS_DUMP_SNAPPY 0x4
#define DMS_DUMP_ZSTD 0x20

// Default index budget: 1 bit of bitmap per page (32 MiB per TiB of memory),
// its rank table, and the flattened format's index.
#define DMS_DUMPFILE_DEFAULT_BUDGET (64U << 20)

struct dms_dumpfile_config {
	// Treat the file as a raw image of physical memory starting at
	// raw_phys_base, whatever its first bytes look like.  Without it a file
	// that is neither ELF nor kdump is rejected (DMS_ERR_UNSUPPORTED).
	bool raw;
	uint64_t raw_phys_base;
	// Page size of a raw image or an ELF core (0: 4096); a kdump file says
	// its own.
	uint64_t page_size;
	// Bytes the index may take (0: DMS_DUMPFILE_DEFAULT_BUDGET).
	size_t budget;
};

struct dms_dumpfile_info {
	enum dms_dump_format format;
	uint64_t page_size;
	// One past the highest page frame the dump describes.
	uint64_t max_pfn;
	// Pages the dump holds (kdump: bits set in the dumpable bitmap; ELF and
	// raw: pages any segment touches).
	uint64_t present_pages;
	// kdump: utsname.release ("" otherwise), the sub-header's dump level
	// (-1: not known) and file offset/size of VMCOREINFO (0: none).
	char release[65];
	int dump_level;
	uint64_t vmcoreinfo_off, vmcoreinfo_size;
	// Bytes of index held in memory.
	size_t index_bytes;
};

struct dms_dumpfile;

/** The name of a format ("raw", "ELF", "kdump-compressed", "kdump-compressed (flattened)"). */
const char *dms_dump_format_name(enum dms_dump_format f);

/** Open a dump file by path. */
struct dms_error *dms_dumpfile_open(const char *path, const struct dms_dumpfile_config *config,
				    struct dms_dumpfile **ret);

/** Open a dump from a file descriptor (duplicated: the caller keeps fd). */
struct dms_error *dms_dumpfile_open_fd(int fd, const struct dms_dumpfile_config *config,
				       struct dms_dumpfile **ret);

/** Close a dump file; accepts NULL. */
void dms_dumpfile_destroy(struct dms_dumpfile *df);

/** What the dump is (valid until dms_dumpfile_destroy()). */
const struct dms_dumpfile_info *dms_dumpfile_info(const struct dms_dumpfile *df);

/**
 * The random-access reader: read_phys decompresses page by page on the
 * calling thread (not thread-safe), for_each_range gives runs of present
 * pages, no address translation.
 */
const struct dms_reader *dms_dumpfile_reader(struct dms_dumpfile *df);

/** Whether the dump holds page frame pfn. */
bool dms_dumpfile_present(const struct dms_dumpfile *df, uint64_t pfn);

/**
 * Read the dump's VMCOREINFO note text (kdump: the sub-header's copy; ELF:
 * the VMCOREINFO note) into a malloc'd NUL-terminated buffer, at most 1 MiB.
 * DMS_ERR_NOT_FOUND when the dump has none.
 */
struct dms_error *dms_dumpfile_vmcoreinfo(struct dms_dumpfile *df, char **ret, size_t *len_ret);

/** Pages that were present but could not be read (invalid descriptor or data), so far. */
uint64_t dms_dumpfile_bad_pages(const struct dms_dumpfile *df);

struct dms_pstream;

struct dms_pstream_config {
	// Worker threads (0: one per online CPU; at most 64).
	unsigned int threads;
	// Where for_each_range comes from (NULL: the dump's own present runs).
	// Inside crash this is crash's memory-node reader, so a pass visits
	// exactly the ranges the readmem path visits.
	const struct dms_reader *ranges;
	// Optional translations for the stream's reader (taken from this reader).
	const struct dms_reader *translate;
	// Optional: only the dump pages for which want(paddr, page size) is true
	// are decompressed ahead (a walk that reads some pages in address
	// order); the reader reads any other page through the random reader.
	// Called from the workers: it must only read what does not change.
	bool (*want)(uint64_t paddr, uint64_t len, void *arg);
	void *want_arg;
};

/**
 * Start a pass over the present pages in [start, end): the workers begin
 * decompressing at once.  The dump file must outlive the stream, and its
 * random reader must not be used by other threads while the stream lives.
 */
struct dms_error *dms_pstream_create(struct dms_dumpfile *df, uint64_t start, uint64_t end,
				     const struct dms_pstream_config *config,
				     struct dms_pstream **ret);

/** Stop the workers and free the stream; accepts NULL. */
void dms_pstream_destroy(struct dms_pstream *ps);

/**
 * The stream's reader: read_phys serves pages from the window (in order) or
 * from the random reader; one consumer thread only.
 */
const struct dms_reader *dms_pstream_reader(struct dms_pstream *ps);

struct dms_pstream_stats {
	unsigned int threads;
	// Pages decompressed by the workers, pages read through the random
	// reader (outside the window), reads that waited for a worker.
	uint64_t streamed, random, waits;
};

/** Counters of a stream so far. */
void dms_pstream_stats(const struct dms_pstream *ps, struct dms_pstream_stats *ret);

#endif // DMS_DUMPFILE_H
