#!/usr/bin/env python3
"""tests/triage/unit_test.py: the dmasleuth_triage package without crash or dumps.

The panic headline from a log's oops (NULL-pointer oops, GPF, sysrq panic, crash's
"(check log for details)" placeholder), dump format recognition of made-up headers, the
report's order (flagged first, skipped inputs collapsed at the end, no "ring -1"), the
memory map from a dmaf memmap, and `make install` into a temporary DESTDIR giving a
working dmasleuth-triage.  Last line: "triageunit: N passed, N failed".
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'python'))
from dmasleuth_triage import formats, logs, paths, report, session  # noqa: E402

passed = failed = 0


def check(name, ok, why=''):
    global passed, failed
    if ok:
        passed += 1
        print('PASS %s' % name)
    else:
        failed += 1
        print('FAIL %s: %s' % (name, why))
    return ok


NULL_OOPS = ('[  812.100001] BUG: kernel NULL pointer dereference, address: 0000000000000008\n'
             '[  812.100002] #PF: supervisor write access in kernel mode\n'
             '[  812.100003] #PF: error_code(0x0002) - not-present page\n'
             '[  812.100004] PGD 0 P4D 0\n'
             '[  812.100005] Oops: 0002 [#1] PREEMPT SMP NOPTI\n'
             '[  812.100006] CPU: 1 PID: 4242 Comm: kworker/1:2 Not tainted 6.1.0-56-amd64 #1\n'
             '[  812.100007] RIP: 0010:ixgbe_clean_rx_irq+0x1a4/0x9e0 [ixgbe]\n'
             '[  812.100100] Kernel panic - not syncing: Fatal exception in interrupt\n')
GPF = ('[   37.441809] general protection fault, probably for non-canonical address 0x7f13e8a32b79380f: '
       '0000 [#1] PREEMPT SMP NOPTI\n'
       '[   37.441900] CPU: 0 PID: 1817 Comm: labctl Not tainted 6.1.0-56-amd64 #1\n'
       '[   37.442000] RIP: 0010:anon_vma_interval_tree_insert+0x48/0xc0\n')
ARM64 = ('[  100.100001] Unable to handle kernel NULL pointer dereference at virtual address 0000000000000008\n'
         '[  100.100002] Mem abort info:\n'
         '[  100.100003]   ESR = 0x0000000096000005\n'
         '[  100.100004]   EC = 0x25: DABT (current EL), IL = 32 bits\n'
         '[  100.100005] Data abort info:\n'
         '[  100.100006] Internal error: Oops: 0000000096000005 [#1] PREEMPT SMP\n'
         '[  100.100007] CPU: 1 PID: 77 Comm: bash Not tainted 6.1.0-56-arm64 #1\n'
         '[  100.100008] pc : sysrq_handle_crash+0x24/0x30\n'
         '[  100.100009] lr : __handle_sysrq+0x94/0x1b0\n')
SYSRQ = ('[  100.000001] sysrq: Trigger a crash\n'
         '[  100.000002] Kernel panic - not syncing: sysrq triggered crash\n')


def test_headlines():
    if not paths.logscan_path():
        check('dmasleuth-logscan built (make)', False, 'scripts/dmasleuth-logscan missing')
        return
    sigs, oops = logs.logscan(text=NULL_OOPS)
    h = logs.panic_headline(sigs, oops, '"Oops: 0002 [#1] PREEMPT SMP NOPTI" (check log for details)')
    check('headline of a NULL-pointer oops: the BUG line and the function, not "Oops: 0002"',
          h == 'BUG: kernel NULL pointer dereference, address: 0000000000000008 in ixgbe_clean_rx_irq+0x1a4/0x9e0',
          h)
    sigs, oops = logs.logscan(text=GPF)
    h = logs.panic_headline(sigs, oops, 'Kernel panic - not syncing: Fatal exception')
    check('headline of a GPF: the fault without its [#1] tail, and where',
          h == 'general protection fault, probably for non-canonical address 0x7f13e8a32b79380f in '
          'anon_vma_interval_tree_insert+0x48/0xc0', h)
    sigs, oops = logs.logscan(text=GPF.replace('general protection', 'Oops: general protection'))
    h = logs.panic_headline(sigs, oops)
    check('headline of a 6.12 GPF ("Oops: general protection fault ..."): the fault, and where',
          h.startswith('general protection fault, probably')
          and h.endswith(' in anon_vma_interval_tree_insert+0x48/0xc0'),
          h)
    sigs, oops = logs.logscan(text=ARM64)
    h = logs.panic_headline(sigs, oops)
    check('headline of an arm64 oops: the "Unable to handle kernel" line, and where',
          h == 'Unable to handle kernel NULL pointer dereference at virtual address 0000000000000008 in '
          'sysrq_handle_crash+0x24/0x30', h)
    sigs, oops = logs.logscan(text=ARM64.split('\n', 5)[-1])
    h = logs.panic_headline(sigs, oops)
    check('headline of an arm64 oops without its preamble: not "Internal error: Oops: 96000005"',
          'Internal error' not in h and '[#1]' not in h and h.endswith(' in sysrq_handle_crash+0x24/0x30'), h)
    sigs, oops = logs.logscan(text=SYSRQ)
    h = logs.panic_headline(sigs, oops, 'SysRq : Trigger a crash')
    check('headline without an oops: the panic line', h == 'Kernel panic - not syncing: sysrq triggered crash', h)
    h = logs.panic_headline([], None, '"Oops: 0002 [#1] SMP" (check log for details)')
    check('headline with nothing in the log: crash\'s placeholder is kept (it is all there is)',
          h and 'check log' in h, h)
    h = logs.panic_headline([], None, 'PANIC: "Kernel panic - not syncing: hung_task: blocked tasks"')
    check('headline with nothing in the log: crash\'s PANIC string', h.startswith('Kernel panic'), h)


def test_formats(work):
    def f(name, data):
        p = os.path.join(work, name)
        with open(p, 'wb') as fp:
            fp.write(data)
        return formats.classify(p)
    check('format: empty file skipped', f('empty', b'') == (None, 'not a dump: empty file'))
    check('format: gzip told apart', 'gzip' in (f('gz', b'\x1f\x8b\x08' + b'\0' * 100)[1] or ''))
    check('format: KDUMP signature', f('kd', b'KDUMP   ' + b'\0' * 4088)[0] == 'kdump')
    check('format: flattened', f('fl', b'makedumpfile\0' + b'\0' * 4000)[0] == 'flattened')
    check('format: a kernel log', f('log', SYSRQ.encode() * 3)[0] == 'log')
    hdr = bytearray(b'KDUMP   ' + b'\0' * 8184)
    hdr[428:432] = (3).to_bytes(4, 'little')
    try:
        formats.kdump_header(bytes(hdr), len(hdr), lambda o, n: bytes(hdr[o:o + n]))
        check('format: block size 3 is invalid', False, 'accepted')
    except formats.BadDump as e:
        check('format: block size 3 is invalid', e.status == 'invalid' and 'block size 3' in e.reason, e.reason)
    test_arch(work)


def kdump(machine, vmcoreinfo, block=4096):
    """A kdump file (version 6, no page in its bitmap): utsname.machine, VMCOREINFO after the
    bitmap, named by the sub-header."""
    hdr = bytearray(b'KDUMP   ' + (6).to_bytes(4, 'little') + b'\0' * (4 * block - 12))
    hdr[12 + 260:12 + 260 + len(machine)] = machine
    hdr[428:444] = b''.join(x.to_bytes(4, 'little') for x in (block, 1, 2, 0x1000))
    sub = block
    hdr[sub + 32:sub + 48] = (4 * block).to_bytes(8, 'little') + len(vmcoreinfo).to_bytes(8, 'little')
    hdr[sub + 96:sub + 104] = (0x1000).to_bytes(8, 'little')  # max_mapnr_64
    hdr += vmcoreinfo
    return bytes(hdr)


def elf(e_machine):
    """An ELF64 core header with one PT_LOAD of no bytes in the file."""
    eh = bytearray(64)
    eh[0:6] = b'\x7fELF\x02\x01'
    eh[16:20] = (4).to_bytes(2, 'little') + e_machine.to_bytes(2, 'little')
    eh[32:40] = (64).to_bytes(8, 'little')
    eh[54:58] = (56).to_bytes(2, 'little') + (1).to_bytes(2, 'little')
    ph = (1).to_bytes(4, 'little') + b'\0' * 36 + (0x1000).to_bytes(8, 'little') + b'\0' * 8
    return bytes(eh) + ph


def test_arch(work):
    """Which architecture a dump was taken on, and so which crash and extension open it."""
    def facts(name, data, kind):
        p = os.path.join(work, name)
        with open(p, 'wb') as fp:
            fp.write(data)
        try:
            return formats.dump_facts(p, kind)
        except formats.BadDump as e:
            return {'error': e.reason}
    arm = b'OSRELEASE=6.1.0-56-arm64\nNUMBER(VA_BITS)=48\nNUMBER(kimage_voffset)=0xffffb4a5c0000000\n'
    x86 = b'OSRELEASE=6.1.0-56-amd64\nSYMBOL(init_top_pgt)=ffffffff9b20a000\nNUMBER(phys_base)=0\n'
    got = facts('a64', kdump(b'Unknown', arm, 65536), 'kdump')
    check('arch: a QEMU arm64 kdump ("Unknown" machine) is arm64 by its VMCOREINFO; 64 KiB pages counted',
          got.get('arch') == 'arm64' and got.get('phys_end') == 0x1000 * 65536, got)
    got = facts('x64', kdump(b'x86_64', x86), 'kdump')
    check('arch: a kdump of x86_64 by utsname.machine', got.get('arch') == 'x86_64', got)
    got = facts('a64u', kdump(b'aarch64', b'OSRELEASE=6.1.0\n'), 'kdump')
    check('arch: utsname.machine aarch64 is arm64', got.get('arch') == 'arm64', got)
    got = facts('none', kdump(b'Unknown', b'OSRELEASE=6.1.0\n'), 'kdump')
    check('arch: a dump that says nothing has no arch', 'arch' not in got, got)
    got = facts('elf', elf(183), 'elf-core')
    check('arch: an ELF core with e_machine EM_AARCH64 is arm64', got.get('arch') == 'arm64', got)
    cands = [((8, 0, 2), 'X86_64', '/c/802'), ((8, 0, 6), 'ARM64', '/c/806-arm64'), ((8, 0, 6), 'X86_64', '/c/806'),
             ((8, 0, 7), None, '/c/unsaid')]
    got = [c[2] for c in session.crash_order('6.1.0-56-arm64', cands, 'ARM64')]
    check('crash order: an arm64 dump gets the ARM64 crash (and one that does not say its target)',
          got == ['/c/806-arm64', '/c/unsaid'], got)
    got = [c[2] for c in session.crash_order('6.12.95', cands, 'X86_64')]
    check('crash order: a 6.12 x86-64 dump gets 8.0.6 first, no ARM64 crash',
          got == ['/c/806', '/c/unsaid', '/c/802'], got)
    check('crash order: no crash for a target none is built for',
          session.crash_order('6.1.0', cands[:1], 'ARM64') == [], '')
    check('extension names: dmasleuth.so for this machine\'s crash, dmasleuth-arm64.so for ARM64 (x86-64 host)',
          paths.extension_name(paths.host_target()) == 'dmasleuth.so' and
          (paths.host_target() != 'X86_64' or paths.extension_name('ARM64') == 'dmasleuth-arm64.so'), '')


def result(i, **kw):
    r = {'id': i, 'path': '/d/%s' % i, 'kind': 'kdump', 'status': 'ok', 'verdict': 'no-corruption-found',
         'flagged': False, 'seconds': 1}
    r.update(kw)
    return r


MEMMAP = {'cell': 1 << 20, 'end': '0x20000000', 'direct_map': '0xff19e434c0000000', 'frames': 7,
          'classes': ['foreign-live', 'foreign-other', 'pgtable', 'packet', 'free', 'user', 'kernel_image', 'other'],
          'cells': [[3, 0, 0, 0, 5, 0, 0, 0, 0], [505, 1, 0, 0, 1, 0, 0, 0, 0], [9999, 1, 0, 0, 0, 0, 0, 0, 0],
                    'junk', [7]]}


def test_report(work):
    rs = [result('a-clean'), result('b-skip', status='skipped', reason='not a dump: JSON text', kind=None),
          result('c-trunc', status='truncated', reason='truncated vmcore: page data to byte 9'),
          result('d-dma', verdict='dma-after-free', flagged=True, netdev='eth0', driver='e1000', ring=0,
                 flows=['udp 198.51.100.1:9 > 198.51.100.2:9 (3)'], memmap=MEMMAP,
                 evidence=[{'n': 1, 'kind': 'frames-in-foreign-objects', 'weight': 40,
                            'address': '0xff19e434df9d07b8', 'text': 'x'},
                           {'n': 2, 'kind': 'ring-provenance', 'weight': 15, 'address': '0x1f9d0840', 'text': 'y'}]),
          result('e-noring', verdict='inconclusive', ring=-1)]
    order = [r['id'] for r in report.report_order(rs)]
    check('report order: flagged, failed, the rest; skipped left out',
          order == ['d-dma', 'c-trunc', 'a-clean', 'e-noring'], order)
    cols = report.columns(rs)
    cell = report.row(result('x', panic='BUG: kernel NULL pointer dereference, address: 0000000000000008 in '
                             'ixgbe_clean_rx_irq+0x1a4/0x9e0'), cols)[cols.index('panic')]
    check('terminal table: the panic said short, the function kept', cell ==
          'NULL deref at 0000000000000008 in ixgbe_clean_rx_irq+0x1a4/0x9e0', cell)
    summ = report.summary(rs, {})
    page = os.path.join(work, 'r.html')
    report.write_html(page, rs, summ)
    text = open(page).read()
    rows = re.findall(r'<tr class="[^"]*"><td><a href="#([^"]+)"', text)
    check('html: the table lists the flagged dump first', rows[:1] == ['d-dma'], rows)
    m = re.search(r'<details id="skipped"><summary>Skipped: 1 input[^<]*</summary>.*b-skip.*</details>', text, re.S)
    check('html: skipped inputs in a collapsed <details> section at the end', m and
          text.index('<details') > text.rindex('<h2 id='), text[-600:])
    rings = re.findall(r'<th>ring</th><td>[^<]*', text)
    check('html: no "ring -1" (unknown), ring 0 shown', rings == ['<th>ring</th><td>0'], rings)
    svg = report.memory_map_svg(rs[3])
    check('memory map: 512 cells, packet and foreign-live colours, junk rows ignored',
          svg.count('<rect') == 512 + 2 and report.COLOUR['foreign-live'] in svg and report.COLOUR['packet'] in svg,
          svg.count('<rect'))
    check('memory map: evidence at 0x1f9d07b8 (direct map) and 0x1f9d0840 marked',
          'evidence 1: 0x1f9d07b8' in svg and 'evidence 2: 0x1f9d0840' in svg, re.findall(r'evidence [^<]*', svg))
    check('memory map: a dump with no memmap says so', 'no frames carved' in report.memory_map_svg(rs[0]))
    json.dumps(summ)
    check('summary: counts per verdict and status', summ['counts'] == {
        'no-corruption-found': 1, 'skipped': 1, 'truncated': 1, 'dma-after-free': 1, 'inconclusive': 1},
        summ['counts'])


def test_install(work):
    dest = os.path.join(work, 'dest')
    p = subprocess.run(['make', '-s', '-C', ROOT, 'install', 'DESTDIR=' + dest, 'PREFIX=/opt/dms'],
                       capture_output=True, text=True)
    tool = os.path.join(dest, 'opt/dms/bin/dmasleuth-triage')
    if not check('make install DESTDIR=... PREFIX=/opt/dms', p.returncode == 0 and os.path.isfile(tool),
                 p.stderr[-400:]):
        return
    q = subprocess.run([sys.executable, tool, '--help'], capture_output=True, text=True, cwd='/')
    check('installed dmasleuth-triage runs (its package from share/dmasleuth/python)',
          q.returncode == 0 and 'usage: dmasleuth-triage' in q.stdout, q.stderr[-300:])
    q = subprocess.run([sys.executable, '-c', 'import sys; sys.path.insert(0, sys.argv[1]); '
                        'from dmasleuth_triage import paths; paths.BINDIR = sys.argv[2]; '
                        'print(paths.extension_path(None)); print(paths.logscan_path())',
                        os.path.join(dest, 'opt/dms/share/dmasleuth/python'), os.path.dirname(tool)],
                       capture_output=True, text=True)
    check('installed: finds its own extension and logscan under PREFIX',
          q.stdout.split('\n')[:2] == [os.path.join(dest, 'opt/dms/lib/crash/extensions/dmasleuth.so'),
                                       os.path.join(dest, 'opt/dms/bin/dmasleuth-logscan')], q.stdout + q.stderr)


def main():
    paths.BINDIR = os.path.join(ROOT, 'scripts')
    work = tempfile.mkdtemp(prefix='triage-unit-')
    try:
        test_headlines()
        test_formats(work)
        test_report(work)
        test_install(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print('triageunit: %d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
