// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for lib/logsig.c: kernel log signatures.  Lines are in the formats the
// kernel prints them (dev_*/netdev_* prefixes, printk timestamps, syslog, pstore).
#include <stdlib.h>
#include <string.h>

#include "logsig.h"
#include "test.h"

#define MAX_HITS 16

struct hits {
	int n;
	struct dms_logsig sig[MAX_HITS];
};

static struct dms_error *collect(const struct dms_logsig *sig, const char *line, void *arg)
{
	struct hits *h = arg;

	(void)line;
	if (h->n < MAX_HITS)
		h->sig[h->n++] = *sig;
	return NULL;
}

static struct dms_error *scan(const char *log, struct hits *h)
{
	memset(h, 0, sizeof(*h));
	return dms_logsig_scan(log, strlen(log), collect, h);
}

static void dms_logsig_scan_i40e_rx_ring_timeout(void)
{
	struct hits h;

	EXPECT_TRUE(!scan(
		"[   24.761472] i40e 0000:07:00.3: VSI seid 399 Rx ring 0 disable timeout\n", &h));
	EXPECT_INT(h.n, 1);
	EXPECT_INT(h.sig[0].kind, DMS_LOG_RX_RING_DISABLE_TIMEOUT);
	EXPECT_STR(h.sig[0].driver, "i40e");
	EXPECT_STR(h.sig[0].device, "0000:07:00.3");
	EXPECT_INT(h.sig[0].queue, 0);
	EXPECT_TRUE(h.sig[0].time > 24.76 && h.sig[0].time < 24.77);
	EXPECT_INT(h.sig[0].klass, DMS_LOGCLASS_NIC);
}

static void dms_logsig_scan_dissable_spelling(void)
{
	struct hits h;

	scan("<6>[ 7.1] ice 0000:3b:00.1 eth4: Rx ring 12 dissable timeout\n", &h);
	EXPECT_INT(h.n, 1);
	EXPECT_INT(h.sig[0].kind, DMS_LOG_RX_RING_DISABLE_TIMEOUT);
	EXPECT_STR(h.sig[0].netdev, "eth4");
	EXPECT_INT(h.sig[0].queue, 12);
}

static void dms_logsig_scan_e1000e_unit_hang(void)
{
	struct hits h;

	scan("[  301.000001] e1000e 0000:00:1f.6 enp0s31f6: Detected Hardware Unit Hang:\n"
	     "                 TDH                  <6c>\n",
	     &h);
	EXPECT_INT(h.n, 1);
	EXPECT_INT(h.sig[0].kind, DMS_LOG_HW_UNIT_HANG);
	EXPECT_STR(h.sig[0].driver, "e1000e");
	EXPECT_STR(h.sig[0].netdev, "enp0s31f6");
}

static void dms_logsig_scan_hw_csum_failure_syslog(void)
{
	struct hits h;

	scan("Nov 5 06:50:54 dtgs-pi kernel: [1179419.295601] eth0: hw csum failure\n", &h);
	EXPECT_INT(h.n, 1);
	EXPECT_INT(h.sig[0].kind, DMS_LOG_HW_CSUM_FAILURE);
	EXPECT_STR(h.sig[0].netdev, "eth0");
	EXPECT_TRUE(h.sig[0].time > 1179419.0);
}

static void dms_logsig_scan_page_pool_inflight(void)
{
	struct hits h;

	scan("[ 3600.5] page_pool_release_retry() stalled pool shutdown: id 14, 37 inflight 3540 "
	     "sec\n",
	     &h);
	EXPECT_INT(h.n, 1);
	EXPECT_INT(h.sig[0].kind, DMS_LOG_PAGE_POOL_STALLED);
	EXPECT_INT(h.sig[0].count, 37);
}

static void dms_logsig_scan_netdev_watchdog(void)
{
	struct hits h;

	scan("[   55.0] NETDEV WATCHDOG: eth1 (igb): transmit queue 3 timed out 5440 ms\n", &h);
	EXPECT_INT(h.n, 1);
	EXPECT_INT(h.sig[0].kind, DMS_LOG_NETDEV_WATCHDOG);
	EXPECT_STR(h.sig[0].netdev, "eth1");
	EXPECT_STR(h.sig[0].driver, "igb");
	EXPECT_INT(h.sig[0].queue, 3);
	EXPECT_INT(h.sig[0].count, 5440);
}

static void dms_logsig_scan_iommu_faults(void)
{
	struct hits h;

	scan("[ 9.0] DMAR: [DMA Write NO_PASID] Request device [3b:00.0] fault addr 0xfffc0000 "
	     "[fault reason 0x05] PTE Write access is not set\n"
	     "[ 9.1] ixgbe 0000:3b:00.0: AMD-Vi: Event logged [IO_PAGE_FAULT domain=0x000a "
	     "address=0x7f0a1000 flags=0x0020]\n",
	     &h);
	EXPECT_INT(h.n, 2);
	EXPECT_INT(h.sig[0].kind, DMS_LOG_IOMMU_FAULT);
	EXPECT_UINT(h.sig[0].address, 0xfffc0000);
	EXPECT_STR(h.sig[0].device, "3b:00.0");
	EXPECT_INT(h.sig[1].kind, DMS_LOG_IOMMU_FAULT);
	EXPECT_UINT(h.sig[1].address, 0x7f0a1000);
	EXPECT_STR(h.sig[1].driver, "ixgbe");
}

static void dms_logsig_scan_gpf_noncanonical(void)
{
	struct hits h;

	scan("[   12.7] general protection fault, probably for non-canonical address "
	     "0xedd04540c239a903: 0000 [#1] PREEMPT SMP NOPTI\n"
	     "[   12.8] Kernel panic - not syncing: Fatal exception\n",
	     &h);
	EXPECT_INT(h.n, 2);
	EXPECT_INT(h.sig[0].kind, DMS_LOG_GPF);
	EXPECT_UINT(h.sig[0].address, 0xedd04540c239a903ULL);
	EXPECT_INT(h.sig[0].klass, DMS_LOGCLASS_CRASH);
	EXPECT_INT(h.sig[1].kind, DMS_LOG_PANIC);
}

static void dms_logsig_scan_gpf_without_address(void)
{
	struct hits h;

	scan("[   24.991814] general protection fault: 0000 [#1] SMP NOPTI\n", &h);
	EXPECT_INT(h.n, 1);
	EXPECT_UINT(h.sig[0].address, 0);
}

static void dms_logsig_scan_page_fault_and_pagetable(void)
{
	struct hits h;

	scan("[ 1.0] BUG: kernel NULL pointer dereference, address: 0000000000000008\n"
	     "[ 2.0] labctl: Corrupted page table at address 7ffd37340748\n"
	     "[ 2.1] Bad pagetable: 000c [#1] PREEMPT SMP NOPTI\n",
	     &h);
	EXPECT_INT(h.n, 3);
	EXPECT_INT(h.sig[0].kind, DMS_LOG_PAGE_FAULT_OOPS);
	EXPECT_UINT(h.sig[0].address, 8);
	EXPECT_INT(h.sig[1].kind, DMS_LOG_BAD_PAGETABLE);
	EXPECT_UINT(h.sig[1].address, 0x7ffd37340748ULL);
	EXPECT_INT(h.sig[2].kind, DMS_LOG_BAD_PAGETABLE);
}

static void dms_logsig_scan_slub_and_list_reports(void)
{
	struct hits h;

	scan("[ 5.0] BUG kmalloc-192 (Tainted: G    B      ): Freepointer corrupt\n"
	     "[ 5.1] list_del corruption. next->prev should be ffff8881, but was 4500\n",
	     &h);
	EXPECT_INT(h.n, 2);
	EXPECT_INT(h.sig[0].kind, DMS_LOG_SLUB_REPORT);
	EXPECT_INT(h.sig[0].klass, DMS_LOGCLASS_CORRUPTION);
	EXPECT_INT(h.sig[1].kind, DMS_LOG_LIST_CORRUPTION);
}

static void dms_logsig_scan_ordinary_lines_ignored(void)
{
	struct hits h;

	scan("[    4.3] e1000: eth0 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: RX\n"
	     "[    4.4] Rx ring sizes: 512\n"
	     "[    4.5] the word timeout alone, and csum failure without hw\n",
	     &h);
	EXPECT_INT(h.n, 0);
}

static void dms_logsig_scan_caller_id_and_offsets(void)
{
	const char *log =
		"[   1.000000][    T1] first line\n"
		"[  24.761472][  T399] i40e 0000:07:00.2: VSI seid 398 Rx ring 3 disable timeout";
	struct hits h;

	scan(log, &h);
	EXPECT_INT(h.n, 1);
	EXPECT_STR(h.sig[0].driver, "i40e");
	EXPECT_INT(h.sig[0].queue, 3);
	EXPECT_INT(h.sig[0].offset, strchr(log, '\n') - log + 1);
	EXPECT_INT(h.sig[0].offset + h.sig[0].len, strlen(log));
}

static void dms_logsig_scan_crlf_lines(void)
{
	struct hits h;

	scan("[ 1.0] NETDEV WATCHDOG: eth2 (e1000e): transmit queue 0 timed out\r\n", &h);
	EXPECT_INT(h.n, 1);
	EXPECT_STR(h.sig[0].netdev, "eth2");
	EXPECT_INT(h.sig[0].count, -1);
}

static void dms_logsig_scan_bounded_by_len(void)
{
	// The needle is past len: it must not be seen, and nothing past len is read.
	const char log[] = "[ 1.0] eth0: hw csum failure";
	struct hits h;

	memset(&h, 0, sizeof(h));
	EXPECT_TRUE(!dms_logsig_scan(log, 12, collect, &h));
	EXPECT_INT(h.n, 0);
}

static void dms_logsig_scan_long_and_binary_lines(void)
{
	size_t n = 5000;
	char *log = malloc(n + 64);

	EXPECT_TRUE(log != NULL);
	memset(log, 'A', n);
	log[100] = '\0'; // binary junk, as in a torn ramoops record
	strcpy(log + n, "\n[ 3.0] eth9: hw csum failure\n");
	struct hits h;
	memset(&h, 0, sizeof(h));
	struct dms_error *err = dms_logsig_scan(log, n + strlen(log + n), collect, &h);
	free(log);
	EXPECT_TRUE(!err);
	EXPECT_INT(h.n, 1);
	EXPECT_STR(h.sig[0].netdev, "eth9");
}

static struct dms_error *stop_at_first(const struct dms_logsig *sig, const char *line, void *arg)
{
	(void)sig;
	(void)line;
	++*(int *)arg;
	return dms_error_create(DMS_ERR_STOP, NULL);
}

static void dms_logsig_scan_callback_error_stops(void)
{
	const char *log = "eth0: hw csum failure\neth1: hw csum failure\n";
	int calls = 0;
	struct dms_error *err = dms_logsig_scan(log, strlen(log), stop_at_first, &calls);

	EXPECT_TRUE(err != NULL);
	EXPECT_INT(err->code, DMS_ERR_STOP);
	dms_error_destroy(err);
	EXPECT_INT(calls, 1);
}

static void dms_logsig_kind_name_every_kind(void)
{
	for (int k = 0; k < DMS_LOG_NUM_KINDS; k++) {
		EXPECT_TRUE(strcmp(dms_logsig_kind_name(k), "unknown") != 0);
		EXPECT_TRUE(dms_logsig_kind_meaning(k)[0] != '\0');
	}
	EXPECT_STR(dms_logsig_kind_name(DMS_LOG_NUM_KINDS), "unknown");
}

static void dms_logsig_scan_arm64_oops_lines(void)
{
	struct hits h;

	// arm64 6.1 (crash's log), a 5.10 pstore record (<N> levels) and an SError.
	scan("[   25.409871] Unable to handle kernel paging request at virtual address "
	     "000c3e8b17f2d966\n"
	     "[   25.410055]   ESR = 0x0000000096000004\n"
	     "[   25.410447] Internal error: Oops: 0000000096000004 [#1] SMP\n"
	     "<1>[  301.220011] Unable to handle kernel NULL pointer dereference at virtual "
	     "address 0000000000000018\n"
	     "<0>[  912.345678] SError Interrupt on CPU2, code 0x00000000bf000002 -- SError\n"
	     "<0>[  912.345702] Kernel panic - not syncing: Asynchronous SError Interrupt\n",
	     &h);
	EXPECT_INT(h.n, 5);
	EXPECT_INT(h.sig[0].kind, DMS_LOG_PAGE_FAULT_OOPS);
	EXPECT_UINT(h.sig[0].address, 0x000c3e8b17f2d966ULL);
	EXPECT_INT(h.sig[1].kind, DMS_LOG_INTERNAL_ERROR);
	EXPECT_STR(h.sig[1].name, "internal-error");
	EXPECT_INT(h.sig[1].klass, DMS_LOGCLASS_CRASH);
	EXPECT_INT(h.sig[2].kind, DMS_LOG_PAGE_FAULT_OOPS);
	EXPECT_UINT(h.sig[2].address, 0x18);
	EXPECT_INT(h.sig[3].kind, DMS_LOG_SERROR);
	EXPECT_INT(h.sig[4].kind, DMS_LOG_PANIC);
}

static void dms_logsig_scan_page_pool_formats(void)
{
	struct hits h;

	// 6.1 .. 6.7, 6.8+, and a kernel that names the netdev.
	scan("[  180.1] page_pool_release_retry() stalled pool shutdown 256 inflight 120 sec\n"
	     "[ 7260.1] page_pool_release_retry() stalled pool shutdown: id 9, 1021 inflight 3600 "
	     "sec\n"
	     "[   60.1] page_pool_release_retry(): eth1 stalled pool shutdown: id 12, 4 inflight "
	     "60 sec (hold netdev: 1)\n",
	     &h);
	EXPECT_INT(h.n, 3);
	EXPECT_INT(h.sig[0].count, 256);
	EXPECT_INT(h.sig[0].seconds, 120);
	EXPECT_STR(h.sig[0].netdev, "");
	EXPECT_INT(h.sig[1].count, 1021);
	EXPECT_INT(h.sig[1].seconds, 3600);
	EXPECT_INT(h.sig[2].count, 4);
	EXPECT_INT(h.sig[2].seconds, 60);
	EXPECT_STR(h.sig[2].netdev, "eth1");
	EXPECT_INT(h.sig[2].klass, DMS_LOGCLASS_NIC);
}

static void dms_logsig_scan_irq_storm_and_stalls(void)
{
	struct hits h;

	scan("[ 1234.500001] irq 69: nobody cared (try booting with the \"irqpoll\" option)\n"
	     "[ 1234.500210] handlers:\n"
	     "[ 1234.500233] Disabling IRQ #69\n"
	     "[  845.100000] rcu: INFO: rcu_sched self-detected stall on CPU\n"
	     "[  845.100001] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:\n"
	     "[  312.000000] NOHZ tick-stop error: local softirq work is pending, handler #08!!!\n"
	     "[  600.100000] watchdog: BUG: soft lockup - CPU#1 stuck for 23s! [ksoftirqd/1:22]\n"
	     "[  601.000000] Watchdog detected hard LOCKUP on cpu 2\n"
	     "[ 1087.100000] INFO: task kworker/u8:2:85 blocked for more than 122 seconds.\n",
	     &h);
	EXPECT_INT(h.n, 8);
	EXPECT_INT(h.sig[0].kind, DMS_LOG_IRQ_STORM);
	EXPECT_INT(h.sig[0].irq, 69);
	EXPECT_INT(h.sig[0].klass, DMS_LOGCLASS_CONTEXT);
	EXPECT_INT(h.sig[1].kind, DMS_LOG_IRQ_STORM);
	EXPECT_INT(h.sig[1].irq, 69);
	EXPECT_INT(h.sig[2].kind, DMS_LOG_RCU_STALL);
	EXPECT_INT(h.sig[3].kind, DMS_LOG_RCU_STALL);
	EXPECT_INT(h.sig[4].kind, DMS_LOG_SOFTIRQ_PENDING);
	EXPECT_INT(h.sig[4].count, 0x08);
	EXPECT_INT(h.sig[5].kind, DMS_LOG_LOCKUP);
	EXPECT_INT(h.sig[5].seconds, 23);
	EXPECT_INT(h.sig[6].kind, DMS_LOG_LOCKUP);
	EXPECT_INT(h.sig[7].kind, DMS_LOG_HUNG_TASK);
	EXPECT_INT(h.sig[7].seconds, 122);
	// Boot messages that share words are not signatures.
	scan("[    0.000000] rcu: Preemptible hierarchical RCU implementation.\n"
	     "[    0.010000] NR_IRQS: 64, nr_irqs: 64, preallocated irqs: 0\n"
	     "[    3.000000] irq 69: enabled\n",
	     &h);
	EXPECT_INT(h.n, 0);
}

static void dms_logsig_scan_arm_smmu_faults(void)
{
	struct hits h;

	// arm-smmu (v2): the IOVA; the SMMU's own name is not the device.
	scan("[   63.2] arm-smmu 15000000.iommu: Unhandled context fault: fsr=0x402, "
	     "iova=0x3fe81000, fsynr=0x230003, cbfrsynra=0x800, cb=2\n",
	     &h);
	EXPECT_INT(h.n, 1);
	EXPECT_INT(h.sig[0].kind, DMS_LOG_IOMMU_FAULT);
	EXPECT_UINT(h.sig[0].address, 0x3fe81000);
	EXPECT_STR(h.sig[0].device, "");
	EXPECT_STR(h.sig[0].driver, "");
	// arm-smmu-v3 before 6.15: the record's words follow; the third is the IOVA.
	static const char raw[] = "[  101.0] arm-smmu-v3 9050000.smmuv3: event 0x10 received:\n"
				  "[  101.0] arm-smmu-v3 9050000.smmuv3: \t0x0000010000000010\n"
				  "[  101.0] arm-smmu-v3 9050000.smmuv3: \t0x0000020800000080\n"
				  "[  101.0] arm-smmu-v3 9050000.smmuv3: \t0x00000000ffffe000\n"
				  "[  101.0] arm-smmu-v3 9050000.smmuv3: \t0x0000000000000000\n";
	scan(raw, &h);
	EXPECT_INT(h.n, 1);
	EXPECT_INT(h.sig[0].kind, DMS_LOG_IOMMU_FAULT);
	EXPECT_UINT(h.sig[0].address, 0xffffe000);
	EXPECT_INT(h.sig[0].offset, 0);
	// Cut after two words: no address, nothing read past the end.
	memset(&h, 0, sizeof(h));
	EXPECT_TRUE(!dms_logsig_scan(raw, (size_t)(strstr(raw, "\t0x00000000ffff") - raw), collect,
				     &h));
	EXPECT_INT(h.n, 1);
	EXPECT_UINT(h.sig[0].address, 0);
	// 6.15+: the decoded line names the device; the raw record is not counted twice.
	char decoded[1024];
	snprintf(
		decoded, sizeof(decoded), "%s%s", raw,
		"[  101.0] arm-smmu-v3 9050000.smmuv3: event: F_TRANSLATION client: 0000:00:02.0 "
		"sid: 0x10 ssid: 0x0 iova: 0xffffe000 ipa: 0x0\n"
		"[  101.0] arm-smmu-v3 9050000.smmuv3: unpriv data write s1 \"Input\" stag: 0x0\n");
	scan(decoded, &h);
	EXPECT_INT(h.n, 1);
	EXPECT_UINT(h.sig[0].address, 0xffffe000);
	EXPECT_STR(h.sig[0].device, "0000:00:02.0");
	EXPECT_INT(h.sig[0].klass, DMS_LOGCLASS_NIC);
}

static void dms_logsig_scan_platform_device_prefix(void)
{
	struct hits h;

	// SoC NICs are platform devices: "<driver> <address>.<name>[ <netdev>]: ...".
	scan("[  88.0] mtk_soc_eth 15100000.ethernet: warm reset failed\n", &h);
	EXPECT_INT(h.n, 1);
	EXPECT_INT(h.sig[0].kind, DMS_LOG_NIC_RESET);
	EXPECT_STR(h.sig[0].driver, "mtk_soc_eth");
	EXPECT_STR(h.sig[0].device, "15100000.ethernet");
	// Not a device: a plain word before the colon.
	scan("[  90.0] something else: warm reset failed\n", &h);
	EXPECT_INT(h.n, 1);
	EXPECT_STR(h.sig[0].device, "");
}

const struct dms_test logsig_tests[] = {
	TEST_ENTRY(dms_logsig_scan_i40e_rx_ring_timeout),
	TEST_ENTRY(dms_logsig_scan_dissable_spelling),
	TEST_ENTRY(dms_logsig_scan_e1000e_unit_hang),
	TEST_ENTRY(dms_logsig_scan_hw_csum_failure_syslog),
	TEST_ENTRY(dms_logsig_scan_page_pool_inflight),
	TEST_ENTRY(dms_logsig_scan_netdev_watchdog),
	TEST_ENTRY(dms_logsig_scan_iommu_faults),
	TEST_ENTRY(dms_logsig_scan_gpf_noncanonical),
	TEST_ENTRY(dms_logsig_scan_gpf_without_address),
	TEST_ENTRY(dms_logsig_scan_page_fault_and_pagetable),
	TEST_ENTRY(dms_logsig_scan_slub_and_list_reports),
	TEST_ENTRY(dms_logsig_scan_ordinary_lines_ignored),
	TEST_ENTRY(dms_logsig_scan_caller_id_and_offsets),
	TEST_ENTRY(dms_logsig_scan_crlf_lines),
	TEST_ENTRY(dms_logsig_scan_bounded_by_len),
	TEST_ENTRY(dms_logsig_scan_long_and_binary_lines),
	TEST_ENTRY(dms_logsig_scan_callback_error_stops),
	TEST_ENTRY(dms_logsig_kind_name_every_kind),
	TEST_ENTRY(dms_logsig_scan_arm64_oops_lines),
	TEST_ENTRY(dms_logsig_scan_page_pool_formats),
	TEST_ENTRY(dms_logsig_scan_irq_storm_and_stalls),
	TEST_ENTRY(dms_logsig_scan_arm_smmu_faults),
	TEST_ENTRY(dms_logsig_scan_platform_device_prefix),
	{ 0 },
};
