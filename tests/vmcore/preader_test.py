#!/usr/bin/env python3
"""tests/vmcore/preader_test.py: the parallel dump reader gives the readmem path's results.

On every stored dump of every lab kernel (tests/dumpenv.py), one crash session runs
  pktscan -j -q -M      full scan through crash's readmem
  pktscan -j -q         full scan with the parallel reader (one thread per CPU)
  pktscan -j -q -t 1    ... with one decompressing thread
  pktscan -j -q -t 3 -p RANGE   a physical range that starts and ends mid-page, in the
                first 64 MiB of the GiB where the dump's memory starts (0 on x86-64,
                0x40000000 on QEMU's arm64 virt board)
  dmaf -j -q -M / dmaf -j -q   the verdict both ways
  slabcheck -j -q -M / slabcheck -j -q / slabcheck -j -q -t 1   every slab, the slabs'
                pages read through readmem, or decompressed ahead by the parallel reader
and checks:
  used      the parallel runs said reader "parallel" (the lab's dumps are kdump-compressed,
            plain or flattened, with zlib or zstd pages), or they fell back to readmem and a
            NOTE said why (e.g. a dump file page size the reader does not take): then the
            other checks still hold, the fallback's results equal readmem's
  hits      every hit line (address, packet, owner) is the same, in the same order
  summary   the summary objects agree but for the reader fields
  range     the -p range with and without -M agree
  verdict   dmaf's JSON (verdict, score, evidence, flows, counts, notes) is the same
  slabs     slabcheck's findings, cache rows and summary are the same (but for the reader
            fields and the time), and the parallel runs said reader "parallel" when
            pktscan's did
Last line: "preader: N passed, N failed".
"""
import concurrent.futures
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import dumpenv  # noqa: E402
import vmcore_lib as L  # noqa: E402
sys.path.insert(0, os.path.join(dumpenv.DUMPS, 'lab'))
import dumpfile  # noqa: E402

passed = failed = 0


def check(name, ok, why=''):
    global passed, failed
    if ok:
        passed += 1
        print('PASS %s' % name)
    else:
        failed += 1
        print('FAIL %s: %s' % (name, why))


def lines(path):
    try:
        return open(path).read().splitlines()
    except OSError:
        return []


def summary(ls):
    for l in reversed(ls):
        try:
            o = json.loads(l)
        except ValueError:
            continue
        if o.get('type') == 'summary':
            return o
    return {}


def ram_base(dump):
    """The GiB in which the dump's first page lies (the lab's reader of dump files)."""
    f = dumpfile.Dump(os.path.join(dumpenv.DUMPS, dump, 'vmcore'))
    first = f.pfns[0] * f.page_size if f.format != 'elf' else min(a for a, _, _ in f.loads)
    return first & ~((1 << 30) - 1)


def session(dump, work):
    d = os.path.join(work, dump)
    os.makedirs(d)
    # A range that starts and ends inside pages, over the first 64 MiB of memory.
    base = ram_base(dump)
    rng = '%x-%x' % (base + 0x1000123, base + 0x4000abc)
    cmds = ['pktscan -j -q -M > %s/R.json' % d,
            'pktscan -j -q > %s/P.json' % d,
            'pktscan -j -q -t 1 > %s/P1.json' % d,
            'pktscan -j -q -M -p %s > %s/rR.json' % (rng, d),
            'pktscan -j -q -t 3 -p %s > %s/rP.json' % (rng, d),
            'dmaf -j -q -M > %s/dR.json' % d,
            'dmaf -j -q > %s/dP.json' % d,
            'slabcheck -j -q -M > %s/sR.json' % d,
            'slabcheck -j -q > %s/sP.json' % d,
            'slabcheck -j -q -t 1 > %s/sP1.json' % d]
    # Seven full passes over the dump: more than vmcore_lib's 15 minutes on a busy machine.
    path = os.path.join(work, dump + '.cmds')
    with open(path, 'w') as f:
        f.write('extend %s\n' % dumpenv.extension_for(dump))
        f.write(''.join(c + '\n' for c in cmds))
    out = dumpenv.run_crash(dump, path, timeout=3600)
    return dump, d, out


def compare(dump, d, out):
    r, p, p1 = lines(d + '/R.json'), lines(d + '/P.json'), lines(d + '/P1.json')
    sr, sp, sp1 = summary(r), summary(p), summary(p1)
    # A fallback is said in a NOTE (pktscan: "NOTE: reading through crash's readmem: WHY").
    notes = sorted(set(ln.strip() for ln in out.splitlines()
                       if "NOTE: reading through crash's readmem" in ln))
    parallel = sp.get('reader') == 'parallel' and sp1.get('reader') == 'parallel' \
        and sp1.get('reader_threads') == 1
    fallback = sp.get('reader') == 'readmem' and sp1.get('reader') == 'readmem' and notes
    reader = sp.get('reader')
    check('%s used%s' % (dump, ' readmem, as the NOTE says: %s' % notes[0] if fallback and not parallel
                         else ''), (parallel or fallback) and sr.get('reader') == 'readmem',
          'readers: -M %s, default %s, -t 1 %s (%s threads); notes %s'
          % (sr.get('reader'), sp.get('reader'), sp1.get('reader'), sp1.get('reader_threads'), notes))
    hits = [l for l in r if '"type":"hit"' in l]
    for name, other in (('default', p), ('-t 1', p1)):
        oh = [l for l in other if '"type":"hit"' in l]
        diff = next((i for i, (a, b) in enumerate(zip(hits, oh)) if a != b), None)
        check('%s hits %s' % (dump, name), hits and len(hits) == len(oh) and diff is None,
              '%d hits via readmem, %d parallel; first difference at hit %s'
              % (len(hits), len(oh), diff))
    for s in (sr, sp, sp1):
        s.pop('reader', None)
        s.pop('reader_threads', None)
    check('%s summary' % dump, sr and sr == sp == sp1, 'readmem %s / parallel %s / -t 1 %s'
          % (sr, sp, sp1))
    rr, rp = lines(d + '/rR.json'), lines(d + '/rP.json')
    rh = [l for l in rr if '"type":"hit"' in l]
    ph = [l for l in rp if '"type":"hit"' in l]
    check('%s range (%d hits)' % (dump, len(rh)), rr and rh == ph and summary(rp).get('reader') == reader,
          '%d hits via readmem, %d parallel (%s)' % (len(rh), len(ph), summary(rp).get('reader')))
    dr, dp = open(d + '/dR.json').read(), open(d + '/dP.json').read()
    try:
        ok = json.loads(dr) == json.loads(dp) and 'verdict' in json.loads(dr)
    except ValueError:
        ok = False
    check('%s verdict' % dump, ok, 'dmaf -j differs between readmem and parallel reads:\n%s\n%s'
          % (dr[:400], dp[:400]))
    sr = lines(d + '/sR.json')
    for name, f, threads in (('default', 'sP.json', None), ('-t 1', 'sP1.json', 1)):
        sp = lines(d + '/' + f)
        a, b = summary(sr), summary(sp)
        want = 'parallel' if reader == 'parallel' else 'readmem'
        got = (b.get('reader'), b.get('reader_threads'))
        for o in (a, b):
            for k in ('reader', 'reader_threads', 'seconds'):
                o.pop(k, None)
        ok = sr[:-1] == sp[:-1] and a and a == b and got[0] == want and \
            (threads is None or want != 'parallel' or got[1] == threads)
        diff = next((i for i, (x, y) in enumerate(zip(sr, sp)) if x != y), None)
        check('%s slabs %s (%d lines)' % (dump, name, len(sr)), ok,
              'readmem %d lines, parallel %d, first difference at line %s; reader %s (want %s)'
              % (len(sr), len(sp), diff, got, want))


def main():
    dumps = [a for a in sys.argv[1:]] or dumpenv.stored_dumps()
    work = tempfile.mkdtemp(prefix='dms-preader-')
    with concurrent.futures.ThreadPoolExecutor(L.jobs()) as ex:
        for dump, d, out in ex.map(lambda x: session(x, work), dumps):
            compare(dump, d, out)
    os.system('rm -rf ' + work)
    print('preader: %d passed, %d failed' % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
