#!/usr/bin/env python3
"""verify-dump.py DUMPDIR [CRASH]

Checks one stored lab dump with crash alone (never dmasleuth): it opens with its kernel's
vmlinux (dumps/fetch-debuginfo RELEASE) and shows that release, `bt` shows the panic, and
the truth is there: every slab object truth.json lists holding a frame (up to 8 per cache)
is, per `kmem ADDR`, an object of the named cache in the named state (only the cache when
crash stops at the slab with "invalid freepointer": a frame overwrote a free object's
hardened freelist pointer, and crash's walk gives up on the slab), and `rd -p` at its
frame shows an Ethernet header to the NIC's MAC; a clean dump's `net` shows the NIC's
IPv4 address.  Commands: sys, bt, kmem -s, log (its tail checked), net, then kmem / rd per object, in
one batch session.  CRASH defaults to the crash the kernel's manifest asks for
(CRASH_MIN 8.0.6 or a CRASH_TARGET other than X86_64: $DMASLEUTH_CACHE/crash-8.0.6-TARGET/crash,
e.g. the cross crash of scripts/build-crash ARM64; else /usr/bin/crash).

Prints one line per check; exit 1 on any failure.
"""
import collections
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DUMPS = os.path.dirname(HERE)
MARK = 770000001


def manifest(rel):
    out = {}
    for line in open(os.path.join(DUMPS, 'kernels', rel)):
        m = re.match(r'^([A-Z0-9_]+)=(.*)$', line.strip())
        if m:
            out[m.group(1)] = m.group(2).strip('"')
    return out


def main():
    d = sys.argv[1]
    truth = json.load(open(os.path.join(d, 'truth.json')))
    rel = truth['kernel']['release']
    man = manifest(rel)
    cache = os.environ.get('DMASLEUTH_CACHE',
                           os.path.join(os.environ.get('XDG_CACHE_HOME',
                                                       os.path.expanduser('~/.cache')),
                                        'dmasleuth'))
    target = man.get('CRASH_TARGET', 'X86_64')
    crash = sys.argv[2] if len(sys.argv) > 2 else (
        os.path.join(cache, 'crash-8.0.6-%s' % target, 'crash')
        if man.get('CRASH_MIN') == '8.0.6' or target != 'X86_64' else '/usr/bin/crash')
    env = subprocess.run([os.path.join(DUMPS, 'fetch-debuginfo'), rel], check=True,
                         capture_output=True, text=True).stdout
    vmlinux = re.search(r'^VMLINUX=(.*)$', env, re.M).group(1)

    objs = truth.get('slab_objects_with_frames') or []
    per = collections.defaultdict(list)
    for o in objs:
        per[(o['cache'], o['state'])].append(o)
    sample = [o for v in per.values() for o in v[:8]]
    # `log` unpiped: crash prints a pipe's output out of order with the markers.
    cmds = ['sys', 'bt', 'kmem -s', 'log', 'net']
    for o in sample:
        cmds += ['kmem %s' % o['addr'], 'rd -p -8 %s 16' % o['frame_paddr']]
    lines = []
    for i, c in enumerate(cmds):
        lines += ['p %d' % (MARK + i), c]
    lines += ['p %d' % (MARK + len(cmds)), 'quit']
    with tempfile.NamedTemporaryFile('w', suffix='.cmds', delete=False) as fp:
        fp.write('\n'.join(lines) + '\n')
    try:
        out = subprocess.run([crash, '-s', '-i', fp.name, vmlinux,
                              os.path.join(d, 'vmcore')], stdin=subprocess.DEVNULL,
                             capture_output=True, text=True, errors='replace',
                             timeout=900).stdout
    finally:
        os.unlink(fp.name)
    ans = []
    for i in range(len(cmds)):
        m = re.search(r'= %d\n(.*?)\$\d+ = %d\n' % (MARK + i, MARK + i + 1), out, re.S)
        ans.append(m.group(1) if m else '')

    bad = 0

    def check(what, ok, detail=''):
        nonlocal bad
        print('%s: %s%s' % ('ok  ' if ok else 'FAIL', what,
                            '' if ok or not detail else ' (%s)' % detail.strip()[:300]))
        bad += not ok

    name = os.path.basename(os.path.normpath(d))
    check('%s opens in %s, release %s' % (name, crash, rel), 'RELEASE: %s' % rel in ans[0],
          out[:300])
    check('sys shows a panic', re.search(r'PANIC: ', ans[0]) is not None, ans[0])
    check('bt shows the panic path',
          re.search(r'\b(panic|crash_kexec|machine_kexec|__crash_kexec)\b', ans[1]) is not None,
          ans[1][:300])
    check('kmem -s lists caches', len(ans[2].splitlines()) > 50, ans[2][:200])
    check('log holds the first oops or sysrq',
          re.search(r'\[#1\]|sysrq: Trigger a crash', ans[3]) is not None, ans[3][-300:])
    tail = '\n'.join(ans[3].splitlines()[-60:])
    panic = r'Kernel panic|Trigger a crash|end trace|Fatal exception|Modules linked in'
    check('log | tail shows the panic', re.search(panic, tail) is not None, tail[-300:])
    mac = truth['nic']['mac'] if truth.get('nic') else None
    if truth['expected']['verdict'] == 'no-dma-after-free':
        ip = truth['nic']['ip'][0].split('/')[0]
        check('net shows the NIC at %s' % ip, ip in ans[4], ans[4])
    macb = bytes(int(x, 16) for x in mac.split(':')) if mac else b''
    k = 5
    unwalkable = 0
    for o in sample:
        km, rd = ans[k], ans[k + 1]
        k += 2
        addr = int(o['addr'], 16)
        want = '[%x]' % addr if o['state'] == 'live' else '%x' % addr
        in_cache = re.search(r'\s%s\s*$' % re.escape(o['cache']), km, re.M) is not None
        state_ok = (want in km) if o['state'] == 'live' else \
            (re.search(r'^\s+%x(\s+\(cpu \d+ cache\))?\s*$' % addr, km, re.M) is not None)
        if 'invalid freepointer' in km:
            # A frame overwrote a free object's hardened freelist pointer: crash's SLUB
            # walk gives up on the whole slab, so it cannot say allocated or free.
            unwalkable += 1
            check('%s %s %s: kmem says cache %s (slab not walkable: invalid freepointer)'
                  % (o['cache'], o['addr'], o['state'], o['cache']), in_cache, km[:400])
        else:
            check('%s %s %s: kmem says cache %s, %s' % (o['cache'], o['addr'], o['state'],
                                                       o['cache'], o['state']),
                  in_cache and state_ok, km[:400])
        data = bytearray()
        for line in rd.splitlines():
            m = re.match(r'^\s*[0-9a-f]+:\s+((?:[0-9a-f]{2} )+)', line)
            if m:
                data += bytes(int(b, 16) for b in m.group(1).split())
        check('  frame at %s is addressed to %s' % (o['frame_paddr'], mac),
              bytes(data[:6]) == macb, rd[:200])
    print('%s: %d checks failed, %d truth objects sampled of %d (%d in slabs crash cannot walk)'
          % (name, bad, len(sample), len(objs), unwalkable))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
