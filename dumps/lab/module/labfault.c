// SPDX-License-Identifier: GPL-2.0
/*
 * labfault: fault injection and ground-truth export for the dmasleuth vmcore lab.
 *
 * Lab code only: it runs inside a throw-away QEMU guest of one of the lab kernels
 * (dumps/kernels/) and is never part of dmasleuth itself.  It is built once per
 * kernel (dumps/lab/build/<release>/).
 *
 * Modes (module parameter "mode"):
 *   e1000   when the netdev "ifname" goes down, the in-tree e1000 driver stops the
 *           receiver, resets the MAC and frees every RX buffer.  Afterwards this
 *           module points the device back at a ring holding the old buffer DMA
 *           addresses and keeps the tail moving: the emulation of an RX queue that
 *           did not stop (i40e "Rx ring N disable timeout").  QEMU's device model
 *           then DMA-writes every received frame into the freed pages.
 *   virtio  when "ifname" (virtio_net) goes down, the driver leaves its RX buffers
 *           posted to the device.  This module drops the page references those
 *           buffers hold (the driver side frees them) and keeps re-posting the same
 *           descriptors, so the device keeps writing into the freed pages.
 *   none    no fault: ground truth only (clean scenario).
 *   swuaf   software use-after-free on request (write "uaf" to the ctl file): CPU
 *           writes ASCII and pointers into a freed kmalloc object (overwriting its
 *           hardened freelist pointer), a non-canonical pointer into a live object,
 *           then a natural GPF when that pointer is followed.
 *
 * Ground truth never goes to the kernel log.  It is written straight to a 16550 UART
 * that is not the console, by port I/O, which the host captures as a file: a snapshot
 * every "period_ms", and once more right before a requested crash.  Nothing is
 * printed with printk.  On x86 that UART is COM2 (0x2f8); QEMU's arm64 "virt" board has
 * one UART (the console), so there it is QEMU's PCI 16550 ("-device pci-serial",
 * 1b36:0002), found on the PCI bus, its I/O BAR used as the port.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/pci.h>
#include <linux/io.h>
#include <linux/dma-mapping.h>
#include <linux/kthread.h>
#include <linux/delay.h>
#include <linux/debugfs.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <linux/swab.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <linux/virtio_net.h>
#include <linux/spinlock.h>
#include <linux/kdebug.h>

#include <linux/version.h>
#include <linux/vmalloc.h>
#include <linux/kobject.h>
#include <linux/reciprocal_div.h>

/*
 * ---- the slab layout of each lab kernel (SLUB) -----------------------------
 * Private copies of what mm/slab.h (and, from 6.8, mm/slub.c) keep to themselves.
 * They must follow the kernel exactly: a wrong copy still compiles and reads the
 * wrong field.  check-layout.sh compares every member used here with the kernel's
 * debuginfo at build time (dumps/lab/Makefile) and fails the build on a mismatch.
 *
 * lab_slab is what a slab page is seen as: struct page on 5.10 (no struct slab yet),
 * struct slab from 5.17.  lab_cpu_slab(c) is the CPU's current slab.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 17, 0)
/* 5.10: page->slab_cache, page->freelist; kmem_cache_cpu->page (slub_def.h). */
#include <linux/slub_def.h>
#define lab_slab page
#define lab_cpu_slab(c) ((struct page *)READ_ONCE((c)->page))

#elif LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
/* 6.1: slab_cache at +24, freelist at +32. */
struct slab {
	unsigned long __page_flags;
	union {
		struct list_head slab_list;
		struct rcu_head rcu_head;
		struct {
			struct slab *next;
			int slabs;
		};
	};
	struct kmem_cache *slab_cache;
	void *freelist;
	union {
		unsigned long counters;
		struct {
			unsigned inuse : 16;
			unsigned objects : 15;
			unsigned frozen : 1;
		};
	};
	unsigned int __unused;
	atomic_t __page_refcount;
	unsigned long memcg_data;
};

/* slub_def.h's inline helpers need it. */
static inline void *slab_address(const struct slab *slab)
{
	return page_address((const struct page *)slab);
}

#include <linux/slub_def.h>
#define lab_slab slab
#define lab_cpu_slab(c) ((struct slab *)READ_ONCE((c)->slab))

#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0) && \
	LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)
/*
 * 6.12: slab_cache at +8, freelist at +32; slub_def.h is gone, struct kmem_cache
 * lives in mm/slab.h and struct kmem_cache_cpu in mm/slub.c.  Only the members up
 * to "random" are copied (Debian's config: SLUB_CPU_PARTIAL, SYSFS, NUMA,
 * SLAB_FREELIST_HARDENED); nothing after it is used.
 */
struct slab {
	unsigned long __page_flags;
	struct kmem_cache *slab_cache;
	union {
		struct list_head slab_list;
		struct {
			struct slab *next;
			int slabs;
		};
		struct rcu_head callback_head;
	};
	void *freelist;
	union {
		unsigned long counters;
		struct {
			unsigned inuse : 16;
			unsigned objects : 15;
			unsigned frozen : 1;
		};
	};
	unsigned int __page_type;
	atomic_t __page_refcount;
	unsigned long obj_exts;
};

struct kmem_cache_cpu {
	void **freelist;
	unsigned long tid;
	struct slab *slab;
	struct slab *partial;
};

struct kmem_cache_order_objects {
	unsigned int x;
};

struct kmem_cache {
	struct kmem_cache_cpu __percpu *cpu_slab;
	slab_flags_t flags;
	unsigned long min_partial;
	unsigned int size;
	unsigned int object_size;
	struct reciprocal_value reciprocal_size;
	unsigned int offset;
	unsigned int cpu_partial;
	unsigned int cpu_partial_slabs;
	struct kmem_cache_order_objects oo;
	struct kmem_cache_order_objects min;
	gfp_t allocflags;
	int refcount;
	void (*ctor)(void *object);
	unsigned int inuse;
	unsigned int align;
	unsigned int red_left_pad;
	const char *name;
	struct list_head list;
	struct kobject kobj;
	unsigned long random;
};

#define lab_slab slab
#define lab_cpu_slab(c) ((struct slab *)READ_ONCE((c)->slab))

#else
#error "labfault: no slab layout for this kernel; add one (and to check-layout.sh)"
#endif

static char *mode = "none";
module_param(mode, charp, 0444);
static char *ifname = "eth0";
module_param(ifname, charp, 0444);
static unsigned int period_ms = 300;
module_param(period_ms, uint, 0444);
/* How long the device stays quiet after the driver freed its buffers. */
static unsigned int dma_delay_ms;
module_param(dma_delay_ms, uint, 0444);
/* Zero every free page once at load (unfiltered dumps then compress well). */
static bool scrub;
module_param(scrub, bool, 0444);

/* ---- the truth UART writer ------------------------------------------------- */
#ifdef CONFIG_X86
#define TRUTH_UART_PORT 0x2f8 /* COM2 */
#else
#define TRUTH_UART_PORT 0 /* a PCI 16550: truth_uart_find() */
#endif
#define PCI_DEVICE_ID_REDHAT_SERIAL 0x0002 /* QEMU's pci-serial */
static unsigned long uart_port = TRUTH_UART_PORT;
static struct pci_dev *uart_pdev;
static DEFINE_SPINLOCK(uart_lock);

/* Where there is no COM2: QEMU's PCI 16550, its I/O BAR (0 if there is none). */
static int truth_uart_find(void)
{
	if (uart_port)
		return 0;
	uart_pdev = pci_get_device(PCI_VENDOR_ID_REDHAT, PCI_DEVICE_ID_REDHAT_SERIAL, NULL);
	if (!uart_pdev)
		return -ENODEV;
	if (pci_enable_device(uart_pdev) ||
	    !(pci_resource_flags(uart_pdev, 0) & IORESOURCE_IO)) {
		pci_dev_put(uart_pdev);
		uart_pdev = NULL;
		return -ENODEV;
	}
	uart_port = pci_resource_start(uart_pdev, 0);
	return 0;
}

static void uart_putc(char c)
{
	int spin = 100000;

	while (!(inb(uart_port + 5) & 0x20) && --spin)
		cpu_relax();
	outb(c, uart_port);
}

static void uart_write(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		uart_putc(s[i]);
}

/* A snapshot is built in this buffer, then written in one go under uart_lock. */
#define SNAP_MAX (256 * 1024)
static char *snap, *snap_periodic, *snap_die;
static size_t snap_len;
static unsigned long snap_seq;
static DEFINE_MUTEX(snap_lock);
static char flowstat[4096];

static __printf(1, 2) void emit(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (snap_len >= SNAP_MAX)
		return;
	va_start(ap, fmt);
	n = vscnprintf(snap + snap_len, SNAP_MAX - snap_len, fmt, ap);
	va_end(ap);
	snap_len += n;
}

static bool read_ulong(const void *addr, unsigned long *ret)
{
	return copy_from_kernel_nofault(ret, addr, sizeof(*ret)) == 0;
}

/* Is obj on the (hardened, SLAB_FREELIST_HARDENED) free list starting at head? */
static bool on_freelist(struct kmem_cache *s, void *lo, void *hi, void *head, void *obj)
{
	unsigned int n = 0;
	void *p = head;

	while (p && n++ < 4096) {
		unsigned long raw;
		void *fp;

		if (p == obj)
			return true;
		if (p < lo || p >= hi)
			return false;
		fp = p + s->offset;
		if (!read_ulong(fp, &raw))
			return false;
		p = (void *)(raw ^ s->random ^ swab((unsigned long)fp));
	}
	return false;
}

/* Allocated or free, as SLUB sees it right now (racy, best effort, never faults). */
static const char *obj_state(struct kmem_cache *s, struct lab_slab *slab, void *base,
			     void *obj)
{
	void *hi = base + (PAGE_SIZE << compound_order((struct page *)slab));
	int cpu;

	if (on_freelist(s, base, hi, READ_ONCE(slab->freelist), obj))
		return "free";
	for_each_possible_cpu(cpu) {
		struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);

		if (lab_cpu_slab(c) == slab &&
		    on_freelist(s, base, hi, READ_ONCE(c->freelist), obj))
			return "free";
	}
	return "live";
}

/*
 * Describe the memory at [v, v+len): for every slab object it overlaps, one
 * "obj" line: cache, object kvaddr, object paddr, object size, state, overlap
 * offset in the object, overlap length, and the tag given.
 */
static void describe_range(const char *tag, void *v, size_t len)
{
	struct page *pg = virt_to_head_page(v);
	struct lab_slab *slab;
	struct kmem_cache *s;
	void *base, *end, *obj;
	unsigned int idx, n = 0;

	if (!PageSlab(pg)) {
		const char *kind = "other";

		if (PageBuddy(pg))
			kind = "buddy";
		else if (!page_count(pg))
			kind = "free";
		else if (PageTable(pg))
			kind = "pgtable";
		else if (PageAnon(pg))
			kind = "anon";
		else if (pg->mapping)
			kind = "file";
		emit("page %s %llx %s order=%u flags=%lx count=%d\n", tag,
		     (unsigned long long)virt_to_phys(v), kind, compound_order(pg), pg->flags,
		     page_count(pg));
		return;
	}
	slab = (struct lab_slab *)pg;
	s = READ_ONCE(slab->slab_cache);
	if (!s || !s->size)
		return;
	base = page_address(pg);
	end = v + len;
	idx = (v - base) / s->size;
	for (obj = base + (size_t)idx * s->size; obj < end && n < 64; obj += s->size, n++) {
		void *lo = max(obj, v);
		void *hi = min(obj + s->object_size, end);

		if (obj + s->size > base + (PAGE_SIZE << compound_order(pg)))
			break;
		if (lo >= hi)
			continue;
		emit("obj %s %s %px %llx %u %s +%lx %lx\n", tag, s->name, obj,
		     (unsigned long long)virt_to_phys(obj), s->object_size,
		     obj_state(s, slab, base, obj), (unsigned long)(lo - obj),
		     (unsigned long)(hi - lo));
	}
}

/* ---- the victim netdev and its old RX buffers ------------------------------ */
static struct net_device *victim;
static u8 victim_mac[ETH_ALEN];
#define MAX_BUFS 4096
static u64 buf_addr[MAX_BUFS];
static u32 buf_len[MAX_BUFS];
static unsigned int nbufs;
static unsigned int frame_off; /* where the device puts the frame in a buffer */
#define HDR_CMP 48
static u8 (*armed_hdr)[HDR_CMP]; /* each buffer's first bytes when the fault was armed */
static bool fault_active;
static struct task_struct *pump_task, *snap_task;

/* Length of the Ethernet frame at p (0 if it is not one of ours). */
static unsigned int frame_len_at(const u8 *p, unsigned int room)
{
	unsigned int off = 12, type;

	if (room < 60 || memcmp(p, victim_mac, ETH_ALEN))
		return 0;
	type = (p[off] << 8) | p[off + 1];
	while ((type == ETH_P_8021Q || type == ETH_P_8021AD) && off + 6 < 32) {
		off += 4;
		type = (p[off] << 8) | p[off + 1];
	}
	off += 2;
	if (type == ETH_P_IP && (p[off] >> 4) == 4)
		return min(room, off + ((p[off + 2] << 8) | p[off + 3]));
	if (type == ETH_P_IPV6 && (p[off] >> 4) == 6)
		return min(room, off + 40 + ((p[off + 4] << 8) | p[off + 5]));
	if (type == ETH_P_ARP)
		return min(room, 60u);
	return 0;
}

/*
 * Ground truth: which device-written frames sit where, owned by what.  The buffer
 * list goes out once (in the "fault-armed" record); later records carry only the
 * frames' owners, slab objects first, so that a record cut short by a second CPU's
 * panic still holds the most important lines.
 */
enum { K_SLAB, K_BUDDY, K_FREE, K_PGTABLE, K_ANON, K_FILE, K_OTHER, K_MAX };
static const char *const kind_name[K_MAX] = { "slab", "buddy", "free", "pgtable",
					      "anon", "file", "other" };

static int page_kind(struct page *pg)
{
	if (PageSlab(pg))
		return K_SLAB;
	if (PageBuddy(pg))
		return K_BUDDY;
	if (!page_count(pg))
		return K_FREE;
	if (PageTable(pg))
		return K_PGTABLE;
	if (PageAnon(pg))
		return K_ANON;
	if (pg->mapping)
		return K_FILE;
	return K_OTHER;
}

static void snapshot(const char *why)
{
	unsigned int i, pass, frames = 0, kinds[K_MAX] = { 0 };
	bool armed = !strcmp(why, "fault-armed");
	u8 hdr[64];

	snap_len = 0;
	emit("BEGIN %lu %s jiffies=%lu\n", ++snap_seq, why, jiffies);
	emit("mode %s\n", mode);
	if (victim)
		emit("netdev %s %pM frame_off %u\n", victim->name, victim_mac, frame_off);
	for (i = 0; armed && i < nbufs; i++)
		emit("buf %llx %x\n", buf_addr[i], buf_len[i]);
	// Pass 0: frames in slab objects; pass 1: every other frame, one line each.
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; fault_active && !armed && i < nbufs; i++) {
			void *v = phys_to_virt(buf_addr[i] + frame_off);
			struct page *pg = virt_to_head_page(v);
			unsigned int len;
			int kind;

			if (copy_from_kernel_nofault(hdr, v, sizeof(hdr)))
				continue;
			// Only frames the device wrote after the buffers were freed: a frame
			// the driver received before going down is stale data, not DMA.
			if (armed_hdr && !memcmp(hdr, armed_hdr[i], HDR_CMP))
				continue;
			len = frame_len_at(hdr, buf_len[i] - frame_off);
			if (!len)
				continue;
			kind = page_kind(pg);
			if ((kind == K_SLAB) != (pass == 0))
				continue;
			frames++;
			kinds[kind]++;
			if (kind == K_SLAB) {
				emit("frame %llx %x slab\n", (unsigned long long)virt_to_phys(v), len);
				describe_range("frame", v, len);
			}
			else
				emit("frame %llx %x %s order=%u flags=%lx count=%d\n",
				     (unsigned long long)virt_to_phys(v), len, kind_name[kind],
				     compound_order(pg), pg->flags, page_count(pg));
		}
	}
	emit("frames %u", frames);
	for (i = 0; i < K_MAX; i++)
		emit(" %s=%u", kind_name[i], kinds[i]);
	emit("\n");
	if (flowstat[0])
		emit("sent %s\n", flowstat);
}

static void snapshot_send(const char *why)
{
	unsigned long flags;

	mutex_lock(&snap_lock);
	snap = snap_periodic;
	snapshot(why);
	emit("END %lu\n", snap_seq);
	spin_lock_irqsave(&uart_lock, flags);
	uart_write(snap, snap_len);
	spin_unlock_irqrestore(&uart_lock, flags);
	mutex_unlock(&snap_lock);
}

static int snap_fn(void *unused)
{
	while (!kthread_should_stop()) {
		msleep_interruptible(period_ms);
		if (fault_active)
			snapshot_send("periodic");
	}
	return 0;
}

/* Remember what every freed buffer holds right now (before the device writes again). */
static void record_armed_headers(void)
{
	unsigned int i;

	armed_hdr = kcalloc(nbufs, HDR_CMP, GFP_KERNEL);
	for (i = 0; armed_hdr && i < nbufs; i++)
		if (copy_from_kernel_nofault(armed_hdr[i], phys_to_virt(buf_addr[i] + frame_off),
					     HDR_CMP))
			memset(armed_hdr[i], 0, HDR_CMP);
}

/* ---- e1000: re-arm the receiver on the old buffers ------------------------ */
#define E1000_RCTL 0x00100
#define E1000_RCTL_EN 0x2
#define E1000_RDBAL 0x02800
#define E1000_RDBAH 0x02804
#define E1000_RDLEN 0x02808
#define E1000_RDH 0x02810
#define E1000_RDT 0x02818

struct e1000_rdesc {
	__le64 addr;
	__le16 length;
	__le16 csum;
	u8 status;
	u8 errors;
	__le16 special;
};

static void __iomem *mmio;
static u32 saved_rctl;
static struct e1000_rdesc *ring;
static dma_addr_t ring_dma;
static unsigned int ring_n;

static unsigned int rctl_bsize(u32 rctl)
{
	static const unsigned int plain[] = { 2048, 1024, 512, 256 };
	static const unsigned int ext[] = { 0, 16384, 8192, 4096 };
	unsigned int sz = (rctl >> 16) & 3;

	return (rctl & (1u << 25)) ? ext[sz] : plain[sz];
}

static void e1000_going_down(void)
{
	u64 rdba = readl(mmio + E1000_RDBAL) | ((u64)readl(mmio + E1000_RDBAH) << 32);
	unsigned int n = readl(mmio + E1000_RDLEN) / sizeof(struct e1000_rdesc);
	struct e1000_rdesc *d = phys_to_virt(rdba);
	unsigned int i, bsize;

	saved_rctl = readl(mmio + E1000_RCTL);
	bsize = rctl_bsize(saved_rctl);
	frame_off = 0;
	nbufs = 0;
	for (i = 0; i < n && nbufs < MAX_BUFS; i++) {
		u64 a = le64_to_cpu(d[i].addr);

		if (!a)
			continue;
		buf_addr[nbufs] = a;
		buf_len[nbufs++] = bsize;
	}
}

static int e1000_pump(void *unused)
{
	msleep(dma_delay_ms);
	writel(saved_rctl | E1000_RCTL_EN, mmio + E1000_RCTL);
	while (!kthread_should_stop()) {
		u32 rdh = readl(mmio + E1000_RDH);

		writel((rdh + ring_n - 1) % ring_n, mmio + E1000_RDT);
		usleep_range(1000, 2000);
	}
	return 0;
}

static void e1000_down_done(void)
{
	struct pci_dev *pdev = to_pci_dev(victim->dev.parent);
	unsigned int i;

	ring_n = ALIGN(nbufs, 8);
	if (!ring_n)
		return;
	ring = dma_alloc_coherent(&pdev->dev, ring_n * sizeof(*ring), &ring_dma, GFP_KERNEL);
	if (!ring)
		return;
	for (i = 0; i < ring_n; i++)
		ring[i].addr = cpu_to_le64(buf_addr[i % nbufs]);
	record_armed_headers();
	writel(lower_32_bits(ring_dma), mmio + E1000_RDBAL);
	writel(upper_32_bits(ring_dma), mmio + E1000_RDBAH);
	writel(ring_n * sizeof(*ring), mmio + E1000_RDLEN);
	writel(0, mmio + E1000_RDH);
	writel(ring_n - 1, mmio + E1000_RDT);
	fault_active = true;
	pump_task = kthread_run(e1000_pump, NULL, "labfault/rx");
}

/* ---- virtio_net: free the posted buffers, keep them posted ----------------- */
static struct virtqueue *rxvq;
static struct vring_desc *vdesc;
static struct vring_avail *vavail;
static struct vring_used *vused;
static unsigned int vnum;
static u16 vheads[MAX_BUFS];
static unsigned int nheads;

static void virtio_down_done(void)
{
	struct virtio_device *vdev = dev_to_virtio(victim->dev.parent);
	struct virtqueue *vq;
	u16 ai, ui;
	unsigned int i;

	list_for_each_entry(vq, &vdev->vqs, list) {
		if (vq->index == 0) {
			rxvq = vq;
			break;
		}
	}
	if (!rxvq)
		return;
	vnum = virtqueue_get_vring_size(rxvq);
	vdesc = phys_to_virt(virtqueue_get_desc_addr(rxvq));
	vavail = phys_to_virt(virtqueue_get_avail_addr(rxvq));
	vused = phys_to_virt(virtqueue_get_used_addr(rxvq));
	frame_off = (virtio_has_feature(vdev, VIRTIO_NET_F_MRG_RXBUF) ||
		     virtio_has_feature(vdev, VIRTIO_F_VERSION_1)) ?
			    sizeof(struct virtio_net_hdr_mrg_rxbuf) :
			    sizeof(struct virtio_net_hdr);
	ai = READ_ONCE(vavail->idx);
	ui = READ_ONCE(vused->idx);
	nbufs = 0;
	for (i = ui; (u16)i != ai && nbufs < MAX_BUFS && nbufs < vnum; i++) {
		u16 head = vavail->ring[i % vnum];

		if (head >= vnum)
			continue;
		vheads[nbufs] = head;
		buf_addr[nbufs] = vdesc[head].addr;
		buf_len[nbufs++] = vdesc[head].len;
	}
	nheads = nbufs;
	// The driver side lets go of every posted buffer (one page reference each),
	// while the device still owns them.
	record_armed_headers();
	for (i = 0; i < nbufs; i++)
		put_page(virt_to_head_page(phys_to_virt(buf_addr[i])));
	fault_active = true;
}

static int virtio_pump(void *unused)
{
	u16 shadow = 0;
	unsigned int k = 0;
	bool started = false;

	msleep(dma_delay_ms);
	while (!kthread_should_stop()) {
		usleep_range(1000, 2000);
		if (!fault_active || !nheads)
			continue;
		if (!started) {
			shadow = READ_ONCE(vavail->idx);
			started = true;
		}
		while ((u16)(shadow - READ_ONCE(vused->idx)) < vnum) {
			vavail->ring[shadow % vnum] = vheads[k++ % nheads];
			shadow++;
		}
		virt_wmb();
		WRITE_ONCE(vavail->idx, shadow);
		virtqueue_notify(rxvq);
	}
	return 0;
}

/* ---- netdev notifier -------------------------------------------------------- */
static int lab_netdev_event(struct notifier_block *nb, unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);

	if (dev != victim || fault_active)
		return NOTIFY_DONE;
	if (event == NETDEV_GOING_DOWN && !strcmp(mode, "e1000"))
		e1000_going_down();
	if (event == NETDEV_DOWN && !strcmp(mode, "e1000"))
		e1000_down_done();
	if (event == NETDEV_DOWN && !strcmp(mode, "virtio")) {
		virtio_down_done();
		pump_task = kthread_run(virtio_pump, NULL, "labfault/rx");
	}
	if (fault_active)
		snapshot_send("fault-armed");
	return NOTIFY_DONE;
}

static struct notifier_block lab_nb = { .notifier_call = lab_netdev_event };

/* ---- the oops itself: a last snapshot before panic and kdump ---------------- */
static atomic_t died;

static int lab_die(struct notifier_block *nb, unsigned long val, void *data)
{
	int spin = 1000;

	if (val != DIE_OOPS || !fault_active || atomic_xchg(&died, 1))
		return NOTIFY_DONE;
	// Atomic context: its own buffer, no mutex; wait a little for the UART only.
	snap = snap_die;
	snapshot("oops");
	emit("END %lu\n", snap_seq);
	while (!spin_trylock(&uart_lock) && --spin)
		udelay(100);
	uart_write(snap, snap_len);
	if (spin)
		spin_unlock(&uart_lock);
	return NOTIFY_DONE;
}

static struct notifier_block lab_die_nb = { .notifier_call = lab_die, .priority = INT_MAX };

/* ---- software use-after-free ------------------------------------------------ */
struct lab_ops {
	void (*run)(void *arg);
};

struct lab_holder {
	struct list_head node;
	const struct lab_ops *ops;
	char name[16];
	unsigned long flags;
};

static void *uaf_objs[32];
static struct lab_holder *holder;

static const char uaf_text[] =
	"path=/var/lib/appd/state/journal.db mode=0644 owner=appd retries=3 "
	"timeout=30s backend=sqlite3 cache=shared sync=normal checkpoint=1000 "
	"log=/var/log/appd/journal.log level=info rotate=daily keep=7 compress=yes";

static void software_uaf(void)
{
	void *victim_obj, *ptrs[4];
	unsigned long flags;
	int i;

	for (i = 0; i < ARRAY_SIZE(uaf_objs); i++)
		uaf_objs[i] = kmalloc(192, GFP_KERNEL);
	holder = kzalloc(sizeof(*holder), GFP_KERNEL);
	if (!holder || !uaf_objs[17])
		return;
	INIT_LIST_HEAD(&holder->node);
	strscpy(holder->name, "worker", sizeof(holder->name));

	mutex_lock(&snap_lock);
	snap = snap_periodic;
	local_irq_save(flags);
	victim_obj = uaf_objs[17];
	kfree(victim_obj);
	// The bug: a stale pointer is used after kfree.  192 bytes of configuration
	// text and a few kernel pointers land on the free object, over its freelist
	// pointer.
	memcpy(victim_obj, uaf_text, 160);
	ptrs[0] = uaf_objs[3];
	ptrs[1] = holder;
	ptrs[2] = &holder->node;
	ptrs[3] = uaf_objs[5];
	memcpy(victim_obj + 160, ptrs, sizeof(ptrs));
	// And a second bug: a live object gets a pointer made of text.
	memcpy(&holder->ops, "db.sync=", sizeof(holder->ops));

	snap_len = 0;
	emit("BEGIN %lu uaf jiffies=%lu\n", ++snap_seq, jiffies);
	emit("mode %s\n", mode);
	emit("corrupt freed-object-overwrite +0 %x freeptr_offset=%x\n", 192,
	     ((struct lab_slab *)virt_to_head_page(victim_obj))->slab_cache->offset);
	describe_range("corrupt", victim_obj, 192);
	emit("corrupt bogus-pointer +%lx %zx\n", offsetof(struct lab_holder, ops),
	     sizeof(holder->ops));
	describe_range("corrupt", &holder->ops, sizeof(holder->ops));
	emit("END %lu\n", snap_seq);
	spin_lock(&uart_lock);
	uart_write(snap, snap_len);
	spin_unlock(&uart_lock);
	local_irq_restore(flags);
	mutex_unlock(&snap_lock);

	// Follow the bogus pointer: a general protection fault on a non-canonical
	// address made of ASCII.
	holder->ops->run(holder);
}

/* ---- debugfs control ------------------------------------------------------- */
static struct dentry *dbg_dir;
static DEFINE_MUTEX(ctl_lock);

static ssize_t ctl_write(struct file *f, const char __user *ubuf, size_t len, loff_t *pos)
{
	char buf[256];
	size_t n = min(len, sizeof(buf) - 1);

	if (copy_from_user(buf, ubuf, n))
		return -EFAULT;
	buf[n] = 0;
	mutex_lock(&ctl_lock);
	if (!strncmp(buf, "uaf", 3) && !strcmp(mode, "swuaf")) {
		mutex_unlock(&ctl_lock);
		software_uaf();
		return len;
	}
	if (!strncmp(buf, "sent ", 5)) {
		strim(buf);
		strscpy(flowstat, buf + 5, sizeof(flowstat));
	}
	if (!strncmp(buf, "snap", 4))
		snapshot_send("final");
	mutex_unlock(&ctl_lock);
	return len;
}

static const struct file_operations ctl_fops = {
	.owner = THIS_MODULE,
	.write = ctl_write,
};

/*
 * Allocate zeroed pages until the allocator says no (no retries, no OOM killer), from
 * ZONE_DMA too, then free them all: boot leftovers (the compressed kernel image at
 * 1 MiB, the initrd) no longer fill free memory.  Kernel state is otherwise untouched.
 */
static void scrub_free_memory(void)
{
	static const gfp_t zones[] = { GFP_HIGHUSER_MOVABLE, GFP_KERNEL, GFP_DMA32, GFP_DMA };
	LIST_HEAD(pages);
	struct page *pg, *tmp;
	unsigned int z;

	for (z = 0; z < ARRAY_SIZE(zones); z++) {
		while ((pg = alloc_pages(zones[z] | __GFP_ZERO | __GFP_NORETRY | __GFP_NOWARN |
						 __GFP_NOMEMALLOC, 0)))
			list_add(&pg->lru, &pages);
	}
	list_for_each_entry_safe(pg, tmp, &pages, lru) {
		list_del(&pg->lru);
		__free_pages(pg, 0);
	}
}

static void snap_free(void)
{
	if (snap_periodic)
		free_pages((unsigned long)snap_periodic, get_order(SNAP_MAX));
	if (snap_die)
		free_pages((unsigned long)snap_die, get_order(SNAP_MAX));
}

static int __init labfault_init(void)
{
	if (scrub)
		scrub_free_memory();
	/*
	 * Direct-mapped, not vmalloc: a device writing into freed pages can overwrite a
	 * page table of the vmalloc area (6.12 did), and the die notifier then faulted on
	 * its own buffer.
	 */
	snap_periodic = (char *)__get_free_pages(GFP_KERNEL, get_order(SNAP_MAX));
	snap_die = (char *)__get_free_pages(GFP_KERNEL, get_order(SNAP_MAX));
	if (!snap_periodic || !snap_die) {
		snap_free();
		return -ENOMEM;
	}
	snap = snap_periodic;
	if (truth_uart_find()) {
		snap_free();
		return -ENODEV; /* no channel for the truth: a run without one is worthless */
	}
	if (strcmp(mode, "swuaf")) {
		victim = dev_get_by_name(&init_net, ifname);
		if (!victim) {
			pci_dev_put(uart_pdev);
			snap_free();
			return -ENODEV;
		}
		ether_addr_copy(victim_mac, victim->dev_addr);
	}
	if (!strcmp(mode, "e1000")) {
		struct pci_dev *pdev = to_pci_dev(victim->dev.parent);

		mmio = ioremap(pci_resource_start(pdev, 0), pci_resource_len(pdev, 0));
		if (!mmio) {
			dev_put(victim);
			pci_dev_put(uart_pdev);
			snap_free();
			return -EIO;
		}
	}
	dbg_dir = debugfs_create_dir("labfault", NULL);
	debugfs_create_file("ctl", 0200, dbg_dir, NULL, &ctl_fops);
	register_netdevice_notifier(&lab_nb);
	register_die_notifier(&lab_die_nb);
	snap_task = kthread_run(snap_fn, NULL, "labfault/snap");
	return 0;
}

static void __exit labfault_exit(void)
{
	// A lab guest never unloads this module after a fault: the device would keep
	// writing.  Unloading is supported only before the fault is armed.
	unregister_netdevice_notifier(&lab_nb);
	unregister_die_notifier(&lab_die_nb);
	if (snap_task)
		kthread_stop(snap_task);
	if (pump_task)
		kthread_stop(pump_task);
	debugfs_remove_recursive(dbg_dir);
	if (mmio)
		iounmap(mmio);
	if (victim)
		dev_put(victim);
	pci_dev_put(uart_pdev);
	snap_free();
	kfree(armed_hdr);
}

module_init(labfault_init);
module_exit(labfault_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("dmasleuth lab: NIC DMA-after-free and slab UAF injection");
