"""vmlinux matching: the vmlinux whose GNU build-id equals the dump's VMCOREINFO BUILD-ID,
or for a dump without one, the only vmlinux of its release.  Never a guess."""
import os
import re
import struct

from .formats import read_at
from .paths import cache_dir


def elf_build_id(path):
    """GNU build-id of an ELF file (its SHT_NOTE sections), or None."""
    try:
        with open(path, 'rb') as fp:
            eh = fp.read(64)
            if len(eh) < 64 or not eh.startswith(b'\x7fELF') or eh[4] != 2:
                return None
            shoff, = struct.unpack_from('<Q', eh, 40)
            shentsize, shnum = struct.unpack_from('<HH', eh, 58)
            if shentsize < 64 or shnum > 4096:
                return None
            shdrs = read_at(fp, shoff, shentsize * shnum)
            for i in range(min(shnum, len(shdrs) // shentsize)):
                sh_type, = struct.unpack_from('<I', shdrs, i * shentsize + 4)
                if sh_type != 7:  # SHT_NOTE
                    continue
                off, size = struct.unpack_from('<QQ', shdrs, i * shentsize + 24)
                notes = read_at(fp, off, min(size, 1 << 16))
                pos = 0
                while pos + 12 <= len(notes):
                    namesz, descsz, ntype = struct.unpack_from('<III', notes, pos)
                    name = notes[pos + 12:pos + 12 + namesz]
                    dpos = pos + 12 + ((namesz + 3) & ~3)
                    if ntype == 3 and name.startswith(b'GNU'):
                        return notes[dpos:dpos + descsz].hex()
                    pos = dpos + ((descsz + 3) & ~3)
    except (OSError, struct.error):
        return None
    return None


def debuginfo_dirs(extra):
    dirs = list(extra) + ['/usr/lib/debug/boot', '/usr/lib/debug/lib/modules', cache_dir()]
    return [d for d in dirs if os.path.isdir(d)]


class VmlinuxIndex:
    """Every vmlinux* ELF file under the search path, with its build-id and the release
    its name or directory says; plus /usr/lib/debug/.build-id/ looked up directly."""

    def __init__(self, dirs, build_id_root='/usr/lib/debug/.build-id'):
        self.dirs, self.build_id_root, self.files, seen = dirs, build_id_root, [], set()
        for d in dirs:
            if os.path.isfile(d):
                walk = [(os.path.dirname(d), [], [os.path.basename(d)])]
            else:
                walk = os.walk(d)
            for root, subdirs, files in walk:
                subdirs[:] = [s for s in subdirs if s not in ('.build-id', 'kernel', 'updates')]
                for f in files:
                    if not f.startswith('vmlinux') or f.endswith(('.gz', '.xz', '.zst', '.bz2', '.lz4')):
                        continue
                    p = os.path.realpath(os.path.join(root, f))
                    if p in seen:
                        continue
                    seen.add(p)
                    bid = elf_build_id(p)
                    if not bid:
                        continue
                    m = re.match(r'vmlinux-(.+?)(\.debug)?$', f)
                    self.files.append((p, m.group(1) if m else os.path.basename(root), bid))

    def by_build_id(self, bid):
        for p, _, b in self.files:
            if b == bid:
                return p
        p = os.path.join(self.build_id_root, bid[:2], bid[2:] + '.debug')
        if os.path.isfile(p) and elf_build_id(p) == bid:
            return os.path.realpath(p)
        return None

    def match(self, facts):
        """(vmlinux, how) or (None, reason): by build-id when the dump has one, else by
        release when exactly one vmlinux claims it."""
        bid, rel = facts.get('BUILD-ID'), facts.get('OSRELEASE')
        if bid:
            p = self.by_build_id(bid)
            if p:
                return p, 'build-id'
            same = [b for _, r, b in self.files if r == rel]
            why = 'no vmlinux with build-id %s (release %s) in the debuginfo path' % (bid, rel or '?')
            if same:
                why += '; the vmlinux for %s there has build-id %s: a different build' % (rel, same[0])
            return None, why
        if rel:
            hits = [p for p, r, _ in self.files if r == rel]
            if len(hits) == 1:
                return hits[0], 'release (the dump has no BUILD-ID)'
            if hits:
                return None, '%d vmlinux files for release %s and no build-id in the dump to choose' % (
                    len(hits), rel)
            return None, 'no vmlinux for release %s in the debuginfo path' % rel
        return None, 'no VMCOREINFO (OSRELEASE/BUILD-ID) in the dump: cannot tell which vmlinux'
