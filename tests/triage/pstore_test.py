#!/usr/bin/env python3
"""tests/triage/pstore_test.py: dmasleuth-triage over pstore/ramoops records of an arm64 board.

Inputs: tests/data/pstore/router/ (written in the formats the kernel writes them: a
dmesg-ramoops record starts "<Reason>#<count> Part<n>" and holds printk lines with their
<level>; a console-ramoops record is raw console text, its first line cut), copied into a
temporary directory with a record the kernel could not decompress (.enc.z, binary) added:
  dmesg-ramoops-0   Panic#1 Part1: page_pool "stalled pool shutdown ... inflight" lines,
                    then a sysrq-triggered panic (6.12 format)
  dmesg-ramoops-1   Oops#1 Part1: an arm64 oops (ESR, FSC, WnR, x0-x29, Code: words) whose
                    faulting instruction is an LSE atomic on a tagged pointer
  console-ramoops-0 RCU stall, NOHZ pending softirqs (NET_RX), soft lockup, "irq 69:
                    nobody cared" / "Disabling IRQ #69", user-space lines between
  pmsg-ramoops-0    user space's record: skipped
  dmesg-ramoops-2.enc.z  skipped (still compressed)

No crash session is needed (logs only): --crash /bin/true.  Checks each result file,
summary.json, the terminal's "in the logs:" section, the HTML report and the exit status.
Last line: "pstore: N passed, N failed".
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRIAGE = os.path.join(ROOT, 'scripts', 'dmasleuth-triage')
DATA = os.path.join(ROOT, 'tests', 'data', 'pstore', 'router')

passed = failed = 0


def check(name, ok, why=''):
    global passed, failed
    if ok:
        passed += 1
        print('PASS %s' % name)
    else:
        failed += 1
        print('FAIL %s: %s' % (name, why))
    sys.stdout.flush()
    return ok


def main():
    if not os.access(os.path.join(ROOT, 'scripts', 'dmasleuth-logscan'), os.X_OK):
        print('FAIL build: scripts/dmasleuth-logscan missing (make)')
        print('pstore: 0 passed, 1 failed')
        return 1
    work = tempfile.mkdtemp(prefix='dms-pstore-')
    try:
        inp = os.path.join(work, 'in', 'router')
        shutil.copytree(DATA, inp)
        with open(os.path.join(inp, 'dmesg-ramoops-2.enc.z'), 'wb') as fp:
            fp.write(bytes([0x78, 0x9c]) + bytes(range(256)) * 2)  # a zlib stream's start
        out = os.path.join(work, 'out')
        html = os.path.join(work, 'report.html')
        p = subprocess.run([TRIAGE, '--crash', '/bin/true', '-q', '-o', out, '--html', html,
                            os.path.join(work, 'in')], capture_output=True, text=True, timeout=120)
        check('exit status 1 (a log is flagged)', p.returncode == 1, '%d: %s' % (p.returncode, p.stderr[-500:]))
        res = {}
        for f in os.listdir(out):
            if f.endswith('.json') and f != 'summary.json':
                r = json.load(open(os.path.join(out, f)))
                res[os.path.basename(r['path'])] = r

        r = res.get('dmesg-ramoops-0', {})
        check('dmesg-ramoops-0: a pstore dmesg record, Panic#1 Part1',
              r.get('kind') == 'log' and r.get('pstore') == {'type': 'dmesg', 'backend': 'ramoops', 'id': 0,
                                                             'reason': 'Panic', 'count': 1, 'part': 1},
              r.get('pstore'))
        check('dmesg-ramoops-0: page_pool stall is NIC trouble, flagged',
              r.get('verdict') == 'nic-trouble-in-log' and r.get('flagged') is True, r.get('verdict'))
        check('dmesg-ramoops-0: stall counted with pages and seconds',
              'page_pool stalled: 3 lines, up to 1021 pages in flight for 1800 s' in (r.get('findings') or []),
              r.get('findings'))
        check('dmesg-ramoops-0: panic line and kernel release',
              r.get('panic') == 'Kernel panic - not syncing: sysrq triggered crash' and r.get('kernel') == '6.12.58',
              (r.get('panic'), r.get('kernel')))

        r = res.get('dmesg-ramoops-1', {})
        o = r.get('oops') or {}
        check('dmesg-ramoops-1: Oops#1 Part1, arm64, not flagged (a crash is no NIC signature)',
              (r.get('pstore') or {}).get('reason') == 'Oops' and r.get('arch') == 'arm64'
              and r.get('verdict') == 'no-nic-signature' and not r.get('flagged'),
              (r.get('pstore'), r.get('arch'), r.get('verdict')))
        check('dmesg-ramoops-1: panic is the fault line, with its (untagged) address, in the function at pc',
              r.get('panic') == 'Unable to handle kernel paging request at virtual address 00000054d2f34000'
              ' in page_pool_put_unrefed_netmem+0x44/0x1f0' and o.get('fault_address') == '0x00000054d2f34000',
              (r.get('panic'), o.get('fault_address')))
        check('dmesg-ramoops-1: abort decoded from the ESR (a write, level 0 translation fault)',
              o.get('abort') == 'write, level 0 translation fault, ESR 0x96000044', o.get('abort'))
        check('dmesg-ramoops-1: faulting instruction decoded from the Code: words (LSE atomic)',
              o.get('insn') == 'ldaddal w1, w2, [x0]' and o.get('pc') == 'page_pool_put_unrefed_netmem+0x44/0x1f0'
              and o.get('access') == 'write', (o.get('insn'), o.get('pc'), o.get('access')))
        check('dmesg-ramoops-1: culprit x0, a tagged pointer, loaded by the ldr before',
              o.get('culprit') == 'x0' and o.get('value') == '0x45000054d2f34000' and o.get('bad_pointer') is True
              and '0x45 in its top byte' in (o.get('why') or '') and o.get('loaded_by') == 'ldr x0, [x19, #0x30]',
              o)
        check('dmesg-ramoops-1: the oops is a finding',
              any(f.startswith('arm64 oops: ldaddal w1, w2, [x0] at page_pool_put_unrefed_netmem+0x44/0x1f0')
                  for f in r.get('findings') or []), r.get('findings'))

        r = res.get('console-ramoops-0', {})
        f = r.get('findings') or []
        check('console-ramoops-0: a log (raw console text with user-space lines), pstore console',
              r.get('kind') == 'log' and r.get('status') == 'ok'
              and (r.get('pstore') or {}).get('type') == 'console' and 'reason' not in (r.get('pstore') or {}),
              (r.get('kind'), r.get('status'), r.get('pstore')))
        check('console-ramoops-0: IRQ storm, pending NET_RX softirqs, RCU stall, soft lockup',
              'IRQ storm: irq 69 (nobody cared; the kernel disables the line)' in f
              and 'softirq work pending at idle: 2 lines (NET_RX)' in f and 'RCU stalls: 1' in f
              and 'lockups: 1 (up to 23 s)' in f, f)
        check('console-ramoops-0: context is not NIC evidence: not flagged, no panic',
              r.get('verdict') == 'no-nic-signature' and not r.get('flagged') and not r.get('panic'),
              (r.get('verdict'), r.get('panic')))
        kinds = sorted({s.get('kind') for s in r.get('log_signatures') or []})
        check('console-ramoops-0: signatures by kind, class context',
              kinds == ['irq-storm', 'lockup', 'rcu-stall', 'softirq-pending']
              and all(s.get('class') == 'context' for s in r.get('log_signatures')), kinds)

        r = res.get('pmsg-ramoops-0', {})
        check('pmsg-ramoops-0: skipped as user space\'s record',
              r.get('status') == 'skipped' and 'pstore pmsg record' in (r.get('reason') or ''), r.get('reason'))
        r = res.get('dmesg-ramoops-2.enc.z', {})
        check('dmesg-ramoops-2.enc.z: skipped, still compressed',
              r.get('status') == 'skipped' and 'still compressed' in (r.get('reason') or ''), r.get('reason'))

        summ = json.load(open(os.path.join(out, 'summary.json')))
        by = {os.path.basename(x['path']): x for x in summ['results']}
        check('summary.json: pstore, arch and findings per input',
              by['dmesg-ramoops-1'].get('arch') == 'arm64' and by['dmesg-ramoops-0'].get('pstore', {}).get('part') == 1
              and by['console-ramoops-0'].get('findings') and len(summ['flagged']) == 1, summ['flagged'])
        text = p.stdout
        check('terminal: "in the logs:" with the pstore label and the findings',
              re.search(r'^in the logs:$', text, re.M) is not None
              and '(pstore dmesg-ramoops, Oops#1 Part1):' in text
              and '    IRQ storm: irq 69' in text, text[-1500:])
        page = open(html).read()
        check('HTML report: findings and pstore facts',
              'ldaddal w1, w2, [x0]' in page and 'dmesg-ramoops, Panic#1 Part1' in page
              and 'page_pool stalled: 3 lines' in page, len(page))
    finally:
        if os.environ.get('TRIAGE_TEST_KEEP'):
            print('kept %s' % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print('pstore: %d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
