"""Where the tools are: the extension, dmasleuth-logscan, the dmasleuth cache."""
import os
import shutil

# The directory of the dmasleuth-triage launcher (the source tree's scripts/ or an installed
# bin/): the built or installed extension and dmasleuth-logscan are looked for from there
# first.  The launcher sets it; `python3 -m dmasleuth_triage` leaves it None.
BINDIR = None


def cache_dir():
    return os.environ.get('DMASLEUTH_CACHE') or os.path.join(
        os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache'), 'dmasleuth')


def extension_path(arg):
    """dmasleuth.so: ARG, else the source tree's build, else the installed one."""
    cands = [arg] if arg else []
    if not arg and BINDIR:
        cands += [os.path.join(BINDIR, '..', 'extensions', 'dmasleuth.so'),  # source tree
                  os.path.join(BINDIR, '..', 'lib', 'crash', 'extensions', 'dmasleuth.so')]  # PREFIX
    if not arg:
        cands += ['/usr/lib/crash/extensions/dmasleuth.so', '/usr/local/lib/crash/extensions/dmasleuth.so']
    for p in cands:
        if p and os.path.isfile(p):
            return os.path.abspath(p)
    return None


def logscan_path():
    for p in (os.path.join(BINDIR, 'dmasleuth-logscan') if BINDIR else None, shutil.which('dmasleuth-logscan')):
        if p and os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None
