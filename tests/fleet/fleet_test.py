#!/usr/bin/env python3
"""tests/fleet/fleet_test.py: dmasleuth-triage over many hosts, for real on this machine.

GNU parallel over ssh: two hosts, each an sshd on a 127.0.0.1 port in its own mount and
UTS namespace (tests/fleet/sshhosts.py: its own hostname, its own directory seen at one
shared /var/crash-like path, its own remote working directory; keys generated here).
  hostA: the e1000 DMA dump, the clean dump, a console log, a note that is not a dump
  hostB: the virtio DMA dump, the slab use-after-free dump, the e1000 DMA dump again
Run 1: hostB is killed (its sshd and sessions, SIGKILL) once its first dump result is
written on the host: hostA's inputs are merged, each of hostB's is "not-done" with the
reason, exit 3.  Run 2 (hostB back): the rest is done, the dump hostB had finished is not
redone, exit 1; the cross-dump groups span hosts (the e1000 NIC and its flows on both);
every input names its host; --merge of the returned directories gives the same summary.

Slurm: the script --slurm writes is checked with bash -n; when slurmctld, slurmd and
munged are installed, a single-node Slurm is started here (tests/fleet/slurmlocal.py), the
array is submitted with sbatch, and its parts merged; else each task is run by hand with
SLURM_ARRAY_TASK_ID set, and the test says so.

Last line: "fleet: N passed, N failed".  FLEET_TEST_TIMEOUT (default 300): per-dump timeout.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, 'tests'))
import dumpenv  # noqa: E402
import slurmlocal  # noqa: E402
import sshhosts  # noqa: E402

TRIAGE = os.path.join(ROOT, 'scripts', 'dmasleuth-triage')
TIMEOUT = int(os.environ.get('FLEET_TEST_TIMEOUT', '300'))
VERDICT = {'dma-after-free': 'dma-after-free', 'no-dma-after-free': 'no-corruption-found',
           'slab-corruption-not-dma': 'slab-corruption-not-dma'}
LAYOUT = {  # host: [(directory under its /var/crash, lab dump)]
    'hostA': [('2026-11-01-e1000', 'e1000-vma'), ('2026-11-03-clean', 'clean-traffic')],
    'hostB': [('2026-11-02-virtio', 'virtio-vlan'), ('2026-11-04-uaf', 'slab-uaf'), ('2026-11-05-e1000', 'e1000-vma')],
}

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


def truth(dump):
    with open(os.path.join(ROOT, 'dumps', dump, 'truth.json')) as fp:
        return json.load(fp)['expected']


def link(src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def leftovers(work):
    out = []
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
        if work in cmd and 'sshd' not in cmd and 'unshare' not in cmd:
            out.append('%s %s' % (pid, cmd[:120]))
    return out


def results(d):
    out = {}
    for f in os.listdir(d) if os.path.isdir(d) else []:
        if f.endswith('.json') and f not in ('summary.json', 'inventory.json', 'fleet.json'):
            with open(os.path.join(d, f)) as fp:
                r = json.load(fp)
            out[r['path']] = r
    return out


def fleet_tests(work, debuginfo):
    crash_at = os.path.join(work, 'mnt', 'var-crash')  # every host's "/var/crash"
    wd = os.path.join(work, 'mnt', 'wd')  # every host's working directory
    os.makedirs(crash_at)
    os.makedirs(wd)
    hosts = sshhosts.SshHosts(os.path.join(work, 'hosts'), sorted(LAYOUT), binds={crash_at: 'crash', wd: 'wd'})
    expect = {}  # (host, path on the host): lab dump, or None for a non-dump
    for h, items in LAYOUT.items():
        for sub, dump in items:
            link(os.path.join(ROOT, 'dumps', dump, 'vmcore'), os.path.join(hosts.dir(h), 'crash', sub, 'vmcore'))
            expect[(h, os.path.join(crash_at, sub, 'vmcore'))] = dump
    link(os.path.join(ROOT, 'dumps', 'e1000-vma', 'console.log'),
         os.path.join(hosts.dir('hostA'), 'crash', '2026-11-01-e1000', 'dmesg.txt'))
    with open(os.path.join(hosts.dir('hostA'), 'crash', 'README'), 'w') as fp:
        fp.write('kdump writes here\n')
    slf = os.path.join(work, 'hosts.slf')
    with open(slf, 'w') as fp:
        fp.write('# the fleet\n1/hostA\n1/hostB\n')
    out = os.path.join(work, 'out')
    html = os.path.join(work, 'fleet.html')
    argv = [sys.executable, TRIAGE, '--hosts', slf, '--ssh', hosts.ssh(), '--remote-dir', wd,
            '--remote-triage', '%s %s' % (sys.executable, TRIAGE), '-j', '1', '--timeout', str(TIMEOUT),
            '-o', out, '--html', html, '--pcap'] + sum((['--debuginfo', d] for d in debuginfo), []) + [crash_at]
    hosts.start()
    try:
        run_fleet(work, hosts, argv, out, html, expect, crash_at)
    finally:
        hosts.stop()
    check('no process of the test left running', not leftovers(work), leftovers(work))


def run_fleet(work, hosts, argv, out, html, expect, crash_at):
    b_remote = os.path.join(hosts.dir('hostB'), 'wd', 'triage-hosts', 'hostB')
    t0 = time.time()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors='replace')
    first, deadline = None, time.time() + 6 * TIMEOUT
    while time.time() < deadline and proc.poll() is None and not first:
        time.sleep(0.3)
        for r in results(b_remote).values():
            if r.get('kind') in ('kdump', 'flattened', 'elf-core') and r.get('status') == 'ok':
                first = r
    if first:
        hosts.kill('hostB')
    stdout, stderr = proc.communicate(timeout=6 * TIMEOUT)
    t1 = time.time() - t0
    print('fleet run 1: %.0fs' % t1)
    check('run 1: hostB killed after its first dump result (%s)' % (first or {}).get('path'), first,
          stderr[-500:])
    check('run 1: exit 3 (inputs not done)', proc.returncode == 3, 'exit %s: %s' % (proc.returncode, stderr[-500:]))
    summ = json.load(open(os.path.join(out, 'summary.json')))
    by = {(r['origin'], r['path']): r for r in summ['results']}
    a_ok = [(k, r) for k, r in by.items() if k[0] == 'hostA']
    check('run 1: hostA: every input there (2 dumps, a log, a skipped note)', len(a_ok) == 4, sorted(by))
    for (h, path), dump in sorted(expect.items()):
        r = by.get((h, path), {})
        if h == 'hostA':
            want = VERDICT[truth(dump)['verdict']]
            check('run 1: hostA %s: %s' % (path, want), r.get('status') == 'ok' and r.get('verdict') == want,
                  {k: r.get(k) for k in ('status', 'verdict', 'reason')})
        else:
            check('run 1: hostB %s: not done, with the reason' % path,
                  r.get('status') == 'not-done' and 'connection was lost' in (r.get('reason') or ''),
                  {k: r.get(k) for k in ('status', 'reason')})
    check('run 1: summary.json says hostB did not finish, and why',
          summ['hosts']['hostB']['not_done'] == 3 and 'hostB' in summ['not_done_reasons']
          and summ['hosts']['hostA']['not_done'] == 0, summ.get('hosts'))
    check('run 1: the terminal says which host failed', re.search(r'^host hostB: 3 inputs not done: ', stdout, re.M),
          stdout[-400:])
    mtimes = {f: os.stat(os.path.join(b_remote, f)).st_mtime_ns for f in os.listdir(b_remote)
              if f.endswith('.json') and f != 'summary.json'}

    # Run 2: hostB is back; the same command finishes the rest.
    hosts.start('hostB')
    t0 = time.time()
    p = subprocess.run(argv, capture_output=True, text=True, errors='replace', timeout=6 * TIMEOUT)
    print('fleet run 2: %.0fs' % (time.time() - t0))
    check('run 2: exit 1 (flagged, everything done)', p.returncode == 1,
          'exit %s: %s' % (p.returncode, p.stderr[-500:]))
    summ = json.load(open(os.path.join(out, 'summary.json')))
    by = {(r['origin'], r['path']): r for r in summ['results']}
    for (h, path), dump in sorted(expect.items()):
        r = by.get((h, path), {})
        t = truth(dump)
        want = VERDICT[t['verdict']]
        ok = r.get('status') == 'ok' and r.get('verdict') == want
        if want == 'dma-after-free':
            ok = ok and r.get('netdev') == t['netdev'] and r.get('driver') == t['driver'] and r.get('flagged')
        check('run 2: %s %s (%s): %s' % (h, path, dump, want), ok,
              {k: r.get(k) for k in ('status', 'verdict', 'netdev', 'driver', 'reason')})
    check('run 2: nothing not done', not summ['not_done'] and not any(
        r['status'] == 'not-done' for r in summ['results']), summ['not_done'])
    redone = [f for f, mt in mtimes.items() if not os.path.exists(os.path.join(b_remote, f))
              or os.stat(os.path.join(b_remote, f)).st_mtime_ns != mt]
    check('run 2: what hostB had finished before it died was not redone (%d results)' % len(mtimes),
          mtimes and not redone, redone)
    check('every input names its host (summary.json origin, table column)',
          all(r.get('origin') in LAYOUT for r in summ['results'])
          and re.search(r'^\s+dump\s+host\s+kernel', p.stdout, re.M), p.stdout[:300])
    e1000 = [r['id'] for r in summ['results'] if r.get('driver') == 'e1000' and r.get('flagged')]
    grp = summ['by_nic'].get('e1000 eth0', [])
    check('cross-dump groups span hosts: NIC e1000 eth0 on hostA and hostB',
          sorted(grp) == sorted(e1000) and {i.split(':')[0] for i in grp} == {'hostA', 'hostB'}, grp)
    rec = [k for k, v in summ['recurring_flows'].items() if {i.split(':')[0] for i in v} == {'hostA', 'hostB'}]
    check('recurring flows across hosts (the e1000 dump on both)', rec, summ['recurring_flows'])
    pcaps = [r['pcap'] for r in summ['results'] if r.get('pcap')]
    check('pcaps of flagged dumps came back, named relative to OUT',
          pcaps and all(os.path.isfile(os.path.join(out, x)) for x in pcaps), pcaps)
    with open(html) as fp:
        page = fp.read()
    check('html: every input, the host column, flagged first',
          all('id="%s"' % r['id'] in page for r in summ['results'] if r['status'] != 'skipped')
          and '<th>host</th>' in page and re.search(r'<tr class="flag"><td><a href="#host', page), '')

    # --merge of the directories that came back gives the same answer.
    merged = os.path.join(work, 'merged')
    dirs = [os.path.join(out, 'triage-hosts', h) for h in sorted(LAYOUT)]
    p = subprocess.run([sys.executable, TRIAGE, '--merge', '-o', merged] + dirs, capture_output=True, text=True)
    m = json.load(open(os.path.join(merged, 'summary.json')))
    key = ('id', 'origin', 'status', 'verdict', 'netdev', 'driver', 'flagged')
    same = [{k: r.get(k) for k in key} for r in m['results']] == [{k: r.get(k) for k in key} for r in summ['results']]
    check('--merge DIR... of the returned directories: the same results and groups, exit 1',
          p.returncode == 1 and same and m['by_nic'] == summ['by_nic'], p.stderr[-300:])
    p = subprocess.run([sys.executable, TRIAGE, '--merge', '-o', os.path.join(work, 'm2'),
                        os.path.join(work, 'nosuch')], capture_output=True, text=True)
    check('--merge of nothing: exit 2', p.returncode == 2, p.returncode)


def slurm_tests(work, debuginfo):
    src = os.path.join(work, 'slurm-in', 'node7')
    for dump in ('e1000-vma', 'slab-uaf'):
        link(os.path.join(ROOT, 'dumps', dump, 'vmcore'), os.path.join(src, dump, 'vmcore'))
    out = os.path.join(work, 'slurm-out')
    script = os.path.join(work, 'triage.sbatch')
    p = subprocess.run([sys.executable, TRIAGE, '--slurm', script, '-o', out, '-j', '1', '--timeout', str(TIMEOUT)]
                       + sum((['--debuginfo', d] for d in debuginfo), []) + [src], capture_output=True, text=True)
    check('--slurm writes a job array script (2 tasks)', p.returncode == 0 and os.path.isfile(script)
          and '#SBATCH --array=0-1' in open(script).read(), p.stdout + p.stderr)
    p = subprocess.run(['bash', '-n', script], capture_output=True, text=True)
    check('the Slurm script parses (bash -n)', p.returncode == 0, p.stderr)
    p = subprocess.run(['bash', script], capture_output=True, text=True, env=dict(os.environ, SLURM_ARRAY_TASK_ID=''))
    check('the Slurm script refuses to run outside sbatch', p.returncode != 0 and 'sbatch' in p.stderr, p.stderr)
    missing = slurmlocal.SlurmLocal.available()
    if missing:
        print('SKIP Slurm daemons (%s missing): each task run by hand with SLURM_ARRAY_TASK_ID' % ', '.join(missing))
        for t in range(2):
            subprocess.run(['bash', script], env=dict(os.environ, SLURM_ARRAY_TASK_ID=str(t)),
                           capture_output=True, timeout=4 * TIMEOUT)
    else:
        s = slurmlocal.SlurmLocal(os.path.join(work, 'slurm'))
        try:
            s.start()
            t0 = time.time()
            p = subprocess.run(['sbatch', script], capture_output=True, text=True, env=s.env)
            check('sbatch accepts the script', p.returncode == 0 and 'Submitted batch job' in p.stdout,
                  p.stdout + p.stderr + s.log_tail())
            ok = s.wait_jobs(6 * TIMEOUT)
            print('slurm array: %.0fs' % (time.time() - t0))
            check('the Slurm array finished', ok, s.log_tail())
        finally:
            s.stop()
    parts = sorted(os.path.join(out, 'parts', d) for d in os.listdir(os.path.join(out, 'parts'))) \
        if os.path.isdir(os.path.join(out, 'parts')) else []
    merged = os.path.join(work, 'slurm-merged')
    p = subprocess.run([sys.executable, TRIAGE, '--merge', '-o', merged] + parts, capture_output=True, text=True)
    summ = json.load(open(os.path.join(merged, 'summary.json'))) if os.path.isfile(
        os.path.join(merged, 'summary.json')) else {'results': []}
    got = {os.path.basename(os.path.dirname(r['path'])): r for r in summ['results']}
    ok = len(parts) == 2 and p.returncode == 1
    for dump in ('e1000-vma', 'slab-uaf'):
        ok = ok and got.get(dump, {}).get('verdict') == VERDICT[truth(dump)['verdict']]
    check('Slurm parts merged: 2 tasks, each verdict as its truth', ok,
          {k: (r.get('status'), r.get('verdict')) for k, r in got.items()})


def main():
    t0 = time.time()
    for tool in ('parallel', 'rsync', 'crash', '/usr/sbin/sshd'):
        if not shutil.which(tool):
            check('%s is installed (scripts/install-deps test)' % tool, False, 'missing')
            print('fleet: %d passed, %d failed' % (passed, failed))
            return 1
    debuginfo = sorted({os.path.dirname(dumpenv.vmlinux(dumpenv.release_of(d))) for d in
                        ('e1000-vma', 'slab-uaf')})
    work = tempfile.mkdtemp(prefix='fleet-test-')
    try:
        fleet_tests(work, debuginfo)
        slurm_tests(work, debuginfo)
    finally:
        if os.environ.get('FLEET_TEST_KEEP'):
            print('kept %s' % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print('fleet test: %.0fs' % (time.time() - t0))
    print('fleet: %d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
