#!/usr/bin/env python3
"""kdump-recompress.py IN OUT [LEVEL]

Rewrites a kdump-compressed dump (makedumpfile's format: what `makedumpfile -R` restores
from QEMU's `dump-guest-memory -z` output) with every page compressed by zstd at LEVEL
(default 19) instead of zlib at its fastest level.  Headers, VMCOREINFO, ELF notes and
both bitmaps are copied unchanged: the same pages, the same contents; pages sharing one
data block (the zero page) still share one.  A page zstd does not shrink is stored raw.

Why: a QEMU dump of 6.12 holds the whole kernel image (~14 MiB with zlib -1), and the
lab's vmcores must stay <= 16 MiB; zstd -19 saves ~11%.  crash reads zstd pages when
built with ZSTD (Debian's 8.0.2 links libzstd; scripts/build-crash builds 8.0.6 with
-DZSTD); makedumpfile >= 1.7.0 writes the same format with -z.
"""
import ctypes
import struct
import sys
import zlib

DUMP_DH_COMPRESSED_ZLIB = 0x1
DUMP_DH_COMPRESSED_LZO = 0x2
DUMP_DH_COMPRESSED_SNAPPY = 0x4
DUMP_DH_COMPRESSED_ZSTD = 0x20
PD = struct.Struct('<qIIQ')  # page_desc: offset, size, flags, page_flags


def main():
    src, dst = sys.argv[1], sys.argv[2]
    level = int(sys.argv[3]) if len(sys.argv) > 3 else 19
    zstd = ctypes.CDLL('libzstd.so.1')
    zstd.ZSTD_compress.restype = ctypes.c_size_t
    zstd.ZSTD_isError.restype = ctypes.c_uint
    zstd.ZSTD_decompress.restype = ctypes.c_size_t

    d = open(src, 'rb').read()
    if d[:8] != b'KDUMP   ':
        sys.exit('kdump-recompress: %s is not a kdump-compressed file' % src)
    # struct disk_dump_header: signature[8], header_version, utsname (6 x 65 bytes), then
    # a struct timeval (8-aligned), status, block_size, sub_hdr_size, bitmap_blocks,
    # max_mapnr ...
    ver = struct.unpack_from('<i', d, 8)[0]
    off = (12 + 6 * 65 + 7) & ~7
    st_off = off + 16
    status, block_size, sub_hdr_size, bitmap_blocks, max_mapnr = \
        struct.unpack_from('<iiiiI', d, st_off)
    sub = block_size
    if ver >= 6:
        max_mapnr = struct.unpack_from('<Q', d, sub + 96)[0]
    size_eraseinfo = struct.unpack_from('<Q', d, sub + 72)[0] if ver >= 5 else 0
    if size_eraseinfo:
        sys.exit('kdump-recompress: dumps with erase info are not handled')
    bm_off = block_size * (1 + sub_hdr_size)
    bm_len = block_size * bitmap_blocks
    bm2 = d[bm_off + bm_len // 2:bm_off + bm_len]
    pd_off = bm_off + bm_len
    n = sum(bin(b).count('1') for b in bm2[:(max_mapnr + 7) // 8])
    data_off = pd_off + n * PD.size

    out = bytearray(d[:pd_off])
    struct.pack_into('<i', out, st_off,
                     (status & ~(DUMP_DH_COMPRESSED_ZLIB | DUMP_DH_COMPRESSED_LZO |
                                 DUMP_DH_COMPRESSED_SNAPPY)) | DUMP_DH_COMPRESSED_ZSTD)
    descs = bytearray(n * PD.size)
    data = bytearray()
    moved = {}
    buf = ctypes.create_string_buffer(2 * block_size + 1024)
    for i in range(n):
        o, size, flags, pflags = PD.unpack_from(d, pd_off + i * PD.size)
        if o not in moved:
            raw = d[o:o + size]
            if flags & DUMP_DH_COMPRESSED_ZLIB:
                page = zlib.decompress(raw)
            elif flags & DUMP_DH_COMPRESSED_ZSTD:
                page = ctypes.create_string_buffer(block_size)
                r = zstd.ZSTD_decompress(page, block_size, raw, len(raw))
                page = page.raw[:r]
            elif flags:
                sys.exit('kdump-recompress: page compression %#x not handled' % flags)
            else:
                page = raw
            c = zstd.ZSTD_compress(buf, len(buf), page, len(page), level)
            if zstd.ZSTD_isError(c):
                sys.exit('kdump-recompress: zstd failed')
            if c < len(page):
                blob, nflags = buf.raw[:c], DUMP_DH_COMPRESSED_ZSTD
            else:
                blob, nflags = page, 0
            moved[o] = (data_off + len(data), len(blob), nflags)
            data += blob
        no, nsize, nflags = moved[o]
        PD.pack_into(descs, i * PD.size, no, nsize, nflags, pflags)
    with open(dst, 'wb') as fp:
        fp.write(out)
        fp.write(descs)
        fp.write(data)
    print('kdump-recompress: %d pages, %d data blocks: %d -> %d bytes (zstd -%d)'
          % (n, len(moved), len(d), data_off + len(data), level))


if __name__ == '__main__':
    main()
