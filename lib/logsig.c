// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: kernel log signatures (see logsig.h).
//
// Every line of the log is untrusted text: it is copied (bounded) into a local buffer,
// matched against fixed needles, and fields are pulled out with bounded scanners.
// The log is never used as a format string.
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "logsig.h"

enum extract {
	X_NONE,
	X_DEV_RING,   // "drv bus-id[ netdev]: ... {Rx,Tx} ring N ..."
	X_DEV,	      // "drv bus-id[ netdev]: ..."
	X_CSUM,	      // "...<netdev>: hw csum failure"
	X_WATCHDOG,   // "NETDEV WATCHDOG: <netdev> (<drv>): transmit queue N timed out [M ms]"
	X_PAGE_POOL,  // "... id N, M inflight ..."
	X_IOMMU,      // "fault addr 0x..." / "address=0x..." and the requesting device
	X_ADDRESS,    // the first "address[:]? 0x..." / "address: ..." in the line
	X_SMMU,	      // arm-smmu "iova=0x...", arm-smmu-v3 "client: <dev> ... iova: 0x..."
	X_SMMUV3_RAW, // arm-smmu-v3 "event 0x10 received:" + the record's words on the next lines
	X_IRQ,	      // "irq N: nobody cared", "Disabling IRQ #N"
	X_SOFTIRQ,    // "... handler #08!!!": the pending softirq mask
	X_LOCKUP,     // "stuck for 22s!"
	X_HUNG,	      // "blocked for more than 120 seconds"
};

struct sig {
	enum dms_logsig_kind kind;
	const char *needle[2]; // all must occur, in this order
	enum extract extract;
};

// Order matters: the first entry that matches a line wins.
static const struct sig dms_logsig_table[] = {
	{ DMS_LOG_RX_RING_DISABLE_TIMEOUT, { "Rx ring ", "able timeout" }, X_DEV_RING },
	{ DMS_LOG_TX_RING_DISABLE_TIMEOUT, { "Tx ring ", "able timeout" }, X_DEV_RING },
	{ DMS_LOG_HW_UNIT_HANG, { "Detected Hardware Unit Hang" }, X_DEV },
	{ DMS_LOG_HW_UNIT_HANG, { "Detected Tx Unit Hang" }, X_DEV },
	{ DMS_LOG_HW_CSUM_FAILURE, { ": hw csum failure" }, X_CSUM },
	{ DMS_LOG_PAGE_POOL_STALLED, { "stalled pool shutdown", "inflight" }, X_PAGE_POOL },
	{ DMS_LOG_NETDEV_WATCHDOG, { "NETDEV WATCHDOG: ", "timed out" }, X_WATCHDOG },
	{ DMS_LOG_IOMMU_FAULT, { "DMAR: [DMA ", "fault addr" }, X_IOMMU },
	{ DMS_LOG_IOMMU_FAULT, { "IO_PAGE_FAULT", "address=" }, X_IOMMU },
	// arm-smmu (SMMUv1/v2): a context bank fault on a device's DMA.
	{ DMS_LOG_IOMMU_FAULT, { "Unhandled context fault", "iova=" }, X_SMMU },
	{ DMS_LOG_IOMMU_FAULT, { "Blocked unknown Stream ID" }, X_NONE },
	// arm-smmu-v3: the decoded event (6.15+) names the device; the raw record before it
	// (and alone on older kernels) carries the address in its third word.
	{ DMS_LOG_IOMMU_FAULT, { "event: F_", "iova: " }, X_SMMU },
	{ DMS_LOG_IOMMU_FAULT, { "event 0x", " received:" }, X_SMMUV3_RAW },
	{ DMS_LOG_NIC_RESET, { "Reset adapter unexpectedly" }, X_DEV },
	{ DMS_LOG_NIC_RESET, { "PF reset issued" }, X_DEV },
	{ DMS_LOG_NIC_RESET, { "initiating reset due to tx timeout" }, X_DEV },
	{ DMS_LOG_NIC_RESET, { "warm reset failed" }, X_DEV }, // mtk_eth_soc
	{ DMS_LOG_SLUB_REPORT, { "BUG ", "Freepointer corrupt" }, X_NONE },
	{ DMS_LOG_SLUB_REPORT, { "BUG ", "Poison overwritten" }, X_NONE },
	{ DMS_LOG_SLUB_REPORT, { "BUG ", "Redzone overwritten" }, X_NONE },
	{ DMS_LOG_SLUB_REPORT, { "BUG ", "Object already free" }, X_NONE },
	{ DMS_LOG_SLUB_REPORT, { "BUG ", "Freechain corrupt" }, X_NONE },
	{ DMS_LOG_LIST_CORRUPTION, { "list_add corruption" }, X_NONE },
	{ DMS_LOG_LIST_CORRUPTION, { "list_del corruption" }, X_NONE },
	{ DMS_LOG_GPF, { "general protection fault" }, X_ADDRESS },
	{ DMS_LOG_PAGE_FAULT_OOPS, { "BUG: unable to handle page fault" }, X_ADDRESS },
	{ DMS_LOG_PAGE_FAULT_OOPS, { "BUG: kernel NULL pointer dereference" }, X_ADDRESS },
	{ DMS_LOG_PAGE_FAULT_OOPS, { "BUG: unable to handle kernel" }, X_ADDRESS },
	{ DMS_LOG_BAD_PAGETABLE, { "Bad pagetable" }, X_NONE },
	{ DMS_LOG_BAD_PAGETABLE, { "Corrupted page table at address" }, X_ADDRESS },
	{ DMS_LOG_KERNEL_BUG, { "kernel BUG at " }, X_NONE },
	{ DMS_LOG_PANIC, { "Kernel panic - not syncing" }, X_NONE },
	// arm/arm64: "Unable to handle kernel paging request at virtual address ...",
	// "... NULL pointer dereference ...", "... write to read-only memory ..." (arm64
	// fault.c die_kernel_fault, arm fault.c __do_kernel_fault).
	{ DMS_LOG_PAGE_FAULT_OOPS, { "Unable to handle kernel " }, X_ADDRESS },
	{ DMS_LOG_INTERNAL_ERROR, { "Internal error: ", "[#" }, X_NONE },
	{ DMS_LOG_SERROR, { "SError Interrupt on CPU" }, X_NONE },
	// Context (kernel/irq/spurious.c, kernel/rcu/tree_stall.h, kernel/time/tick-sched.c,
	// kernel/watchdog.c, kernel/hung_task.c).
	{ DMS_LOG_IRQ_STORM, { "irq ", ": nobody cared" }, X_IRQ },
	{ DMS_LOG_IRQ_STORM, { "Disabling IRQ #" }, X_IRQ },
	{ DMS_LOG_RCU_STALL, { "rcu", "detected stall" }, X_NONE },
	{ DMS_LOG_RCU_STALL, { "rcu", "detected expedited stall" }, X_NONE },
	{ DMS_LOG_SOFTIRQ_PENDING,
	  { "NOHZ tick-stop error", "softirq work is pending" },
	  X_SOFTIRQ },
	{ DMS_LOG_LOCKUP, { "soft lockup - CPU#" }, X_LOCKUP },
	{ DMS_LOG_LOCKUP, { "hard LOCKUP" }, X_NONE },
	{ DMS_LOG_HUNG_TASK, { "INFO: task ", "blocked for more than " }, X_HUNG },
};

static const struct {
	const char *name;
	enum dms_logsig_class klass;
	const char *meaning;
} kinds[DMS_LOG_NUM_KINDS] = {
	[DMS_LOG_RX_RING_DISABLE_TIMEOUT] = { "rx-ring-disable-timeout", DMS_LOGCLASS_NIC,
					      "the NIC did not confirm that an RX queue stopped; "
					      "the driver may free buffers the device still "
					      "writes" },
	[DMS_LOG_TX_RING_DISABLE_TIMEOUT] = { "tx-ring-disable-timeout", DMS_LOGCLASS_NIC,
					      "the NIC did not confirm that a TX queue stopped" },
	[DMS_LOG_HW_UNIT_HANG] = { "hw-unit-hang", DMS_LOGCLASS_NIC,
				   "the driver saw the NIC stop processing descriptors and will "
				   "reset it" },
	[DMS_LOG_HW_CSUM_FAILURE] = { "hw-csum-failure", DMS_LOGCLASS_NIC,
				      "a received packet's data did not match the checksum the NIC "
				      "computed: the buffer changed after the device wrote it, or "
				      "the device is wrong" },
	[DMS_LOG_PAGE_POOL_STALLED] = { "page-pool-inflight", DMS_LOGCLASS_NIC,
					"a page_pool could not shut down: pages are still in "
					"flight (held by the device, the stack, or leaked)" },
	[DMS_LOG_NETDEV_WATCHDOG] = { "netdev-watchdog", DMS_LOGCLASS_NIC,
				      "a transmit queue timed out; the driver resets the NIC" },
	[DMS_LOG_IOMMU_FAULT] = { "iommu-fault", DMS_LOGCLASS_NIC,
				  "the IOMMU (Intel DMAR, AMD-Vi, ARM SMMU) blocked a device DMA "
				  "to an address that was not mapped for it" },
	[DMS_LOG_NIC_RESET] = { "nic-reset", DMS_LOGCLASS_NIC,
				"the driver reset the NIC after an error" },
	[DMS_LOG_SLUB_REPORT] = { "slub-report", DMS_LOGCLASS_CORRUPTION,
				  "slub_debug found a slab object or its metadata overwritten" },
	[DMS_LOG_LIST_CORRUPTION] = { "list-corruption", DMS_LOGCLASS_CORRUPTION,
				      "CONFIG_DEBUG_LIST found a corrupted list_head" },
	[DMS_LOG_GPF] = { "general-protection-fault", DMS_LOGCLASS_CRASH,
			  "a general protection fault, typically a non-canonical pointer" },
	[DMS_LOG_PAGE_FAULT_OOPS] = { "page-fault-oops", DMS_LOGCLASS_CRASH,
				      "the kernel dereferenced an unmapped address" },
	[DMS_LOG_BAD_PAGETABLE] = { "bad-pagetable", DMS_LOGCLASS_CRASH,
				    "a page-table entry had reserved bits set: the page table "
				    "itself was overwritten" },
	[DMS_LOG_KERNEL_BUG] = { "kernel-bug", DMS_LOGCLASS_CRASH, "a BUG() assertion failed" },
	[DMS_LOG_PANIC] = { "panic", DMS_LOGCLASS_CRASH, "the kernel panicked" },
	[DMS_LOG_INTERNAL_ERROR] = { "internal-error", DMS_LOGCLASS_CRASH,
				     "the arm/arm64 kernel oopsed (die()); on arm64 the hex field "
				     "is the exception syndrome (ESR)" },
	[DMS_LOG_SERROR] = { "serror", DMS_LOGCLASS_CRASH,
			     "an asynchronous external abort: a bus or device error the CPU could "
			     "not tie to an instruction (a DMA or MMIO access gone wrong, a hung "
			     "interconnect)" },
	[DMS_LOG_IRQ_STORM] = { "irq-storm", DMS_LOGCLASS_CONTEXT,
				"an interrupt kept firing with no handler claiming it; the kernel "
				"disables the line" },
	[DMS_LOG_RCU_STALL] = { "rcu-stall", DMS_LOGCLASS_CONTEXT,
				"a CPU did not pass through a quiescent state for seconds: it was "
				"stuck in interrupts, softirqs or a loop" },
	[DMS_LOG_SOFTIRQ_PENDING] = { "softirq-pending", DMS_LOGCLASS_CONTEXT,
				      "a CPU went idle with softirq work pending (mask 0x08 is "
				      "NET_RX): more packet work than the CPU gets through" },
	[DMS_LOG_LOCKUP] = { "lockup", DMS_LOGCLASS_CONTEXT,
			     "a CPU did not schedule (soft) or take interrupts (hard) for "
			     "seconds" },
	[DMS_LOG_HUNG_TASK] = { "hung-task", DMS_LOGCLASS_CONTEXT,
				"a task waited uninterruptibly for minutes" },
};

const char *dms_logsig_kind_name(enum dms_logsig_kind kind)
{
	return (unsigned)kind < DMS_LOG_NUM_KINDS ? kinds[kind].name : "unknown";
}

const char *dms_logsig_kind_meaning(enum dms_logsig_kind kind)
{
	return (unsigned)kind < DMS_LOG_NUM_KINDS ? kinds[kind].meaning : "";
}

// Copy the token at *p made of chars accepted by ok() into dst (bounded); advance *p.
static size_t take(const char **p, char *dst, size_t size, int (*ok)(int))
{
	size_t n = 0;

	while (**p && ok((unsigned char)**p)) {
		if (n + 1 < size)
			dst[n++] = **p;
		(*p)++;
	}
	if (size)
		dst[n < size ? n : size - 1] = '\0';
	return n;
}

static int is_word(int c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.' || c == '@';
}

static int is_busid(int c)
{
	return isxdigit(c) || c == ':' || c == '.';
}

static int is_token(int c)
{
	return c > ' ' && c < 127;
}

static int is_ifname(int c)
{
	return c > ' ' && c != ':' && c != '(' && c != ')' && c != '/' && c < 127;
}

// A device name as dev_*() prints it: PCI "0000:3b:00.0", platform "15100000.ethernet".
static bool bus_id(const char *id)
{
	size_t n = strlen(id), hex = strspn(id, "0123456789abcdefABCDEF");

	if (!n)
		return false;
	if (strspn(id, "0123456789abcdefABCDEF:.") == n && strchr(id, ':'))
		return true; // PCI
	if (hex && id[hex] == '.' && id[hex + 1]) {
		const char *p = id + hex + 1;
		while (*p && (isalnum((unsigned char)*p) || *p == '_' || *p == '-'))
			p++;
		return !*p; // platform
	}
	return false;
}

// "drv 0000:3b:00.0[ eth0]: ..." (dev_*/netdev_* prefixes).
static void dev_prefix(const char *p, struct dms_logsig *sig)
{
	char drv[sizeof(sig->driver)], bus[sizeof(sig->device)], nd[sizeof(sig->netdev)];

	if (!take(&p, drv, sizeof(drv), is_word) || *p != ' ')
		return;
	p++;
	size_t n = take(&p, bus, sizeof(bus), is_token);
	bool colon = n && n < sizeof(bus) && bus[n - 1] == ':';
	if (colon)
		bus[n - 1] = '\0'; // "0000:07:00.3: message": the colon ends the prefix
	if (!bus_id(bus))
		return;
	memcpy(sig->driver, drv, sizeof(drv));
	memcpy(sig->device, bus, sizeof(bus));
	if (!colon && *p == ' ') {
		p++;
		if (take(&p, nd, sizeof(nd), is_ifname) && *p == ':')
			memcpy(sig->netdev, nd, sizeof(nd));
	}
}

static long number_after(const char *line, const char *key, int base)
{
	const char *p = strstr(line, key);
	char *end;
	long v;

	if (!p)
		return -1;
	p += strlen(key);
	v = strtol(p, &end, base);
	return end == p ? -1 : v;
}

static uint64_t hex_after(const char *line, const char *key)
{
	const char *p = strstr(line, key);
	char *end;
	unsigned long long v;

	if (!p)
		return 0;
	p += strlen(key);
	while (*p == ' ')
		p++;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	v = strtoull(p, &end, 16);
	return end == p ? 0 : v;
}

static void extract(enum extract how, const char *body, struct dms_logsig *sig)
{
	const char *p;

	switch (how) {
	case X_DEV_RING:
		dev_prefix(body, sig);
		sig->queue = (int)number_after(body, "x ring ", 10);
		break;
	case X_DEV:
		dev_prefix(body, sig);
		break;
	case X_CSUM:
		// The netdev name is the token right before ": hw csum failure".
		p = strstr(body, ": hw csum failure");
		if (p) {
			const char *s = p;

			while (s > body && is_ifname((unsigned char)s[-1]))
				s--;
			size_t n = (size_t)(p - s);
			if (n && n < sizeof(sig->netdev)) {
				memcpy(sig->netdev, s, n);
				sig->netdev[n] = '\0';
			}
		}
		break;
	case X_WATCHDOG:
		p = strstr(body, "NETDEV WATCHDOG: ") + strlen("NETDEV WATCHDOG: ");
		take(&p, sig->netdev, sizeof(sig->netdev), is_ifname);
		if (p[0] == ' ' && p[1] == '(') {
			p += 2;
			take(&p, sig->driver, sizeof(sig->driver), is_word);
		}
		sig->queue = (int)number_after(body, "transmit queue ", 10);
		sig->count = number_after(body, "timed out ", 10);
		break;
	case X_PAGE_POOL:
		// "page_pool_release_retry() stalled pool shutdown 1 inflight 60 sec" (.. 6.7),
		// "...() stalled pool shutdown: id 14, 37 inflight 3540 sec" (6.8+),
		// "...(): eth0 stalled pool shutdown: id 14, ..." (with the netdev's name).
		p = strstr(body, " inflight");
		if (p) {
			const char *s = p;

			while (s > body && isdigit((unsigned char)s[-1]))
				s--;
			if (s < p)
				sig->count = strtol(s, NULL, 10);
			sig->seconds = number_after(p, " inflight ", 10);
		}
		p = strstr(body, "(): ");
		if (p && p < strstr(body, "stalled pool")) {
			p += 4;
			take(&p, sig->netdev, sizeof(sig->netdev), is_ifname);
			if (strncmp(p, " stalled", 8))
				sig->netdev[0] = '\0';
		}
		break;
	case X_IOMMU:
		sig->address = hex_after(body, "fault addr");
		if (!sig->address)
			sig->address = hex_after(body, "address=");
		p = strstr(body, "Request device [");
		if (p) {
			p += strlen("Request device [");
			take(&p, sig->device, sizeof(sig->device), is_busid);
		} else if ((p = strstr(body, "device="))) {
			p += strlen("device=");
			take(&p, sig->device, sizeof(sig->device), is_busid);
		} else {
			dev_prefix(body, sig);
		}
		break;
	case X_ADDRESS:
		sig->address = hex_after(body, "non-canonical address");
		if (!sig->address)
			sig->address = hex_after(body, "for address");
		if (!sig->address)
			sig->address = hex_after(body, "address:");
		if (!sig->address)
			sig->address = hex_after(body, "at address");
		if (!sig->address)
			sig->address = hex_after(body, "virtual address");
		break;
	case X_SMMU:
		// The address is an IOVA; the SMMU's own device name is not the culprit.
		sig->address = hex_after(body, "iova=");
		if (!sig->address)
			sig->address = hex_after(body, "iova: ");
		p = strstr(body, "client: ");
		if (p && p[8] != '(') {
			p += 8;
			take(&p, sig->device, sizeof(sig->device), is_token);
		}
		break;
	case X_SMMUV3_RAW: // the record's words are on the next lines: see smmuv3_record()
		break;
	case X_IRQ:
		sig->irq = (int)number_after(body, "irq ", 10);
		if (sig->irq < 0)
			sig->irq = (int)number_after(body, "IRQ #", 10);
		break;
	case X_SOFTIRQ:
		sig->count = number_after(body, "handler #", 16);
		break;
	case X_LOCKUP:
		sig->seconds = number_after(body, "stuck for ", 10);
		break;
	case X_HUNG:
		sig->seconds = number_after(body, "blocked for more than ", 10);
		break;
	case X_NONE:
		break;
	}
}

// Is [p, close) a printk caller id, "T123" or "C1" with leading blanks?
static bool caller_id(const char *p, const char *close)
{
	while (p < close && *p == ' ')
		p++;
	if (p >= close || (*p != 'T' && *p != 'C'))
		return false;
	for (p++; p < close; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

// Strip a syslog "Mon DD hh:mm:ss host kernel: " prefix, "<N>", "[   12.345678]" and
// "[    T1]"; return the body and set *time (-1 without a timestamp).
const char *dms_log_line_body(const char *p, double *time)
{
	const char *k = strstr(p, "kernel: ");

	*time = -1;
	if (k && k - p < 64)
		p = k + strlen("kernel: ");
	if (p[0] == '<') {
		const char *q = p + 1;

		while (isdigit((unsigned char)*q))
			q++;
		if (*q == '>' && q > p + 1)
			p = q + 1;
	}
	if (p[0] == '[') {
		const char *close = strchr(p, ']');
		char *end;
		double t = close ? strtod(p + 1, &end) : 0;

		if (close && end == close && end > p + 1) {
			*time = t;
			p = close + 1;
			if (p[0] == '[' && (close = strchr(p, ']')) && caller_id(p + 1, close))
				p = close + 1;
			while (*p == ' ')
				p++;
		}
	}
	return p;
}

static bool match(const struct sig *s, const char *body)
{
	const char *p = body;

	for (size_t i = 0; i < 2 && s->needle[i]; i++) {
		p = strstr(p, s->needle[i]);
		if (!p)
			return false;
		p += strlen(s->needle[i]);
	}
	return true;
}

// arm-smmu-v3 prints an event as "<prefix>event 0x10 received:" and its record's four
// 64-bit words on the next lines ("<prefix>\t0x0000010000000010"); kernels from 6.15
// then print the decoded event ("<prefix>event: F_TRANSLATION client: ..."), reported
// on its own.  The record's third word is the input address of a translation, address
// size, access flag or permission fault (events 0x10-0x13; SMMUv3 spec 7.3).  Returns
// false when a decoded line follows (this one is then not reported).
static bool smmuv3_record(const char *log, size_t len, size_t pos, const char *body,
			  struct dms_logsig *sig)
{
	const char *ev = strstr(body, "event 0x");
	size_t plen = (size_t)(ev - body);
	char prefix[160], line[256];
	uint64_t words[4];
	unsigned int nwords = 0;

	if (plen >= sizeof(prefix))
		return true;
	memcpy(prefix, body, plen);
	prefix[plen] = '\0';
	long id = strtol(ev + 8, NULL, 16);
	for (int i = 0; i < 6 && pos < len; i++) {
		const char *nl = memchr(log + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (log + pos)) : len - pos;
		size_t copy = n < sizeof(line) - 1 ? n : sizeof(line) - 1;
		double t;

		memcpy(line, log + pos, copy);
		line[copy] = '\0';
		pos += n + 1;
		const char *b = dms_log_line_body(line, &t);
		if (strncmp(b, prefix, plen))
			break;
		b += plen;
		if (!strncmp(b, "event: ", 7))
			return false;
		while (*b == ' ' || *b == '\t')
			b++;
		char *end;
		if (nwords < 4 && b[0] == '0' && b[1] == 'x') {
			words[nwords] = strtoull(b + 2, &end, 16);
			if (end > b + 2)
				nwords++;
		}
	}
	if (id >= 0x10 && id <= 0x13 && nwords >= 3)
		sig->address = words[2];
	return true;
}

struct dms_error *dms_logsig_scan(const char *log, size_t len, dms_logsig_fn *fn, void *arg)
{
	char line[1024];
	size_t pos = 0;

	if (!log && len)
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT, "no log");
	while (pos < len) {
		const char *nl = memchr(log + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (log + pos)) : len - pos;
		size_t copy = n < sizeof(line) - 1 ? n : sizeof(line) - 1;

		// Serial consoles end lines with "\r\n".
		if (copy && log[pos + copy - 1] == '\r')
			copy--;

		memcpy(line, log + pos, copy);
		line[copy] = '\0';
		// A NUL inside a line (binary junk in a ramoops buffer) ends it for matching.
		double time;
		const char *body = dms_log_line_body(line, &time);
		for (size_t i = 0; i < sizeof(dms_logsig_table) / sizeof(dms_logsig_table[0]);
		     i++) {
			const struct sig *s = &dms_logsig_table[i];

			if (!match(s, body))
				continue;
			struct dms_logsig sig = {
				.kind = s->kind,
				.klass = kinds[s->kind].klass,
				.name = kinds[s->kind].name,
				.time = time,
				.queue = -1,
				.count = -1,
				.seconds = -1,
				.irq = -1,
				.offset = pos,
				.len = n,
			};
			extract(s->extract, body, &sig);
			if (s->extract == X_SMMUV3_RAW &&
			    !smmuv3_record(log, len, pos + n + 1, body, &sig))
				break;
			struct dms_error *err = fn(&sig, line, arg);
			if (err)
				return err;
			break;
		}
		pos += n + 1;
	}
	return NULL;
}
