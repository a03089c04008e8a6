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
-DZSTD); makedumpfile >= 1.7.0 writes the same format with -z.  The format itself is
dumpfile.py's (shared with tests/hostile/).
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dumpfile import (DUMP_DH_COMPRESSED_ZSTD, DUMP_DH_COMPRESSED_ANY, PD,  # noqa: E402
                      DumpError, KdumpHeader, compress, decompress)


def main():
    src, dst = sys.argv[1], sys.argv[2]
    level = int(sys.argv[3]) if len(sys.argv) > 3 else 19

    d = open(src, 'rb').read()
    try:
        h = KdumpHeader(d)
    except DumpError:
        sys.exit('kdump-recompress: %s is not a kdump-compressed file' % src)
    if h.size_eraseinfo:
        sys.exit('kdump-recompress: dumps with erase info are not handled')
    bm2 = d[h.bm2_off:h.bm_off + h.bm_len]
    n = sum(bin(b).count('1') for b in bm2[:(h.max_mapnr + 7) // 8])
    data_off = h.pd_off + n * PD.size

    out = bytearray(d[:h.pd_off])
    struct.pack_into('<i', out, h.status_off,
                     (h.status & ~DUMP_DH_COMPRESSED_ANY) | DUMP_DH_COMPRESSED_ZSTD)
    descs = bytearray(n * PD.size)
    data = bytearray()
    moved = {}
    for i in range(n):
        o, size, flags, pflags = PD.unpack_from(d, h.pd_off + i * PD.size)
        if o not in moved:
            try:
                page = decompress(d[o:o + size], flags, h.block_size)
                blob, nflags = compress(page, DUMP_DH_COMPRESSED_ZSTD, level)
            except DumpError as e:
                sys.exit('kdump-recompress: %s' % e)
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
