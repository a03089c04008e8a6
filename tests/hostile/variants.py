"""The damaged variants of tests/hostile: which damage kinds on which dump, generated
once into a cache directory (HOSTILE_CACHE, default ~/.cache/dmasleuth/hostile) keyed by
the sources that make them and the dump.  Used by tests/hostile/run and by the triage
test (a damaged dump among healthy ones)."""
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import crashrun  # noqa: E402
import damage  # noqa: E402
import survey  # noqa: E402

dumpenv = crashrun.dumpenv

# name, base dump, damage kinds.  Kinds that damage different objects share a variant
# (one crash session each); every kind of damage.py is in one.
VARIANTS = [
    ('slab-freelists', 'clean-traffic', ['freelist-cycle', 'slab-random', 'slab-ff']),
    ('page-arrays', 'clean-traffic', ['page-array-random', 'page-array-fields']),
    ('kmem-caches', 'clean-traffic', ['kmem-cache-loop', 'kmem-cache-absurd']),
    ('netdev-loop', 'clean-traffic', ['netdev-loop']),
    ('nic-rings', 'clean-traffic', ['ring-pointers']),
    ('nic-sizes', 'clean-traffic', ['ring-sizes']),
    ('pointer-spray', 'clean-traffic', ['pointer-spray']),
    ('packets-absurd', 'clean-traffic', ['absurd-headers']),
    ('packed-frames', 'clean-traffic', ['packed-frames']),
    ('ko-missing', 'clean-traffic', ['ko-missing']),
    ('ko-other-build', 'clean-traffic', ['ko-other-build']),
    ('hit-explosion', 'virtio-vlan', ['hit-explosion']),
    ('ring-virtio', 'virtio-vlan', ['ring-virtio']),
    ('oops-garbled', 'e1000-vma', ['oops-garbled']),
    ('oops-truncated', 'e1000-vma', ['oops-truncated']),
    ('fault-page-excluded', 'e1000-vma', ['fault-page-excluded']),
]


def cache_root():
    c = os.environ.get('HOSTILE_CACHE')
    if c:
        return c
    base = os.environ.get('DMASLEUTH_CACHE') or os.path.join(
        os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache'), 'dmasleuth')
    return os.path.join(base, 'hostile')


def key_of(dump, sources=('survey.py', 'crashrun.py')):
    """The sources that make a cached file + the dump: a new survey, generator or dump
    makes it again."""
    h = hashlib.sha1()
    for f in sources:
        h.update(open(os.path.join(HERE, f) if '/' not in f else os.path.join(ROOT, f),
                      'rb').read())
    st = os.stat(os.path.join(ROOT, 'dumps', dump, 'vmcore'))
    h.update(('%s %d %d' % (dump, st.st_size, int(st.st_mtime))).encode())
    return h.hexdigest()[:12]


def get_survey(dump, work, extension='extensions/dmasleuth.so'):
    d = os.path.join(cache_root(), '%s-%s' % (dump, key_of(dump)))
    path = os.path.join(d, 'survey.json')
    if os.path.exists(path):
        return json.load(open(path)), d
    os.makedirs(d, exist_ok=True)
    rel = dumpenv.release_of(dump)
    sv = survey.survey(os.path.join(ROOT, 'dumps', dump, 'vmcore'), rel,
                       dumpenv.crash_for(dump), extension, work, name='survey-' + dump)
    tmp = path + '.tmp'
    json.dump(sv, open(tmp, 'w'))
    os.replace(tmp, path)
    return sv, d


def get_variant(name, dump, kinds, sv, d):
    """The damaged vmcore of a variant and what each kind did (generated once)."""
    gk = key_of(dump, ('damage.py', 'dumps/lab/dumpfile.py'))
    vm = os.path.join(d, '%s-%s.vmcore' % (name, gk))
    ij = os.path.join(d, '%s-%s.json' % (name, gk))
    # Older generations of this variant go.
    for f in os.listdir(d):
        if f.startswith(name + '-') and gk not in f and f.endswith(('.vmcore', '.json')):
            os.unlink(os.path.join(d, f))
    if all(damage.KINDS[k]['env_only'] for k in kinds):
        vm = os.path.join(ROOT, 'dumps', dump, 'vmcore')  # the dump is not changed
    if os.path.exists(vm) and os.path.exists(ij):
        return vm, json.load(open(ij))
    dm = damage.dumpfile.Dump(os.path.join(ROOT, 'dumps', dump, 'vmcore'))
    info = damage.apply(dm, sv, kinds)
    if not all(damage.KINDS[k]['env_only'] for k in kinds):
        dm.save(vm + '.tmp')
        os.replace(vm + '.tmp', vm)
    json.dump(info, open(ij, 'w'))
    return vm, info


def env_for(info, release, work):
    """Environment of a session: the NIC debug .ko hidden or swapped (ko-* kinds)."""
    env = {}
    for i in info.values():
        what = i.get('env')
        if not what:
            continue
        empty = os.path.join(work, 'empty-home')
        os.makedirs(empty, exist_ok=True)
        env.update({'HOME': empty, 'XDG_CACHE_HOME': empty, 'DMASLEUTH_CACHE': empty,
                    'DEBUG_MODULES': empty})
        if what == 'other-build':
            other = next(r for r in sorted(os.listdir(os.path.dirname(
                os.path.dirname(dumpenv.vmlinux(release))))) if r != release and
                os.path.isdir(os.path.join(os.path.dirname(os.path.dirname(
                    dumpenv.vmlinux(release))), r, 'modules')))
            src = os.path.join(os.path.dirname(os.path.dirname(dumpenv.vmlinux(release))),
                               other, 'modules')
            mods = os.path.join(work, 'other-build-modules')
            os.makedirs(mods, exist_ok=True)
            for f in os.listdir(src):
                dst = os.path.join(mods, f)
                if not os.path.exists(dst):
                    os.symlink(os.path.join(src, f), dst)
            env['DEBUG_MODULES'] = mods
            i['other_release'] = other
    return env


def variant(name, work, extension='extensions/dmasleuth.so'):
    """(base dump, damaged vmcore path, info) of one variant, generated if needed."""
    for n, dump, kinds in VARIANTS:
        if n == name:
            sv, d = get_survey(dump, work, extension)
            vm, info = get_variant(n, dump, kinds, sv, d)
            return dump, vm, info
    raise KeyError(name)
