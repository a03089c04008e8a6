"""dumpfile.py: read and rewrite the pages of a crash dump file, shared by the lab's tools
(kdump-recompress.py) and the damaged-dump suite (tests/hostile/damage.py).

Three formats:
  kdump-compressed  makedumpfile's format ("KDUMP   "): a header, a sub header, two
                    bitmaps (pages that exist, pages that are dumped), one page
                    descriptor per dumped page (offset, size, compression flags) in pfn
                    order, then the page data.  Pages sharing one data block (the zero
                    page) share one descriptor offset.
  flattened         the same file as a stream of (offset, size, data) records after a
                    4 KiB "makedumpfile" header (makedumpfile -F, QEMU dump-guest-memory
                    -z); `makedumpfile -R` replays the records into a kdump-compressed file.
  ELF               a core file: PT_LOAD segments map physical addresses to file offsets.

Dump(path) loads a file (a flattened one is replayed in memory), page(pfn) returns a
page's bytes, set_page(pfn, data) replaces them (compressed like the page was, in place
when it fits and no other page shares the block, else appended, the descriptor fixed),
exclude(pfn) drops a page from the dump (kdump formats: the bitmap bit and the
descriptor go), and save(path) writes the same format back.

Every structure here is makedumpfile's (diskdump_mod.h, makedumpfile.h) and the ELF
spec's; nothing depends on a kernel.
"""
import ctypes
import struct
import zlib

DUMP_DH_COMPRESSED_ZLIB = 0x1
DUMP_DH_COMPRESSED_LZO = 0x2
DUMP_DH_COMPRESSED_SNAPPY = 0x4
DUMP_DH_COMPRESSED_ZSTD = 0x20
DUMP_DH_COMPRESSED_ANY = (DUMP_DH_COMPRESSED_ZLIB | DUMP_DH_COMPRESSED_LZO |
                          DUMP_DH_COMPRESSED_SNAPPY | DUMP_DH_COMPRESSED_ZSTD)
PD = struct.Struct('<qIIQ')  # struct page_desc: offset, size, flags, page_flags
FLAT_SIGNATURE = b'makedumpfile'
FLAT_HEADER_SIZE = 4096  # MAX_SIZE_MDF_HEADER
FLAT_RECORD = struct.Struct('>qq')  # struct makedumpfile_data_header: offset, buf_size
FLAT_CHUNK = 1 << 20  # bytes per record when a flattened file is written back

_zstd = None


def zstd():
    """libzstd through ctypes (crash and makedumpfile use the same library), or None."""
    global _zstd
    if _zstd is None:
        try:
            lib = ctypes.CDLL('libzstd.so.1')
        except OSError:
            _zstd = False
            return None
        lib.ZSTD_compress.restype = ctypes.c_size_t
        lib.ZSTD_decompress.restype = ctypes.c_size_t
        lib.ZSTD_isError.restype = ctypes.c_uint
        _zstd = lib
    return _zstd or None


def decompress(raw, flags, size):
    """A page's bytes from its stored block."""
    if flags & DUMP_DH_COMPRESSED_ZLIB:
        return zlib.decompress(raw)
    if flags & DUMP_DH_COMPRESSED_ZSTD:
        z = zstd()
        if not z:
            raise DumpError('a zstd page, and no libzstd.so.1 here')
        buf = ctypes.create_string_buffer(size)
        raw = bytes(raw)
        r = z.ZSTD_decompress(buf, size, raw, len(raw))
        if z.ZSTD_isError(r):
            raise DumpError('zstd: a page does not decompress')
        return buf.raw[:r]
    if flags & DUMP_DH_COMPRESSED_ANY:
        raise DumpError('page compression %#x not handled (lzo, snappy)' % flags)
    return bytes(raw)


def compress(page, flags, level=None):
    """(block, flags) for a page: compressed the way flags say, raw (flags 0) when that
    is not smaller or the method is not available here (lzo, snappy)."""
    blob = None
    if flags & DUMP_DH_COMPRESSED_ZLIB:
        blob, method = zlib.compress(page, 1 if level is None else level), DUMP_DH_COMPRESSED_ZLIB
    elif flags & DUMP_DH_COMPRESSED_ZSTD and zstd():
        z = zstd()
        buf = ctypes.create_string_buffer(2 * len(page) + 1024)
        c = z.ZSTD_compress(buf, len(buf), page, len(page), 3 if level is None else level)
        if z.ZSTD_isError(c):
            raise DumpError('zstd: compression failed')
        blob, method = buf.raw[:c], DUMP_DH_COMPRESSED_ZSTD
    if blob is not None and len(blob) < len(page):
        return blob, method
    return bytes(page), 0


class DumpError(Exception):
    pass


class KdumpHeader:
    """The fields of disk_dump_header and kdump_sub_header this module uses."""

    def __init__(self, d):
        if d[:8] != b'KDUMP   ':
            raise DumpError('not a kdump-compressed file')
        self.version = struct.unpack_from('<i', d, 8)[0]
        # signature[8], header_version, utsname (6 x 65 bytes), then a struct timeval
        # (8-aligned), status, block_size, sub_hdr_size, bitmap_blocks, max_mapnr ...
        self.status_off = (12 + 6 * 65 + 7) & ~7
        self.status_off += 16
        (self.status, self.block_size, self.sub_hdr_size, self.bitmap_blocks,
         self.max_mapnr) = struct.unpack_from('<iiiiI', d, self.status_off)
        if self.block_size < 1024 or self.block_size & (self.block_size - 1) or \
                self.block_size > (1 << 20):
            raise DumpError('block size %d' % self.block_size)
        sub = self.block_size
        if self.version >= 6:
            self.max_mapnr = struct.unpack_from('<Q', d, sub + 96)[0]
        self.offset_eraseinfo, self.size_eraseinfo = (
            struct.unpack_from('<QQ', d, sub + 64) if self.version >= 5 else (0, 0))
        self.bm_off = self.block_size * (1 + self.sub_hdr_size)
        self.bm_len = self.block_size * self.bitmap_blocks
        self.bm2_off = self.bm_off + self.bm_len // 2
        self.pd_off = self.bm_off + self.bm_len
        if self.pd_off > len(d):
            raise DumpError('bitmaps beyond the end of the file')


class Dump:
    """A dump file loaded in memory; see the module comment."""

    def __init__(self, path):
        with open(path, 'rb') as fp:
            raw = fp.read()
        self.path = path
        if raw[:len(FLAT_SIGNATURE)] == FLAT_SIGNATURE:
            self.format = 'flattened'
            self.flat_header = raw[:FLAT_HEADER_SIZE]
            self.data = self._replay(raw)
        elif raw[:8] == b'KDUMP   ':
            self.format = 'kdump'
            self.data = bytearray(raw)
        elif raw[:4] == b'\x7fELF':
            self.format = 'elf'
            self.data = bytearray(raw)
        else:
            raise DumpError('%s: not a kdump-compressed, flattened or ELF dump' % path)
        if self.format == 'elf':
            self._elf_init()
        else:
            self._kdump_init()

    # ---- flattened

    @staticmethod
    def _replay(raw):
        """makedumpfile -R in memory: the records' writes applied in order."""
        out = bytearray()
        pos = FLAT_HEADER_SIZE
        while pos + FLAT_RECORD.size <= len(raw):
            off, size = FLAT_RECORD.unpack_from(raw, pos)
            pos += FLAT_RECORD.size
            if off == -1 and size == -1:
                break
            if off < 0 or size < 0 or pos + size > len(raw):
                raise DumpError('flattened: bad record at %d' % (pos - FLAT_RECORD.size))
            if off + size > len(out):
                out.extend(bytes(off + size - len(out)))
            out[off:off + size] = raw[pos:pos + size]
            pos += size
        return out

    # ---- kdump-compressed

    def _kdump_init(self):
        d = self.data
        self.h = h = KdumpHeader(d)
        self.page_size = h.block_size
        nbytes = (h.max_mapnr + 7) // 8
        bm2 = bytes(d[h.bm2_off:h.bm2_off + min(nbytes, h.bm_len // 2)])
        # pfn -> index of its descriptor, in pfn order.
        self.pfns = []
        for i, b in enumerate(bm2):
            while b:
                low = b & -b
                self.pfns.append(i * 8 + low.bit_length() - 1)
                b ^= low
        self.index = {pfn: i for i, pfn in enumerate(self.pfns)}
        self.descs = [PD.unpack_from(d, h.pd_off + i * PD.size) for i in range(len(self.pfns))]
        self.users = {}
        for o, _s, _f, _p in self.descs:
            self.users[o] = self.users.get(o, 0) + 1

    def has_page(self, pfn):
        if self.format == 'elf':
            return self._elf_off(pfn * self.page_size, self.page_size) is not None
        return pfn in self.index

    def page(self, pfn):
        """The bytes of page pfn (DumpError if it is not in the dump)."""
        if self.format == 'elf':
            off = self._elf_off(pfn * self.page_size, self.page_size)
            if off is None:
                raise DumpError('pfn %#x is not in the dump' % pfn)
            return bytes(self.data[off:off + self.page_size])
        i = self.index.get(pfn)
        if i is None:
            raise DumpError('pfn %#x is not in the dump' % pfn)
        o, size, flags, _ = self.descs[i]
        if size > self.page_size * 2 or o + size > len(self.data):
            raise DumpError('pfn %#x: descriptor out of the file' % pfn)
        return decompress(self.data[o:o + size], flags, self.page_size)

    def read_phys(self, paddr, length):
        """length bytes at physical address paddr (DumpError if a page is missing)."""
        out = bytearray()
        while length > 0:
            pfn, off = divmod(paddr, self.page_size)
            n = min(length, self.page_size - off)
            out += self.page(pfn)[off:off + n]
            paddr += n
            length -= n
        return bytes(out)

    def set_page(self, pfn, page):
        """Replace the bytes of page pfn (which must be in the dump)."""
        page = bytes(page)
        if len(page) != self.page_size:
            raise DumpError('a page is %d bytes' % self.page_size)
        if self.format == 'elf':
            off = self._elf_off(pfn * self.page_size, self.page_size)
            if off is None:
                raise DumpError('pfn %#x is not in the dump' % pfn)
            self.data[off:off + self.page_size] = page
            return
        i = self.index.get(pfn)
        if i is None:
            raise DumpError('pfn %#x is not in the dump' % pfn)
        o, size, flags, pflags = self.descs[i]
        blob, nflags = compress(page, flags or self._default_method())
        if len(blob) <= size and self.users.get(o, 0) == 1:
            self.data[o:o + len(blob)] = blob  # fits, and no other page reads this block
            no = o
        else:
            self.users[o] -= 1
            no = self._append(blob)
            self.users[no] = 1
        self.descs[i] = (no, len(blob), nflags, pflags)
        PD.pack_into(self.data, self.h.pd_off + i * PD.size, *self.descs[i])

    def write_phys(self, paddr, data):
        """Write bytes at a physical address (every page touched must be in the dump)."""
        data = bytes(data)
        while data:
            pfn, off = divmod(paddr, self.page_size)
            n = min(len(data), self.page_size - off)
            pg = bytearray(self.page(pfn))
            pg[off:off + n] = data[:n]
            self.set_page(pfn, pg)
            paddr += n
            data = data[n:]

    def _default_method(self):
        """The compression most pages of this dump use (a zero-flag page stays raw)."""
        counts = {}
        for _o, _s, f, _p in self.descs[:4096]:
            counts[f] = counts.get(f, 0) + 1
        best = max((c, f) for f, c in counts.items() if f) if any(f for f in counts) else (0, 0)
        return best[1]

    def _append(self, blob):
        # After everything: the page data, and erase info if any (kept where it is).
        off = len(self.data)
        self.data += blob
        return off

    def exclude(self, pfn):
        """Drop page pfn from the dump, as makedumpfile's filtering does: its bit in the
        dumped-pages bitmap is cleared and its descriptor removed (crash then says the page
        is excluded).  Not possible in an ELF dump without rewriting its segments."""
        if self.format == 'elf':
            raise DumpError('excluding a page of an ELF dump is not supported')
        i = self.index.get(pfn)
        if i is None:
            return False
        h = self.h
        self.data[h.bm2_off + pfn // 8] &= ~(1 << (pfn % 8)) & 0xff
        o = self.descs[i][0]
        self.users[o] -= 1
        del self.descs[i]
        del self.pfns[i]
        self.index = {p: k for k, p in enumerate(self.pfns)}
        # The descriptors after it move down one slot; the last slot is cleared.
        for k in range(i, len(self.descs)):
            PD.pack_into(self.data, h.pd_off + k * PD.size, *self.descs[k])
        PD.pack_into(self.data, h.pd_off + len(self.descs) * PD.size, 0, 0, 0, 0)
        return True

    # ---- ELF

    def _elf_init(self):
        d = self.data
        if d[4] != 2 or d[5] != 1:
            raise DumpError('only 64-bit little-endian ELF dumps are handled')
        phoff, = struct.unpack_from('<Q', d, 32)
        phentsize, phnum = struct.unpack_from('<HH', d, 54)
        self.page_size = 4096
        self.loads = []
        for i in range(phnum):
            p_type, _flags, p_offset, _vaddr, p_paddr, p_filesz, _memsz, _align = \
                struct.unpack_from('<IIQQQQQQ', d, phoff + i * phentsize)
            if p_type == 1 and p_filesz:
                self.loads.append((p_paddr, p_filesz, p_offset))

    def _elf_off(self, paddr, length):
        for p_paddr, filesz, offset in self.loads:
            if p_paddr <= paddr and paddr + length <= p_paddr + filesz:
                return offset + paddr - p_paddr
        return None

    # ---- writing

    def save(self, path):
        """Write the dump back, in the format it was read in."""
        with open(path, 'wb') as fp:
            if self.format != 'flattened':
                fp.write(self.data)
                return
            fp.write(self.flat_header)
            for off in range(0, len(self.data), FLAT_CHUNK):
                chunk = self.data[off:off + FLAT_CHUNK]
                fp.write(FLAT_RECORD.pack(off, len(chunk)))
                fp.write(chunk)
            fp.write(FLAT_RECORD.pack(-1, -1))
