"""Where the tools are: the extension (one build per crash target), dmasleuth-logscan, the
dmasleuth cache."""
import os
import platform
import shutil

# The directory of the dmasleuth-triage launcher (the source tree's scripts/ or an installed
# bin/): the built or installed extension and dmasleuth-logscan are looked for from there
# first.  The launcher sets it; `python3 -m dmasleuth_triage` leaves it None.
BINDIR = None


def cache_dir():
    return os.environ.get('DMASLEUTH_CACHE') or os.path.join(
        os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache'), 'dmasleuth')


# crash's target names (`make target=...`, `crash --buildinfo`), by the architecture names
# of formats.py and dmasleuth-logscan.
ARCH_TARGETS = {'x86_64': 'X86_64', 'arm64': 'ARM64', 'x86': 'X86', 'arm': 'ARM', 'ppc64': 'PPC64',
                's390x': 'S390X', 'riscv64': 'RISCV64', 'loongarch64': 'LOONGARCH64'}
HOST_ARCH = {'x86_64': 'x86_64', 'amd64': 'x86_64', 'aarch64': 'arm64', 'arm64': 'arm64',
             'ppc64le': 'ppc64', 's390x': 's390x', 'riscv64': 'riscv64', 'loongarch64': 'loongarch64'}


def host_target():
    """The crash target of this machine's own crash (a crash built without target=)."""
    return ARCH_TARGETS.get(HOST_ARCH.get(platform.machine().lower(), ''), 'X86_64')


def extension_name(target=None):
    """The file name of the extension built for crash TARGET: dmasleuth.so for this machine's
    own crash, dmasleuth-<target>.so for a cross crash's (e.g. dmasleuth-arm64.so: `make
    extension-arm64`)."""
    return 'dmasleuth.so' if target in (None, host_target()) else 'dmasleuth-%s.so' % target.lower()


def extension_path(arg, target=None):
    """The extension for crash TARGET (default: this machine's): ARG, else the source
    tree's build, else the installed one."""
    name = extension_name(target)
    cands = [arg] if arg else []
    if not arg and BINDIR:
        cands += [os.path.join(BINDIR, '..', 'extensions', name),  # source tree
                  os.path.join(BINDIR, '..', 'lib', 'crash', 'extensions', name)]  # PREFIX
    if not arg:
        cands += ['/usr/lib/crash/extensions/' + name, '/usr/local/lib/crash/extensions/' + name]
    for p in cands:
        if p and os.path.isfile(p):
            return os.path.abspath(p)
    return None


def logscan_path():
    for p in (os.path.join(BINDIR, 'dmasleuth-logscan') if BINDIR else None, shutil.which('dmasleuth-logscan')):
        if p and os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None
