#!/usr/bin/env python3
"""tests/vmcore/panic_test.py: dmaf's panic evidence against crash's own reading of the dump.

For every stored lab dump whose kernel oopsed (its log has an oops with a Code: line) and
for whose crash target the extension is built (x86-64: extensions/dmasleuth.so; ARM64:
extensions/dmasleuth-arm64.so in the cross crash), one crash session runs `dmaf -j -q`, a
second `dis` of the instruction it names and `bt` (the panic task's exception frame); then:
  decoded   the panic evidence names an instruction, the function+offset it faulted at,
            a culprit register and its value
  dis       that instruction is the one crash's disassembler (gdb) shows at that
            function+offset (mnemonic and operands, immediates compared as numbers; on
            x86-64 AT&T operand-size suffixes ignored)
  register  the culprit's value is the one crash reads from the exception frame in the
            dump (bt), not only the log's copy
  address   arm64: the kernel's printed fault address ("Unable to handle kernel ... at
            virtual address X") is the culprit-based address, untagged (the top byte
            cleared when bit 55 is clear): the kernel's own arithmetic agrees
Dumps without an oops (sysrq crashes) are skipped.  The tool knows nothing of the lab; this
test asks crash.  Last line: "panic: N passed, N failed".
"""
import json
import os
import re
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tests'))
import dumpenv  # noqa: E402

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


def target_of(dump):
    return dumpenv.crash_target(dumpenv.release_of(dump))


def dumps():
    return dumpenv.stored_dumps()


# "panic: ldr x3, [x3, #0x68] at anon_vma_interval_tree_insert+0x6c/0xe0 (read, ...); x3 =
# 0xffbf1c372fb973ef is ..."; "panic: cmpq 0x68(%rdx), %r8 at f+0x48/0xc0; %rdx = 0x7f13... is"
PANIC = re.compile(r'^panic: (?P<insn>.+?) at (?P<func>[\w.]+)\+(?P<off>0x[0-9a-f]+)/0x[0-9a-f]+'
                   r'(?: \(.*?\))?; %?(?P<reg>\w+) = (?P<val>0x[0-9a-f]+) ')


def norm(insn, arch):
    """An instruction's text with immediates as decimal numbers and no blanks; on x86-64
    without the AT&T operand-size suffix of the mnemonic."""
    insn = re.sub(r'\s*//.*$|\s*<[^>]*>\s*$', '', insn.strip())
    prefix = ''
    if re.match(r'(lock|rep\w*)\s', insn):  # x86 prefixes: the mnemonic is the next word
        prefix, insn = insn.split(None, 1)
        prefix += ' '
    parts = insn.strip().split(None, 1)
    mnem, ops = parts[0], parts[1] if len(parts) > 1 else ''
    if arch == 'X86_64' and len(mnem) > 3 and mnem[-1] in 'bwlq' and mnem not in ('call', 'jmp'):
        mnem = mnem[:-1]
    ops = re.sub(r'(-?)0x([0-9a-fA-F]+)', lambda m: str(int(m.group(1) + m.group(2), 16)), ops)
    return prefix + mnem + ' ' + re.sub(r'\s+', '', ops)


def bt_registers(out, where):
    """Registers of the exception frame crash's bt shows at WHERE ("func+decimal]": x86-64
    bt's "[exception RIP: func+1024]", arm64 bt -e's "PC: ... [func+196]"): "X3: ...",
    "RAX: ...", up to the frame's end."""
    at = out.find(where)
    if at < 0:
        return {}
    frame = re.split(r'\n\s*\n|KERNEL-MODE EXCEPTION FRAME|\n\s*#\d+ \[|ORIG_', out[at:], 1)[0]
    regs = {}
    for name, val in re.findall(r'\b([XR][0-9A-Z]{1,2}|R\d{1,2}):\s+([0-9a-f]{16})\b', frame):
        regs.setdefault(name.lower(), int(val, 16))
    return regs


def one(dump, work):
    target = target_of(dump)
    ext = dumpenv.extension_for(dump)
    if not os.path.isfile(os.path.join(ROOT, ext)):
        print('SKIP %s: no extension built for %s (%s)' % (dump, target, ext))
        return
    console = os.path.join(ROOT, 'dumps', dump, 'console.log')
    text = open(console, errors='replace').read() if os.path.isfile(console) else ''
    if not re.search(r'\[#1\]', text) or 'Code: ' not in text:
        print('SKIP %s: the kernel did not oops (no [#1] and Code: in console.log)' % dump)
        return
    cmds = os.path.join(work, dump + '.cmds')
    with open(cmds, 'w') as fp:
        fp.write('extend %s\ndmaf -j -q\nquit\n' % ext)
    out = dumpenv.run_crash(dump, cmds)
    js = [json.loads(ln) for ln in out.splitlines() if ln.startswith('{"verdict"')]
    ev = [e for e in (js[0]['evidence'] if js else []) if e.get('kind') == 'panic']
    m = PANIC.match(ev[0]['text']) if ev else None
    check('%s: panic evidence names instruction, function+offset, register, value' % dump, m,
          ev[0]['text'] if ev else 'no panic evidence (%s)' % (js[0]['verdict'] if js else 'no JSON'))
    if not m:
        return
    arch = target
    # crash's own disassembly at function+offset (known only now) and its exception frame,
    # in a second session.
    cmds2 = os.path.join(work, dump + '.dis')
    with open(cmds2, 'w') as fp:
        # arm64's bt shows only the user-mode frame at the bottom; -e finds the kernel's.
        fp.write('dis %s+%d 1\nbt%s\nquit\n' % (m.group('func'), int(m.group('off'), 16),
                                                  ' -e' if target == 'ARM64' else ''))
    dis = dumpenv.run_crash(dump, cmds2)
    line = next((ln for ln in dis.splitlines() if re.match(r'0x[0-9a-f]+ <', ln)), '')
    gdb = line.split(':', 1)[1] if ':' in line else ''
    ours = m.group('insn')
    check('%s: %s is what crash disassembles at %s+%s' % (dump, ours, m.group('func'), m.group('off')),
          gdb and norm(ours, arch) == norm(gdb, arch), '%r vs %r' % (norm(ours, arch), norm(gdb, arch)))
    regs = bt_registers(dis.split(line, 1)[-1] if line else dis,
                        '%s+%d]' % (m.group('func'), int(m.group('off'), 16)))
    reg, val = m.group('reg'), int(m.group('val'), 16)
    check('%s: %s = %#x is the exception frame\'s (crash bt)' % (dump, reg, val),
          regs.get(reg) == val, 'bt has %s' % (hex(regs[reg]) if reg in regs else 'no %s' % reg))
    if arch == 'ARM64':
        fa = re.search(r'Unable to handle kernel .*? at virtual address ([0-9a-f]{16})', text)
        # The value the instruction used: culprit + displacement (an index register's
        # value from bt), as the evidence's instruction says.
        ea = None
        mm = re.search(r'\[(\w+)(?:, #(-?0x[0-9a-f]+|-?\d+))?\]', ours)
        mi = re.search(r'\[(\w+), (\w+)\]', ours)
        if mi and mi.group(1) == reg and mi.group(2) in regs:
            ea = (val + regs[mi.group(2)]) & (2 ** 64 - 1)
        elif mm and mm.group(1) == reg:
            ea = (val + int(mm.group(2) or '0', 0)) & (2 ** 64 - 1)
        printed = int(fa.group(1), 16) if fa else None
        untagged = ea & ((1 << 56) - 1) if ea is not None and not (ea >> 55) & 1 else ea
        check('%s: the kernel printed the fault address %s, the address from %s untagged' % (
              dump, fa.group(1) if fa else '?', reg), printed is not None and printed == untagged,
              'ea %s, printed %s' % (hex(ea) if ea is not None else None, hex(printed) if printed else None))


def main():
    with tempfile.TemporaryDirectory(prefix='dms-panic-') as work:
        for dump in dumps():
            try:
                one(dump, work)
            except Exception as e:  # one dump's trouble must not hide the others'
                check('%s: session' % dump, False, '%s: %s' % (type(e).__name__, e))
    print('panic: %d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
