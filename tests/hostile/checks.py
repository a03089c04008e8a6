"""What each command must print on a damaged dump (tests/hostile/run).

completed(): the command ran to its end (its summary line), no crash error aborted it.
common(): what no output may ever say (a doubled command prefix, a widened count,
0xffffffffffffffff called non-canonical).
CHECKS[kind](info, r, base, sv): the damage is reported where damage.py made it; each
yields (name, ok, why).  r and base are crashrun.Result objects of the damaged and the
undamaged session; outputs are found by command (out(r, 'slabcheck'), ...).
"""
import json
import re

# How each command ends when it ran to its end.
_DONE = {
    'pktscan': re.compile(r'^pktscan: \d+ hits', re.M),
    'pktscan -w': re.compile(r'^pktscan: wrote \d+ packets', re.M),
    'slabcheck': re.compile(r'^slabcheck: \d+ caches, \d+ slabs', re.M),
    'slabcheck ADDR': re.compile(r'^[0-9a-f]+: ', re.M),
    'rxring': re.compile(r'^NET_DEVICE', re.M),
    'dmaf': re.compile(r'^VERDICT: ', re.M),
    'dmaf -j': re.compile(r'^\{"verdict":', re.M),
}
# crash's own errors: a command aborted by a read it did not expect to fail.
_ABORT = re.compile(r'^(?:\w+: )?(?:invalid kernel virtual address|invalid (?:user|physical) '
                    r'address|page excluded|seek error|read error|gdb request failed)[^\n]*',
                    re.M)


def completed(kind, text):
    m = _DONE.get(kind)
    if m and not m.search(text):
        tail = text.strip().splitlines()[-3:] if text.strip() else ['(nothing)']
        return False, 'no end-of-command line; output ends: %s' % ' | '.join(tail)
    a = _ABORT.search(text)
    if a:
        return False, 'crash error: %s' % a.group(0)
    return True, ''


_NEVER = [
    (re.compile(r'^(\w+): \1: ', re.M), 'a doubled command prefix'),
    (re.compile(r'\b18446744073709551615\b'), 'a count widened to 2^64-1'),
    (re.compile(r'non-canonical 0xffffffffffffffff'), '0xffffffffffffffff called non-canonical'),
    (re.compile(r'unknown \(no struct page\)'), None),  # checked per kind where it is wrong
]


def common(r):
    """What no output of a session may say."""
    for rx, what in _NEVER:
        if not what:
            continue
        m = rx.search(r.text)
        yield ('never says %s' % what, m is None,
               m and 'found: %s' % r.text[max(0, m.start() - 60):m.end() + 20].replace('\n', ' | '))


# ---- parsing ---------------------------------------------------------------------

def out(r, kind, nth=0):
    """Output of the nth command of this kind in a session."""
    k = [i for i, x in enumerate(r.kinds) if x == kind]
    return r.outputs[k[nth]] if len(k) > nth else ''


def addr_out(r, addr):
    """Output of `slabcheck ADDR` for addr."""
    for i, c in enumerate(r.cmds):
        if c == 'slabcheck %x' % addr:
            return r.outputs[i]
    return ''


_CODES = (r'FREELIST_\w+|COUNT_MISMATCH|BAD_COUNTERS|BAD_CACHE|BAD_GEOMETRY|LIST_CORRUPT|'
          r'POISON|REDZONE|NOT_IN_DUMP|FIELD|PACKET|OOPS_VALUE')
_FINDING = re.compile(r'^ *([0-9a-f]+)  (.*?) +([0-9a-f]{16}|-) +(.*?) +(%s) +(.*)$' % _CODES, re.M)
_ROW = re.compile(r'^ *([0-9a-f]+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+)  (.+)$',
                  re.M)


def findings(text):
    """slabcheck finding lines: dicts addr, cache, object, field, code, why."""
    outl = []
    for m in _FINDING.finditer(text):
        outl.append({'addr': int(m.group(1), 16), 'cache': m.group(2).strip(),
                     'object': int(m.group(3), 16) if m.group(3) != '-' else None,
                     'field': m.group(4).strip(), 'code': m.group(5), 'why': m.group(6)})
    return outl


def rows(text):
    """slabcheck table rows by cache name."""
    res = {}
    for m in _ROW.finditer(text):
        v = [int(x) for x in m.groups()[1:9]]
        res[m.group(10).strip()] = {'addr': int(m.group(1), 16), 'objsize': v[0], 'slabs': v[1],
                                     'objects': v[2], 'allocated': v[3], 'free': v[4],
                                     'unknown': v[5], 'corrupt': v[6], 'findings': v[7]}
    return res


_HIT = re.compile(r'^ *([0-9a-f]+) ([0-9a-f]{16}|-) +[0-9a-f]+ (\S+) +(.*)$', re.M)


def hits(text):
    """pktscan hit lines: (paddr, kvaddr or None, rest)."""
    return [(int(m.group(1), 16), int(m.group(2), 16) if m.group(2) != '-' else None,
             m.group(4)) for m in _HIT.finditer(text)]


def hit_count(text):
    m = re.search(r'^pktscan: (\d+) hits', text, re.M)
    return int(m.group(1)) if m else None


def notes(text):
    return re.findall(r'^NOTE: (.*)$', text, re.M)


def frames_line(text):
    m = re.search(r'^FRAMES: (\d+) carved, (\d+) incriminating, (\d+) where packets belong'
                  r'[^;\n]*; slab findings (\d+)', text, re.M)
    return tuple(int(x) for x in m.groups()) if m else None


def dmaf_json(text):
    for line in text.splitlines():
        if line.startswith('{"verdict"'):
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None


def netdev_rows(text):
    return re.findall(r'^([0-9a-f]{16})  (\S+) ', text, re.M)


def within(a, lo, hi):
    return a is not None and lo <= a < hi


def yes(name, ok, why):
    return (name, bool(ok), '' if ok else why)


# ---- per kind ----------------------------------------------------------------------

def c_freelist_cycle(info, r, base, sv):
    f = [x for x in findings(out(r, 'slabcheck')) if x['code'] == 'FREELIST_CYCLE']
    pages = set(o >> 12 for o in info['objects'])
    hit = [x for x in f if x['object'] is not None and x['object'] >> 12 in pages]
    yield yes('freelist-cycle: slabcheck FREELIST_CYCLE in both damaged slabs',
              len(set(x['object'] >> 12 for x in hit)) == 2,
              'FREELIST_CYCLE lines in damaged slabs: %s' % [hex(x['object']) for x in hit])
    for a in info['addrs']:
        t = addr_out(r, a)
        yield yes('freelist-cycle: slabcheck %x names the cycle' % a,
                  'FREELIST_CYCLE' in t and 'allocator metadata corrupted' in t, t[:300])
    fl = frames_line(out(r, 'dmaf'))
    yield yes('freelist-cycle: dmaf counts the slab findings', fl and fl[3] >= 2, str(fl))


def c_slab_random(info, r, base, sv):
    lo, hi = info['range']
    f = [x for x in findings(out(r, 'slabcheck')) if within(x['addr'], lo, hi) or
         within(x['object'], lo, hi)]
    yield yes('slab-random: slabcheck reports the random slab', f,
              'no finding in %x-%x' % (lo, hi))
    t = addr_out(r, info['addrs'][0])
    yield yes('slab-random: slabcheck ADDR finds the object corrupt',
              'verdict  corrupted fields' in t or 'allocator metadata corrupted' in t, t[:400])


def c_slab_ff(info, r, base, sv):
    lo, hi = info['range']
    t = addr_out(r, info['addrs'][0])
    yield yes('slab-ff: slabcheck ADDR reports the all-ones fields',
              'field    vm_mm: not a kernel address (0xffffffffffffffff, in the kernel half)' in t,
              t[:600])
    f = [x for x in findings(out(r, 'slabcheck')) if within(x['object'], lo, hi)]
    rw = rows(out(r, 'slabcheck')).get(info['cache'], {})
    yield yes('slab-ff: slabcheck flags the damaged objects',
              f or rw.get('corrupt', 0) >= 1, 'no finding in %x-%x; row %s' % (lo, hi, rw))


def c_page_array_random(info, r, base, sv):
    lo, hi = info['range']
    t = addr_out(r, info['addrs'][0])
    yield yes('page-array-random: slabcheck ADDR says the struct page is garbage',
              'garbage struct page' in t and 'unknown (no struct page)' not in t, t[:300])
    f = [x for x in findings(out(r, 'slabcheck')) if within(x['addr'], lo, hi)]
    yield yes('page-array-random: slabcheck reports findings in the damaged struct page array',
              f, 'no finding at %x-%x' % (lo, hi))


def c_page_array_fields(info, r, base, sv):
    lo, hi = info['range']
    t = addr_out(r, info['addrs'][0])
    yield yes('page-array-fields: slabcheck ADDR names the bad slab_cache',
              'slab page of an unknown cache' in t and '5a5a5a5a5a5a' in t, t[:300])
    f = [x for x in findings(out(r, 'slabcheck'))
         if x['code'] == 'BAD_CACHE' and within(x['addr'], lo, hi)]
    yield yes('page-array-fields: BAD_CACHE for the damaged struct pages',
              f, 'no BAD_CACHE at %x-%x' % (lo, hi))
    fl = frames_line(out(r, 'dmaf'))
    yield yes('page-array-fields: dmaf counts slab findings', fl and fl[3] >= 1, str(fl))


def _caches_kept(info, r, base, skip):
    """Every cache with slabs on the undamaged dump is there with the same counts."""
    b, v = rows(out(base, 'slabcheck')), rows(out(r, 'slabcheck'))
    bad = []
    for name, row in b.items():
        if row['slabs'] == 0 or name in skip:
            continue
        w = v.get(name)
        if not w or (w['slabs'], w['objects'], w['allocated']) != \
                (row['slabs'], row['objects'], row['allocated']):
            bad.append('%s %s -> %s' % (name, (row['slabs'], row['objects'], row['allocated']),
                                        w and (w['slabs'], w['objects'], w['allocated'])))
    return bad


def c_kmem_cache_loop(info, r, base, sv):
    sc = out(r, 'slabcheck')
    f = findings(sc)
    yield yes('kmem-cache-loop: slabcheck reports the list cycle at the damaged head',
              any(x['code'] == 'LIST_CORRUPT' and x['addr'] in (info['list'], info['list'] + 8)
                  for x in f), 'no LIST_CORRUPT at %x' % info['list'])
    yield yes('kmem-cache-loop: caches behind the loop found through their slabs',
              any(x['code'] == 'LIST_CORRUPT' and 'not on the list' in x['why'] for x in f),
              'no "not on the list" finding')
    bad = _caches_kept(info, r, base, ('dentry', 'vm_area_struct'))
    yield yes('kmem-cache-loop: every other cache counted as on the undamaged dump', not bad,
              '; '.join(bad[:5]))
    yield yes('kmem-cache-loop: no BAD_CACHE for healthy slabs',
              not [x for x in f if x['code'] == 'BAD_CACHE'],
              '%d BAD_CACHE lines' % len([x for x in f if x['code'] == 'BAD_CACHE']))
    t = addr_out(r, info['kmem_cache'])
    yield yes('kmem-cache-loop: slabcheck ADDR on the kmem_cache: an object of kmem_cache',
              re.search(r'^  cache    kmem_cache ', t, re.M), t[:300])
    yield yes('kmem-cache-loop: dmaf NOTE on the cache list',
              any(n.startswith('the slab cache list is damaged') for n in notes(out(r, 'dmaf'))),
              str(notes(out(r, 'dmaf'))))


def c_kmem_cache_absurd(info, r, base, sv):
    f = findings(out(r, 'slabcheck'))
    yield yes('kmem-cache-absurd: BAD_GEOMETRY names the cache',
              any(x['code'] == 'BAD_GEOMETRY' and x['cache'] == info['cache'] for x in f),
              'no BAD_GEOMETRY for %s' % info['cache'])
    t = addr_out(r, info['addrs'][0])
    yield yes('kmem-cache-absurd: slabcheck ADDR says the cache has impossible sizes',
              'impossible sizes' in t, t[:300])
    yield yes('kmem-cache-absurd: dmaf NOTE counts the impossible cache',
              any(int(m) >= 1 for n in notes(out(r, 'dmaf'))
                  for m in re.findall(r'(\d+) caches with impossible sizes', n)),
              str(notes(out(r, 'dmaf'))))


def c_netdev_loop(info, r, base, sv):
    rx = out(r, 'rxring')
    names = [n for _a, n in netdev_rows(rx)]
    addrs = [a for a, _n in netdev_rows(rx)]
    yield yes('netdev-loop: rxring lists each device once', len(addrs) == len(set(addrs)),
              'rows: %s' % names)
    yield yes('netdev-loop: rxring lists every device', len(set(addrs)) == len(info['netdevs']),
              'rows: %s, devices: %s' % (names, info['netdevs']))
    yield yes('netdev-loop: rxring warns of the cycle', re.search(r'^WARNING: device list: cycle',
                                                                  rx, re.M), rx[:300])
    yield yes('netdev-loop: rxring says the name has no NUL', 'name: no NUL' in rx, rx[:600])
    n = notes(out(r, 'dmaf'))
    yield yes('netdev-loop: dmaf NOTEs on the device list and the name',
              any('cycle in the device list' in x for x in n) and any('has no NUL' in x for x in n),
              str(n))


def _rx_dev(rx, name):
    """rxring's lines of one device."""
    m = re.search(r'^[0-9a-f]{16}  %s .*?(?=^[0-9a-f]{16}  |\Z)' % re.escape(name), rx,
                  re.M | re.S)
    return m.group(0) if m else ''


def c_ring_pointers(info, r, base, sv):
    rx = out(r, 'rxring')
    e0, e1 = _rx_dev(rx, 'eth0'), _rx_dev(rx, 'eth1')
    v0 = info['values']['eth0']
    yield yes('ring-pointers: rxring names eth0\'s bad pointer',
              re.search(r'finding BAD_POINTER.*(%x|%x)' % (v0[0], v0[1]), e0), e0[:600])
    yield yes('ring-pointers: rxring names eth1\'s bad rx_ring pointer',
              re.search(r'finding BAD_POINTER.*0x10\b', e1), e1[:600])
    n = notes(out(r, 'dmaf'))
    yield yes('ring-pointers: dmaf NOTEs on both devices\' rings',
              any('eth0 (e1000) RX ring' in x and 'BAD_POINTER' in x for x in n) and
              any('eth1 (e1000e)' in x and 'BAD_POINTER' in x for x in n), str(n))


def c_ring_sizes(info, r, base, sv):
    rx = out(r, 'rxring')
    e0, e1 = _rx_dev(rx, 'eth0'), _rx_dev(rx, 'eth1')
    yield yes('ring-sizes: rxring shows eth0\'s count as stored',
              'BAD_COUNT' in e0 and '0xff27ddaf' in e0 and '-14164561' in e0, e0[:500])
    yield yes('ring-sizes: rxring shows eth1\'s ring count',
              'BAD_COUNT' in e1 and '0xffffffff' in e1, e1[:500])
    n = notes(out(r, 'dmaf'))
    yield yes('ring-sizes: dmaf NOTEs the counts', sum('BAD_COUNT' in x for x in n) >= 2, str(n))


def c_pointer_spray(info, r, base, sv):
    rx = out(r, 'rxring')
    m = re.search(r'^%016x  .*?(?=^[0-9a-f]{16}  |\Z)' % info['netdev'], rx, re.M | re.S)
    e0 = m.group(0) if m else ''
    yield yes('pointer-spray: rxring lists the sprayed device, its driver unknown, no rings',
              e0 and re.search(r'^%016x  \S+ +\? ' % info['netdev'], e0) and
              'rx rings: no ring table entry for driver "?"' in e0, e0[:500])
    yield yes('pointer-spray: rxring warns that the device list is cut',
              re.search(r'^WARNING: device list: bad device list pointer', rx, re.M), rx[:300])
    f = findings(out(r, 'slabcheck'))
    yield yes('pointer-spray: slabcheck reports the sprayed kmem_cache page',
              any(x['code'] in ('LIST_CORRUPT', 'BAD_CACHE', 'BAD_GEOMETRY') for x in f),
              'codes: %s' % sorted(set(x['code'] for x in f)))
    n = notes(out(r, 'dmaf'))
    yield yes('pointer-spray: dmaf NOTEs on the device list, the device and the caches',
              any('bad device list pointer' in x for x in n) and
              any('%x): driver unknown' % info['netdev'] in x for x in n) and
              any(x.startswith('the slab cache list is damaged') for x in n), str(n))


def c_absurd_headers(info, r, base, sv):
    ranges = info['ranges']
    bad = []
    for pa, kv, rest in hits(out(r, 'pktscan')):
        if kv is None or not any(lo <= kv < hi for lo, hi in ranges):
            continue
        m = re.search(r' len (\d+)', rest)
        if m and int(m.group(1)) > 65535:
            bad.append(rest[:80])
        if '(truncated)' not in rest and 'ok/' not in rest and '-/ok' not in rest:
            bad.append(rest[:80])
    yield yes('absurd-headers: no impossible packet carved from the absurd headers', not bad,
              '; '.join(bad[:3]))
    yield yes('absurd-headers: pcap and text agree',
              hit_count(out(r, 'pktscan')) is not None, out(r, 'pktscan')[-200:])


def c_packed_frames(info, r, base, sv):
    pages = set(p >> 12 for p in info['pages'])
    h = [x for x in hits(out(r, 'pktscan')) if x[1] is not None and x[1] >> 12 in pages]
    yield yes('packed-frames: pktscan carves the packed frames', len(h) >= 0.9 * info['frames'],
              '%d hits in the damaged pages, %d frames written' % (len(h), info['frames']))
    rw = rows(out(r, 'slabcheck'))
    cs = ('dentry', 'vm_area_struct', 'kernfs_node_cache', 'inode_cache')
    corrupt = sum(rw.get(c, {}).get('corrupt', 0) for c in cs)
    yield yes('packed-frames: slabcheck flags the objects holding frames',
              corrupt >= len(pages), '%d corrupt objects in %s, %d pages written'
              % (corrupt, cs, len(pages)))
    fl = frames_line(out(r, 'dmaf'))
    yield yes('packed-frames: dmaf weighs frames in foreign objects', fl and fl[1] > 0, str(fl))


def c_hit_explosion(info, r, base, sv):
    rngs = info['phys_ranges']
    inside = [x for x in hits(out(r, 'pktscan')) if any(lo <= x[0] < hi for lo, hi in rngs)]
    yield yes('hit-explosion: no hit carved from the pattern', not inside,
              '%d hits inside, e.g. %s' % (len(inside), inside[:2]))
    bh, vh = hit_count(out(base, 'pktscan')), hit_count(out(r, 'pktscan'))
    yield yes('hit-explosion: pktscan finds the same frames elsewhere',
              bh is not None and vh is not None and vh <= bh, '%s vs %s' % (vh, bh))


def c_ring_virtio(info, r, base, sv):
    rx = out(r, 'rxring')
    e0 = _rx_dev(rx, 'eth0')
    yield yes('ring-virtio: rxring reports the sprayed virtqueue',
              'finding ' in e0 or 'not walked' in e0, e0[:600])
    n = notes(out(r, 'dmaf'))
    yield yes('ring-virtio: dmaf NOTE on eth0\'s ring', any('eth0 (virtio_net)' in x for x in n),
              str(n))


def _panic(text):
    m = re.search(r'^ +\d+\. \[panic\] (.*)$', text, re.M)
    return m.group(1) if m else None


def c_oops(kind):
    def check(info, r, base, sv):
        d, bd = out(r, 'dmaf'), out(base, 'dmaf')
        p, bp = _panic(d), _panic(bd)
        n = notes(d)
        yield yes('%s: the damaged oops changed %d log records' % (kind, info['records']),
                  info['records'] >= 3, str(info))
        # Either the same panic analysis (what survived is read right) or none, with a
        # NOTE saying the oops was not analysed: never another value or instruction.
        same = p is not None and p == bp
        said = p is None and any(x.startswith('the oops was not analysed') for x in n)
        yield yes('%s: dmaf reads the oops right or says it could not' % kind, same or said,
                  'panic: %s; undamaged: %s; notes: %s' % (p, bp, n))
    return check


def c_fault_page_excluded(info, r, base, sv):
    n = notes(out(r, 'dmaf'))
    yield yes('fault-page-excluded: dmaf says the load address is not in the dump',
              any(x.startswith("the oops' bad value was not looked up") and 'not in the dump' in x
                  for x in n), str(n))
    t = addr_out(r, info['object'])
    yield yes('fault-page-excluded: slabcheck ADDR says the object is not in the dump',
              'verdict  not in the dump' in t, t[:300])
    p = _panic(out(r, 'dmaf'))
    yield yes('fault-page-excluded: dmaf names no other copy as the source',
              p is None or 'loaded from' not in p.split('loaded by')[-1], str(p))


def c_ko_missing(info, r, base, sv):
    rx = out(r, 'rxring')
    yield yes('ko-missing: rxring says the debuginfo was not found',
              'rx rings: not read: debuginfo of module e1000 not found' in rx, rx[:600])
    n = notes(out(r, 'dmaf'))
    yield yes('ko-missing: dmaf NOTEs the unread rings',
              any('RX rings not read' in x for x in n), str(n))


def c_ko_other_build(info, r, base, sv):
    rx = out(r, 'rxring')
    yield yes('ko-other-build: rxring names the .ko of the other kernel',
              'is for %s' % info.get('other_release', '?') in rx, rx[:700])
    yield yes('ko-other-build: no ring read with the other kernel\'s layout',
              not re.search(r'^  rx ring \d+ at ', rx, re.M), rx[:700])
    n = notes(out(r, 'dmaf'))
    yield yes('ko-other-build: dmaf NOTEs the unread rings',
              any('RX rings not read' in x for x in n), str(n))


CHECKS = {
    'freelist-cycle': c_freelist_cycle,
    'slab-random': c_slab_random,
    'slab-ff': c_slab_ff,
    'page-array-random': c_page_array_random,
    'page-array-fields': c_page_array_fields,
    'kmem-cache-loop': c_kmem_cache_loop,
    'kmem-cache-absurd': c_kmem_cache_absurd,
    'netdev-loop': c_netdev_loop,
    'ring-pointers': c_ring_pointers,
    'ring-sizes': c_ring_sizes,
    'pointer-spray': c_pointer_spray,
    'absurd-headers': c_absurd_headers,
    'packed-frames': c_packed_frames,
    'hit-explosion': c_hit_explosion,
    'ring-virtio': c_ring_virtio,
    'oops-garbled': c_oops('oops-garbled'),
    'oops-truncated': c_oops('oops-truncated'),
    'fault-page-excluded': c_fault_page_excluded,
    'ko-missing': c_ko_missing,
    'ko-other-build': c_ko_other_build,
}


def run(kind, info, r, base, sv):
    fn = CHECKS.get(kind)
    if not fn:
        return [('%s: checks' % kind, False, 'no checks for this kind')]
    try:
        return list(fn(info, r, base, sv))
    except (KeyError, IndexError, TypeError, ValueError) as e:
        return [('%s: checks' % kind, False, 'check failed: %r' % e)]
