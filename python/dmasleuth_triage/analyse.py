"""One input, from its path to its result: a log is classified by its signatures; a dump
has its header checked, its vmlinux matched, then one crash session (sys, log, dmaf -j)."""
import os
import re
import struct
import tempfile
import time

from . import VERSION
from .formats import BadDump, dump_facts, pstore_info
from .logs import log_findings, log_summary, logscan, panic_headline
from .paths import ARCH_TARGETS, extension_name
from .session import crash_order, parse_session, run_crash
from .store import dump_id, file_stamp


def triage_log(path, args):
    got = logscan(path=path, timeout=args.timeout, redact=args.redactor)
    if got is None:
        return {'status': 'error', 'reason': 'dmasleuth-logscan not found (run make)'}
    sigs, oops = got
    verdict, netdev, driver = log_summary(sigs)
    kernel = None
    with open(path, 'rb') as fp:
        head = fp.read(1 << 20)
    m = re.search(rb'Linux version (\S+)', head)
    if not m:  # a pstore record has no boot banner: "CPU: 0 PID: 15 Comm: x Not tainted 6.1.0 #1"
        m = re.search(rb'CPU: \d+ (?:UID: \d+ )?PID: \d+ Comm: .*?(?:Not tainted|Tainted: [A-Z ]+?) +(\S+) #', head)
    if m:
        kernel = m.group(1).decode('ascii', 'replace')[:64]
    res = {'status': 'ok', 'verdict': verdict, 'netdev': netdev, 'driver': driver,
           'panic': panic_headline(sigs, oops), 'oops': oops, 'kernel': kernel,
           'log_signatures': sigs[:200], 'flagged': verdict == 'nic-trouble-in-log',
           'findings': log_findings(sigs, oops)}
    ps = pstore_info(path, head[:4096])
    if ps:
        res['pstore'] = ps
    if oops and oops.get('arch') not in (None, 'unknown'):
        res['arch'] = oops['arch']
    return res


def prepare_dump(path, kind, index):
    """The cheap part, done before any crash session: header checks and vmlinux match."""
    res = {}
    try:
        facts = dump_facts(path, kind)
    except BadDump as e:
        res.update(status=e.status, reason=e.reason)
        return res
    except (OSError, struct.error) as e:
        res.update(status='invalid', reason='unreadable vmcore header: %s' % e)
        return res
    res['vmcoreinfo'] = {k: facts.get(k) for k in ('OSRELEASE', 'BUILD-ID') if facts.get(k)}
    res['kernel'] = facts.get('OSRELEASE')
    res['phys_end'] = facts.get('phys_end')
    if facts.get('arch'):
        res['arch'] = facts['arch']
    vmlinux, how = index.match(facts)
    if not vmlinux:
        res.update(status='no-vmlinux', reason=how)
        return res
    res.update(status='pending', vmlinux=vmlinux, vmlinux_match=how)
    return res


def dmaf_command(args, pcap):
    """The dmaf command line of a session: JSON, quiet, the pcap and the redaction options."""
    cmd = 'dmaf -j -q'
    if pcap:
        cmd += ' -w %s' % pcap
    if args.redactor:
        cmd += ' -R %s' % args.redactor.spec
    return cmd


def dump_target(res, args):
    """The crash target that reads the dump: --target, else its architecture's (the dump's
    header or VMCOREINFO, prepare_dump), else None (unknown: any crash is tried)."""
    return getattr(args, 'target', None) or ARCH_TARGETS.get(res.get('arch'))


def triage_dump(path, res, args, ext_for):
    """The crash session: log, sys, dmaf -j (verdict, evidence, memory map); the crash and the
    extension built for the dump's crash target (EXT_FOR(target): the extension's path)."""
    target = dump_target(res, args)
    order = crash_order(res.get('kernel'), args.crashes, target)
    if not order:
        res.update(status='crash-error',
                   reason='no crash for %s dumps here: a crash built with `make target=%s` (scripts/'
                   'build-crash %s), given with --crash' % (res.get('arch') or target, target, target))
        return res
    ext = ext_for(target)
    cmds = ['log', 'sys']
    pcap = None
    if ext:
        if args.pcap:
            # Named as the result is (with --redact, the redacted id: a kdump directory's
            # name holds the machine's address).
            shown = getattr(args, 'shown', {}).get(path, (dump_id(path),))[0]
            pcap = os.path.join(os.path.abspath(args.out), shown + '.pcapng')
        cmds = ['extend %s' % ext] + cmds + [dmaf_command(args, pcap)]
    tried = []
    for version, ctarget, crash in order:
        with tempfile.TemporaryDirectory(prefix='.work-', dir=args.out) as work:
            rc, out, timed_out = run_crash(crash, res['vmlinux'], os.path.abspath(path), cmds,
                                           args.timeout, work)
        res['crash'] = {'path': crash, 'version': '.'.join(map(str, version))}
        if ctarget:
            res['crash']['target'] = ctarget
        if ext:
            res['extension'] = ext
        if timed_out:
            res.update(status='timeout',
                       reason='crash did not finish in %ds (hung or too slow: see --timeout)' % args.timeout)
            return res
        facts = parse_session(out, rc)
        if not facts.get('crash_error') or facts.get('kernel'):
            break
        # This crash could not open the dump: a newer one may.
        tried.append('crash %s: %s' % (res['crash']['version'], facts['crash_error']))
    if facts.get('crash_error'):
        res.update(status='crash-error', reason='; '.join(tried) if tried else facts['crash_error'])
        return res
    if tried:
        res['crash_fallback'] = tried
    sigs, oops = logscan(text=facts['text'], timeout=args.timeout, redact=args.redactor) or ([], None)
    if args.redactor and facts.get('panic'):
        facts['panic'] = args.redactor.text(facts['panic'])
    lverdict, lnetdev, ldriver = log_summary(sigs)
    crash_sigs = [s for s in sigs if s.get('class') == 'crash']
    res.update(status='ok', kernel=facts.get('kernel') or res.get('kernel'), host=facts.get('host'),
               panic=panic_headline(sigs, oops, facts.get('panic')), crash_panic=facts.get('panic'), oops=oops,
               log_signatures=([s for s in sigs if s.get('class') != 'crash'] + crash_sigs[:1])[:50])
    d = facts.get('dmaf')
    if d:
        res.update(verdict=d.get('verdict'), score=d.get('score'), netdev=d.get('netdev'),
                   driver=d.get('driver'), flows=d.get('flows') or [],
                   evidence=d.get('evidence') or [], notes=d.get('notes') or [],
                   counts={k: d[k] for k in ('frames', 'incriminating', 'legit', 'slab_findings')
                           if k in d})
        if isinstance(d.get('ring'), int) and d['ring'] >= 0:
            res['ring'] = d['ring']  # -1 is "unknown": no ring then
        if isinstance(d.get('memmap'), dict):
            res['memmap'] = d['memmap']
        if pcap and os.path.isfile(pcap) and os.path.getsize(pcap) > 0 and d.get('incriminating'):
            res['pcap'] = os.path.basename(pcap)
        elif pcap and os.path.isfile(pcap):
            os.unlink(pcap)
    else:
        res.update(verdict='unavailable', evidence=[],
                   reason=facts.get('ext_error') or ('no %s: opened, no verdict' % extension_name(target)
                                                     if not ext else 'dmaf printed no verdict'))
        if lverdict == 'nic-trouble-in-log':
            res.update(netdev=lnetdev, driver=ldriver)
    res['flagged'] = res.get('verdict') == 'dma-after-free'
    return res


def finish(res, path, kind, t0):
    res.setdefault('flagged', False)
    res.update(path=os.path.abspath(path), id=dump_id(path), kind=kind, seconds=round(time.time() - t0, 1),
               triage_version=VERSION, input=file_stamp(path))
    return res
