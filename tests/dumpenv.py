"""Which vmlinux and which crash open a stored lab dump: shared by every vmcore suite.

Each dumps/<name>/truth.json names its kernel (kernel.release); dumps/kernels/<release> is
that kernel's manifest (CRASH_MIN: the oldest crash that opens its dumps).  The vmlinux
comes from `dumps/fetch-debuginfo RELEASE` (cached outside the repository); crash 8.0.2 is
Debian 12's /usr/bin/crash, crash 8.0.6 the one scripts/build-crash keeps in the cache.

A kernel of another architecture names its crash target in its manifest (CRASH_TARGET, e.g.
ARM64: dumps/kernels/6.1.0-56-arm64): its dumps open only in that cross crash
(scripts/build-crash TARGET keeps crash-VERSION-TARGET in the cache).  The extension's suites
run on the dumps of the targets in EXTENSION_TARGETS (stored_dumps()), each loading the
extension built for its dump's target (extension_for(): EXTENSIONS); the lab's own sanity
test on every dump (stored_dumps(every_target=True)).

Environment overrides: VMLINUX (only for dumps of the default kernel, as before),
DMS_CRASH_8_0_2 / DMS_CRASH_8_0_6 (crash binaries; DMS_CRASH_8_0_6_ARM64 for another
target), DMASLEUTH_SO / DMASLEUTH_ARM64_SO (the extension builds; DMS_EXTENSION is the old
name of DMASLEUTH_SO), DMS_KERNELS (comma-separated releases: only dumps of these kernels
are tested).
"""
import json
import os
import shutil
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DUMPS = os.path.join(ROOT, 'dumps')
DEFAULT_RELEASE = '6.1.0-56-amd64'
# The crash targets whose dumps the extension's suites (vmcore, dmaf, preader, facts,
# triage) run on, and the extension build each target's crash loads (extensions.mk: one
# source tree, one build per target; each build refuses the other target's crash).
EXTENSION_TARGETS = ('X86_64', 'ARM64')
EXTENSIONS = {'X86_64': ('DMASLEUTH_SO', 'extensions/dmasleuth.so'),
              'ARM64': ('DMASLEUTH_ARM64_SO', 'extensions/dmasleuth-arm64.so')}
_vmlinux = {}
_crash = {}


def manifest(release):
    """The KEY=VALUE lines of dumps/kernels/RELEASE as a dict."""
    out = {}
    for line in open(os.path.join(DUMPS, 'kernels', release)):
        line = line.strip()
        if line and not line.startswith('#') and '=' in line:
            k, _, v = line.partition('=')
            out[k] = v.strip('"\'')
    return out


def truth(dump):
    path = os.path.join(DUMPS, dump, 'truth.json')
    return json.load(open(path)) if os.path.exists(path) else {}


def release_of(dump):
    """The kernel release a stored dump was made with (truth.json), default 6.1."""
    return (truth(dump).get('kernel') or {}).get('release') or DEFAULT_RELEASE


def series_of(dump):
    return manifest(release_of(dump)).get('KERNEL_SERIES', '?')


def crash_target(release):
    """The crash target that opens RELEASE's dumps (CRASH_TARGET, default X86_64)."""
    return manifest(release).get('CRASH_TARGET', 'X86_64')


def for_extension(dump):
    """Whether the extension's suites run on DUMP (its crash target is in EXTENSION_TARGETS)."""
    return crash_target(release_of(dump)) in EXTENSION_TARGETS


def extension(target='X86_64'):
    """The path of the extension built for crash target TARGET (EXTENSIONS; its environment
    variable overrides), relative to ROOT, where run_crash runs crash (crash's "shared object
    loaded" line names it: the goldens hold it); whether it is built is the caller's question."""
    var, rel = EXTENSIONS[target]
    path = os.environ.get(var) or (os.environ.get('DMS_EXTENSION') if target == 'X86_64' else None)
    return path or rel


def extension_for(dump):
    """The extension DUMP's crash loads: the build for its kernel's crash target."""
    return extension(crash_target(release_of(dump)))


def stored_dumps(every_target=False):
    """Every dumps/<name>/ with a truth.json, filtered by DMS_KERNELS and, unless
    EVERY_TARGET, by EXTENSION_TARGETS; sorted by kernel, then name."""
    want = [r for r in os.environ.get('DMS_KERNELS', '').split(',') if r]
    out = [d for d in os.listdir(DUMPS) if os.path.isfile(os.path.join(DUMPS, d, 'truth.json'))]
    if want:
        out = [d for d in out if release_of(d) in want]
    if not every_target:
        out = [d for d in out if for_extension(d)]
    return sorted(out, key=lambda d: (release_of(d), d))


def vmlinux(release):
    """The path of RELEASE's vmlinux (dumps/fetch-debuginfo; downloads once)."""
    if release not in _vmlinux:
        if release == DEFAULT_RELEASE and os.environ.get('VMLINUX'):
            _vmlinux[release] = os.environ['VMLINUX']
        else:
            r = subprocess.run([os.path.join(DUMPS, 'fetch-debuginfo'), release],
                               capture_output=True, text=True, check=True)
            kv = dict(line.split('=', 1) for line in r.stdout.splitlines() if '=' in line)
            _vmlinux[release] = kv['VMLINUX']
    return _vmlinux[release]


def debug_modules(release):
    return os.path.join(os.path.dirname(vmlinux(release)), 'modules')


def crash_binary(version, target='X86_64'):
    """The crash binary of VERSION ('8.0.2' or '8.0.6') for TARGET (X86_64: the system's
    8.0.2 or the cache's 8.0.6; another: the cache's cross crash), or None if it is not
    here."""
    key = (version, target)
    if key in _crash:
        return _crash[key]
    env = os.environ.get('DMS_CRASH_' + version.replace('.', '_') +
                         ('' if target == 'X86_64' else '_' + target))
    path = None
    if env:
        path = env
    elif version == '8.0.2' and target == 'X86_64':
        path = shutil.which('crash')
    else:
        cache = os.environ.get('DMASLEUTH_CACHE') or os.path.join(
            os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache'), 'dmasleuth')
        cand = os.path.join(cache, 'crash-%s-%s' % (version, target), 'crash')
        path = cand if os.access(cand, os.X_OK) else None
    _crash[key] = path
    return path


def crash_for(dump):
    """The crash that opens DUMP: the oldest one at or above its kernel's CRASH_MIN, for its
    kernel's crash target, that is installed (so the system's crash is used wherever it can
    read the dump)."""
    rel = release_of(dump)
    need = manifest(rel).get('CRASH_MIN', '8.0.2')
    target = crash_target(rel)
    for v in ('8.0.2', '8.0.6'):
        if _ver(v) >= _ver(need) and crash_binary(v, target):
            return crash_binary(v, target)
    raise RuntimeError('no crash >= %s for %s (scripts/build-crash %s)' % (need, dump, target))


def crash_versions_for(dump):
    """Every installed crash version that opens DUMP (for tests run under each)."""
    rel = release_of(dump)
    need = manifest(rel).get('CRASH_MIN', '8.0.2')
    return [v for v in ('8.0.2', '8.0.6')
            if _ver(v) >= _ver(need) and crash_binary(v, crash_target(rel))]


def _ver(v):
    return tuple(int(x) for x in v.split('.'))


def run_crash(dump, cmdfile, timeout=900, crash=None):
    """`crash -s -i CMDFILE VMLINUX dumps/DUMP/vmcore </dev/null` with the dump's vmlinux
    and crash; stdout+stderr as text."""
    vmcore = os.path.join(DUMPS, dump, 'vmcore')
    rel = release_of(dump)
    env = dict(os.environ, DEBUG_MODULES=debug_modules(rel))
    r = subprocess.run([crash or crash_for(dump), '-s', '-i', cmdfile, vmlinux(rel), vmcore],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       cwd=ROOT, text=True, errors='replace', timeout=timeout, env=env)
    return r.stdout
