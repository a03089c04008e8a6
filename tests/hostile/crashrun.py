"""One crash session over a dump with a list of commands, each command's output apart.

Commands are separated by shell escapes (`!echo ...`): crash flushes its own output
before it runs one, so everything between two markers is one command's output.  Each
marker also records the wall clock and crash's resident memory (VmRSS and VmHWM of the
shell's parent, the crash process), so a session says how long each command took and how
far crash's memory grew.
"""
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
import dumpenv  # noqa: E402

MARK = '@@DMS-HOSTILE'
_MARK_RE = re.compile(r'^%s (\d+) ([0-9.]+) (\d+) (\d+) (\d+) (\d+)$' % MARK)
TICKS = os.sysconf('SC_CLK_TCK')


class Result:
    """outputs[i]: text of command i; secs[i]: its wall time; cpu[i]: the CPU time crash
    (all its threads) spent on it; rss_start/rss_peak: KiB; survived: the final marker
    printed (crash was still running commands)."""

    def __init__(self, cmds, text, timed_out):
        self.cmds = cmds
        self.text = text
        self.timed_out = timed_out
        marks = {}
        chunks = {}
        cur, buf = None, []
        for line in text.splitlines():
            m = _MARK_RE.match(line)
            if m:
                if cur is not None:
                    chunks[cur] = '\n'.join(buf) + '\n'
                cur, buf = int(m.group(1)), []
                marks[cur] = (float(m.group(2)), int(m.group(3)), int(m.group(4)),
                              (int(m.group(5)) + int(m.group(6))) / TICKS)
                continue
            buf.append(line)
        self.outputs = []
        self.secs = []
        self.cpu = []
        for i in range(len(cmds)):
            self.outputs.append(chunks.get(i, ''))
            if i in marks and i + 1 in marks:
                self.secs.append(marks[i + 1][0] - marks[i][0])
                self.cpu.append(marks[i + 1][3] - marks[i][3])
            else:
                self.secs.append(None)
                self.cpu.append(None)
        self.survived = len(cmds) in marks
        self.rss_start = marks[0][1] if 0 in marks else None
        last = max(marks) if marks else None
        self.rss_peak = marks[last][2] if last is not None else None
        self.rss_end = marks[last][1] if last is not None else None

    def out(self, i):
        return self.outputs[i]


def marker(i):
    # The shell's parent is crash: its VmRSS now, VmHWM (peak) so far, and the CPU time
    # its threads used (utime and stime, fields 14 and 15 of /proc/PID/stat; the command
    # name in field 2 has no blanks: "(crash)").
    return ("!echo %s %d $(date +%%s.%%N) $(awk '/^VmRSS/{print $2}' /proc/$PPID/status) "
            "$(awk '/^VmHWM/{print $2}' /proc/$PPID/status) "
            "$(awk '{print $14, $15}' /proc/$PPID/stat)" % (MARK, i))


def run(vmcore, release, cmds, work, extension=None, env=None, timeout=900, crash=None,
        name='session'):
    """Run crash on vmcore (a dump of kernel RELEASE) with cmds; extension: a .so to load
    first (not counted as a command).  Returns a Result."""
    path = os.path.join(work, '%s.cmds' % name)
    with open(path, 'w') as f:
        if extension:
            f.write('extend %s\n' % extension)
        for i, c in enumerate(cmds):
            f.write(marker(i) + '\n')
            f.write(c + '\n')
        f.write(marker(len(cmds)) + '\n')
    e = dict(os.environ, DEBUG_MODULES=dumpenv.debug_modules(release))
    if env:
        e.update(env)
    argv = [crash, '-s', '-i', path, dumpenv.vmlinux(release), vmcore]
    t0 = time.time()
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, cwd=ROOT, env=e, timeout=timeout)
        text, timed_out = r.stdout.decode('utf-8', 'replace'), False
    except subprocess.TimeoutExpired as ex:
        text = (ex.stdout or b'').decode('utf-8', 'replace')
        timed_out = True
    res = Result(cmds, text, timed_out)
    res.wall = time.time() - t0
    with open(os.path.join(work, '%s.out' % name), 'w') as f:
        f.write(text)
    return res
