// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: kernel log signatures of NIC trouble and of the crash itself.
//
// Reads a kernel log (crash `log`, dmesg, pstore/ramoops text) line by line and
// reports every line that matches a known signature: an RX queue that would not stop,
// a hung NIC, a checksum fault, a page_pool that cannot shut down, an IOMMU fault
// (Intel DMAR, AMD-Vi, arm-smmu and arm-smmu-v3), a transmit watchdog, the oops/panic
// lines of x86-64 and arm/arm64 kernels, and context that often comes with a sick NIC
// or board: IRQ storms, RCU stalls, pending softirqs, lockups.  The table of signatures
// is data (lib/logsig.c: dms_logsig_table); a new one is a table entry.
#ifndef DMS_LOGSIG_H
#define DMS_LOGSIG_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum dms_logsig_kind {
	// NIC / DMA trouble (docs/evidence.md item 6).
	DMS_LOG_RX_RING_DISABLE_TIMEOUT, // i40e/ice "Rx ring N disable timeout" (also "dissable")
	DMS_LOG_TX_RING_DISABLE_TIMEOUT,
	DMS_LOG_HW_UNIT_HANG,	   // e1000e "Detected Hardware Unit Hang", igb/ixgbe "Tx Unit Hang"
	DMS_LOG_HW_CSUM_FAILURE,   // netdev_rx_csum_fault(): "<dev>: hw csum failure"
	DMS_LOG_PAGE_POOL_STALLED, // page_pool_release_retry() ... inflight
	DMS_LOG_NETDEV_WATCHDOG,   // "NETDEV WATCHDOG: <dev> (<drv>): transmit queue N timed out"
	DMS_LOG_IOMMU_FAULT,	   // DMAR / AMD-Vi IO page faults
	DMS_LOG_NIC_RESET,	   // driver-initiated resets after a hang or a DMA error
	// Memory corruption reports.
	DMS_LOG_SLUB_REPORT,	 // slub_debug: poison/redzone overwritten, freepointer corrupt
	DMS_LOG_LIST_CORRUPTION, // list_add / list_del corruption
	// The crash itself.
	DMS_LOG_GPF, // general protection fault (with the non-canonical address if given)
	DMS_LOG_PAGE_FAULT_OOPS, // BUG: unable to handle page fault / NULL pointer dereference
	DMS_LOG_BAD_PAGETABLE,
	DMS_LOG_KERNEL_BUG,	// kernel BUG at file:line
	DMS_LOG_PANIC,		// Kernel panic - not syncing
	DMS_LOG_INTERNAL_ERROR, // arm/arm64 die(): "Internal error: Oops: <ESR> [#1] ..."
	DMS_LOG_SERROR,		// arm64 "SError Interrupt on CPU<n>, code 0x... -- SError"
	// Context: what a storm of interrupts or work does to the machine.
	DMS_LOG_IRQ_STORM,	 // "irq N: nobody cared", "Disabling IRQ #N"
	DMS_LOG_RCU_STALL,	 // "rcu: INFO: rcu_sched self-detected stall on CPU" ...
	DMS_LOG_SOFTIRQ_PENDING, // "NOHZ tick-stop error: ... softirq work is pending, handler
				 // #08!!!"
	DMS_LOG_LOCKUP,		 // "watchdog: BUG: soft lockup - CPU#0 stuck for 22s!", hard LOCKUP
	DMS_LOG_HUNG_TASK,	 // "INFO: task X:N blocked for more than 120 seconds."
	DMS_LOG_NUM_KINDS,
};

enum dms_logsig_class {
	DMS_LOGCLASS_NIC,	 // the device or its driver reports trouble
	DMS_LOGCLASS_CORRUPTION, // the kernel reports corrupted memory
	DMS_LOGCLASS_CRASH,	 // the oops or panic
	DMS_LOGCLASS_CONTEXT, // the machine under load: IRQ storms, stalls, lockups (not evidence)
};

/** One matched line.  Strings point into caller-owned storage of this struct. */
struct dms_logsig {
	enum dms_logsig_kind kind;
	enum dms_logsig_class klass;
	const char *name; // stable short name, e.g. "rx-ring-disable-timeout"
	double time;	  // printk timestamp in seconds, or -1 when the line has none
	char driver[32];  // "i40e", "e1000e" ... or ""
	// PCI address or other bus id of the device the line is about ("" when none; for
	// an IOMMU fault the device that did the DMA, never the IOMMU itself)
	char device[32];
	char netdev[32]; // "eth0" ... or ""
	int queue;	 // ring/queue number, or -1
	// inflight pages (page_pool), timeout ms (watchdog), pending softirq mask (NOHZ
	// tick-stop: 0x08 is NET_RX), or -1
	long count;
	long seconds;	  // how long it lasted (page_pool stall, lockup, hung task), or -1
	int irq;	  // IRQ number (IRQ storm lines), or -1
	uint64_t address; // fault address (GPF, page fault, IOMMU: the IOVA), 0 if none
	size_t offset;	  // byte offset of the line in the log
	size_t len;	  // length of the line (without the newline)
};

/** Called for every matching line; a non-NULL error stops the scan and is returned. */
typedef struct dms_error *dms_logsig_fn(const struct dms_logsig *sig, const char *line, void *arg);

/**
 * Scan a kernel log of len bytes (need not be NUL-terminated) and call fn for every
 * line that matches a signature, in log order.  Lines may carry a syslog "<N>" prefix,
 * a "[   12.345678]" timestamp and a "[    T1]" caller id.  Never reads past len.
 */
struct dms_error *dms_logsig_scan(const char *log, size_t len, dms_logsig_fn *fn, void *arg);

/**
 * The message of one NUL-terminated log line: past a syslog "... kernel: " prefix, a
 * "<N>" level, a "[   12.345678]" timestamp (stored in *time, else -1) and a "[  T1]"
 * caller id.  Returns a pointer into line.
 */
const char *dms_log_line_body(const char *line, double *time);

/** Short stable name of a kind ("rx-ring-disable-timeout"); never NULL. */
const char *dms_logsig_kind_name(enum dms_logsig_kind kind);

/** What a kind means, one sentence for an evidence list; never NULL. */
const char *dms_logsig_kind_meaning(enum dms_logsig_kind kind);

#endif // DMS_LOGSIG_H
