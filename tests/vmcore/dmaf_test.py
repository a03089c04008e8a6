#!/usr/bin/env python3
"""tests/vmcore/dmaf_test.py: dmaf's verdict on every lab dump against its truth.json.

One crash session per dump runs `dmaf -j -q` and `dmaf -q -w FILE.pcapng`; then:
  verdict   the verdict is the truth's expected one (no-dma-after-free = no-corruption-found)
  suspect   DMA dumps: netdev and driver are the truth's; negative dumps: no suspect
  evidence  every evidence item has a kind, a weight and a text; DMA dumps list frames in
            foreign objects and the NIC they were addressed to
  flows     every flow dmaf names is one of the truth's flows (5-tuple and VLAN)
  frames    every frame in the written pcapng starts where the device wrote a frame after
            the free (truth frames_after_free: at the oops or in an earlier record; or, for
            frames written between the oops record and the CPUs stopping, at the frame
            offset of a freed RX buffer, truth freed_rx_buffers), and tshark dissects them
            (zero malformed at L2-L4)
  quiet     crash printed no warning about an address dmaf handed it (sparsemem section,
            invalid kernel address, excluded page): dump pointers are checked first
  irqs      the IRQ counts in dmaf's facts (`dmaf -f`) are crash's `irq -s`: every IRQ crash
            lists with a count, its total over the CPUs and its action's name; dmaf's others
            are IRQs with no action left (a NIC brought down: crash does not list those)
            (the sparse IRQ tree: a radix tree or xarray on 5.10 and 6.1, the sparse_irqs
            maple tree on 6.12)
The tool knows nothing of the lab; this test does.  Last line: "dmaf: N passed, N failed".
"""
import ipaddress
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tests'))
import dumpenv  # noqa: E402
VERDICT = {'dma-after-free': 'dma-after-free', 'no-dma-after-free': 'no-corruption-found',
           'slab-corruption-not-dma': 'slab-corruption-not-dma'}
L2L4 = ('eth', 'vlan', 'ip', 'ipv6', 'tcp', 'udp', 'icmp', 'icmpv6', 'arp')

passed = failed = 0


def check(name, ok, why=''):
    global passed, failed
    if ok:
        passed += 1
        print('PASS %s' % name)
    else:
        failed += 1
        print('FAIL %s: %s' % (name, why))


def session(dump, work):
    pcap = os.path.join(work, dump + '.pcapng')
    facts = os.path.join(work, dump + '.facts.json')
    cmds = os.path.join(work, dump + '.cmds')
    with open(cmds, 'w') as fp:
        fp.write('extend %s\ndmaf -j -q -f %s\ndmaf -q -w %s\n!echo IRQ-S\nirq -s\nquit\n'
                 % (dumpenv.extension_for(dump), facts, pcap))
    out = dumpenv.run_crash(dump, cmds)
    js = [json.loads(l) for l in out.splitlines() if l.startswith('{"verdict"')]
    return (js[0] if js else None), pcap, out, facts


def irq_s(out):
    """crash's `irq -s`: {irq: (total over CPUs, name)} for IRQs with a count."""
    text = out.split('IRQ-S', 1)[-1]
    lines = text.splitlines()
    head = next((l for l in lines if l.strip().startswith('CPU0')), None)
    if head is None:
        return None
    ncpu = len(head.split())
    ret = {}
    for l in lines:
        m = re.match(r'^\s*(\d+):\s+(.*)$', l)
        if not m:
            continue
        f = m.group(2).split()
        counts = [int(x) for x in f[:ncpu] if x.isdigit()]
        if len(counts) != ncpu:
            continue
        if sum(counts):
            ret[int(m.group(1))] = (sum(counts), f[-1] if len(f) > ncpu else '')
    return ret


def flow_keys(truth):
    keys = set()
    for f in truth['flows']:
        src, dst = str(ipaddress.ip_address(f['src'])), str(ipaddress.ip_address(f['dst']))
        if f['ip_version'] == 6:
            src, dst = '[%s]' % src, '[%s]' % dst
        k = '%s %s:%d > %s:%d' % (f['proto'], src, f['sport'], dst, f['dport'])
        keys.add(k + (' vlan %d' % f['vlan'] if f['vlan'] else ''))
    return keys


def pcap_frames(pcap):
    """(paddrs from the per-packet comments, malformed L2-L4 count, frame count)."""
    p = subprocess.run(['tshark', '-r', pcap, '-o', 'tcp.desegment_tcp_streams:FALSE', '-T', 'fields',
                        '-e', 'frame.comment', '-e', '_ws.malformed', '-e', 'frame.protocols'],
                       capture_output=True, text=True)
    paddrs, bad, n = [], 0, 0
    for line in p.stdout.splitlines():
        n += 1
        cols = line.split('\t')
        m = re.search(r'paddr=(0x[0-9a-f]+)', cols[0])
        if m:
            paddrs.append(int(m.group(1), 16))
        if len(cols) > 1 and cols[1]:
            protos = cols[2].split(':') if len(cols) > 2 else []
            if protos and protos[-1] in L2L4:
                bad += 1
    return paddrs, bad, n


def main():
    dumps = dumpenv.stored_dumps()
    work = tempfile.mkdtemp(prefix='dmaf-test-')
    for dump in dumps:
        truth = json.load(open(os.path.join(ROOT, 'dumps', dump, 'truth.json')))
        exp = truth['expected']
        res, pcap, out, facts = session(dump, work)
        if not res:
            check('%s: dmaf -j printed a verdict' % dump, False, out[-400:])
            continue
        crash_irqs = irq_s(out)
        try:
            got = {q['irq']: (q['count'], q['name']) for q in
                   json.load(open(facts)).get('irqs') or []}
        except (OSError, ValueError) as e:
            got = {'facts': str(e)}
        # The name crash prints is the action's first word; dmaf keeps the whole name.
        short = {k: (v[0], v[1].split()[0] if v[1] else '') for k, v in got.items()
                 if isinstance(v, tuple)}
        listed = {k: v for k, v in short.items() if k in (crash_irqs or {})}
        others = [k for k, v in short.items() if k not in (crash_irqs or {}) and v[1]]
        check('%s: irqs: %d IRQ counts, as crash irq -s' % (dump, len(got)),
              crash_irqs and listed == crash_irqs and not others,
              'dmaf %s, crash %s' % (sorted(got.items())[:12], sorted((crash_irqs or {}).items())[:12]))
        # Pointers from the dump are checked before they reach crash's helpers: crash's own
        # complaints about bad page pointers mean one slipped through.
        after = out.split('shared object loaded', 1)[-1]
        warned = re.findall(r'^.*(?:sparsemem: invalid section number|invalid kernel virtual '
                            r'address|page excluded).*$', after, re.M)
        check('%s: crash printed no warning about an address dmaf handed it' % dump, not warned,
              '%d lines, e.g. %s' % (len(warned), warned[:2]))
        want = VERDICT[exp['verdict']]
        check('%s: verdict %s' % (dump, want), res['verdict'] == want,
              'got %s (score %s): %s' % (res['verdict'], res['score'],
                                        ' | '.join(e['text'][:120] for e in res['evidence'])))
        if want == 'dma-after-free':
            check('%s: suspect %s (%s)' % (dump, exp['netdev'], exp['driver']),
                  res['netdev'] == exp['netdev'] and res['driver'] == exp['driver'],
                  'got %s (%s)' % (res['netdev'], res['driver']))
            kinds = {e['kind'] for e in res['evidence']}
            check('%s: evidence names foreign objects and the local NIC' % dump,
                  {'frames-in-foreign-objects', 'addressed-to-local-nic'} <= kinds, sorted(kinds))
            truth_flows = flow_keys(truth)
            named = [re.sub(r' \(\d+\)$', '', f) for f in res['flows']]
            check('%s: the %d flows named are truth flows' % (dump, len(named)),
                  named and all(f in truth_flows for f in named),
                  [f for f in named if f not in truth_flows])
            written, bad, n = pcap_frames(pcap)
            faf = truth['frames_after_free']
            planted = {int(f[0], 16) for f in faf['frames']}
            planted |= {int(a, 16) for a in faf.get('written_any_record', [])}
            # The last truth record is taken at the oops; the device may write a few more
            # frames before the CPUs stop.  Those can only sit where the device puts a frame:
            # at the frame offset of a buffer the driver freed while it stayed posted.
            hdr = truth['nic'].get('frame_offset_in_buffer') or 0
            late = {int(b[0], 16) + hdr for b in truth.get('freed_rx_buffers') or []}
            after = [a for a in written if a not in planted and a in late]
            check('%s: %d incriminating frames written, all device-written after the free '
                  '(%d after the last truth record, at a freed buffer\'s frame offset), '
                  '%d malformed' % (dump, len(written), len(after), bad),
                  written and n == len(written) and set(written) <= planted | late and bad == 0,
                  'not planted: %s' % [hex(a) for a in written if a not in planted | late][:5])
        else:
            check('%s: no suspect NIC' % dump, not res['netdev'] and not res['driver'],
                  'got %s (%s)' % (res['netdev'], res['driver']))
            check('%s: no incriminating frames' % dump, res['incriminating'] == 0,
                  res['incriminating'])
        check('%s: every evidence item has kind, weight and text' % dump,
              res['evidence'] and all(e.get('kind') and isinstance(e.get('weight'), int) and e.get('text')
                                      for e in res['evidence']), res['evidence'][:2])
    print('dmaf: %d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
