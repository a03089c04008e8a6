"""Checks of dumps/lab/dumpfile.py on small synthetic dumps (tests/hostile/run runs them
first): the damage generator must rewrite exactly the pages it is asked to, in every format.

Each check builds its dump in memory: a kdump-compressed file (zlib pages, two pages
sharing one zero block), the same file flattened into out-of-order records, and an ELF
core with two PT_LOAD segments.
"""
import os
import random
import struct
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), 'dumps', 'lab'))
import dumpfile  # noqa: E402

PAGE = 4096


def page_of(pfn):
    return bytes((pfn * 7 + i) & 0xff for i in range(PAGE))


def kdump_image(pfns, zero=(), mapnr=16):
    """A kdump-compressed file: header, sub header, two bitmap blocks, descriptors, data."""
    hdr = bytearray(PAGE)
    hdr[:8] = b'KDUMP   '
    struct.pack_into('<i', hdr, 8, 6)
    st = ((12 + 6 * 65 + 7) & ~7) + 16
    struct.pack_into('<iiiiI', hdr, st, dumpfile.DUMP_DH_COMPRESSED_ZLIB, PAGE, 1, 2, mapnr)
    sub = bytearray(PAGE)
    struct.pack_into('<Q', sub, 96, mapnr)
    bm1 = bytearray(PAGE)
    bm2 = bytearray(PAGE)
    dumped = sorted(set(pfns) | set(zero))
    for p in range(mapnr):
        bm1[p // 8] |= 1 << (p % 8)
    for p in dumped:
        bm2[p // 8] |= 1 << (p % 8)
    pd_off = 4 * PAGE
    data_off = pd_off + len(dumped) * dumpfile.PD.size
    descs, data, zero_at = bytearray(), bytearray(), None
    for p in dumped:
        if p in zero:
            if zero_at is None:
                zero_at = (data_off + len(data), zlib.compress(bytes(PAGE)))
                data += zero_at[1]
            descs += dumpfile.PD.pack(zero_at[0], len(zero_at[1]), 1, 0)
            continue
        blob = zlib.compress(page_of(p))
        descs += dumpfile.PD.pack(data_off + len(data), len(blob), 1, 0)
        data += blob
    return bytes(hdr + sub + bm1 + bm2 + descs + data)


def flatten(image, rng):
    """The same file as makedumpfile -F writes it: records, here in shuffled order."""
    out = bytearray(dumpfile.FLAT_SIGNATURE.ljust(16, b'\0') + struct.pack('>qq', 1, 1))
    out += bytes(dumpfile.FLAT_HEADER_SIZE - len(out))
    chunks = [(o, image[o:o + 5000]) for o in range(0, len(image), 5000)]
    rng.shuffle(chunks)
    for o, c in chunks:
        out += dumpfile.FLAT_RECORD.pack(o, len(c)) + c
    return bytes(out + dumpfile.FLAT_RECORD.pack(-1, -1))


def elf_image():
    """An ELF64 core: PT_LOAD paddr 0x1000 (3 pages) and 0x10000 (2 pages)."""
    loads = [(0x1000, 3), (0x10000, 2)]
    phoff, phnum = 64, len(loads)
    off = phoff + phnum * 56
    off = (off + PAGE - 1) & ~(PAGE - 1)
    eh = bytearray(64)
    eh[:16] = b'\x7fELF\x02\x01\x01' + bytes(9)
    struct.pack_into('<HHIQQQIHHHHHH', eh, 16, 4, 62, 1, 0, phoff, 0, 0, 64, 56, phnum, 0, 0, 0)
    ph, body = bytearray(), bytearray()
    for paddr, n in loads:
        ph += struct.pack('<IIQQQQQQ', 1, 4, off + len(body), 0, paddr, n * PAGE, n * PAGE, PAGE)
        for k in range(n):
            body += page_of(paddr // PAGE + k)
    img = eh + ph
    return bytes(img + bytes(off - len(img)) + body)


def reopen(d, tmp, name):
    path = os.path.join(tmp, name)
    d.save(path)
    return dumpfile.Dump(path)


def run():
    """(name, ok, why) of every check."""
    rng = random.Random(7)
    res = []
    tmp = tempfile.mkdtemp(prefix='dumpfile-test-')
    try:
        img = kdump_image(pfns=[0, 1, 2, 5, 7], zero=[3, 4])
        for fmt, raw in (('kdump', img), ('flattened', flatten(img, rng))):
            src = os.path.join(tmp, fmt)
            with open(src, 'wb') as fp:
                fp.write(raw)
            d = dumpfile.Dump(src)
            res.append(('dumpfile %s: format, pages read back' % fmt,
                        d.format == fmt and d.page(5) == page_of(5) and d.page(3) == bytes(PAGE),
                        d.format))
            new = bytes(rng.getrandbits(8) for _ in range(PAGE))  # does not fit: appended
            d.set_page(1, new)
            d.set_page(3, b'\x45\x11' * (PAGE // 2))  # shares the zero block: appended
            d.set_page(7, b'\x01' * PAGE)  # fits: in place
            d.exclude(2)
            e = reopen(d, tmp, fmt + '.out')
            ok = (e.format == fmt and e.page(1) == new and e.page(3) == b'\x45\x11' * (PAGE // 2)
                  and e.page(4) == bytes(PAGE) and e.page(7) == b'\x01' * PAGE
                  and e.page(0) == page_of(0) and e.page(5) == page_of(5)
                  and not e.has_page(2) and e.has_page(1))
            res.append(('dumpfile %s: rewritten pages, shared block, exclusion, the rest unchanged'
                        % fmt, ok, 'pages %s' % e.pfns))
            try:
                e.write_phys(5 * PAGE + 4000, b'XY' * 100)  # pages 5 and 6 (6 not dumped)
                res.append(('dumpfile %s: a write into a page not in the dump fails' % fmt,
                            False, 'no error'))
            except dumpfile.DumpError:
                res.append(('dumpfile %s: a write into a page not in the dump fails' % fmt,
                            True, ''))
    except dumpfile.DumpError as ex:
        res.append(('dumpfile: kdump/flattened', False, str(ex)))
    try:
        src = os.path.join(tmp, 'elf')
        with open(src, 'wb') as fp:
            fp.write(elf_image())
        d = dumpfile.Dump(src)
        d.write_phys(0x3000 - 8, b'A' * 16)  # across the two pages of the first segment
        e = reopen(d, tmp, 'elf.out')
        ok = (e.format == 'elf' and e.read_phys(0x3000 - 8, 16) == b'A' * 16 and
              e.page(0x10) == page_of(0x10) and not e.has_page(4))
        res.append(('dumpfile elf: a write across pages, the other segment unchanged', ok, ''))
        try:
            e.exclude(1)
            res.append(('dumpfile elf: exclusion refused', False, 'no error'))
        except dumpfile.DumpError:
            res.append(('dumpfile elf: exclusion refused', True, ''))
    except dumpfile.DumpError as ex:
        res.append(('dumpfile elf', False, str(ex)))
    finally:
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)
    return res


if __name__ == '__main__':
    bad = 0
    for name, ok, why in run():
        print('%s %s%s' % ('PASS' if ok else 'FAIL', name, '' if ok else ': ' + str(why)))
        bad += not ok
    sys.exit(1 if bad else 0)
