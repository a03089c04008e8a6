"""Dump formats: which kind of file an input is, and the facts its header holds.

Every byte of a dump is untrusted: headers are parsed with explicit bounds checks, a
length is checked against the bytes present, and "truncated" (the file ends before its
own header says it does) is told apart from "invalid" (the header contradicts itself).
"""
import os
import re
import struct


class BadDump(Exception):
    def __init__(self, status, reason):
        Exception.__init__(self, reason)
        self.status, self.reason = status, reason


def u(fmt, buf, off):
    """struct.unpack_from that reports a short buffer as truncation."""
    if off < 0 or off + struct.calcsize(fmt) > len(buf):
        raise BadDump('truncated', 'truncated vmcore: header ends early')
    return struct.unpack_from(fmt, buf, off)


def read_at(fp, off, n):
    fp.seek(off)
    return fp.read(n)


COMPRESSED = ((b'\x1f\x8b', 'gzip'), (b'\xfd7zXZ\x00', 'xz'), (b'\x28\xb5\x2f\xfd', 'zstd'),
              (b'BZh', 'bzip2'), (b'\x04\x22\x4d\x18', 'lz4'))


LOG_LINE = re.compile(rb'^(<\d+>)?\[\s*\d+\.\d+\]|^\S+ +\d+ [\d:]+ \S+ kernel: |^[\d-]+T[\d:.+-]+ \S+ kernel: |'
                      rb'^(Oops|Panic|Emergency|Restart|Halt|Poweroff)#\d+ Part\d+')

# pstore (fs/pstore/inode.c) names its files <type>-<backend>-<id>: dmesg-ramoops-0 (a kmsg
# dump: "<Reason>#<count> Part<n>", then the log's tail; fs/pstore/platform.c), console-ramoops-0
# (the console's raw text, last boot), pmsg-ramoops-0 (user space's), ftrace-ramoops-0; a record
# the kernel could not decompress keeps a ".enc.z" suffix.
PSTORE_NAME = re.compile(r'^(dmesg|console|pmsg|ftrace|mce|rtas)-([A-Za-z0-9_]+)-(\d+)(\.enc\.z)?$')
PSTORE_HEADER = re.compile(rb'^(Oops|Panic|Emergency|Restart|Halt|Poweroff|Shutdown|Unknown)#(\d+) Part(\d+)\r?\n')


def pstore_info(path, head):
    """What pstore record a file is, from its name and a dmesg record's header: {type,
    backend, id[, compressed][, reason, count, part]}; None if neither says."""
    info = {}
    m = PSTORE_NAME.match(os.path.basename(path))
    if m:
        info = {'type': m.group(1), 'backend': m.group(2), 'id': int(m.group(3))}
        if m.group(4):
            info['compressed'] = True
    h = PSTORE_HEADER.match(head)
    if h:
        info.setdefault('type', 'dmesg')
        info.update(reason=h.group(1).decode(), count=int(h.group(2)), part=int(h.group(3)))
    return info or None


def classify(path):
    """(kind, reason): kind in kdump, flattened, elf-core, log, or None with why not."""
    try:
        with open(path, 'rb') as fp:
            head = fp.read(4096)
    except OSError as e:
        return None, 'unreadable: %s' % e.strerror
    if not head:
        return None, 'not a dump: empty file'
    if head.startswith(b'KDUMP   '):
        return 'kdump', None
    if head.startswith(b'DISKDUMP'):
        return None, 'not supported: diskdump (netdump era) format'
    if head.startswith(b'makedumpfile\0'):
        return 'flattened', None
    if head.startswith(b'\x7fELF'):
        if len(head) >= 18 and head[4] == 2 and head[5] == 1 and struct.unpack_from('<H', head, 16)[0] == 4:
            return 'elf-core', None
        if len(head) >= 18 and struct.unpack_from('<H', head, 16)[0] == 4:
            return None, 'not supported: a 32-bit or big-endian ELF core'
        return None, 'not a dump: an ELF file that is not a core (vmlinux? pass it with --debuginfo)'
    for magic, name in COMPRESSED:
        if head.startswith(magic):
            return None, 'not a dump: %s-compressed file (decompress it first)' % name
    if len(head) >= 262 and head[257:262] == b'ustar':
        return None, 'not a dump: tar archive (extract it first)'
    if re.match(rb'\s*[{\[]', head) and re.search(rb'"\s*:', head[:512]):
        return None, 'not a dump: JSON text'
    ps = pstore_info(path, head)
    if ps and ps.get('compressed'):
        return None, ('not a dump: pstore record still compressed (.enc.z: the kernel that read it '
                      'could not decompress it)')
    if ps and ps['type'] in ('pmsg', 'ftrace'):
        return None, 'not a dump: pstore %s record (%s), not a kernel log' % (
            ps['type'], 'user-space messages' if ps['type'] == 'pmsg' else 'function trace')
    printable = sum(1 for b in head if b in (9, 10, 13) or 32 <= b < 127 or b >= 0x80)
    if ps and ps['type'] in ('dmesg', 'console') and printable > 0.95 * len(head):
        return 'log', None  # a console record may hold more of user space's lines than the kernel's
    if printable > 0.95 * len(head):
        # A kernel log if most of its first lines are kernel log lines: dmesg/console
        # ("[  12.345678] ..."), syslog/journal ("... kernel: ..."), pstore headers.
        lines = [ln for ln in head.split(b'\n')[:-1] if ln.strip()] or [head]
        klog = sum(1 for ln in lines if LOG_LINE.search(ln))
        if klog >= min(3, len(lines)) and klog >= 0.5 * len(lines):
            return 'log', None
        return None, 'not a dump: text that is not a kernel log'
    return None, 'not a dump: unknown format (first bytes %s)' % head[:8].hex()


# The architecture a dump was taken on, named as dmasleuth-logscan names an oops's ("x86_64",
# "arm64"): the ELF header's e_machine, the kdump header's utsname.machine (uname -m; QEMU's
# dump-guest-memory -z writes "Unknown" there for arm64 guests), or VMCOREINFO lines that only
# one architecture's kernel writes (arch_crash_save_vmcoreinfo()).
ELF_MACHINES = {62: 'x86_64', 183: 'arm64', 3: 'x86', 40: 'arm', 21: 'ppc64', 22: 's390x',
                243: 'riscv64', 258: 'loongarch64'}
UNAME_MACHINES = {'x86_64': 'x86_64', 'aarch64': 'arm64', 'arm64': 'arm64', 'ppc64le': 'ppc64',
                  'ppc64': 'ppc64', 's390x': 's390x', 'riscv64': 'riscv64',
                  'loongarch64': 'loongarch64'}
VMCOREINFO_ARCH = (('NUMBER(kimage_voffset)', 'arm64'), ('NUMBER(TCR_EL1_T1SZ)', 'arm64'),
                   ('SYMBOL(init_top_pgt)', 'x86_64'))


def parse_vmcoreinfo(blob):
    info = {}
    for line in blob.decode('ascii', 'replace').split('\n'):
        k, sep, v = line.partition('=')
        if sep and k in ('OSRELEASE', 'BUILD-ID', 'PAGESIZE', 'CRASHTIME'):
            info[k] = v.strip()
        for key, arch in VMCOREINFO_ARCH:
            if sep and k == key:
                info.setdefault('arch', arch)
    if 'BUILD-ID' in info and not re.fullmatch(r'[0-9a-f]{2,128}', info['BUILD-ID']):
        info['BUILD-ID'] = None
    return info


def kdump_header(hdr, size, read, flat=False):
    """Facts from a kdump-compressed header (makedumpfile's diskdump_mod.h layout, 64-bit).

    hdr: the first block; read(off, n): bytes of the (logical) file."""
    if u('<8s', hdr, 0)[0] != b'KDUMP   ':
        raise BadDump('invalid', 'invalid vmcore: no KDUMP signature')
    version, = u('<i', hdr, 8)
    release = hdr[12 + 130:12 + 195].split(b'\0')[0].decode('ascii', 'replace')
    machine = hdr[12 + 260:12 + 325].split(b'\0')[0].decode('ascii', 'replace')  # utsname.machine
    block_size, sub_blocks, bitmap_blocks, max_mapnr = u('<iiII', hdr, 428)
    if block_size < 512 or block_size > (1 << 20) or block_size & (block_size - 1):
        raise BadDump('invalid', 'invalid vmcore: block size %d' % block_size)
    if sub_blocks < 0 or sub_blocks > 1024 or bitmap_blocks == 0 or bitmap_blocks & 1:
        raise BadDump('invalid', 'invalid vmcore: header sizes (sub-header %d, bitmap %d blocks)'
                      % (sub_blocks, bitmap_blocks))
    # max_mapnr counts the dump's pages: block_size bytes each (QEMU's arm64 dumps: 64 KiB).
    facts = {'OSRELEASE': release, 'phys_end': max_mapnr * block_size}
    if version >= 3 and sub_blocks:
        sub = read(block_size, 104)
        off_vi, size_vi = u('<QQ', sub, 32)
        if version >= 6 and len(sub) >= 104:
            facts['phys_end'] = u('<Q', sub, 96)[0] * block_size
        if size_vi and size_vi < (1 << 20):
            blob = read(off_vi, size_vi)
            if len(blob) < size_vi:
                raise BadDump('truncated', 'truncated vmcore: VMCOREINFO past the end of the file')
            facts.update(parse_vmcoreinfo(blob))
    if UNAME_MACHINES.get(machine):
        facts['arch'] = UNAME_MACHINES[machine]
    if flat:
        return facts  # the page data's layout is checked by the flattened walk
    # The last page descriptor (one per bit in the second bitmap) must lie in the file,
    # and so must the page data it points at.
    half = bitmap_blocks // 2 * block_size
    bm2 = (1 + sub_blocks) * block_size + half
    bitmap = read(bm2, half)
    if len(bitmap) < half:
        raise BadDump('truncated', 'truncated vmcore: the page bitmap ends at byte %d of %d'
                      % (bm2 + len(bitmap), bm2 + half))
    pages = int.from_bytes(bitmap, 'little').bit_count() if hasattr(int, 'bit_count') else \
        sum(bin(b).count('1') for b in bitmap)
    if pages:
        desc_off = (1 + sub_blocks + bitmap_blocks) * block_size + (pages - 1) * 24
        last = read(desc_off, 24)
        if len(last) < 24:
            raise BadDump('truncated', 'truncated vmcore: %d page descriptors, the file ends at %d'
                          % (pages, size))
        offset, length = struct.unpack_from('<qI', last, 0)
        if offset <= 0 or length == 0 or length > 16 * block_size:
            raise BadDump('invalid', 'invalid vmcore: last page descriptor (offset %d, size %d)'
                          % (offset, length))
        if offset + length > size:
            raise BadDump('truncated', 'truncated vmcore: page data to byte %d, the file has %d'
                          % (offset + length, size))
    return facts


def flattened_facts(fp, size):
    """makedumpfile -F output: 4 KiB header, then (offset, size) big-endian records, then
    an end marker (-1, -1).  Rebuild the first 64 KiB of the logical kdump file."""
    head_len = 1 << 16
    logical = bytearray(head_len)
    pos, records = 4096, 0
    while True:
        rec = read_at(fp, pos, 16)
        if len(rec) < 16:
            raise BadDump('truncated', 'truncated vmcore: flattened stream ends at byte %d without '
                          'its end marker (%d records)' % (pos, records))
        off, n = struct.unpack('>qq', rec)
        if off == -1 and n == -1:
            break
        if off < 0 or n < 0 or n > (1 << 30):
            raise BadDump('invalid', 'invalid vmcore: flattened record %d at byte %d (offset %d, size %d)'
                          % (records, pos, off, n))
        if pos + 16 + n > size:
            raise BadDump('truncated', 'truncated vmcore: flattened record %d needs %d bytes, the file has %d'
                          % (records, pos + 16 + n, size))
        if off < head_len:
            data = read_at(fp, pos + 16, min(n, head_len - off))
            logical[off:off + len(data)] = data
        pos += 16 + n
        records += 1
        if records > (1 << 26):
            raise BadDump('invalid', 'invalid vmcore: too many flattened records')
    buf = bytes(logical)
    return kdump_header(buf, head_len, lambda o, n: buf[o:o + n], flat=True)


def elf_facts(fp, size):
    """ELF64 core (kdump /proc/vmcore copy, QEMU dump-guest-memory): VMCOREINFO note and
    the PT_LOAD extent."""
    eh = read_at(fp, 0, 64)
    e_machine, = u('<H', eh, 18)
    phoff, = u('<Q', eh, 32)
    phentsize, phnum = u('<HH', eh, 54)
    if phentsize < 56 or phnum == 0 or phnum > 65535:
        raise BadDump('invalid', 'invalid vmcore: ELF program headers (%d x %d bytes)' % (phnum, phentsize))
    ph = read_at(fp, phoff, phentsize * phnum)
    if len(ph) < phentsize * phnum:
        raise BadDump('truncated', 'truncated vmcore: ELF program headers past the end of the file')
    facts, end, phys_end = {}, 0, 0
    for i in range(phnum):
        p_type, _, p_off, _, p_paddr, p_filesz, p_memsz = u('<IIQQQQQ', ph, i * phentsize)
        if p_type == 1:  # PT_LOAD
            end = max(end, p_off + p_filesz)
            phys_end = max(phys_end, p_paddr + p_memsz)
        elif p_type == 4 and p_filesz < (1 << 24):  # PT_NOTE
            notes = read_at(fp, p_off, p_filesz)
            pos = 0
            while pos + 12 <= len(notes):
                namesz, descsz, _ = struct.unpack_from('<III', notes, pos)
                name = notes[pos + 12:pos + 12 + namesz].rstrip(b'\0')
                dpos = pos + 12 + ((namesz + 3) & ~3)
                if name == b'VMCOREINFO':
                    facts.update(parse_vmcoreinfo(notes[dpos:dpos + descsz]))
                pos = dpos + ((descsz + 3) & ~3)
    if end > size:
        raise BadDump('truncated', 'truncated vmcore: memory segments to byte %d, the file has %d' % (end, size))
    facts['phys_end'] = phys_end
    if e_machine in ELF_MACHINES:
        facts['arch'] = ELF_MACHINES[e_machine]
    return facts


def dump_facts(path, kind):
    """{'OSRELEASE', 'BUILD-ID', 'phys_end', 'arch'} (each if the dump says) or raises BadDump."""
    with open(path, 'rb') as fp:
        size = os.fstat(fp.fileno()).st_size
        if kind == 'kdump':
            hdr = read_at(fp, 0, 4096)
            return kdump_header(hdr, size, lambda o, n: read_at(fp, o, n))
        if kind == 'flattened':
            return flattened_facts(fp, size)
        return elf_facts(fp, size)
