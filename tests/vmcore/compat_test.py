#!/usr/bin/env python3
"""compat: one extension source for crash 8.0.2 and crash 8.0.6 (docs/compat.md, "crash versions").

Needs crash 8.0.6 in the cache (scripts/build-crash X86_64, ~17 CPU-minutes once); without it
the suite says so and counts nothing (it never starts that build itself).  Then:

  build     `make extension-compat`: the extension built against crash 8.0.6's defs.h with
            -Werror, and the objects built against /usr/include/crash and against 8.0.6's are
            the same code and data (debug info aside)
  offsets   compat_offsets.c (every crash member, constant and macro the glue uses) prints
            the same built against either defs.h
  load      both builds (extensions/dmasleuth.so from /usr/include/crash,
            build/compat/8.0.6/dmasleuth.so from 8.0.6) load into both crashes (2 x 2 sessions)
  CMD       each command's output (crash's `CMD > file`), normalised, is the same in all four
            sessions and is not an error; commands: rxring before and after `mod -s` (crash's
            module table: is_module_name(), the debug .ko crash loaded), rxring -j -s, dmaf -q,
            dmaf -j, slabcheck -q, slabcheck -j, pktscan -s -q, pktscan -j -q, pktscan -i

The sessions see no debuginfo cache and no DEBUG_MODULES: the NIC drivers' debug .ko files
reach rxring only through `mod -s`, i.e. through crash's own module table.

Usage: compat_test.py [DUMP]   (default dumps/e1000-vma, a 6.1 dump both crashes open)
Environment: DMS_CRASH_8_0_2, DMS_CRASH_8_0_6 (crash binaries), VMLINUX and DEBUG_MODULES
(else dumps/fetch-debuginfo), COMPAT_MODULES (the NIC modules to `mod -s`, default
"e1000 e1000e"; e.g. "e1000 virtio_net virtio_ring" for dumps/virtio-vlan), KEEP=1 keeps the
work directory.
Last line: "compat: N passed, M failed"; exit status 1 on any failure.
"""
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SYSTEM_SO = 'extensions/dmasleuth.so'
COMPAT_SO = 'build/compat/8.0.6/dmasleuth.so'
# (file name, command); mod -s lines are inserted where MOD_S stands.
MOD_S = None
COMMANDS = [
    ('rxring-nodebug', 'rxring'),
    MOD_S,
    ('rxring', 'rxring'),
    ('rxring-json', 'rxring -j -s'),
    ('dmaf', 'dmaf -q'),
    ('dmaf-json', 'dmaf -q -j'),
    ('slabcheck', 'slabcheck -q'),
    ('slabcheck-json', 'slabcheck -q -j'),
    ('pktscan-summary', 'pktscan -s -q'),
    ('pktscan-json', 'pktscan -j -q'),
    ('pktscan-info', 'pktscan -i'),
]
DRIVER_MODULES = os.environ.get('COMPAT_MODULES', 'e1000 e1000e').split()
# Output that means the command did not run: crash's own errors, a failed load.
ERROR_RE = re.compile(r'^(crash: |\S+: (command not found|undefined symbol))|undefined symbol', re.M)

results = []


def check(name, ok, why=''):
    results.append(ok)
    print('%s %s%s' % ('PASS' if ok else 'FAIL', name, '' if ok or not why else ': ' + why))
    sys.stdout.flush()


def cache_dir():
    c = os.environ.get('DMASLEUTH_CACHE')
    if c:
        return c
    return os.path.join(os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache'),
                        'dmasleuth')


def crash_806():
    """crash 8.0.6 if it is built (the rule of scripts/build-crash: crash, defs.h, .complete)."""
    c = os.environ.get('DMS_CRASH_8_0_6')
    if c:
        return c if os.access(c, os.X_OK) else None
    d = os.path.join(cache_dir(), 'crash-8.0.6-X86_64')
    if all(os.path.exists(os.path.join(d, f)) for f in ('crash', 'defs.h', '.complete')):
        return os.path.join(d, 'crash')
    return None


def debuginfo():
    if os.environ.get('VMLINUX') and os.environ.get('DEBUG_MODULES'):
        return os.environ['VMLINUX'], os.environ['DEBUG_MODULES']
    out = subprocess.run([os.path.join(ROOT, 'dumps', 'fetch-debuginfo')], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    kv = dict(line.split('=', 1) for line in out.splitlines() if '=' in line)
    return kv['VMLINUX'].strip('"\''), kv['DEBUG_MODULES'].strip('"\'')


def normalise(text):
    """Timings vary from run to run; nothing else may."""
    text = re.sub(r'(, |\b)\d+\.\d+ s\b', r'\1N.N s', text)
    text = re.sub(r'"(secs|elapsed|seconds)":\s*[0-9.]+', r'"\1":N', text)
    return '\n'.join(line.rstrip() for line in text.splitlines()) + '\n'


def session(crash, so, vmlinux, modules, dump, work, tag):
    """One crash session: extend SO, every command into its own file; returns (log, dir)."""
    out = os.path.join(work, tag)
    os.makedirs(out)
    cmds = os.path.join(work, tag + '.cmds')
    with open(cmds, 'w') as f:
        f.write('extend %s\n' % os.path.join(ROOT, so))
        for c in COMMANDS:
            if c is MOD_S:
                for m in DRIVER_MODULES:
                    f.write('mod -s %s %s/%s.ko > %s/mod-%s\n' % (m, modules, m, out, m))
                continue
            f.write('%s > %s/%s\n' % (c[1], out, c[0]))
    # No debuginfo cache, no DEBUG_MODULES: rxring finds the .ko files through `mod -s` only.
    env = {k: v for k, v in os.environ.items()
           if k not in ('DEBUG_MODULES', 'DMASLEUTH_CACHE', 'XDG_CACHE_HOME')}
    env['HOME'] = os.path.join(work, 'home')
    os.makedirs(env['HOME'], exist_ok=True)
    p = subprocess.run([crash, '-s', '-i', cmds, vmlinux, os.path.join(ROOT, dump)], cwd=ROOT,
                       env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=1800)
    return p.stdout + p.stderr, out


def check_offsets(work, inc_system, inc_806):
    """Build compat_offsets.c against both defs.h files; the outputs must be equal."""
    outs = {}
    for tag, inc in (('system', inc_system), ('8.0.6', inc_806)):
        if not os.path.exists(os.path.join(inc, 'defs.h')):
            check('offsets', False, 'no defs.h in %s' % inc)
            return
        shim = os.path.join(work, 'inc-' + tag)
        os.makedirs(shim)
        os.symlink(os.path.abspath(inc), os.path.join(shim, 'crash'))
        exe = os.path.join(work, 'offsets-' + tag)
        p = subprocess.run([os.environ.get('CC', 'cc'), '-std=gnu11', '-Wall', '-Wextra',
                            '-Werror', '-DX86_64', '-D_GNU_SOURCE', '-isystem', shim, '-o', exe,
                            os.path.join(HERE, 'compat_offsets.c')],
                           capture_output=True, text=True)
        if p.returncode:
            check('offsets', False, 'build against %s: %s' % (inc, p.stderr[-800:]))
            return
        outs[tag] = subprocess.run([exe], capture_output=True, text=True).stdout
    diff = [('- ' + a, '+ ' + b) for a, b in zip(outs['system'].splitlines(),
                                                  outs['8.0.6'].splitlines()) if a != b]
    same = outs['system'] == outs['8.0.6'] and outs['system'].count('\n') > 40
    check('offsets (%d members, constants and macros)' % outs['system'].count('\n'), same,
          '\n'.join('%s\n%s' % d for d in diff[:20]) or 'outputs differ in length')


def main():
    dump = sys.argv[1] if len(sys.argv) > 1 else 'dumps/e1000-vma'
    dump = dump if dump.endswith('vmcore') else os.path.join(dump, 'vmcore')
    c806 = crash_806()
    if not c806:
        print('compat: crash 8.0.6 is not built (scripts/build-crash X86_64): nothing tested')
        print('compat: 0 passed, 0 failed')
        return 0
    c802 = os.environ.get('DMS_CRASH_8_0_2') or shutil.which('crash') or '/usr/bin/crash'

    make = os.environ.get('MAKE', 'make')
    p = subprocess.run([make, '--no-print-directory', 'extension', 'extension-compat'],
                       cwd=ROOT, capture_output=True, text=True)
    check('build', p.returncode == 0 and os.path.exists(os.path.join(ROOT, COMPAT_SO)),
          (p.stdout + p.stderr).strip()[-2000:])
    if p.returncode != 0:
        print('compat: %d passed, %d failed' % (results.count(True), results.count(False)))
        return 1

    vmlinux, modules = debuginfo()
    work = tempfile.mkdtemp(prefix='dms-compat-')
    check_offsets(work, os.environ.get('CRASH_INC', '/usr/include/crash'),
                  os.path.dirname(os.path.abspath(c806)))
    combos = [('8.0.2', c802, 'system', SYSTEM_SO), ('8.0.2', c802, '8.0.6', COMPAT_SO),
              ('8.0.6', c806, 'system', SYSTEM_SO), ('8.0.6', c806, '8.0.6', COMPAT_SO)]
    jobs = max(1, min(4, os.cpu_count() or 1))
    with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
        futs = {}
        for cv, cbin, hv, so in combos:
            tag = 'crash-%s+so-%s' % (cv, hv)
            futs[tag] = ex.submit(session, cbin, so, vmlinux, modules, dump, work, tag)
        runs = {tag: f.result() for tag, f in futs.items()}

    for tag, (log, _) in runs.items():
        ok = 'shared object loaded' in log and not ERROR_RE.search(log)
        check('load %s' % tag, ok, log.strip()[-600:])

    ref = 'crash-8.0.2+so-system'
    for c in COMMANDS:
        names = ['mod-' + m for m in DRIVER_MODULES] if c is MOD_S else [c[0]]
        for name in names:
            outs = {}
            for tag, (_, d) in runs.items():
                path = os.path.join(d, name)
                outs[tag] = normalise(open(path).read()) if os.path.exists(path) else None
            base = outs[ref]
            why = ''
            if not base or not base.strip():
                why = 'no output in %s' % ref
            elif ERROR_RE.search(base) or (name != 'rxring-nodebug' and 'not found' in base
                                            and name.startswith('rxring')):
                why = 'error in %s: %s' % (ref, base.strip()[:300])
            for tag, o in outs.items():
                if not why and o != base:
                    a, b = os.path.join(work, 'a'), os.path.join(work, 'b')
                    open(a, 'w').write(base)
                    open(b, 'w').write(o or '')
                    diff = subprocess.run(['diff', '-u', '--label', ref, '--label', tag, a, b],
                                          capture_output=True, text=True).stdout
                    why = 'differs:\n' + '\n'.join(diff.splitlines()[:40])
            check(name, not why, why)

    # The case the mod -s step is there for: before it rxring lacks the .ko, after it has it.
    nodebug = normalise(open(os.path.join(runs[ref][1], 'rxring-nodebug')).read())
    after = normalise(open(os.path.join(runs[ref][1], 'rxring')).read())
    found = [m for m in DRIVER_MODULES if 'layout from %s.ko' % m in after]
    check('mod -s reaches rxring', 'debuginfo of module' in nodebug and found and
          'debuginfo of module' not in after,
          'before:\n%s\nafter:\n%s' % (nodebug[-800:], after[-800:]))

    if os.environ.get('KEEP'):
        print('compat: work directory %s' % work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    failed = results.count(False)
    print('compat: %d passed, %d failed' % (results.count(True), failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
