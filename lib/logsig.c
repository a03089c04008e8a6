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
	X_DEV_RING, // "drv bus-id[ netdev]: ... {Rx,Tx} ring N ..."
	X_DEV, // "drv bus-id[ netdev]: ..."
	X_CSUM, // "...<netdev>: hw csum failure"
	X_WATCHDOG, // "NETDEV WATCHDOG: <netdev> (<drv>): transmit queue N timed out [M ms]"
	X_PAGE_POOL, // "... id N, M inflight ..."
	X_IOMMU, // "fault addr 0x..." / "address=0x..." and the requesting device
	X_ADDRESS, // the first "address[:]? 0x..." / "address: ..." in the line
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
	{ DMS_LOG_NIC_RESET, { "Reset adapter unexpectedly" }, X_DEV },
	{ DMS_LOG_NIC_RESET, { "PF reset issued" }, X_DEV },
	{ DMS_LOG_NIC_RESET, { "initiating reset due to tx timeout" }, X_DEV },
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
};

static const struct {
	const char *name;
	enum dms_logsig_class klass;
	const char *meaning;
} kinds[DMS_LOG_NUM_KINDS] = {
	[DMS_LOG_RX_RING_DISABLE_TIMEOUT] = { "rx-ring-disable-timeout", DMS_LOGCLASS_NIC,
		"the NIC did not confirm that an RX queue stopped; the driver may free buffers the device still writes" },
	[DMS_LOG_TX_RING_DISABLE_TIMEOUT] = { "tx-ring-disable-timeout", DMS_LOGCLASS_NIC,
		"the NIC did not confirm that a TX queue stopped" },
	[DMS_LOG_HW_UNIT_HANG] = { "hw-unit-hang", DMS_LOGCLASS_NIC,
		"the driver saw the NIC stop processing descriptors and will reset it" },
	[DMS_LOG_HW_CSUM_FAILURE] = { "hw-csum-failure", DMS_LOGCLASS_NIC,
		"a received packet's data did not match the checksum the NIC computed: the buffer changed after the device wrote it, or the device is wrong" },
	[DMS_LOG_PAGE_POOL_STALLED] = { "page-pool-inflight", DMS_LOGCLASS_NIC,
		"a page_pool could not shut down: pages are still in flight (held by the device, the stack, or leaked)" },
	[DMS_LOG_NETDEV_WATCHDOG] = { "netdev-watchdog", DMS_LOGCLASS_NIC,
		"a transmit queue timed out; the driver resets the NIC" },
	[DMS_LOG_IOMMU_FAULT] = { "iommu-fault", DMS_LOGCLASS_NIC,
		"the IOMMU blocked a device DMA to an address that was not mapped for it" },
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
		"a page-table entry had reserved bits set: the page table itself was overwritten" },
	[DMS_LOG_KERNEL_BUG] = { "kernel-bug", DMS_LOGCLASS_CRASH, "a BUG() assertion failed" },
	[DMS_LOG_PANIC] = { "panic", DMS_LOGCLASS_CRASH, "the kernel panicked" },
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

static int is_ifname(int c)
{
	return c > ' ' && c != ':' && c != '(' && c != ')' && c != '/' && c < 127;
}

// "drv 0000:3b:00.0[ eth0]: ..." (dev_*/netdev_* prefixes).
static void dev_prefix(const char *p, struct dms_logsig *sig)
{
	char drv[sizeof(sig->driver)], bus[sizeof(sig->device)], nd[sizeof(sig->netdev)];

	if (!take(&p, drv, sizeof(drv), is_word) || *p != ' ')
		return;
	p++;
	size_t n = take(&p, bus, sizeof(bus), is_busid);
	bool colon = n && n < sizeof(bus) && bus[n - 1] == ':';
	if (colon)
		bus[n - 1] = '\0'; // "0000:07:00.3: message": the colon ends the prefix
	if (!strchr(bus, ':'))
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
		p = strstr(body, " inflight");
		if (p) {
			const char *s = p;

			while (s > body && isdigit((unsigned char)s[-1]))
				s--;
			if (s < p)
				sig->count = strtol(s, NULL, 10);
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
		for (size_t i = 0; i < sizeof(dms_logsig_table) / sizeof(dms_logsig_table[0]); i++) {
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
				.offset = pos,
				.len = n,
			};
			extract(s->extract, body, &sig);
			struct dms_error *err = fn(&sig, line, arg);
			if (err)
				return err;
			break;
		}
		pos += n + 1;
	}
	return NULL;
}
