#!/usr/bin/env python3
"""mktruth.py SCENARIO WORKDIR DESTDIR

Turns one lab run (WORKDIR: vmcore, console.log, truth.raw from COM2, run.conf and kernel
written by run-scenario.sh) into a stored scenario (DESTDIR: vmcore, truth.json,
console.log) after checking the run meets the scenario's acceptance rule for that kernel
(ACCEPT in scenarios/NAME.conf or scenarios/SERIES/NAME.conf, as merged into run.conf).
Exit 3 when the run is valid but does not meet the rule (the Makefile then runs the
scenario again).

truth.json's schema is documented in dumps/README.md.
"""
import json
import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = 1


def shell_vars(path):
    """KEY=VALUE lines of a sourced shell file (no expansion needed for ours)."""
    out = {}
    for line in open(path):
        m = re.match(r'^([A-Z0-9_]+)=(.*)$', line.strip())
        if m:
            out[m.group(1)] = m.group(2).strip('"')
    return out


def records(raw):
    """Complete BEGIN..END records of truth.raw, in order."""
    recs, cur = [], None
    for line in raw.splitlines():
        m = re.match(r'^BEGIN (\d+) (\S+)', line)
        if m:
            cur = {'seq': int(m.group(1)), 'why': m.group(2), 'lines': []}
            continue
        if cur is None:
            continue
        if re.match(r'^END %d$' % cur['seq'], line):
            recs.append(cur)
            cur = None
            continue
        cur['lines'].append(line)
    return recs


def flows(conf):
    out = []
    path = os.path.join(HERE, 'scenarios', conf['FLOWS']) if conf.get('FLOWS') else None
    if not path:
        return out
    for line in open(path):
        if not line.strip() or line.startswith('#'):
            continue
        proto, ipver, src, dst, sport, dport, vlan, weight, lo, hi = line.split()
        out.append({'proto': proto, 'ip_version': int(ipver), 'src': src, 'dst': dst,
                    'sport': int(sport), 'dport': int(dport),
                    'vlan': int(vlan) or None, 'frame_len': [int(lo), int(hi)],
                    'packets_sent': 0})
    return out


def first_oops(console):
    """The first oops header ("... [#1] ...") with the line before it when that names the
    fault (a "Bad pagetable" oops says what it saw on the line before; arm64 says "Unable to
    handle kernel paging request at virtual address ..." before its "Mem abort info"), else
    a panic line."""
    lines = [re.sub(r'^\[\s*[\d.]+\]\s*', '', l) for l in console.splitlines()]
    for i, l in enumerate(lines):
        if '[#1]' in l:
            why = [p.strip() for p in lines[max(0, i - 16):i]
                   if re.search(r'Corrupted page table|unable to handle|kernel BUG', p, re.I)]
            return '%s (%s)' % (l.strip(), why[-1]) if why else l.strip()
    for l in lines:
        if 'Kernel panic - not syncing' in l:
            return l.strip()
    return None


def crash_site(console):
    """The faulting function (x86 RIP, arm64 pc) and the first call-trace functions of the
    first oops."""
    # 5.16+ closes the trace with </TASK>; 5.10 goes on with "Modules linked in".
    m = re.search(r'\[#1\].*?RIP: 00\d\d:(\S+).*?Call Trace:\n(.*?)(?:</TASK>|Modules linked in)',
                  console, re.S)
    if not m:
        # arm64: "pc : FUNC+0x../0x.." (or a bare address after a jump to garbage), then
        # "Call trace:" up to the "Code:" line.
        m = re.search(r'\[#1\].*?\bpc : (\S+).*?Call trace:\n(.*?)(?:Code:|---\[ end trace)',
                      console, re.S)
        if not m:
            return None, []
    frames = re.findall(r'^\[[\s\d.]+\]\s+(?:\? )?([a-zA-Z0-9_.]+)\+', m.group(2), re.M)
    return m.group(1), frames


def wild_address(console):
    """Whether the first oops is an access to an address that no mapping can have: x86's GPF
    "probably for non-canonical address", arm64's "[ADDR] address between user and kernel
    address ranges" (printed before the oops header)."""
    head = console.split('[#1]', 1)
    if len(head) < 2:
        return False
    last = head[0].splitlines()[-1] if head[0] else ''
    return ('non-canonical' in last or
            re.search(r'address between user and kernel address ranges', head[0]) is not None)


def capture_format(conf):
    if conf['CAPTURE'] == 'kdump':
        return ('kdump-compressed (makedumpfile -c -d 31, in-guest kexec capture kernel%s)'
                % (', pages recompressed with zstd -19 by kdump-recompress.py'
                   if conf.get('RECOMPRESS') == 'zstd' else ''))
    if conf.get('RECOMPRESS') == 'zstd':
        return ('kdump-compressed, zstd (QEMU dump-guest-memory -z, restored with makedumpfile '
                '-R, every page recompressed with zstd -19 by kdump-recompress.py)')
    return 'makedumpfile flattened, zlib (QEMU dump-guest-memory -z)'


def dump_level(conf):
    return 31 if conf['CAPTURE'] == 'kdump' else None


def hexs(x):
    return '0x%x' % x


def main():
    name, work, dest = sys.argv[1:4]
    conf = shell_vars(os.path.join(work, 'run.conf'))
    release = open(os.path.join(work, 'kernel')).read().strip()
    kern = shell_vars(os.path.join(HERE, '..', 'kernels', release))
    console = open(os.path.join(work, 'console.log'), errors='replace').read()
    raw = open(os.path.join(work, 'truth.raw'), errors='replace').read()
    recs = records(raw)
    if not recs:
        print('mktruth: %s: no complete ground-truth record on COM2' % name, file=sys.stderr)
        return 3

    # The first kernel's part of the console (the capture kernel's boot follows it).
    first = console.split('Linux version', 2)
    first_console = 'Linux version'.join(first[:2]) if len(first) > 2 else console
    if 'sysrq: Trigger a crash' in first_console:
        crash = 'sysrq-c'
    elif conf['MODE'] == 'swuaf':
        crash = 'natural (software use-after-free)'
    else:
        crash = 'natural'

    armed = next((r for r in recs if r['why'] == 'fault-armed'), None)
    # The last record taken before the crash is the truth: the oops record if it made it
    # out whole, else the last complete one.
    final = recs[-1]
    netdev = None
    bufs = []
    for line in (armed or final)['lines']:
        f = line.split()
        if len(f) < 3 or (f[0] == 'netdev' and len(f) < 5):
            continue
        if f[0] == 'netdev':
            netdev = {'name': f[1], 'mac': f[2], 'frame_offset': int(f[4])}
        elif f[0] == 'buf':
            bufs.append([hexs(int(f[1], 16)), int(f[2], 16)])

    # Every buffer position the device wrote a frame at, in any record after the free
    # (the last record lists what was there at the oops; the device may write again
    # before the dump is taken, e.g. packets still queued when the guest stopped).
    written = set()
    for r in recs:
        for line in r['lines']:
            f = line.split()
            if len(f) >= 4 and f[0] == 'frame' and re.match(r'^[0-9a-f]+$', f[1]):
                written.add(int(f[1], 16))

    fl = flows(conf)
    objs, corrupt, summary = [], [], None
    frame = None
    frame_list = []
    # A line cut by another CPU's write to COM2 (the die notifier writes even when it
    # cannot get the UART lock) is skipped rather than trusted.
    want_fields = {'frame': 4, 'frames': 2, 'sent': 1, 'corrupt': 4, 'obj': 9}
    for line in final['lines']:
        f = line.split()
        if not f or len(f) < want_fields.get(f[0], 1):
            continue
        if f[0] == 'frame':
            frame = int(f[1], 16)
            frame_list.append([hexs(frame), int(f[2], 16), f[3]])
        elif f[0] == 'frames':
            summary = {'total': int(f[1])}
            summary['by_page_kind'] = dict(kv.split('=') for kv in f[2:])
            summary['by_page_kind'] = {k: int(v) for k, v in summary['by_page_kind'].items()}
        elif f[0] == 'sent':
            for kv in f[1:]:
                i, n = kv.split(':')
                if int(i) < len(fl):
                    fl[int(i)]['packets_sent'] = int(n)
        elif f[0] == 'corrupt':
            c = {'kind': f[1], 'offset': int(f[2].lstrip('+'), 16), 'len': int(f[3], 16)}
            for kv in f[4:]:
                k, v = kv.split('=')
                c[k] = int(v, 16)
            corrupt.append(c)
        elif f[0] == 'obj':
            o = {'cache': f[2], 'addr': '0x' + f[3], 'paddr': hexs(int(f[4], 16)),
                 'object_size': int(f[5]), 'state': f[6],
                 'offset': int(f[7].lstrip('+'), 16), 'len': int(f[8], 16)}
            if f[1] == 'frame':
                o['frame_paddr'] = hexs(frame)
                objs.append(o)
            elif f[1] == 'corrupt' and corrupt:
                corrupt[-1].update({k: o[k] for k in ('cache', 'addr', 'paddr', 'object_size',
                                                      'state')})
                corrupt[-1]['object_offset'] = o['offset']

    truth = {
        'schema': SCHEMA,
        'scenario': name,
        'description': conf.get('DESCRIPTION', ''),
        'kernel': {'release': kern['KERNEL_RELEASE'], 'series': kern['KERNEL_SERIES'],
                   'arch': kern.get('KERNEL_ARCH', 'x86_64'),
                   'package': kern['KERNEL_PACKAGE'],
                   'version': kern['KERNEL_VERSION'],
                   'vmlinux_build_id': kern['VMLINUX_BUILD_ID'],
                   'debuginfo_package': kern['DBG_PACKAGE']},
        'capture': {
            'method': 'kdump' if conf['CAPTURE'] == 'kdump' else 'qemu-dump-guest-memory',
            'format': capture_format(conf),
            'dump_level': dump_level(conf),
            'guest_memory_mb': int(conf['MEM']),
            'crashkernel_mb': int(conf.get('CRASHKERNEL', 192)) if conf['CAPTURE'] == 'kdump' else None,
            'crash': crash,
            'oops': first_oops(first_console),
            'rip': crash_site(first_console)[0],
            'call_trace': crash_site(first_console)[1][:8],
            'truth_record': final['why'],
        },
        'nic': None,
        'peer_nic': {'qemu_device': conf['PEER_NIC'], 'mac': conf['PEER_MAC'].lower()},
        'flows': fl,
        'freed_rx_buffers': bufs,
        'frames_after_free': (dict(summary, frames=frame_list,
                                   written_any_record=[hexs(a) for a in sorted(written)])
                              if conf['MODE'] in ('e1000', 'virtio') and summary else None),
        'slab_objects_with_frames': objs,
        'corrupted_objects': corrupt,
        'expected': {'verdict': conf['EXPECT']},
    }
    if netdev or conf['MODE'] != 'swuaf':
        truth['nic'] = {'driver': conf['DRIVER'], 'qemu_device': conf['VICTIM_NIC'],
                        'netdev': netdev['name'] if netdev else None,
                        'mac': conf['VICTIM_MAC'].lower(),
                        'ip': [a for a in (conf.get('VICTIM_IP'), conf.get('VICTIM_IP6')) if a],
                        'frame_offset_in_buffer': netdev['frame_offset'] if netdev else None,
                        'rx_ring_size': int(conf.get('RX_RING', 0)) or None}
    if conf['EXPECT'] == 'dma-after-free':
        truth['expected'].update({'netdev': truth['nic']['netdev'], 'driver': conf['DRIVER']})

    # Acceptance: what this scenario must show to be worth storing.
    accept = conf.get('ACCEPT', '')
    live = [o for o in objs if o['state'] == 'live']
    problems = []
    if 'gpf-noncanonical' in accept and 'non-canonical' not in (truth['capture']['oops'] or ''):
        problems.append('the crash is not a GPF on a non-canonical address (%s)'
                        % truth['capture']['oops'])
    if 'wild-address' in accept and not wild_address(first_console):
        problems.append('the first oops is not an access to an address outside both the user '
                        'and the kernel ranges (%s)' % truth['capture']['oops'])
    m = re.search(r'crash-in=(\S+)', accept)
    if m:
        rip, frames = crash_site(first_console)
        if not re.search(m.group(1), rip or ''):
            problems.append('the crash site %s is not in %s' % (rip, m.group(1)))
    if 'natural' in accept and crash == 'sysrq-c':
        problems.append('crash was sysrq-c, a natural crash is required')
    m = re.search(r'live-cache=(\S+)', accept)
    if m and not any(o['cache'] == m.group(1) for o in live):
        problems.append('no live %s object holds a frame' % m.group(1))
    if 'live-slab' in accept and not live:
        problems.append('no live slab object holds a frame')
    if 'corrupt' in accept and len(corrupt) < 2:
        problems.append('corruption record incomplete')
    if conf['MODE'] != 'swuaf' and re.search(r'^.*(RIP: |\s)\S+\+0x[0-9a-f]+/0x[0-9a-f]+ \[labfault\]',
                                             first_console, re.M):
        problems.append('the lab module itself is in an oops (e.g. its die notifier faulted)')
    size = os.path.getsize(os.path.join(work, 'vmcore'))
    max_mb = int(conf.get('MAX_VMCORE_MB', 16))
    if size > max_mb * 1024 * 1024:
        problems.append('vmcore is %.1f MiB, more than %d MiB' % (size / 1048576, max_mb))
    if problems:
        print('mktruth: %s: run not accepted: %s' % (name, '; '.join(problems)), file=sys.stderr)
        return 3

    os.makedirs(dest, exist_ok=True)
    shutil.copyfile(os.path.join(work, 'vmcore'), os.path.join(dest, 'vmcore'))
    shutil.copyfile(os.path.join(work, 'console.log'), os.path.join(dest, 'console.log'))
    with open(os.path.join(dest, 'truth.json'), 'w') as fp:
        json.dump(truth, fp, indent=1)
        fp.write('\n')
    print('mktruth: %s: stored (%d MiB, %d live slab objects with frames, crash %s)'
          % (name, size >> 20, len(live), crash))
    return 0


if __name__ == '__main__':
    sys.exit(main())
