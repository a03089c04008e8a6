#!/usr/bin/env python3
"""tests/triage/triage_test.py: dmasleuth-triage over the lab dumps plus bad inputs.

Inputs: every dumps/<scenario>/ with a truth.json (vmcore, console.log, truth.json), and
in a temporary directory, made here:
  bad/truncated/vmcore        head -c of a kdump-compressed lab dump
  bad/truncated-flat/vmcore   head -c of a flattened (QEMU) lab dump
  bad/garbage/vmcore          a KDUMP signature followed by nonsense header fields
  bad/notes/readme.bin        not a dump
  bad/nomatch/vmcore          a lab dump with VMCOREINFO's OSRELEASE and BUILD-ID altered
                              in place (same length): no vmlinux matches it
  bad/hang/vmcore             a lab dump that the --crash wrapper makes hang (sleep)
  bad/damaged/vmcore          a lab dump damaged by tests/hostile (variant pointer-spray:
                              a net_device, a ring, a page of kmem_caches and a struct page
                              array page sprayed with bad pointers): it costs only its row
  router/dmesg-ramoops-0      a pstore dmesg with an i40e "Rx ring 0 disable timeout"

Run 1 (uninterrupted, -j 2, --pcap, --html): every good dump's verdict against its
truth.json, every bad input's recorded status and reason, the log's classification,
summary.json, the table, the cross-dump groups, the exit status, no crash left running.
Run 2 into another OUT: SIGKILL once the first crash session's result is written, then
run again: finished inputs are not redone and summary.json equals run 1's (verdict,
status, reason per input).  The HTML report is rendered in headless Chromium (SKIP when
no Chromium): screenshot, every input in the DOM, no console messages.

Last line: "triage: N passed, N failed".  TRIAGE_TEST_TIMEOUT (default 60) is the
per-dump timeout (the hang costs that much, twice); TRIAGE_TEST_KEEP=1 keeps the
temporary directory.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tests'))
import dumpenv  # noqa: E402
TRIAGE = os.path.join(ROOT, 'scripts', 'dmasleuth-triage')
VERDICT = {'dma-after-free': 'dma-after-free', 'no-dma-after-free': 'no-corruption-found',
           'slab-corruption-not-dma': 'slab-corruption-not-dma'}
TIMEOUT = int(os.environ.get('TRIAGE_TEST_TIMEOUT', '60'))
DAMAGED = 'pointer-spray'  # tests/hostile/variants.py
COMPARE = ('status', 'reason', 'verdict', 'flagged', 'netdev', 'driver')

passed = failed = 0


def check(name, ok, why=''):
    global passed, failed
    if ok:
        passed += 1
        print('PASS %s' % name)
    else:
        failed += 1
        print('FAIL %s: %s' % (name, why))
    sys.stdout.flush()
    return ok


def scenarios():
    """The stored dumps the extension's suites run on (tests/dumpenv.py: x86-64 and arm64),
    with their vmcore."""
    d = os.path.join(ROOT, 'dumps')
    return sorted(s for s in os.listdir(d) if os.path.isfile(os.path.join(d, s, 'truth.json'))
                  and os.path.isfile(os.path.join(d, s, 'vmcore')) and dumpenv.for_extension(s))


def head(path):
    with open(path, 'rb') as fp:
        return fp.read(16)


def make_bad_inputs(work, dumps):
    """The deliberately bad inputs; returns {name: path}."""
    kdump = next(s for s in dumps if head(os.path.join(ROOT, 'dumps', s, 'vmcore')).startswith(b'KDUMP'))
    flat = next(s for s in dumps if head(os.path.join(ROOT, 'dumps', s, 'vmcore')).startswith(b'makedumpfile'))
    biggest = max(dumps, key=lambda s: os.path.getsize(os.path.join(ROOT, 'dumps', s, 'vmcore')))
    p = {}

    def put(name, rel, data=None, src=None):
        path = os.path.join(work, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if src:
            try:
                os.link(src, path)  # same bytes, another path: another input
            except OSError:
                shutil.copyfile(src, path)
        else:
            with open(path, 'wb') as fp:
                fp.write(data)
        p[name] = path

    with open(os.path.join(ROOT, 'dumps', kdump, 'vmcore'), 'rb') as fp:
        data = fp.read()
    put('truncated', 'bad/truncated/vmcore', data[:len(data) // 3])
    altered = [None]

    def alter(m):  # same length, matches nothing
        key, val = m.group(1), m.group(2)
        new = (b'0' * len(val)) if key == b'BUILD-ID' else re.sub(rb'[0-9]', b'9', val)
        if key == b'BUILD-ID':
            altered[0] = new.decode()
        return key + b'=' + new
    nomatch = re.sub(rb'(BUILD-ID|OSRELEASE)=([0-9A-Za-z._+~-]+)', alter, data)
    put('nomatch', 'bad/nomatch/vmcore', nomatch)
    p['nomatch_build_id'] = altered[0]
    with open(os.path.join(ROOT, 'dumps', flat, 'vmcore'), 'rb') as fp:
        put('truncated-flat', 'bad/truncated-flat/vmcore', fp.read(3 << 20))
    garbage = bytearray(data[:8192])
    garbage[428:432] = (3).to_bytes(4, 'little')  # block size 3
    put('garbage', 'bad/garbage/vmcore', bytes(garbage))
    put('notadump', 'bad/notes/readme.bin', bytes(range(256)) * 16)
    put('hang', 'bad/hang/vmcore', src=os.path.join(ROOT, 'dumps', biggest, 'vmcore'))
    # A damaged dump (generated once into the tests/hostile cache).
    try:
        sys.path.insert(0, os.path.join(ROOT, 'tests', 'hostile'))
        import variants
        base, vm, _info = variants.variant(DAMAGED, work)
        put('damaged', 'bad/damaged/vmcore', src=vm)
        p['damaged_base'] = base
    except Exception as e:  # no crash, no debuginfo: reported by the check
        p['damaged_error'] = '%s: %s' % (type(e).__name__, e)
    put('router', 'router/dmesg-ramoops-0',
        b'Oops#1 Part1\n'
        b'<6>[ 2301.112233] i40e 0000:07:00.3 eth2: NIC Link is Down\n'
        b'<3>[ 2312.761472] i40e 0000:07:00.3: VSI seid 399 Rx ring 0 disable timeout\n'
        b'<4>[ 2313.000001] general protection fault, probably for non-canonical address '
        b'0x5a00545200010000: 0000 [#1] SMP NOPTI\n'
        b'<4>[ 2313.000950] RIP: 0010:anon_vma_interval_tree_insert+0x48/0xc0\n')
    return p


def wrappers(work):
    """--crash PROG for each installed crash version and target (the cross crash too: the
    triage tells them apart by `crash --buildinfo`, which the wrapper passes on): sleeps for
    the input named hang, the real crash otherwise."""
    out = []
    for v, target in [(v, t) for t in dumpenv.EXTENSION_TARGETS for v in ('8.0.2', '8.0.6')]:
        real = dumpenv.crash_binary(v, target)
        if not real:
            continue
        path = os.path.join(work, 'crash-wrapper-%s-%s' % (v, target))
        with open(path, 'w') as fp:
            fp.write('#!/bin/sh\ncase "$*" in\n*/bad/hang/vmcore*) exec sleep 3600 ;;\nesac\nexec %s "$@"\n'
                     % real)
        os.chmod(path, 0o755)
        out += ['--crash', path]
    return out


def argv(work, out, inputs, extra=()):
    a = [sys.executable, TRIAGE, '-j', '2', '--timeout', str(TIMEOUT)] + wrappers(work) + \
        ['-o', out] + list(extra)
    if os.environ.get('VMLINUX'):
        a += ['--debuginfo', os.path.dirname(os.environ['VMLINUX'])]
    return a + inputs


def leftovers(work):
    """Processes still running with our temporary directory on their command line."""
    pids = []
    for pid in os.listdir('/proc'):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open('/proc/%s/cmdline' % pid, 'rb') as fp:
                cmd = fp.read().replace(b'\0', b' ').decode('utf-8', 'replace')
            with open('/proc/%s/stat' % pid) as fp:
                if fp.read().rsplit(')', 1)[1].split()[0] == 'Z':
                    continue
        except OSError:
            continue
        if work in cmd:
            pids.append('%s %s' % (pid, cmd[:120]))
    return pids


def results_of(out):
    res = {}
    for f in os.listdir(out):
        # .tmp-* files are results being written (renamed into place, or gone, any moment)
        if f.endswith('.json') and f != 'summary.json' and not f.startswith('.'):
            try:
                with open(os.path.join(out, f)) as fp:
                    r = json.load(fp)
            except FileNotFoundError:
                continue
            res[r['path']] = r
    return res


def check_run1(work, out, proc, bad, dumps, html):
    res = results_of(out)
    byname = {os.path.relpath(p, ROOT) if p.startswith(ROOT + '/') else os.path.relpath(p, work): r
              for p, r in res.items()}
    check('run 1: exit status 1 (something flagged)', proc.returncode == 1,
          'exit %s: %s' % (proc.returncode, proc.stderr[-600:]))
    for s in dumps:
        truth = json.load(open(os.path.join(ROOT, 'dumps', s, 'truth.json')))['expected']
        r = byname.get('dumps/%s/vmcore' % s, {})
        want = VERDICT[truth['verdict']]
        check('%s: verdict %s' % (s, want), r.get('status') == 'ok' and r.get('verdict') == want,
              'got status %s verdict %s reason %s' % (r.get('status'), r.get('verdict'), r.get('reason')))
        if want == 'dma-after-free':
            check('%s: flagged, suspect %s (%s), flows, evidence, pcap' % (s, truth['netdev'], truth['driver']),
                  r.get('flagged') and r.get('netdev') == truth['netdev'] and r.get('driver') == truth['driver']
                  and r.get('flows') and r.get('evidence') and r.get('pcap')
                  and head(os.path.join(out, r['pcap']))[:4] == b'\n\r\r\n',
                  {k: r.get(k) for k in ('flagged', 'netdev', 'driver', 'pcap')})
        else:
            check('%s: not flagged, no suspect' % s, not r.get('flagged') and not r.get('netdev'),
                  {k: r.get(k) for k in ('flagged', 'netdev', 'driver')})
        need = dumpenv.crash_versions_for(s)[:1]
        target = dumpenv.crash_target(dumpenv.release_of(s))
        check('%s: opened by crash %s for %s with %s, the oldest here that reads kernel %s' % (
            s, need[0] if need else '?', target, os.path.basename(dumpenv.extension_for(s)),
            dumpenv.release_of(s)),
            need and (r.get('crash') or {}).get('version') == need[0] and not r.get('crash_fallback')
            and (r.get('crash') or {}).get('target') == target
            and r.get('extension') == os.path.join(ROOT, dumpenv.extension_for(s)),
            {k: r.get(k) for k in ('crash', 'crash_fallback', 'extension', 'arch')})
        mm = r.get('memmap') or {}
        check('%s: vmlinux matched by build-id, kernel and panic named, frames mapped' % s,
              r.get('vmlinux_match') == 'build-id' and r.get('kernel') and r.get('panic') and mm.get('cells')
              and mm.get('frames') == (r.get('counts') or {}).get('frames'),
              {k: r.get(k) for k in ('vmlinux_match', 'kernel', 'panic', 'counts')})
        c = byname.get('dumps/%s/console.log' % s, {})
        # The headline comes from the oops in the dump's log; the serial console saw the same oops.
        check('%s: panic headline from the oops, as in console.log (%s)' % (s, r.get('panic')),
              r.get('panic') and r.get('panic') == c.get('panic') and 'check log' not in r['panic'],
              'dump: %s; console.log: %s' % (r.get('panic'), c.get('panic')))
        check('%s: no ring -1 (unknown rings are left out)' % s,
              r.get('ring') is None or r['ring'] >= 0, r.get('ring'))
        check('%s/console.log: a log, classified (no NIC signature)' % s,
              c.get('kind') == 'log' and c.get('status') == 'ok' and c.get('verdict') == 'no-nic-signature'
              and c.get('panic'), {k: c.get(k) for k in ('kind', 'status', 'verdict', 'panic')})
        t = byname.get('dumps/%s/truth.json' % s, {})
        check('%s/truth.json: skipped as not a dump' % s,
              t.get('status') == 'skipped' and t.get('reason', '').startswith('not a dump'), t.get('reason'))
    expect = {  # input: (status, reason pattern)
        'truncated': ('truncated', r'^truncated vmcore: '),
        'truncated-flat': ('truncated', r'^truncated vmcore: flattened .*(end marker|needs)'),
        'garbage': ('invalid', r'^invalid vmcore: block size 3$'),
        'notadump': ('skipped', r'^not a dump: unknown format'),
        'nomatch': ('no-vmlinux', r'^no vmlinux with build-id %s ' % bad['nomatch_build_id']),
        'hang': ('timeout', r'^crash did not finish in %ds' % TIMEOUT),
    }
    for name, (status, pat) in expect.items():
        r = byname.get(os.path.relpath(bad[name], work), {})
        check('bad input %s: %s, reason /%s/' % (name, status, pat),
              r.get('status') == status and re.search(pat, r.get('reason') or '') and not r.get('flagged'),
              'got %s: %s' % (r.get('status'), r.get('reason')))
    r = byname.get('bad/damaged/vmcore', {})
    check('damaged dump (tests/hostile %s of %s): its own row, analysed, not flagged' % (
        DAMAGED, bad.get('damaged_base')),
        'damaged' in bad and r.get('status') == 'ok' and r.get('verdict') and not r.get('flagged')
        and any('bad device list pointer' in n for n in r.get('notes') or []),
        bad.get('damaged_error') or {k: r.get(k) for k in ('status', 'reason', 'verdict', 'flagged',
                                                            'notes')})
    r = byname.get('router/dmesg-ramoops-0', {})
    check('pstore dmesg: nic-trouble-in-log (i40e rx-ring-disable-timeout), flagged',
          r.get('kind') == 'log' and r.get('verdict') == 'nic-trouble-in-log' and r.get('flagged')
          and r.get('driver') == 'i40e' and any(s.get('kind') == 'rx-ring-disable-timeout'
                                                for s in r.get('log_signatures') or []),
          {k: r.get(k) for k in ('kind', 'verdict', 'flagged', 'driver')})

    summ = json.load(open(os.path.join(out, 'summary.json')))
    ids = {r['id'] for r in res.values()}
    check('summary.json: one entry per input (%d), nothing else' % len(res),
          summ['inputs'] == len(res) and {x['id'] for x in summ['results']} == ids,
          (summ['inputs'], len(res)))
    flagged = {r['id'] for r in res.values() if r.get('flagged')}
    check('summary.json: flagged = the DMA dumps and the router log (%d)' % len(flagged),
          set(summ['flagged']) == flagged and len(flagged) == 1 + sum(
              1 for s in dumps if json.load(open(os.path.join(ROOT, 'dumps', s, 'truth.json')))['expected'][
                  'verdict'] == 'dma-after-free'), summ['flagged'])
    nics = {'%s %s' % (json.load(open(os.path.join(ROOT, 'dumps', s, 'truth.json')))['expected'].get('driver'),
                       json.load(open(os.path.join(ROOT, 'dumps', s, 'truth.json')))['expected'].get('netdev'))
            for s in dumps
            if json.load(open(os.path.join(ROOT, 'dumps', s, 'truth.json')))['expected']['verdict'] == 'dma-after-free'}
    check('cross-dump groups: every truth NIC is a group', nics <= set(summ['by_nic']), sorted(summ['by_nic']))
    shown = [r for r in res.values() if r['status'] != 'skipped']
    check('terminal table: a row per dump and log, flagged rows marked',
          all(re.search(r'^%s %s' % ('!' if r.get('flagged') else ' ', re.escape(r['id'][:30])), proc.stdout, re.M)
              for r in shown), proc.stdout[:800])
    check('no temporary or half-written files left in OUT',
          not [f for f in os.listdir(out) if f.startswith(('.tmp-', '.work-'))], os.listdir(out))

    with open(html, encoding='utf-8') as fp:
        page = fp.read()
    missing = [i for i in ids if 'id="%s"' % i not in page]
    check('html: a section for every input (%d)' % len(ids), not missing, missing[:5])
    fetch = re.findall(r'(?:src|href)\s*=\s*["\']?(?!#)[^"\' >]+|url\(|@import|<link|<iframe|<object|https?://', page)
    check('html: self-contained (no src/href/url()/link to fetch)', not fetch, fetch[:5])
    rows = re.findall(r'<tr class="([^"]*)"><td><a href="#', page)
    nflag = sum(1 for r in res.values() if r.get('flagged'))
    check('html: flagged rows first (%d)' % nflag, rows[:nflag] == ['flag'] * nflag and 'flag' not in rows[nflag:],
          rows)
    skipped = [r['id'] for r in res.values() if r['status'] == 'skipped']
    m = re.search(r'<details id="skipped">.*</details>', page, re.S)
    check('html: the %d skipped inputs in a collapsed section at the end' % len(skipped),
          m and all(i in m.group(0) for i in skipped) and m.start() > page.rindex('<h2 id='), skipped[:3])
    # Every dump crash opened, the damaged one too (logs have no map).
    opened = sum(1 for r in res.values()
                 if r.get('status') == 'ok' and r.get('kind') in ('kdump', 'flattened', 'elf-core'))
    check('html: an SVG memory map per opened dump (%d)' % opened,
          page.count('<svg class="memmap"') == opened, page.count('<svg class="memmap"'))
    check('html: evidence tables with every dmaf evidence text',
          all(html_escape(e['text'][:60]) in page for r in res.values() for e in (r.get('evidence') or [])), '')


def html_escape(s):
    import html
    return html.escape(s)


def chromium_check(work, report, ids):
    exe = next((shutil.which(c) for c in ('chromium', 'chromium-browser', 'google-chrome') if shutil.which(c)), None)
    if not exe:
        print('SKIP html in chromium: chromium not installed (scripts/install-deps test)')
        return
    base = [exe, '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
            '--disable-component-update', '--disable-sync', '--no-first-run', '--enable-logging=stderr',
            '--v=0', '--host-resolver-rules=MAP * ~NOTFOUND', '--window-size=1400,2400']

    def render(page, what):
        ud = tempfile.mkdtemp(prefix='chromium-', dir=work)
        return subprocess.run(base + ['--user-data-dir=' + ud] + what + ['file://' + page],
                              capture_output=True, text=True, errors='replace', timeout=120)

    def console(err):
        return [l for l in err.splitlines() if ':CONSOLE' in l or 'Uncaught' in l]
    # The check must be able to fail: a page with a script error shows up.
    bad = os.path.join(work, 'bad.html')
    with open(bad, 'w') as fp:
        fp.write('<!DOCTYPE html><html><body><script>nosuch();</script></body></html>')
    check('chromium reports a console error of a broken page (the check works)',
          console(render(bad, ['--dump-dom']).stderr), 'no CONSOLE line')
    p = render(report, ['--dump-dom'])
    missing = [i for i in ids if i not in p.stdout]
    check('chromium: the report loads, every input in the DOM', p.returncode == 0 and not missing,
          'exit %s, missing %s' % (p.returncode, missing[:5]))
    check('chromium: no console messages', not console(p.stderr), console(p.stderr)[:5])
    shot = os.path.join(work, 'report.png')
    p = render(report, ['--screenshot=' + shot])
    ok = os.path.isfile(shot) and os.path.getsize(shot) > 10000 and head(shot)[:8] == b'\x89PNG\r\n\x1a\n'
    check('chromium: screenshot %s' % shot, ok, p.stderr[-300:])
    if ok and os.environ.get('TRIAGE_SCREENSHOT'):
        shutil.copyfile(shot, os.environ['TRIAGE_SCREENSHOT'])


def main():
    t0 = time.time()
    dumps = scenarios()
    if not shutil.which('crash'):
        check('crash is installed', False, 'apt-get install crash')
        print('triage: %d passed, %d failed' % (passed, failed))
        return 1
    work = tempfile.mkdtemp(prefix='triage-test-')
    bad = make_bad_inputs(work, dumps)
    # The bad inputs first: the hang's session starts early and overlaps the good ones.
    inputs = [os.path.join(work, 'bad'), os.path.join(work, 'router')] + \
        [os.path.join(ROOT, 'dumps', s) for s in dumps]

    p = subprocess.run([sys.executable, TRIAGE, '--help'], capture_output=True, text=True)
    check('--help', p.returncode == 0 and 'usage: dmasleuth-triage' in p.stdout and '--debuginfo' in p.stdout,
          p.stdout[:200] + p.stderr[:200])
    p = subprocess.run([sys.executable, TRIAGE, '-o', os.path.join(work, 'none'), os.path.join(work, 'nosuch')],
                       capture_output=True, text=True)
    check('no inputs: exit 2', p.returncode == 2, p.returncode)

    # Run 1: uninterrupted.
    out1, report = os.path.join(work, 'out1'), os.path.join(work, 'report.html')
    t1 = time.time()
    p1 = subprocess.run(argv(work, out1, inputs, ['--pcap', '--html', report]), capture_output=True, text=True,
                        errors='replace', timeout=20 * TIMEOUT)
    t1 = time.time() - t1
    print('run 1: %.0fs' % t1)
    check('run 1: no process left running', not leftovers(work), leftovers(work))
    check_run1(work, out1, p1, bad, dumps, report)
    ids = [r['id'] for r in json.load(open(os.path.join(out1, 'summary.json')))['results']]

    # Run 2: SIGKILL once the first crash session's result is written, then resume.
    out2 = os.path.join(work, 'out2')
    proc = subprocess.Popen(argv(work, out2, inputs), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline, first = time.time() + 10 * TIMEOUT, None
    while time.time() < deadline and proc.poll() is None and not first:
        time.sleep(0.2)
        for r in (results_of(out2) if os.path.isdir(out2) else {}).values():
            if r.get('kind') in ('kdump', 'flattened', 'elf-core') and r.get('status') == 'ok':
                first = r
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = {f: (os.stat(os.path.join(out2, f)).st_mtime_ns, open(os.path.join(out2, f), 'rb').read())
              for f in os.listdir(out2) if f.endswith('.json')}
    done = [r for r in results_of(out2).values() if r.get('kind') in ('kdump', 'flattened', 'elf-core')
            and r['status'] not in ('truncated', 'invalid', 'no-vmlinux')]
    check('run 2: killed after its first crash result (%s), before the end' % (first or {}).get('id'),
          first and len(before) < len(ids) and 'summary.json' not in before, '%d of %d' % (len(before), len(ids)))
    time.sleep(1)
    check('run 2: its crash sessions died with it', not leftovers(work), leftovers(work))
    p2 = subprocess.run(argv(work, out2, inputs), capture_output=True, text=True, errors='replace',
                        timeout=20 * TIMEOUT)
    m = re.search(r'(\d+) of (\d+) inputs already done', p2.stderr)
    check('resume: %s of %s inputs already done' % (m.group(1) if m else '?', m.group(2) if m else '?'),
          m and int(m.group(1)) == len(before) and int(m.group(2)) == len(ids), p2.stderr[-400:])
    redone = [f for f, (mt, data) in before.items() if os.stat(os.path.join(out2, f)).st_mtime_ns != mt
              or open(os.path.join(out2, f), 'rb').read() != data]
    check('resume: finished inputs not redone (their files untouched)', not redone, redone)
    again = [r['id'] for r in done if re.search(r'^dmasleuth-triage: %s: ' % re.escape(r['id']), p2.stderr, re.M)]
    check('resume: no finished crash session run again', not again, again)
    r1 = json.load(open(os.path.join(out1, 'summary.json')))['results']
    r2 = json.load(open(os.path.join(out2, 'summary.json')))['results']
    s1 = {r['id']: {k: r.get(k) for k in COMPARE} for r in r1}
    s2 = {r['id']: {k: r.get(k) for k in COMPARE} for r in r2}
    diff = {i: (s1.get(i), s2.get(i)) for i in set(s1) | set(s2) if s1.get(i) != s2.get(i)}
    check('resume: summary.json equals the uninterrupted run (%s per input)' % '/'.join(COMPARE),
          not diff and p2.returncode == p1.returncode, diff or (p1.returncode, p2.returncode))
    p3 = subprocess.run(argv(work, out2, inputs), capture_output=True, text=True, errors='replace', timeout=120)
    check('a third run has nothing to do', '%d of %d inputs already done' % (len(ids), len(ids)) in p3.stderr
          and p3.returncode == p1.returncode, p3.stderr[-300:])

    chromium_check(work, report, ids)
    if os.environ.get('TRIAGE_TEST_KEEP'):
        print('kept %s' % work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    print('triage test: %.0fs' % (time.time() - t0))
    print('triage: %d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
