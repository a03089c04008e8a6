#!/usr/bin/env python3
"""Lab sanity tests: the stored dumps are what truth.json says, checked with crash alone.

No dmasleuth code is used here.  For every dumps/<scenario>/:
  - every lab kernel (dumps/kernels/) has a DMA-after-free dump and a clean control;
  - the dump opens in crash (the one its kernel needs: a cross crash for arm64) with its
    kernel's vmlinux and shows that release;
  - DMA-after-free scenarios: truth-listed live slab objects are, per crash `kmem`, allocated
    objects of the named cache, and `rd -p` at the frame address shows an Ethernet frame to
    the NIC's MAC carrying one of the truth flows (addresses, ports, VLAN);
  - software UAF: each corrupted object is where crash `kmem` says (cache, free/allocated),
    the freed one holds text over its freelist pointer, the live one a non-canonical pointer;
  - clean: crash `net` shows the NIC's address; truth lists no objects with frames.

Usage: lab_sanity.py   (each dump's vmlinux from dumps/fetch-debuginfo RELEASE; DMS_KERNELS
limits the kernels, see tests/dumpenv.py)
Prints one line per check and ends with "lab: N passed, N failed".
"""
import ipaddress
import json
import os
import re
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tests'))
import dumpenv  # noqa: E402
MARK = 770000001  # `p MARK+i` separates the answers of one crash session


def crash_batch(dump, cmds):
    """Run cmds in one crash session on dumps/DUMP (its kernel's vmlinux and a crash that
    opens it); return the output of each command."""
    lines = []
    for i, c in enumerate(cmds):
        lines.append('p %d' % (MARK + i))
        lines.append(c)
    lines.append('p %d' % (MARK + len(cmds)))
    lines.append('quit')
    fd, cmdfile = tempfile.mkstemp(prefix='sanity-', suffix='.cmds')
    with os.fdopen(fd, 'w') as fp:
        fp.write('\n'.join(lines) + '\n')
    try:
        out = dumpenv.run_crash(dump, cmdfile, timeout=600)
    finally:
        os.unlink(cmdfile)
    answers = []
    for i in range(len(cmds)):
        m = re.search(r'= %d\n(.*?)\$\d+ = %d\n' % (MARK + i, MARK + i + 1), out, re.S)
        answers.append(m.group(1) if m else '')
    return out, answers


def rd_bytes(text):
    """Bytes of `rd -p -8` output."""
    data = bytearray()
    for line in text.splitlines():
        m = re.match(r'^\s*[0-9a-f]+:\s+((?:[0-9a-f]{2} )+)', line)
        if m:
            data += bytes(int(b, 16) for b in m.group(1).split())
    return bytes(data)


def parse_frame(b):
    """(dst_mac, vlan, src, dst, proto, sport, dport) of an Ethernet frame, or None."""
    if len(b) < 14:
        return None
    dst = ':'.join('%02x' % x for x in b[:6])
    off, vlan = 12, None
    etype = int.from_bytes(b[off:off + 2], 'big')
    while etype in (0x8100, 0x88a8) and off + 6 <= len(b):
        vlan = int.from_bytes(b[off + 2:off + 4], 'big') & 0xfff
        off += 4
        etype = int.from_bytes(b[off:off + 2], 'big')
    ip = off + 2
    if etype == 0x0800 and len(b) >= ip + 24:
        ihl = (b[ip] & 15) * 4
        l4 = ip + ihl
        if len(b) < l4 + 4:
            return None
        return (dst, vlan, str(ipaddress.IPv4Address(b[ip + 12:ip + 16])),
                str(ipaddress.IPv4Address(b[ip + 16:ip + 20])), b[ip + 9],
                int.from_bytes(b[l4:l4 + 2], 'big'), int.from_bytes(b[l4 + 2:l4 + 4], 'big'))
    if etype == 0x86dd and len(b) >= ip + 44:
        l4 = ip + 40
        return (dst, vlan, str(ipaddress.IPv6Address(b[ip + 8:ip + 24])),
                str(ipaddress.IPv6Address(b[ip + 24:ip + 40])), b[ip + 6],
                int.from_bytes(b[l4:l4 + 2], 'big'), int.from_bytes(b[l4 + 2:l4 + 4], 'big'))
    return None


def flow_of(frame, truth):
    for f in truth['flows']:
        proto = 6 if f['proto'] == 'tcp' else 17
        if frame[1:] == (f['vlan'], str(ipaddress.ip_address(f['src'])),
                         str(ipaddress.ip_address(f['dst'])), proto, f['sport'], f['dport']):
            return f
    return None


class Results:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, ok, why=''):
        if ok:
            self.passed += 1
            print('PASS %s' % name)
        else:
            self.failed += 1
            print('FAIL %s: %s' % (name, why))


def kmem_says(text, addr):
    """(cache, 'live'|'free'|None) from `kmem ADDR` output."""
    cache = None
    m = re.search(r'^\s*[0-9a-f]+\s+\d+\s+\d+\s+\d+\s+\d+\s+\S+\s+(\S+)\s*$', text, re.M)
    if m:
        cache = m.group(1)
    a = addr[2:] if addr.startswith('0x') else addr
    if re.search(r'^\s+\[%s\]\s*$' % a, text, re.M):
        return cache, 'live'
    if re.search(r'^\s+%s\s*$' % a, text, re.M):
        return cache, 'free'
    return cache, None


def test_dump(d, res):
    truth = json.load(open(os.path.join(d, 'truth.json')))
    name = os.path.basename(d)
    cmds = ['sys', 'log']
    objs, per_cache = [], {}
    for o in sorted((o for o in truth['slab_objects_with_frames'] if o['state'] == 'live'),
                    key=lambda o: o['addr']):
        if per_cache.get(o['cache'], 0) < 6:
            per_cache[o['cache']] = per_cache.get(o['cache'], 0) + 1
            objs.append(o)
    for o in objs:
        cmds += ['kmem %s' % o['addr'], 'rd -p -8 %s 80' % o['frame_paddr']]
    for c in truth['corrupted_objects']:
        cmds += ['kmem %s' % c['addr'], 'rd -64 %s %d' % (c['addr'], c['object_size'] // 8)]
    if truth['expected']['verdict'] == 'no-dma-after-free':
        cmds.append('net')
    out, ans = crash_batch(os.path.basename(d), cmds)

    m = re.search(r'RELEASE: (\S+)', ans[0])
    res.check('%s: opens in crash, release %s' % (name, truth['kernel']['release']),
              m and m.group(1) == truth['kernel']['release'],
              'crash said %r' % (m.group(1) if m else out[-400:]))
    # No ground truth in the kernel log: not the scenario, not a flow's address.
    log = ans[1]
    leaks = [w for w in [truth['scenario'], 'scenario'] + [f['src'] for f in truth['flows']]
             if w in log]
    res.check('%s: the kernel log holds no ground truth' % name, log and not leaks,
              'log mentions %s' % leaks if log else 'no log')
    k = 2
    if truth['expected']['verdict'] == 'dma-after-free':
        good, notes, good_caches, crash_blind = 0, [], set(), 0
        for o in objs:
            cache, state = kmem_says(ans[k], o['addr'])
            frame = parse_frame(rd_bytes(ans[k + 1]))
            k += 2
            if cache == o['cache'] and state is None and 'invalid freepointer' in ans[k - 2]:
                crash_blind += 1  # crash's SLUB walk stops at a DMA-corrupted free pointer
                continue
            if cache != o['cache'] or state != 'live':
                notes.append('%s: kmem says %s/%s, truth %s/live' % (o['addr'], cache, state,
                                                                     o['cache']))
                continue
            if not frame or frame[0] != truth['nic']['mac'] or not flow_of(frame, truth):
                notes.append('%s: no truth flow at %s (%r)' % (o['addr'], o['frame_paddr'], frame))
                continue
            good += 1
            good_caches.add(o['cache'])
        res.check('%s: live slab objects hold the flows\' frames (%d of %d confirmed, %d in '
                  'slabs crash cannot walk)' % (name, good, len(objs), crash_blind),
                  good >= 1 and not notes, '; '.join(notes[:4]) or 'no objects')
        # The seed's case: frames inside objects of caches that never hold packets.
        plain = sorted(c for c in good_caches if not c.startswith(('kmalloc', 'skbuff')))
        res.check('%s: confirmed frames in caches that never hold packets (%s)'
                  % (name, ','.join(plain)), bool(plain), 'only %s' % sorted(good_caches))
    for c in truth['corrupted_objects']:
        cache, state = kmem_says(ans[k], c['addr'])
        raw = ans[k + 1]
        k += 2
        # crash's own SLUB walk may stop at the corrupted free pointer ("invalid
        # freepointer"): then it cannot list the object as free, and says why.
        bad_fp = c['state'] == 'free' and 'invalid freepointer' in ans[k - 2]
        res.check('%s: %s object %s is %s %s per crash kmem%s'
                  % (name, c['kind'], c['addr'], c['state'], c['cache'],
                     ' (crash: invalid freepointer)' if bad_fp else ''),
                  cache == c['cache'] and (state == c['state'] or bad_fp),
                  'kmem says %s/%s' % (cache, state))
        words = []
        for line in raw.splitlines():
            mm = re.match(r'^\s*[0-9a-f]+:\s+([0-9a-f]{16})\s+([0-9a-f]{16})', line)
            if mm:
                words += [int(mm.group(1), 16), int(mm.group(2), 16)]
        if c['kind'] == 'freed-object-overwrite':
            fp = c.get('freeptr_offset', 0) // 8
            wb = b''.join(w.to_bytes(8, 'little') for w in words[:20])
            printable = sum(32 <= x < 127 for x in wb)
            res.check('%s: freed object holds text over its freelist pointer' % name,
                      len(words) > fp and printable >= 0.9 * len(wb) and
                      all(32 <= x < 127 for x in words[fp].to_bytes(8, 'little')),
                      '%d/%d printable' % (printable, len(wb)))
        elif c['kind'] == 'bogus-pointer':
            w = words[c['object_offset'] // 8] if len(words) > c['object_offset'] // 8 else 0
            canonical = (w >> 47) in (0, 0x1ffff)
            res.check('%s: live object holds a non-canonical pointer (%#x)' % (name, w),
                      w and not canonical, 'canonical or unread')
    if truth['expected']['verdict'] == 'no-dma-after-free':
        ip = truth['nic']['ip'][0].split('/')[0]
        res.check('%s: crash net shows the NIC at %s' % (name, ip), ip in ans[k],
                  ans[k][-300:])
        res.check('%s: truth lists no objects holding frames' % name,
                  not truth['slab_objects_with_frames'] and not truth['corrupted_objects'])


def open_kernels():
    """The kernels with a manifest, limited by DMS_KERNELS like the dumps."""
    want = [r for r in os.environ.get('DMS_KERNELS', '').split(',') if r]
    rels = sorted(os.listdir(os.path.join(dumpenv.DUMPS, 'kernels')))
    return [r for r in rels if not want or r in want]


def main():
    res = Results()
    # Every dump, whatever crash target opens it (the arm64 ones too: tests/dumpenv.py).
    every = dumpenv.stored_dumps(every_target=True)
    found = [os.path.join(dumpenv.DUMPS, x) for x in every]
    res.check('dumps/: the four lab scenarios are stored', len(found) >= 4,
              'found %d' % len(found))
    # Every lab kernel has a DMA-after-free dump and a clean control.
    for rel in open_kernels():
        mine = [x for x in every if dumpenv.release_of(x) == rel]
        kinds = set(dumpenv.truth(x)['expected']['verdict'] for x in mine)
        res.check('dumps/: kernel %s has a DMA-after-free dump and a clean control (%s)'
                  % (rel, ' '.join(mine)), {'dma-after-free', 'no-dma-after-free'} <= kinds,
                  'verdicts %s' % sorted(kinds))
    for d in found:
        test_dump(d, res)
    print('lab: %d passed, %d failed' % (res.passed, res.failed))
    return 1 if res.failed else 0


if __name__ == '__main__':
    sys.exit(main())
