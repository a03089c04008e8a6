"""dmasleuth-triage: run crash + dmasleuth over directories of vmcores and say which ones
look like NIC DMA-after-free, which NICs, which flows.

PATH: vmcores (kdump-compressed, makedumpfile flattened, ELF cores such as QEMU's
dump-guest-memory) and directories (searched recursively).  Plain text kernel logs (dmesg,
journal exports, pstore/ramoops files) are classified by dmasleuth's log signatures.
Anything else is recorded as skipped, with the reason.

Each dump is opened with the vmlinux whose build-id matches the dump's VMCOREINFO
(or, for dumps without a BUILD-ID, the only vmlinux of its OSRELEASE), searched in
--debuginfo DIRs, /usr/lib/debug and the dumps/fetch-debuginfo cache
($DMASLEUTH_CACHE, else ~/.cache/dmasleuth).  A dump without a match is reported as
such, never opened with a guess.

Results go to OUT/<dump-id>.json, one file per input, written atomically: a run that is
interrupted (even by SIGKILL) resumes where it stopped when started again with the same
OUT.  OUT/summary.json and the table on the terminal summarise them; --html writes a
self-contained report (no network fetches).

Many hosts (docs/triage.md, "Fleets"): --hosts FILE runs the triage on every host of a
GNU parallel sshloginfile over ssh, brings each host's results back and merges them;
--slurm FILE writes a Slurm job array script instead; --merge DIR... combines per-host
result directories into one summary.json, table and report.

Exit status: 0 nothing flagged; 1 at least one input flagged (a dump with verdict
dma-after-free, or a log with NIC/DMA signatures); 2 usage or setup error; 3 (--hosts,
--merge) some inputs not done because a host failed.
"""
import argparse
import concurrent.futures
import os
import signal
import sys
import time

from . import VERSION, fleet, paths, warn
from .analyse import dump_target, finish, prepare_dump, triage_dump, triage_log
from .formats import classify
from .paths import ARCH_TARGETS, extension_name, extension_path, host_target, logscan_path
from .redact import Redactor, redact_result
from .report import print_report, summary, write_html
from .session import crash_candidates, kill_children
from .store import dump_id, find_inputs, load_done, lock_out, write_atomic
from .vmlinux import VmlinuxIndex, debuginfo_dirs


def parser():
    ap = argparse.ArgumentParser(prog='dmasleuth-triage', usage='%(prog)s [options] PATH...',
                                 description=__doc__.split('\n\n')[0].split(': ', 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split('\n\n', 1)[1] + '\nSee dmasleuth-triage(1).')
    ap.add_argument('paths', nargs='+', metavar='PATH',
                    help='vmcore, log file or directory (with --hosts: on every host; with --merge: a per-host '
                    'result directory)')
    ap.add_argument('-o', '--out', default='triage-out', metavar='OUT',
                    help='results directory (default: %(default)s)')
    ap.add_argument('-j', '--jobs', type=int, default=os.cpu_count() or 1, metavar='N',
                    help='crash sessions in parallel (default: cores, %(default)s here)')
    ap.add_argument('--timeout', type=int, default=900, metavar='SEC',
                    help='seconds per dump before its crash session is killed (default: %(default)s)')
    ap.add_argument('--debuginfo', action='append', default=[], metavar='DIR',
                    help='where to look for vmlinux files (repeatable; searched first)')
    ap.add_argument('--crash', action='append', default=[], metavar='PROG',
                    help='a crash binary (repeatable: each dump gets the oldest one built for its '
                    'architecture (crash --buildinfo) that opens its kernel; default: $DMASLEUTH_CRASH, '
                    'a colon-separated list, else crash on PATH and the crash builds in the dmasleuth '
                    'cache, cross crashes included)')
    ap.add_argument('--extension', action='append', default=[], metavar='[TARGET=]SO',
                    help='the extension for crash TARGET (repeatable; without TARGET=: for this '
                    "machine's own crash, %s; default: the built or installed %s, %s for ARM64 ...)"
                    % (host_target(), extension_name(), extension_name('ARM64')))
    ap.add_argument('--target', type=str.upper, choices=sorted(set(ARCH_TARGETS.values())), metavar='TARGET',
                    help="open every dump with the crash built for TARGET (X86_64, ARM64, ...) and its "
                    "extension (default: each dump's architecture, from its header or VMCOREINFO)")
    ap.add_argument('--pcap', action='store_true',
                    help="write OUT/<dump-id>.pcapng with each flagged dump's incriminating frames")
    ap.add_argument('--html', metavar='FILE', help='write a self-contained HTML report to FILE')
    ap.add_argument('--redact', metavar='KEY[,OPTS]',
                    help='redact for sharing (docs/redaction.md): IP addresses (Crypto-PAn) and MACs mapped by '
                    'the key in the results, summary, report and pcaps, payload after the L4 header removed; '
                    'KEY: a key file, pass:PHRASE or env:VAR; OPTS: keep=N, cut, oui; files made 0600')
    ap.add_argument('--rerun', action='store_true', help='ignore results already in OUT: do everything again')
    ap.add_argument('--retry', action='store_true',
                    help='redo inputs whose result is a timeout or an error (others are kept)')
    ap.add_argument('-q', '--quiet', action='store_true', help='no progress lines on stderr')
    ap.add_argument('--origin', metavar='HOST',
                    help='the host the inputs come from, recorded in every result (set by --hosts)')
    ap.add_argument('--list', action='store_true',
                    help='only list the inputs found under PATHs, one JSON line each (used by --hosts)')
    fl = ap.add_argument_group('fleets')
    fl.add_argument('--merge', action='store_true',
                    help='PATHs are per-host result directories (each a triage OUT): merge them into OUT')
    fl.add_argument('--hosts', metavar='FILE',
                    help='run on every host of FILE (a GNU parallel sshloginfile) over ssh, PATHs being '
                    'paths on the hosts; results come back to OUT/triage-hosts/HOST/ and are merged')
    fl.add_argument('--ssh', metavar='CMD', help='the ssh command GNU parallel uses (e.g. "ssh -F config")')
    fl.add_argument('--remote-dir', metavar='DIR',
                    help='working directory on the hosts, holding triage-hosts/ (default: the login directory)')
    fl.add_argument('--remote-triage', metavar='CMD', default='dmasleuth-triage',
                    help='the triage command on the hosts (default: %(default)s)')
    fl.add_argument('--host-timeout', type=int, default=86400, metavar='SEC',
                    help='seconds before a host\'s whole triage is given up (default: %(default)s)')
    fl.add_argument('--slurm', metavar='FILE', help='write a Slurm job array script (sbatch FILE) and exit')
    fl.add_argument('--slurm-per', choices=('dump', 'dir'), default='dump',
                    help='one Slurm task per input found (dump) or per directory named (dir)')
    ap.add_argument('--version', action='version', version='%(prog)s ' + str(VERSION))
    return ap


def main(argv=None, bindir=None):
    if bindir:
        paths.BINDIR = bindir
    ap = parser()
    args = ap.parse_args(argv)
    if args.jobs < 1:
        ap.error('--jobs must be at least 1')
    if args.timeout < 1:
        ap.error('--timeout must be at least 1')
    if sum(bool(x) for x in (args.merge, args.hosts, args.slurm, args.list)) > 1:
        ap.error('--merge, --hosts, --slurm and --list exclude each other')
    if args.list:
        return fleet.list_inputs(args.paths, args.out)
    if args.merge:
        return fleet.merge(args.paths, args.out, args.html, quiet=args.quiet)
    if args.hosts:
        return fleet.run_parallel(args)
    if args.slurm:
        return fleet.slurm_script(args)
    return triage(args)


def setup_redaction(args):
    """args.redactor from --redact; False (after saying why) when it cannot be used."""
    args.redactor = None
    if not getattr(args, 'redact', None):
        return True
    rd = Redactor(args.redact)
    why = rd.check()
    if why:
        warn('--redact: %s' % why)
        return False
    args.redactor = rd
    return True


def triage(args):
    if not setup_redaction(args):
        return 2
    rd = args.redactor
    mode = 0o600 if rd else None
    args.crashes = crash_candidates(args.crash)
    if not args.crashes:
        warn('%s not found (apt-get install crash, or --crash PROG)' % (' '.join(args.crash) or 'crash'))
        return 2
    lock = lock_out(args.out)
    if not lock:
        return 2
    if rd:
        os.chmod(args.out, 0o700)
    t_start = time.time()
    inputs = find_inputs(args.paths, args.out, args.html)
    if not inputs:
        warn('no inputs')
        return 2
    # What results call each input: its id and path, redacted with --redact.
    ids = {p: dump_id(p) for p in inputs}
    shown = {p: (ids[p], os.path.abspath(p)) for p in inputs}
    if rd:
        got = rd.texts([ids[p] for p in inputs] + [os.path.abspath(p) for p in inputs])
        shown = {p: (got[i], got[len(inputs) + i]) for i, p in enumerate(inputs)}
    args.shown = shown
    given = {}
    for e in args.extension:
        t, sep, so = e.partition('=')
        if sep and t.upper() in ARCH_TARGETS.values():
            given[t.upper()] = so
        else:
            given[host_target()] = e
    exts = {}

    def ext_for(target):
        t = target or host_target()
        if t not in exts:
            exts[t] = extension_path(given.get(t), t)
            if not exts[t]:
                warn('%s not found (%s, or --extension %sSO): %s dumps are opened but get no verdict'
                     % (given.get(t) or extension_name(t), 'make' if t == host_target() else
                        'make extension-%s' % t.lower(), '' if t == host_target() else t + '=', t))
        return exts[t]
    ext_for(host_target())
    index = VmlinuxIndex(debuginfo_dirs(args.debuginfo))
    if not logscan_path():
        warn('dmasleuth-logscan not found (make): logs are not classified')

    results, sessions, done = {}, [], 0

    def record(p, r):
        if args.origin:
            r['origin'] = args.origin
        if rd:
            r = redact_result(rd, r)
            r['redacted'] = True
        write_atomic(os.path.join(args.out, r['id'] + '.json'), r, mode)
        results[p] = r
        if not args.quiet:
            warn('%s: %s%s (%.0fs)' % (r['id'], r.get('verdict') if r.get('status') == 'ok' else r.get('status'),
                                       ': ' + r['reason'] if r.get('reason') else '', r.get('seconds', 0)))

    # Everything that needs no crash session is decided here, at once.
    for p in inputs:
        if not args.rerun:
            r = load_done(os.path.join(args.out, shown[p][0] + '.json'), p, args.retry, shown[p][1])
            if r:
                results[p] = r
                done += 1
                continue
        t0 = time.time()
        kind, reason = classify(p)
        try:
            if kind is None:
                r = {'status': 'skipped', 'reason': reason}
            elif kind == 'log':
                r = triage_log(p, args)
            else:
                r = prepare_dump(p, kind, index)
                if r['status'] == 'pending':
                    sessions.append((p, kind, r, t0))
                    continue
        except Exception as e:  # a bug here must not lose the other inputs
            r = {'status': 'error', 'reason': '%s: %s' % (type(e).__name__, e)}
        record(p, finish(r, p, kind, t0))
    if done and not args.quiet:
        warn('%d of %d inputs already done in %s (--rerun to redo them)' % (done, len(inputs), args.out))
    if sessions and not args.quiet:
        warn('%d crash session%s, %d at a time, timeout %ds'
             % (len(sessions), '' if len(sessions) == 1 else 's', args.jobs, args.timeout))

    def one(p, kind, r, t0):
        t0 = time.time()  # time of the session itself, not the wait for a slot
        try:
            r = triage_dump(p, r, args, ext_for)
        except Exception as e:
            r = dict(r, status='error', reason='%s: %s' % (type(e).__name__, e))
        return finish(r, p, kind, t0)

    def on_signal(signum, _):
        kill_children()
        warn('interrupted: results so far are in %s; run again to resume' % args.out)
        os._exit(128 + signum)
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)

    for s in sessions:  # each target's extension looked up (and warned about) once, here
        ext_for(dump_target(s[2], args))
    # Biggest dumps first: the slowest sessions start early and the run ends sooner.
    sessions.sort(key=lambda s: -os.path.getsize(s[0]))
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futs = {pool.submit(one, *s): s[0] for s in sessions}
        for f in concurrent.futures.as_completed(futs):
            record(futs[f], f.result())

    ordered = [results[p] for p in inputs if p in results]
    summ = summary(ordered, {'jobs': args.jobs, 'timeout': args.timeout,
                             'wall_seconds': round(time.time() - t_start, 1), 'redacted': bool(rd)})
    write_atomic(os.path.join(args.out, 'summary.json'), summ, mode)
    print_report(ordered, summ, args.out)
    if args.html:
        write_html(args.html, ordered, summ, mode)
        print('report: %s' % args.html)
    lock.close()
    return 1 if summ['flagged'] else 0


if __name__ == '__main__':
    sys.exit(main())
