"""Helpers of the vmcore tests: TESTLIST, truth files, crash sessions, the normaliser."""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
import dumpenv  # noqa: E402


def testlist():
    """(name, dump, type) of every TESTLIST line."""
    out = []
    for line in open(os.path.join(HERE, 'TESTLIST')):
        f = line.split('#', 1)[0].split()
        if f:
            out.append((f[0], f[1], f[2]))
    return out


def need_vmlinux(dumps=()):
    """Fetch the vmlinux of every kernel DUMPS were made with (once, before the sessions
    run in parallel)."""
    for d in dumps:
        dumpenv.vmlinux(dumpenv.release_of(d))


def jobs():
    return max(1, min(4, int(os.environ.get('VMCORE_JOBS', os.cpu_count() or 1))))


def truth(dump):
    return dumpenv.truth(dump)


def truth_frames(t):
    """Planted frames as (paddr, len, page_kind); paddr is the frame's first byte."""
    faf = t.get('frames_after_free') or {}
    return [(int(a, 16), n, k) for a, n, k in faf.get('frames', [])]


def placeholders(t):
    """Values golden commands may use, taken from truth.json, so that the commands stay
    valid when the lab regenerates a dump (the expected output then needs regen):
    {obj} {cache}: the first slab object (slab_objects_with_frames) in which a planted
    frame starts; {frame_kv}: that frame's kernel address; {page}: its page (physical);
    {vpage}: its page as a direct-map range START-END."""
    for o in t.get('slab_objects_with_frames') or []:
        pa, fpa = int(o['paddr'], 16), int(o['frame_paddr'], 16)
        if pa <= fpa < pa + o['object_size']:
            kv = int(o['addr'], 16) + (fpa - pa)
            return {'obj': o['addr'][2:], 'cache': o['cache'], 'frame_kv': '%x' % kv,
                    'page': '%#x' % (fpa & ~0xfff),
                    'vpage': '%x-%x' % (kv & ~0xfff, (kv & ~0xfff) + 0x1000)}
    return {}


def golden_cmds(name, dump):
    """The commands of golden test NAME with placeholders filled in."""
    vals = placeholders(truth(dump))
    out = []
    for line in open(os.path.join(HERE, 'cmds', name + '.cmds')):
        if line.strip() and not line.startswith('#'):
            out.append(line.rstrip('\n').format(**vals))
    return out


def crash(dump, cmds, work, crash_bin=None):
    """Run crash on a lab dump with the extension loaded (the dump's vmlinux, the extension
    built for its crash target, and the crash that opens it unless CRASH_BIN is given);
    stdout+stderr as text."""
    fd, path = _tmp(work, dump)
    with os.fdopen(fd, 'w') as f:
        f.write('extend %s\n' % dumpenv.extension_for(dump))
        for c in cmds:
            f.write(c + '\n')
    return dumpenv.run_crash(dump, path, crash=crash_bin)


_n = [0]


def _tmp(work, dump):
    _n[0] += 1
    path = os.path.join(work, '%s-%d.cmds' % (dump, _n[0]))
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), path


def normalise(text):
    """Drop what changes from run to run or machine to machine: crash's warnings about
    tasks missing from the PID hash (with the blank line after each), timings ("..., 0.31 s",
    "...; 0.31 s")."""
    out = []
    skip_blank = False
    for line in text.splitlines():
        if line.startswith('WARNING: active task') and 'not found in PID hash' in line:
            skip_blank = True
            continue
        if skip_blank and not line.strip():
            skip_blank = False
            continue
        skip_blank = False
        line = re.sub(r'([,;]) \d+\.\d+ s\b', r'\1 N.N s', line)
        out.append(line.rstrip())
    return '\n'.join(out) + '\n'
