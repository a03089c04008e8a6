"""What each command must print on a damaged dump (tests/hostile/run)."""
import re

# How each command ends when it ran to its end.
_DONE = {
    'pktscan': re.compile(r'^pktscan: \d+ hits', re.M),
    'pktscan -w': re.compile(r'^pktscan: wrote \d+ packets', re.M),
    'slabcheck': re.compile(r'^slabcheck: \d+ caches, \d+ slabs', re.M),
    'slabcheck ADDR': re.compile(r'^[0-9a-f]+: ', re.M),
    'rxring': re.compile(r'^NET_DEVICE|^rxring: ', re.M),
    'dmaf': re.compile(r'^VERDICT: ', re.M),
    'dmaf -j': re.compile(r'^\{"verdict":', re.M),
}
# crash's own errors: a command aborted by a read it did not expect to fail.
_ABORT = re.compile(r'(invalid kernel virtual address|invalid (user|physical) '
                    r'address|page excluded|seek error|read error|gdb request failed)'
                    r'.*(type: "(?!dmasleuth))', re.M)


def completed(kind, out):
    m = _DONE.get(kind)
    if m and not m.search(out):
        tail = out.strip().splitlines()[-3:] if out.strip() else ['(nothing)']
        return False, 'no end-of-command line; output ends: %s' % ' | '.join(tail)
    a = _ABORT.search(out)
    if a:
        return False, 'crash error: %s' % a.group(0)
    return True, ''


CHECKS = {}


def run(kind, info, r, base, sv):
    fn = CHECKS.get(kind)
    return list(fn(info, r, base, sv)) if fn else []
