"""Many hosts: triage on each host with GNU parallel over ssh, a Slurm array script, and
--merge of per-host result directories into one report.  No scheduler of our own: GNU
parallel runs the sessions and brings the results back, Slurm runs the array.

GNU parallel (--hosts FILE, an sshloginfile): two `parallel --nonall` passes, each
running the same command on every host:
  1. `dmasleuth-triage --list PATH...`: the host's inputs (path, size), so that the
     inputs of a host that fails later are still known, and reported as not done;
  2. `dmasleuth-triage -o triage-hosts/$PARALLEL_SSHHOST --origin $PARALLEL_SSHHOST ...
     PATH...` in the remote working directory (--remote-dir), whose triage-hosts/ comes
     back with `--return` (rsync) into OUT/triage-hosts/<host>/.
The remote result directories stay, so a rerun resumes on each host where it stopped:
what a failed host had finished is kept, the rest is done.  Then --merge of
OUT/triage-hosts/* into OUT.
"""
import datetime
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

from . import VERSION, warn
from .report import print_report, summary, write_html
from .store import dump_id, file_stamp, find_inputs, lock_out, write_atomic

HOSTS_DIR = 'triage-hosts'  # under OUT locally, under --remote-dir on each host
META = ('summary.json', 'inventory.json', 'fleet.json')


# ---------------------------------------------------------------- the host list

def sshlogin_host(line):
    """The host part of a GNU parallel sshlogin line ("4//usr/bin/ssh -p 22 user@host" ->
    "host"), as parallel's $PARALLEL_SSHHOST has it; None for ":" (this machine), blank
    lines and comments."""
    line = line.strip()
    if not line or line.startswith('#'):
        return None
    m = re.match(r'^\d+/', line)
    if m:
        line = line[m.end():]
    host = line.split()[-1] if line.split() else ''
    host = host.rsplit('@', 1)[-1]
    return None if host in ('', ':') else host


def read_hosts(path):
    with open(path) as fp:
        lines = [ln.rstrip('\n') for ln in fp]
    hosts = [h for h in (sshlogin_host(ln) for ln in lines) if h]
    return [ln for ln in lines if sshlogin_host(ln)], hosts


def safe_host(h):
    return re.sub(r'[^A-Za-z0-9._-]+', '_', h).strip('.') or 'host'


# ---------------------------------------------------------------- the inventory (--list)

def list_inputs(paths, out):
    """--list: one JSON line per input (path, size, mtime) under PATHs, as a triage run
    with the same PATHs and OUT would find them."""
    for p in find_inputs(paths, out, None):
        try:
            st = file_stamp(p)
        except OSError:
            continue
        print(json.dumps({'path': os.path.abspath(p), 'id': dump_id(p), 'size': st['size']}))
    return 0


# ---------------------------------------------------------------- GNU parallel

def parallel_cmd(args, slf, joblog, command, ret=None):
    cmd = ['parallel', '--will-cite', '--nonall', '--tag', '--slf', slf, '--joblog', joblog,
           '--timeout', str(args.host_timeout)]
    if args.ssh:
        cmd += ['--ssh', args.ssh]
    if args.remote_dir:
        cmd += ['--wd', args.remote_dir]
    if ret:
        cmd += ['--return', ret]
    return cmd + [command]


def joblog(path):
    """{host: {'exit', 'signal', 'seconds'}} from a GNU parallel joblog."""
    out = {}
    try:
        with open(path) as fp:
            lines = fp.read().splitlines()[1:]
    except OSError:
        return out
    for ln in lines:
        f = ln.split('\t')
        if len(f) >= 8:
            try:
                out[f[1]] = {'exit': int(f[6]), 'signal': int(f[7]), 'seconds': float(f[3])}
            except ValueError:
                continue
    return out


def tagged(text):
    """{host: [lines]} from --tag output."""
    out = {}
    for ln in text.splitlines():
        h, sep, rest = ln.partition('\t')
        if sep:
            out.setdefault(h, []).append(rest)
    return out


def why_failed(job, lines, what):
    """One line: why a host's job failed."""
    if job is None:
        return '%s: no job ran (GNU parallel gave no record for this host)' % what
    if job['exit'] == 255:
        why = 'ssh failed or the connection was lost (exit 255)'
    elif job['signal']:
        why = 'killed by signal %d' % job['signal']
    elif job['exit'] == -1:
        why = 'timed out (--host-timeout)'
    else:
        why = 'exit %d' % job['exit']
    err = [ln.strip() for ln in lines if ln.strip() and not ln.startswith('{')]
    if err:
        why += ': ' + ' | '.join(err[-2:])[:300]
    return '%s after %.0fs: %s' % (what, job['seconds'], why)


def remote_options(args):
    """The triage options every host gets."""
    opts = ['-q', '-j', str(args.jobs), '--timeout', str(args.timeout)]
    for d in args.debuginfo:
        opts += ['--debuginfo', d]
    for c in args.crash:
        opts += ['--crash', c]
    for e in args.extension:
        opts += ['--extension', e]
    if getattr(args, 'target', None):
        opts += ['--target', args.target]
    if args.pcap:
        opts.append('--pcap')
    if args.rerun:
        opts.append('--rerun')
    if args.retry:
        opts.append('--retry')
    if getattr(args, 'redact', None):
        opts += ['--redact', args.redact]  # a key file must be at that path on every host
    return opts


def run_parallel(args):
    """--hosts FILE: triage on every host, results back, one merged report."""
    if not shutil.which('parallel'):
        warn('GNU parallel not found (apt-get install parallel)')
        return 2
    try:
        lines, hosts = read_hosts(args.hosts)
    except OSError as e:
        warn('%s: %s' % (args.hosts, e.strerror))
        return 2
    if not hosts:
        warn('%s: no hosts' % args.hosts)
        return 2
    lock = lock_out(args.out)
    if not lock:
        return 2
    out = os.path.abspath(args.out)
    meta = os.path.join(out, '.fleet')
    os.makedirs(os.path.join(out, HOSTS_DIR), exist_ok=True)
    os.makedirs(meta, exist_ok=True)
    slf = os.path.join(meta, 'sshloginfile')
    with open(slf, 'w') as fp:
        fp.write('\n'.join(lines) + '\n')
    remote = args.remote_triage
    paths = ' '.join(shlex.quote(p) for p in args.paths)
    t0 = time.time()

    # 1. Every host's inputs.
    rout = '%s/"$PARALLEL_SSHHOST"' % HOSTS_DIR
    p = subprocess.run(parallel_cmd(args, slf, os.path.join(meta, 'list.joblog'),
                                    '%s --list -o %s %s' % (remote, rout, paths)),
                       capture_output=True, text=True, errors='replace', cwd=out)
    listed, errs, jobs = tagged(p.stdout), tagged(p.stderr), joblog(os.path.join(meta, 'list.joblog'))
    state = {}
    for h in hosts:
        d = os.path.join(out, HOSTS_DIR, safe_host(h))
        os.makedirs(d, exist_ok=True)
        inv = []
        for ln in listed.get(h, []):
            try:
                inv.append(json.loads(ln))
            except ValueError:
                continue
        ok = jobs.get(h, {}).get('exit') == 0
        if ok:
            now = datetime.datetime.now().isoformat(timespec='seconds')
            write_atomic(os.path.join(d, 'inventory.json'),
                         {'host': h, 'paths': args.paths, 'inputs': inv, 'listed': now})
        state[h] = {'host': h, 'listed': ok, 'inputs': len(inv) if ok else None,
                    'reason': None if ok else why_failed(jobs.get(h), errs.get(h, []), 'listing the inputs')}
        if not args.quiet:
            warn('%s: %s' % (h, '%d inputs' % len(inv) if ok else state[h]['reason']))

    # 2. The triage on every host; each host's triage-hosts/ comes back.
    cmd = '%s %s -o %s --origin "$PARALLEL_SSHHOST" %s; rc=$?; [ $rc -le 1 ] || exit $rc' % (
        remote, ' '.join(shlex.quote(o) for o in remote_options(args)), rout, paths)
    if not args.quiet:
        warn('triage on %d host%s (GNU parallel)' % (len(hosts), '' if len(hosts) == 1 else 's'))
    p = subprocess.run(parallel_cmd(args, slf, os.path.join(meta, 'triage.joblog'), cmd,
                                    ret='%s/./%s' % (out, HOSTS_DIR)),
                       capture_output=True, text=True, errors='replace', cwd=out)
    errs, jobs = tagged(p.stderr), joblog(os.path.join(meta, 'triage.joblog'))
    with open(os.path.join(meta, 'triage.stderr'), 'w') as fp:
        fp.write(p.stderr)
    for h in hosts:
        job = jobs.get(h)
        st = state[h]
        st['job'] = job
        if job and job['exit'] == 0:
            st['done'] = True
        else:
            st['done'] = False
            st['reason'] = st['reason'] or why_failed(job, errs.get(h, []), 'the triage')
        st['finished'] = datetime.datetime.now().isoformat(timespec='seconds')
        write_atomic(os.path.join(out, HOSTS_DIR, safe_host(h), 'fleet.json'), st)
        if not args.quiet and not st['done']:
            warn('%s: %s' % (h, st['reason']))
    dirs = [os.path.join(out, HOSTS_DIR, safe_host(h)) for h in hosts]
    lock.close()
    return merge(dirs, args.out, args.html, quiet=args.quiet, extra={
        'engine': 'GNU parallel', 'wall_seconds': round(time.time() - t0, 1)})


# ---------------------------------------------------------------- --merge

def load_dir(d):
    """(origin, results, inventory, fleet) of one per-host result directory."""
    def js(name):
        try:
            with open(os.path.join(d, name)) as fp:
                v = json.load(fp)
            return v if isinstance(v, dict) else None
        except (OSError, ValueError):
            return None
    fleet, inv, summ = js('fleet.json'), js('inventory.json'), js('summary.json')
    results = []
    for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if not f.endswith('.json') or f in META or f.startswith('.'):
            continue
        r = js(f)
        if r and r.get('id') and r.get('path') and r.get('status'):
            results.append(r)
    origin = (fleet or {}).get('host') or (inv or {}).get('host') or \
        next((r['origin'] for r in results if r.get('origin')), None) or os.path.basename(os.path.normpath(d))
    return origin, results, inv, fleet, summ


def merge(dirs, out, html=None, quiet=False, extra=None):
    """--merge DIR...: the results of per-host result directories as one summary.json,
    table and HTML report; the cross-dump groups over all hosts; every input named with
    its host; inputs a host listed but has no result for are 'not-done' with the reason."""
    lock = lock_out(out)
    if not lock:
        return 2
    merged, hosts, not_done, reasons = [], {}, [], {}
    seen_origin = {}
    for d in dirs:
        if not os.path.isdir(d):
            warn('%s: not a directory' % d)
            continue
        origin, results, inv, fleet, _ = load_dir(d)
        n = seen_origin.get(origin, 0)
        seen_origin[origin] = n + 1
        if n:
            origin = '%s#%d' % (origin, n + 1)  # two directories of one host: both kept
        by_path = {}
        for r in results:
            r = dict(r)
            r['origin'] = origin
            r['id'] = '%s:%s' % (origin, r['id'])
            if r.get('pcap'):
                r['pcap'] = os.path.relpath(os.path.join(d, r['pcap']), out)
            by_path[r['path']] = r
        missing = []
        if inv:
            for i in inv.get('inputs') or []:
                if isinstance(i, dict) and i.get('path') and i['path'] not in by_path:
                    missing.append(i)
        host_reason = (fleet or {}).get('reason') if fleet and not fleet.get('done') else None
        for i in missing:
            why = host_reason or 'no result came back from this host'
            r = {'id': '%s:%s' % (origin, i.get('id') or dump_id(i['path'])), 'path': i['path'], 'origin': origin,
                 'status': 'not-done', 'reason': why, 'kind': None, 'flagged': False, 'seconds': 0,
                 'triage_version': VERSION}
            by_path[i['path']] = r
            not_done.append(r['id'])
        if missing:
            reasons[origin] = host_reason or 'no result came back'
        rs = sorted(by_path.values(), key=lambda r: r['path'])
        merged += rs
        hosts[origin] = {'dir': os.path.abspath(d), 'inputs': len(rs), 'done': len(rs) - len(missing),
                         'not_done': len(missing), 'reason': host_reason,
                         'listed': (fleet or {}).get('listed', inv is not None)}
        if fleet and not fleet.get('listed'):
            hosts[origin]['inputs'] = None  # unknown: the host could not even list them
            reasons[origin] = fleet.get('reason')
    if not merged and not hosts:
        warn('nothing to merge')
        lock.close()
        return 2
    ex = {'merged_from': [os.path.abspath(d) for d in dirs], 'hosts': hosts, 'not_done': not_done,
          'not_done_reasons': reasons}
    ex.update(extra or {})
    redacted = any(r.get('redacted') for r in merged)
    ex['redacted'] = redacted
    mode = 0o600 if redacted else None
    summ = summary(merged, ex)
    write_atomic(os.path.join(out, 'summary.json'), summ, mode)
    print_report(merged, summ, out)
    for h, why in sorted(reasons.items()):
        n = hosts[h]['not_done']
        print('host %s: %s%s' % (h, '%d inputs not done: ' % n if n else 'inputs unknown: ', why))
    if html:
        write_html(html, merged, summ, mode)
        print('report: %s' % html)
    lock.close()
    if reasons:
        return 3
    return 1 if summ['flagged'] else 0


# ---------------------------------------------------------------- Slurm

SLURM = '''#!/bin/bash
# dmasleuth-triage as a Slurm job array: one task per {unit} ({n} tasks), generated
# {date} by: {argv}
#
#   sbatch {script}
#   # when the array has finished (or: sbatch --dependency=afterany:JOBID ...):
#   {triage} --merge -o {out} --html {out}/report.html {out}/parts/*
#
# Each task writes {out}/parts/<task>/ (a triage result directory: a task that is run
# again resumes); tasks that find something flagged still exit 0 (Slurm would call them
# FAILED), errors exit 2.
#SBATCH --job-name=dmasleuth-triage
#SBATCH --array=0-{last}
#SBATCH --ntasks=1
#SBATCH --cpus-per-task={jobs}
#SBATCH --mem-per-cpu=1G
#SBATCH --time={minutes}
#SBATCH --output={out}/slurm/%A_%a.log
set -u
inputs=(
{inputs}
)
origins=(
{origins}
)
task=${{SLURM_ARRAY_TASK_ID:?run this script with sbatch (it is a job array)}}
if [ "$task" -ge "${{#inputs[@]}}" ]; then
    echo "dmasleuth-triage: no input for task $task" >&2
    exit 2
fi
mkdir -p {out}/parts
{triage} {opts} --origin "${{origins[$task]}}" -o {out}/parts/"$task" "${{inputs[$task]}}"
rc=$?
[ $rc -le 1 ] || exit $rc
'''


def slurm_script(args):
    """--slurm FILE: write an sbatch array script, one task per dump (--slurm-per dump) or
    per directory named (--slurm-per dir)."""
    out = os.path.abspath(args.out)
    if args.slurm_per == 'dir':
        units = [os.path.abspath(p) for p in args.paths if os.path.isdir(p)]
        origins = [os.path.basename(os.path.normpath(p)) for p in units]
    else:
        units = [os.path.abspath(p) for p in find_inputs(args.paths, out, None)]
        origins = [os.path.basename(os.path.dirname(p)) for p in units]
    if not units:
        warn('no %s to make tasks of' % ('directories' if args.slurm_per == 'dir' else 'inputs'))
        return 2
    triage = os.path.abspath(sys.argv[0]) if os.path.basename(sys.argv[0]) == 'dmasleuth-triage' \
        else 'dmasleuth-triage'
    opts = remote_options(args)
    opts = [o for o in opts if o != '-q'] + ['-q']
    text = SLURM.format(unit='directory' if args.slurm_per == 'dir' else 'input', n=len(units),
                        date=datetime.datetime.now().isoformat(timespec='seconds'),
                        argv=' '.join(shlex.quote(a) for a in sys.argv), script=shlex.quote(args.slurm),
                        triage=shlex.quote(triage), out=shlex.quote(out), last=len(units) - 1,
                        jobs=args.jobs, minutes=max(5, (args.timeout * 2 + 59) // 60 + 5),
                        inputs='\n'.join('    ' + shlex.quote(u) for u in units),
                        origins='\n'.join('    ' + shlex.quote(o) for o in origins),
                        opts=' '.join(shlex.quote(o) for o in opts))
    os.makedirs(os.path.join(out, 'slurm'), exist_ok=True)  # Slurm does not create it for --output
    tmp = args.slurm + '.tmp'
    with open(tmp, 'w') as fp:
        fp.write(text)
    os.chmod(tmp, 0o755)
    os.replace(tmp, args.slurm)
    print('%s: %d task%s; run: sbatch %s' % (args.slurm, len(units), '' if len(units) == 1 else 's', args.slurm))
    return 0
