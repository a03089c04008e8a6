"""Kernel logs: the signatures of lib/logsig.c and the first oops (lib/oops.c, its
instruction decoded by lib/insn.c), both from dmasleuth-logscan, and what a report says
about them (verdict of a log, panic headline, findings)."""
import json
import re
import subprocess

from .paths import logscan_path


def logscan(text=None, path=None, timeout=120, redact=None):
    """(signatures, oops) of a file or a text: every signature line dmasleuth-logscan
    printed, and its oops line (None without one).  None when there is no logscan.
    redact: a Redactor; the lines come back with their addresses mapped."""
    tool = logscan_path()
    if not tool:
        return None
    cmd = [tool] + (['--redact', redact.spec] if redact else []) + [path or '-']
    p = subprocess.run(cmd, input=text, capture_output=True, text=True, errors='replace',
                       timeout=timeout)
    sigs, oops = [], None
    for line in p.stdout.splitlines():
        try:
            s = json.loads(line)
        except ValueError:
            continue
        if not isinstance(s, dict):
            continue
        s.pop('file', None)
        if 'oops' in s:
            oops = oops or (s['oops'] if isinstance(s['oops'], dict) else None)
        else:
            sigs.append(s)
    return sigs, oops


def log_summary(sigs):
    """(verdict, netdev, driver) from log signatures."""
    nic = [s for s in sigs if s.get('class') == 'nic']
    corrupt = [s for s in sigs if s.get('class') == 'corruption']
    verdict = 'nic-trouble-in-log' if nic else 'corruption-in-log' if corrupt else 'no-nic-signature'
    # A log may name the PCI device rather than the netdev: either identifies the NIC.
    netdev = next((s['netdev'] for s in nic if s.get('netdev')), None) or \
        next((s['device'] for s in nic if s.get('device')), None)
    driver = next((s['driver'] for s in nic if s.get('driver')), None)
    return verdict, netdev, driver


TIMESTAMP = re.compile(r'^(<\d+>)?\[\s*\d+\.\d+\]\s*')
# The oops line's tail: the error code and oops count, then the kernel's build flags
# ("general protection fault, ...: 0000 [#1] PREEMPT SMP NOPTI", "Oops: 0002 [#1] SMP").
OOPS_TAIL = re.compile(r'(:\s*[0-9a-fA-F]{4,16})?\s*\[#\d+\].*$')
# crash's PANIC string when the log had to be read for the reason.
CRASH_PLACEHOLDER = re.compile(r'\(check log for details\)|^\s*$')


def panic_headline(sigs, oops, crash_panic=None):
    """One line saying why the kernel died, from the log first: the oops (its headline,
    with the line before it when that line is only "Oops: 0002", and the function at RIP),
    else the first panic line, else crash's PANIC string unless it only says to read the
    log, else the first crash-class line."""
    crash = [s for s in sigs or [] if s.get('class') == 'crash']
    if oops and oops.get('headline'):
        # 6.12 prints "Oops: general protection fault, ...: 0000 [#1] ...", older kernels the
        # fault alone; a page fault's oops line is only "Oops: 0002 [#1] ..." (the error code);
        # on arm64 lib/oops.c makes "Unable to handle kernel ..." the headline when printed.
        # arm64's die(): "Internal error: Oops: 0000000096000004 [#1] SMP" (the ESR).
        head = re.sub(r'^(Internal error:\s*)?Oops\b:?\s*', '', OOPS_TAIL.sub('', oops['headline']).strip())
        if re.fullmatch(r'[0-9a-fA-F]*', head):
            # "BUG: kernel NULL pointer dereference, address: ..." comes just before.
            near = [s for s in crash if 0 <= (oops.get('offset') or 0) - (s.get('offset') or 0) < 4096
                    and '[#' not in s.get('line', '')]
            if near:
                head = OOPS_TAIL.sub('', TIMESTAMP.sub('', near[-1]['line'])).strip()
            else:  # "Oops", without the flags and the error code
                head = re.sub(r'^Internal error:\s*', '', OOPS_TAIL.sub('', oops['headline']).strip()) or \
                    oops['headline'].strip()
        if oops.get('pc') and not oops.get('user_mode'):
            head += ' in %s' % oops['pc']
        return head[:200]
    for s in crash:
        if s.get('kind') == 'panic':
            return TIMESTAMP.sub('', s.get('line', '')).strip()[:200]
    if crash_panic:
        crash_panic = re.sub(r'^PANIC:\s*', '', crash_panic).strip().strip('"')
    if crash_panic and not CRASH_PLACEHOLDER.search(crash_panic):
        return crash_panic[:200]
    if crash:
        return OOPS_TAIL.sub('', TIMESTAMP.sub('', crash[0].get('line', ''))).strip()[:200]
    return crash_panic or None


# The kernel's softirq numbers (enum in include/linux/interrupt.h), to name a pending mask.
SOFTIRQS = ('HI', 'TIMER', 'NET_TX', 'NET_RX', 'BLOCK', 'IRQ_POLL', 'TASKLET', 'SCHED', 'HRTIMER', 'RCU')


def log_findings(sigs, oops):
    """Short sentences on what a log shows beyond its verdict: the oops decoded, page_pool
    stalls, IOMMU faults, checksum faults, SErrors, IRQ storms, pending softirqs, stalls and
    lockups (counted per kind, the longest duration)."""
    out = []
    if oops and oops.get('headline'):
        what = '%s oops' % oops.get('arch', 'unknown')
        if oops.get('insn'):
            what += ': %s at %s' % (oops['insn'], oops.get('pc') or '?')
            if oops.get('abort'):
                what += ' (%s)' % oops['abort']
            if oops.get('culprit'):
                what += '; %s = %s %s' % (oops['culprit'], oops.get('value'), oops.get('why', ''))
            if oops.get('loaded_by'):
                what += '; loaded by `%s`' % oops['loaded_by']
        else:
            what += ': %s' % oops['headline']
        out.append(what)
    by = {}
    for s in sigs:
        by.setdefault(s.get('kind'), []).append(s)

    def most(lst, key):
        vals = [x[key] for x in lst if isinstance(x.get(key), int)]
        return max(vals) if vals else None
    pp = by.get('page-pool-inflight', [])
    if pp:
        nd = sorted({x['netdev'] for x in pp if x.get('netdev')})
        out.append('page_pool stalled: %d line%s, up to %s pages in flight for %s s%s' % (
            len(pp), '' if len(pp) == 1 else 's', most(pp, 'count'), most(pp, 'seconds'),
            ' (%s)' % ', '.join(nd) if nd else ''))
    for kind, label in (('iommu-fault', 'IOMMU faults'), ('hw-csum-failure', 'hw csum failures'),
                        ('serror', 'SErrors')):
        lst = by.get(kind, [])
        if lst:
            who = sorted({x.get('netdev') or x.get('device') for x in lst if x.get('netdev') or x.get('device')})
            out.append('%s: %d%s' % (label, len(lst), ' (%s)' % ', '.join(who[:4]) if who else ''))
    irq = sorted({x['irq'] for x in by.get('irq-storm', []) if isinstance(x.get('irq'), int)})
    if by.get('irq-storm'):
        out.append('IRQ storm: irq %s (nobody cared; the kernel disables the line)' % (
            ', '.join(map(str, irq)) or '?'))
    sq = by.get('softirq-pending', [])
    if sq:
        masks = sorted({x['count'] for x in sq if isinstance(x.get('count'), int)})
        names = ['|'.join(n for b, n in enumerate(SOFTIRQS) if m >> b & 1) or hex(m) for m in masks]
        out.append('softirq work pending at idle: %d line%s (%s)' % (
            len(sq), '' if len(sq) == 1 else 's', ', '.join(names) or '?'))
    for kind, label in (('rcu-stall', 'RCU stalls'), ('lockup', 'lockups'), ('hung-task', 'hung tasks')):
        lst = by.get(kind, [])
        if lst:
            sec = most(lst, 'seconds')
            out.append('%s: %d%s' % (label, len(lst), ' (up to %d s)' % sec if sec else ''))
    return out
