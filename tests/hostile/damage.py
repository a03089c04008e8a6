#!/usr/bin/env python3
"""damage.py: damaged copies of the lab's dumps, for tests/hostile/run.

A damage kind rewrites chosen physical pages of an undamaged dump (kdump-compressed,
flattened or ELF; dumps/lab/dumpfile.py reads the page, replaces bytes, writes it back
compressed, fixes the page descriptor, appends when it does not fit) or changes what the
session finds next to the dump (the NIC's debug .ko).  The pages are chosen from what
crash says about the undamaged dump (survey.py): slab pages of a cache and their free
objects, the struct page array behind them, a kmem_cache, a net_device and its
netdev_priv ring pointers, the printk buffer, free page blocks, dmaf's panic source.

Each kind returns what it did (`info`): addresses to look up with `slabcheck ADDR`, the
values written, where; tests/hostile/run checks that the commands report the damage there.

  damage.py --list                       the kinds, one line each
  damage.py DUMP KIND[,KIND...] OUT      write a damaged copy of dumps/DUMP/vmcore to OUT
"""
import json
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, 'dumps', 'lab'))
sys.path.insert(0, HERE)
import dumpfile  # noqa: E402

PAGE = 4096
# Values no kernel pointer has: non-canonical with 4- and 5-level paging, NULL-ish, list
# poison, the all-ones word, an address past the end of any lab guest's memory.
NONCANON = 0x5a5a5a5a5a5a5a5a
NULLISH = (0x0, 0x8, 0x10, 0xfff, 0xfffffffffffffff0)
POISON = 0xdead000000000100
ALLONES = 0xffffffffffffffff
KINDS = {}


def kind(name, base, doc, env_only=False):
    """Register a damage kind; env_only: it changes the session's environment, not the
    dump (the variant is the undamaged file)."""
    def reg(fn):
        KINDS[name] = {'name': name, 'base': base, 'doc': doc, 'fn': fn, 'env_only': env_only}
        return fn
    return reg


class Ctx:
    """A dump being damaged plus its survey: virtual-to-physical translation and typed
    reads and writes."""

    def __init__(self, dump, sv, seed):
        self.d = dump
        self.sv = sv
        self.rng = random.Random(seed)
        self.po = sv['page_offset']
        self.vtop = {int(k, 16): v for k, v in sv['vtop'].items()}
        self.off = sv['off']

    def pa(self, v):
        """Physical address of kernel virtual address v: the direct map by arithmetic,
        other addresses (kernel image, vmemmap) from crash's vtop of their page (the
        kernel image and vmemmap's 2 MiB mappings are physically contiguous: an offset
        from a translated address within 2 MiB holds)."""
        if self.po <= v < self.po + (1 << 46):
            return v - self.po
        best = None
        for base, p in self.vtop.items():
            if base <= v < base + (2 << 20) and (best is None or base > best[0]):
                best = (base, p)
        if best is None:
            raise KeyError('no translation of %#x in the survey' % v)
        return best[1] + v - best[0]

    def read(self, v, n):
        return self.d.read_phys(self.pa(v), n)

    def u64(self, v):
        return struct.unpack('<Q', self.read(v, 8))[0]

    def u32(self, v):
        return struct.unpack('<I', self.read(v, 4))[0]

    def write(self, v, data):
        self.d.write_phys(self.pa(v), data)

    def w64(self, v, x):
        self.write(v, struct.pack('<Q', x & ALLONES))

    def w32(self, v, x):
        self.write(v, struct.pack('<I', x & 0xffffffff))

    def page_of(self, v):
        return self.pa(v) & ~(PAGE - 1)

    def cache(self, name):
        return self.sv['caches'][name]

    def slabs(self, cache):
        return self.sv['slabs'][cache]

    def struct_page(self, v):
        """struct page address of direct-map address v."""
        return self.sv['vmemmap'] + ((v - self.po) >> 12) * self.sv['sizeof']['page']


def bswap64(x):
    return struct.unpack('>Q', struct.pack('<Q', x))[0]


def fp_encode(ctx, cache, ptr, slot):
    """A free pointer as SLUB stores it (CONFIG_SLAB_FREELIST_HARDENED since 5.7:
    ptr ^ s->random ^ swab(slot)); plain without s->random."""
    ro = ctx.off.get('kmem_cache.random')
    if ro is None:
        return ptr
    rnd = ctx.u64(ctx.cache(cache) + ro)
    return ptr ^ rnd ^ bswap64(slot)


def partial_slabs(ctx, cache, nfree=2):
    """Slabs of cache on a partial list (not a CPU's active slab) with >= nfree free objects."""
    return [s for s in ctx.slabs(cache) if not s['cpu'] and len(s['free']) >= nfree]


# ---- the kinds -------------------------------------------------------------------

@kind('freelist-cycle', 'clean-traffic',
      'a free object whose free pointer points to itself (filp), and two that point to '
      'each other in another slab')
def k_freelist_cycle(ctx):
    c = 'filp'
    off = ctx.u32(ctx.cache(c) + ctx.off['kmem_cache.offset'])
    s1, s2 = partial_slabs(ctx, c)[:2]
    a = s1['free'][0]
    ctx.w64(a + off, fp_encode(ctx, c, a, a + off))
    b1, b2 = s2['free'][:2]
    ctx.w64(b1 + off, fp_encode(ctx, c, b2, b1 + off))
    ctx.w64(b2 + off, fp_encode(ctx, c, b1, b2 + off))
    return {'addrs': [a, b1], 'slabs': [s1['slab'], s2['slab']], 'cache': c,
            'objects': [a, b1, b2], 'expect_code': 'FREELIST_CYCLE'}


def fill_slab(ctx, cache, data_fn, which=0):
    s = partial_slabs(ctx, cache)[which]
    ctx.write(s['mem'], data_fn(PAGE))
    return s


@kind('slab-random', 'clean-traffic', 'a partial dentry slab page of random bytes')
def k_slab_random(ctx):
    s = fill_slab(ctx, 'dentry', lambda n: bytes(ctx.rng.getrandbits(8) for _ in range(n)))
    return {'addrs': [s['objs'][1]], 'slabs': [s['slab']], 'cache': 'dentry',
            'range': [s['mem'], s['mem'] + PAGE]}


@kind('slab-ff', 'clean-traffic',
      'a full vm_area_struct slab (every object allocated) whose first page is 0xff bytes')
def k_slab_ff(ctx):
    full = [x for x in ctx.sv['slab_pages']['vm_area_struct'] if x['free'] == 0]
    s = full[len(full) // 2]
    ctx.write(s['base'], b'\xff' * PAGE)
    return {'addrs': [s['base']], 'slabs': [s['page']], 'cache': 'vm_area_struct',
            'range': [s['base'], s['base'] + PAGE], 'value': ALLONES}


@kind('page-array-random', 'clean-traffic',
      'the struct page array page behind a dentry slab: random bytes (flags, '
      'compound_head, slab_cache, freelist, counters all garbage)')
def k_page_array_random(ctx):
    s = partial_slabs(ctx, 'dentry')[1]
    pg = s['slab'] & ~(PAGE - 1)
    data = bytearray(ctx.rng.getrandbits(8) for _ in range(PAGE))
    # The target's compound_head: a "tail" whose head is not a struct page at all.
    ch = s['slab'] - pg + ctx.off['page.compound_head']
    data[ch:ch + 8] = struct.pack('<Q', NONCANON | 1)
    ctx.write(pg, bytes(data))
    return {'addrs': [s['objs'][0]], 'slabs': [s['slab']], 'cache': 'dentry',
            'range': [pg, pg + PAGE], 'struct_page': s['slab']}


@kind('page-array-fields', 'clean-traffic',
      'every slab struct page in the struct page array page behind a filp slab keeps '
      'its flags but gets a garbage slab_cache, freelist and counters')
def k_page_array_fields(ctx):
    s = partial_slabs(ctx, 'filp')[0]
    pg = s['slab'] & ~(PAGE - 1)
    psz = ctx.sv['sizeof']['page']
    o = ctx.off
    done = []
    cur = ctx.read(pg, PAGE)
    data = bytearray(cur)
    # Struct pages of slabs crash listed in this array page (other slab heads too).
    heads = set(x['slab'] for c in ctx.sv['slabs'].values() for x in c)
    for i in range(PAGE // psz):
        sp = pg + i * psz
        if sp not in heads:
            continue
        b = i * psz
        vals = [(o['slab.slab_cache'], NONCANON ^ (i << 4)),
                (o['slab.freelist'], POISON + 8 * i),
                (o['slab.counters'], 0xffffffff)]
        for fo, v in vals:
            data[b + fo:b + fo + 8] = struct.pack('<Q', v)
        done.append(sp)
    ctx.write(pg, bytes(data))
    return {'addrs': [s['objs'][0]], 'slabs': done, 'cache': 'filp',
            'range': [pg, pg + PAGE], 'struct_page': s['slab']}


def self_loop(ctx, cache):
    lst = ctx.cache(cache) + ctx.off['kmem_cache.list']
    ctx.w64(lst, lst)
    ctx.w64(lst + 8, lst)
    return lst


@kind('kmem-cache-loop', 'clean-traffic',
      "dentry's kmem_cache: list.next and list.prev point to itself (the slab_caches "
      'walk ends there; every cache after it is only found through its slab pages)')
def k_kmem_cache_loop(ctx):
    lst = self_loop(ctx, 'dentry')
    return {'addrs': [ctx.cache('dentry')], 'cache': 'dentry', 'list': lst,
            'kmem_cache': ctx.cache('dentry')}


@kind('kmem-cache-absurd', 'clean-traffic',
      "vm_area_struct's kmem_cache: self-referencing list head and absurd size, "
      'object_size, offset, inuse and oo')
def k_kmem_cache_absurd(ctx):
    c = 'vm_area_struct'
    a = ctx.cache(c)
    lst = self_loop(ctx, c)
    o = ctx.off
    ctx.w32(a + o['kmem_cache.size'], 0xffffffff)
    ctx.w32(a + o['kmem_cache.object_size'], 0x7fffffff)
    ctx.w32(a + o['kmem_cache.offset'], 0xfffffff0)
    ctx.w32(a + o['kmem_cache.inuse'], 0x80000000)
    ctx.w32(a + o['kmem_cache.oo'], 0xffffffff)
    s = ctx.slabs(c)[0]
    return {'addrs': [s['objs'][0], a], 'cache': c, 'list': lst, 'kmem_cache': a,
            'slabs': [x['slab'] for x in ctx.slabs(c)]}


def netdev(ctx, name):
    for a, n in ctx.sv['netdevs']:
        if n == name:
            return a
    raise KeyError(name)


@kind('netdev-loop', 'clean-traffic',
      "the net_device list loops (the last device's next is the first device, not the "
      "list head) and eth0's name has no terminating NUL")
def k_netdev_loop(ctx):
    dl = ctx.off['net_device.dev_list']
    first, last = ctx.sv['netdevs'][0][0], ctx.sv['netdevs'][-1][0]
    e0 = netdev(ctx, 'eth0')
    ctx.w64(last + dl, first + dl)
    ctx.w64(first + dl + 8, last + dl)
    name = b'eth0-unterminate'  # IFNAMSIZ bytes, no NUL
    ctx.write(e0 + ctx.off['net_device.name'], name)
    return {'netdevs': [n for _a, n in ctx.sv['netdevs']], 'name': name.decode(),
            'loop_at': last + dl}


def ring_of(ctx, netdev_name):
    for r in ctx.sv['rings']:
        if r.get('type') == 'ring' and r.get('netdev') == netdev_name:
            return r
    raise KeyError(netdev_name)


def priv_of(ctx, dev):
    return dev + ((ctx.sv['sizeof']['net_device'] + 31) & ~31)


@kind('ring-pointers', 'clean-traffic',
      "eth0 (e1000): the RX ring's buffer_info pointer non-canonical and its "
      "descriptor pointer past the end of memory; eth1 (e1000e): the adapter's rx_ring "
      'pointer NULL-ish')
def k_ring_pointers(ctx):
    no = ctx.sv['nic_off']
    r0 = int(ring_of(ctx, 'eth0')['addr'], 16)
    ctx.w64(r0 + no['e1000_rx_ring.buffer_info'], NONCANON)
    past = ctx.po + (64 << 30)
    ctx.w64(r0 + no['e1000_rx_ring.desc'], past)
    # e1000e's struct e1000_adapter is not e1000's: its rx_ring pointer is the word of
    # netdev_priv that holds the ring's address (rxring -j of the undamaged dump).
    p1 = priv_of(ctx, netdev(ctx, 'eth1'))
    r1 = int(ring_of(ctx, 'eth1')['addr'], 16)
    pb = ctx.read(p1, PAGE)
    at = next(i for i in range(0, PAGE - 8, 8) if struct.unpack_from('<Q', pb, i)[0] == r1)
    ctx.w64(p1 + at, 0x10)
    return {'values': {'eth0': [NONCANON, past], 'eth1': [0x10]}}


@kind('ring-sizes', 'clean-traffic',
      "eth0 (e1000): num_rx_queues 0xff27ddaf (negative); eth1 (e1000e): the RX ring's "
      'count 0xffffffff')
def k_ring_sizes(ctx):
    no = ctx.sv['nic_off']
    p0 = priv_of(ctx, netdev(ctx, 'eth0'))
    ctx.w32(p0 + no['e1000_adapter.num_rx_queues'], 0xff27ddaf)
    r1 = int(ring_of(ctx, 'eth1')['addr'], 16)
    ctx.w32(r1 + no['e1000_ring.count'], 0xffffffff)
    return {'values': {'eth0': 0xff27ddaf, 'eth1': 0xffffffff}}


def spray_words(ctx, n):
    pool = [NONCANON, POISON, ALLONES, 0x0000800000000000] + list(NULLISH)
    return b''.join(struct.pack('<Q', pool[(i + ctx.rng.randrange(3)) % len(pool)])
                    for i in range(n))


@kind('pointer-spray', 'clean-traffic',
      "non-canonical and NULL-ish values in every word of the pages walks visit: eth0's "
      'netdev_priv page and RX ring struct page, the page of kmem_cache structs holding '
      "dentry's, and the struct page array page of a filp slab")
def k_pointer_spray(ctx):
    pages = []
    e0 = netdev(ctx, 'eth0')
    for v in (priv_of(ctx, e0), int(ring_of(ctx, 'eth0')['addr'], 16), ctx.cache('dentry'),
              partial_slabs(ctx, 'filp')[1]['slab']):
        p = v & ~(PAGE - 1)
        if p not in pages:
            pages.append(p)
    for p in pages:
        ctx.write(p, spray_words(ctx, PAGE // 8))
    s = partial_slabs(ctx, 'filp')[1]
    return {'addrs': [s['objs'][0], ctx.cache('dentry')], 'pages': pages,
            'slabs': [s['slab']], 'netdev': e0}


# ---- packets

def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4(src, dst, proto, payload, ihl=5, total=None, opts=b''):
    hl = ihl * 4
    opts = (opts + b'\1' * hl)[:hl - 20]
    tl = total if total is not None else hl + len(payload)
    h = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, 0, tl & 0xffff, 0x1234, 0x4000, 64, proto, 0,
                    bytes(src), bytes(dst)) + opts
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + payload


def udp4(src, dst, sport, dport, data=b'', length=None):
    ln = length if length is not None else 8 + len(data)
    pseudo = bytes(src) + bytes(dst) + struct.pack('!BBH', 0, 17, ln & 0xffff)
    u = struct.pack('!HHHH', sport, dport, ln & 0xffff, 0) + data
    c = csum(pseudo + u) or 0xffff
    return u[:6] + struct.pack('!H', c) + u[8:]


ETH = bytes.fromhex('02000000aa01' '02000000bb02')  # locally administered test MACs
SRC, DST = (198, 18, 0, 1), (198, 18, 0, 2)  # RFC 2544 benchmarking range


def frame42(i):
    """A valid 42-byte Ethernet/IPv4/UDP frame (no payload), ports varying with i."""
    u = udp4(SRC, DST, 1024 + (i & 0x3fff), 9)
    return ETH + b'\x08\x00' + ipv4(SRC, DST, 17, u)


def absurd_headers(ctx, n):
    """n bytes of Ethernet frames whose IP headers are valid-looking and absurd."""
    out = bytearray()
    i = 0
    while len(out) < n:
        k = i % 6
        if k == 0:  # IPv4 total length 0xffff in a 60-byte frame
            p = ipv4(SRC, DST, 17, udp4(SRC, DST, 7, 7, b'x' * 4), total=0xffff)
        elif k == 1:  # IHL 15 with options of garbage, UDP length 0xffff
            p = ipv4(SRC, DST, 17, udp4(SRC, DST, 7, 7, length=0xffff), ihl=15, opts=b'\x44\xff')
        elif k == 2:  # IHL 5, total length below the header
            p = ipv4(SRC, DST, 6, b'\x50' * 20, total=8)
        elif k == 3:  # TCP with data offset 15 and 4 bytes of header
            p = ipv4(SRC, DST, 6, struct.pack('!HHIIBBHHH', 80, 81, 1, 2, 0xf0, 0x18, 0, 0, 0)[:16])
        elif k == 4:  # IPv6: payload length 0xffff, hop-by-hop -> dest opts -> routing -> ...
            ext = b''
            nh_chain = [60, 43, 44, 0, 60, 51, 60, 60, 17]
            for j, nh in enumerate(nh_chain[:-1]):
                ext += struct.pack('!BB', nh_chain[j + 1] if j + 1 < len(nh_chain) else 59,
                                   0xff if j % 3 == 2 else 0) + b'\0' * 6
            p = struct.pack('!IHBB', 0x60000000, 0xffff, 0, 64) + \
                bytes.fromhex('20010db8' + '00' * 11 + '01') + \
                bytes.fromhex('20010db8' + '00' * 11 + '02') + ext
            out += ETH + b'\x86\xdd' + p
            i += 1
            continue
        else:  # an IPv6 ext-header chain that loops: next header 0 forever
            ext = b'\x00\x00' + b'\0' * 6
            p = struct.pack('!IHBB', 0x60000000, len(ext) * 40, 0, 64) + \
                bytes.fromhex('20010db8' + '00' * 11 + '01') + \
                bytes.fromhex('20010db8' + '00' * 11 + '02') + ext * 40
            out += ETH + b'\x86\xdd' + p
            i += 1
            continue
        out += ETH + b'\x08\x00' + p
        i += 1
    return bytes(out[:n])


@kind('absurd-headers', 'clean-traffic',
      'pages full of Ethernet frames with valid-looking IPv4/IPv6 headers and absurd '
      'lengths, IHL 15, TCP data offsets and IPv6 extension-header chains: a partial '
      'dentry slab page and 16 free pages')
def k_absurd_headers(ctx):
    s = partial_slabs(ctx, 'dentry')[0]
    ranges = [(s['mem'], s['mem'] + PAGE)]
    ctx.write(s['mem'], absurd_headers(ctx, PAGE))
    n = 0
    for pfn, order in ctx.sv['free_blocks']:
        if order == 0 and ctx.d.has_page(pfn):
            ctx.d.write_phys(pfn * PAGE, absurd_headers(ctx, PAGE))
            ranges.append((ctx.po + pfn * PAGE, ctx.po + pfn * PAGE + PAGE))
            n += 1
            if n == 16:
                break
    return {'addrs': [s['objs'][0]], 'ranges': ranges, 'slabs': [s['slab']]}


@kind('packed-frames', 'clean-traffic',
      'valid 42-byte Ethernet/IPv4/UDP frames back to back over the first page of up to '
      '2000 slabs (dentry, vm_area_struct, kernfs_node_cache, inode_cache: ~190k frames, '
      '7.5 MiB) in caches that never hold packets')
def k_packed_frames(ctx):
    pages = []
    seen = set()
    for c in ('dentry', 'vm_area_struct', 'kernfs_node_cache', 'inode_cache'):
        for p in (x['base'] for x in ctx.sv['slab_pages'][c]):
            if p not in seen:
                seen.add(p)
                pages.append(p)
    pages = pages[:2000]
    blob = b''
    i = 0
    while len(blob) < PAGE + 42:
        blob += frame42(i)
        i += 1
    for k, p in enumerate(pages):
        sh = (k * 6) % 42  # frames at other offsets from the objects on each page
        ctx.write(p, blob[sh:sh + PAGE])
    return {'addrs': [pages[0]], 'pages': pages, 'frames': len(pages) * (PAGE // 42)}


@kind('hit-explosion', 'virtio-vlan',
      'an IPv4 header pattern (45 11) every 2 bytes over 40 MiB of free pages: a '
      'candidate for the scanner at every other byte')
def k_hit_explosion(ctx):
    pat = b'\x45\x11' * (PAGE // 2)
    n = 0
    ranges = []
    for pfn, order in sorted(ctx.sv['free_blocks'], key=lambda x: -x[1]):
        for k in range(1 << order):
            if n >= 10240:
                break
            if ctx.d.has_page(pfn + k):
                ctx.d.set_page(pfn + k, pat)
                n += 1
        ranges.append((pfn * PAGE, (pfn + (1 << order)) * PAGE))
        if n >= 10240:
            break
    return {'pages': n, 'phys_ranges': ranges}


@kind('ring-virtio', 'virtio-vlan',
      "eth0 (virtio_net): every word of the page holding the RX virtqueue's struct "
      'non-canonical or NULL-ish')
def k_ring_virtio(ctx):
    r = ring_of(ctx, 'eth0')
    a = int(r['addr'], 16)
    p = a & ~(PAGE - 1)
    ctx.write(p, spray_words(ctx, PAGE // 8))
    return {'pages': [p], 'ring': a}


# ---- the kernel log

def printk_records(ctx):
    """(index, text address, text, info address) of every record in the printk ring."""
    pr = ctx.sv['printk']
    dr, tr = pr['desc_ring'], pr['text_data_ring']
    count = 1 << dr['count_bits']
    size = 1 << tr['size_bits']
    dsz, isz = ctx.sv['sizeof']['prb_desc'], ctx.sv['sizeof']['printk_info']
    lo = ctx.off['prb_desc.text_blk_lpos']
    tl = ctx.off['printk_info.text_len']
    descs = ctx.read(dr['descs'], count * dsz)
    data = ctx.read(tr['data'], size)
    out = []
    for i in range(count):
        begin, nxt = struct.unpack_from('<QQ', descs, i * dsz + lo)
        if begin & 1 or nxt & 1 or begin == nxt:
            continue
        info = dr['infos'] + i * isz
        n = struct.unpack('<H', ctx.read(info + tl, 2))[0]
        off = begin & (size - 1)
        if (begin // size) != (nxt // size):  # the block wrapped: its data is at 0
            off = 0
        t = off + 8
        if t + n > size:
            continue
        out.append((i, tr['data'] + t, data[t:t + n], info + tl))
    return out


OOPS_LINES = (b'general protection fault', b'RIP: ', b'Code: ', b'RAX: ', b'RDX: ',
              b'RSP: ', b'BUG: ', b'Oops')


def oops_records(ctx):
    return [r for r in printk_records(ctx) if any(k in r[2] for k in OOPS_LINES)]


@kind('oops-garbled', 'e1000-vma',
      "the oops' lines in the kernel log garbled: hex digits of the headline address, "
      'the registers and the Code: bytes replaced by other characters')
def k_oops_garbled(ctx):
    recs = oops_records(ctx)
    n = 0
    for _i, addr, text, _info in recs:
        t = bytearray(text)
        for j in range(len(t)):
            c = t[j]
            if chr(c) in '0123456789abcdef' and ctx.rng.random() < 0.5:
                t[j] = ord(ctx.rng.choice('ghxz?<> '))
        if t != text:
            ctx.write(addr, bytes(t))
            n += 1
    return {'records': n}


@kind('oops-truncated', 'e1000-vma',
      "the oops' lines in the kernel log truncated: the headline cut inside the "
      'address, the Code: line and every register line cut in half (printk_info.text_len)')
def k_oops_truncated(ctx):
    recs = oops_records(ctx)
    n = 0
    for _i, _addr, text, info in recs:
        k = text.find(b'0x')
        cut = k + 6 if b'general protection' in text and k >= 0 else len(text) // 2
        ctx.write(info, struct.pack('<H', cut))
        n += 1
    return {'records': n}


@kind('fault-page-excluded', 'e1000-vma',
      "the page holding the oops' bad value (the object the faulting instruction "
      'loaded the non-canonical pointer from, dmaf -j\'s panic evidence) excluded from '
      'the dump')
def k_fault_page_excluded(ctx):
    ev = [e for e in (ctx.sv['dmaf'] or {}).get('evidence', []) if e['kind'] == 'panic']
    if not ev or not ev[0].get('address'):
        raise RuntimeError('fault-page-excluded: the undamaged dump has no panic evidence')
    obj = int(ev[0]['address'], 16)
    pfn = ctx.pa(obj) >> 12
    ctx.d.exclude(pfn)
    return {'addrs': [obj], 'pfn': pfn, 'object': obj}


# ---- what the session finds next to the dump

@kind('ko-missing', 'clean-traffic',
      "the NIC drivers' debug .ko missing (DEBUG_MODULES, the cache and HOME point to "
      'an empty directory)', env_only=True)
def k_ko_missing(ctx):
    return {'env': 'empty'}


@kind('ko-other-build', 'clean-traffic',
      "the NIC drivers' debug .ko of another kernel build (5.10's e1000.ko and e1000e.ko "
      'offered for a 6.1 dump)', env_only=True)
def k_ko_other_build(ctx):
    return {'env': 'other-build'}


def apply(dump, sv, kinds, seed=1):
    """Apply kinds to a loaded Dump; returns {kind: info}."""
    ctx = Ctx(dump, sv, seed)
    out = {}
    for k in kinds:
        out[k] = KINDS[k]['fn'](ctx) or {}
    return out


def main(argv):
    if len(argv) == 2 and argv[1] == '--list':
        for k in KINDS.values():
            print('%-20s %-14s %s' % (k['name'], k['base'], k['doc']))
        return 0
    if len(argv) != 5:
        print(__doc__.split('\n\n')[-1], file=sys.stderr)
        return 2
    _prog, dump, kinds, survey_json, out = argv
    sv = json.load(open(survey_json))
    d = dumpfile.Dump(os.path.join(ROOT, 'dumps', dump, 'vmcore'))
    info = apply(d, sv, kinds.split(','))
    d.save(out)
    print(json.dumps(info, default=hex))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
