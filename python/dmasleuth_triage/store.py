"""Results on disk: one OUT/<dump-id>.json per input, written atomically, and what a
resumed run may keep; the inputs a run is given."""
import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile

from . import VERSION, warn

UMASK = os.umask(0o022)
os.umask(UMASK)


def dump_id(path):
    base = re.sub(r'[^A-Za-z0-9._-]+', '_', os.path.basename(os.path.dirname(os.path.abspath(path))) + '-' +
                  os.path.basename(path))[-60:].strip('_-.')
    return '%s-%s' % (base, hashlib.sha1(os.path.realpath(path).encode()).hexdigest()[:8])


def file_stamp(path):
    st = os.stat(path)
    return {'size': st.st_size, 'mtime_ns': st.st_mtime_ns}


def write_atomic(path, obj, mode=None):
    """Write, fsync, rename: a reader (or a resumed run) sees the old file or the new one.
    mode: the file's permissions (default: 0666 less the umask)."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or '.', prefix='.tmp-', suffix='.json')
    try:
        os.fchmod(fd, mode if mode is not None else 0o666 & ~UMASK)
        with os.fdopen(fd, 'w') as fp:
            json.dump(obj, fp, indent=1, sort_keys=True)
            fp.write('\n')
            fp.flush()
            os.fsync(fp.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def load_done(out_path, path, retry, shown_path=None):
    """The result in OUT for PATH if it can be kept: same format version, same input (path,
    size, mtime); with retry, not a timeout or an error.  shown_path: the path as results
    record it (redacted), if not the path itself."""
    try:
        with open(out_path) as fp:
            r = json.load(fp)
    except (OSError, ValueError):
        return None  # none, or unreadable: do it again
    if not isinstance(r, dict) or r.get('triage_version') != VERSION or \
            r.get('path') != (shown_path or os.path.abspath(path)):
        return None
    try:
        if r.get('input') != file_stamp(path):
            return None  # the input changed since
    except OSError:
        return None
    if retry and r.get('status') in ('timeout', 'crash-error', 'error'):
        return None
    return r


def lock_out(out):
    """Create OUT, take its lock (held while the returned file stays open) and remove what
    a killed run left; None (after saying why) when OUT is unusable or in use."""
    try:
        os.makedirs(out, exist_ok=True)
        lock = open(os.path.join(out, '.lock'), 'w')
    except OSError as e:
        warn('%s: %s' % (out, e.strerror))
        return None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        warn('%s is in use by another dmasleuth-triage run' % out)
        lock.close()
        return None
    for f in os.listdir(out):  # left by a run killed mid-write
        if f.startswith('.tmp-') or f.startswith('.work-'):
            shutil.rmtree(os.path.join(out, f), ignore_errors=True)
            try:
                os.unlink(os.path.join(out, f))
            except OSError:
                pass
    return lock


def find_inputs(paths, out_dir, report):
    """Files named and files under directories named (sorted, recursive), except the
    output directory, hidden files and the report."""
    out, seen = [], set()
    skip_dirs = {os.path.realpath(out_dir)}
    skip_files = {os.path.realpath(report)} if report else set()

    def add(p):
        rp = os.path.realpath(p)
        if rp not in seen and rp not in skip_files:
            seen.add(rp)
            out.append(p)
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith('.') and
                                 os.path.realpath(os.path.join(root, d)) not in skip_dirs)
                for f in sorted(files):
                    fp = os.path.join(root, f)
                    if not f.startswith('.') and os.path.isfile(fp):
                        add(fp)
        elif os.path.isfile(p):
            add(p)
        else:
            warn('%s: no such file or directory' % p)
    return out
