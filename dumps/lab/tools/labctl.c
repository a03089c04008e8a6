// labctl: the lab guest's userspace (static binary in the initramfs).
//
//   labctl flood IFACE DSTMAC FLOWFILE SEED   send the flows' frames on IFACE (AF_PACKET),
//                                             reporting counts to labfault's ctl file
//   labctl churn SECONDS                      fork/mmap/mprotect/open churn: vm_area_struct,
//                                             anon_vma, filp, kmalloc-* allocations and frees
//   labctl sink ADDR PORT...                  bind UDP sockets and never read them
//   labctl rxring IFACE N                     set the RX ring size (ethtool -G)
//   labctl scrub                              fault in and free most free memory (zeroes it)
//   labctl ifname MAC                         print the netdev name with that MAC
//
// Flow file: one flow per line, '#' comments:
//   proto(udp|tcp) ipver(4|6) src dst sport dport vlan(0=none) weight minlen maxlen
// Frames are deterministic for a given seed: same flows, same order, same bytes.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>

#define MAXFLOWS 32
#define CTL "/sys/kernel/debug/labfault/ctl"

struct flow {
	int tcp, v6;
	uint8_t src[16], dst[16];
	uint16_t sport, dport, vlan;
	unsigned weight, minlen, maxlen;
	uint32_t seq;
	unsigned long sent;
};

static uint64_t rng_state;

static uint32_t rnd(void)
{
	// xorshift64*: deterministic, seeded from the command line.
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (; n > 1; p += 2, n -= 2)
		s += (p[0] << 8) | p[1];
	if (n)
		s += p[0] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static int parse_mac(const char *s, uint8_t *mac)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3],
		      &mac[4], &mac[5]) == 6 ? 0 : -1;
}

static int load_flows(const char *path, struct flow *f)
{
	FILE *fp = fopen(path, "r");
	char line[512];
	int n = 0;

	if (!fp) {
		perror(path);
		exit(1);
	}
	while (fgets(line, sizeof(line), fp) && n < MAXFLOWS) {
		char proto[8], src[64], dst[64];
		unsigned ipver, sport, dport, vlan;
		struct flow *x = &f[n];

		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%7s %u %63s %63s %u %u %u %u %u %u", proto, &ipver, src, dst, &sport,
			   &dport, &vlan, &x->weight, &x->minlen, &x->maxlen) != 10)
			continue;
		x->tcp = !strcmp(proto, "tcp");
		x->v6 = ipver == 6;
		if (inet_pton(x->v6 ? AF_INET6 : AF_INET, src, x->src) != 1 ||
		    inet_pton(x->v6 ? AF_INET6 : AF_INET, dst, x->dst) != 1)
			continue;
		x->sport = sport;
		x->dport = dport;
		x->vlan = vlan;
		x->seq = 1000000u * (n + 1);
		n++;
	}
	fclose(fp);
	return n;
}

// Build one frame of flow f into buf; returns its length.
static size_t build(struct flow *f, const uint8_t *dmac, const uint8_t *smac, uint8_t *buf)
{
	size_t l2 = 14, iph = f->v6 ? 40 : 20, l4h = f->tcp ? 20 : 8;
	size_t hdrs, len, plen, off;
	uint8_t *ip, *l4;
	uint32_t s;

	len = f->minlen + rnd() % (f->maxlen - f->minlen + 1);
	memcpy(buf, dmac, 6);
	memcpy(buf + 6, smac, 6);
	if (f->vlan) {
		put16(buf + 12, 0x8100);
		put16(buf + 14, f->vlan & 0xfff);
		l2 = 18;
	}
	put16(buf + l2 - 2, f->v6 ? 0x86dd : 0x0800);
	hdrs = l2 + iph + l4h;
	if (len < hdrs)
		len = hdrs;
	ip = buf + l2;
	l4 = ip + iph;
	plen = len - hdrs;
	// Payload: a per-packet 16-byte pattern repeated (real payloads compress too; the
	// stored dumps must stay small).
	{
		uint8_t pat[16];
		for (off = 0; off < sizeof(pat); off++)
			pat[off] = (uint8_t)rnd();
		for (off = 0; off < plen; off++)
			l4[l4h + off] = pat[off % sizeof(pat)];
	}
	if (f->v6) {
		memset(ip, 0, 40);
		ip[0] = 0x60;
		put16(ip + 4, l4h + plen);
		ip[6] = f->tcp ? 6 : 17;
		ip[7] = 64;
		memcpy(ip + 8, f->src, 16);
		memcpy(ip + 24, f->dst, 16);
	} else {
		memset(ip, 0, 20);
		ip[0] = 0x45;
		put16(ip + 2, iph + l4h + plen);
		put16(ip + 4, (uint16_t)rnd());
		put16(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = f->tcp ? 6 : 17;
		memcpy(ip + 12, f->src, 4);
		memcpy(ip + 16, f->dst, 4);
		put16(ip + 10, fold(sum16(ip, 20, 0)));
	}
	memset(l4, 0, l4h);
	put16(l4, f->sport);
	put16(l4 + 2, f->dport);
	if (f->tcp) {
		put32(l4 + 4, f->seq);
		put32(l4 + 8, 0x10000000u + f->seq / 3);
		l4[12] = 5 << 4;
		l4[13] = 0x18; // PSH|ACK
		put16(l4 + 14, 64240);
		f->seq += plen;
	} else {
		put16(l4 + 4, l4h + plen);
	}
	// Pseudo-header checksum (RFC 768, RFC 793, RFC 8200 section 8.1).
	s = f->v6 ? sum16(ip + 8, 32, 0) : sum16(ip + 12, 8, 0);
	s += f->tcp ? 6 : 17;
	s += l4h + plen;
	s = sum16(l4, l4h + plen, s);
	put16(l4 + (f->tcp ? 16 : 6), fold(s) ? fold(s) : (f->tcp ? 0 : 0xffff));
	return len;
}

static void report(struct flow *f, int n)
{
	char buf[1024];
	int fd, i, k = snprintf(buf, sizeof(buf), "sent");

	for (i = 0; i < n; i++)
		k += snprintf(buf + k, sizeof(buf) - k, " %d:%lu", i, f[i].sent);
	buf[k++] = '\n';
	fd = open(CTL, O_WRONLY);
	if (fd >= 0) {
		if (write(fd, buf, k) < 0)
			(void)0;
		close(fd);
	}
}

static int flood(int argc, char **argv)
{
	struct flow f[MAXFLOWS];
	uint8_t dmac[6], smac[6], frame[1600];
	struct sockaddr_ll sll = { 0 };
	unsigned total = 0, i;
	int n, s;
	char path[128];
	FILE *fp;

	if (argc < 6 || parse_mac(argv[3], dmac))
		return 2;
	n = load_flows(argv[4], f);
	rng_state = strtoull(argv[5], NULL, 0) | 1;
	snprintf(path, sizeof(path), "/sys/class/net/%s/address", argv[2]);
	fp = fopen(path, "r");
	if (!fp || fscanf(fp, "%17s", path) != 1 || parse_mac(path, smac))
		return 1;
	fclose(fp);
	for (i = 0; i < (unsigned)n; i++)
		total += f[i].weight;
	s = socket(AF_PACKET, SOCK_RAW, 0);
	if (s < 0 || !total)
		return 1;
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = if_nametoindex(argv[2]);
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, dmac, 6);
	for (unsigned long k = 0;; k++) {
		// Weighted round robin, deterministic.
		unsigned pick = rnd() % total, acc = 0;
		struct flow *x = f;

		for (i = 0; i < (unsigned)n; i++) {
			acc += f[i].weight;
			if (pick < acc) {
				x = &f[i];
				break;
			}
		}
		size_t len = build(x, dmac, smac, frame);
		if (sendto(s, frame, len, 0, (struct sockaddr *)&sll, sizeof(sll)) == (ssize_t)len)
			x->sent++;
		if (k % 256 == 0)
			report(f, n);
		if (k % 64 == 0)
			usleep(200);
	}
}

static void churn_child(unsigned seed)
{
	// Many small mappings that cannot merge: each gets its own vm_area_struct.
	void *maps[256];
	int fds[32], nf = 0;
	unsigned i;

	for (i = 0; i < 256; i++) {
		maps[i] = mmap(NULL, 4096 * (1 + (seed + i) % 3), PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (maps[i] != MAP_FAILED) {
			((volatile char *)maps[i])[0] = (char)i;
			if (i & 1)
				mprotect(maps[i], 4096, PROT_READ);
		}
	}
	for (i = 0; i < 32; i++) {
		int fd = open(i & 1 ? "/proc/self/status" : "/init", O_RDONLY);
		if (fd >= 0)
			fds[nf++] = fd;
	}
	if (fork() == 0)
		_exit(0); // dup_mmap copies every VMA
	wait(NULL);
	usleep(1000 * (seed % 7));
	for (i = 0; i < (unsigned)nf; i++)
		close(fds[i]);
	for (i = 0; i < 256; i += 2)
		if (maps[i] != MAP_FAILED)
			munmap(maps[i], 4096);
	_exit(0);
}

static int churn(int argc, char **argv)
{
	time_t end = time(NULL) + (argc > 2 ? atoi(argv[2]) : 30);
	unsigned seed = 1;
	int live = 0;

	while (time(NULL) < end) {
		pid_t p = fork();

		if (p == 0)
			churn_child(seed);
		if (p > 0)
			live++;
		seed++;
		// Keep a few children alive at a time: their VMAs stay allocated.
		while (live >= 8 && wait(NULL) > 0)
			live--;
	}
	while (wait(NULL) > 0)
		;
	return 0;
}

static int sink(int argc, char **argv)
{
	int i, big = 4 << 20;

	for (i = 3; i < argc; i++) {
		struct sockaddr_storage ss = { 0 };
		int v6 = strchr(argv[2], ':') != NULL;
		int s = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
		socklen_t sl;

		if (v6) {
			struct sockaddr_in6 *a = (void *)&ss;
			a->sin6_family = AF_INET6;
			a->sin6_port = htons(atoi(argv[i]));
			inet_pton(AF_INET6, argv[2], &a->sin6_addr);
			sl = sizeof(*a);
		} else {
			struct sockaddr_in *a = (void *)&ss;
			a->sin_family = AF_INET;
			a->sin_port = htons(atoi(argv[i]));
			inet_pton(AF_INET, argv[2], &a->sin_addr);
			sl = sizeof(*a);
		}
		setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
		if (bind(s, (struct sockaddr *)&ss, sl))
			perror("bind");
	}
	for (;;)
		pause();
	return 0;
}

static int rxring(int argc, char **argv)
{
	struct ethtool_ringparam rp = { .cmd = ETHTOOL_GRINGPARAM };
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	if (argc < 4 || s < 0)
		return 2;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[2]);
	ifr.ifr_data = (void *)&rp;
	if (ioctl(s, SIOCETHTOOL, &ifr))
		return perror("ETHTOOL_GRINGPARAM"), 1;
	rp.cmd = ETHTOOL_SRINGPARAM;
	rp.rx_pending = atoi(argv[3]);
	if (rp.rx_pending > rp.rx_max_pending)
		rp.rx_pending = rp.rx_max_pending;
	if (ioctl(s, SIOCETHTOOL, &ifr))
		return perror("ETHTOOL_SRINGPARAM"), 1;
	return 0;
}

// Fault in (the kernel zero-fills) most free memory once, then give it back: leftovers of
// the boot (the compressed kernel, the initrd image) no longer fill the free pages, so an
// unfiltered dump of the guest compresses well.  Kernel state is left as it was.
static int scrub(void)
{
	FILE *fp = fopen("/proc/meminfo", "r");
	char line[128];
	long free_kb = 0;

	while (fp && fgets(line, sizeof(line), fp))
		if (sscanf(line, "MemFree: %ld kB", &free_kb) == 1)
			break;
	if (fp)
		fclose(fp);
	long bytes = (free_kb - 24 * 1024) * 1024L;
	if (bytes <= 0)
		return 0;
	char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	for (long off = 0; off < bytes; off += 4096)
		p[off] = 0;
	return 0;
}

static int ifname(int argc, char **argv)
{
	DIR *d = opendir("/sys/class/net");
	struct dirent *e;

	if (argc < 3 || !d)
		return 1;
	while ((e = readdir(d))) {
		char path[300], mac[32];
		FILE *fp;

		snprintf(path, sizeof(path), "/sys/class/net/%s/address", e->d_name);
		fp = fopen(path, "r");
		if (!fp)
			continue;
		if (fscanf(fp, "%31s", mac) == 1 && !strcasecmp(mac, argv[2])) {
			printf("%s\n", e->d_name);
			return 0;
		}
		fclose(fp);
	}
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(argv[1], "flood"))
		return flood(argc, argv);
	if (!strcmp(argv[1], "churn"))
		return churn(argc, argv);
	if (!strcmp(argv[1], "sink"))
		return sink(argc, argv);
	if (!strcmp(argv[1], "scrub"))
		return scrub();
	if (!strcmp(argv[1], "rxring"))
		return rxring(argc, argv);
	if (!strcmp(argv[1], "ifname"))
		return ifname(argc, argv);
	return 2;
}
