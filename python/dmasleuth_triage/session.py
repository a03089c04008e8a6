"""crash sessions: which crash opens a dump, one batch session per dump in its own
process group (killed on timeout, and with the triage), and the facts its output holds."""
import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import threading

from .paths import cache_dir

_children = set()  # process groups of running crash sessions
_children_lock = threading.Lock()


try:
    _LIBC = ctypes.CDLL(None, use_errno=True)  # loaded before any fork
    _PRCTL = _LIBC.prctl
except (OSError, AttributeError):
    _PRCTL = None


def _die_with_parent(parent):
    # A SIGKILLed triage must not leave crash sessions running: the kernel sends them
    # SIGKILL when the thread that started them dies (it lives until the run ends).  A
    # parent that died between the fork and the prctl is not noticed by the kernel: check.
    if _PRCTL:
        _PRCTL(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:
            os._exit(1)


def run_crash(crash, vmlinux, vmcore, cmds, timeout, workdir):
    """One crash session in batch mode, in its own process group; (rc, output, timed_out)."""
    workdir, parent = os.path.abspath(workdir), os.getpid()
    cmdfile = os.path.join(workdir, 'cmds')
    with open(cmdfile, 'w') as fp:
        fp.write('\n'.join(cmds + ['quit']) + '\n')
    outfile = os.path.join(workdir, 'out')
    with open(outfile, 'wb') as out:
        proc = subprocess.Popen([crash, '-s', '-i', cmdfile, vmlinux, vmcore], stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=lambda: _die_with_parent(parent), cwd=workdir)
        with _children_lock:
            _children.add(proc.pid)
        try:
            rc, timed_out = proc.wait(timeout=timeout), False
        except subprocess.TimeoutExpired:
            rc, timed_out = None, True
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the session and anything it started
            except ProcessLookupError:
                pass
            proc.wait()
            with _children_lock:
                _children.discard(proc.pid)
    with open(outfile, 'rb') as fp:
        return rc, fp.read().decode('utf-8', 'replace'), timed_out


def kill_children(*_):
    with _children_lock:
        for pid in list(_children):
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


SIGNAMES = {getattr(signal, n): n for n in dir(signal) if n.startswith('SIG') and not n.startswith('SIG_')}


def parse_session(out, rc):
    """Facts from one crash session's output (sys, log, dmaf -j)."""
    res = {}
    m = re.search(r'^\s+RELEASE: (\S+)', out, re.M)
    if m:
        res['kernel'] = m.group(1)
    m = re.search(r'^\s+PANIC: (.*)$', out, re.M)
    if m:
        res['panic'] = m.group(1).strip().strip('"')
    m = re.search(r'^\s+NODENAME: (.*)$', out, re.M)
    if m and m.group(1).strip() != '(none)':
        res['host'] = m.group(1).strip()
    dmaf, text = None, []
    for line in out.splitlines():
        if not line.startswith('{'):
            text.append(line)
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict) and 'verdict' in obj and 'evidence' in obj:
            dmaf = obj
    # The log comes first (analyse.py runs log, then sys): sys's PANIC line repeats the oops
    # line, and would be taken for the oops itself.
    m = next((i for i, ln in enumerate(text) if re.match(r'^\s+KERNEL: ', ln)), len(text))
    res['text'] = '\n'.join(text[:m])
    if dmaf:
        res['dmaf'] = dmaf
    loaded = 'shared object loaded' in out
    if not res.get('kernel'):
        for pat, why in ((r'not a supported file format', 'crash: not a supported file format'),
                         (r'do not match', 'crash: vmlinux and vmcore do not match'),
                         (r'(cannot|unable to) (read|open|find)[^\n]*', None),
                         (r'(invalid|truncated|corrupt)[^\n]*', None)):
            m = re.search(pat, out, re.I)
            if m:
                res['crash_error'] = why or 'crash: %s' % m.group(0).strip()[:200]
                break
        else:
            tail = [ln.strip() for ln in out.splitlines() if ln.strip()][-3:]
            res['crash_error'] = 'crash did not open the dump (%s)%s' % (
                'exit %s' % rc if rc is None or rc >= 0 else 'killed by %s' % SIGNAMES.get(-rc, -rc),
                ': ' + ' | '.join(tail)[:300] if tail else ', no output')
    elif not dmaf and rc is not None and rc < 0:
        res['crash_error'] = 'crash was killed by %s during the analysis' % SIGNAMES.get(-rc, -rc)
    elif not dmaf and not loaded:
        m = re.search(r'^extend: .*$', out, re.M)
        res['ext_error'] = 'the dmasleuth extension did not load%s' % (': ' + m.group(0)[:200] if m else '')
    return res


# ---------------------------------------------------------------- which crash opens a dump
#
# crash reads a kernel only from the version that learnt its layout on: Debian 12's crash
# 8.0.2 prints nothing and exits 1 on a 6.12 dump (since 6.4 a module's memory is laid out per
# type, and 8.0.2 looks for module_core_size), while crash 8.0.6 opens 5.10, 6.1 and 6.12
# alike.  Each dump gets the oldest available crash not known to fail on its kernel; when that
# crash cannot open the dump anyway, the next newer one is tried.  The table holds what was
# measured (8.0.2 fails on 6.12, 8.0.6 opens it); crash versions between were not tried, so
# the entry names 8.0.6.  A kernel the table does not cover gets the oldest crash first.
KERNEL_NEEDS_CRASH = [  # (first kernel version, oldest crash that opens it)
    ((6, 4), (8, 0, 6)),
]


def version_tuple(text):
    m = re.match(r'(\d+)\.(\d+)(?:\.(\d+))?', text or '')
    return tuple(int(x) for x in m.groups() if x is not None) if m else None


def crash_version(prog):
    """crash's own version (`crash --version`), as a tuple; None if it does not say."""
    return crash_info(prog)[0]


def crash_info(prog):
    """(version tuple, target) of a crash binary from `crash --buildinfo` ("build_version:
    8.0.6", "build_target: ARM64": the architecture whose dumps it reads), else the version
    from `crash --version` and target None."""
    def run(opt):
        try:
            return subprocess.run([prog, opt], stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, errors='replace', timeout=60).stdout
        except (OSError, subprocess.SubprocessError):
            return ''
    out = run('--buildinfo')
    v = re.search(r'^\s*build_version: (\d+\.\d+\.\d+)', out, re.M)
    t = re.search(r'^\s*build_target: ([A-Z0-9_]+)\s*$', out, re.M)
    if not v:
        v = re.search(r'^crash (\d+\.\d+\.\d+)', run('--version'), re.M)
    return (version_tuple(v.group(1)) if v else None), (t.group(1) if t else None)


def crash_candidates(given):
    """[(version, target, path)] oldest first: the --crash programs, else $DMASLEUTH_CRASH (a
    colon-separated list), else `crash` on PATH and the crash builds in the dmasleuth cache
    (scripts/build-crash: crash-VERSION-TARGET, cross crashes included).  target: the crash
    target the binary says it was built for, None if it does not say."""
    progs = list(given)
    if not progs:
        env = os.environ.get('DMASLEUTH_CRASH')
        if env:
            progs = [p for p in env.split(':') if p]
        else:
            progs = ['crash'] + sorted(
                os.path.join(cache_dir(), d, 'crash') for d in
                (os.listdir(cache_dir()) if os.path.isdir(cache_dir()) else [])
                if re.match(r'crash-[\d.]+-[A-Z0-9_]+$', d))
    out, seen = [], set()
    for p in progs:
        w = shutil.which(p) if os.sep not in p else (p if os.access(p, os.X_OK) else None)
        if not w or os.path.realpath(w) in seen:
            continue
        seen.add(os.path.realpath(w))
        version, target = crash_info(w)
        out.append((version or (0,), target or '', os.path.abspath(w)))
    return [(v, t or None, p) for v, t, p in sorted(out)]


def crash_order(kernel, cands, target=None):
    """The candidates to try for a dump of KERNEL (OSRELEASE) taken on crash target TARGET
    (None: unknown), in order: only crashes built for TARGET (or not saying theirs)."""
    if target:
        cands = [c for c in cands if c[1] in (target, None)]
    kv = version_tuple(kernel) or ()
    need = (0,)
    for first, crash_min in KERNEL_NEEDS_CRASH:
        if kv[:len(first)] >= first:
            need = max(need, crash_min)
    fit = [c for c in cands if c[0] >= need]
    return fit + [c for c in cands if c not in fit]
