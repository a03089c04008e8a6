"""What the damage generator needs to know about an undamaged lab dump, asked of crash.

One crash session per dump (cached by the caller): crash's own view of the slab caches
(`kmem -s`, `kmem -S`: slab pages, their memory, free objects), the network devices
(`net`), struct member offsets (gdb's `p &((struct T *)0)->m`, with the NIC modules'
debuginfo loaded by `mod -s`), address translation (`vtop`), free page blocks (`kmem -F`),
the printk ring buffer, and dmasleuth's own rxring -j and dmaf -j (ring addresses, the
panic's source object).  Nothing here is specific to a dump: every value is looked up.
"""
import json
import os
import re

import crashrun

# Caches whose slabs the damage kinds use: filp, dentry and vm_area_struct have type-aware
# field checks in slabcheck; kmem_cache holds the kmem_cache structs themselves.
CACHES = ('filp', 'dentry', 'vm_area_struct', 'kmem_cache')
# Caches whose every slab (full ones too) the survey lists, from the memory map.
SLAB_PAGE_CACHES = ('dentry', 'vm_area_struct', 'kernfs_node_cache', 'inode_cache')
OFFSETS = {
    'kmem_cache': ('list', 'size', 'object_size', 'offset', 'oo', 'random', 'name', 'inuse'),
    'net_device': ('dev_list', 'name'),
    'prb_desc': ('text_blk_lpos',),
    'printk_info': ('text_len', 'seq'),
    'page': ('flags', 'compound_head'),
}
SLAB_FIELDS = ('slab_cache', 'freelist', 'counters')
SIZES = ('page', 'net_device', 'prb_desc', 'printk_info')
NIC_MODULES = ('e1000', 'e1000e')
NIC_OFFSETS = {
    'e1000_adapter': ('num_rx_queues', 'rx_ring'),
    'e1000_rx_ring': ('count', 'buffer_info', 'desc'),
    'e1000_ring': ('count', 'buffer_info', 'desc'),
}
_VAL = re.compile(r'^\$\d+ = (0x[0-9a-f]+|\d+)\s*$', re.M)


def _val(text):
    m = _VAL.search(text)
    return int(m.group(1), 0) if m else None


def _struct_fields(text):
    """name = 0x... pairs of a `p/x` of a struct."""
    return {k: int(v, 16) for k, v in re.findall(r'(\w+) = (0x[0-9a-f]+)', text)}


def survey(vmcore, release, crash, extension, work, name='survey'):
    """The facts of one undamaged dump, as a JSON-able dict."""
    cmds, keys = [], []

    def q(key, cmd):
        keys.append(key)
        cmds.append(cmd)

    q('page_offset_base', 'p/x page_offset_base')
    q('vmemmap_base', 'p/x vmemmap_base')
    for t in SIZES:
        q('sizeof.' + t, 'p/x sizeof(struct %s)' % t)
    for t, ms in OFFSETS.items():
        for m in ms:
            q('off.%s.%s' % (t, m), 'p/x (long)&((struct %s *)0)->%s' % (t, m))
    # struct slab (5.17+) or the struct page members it replaced.
    for t in ('slab', 'page'):
        for m in SLAB_FIELDS:
            q('off.%s.%s' % (t, m), 'p/x (long)&((struct %s *)0)->%s' % (t, m))
    q('kmem_s', 'kmem -s')
    for c in CACHES:
        q('kmem_S.' + c, 'kmem -S %s' % c)
    q('net', 'net')
    q('prb.desc_ring', 'p/x prb->desc_ring')
    q('prb.text_data_ring', 'p/x prb->text_data_ring')
    q('kmem_F', 'kmem -F')
    q('rxring', 'rxring -j')
    q('dmaf', 'dmaf -j -q')
    # Full slabs are on no list crash walks (SLUB keeps none without slub_debug): the
    # memory map has them, as slabcheck reads it.
    for c in SLAB_PAGE_CACHES:
        q('slabpages.' + c, 'slabcheck -j -v -q -c %s' % c)
    mods = crashrun.dumpenv.debug_modules(release)
    for mod in NIC_MODULES:
        ko = os.path.join(mods, mod + '.ko')
        q('mod.' + mod, 'mod -s %s %s' % (mod, ko))
        for t, ms in NIC_OFFSETS.items():
            for m in ms:
                q('nic.%s.%s.%s' % (mod, t, m), 'p/x (long)&((struct %s *)0)->%s' % (t, m))
    r = crashrun.run(vmcore, release, cmds, work, extension=extension, crash=crash, name=name)
    if not r.survived:
        raise RuntimeError('survey of %s: crash did not finish (see %s/%s.out)'
                           % (vmcore, work, name))
    out = dict(zip(keys, r.outputs))
    sv = {'release': release, 'off': {}, 'sizeof': {}, 'nic_off': {}}
    sv['page_offset'] = _val(out['page_offset_base'])
    sv['vmemmap'] = _val(out['vmemmap_base'])
    for k, v in out.items():
        if k.startswith('sizeof.'):
            sv['sizeof'][k[7:]] = _val(v)
        elif k.startswith('off.'):
            sv['off'][k[4:]] = _val(v)
        elif k.startswith('nic.'):
            # The first module that resolves a struct keeps it (e1000 and e1000e both
            # define struct e1000_adapter: e1000's is asked first).
            _, mod, t, m = k.split('.')
            val = _val(v)
            if val is not None and '%s.%s' % (t, m) not in sv['nic_off']:
                sv['nic_off']['%s.%s' % (t, m)] = val
    st = 'slab' if sv['off'].get('slab.slab_cache') is not None else 'page'
    sv['slab_struct'] = st
    for m in SLAB_FIELDS:
        sv['off']['slab.' + m] = sv['off'].get('%s.%s' % (st, m))
    sv['caches'] = {}
    for line in out['kmem_s'].splitlines():
        f = line.split()
        if len(f) >= 6 and re.match(r'^[0-9a-f]{16}$', f[0]):
            sv['caches'][f[-1]] = int(f[0], 16)
    sv['slabs'] = {c: parse_kmem_S(out['kmem_S.' + c]) for c in CACHES}
    sv['netdevs'] = []
    for line in out['net'].splitlines():
        f = line.split()
        if len(f) >= 2 and re.match(r'^[0-9a-f]{16}$', f[0]):
            sv['netdevs'].append((int(f[0], 16), f[1]))
    sv['printk'] = {'desc_ring': _struct_fields(out['prb.desc_ring']),
                    'text_data_ring': _struct_fields(out['prb.text_data_ring'])}
    sv['free_blocks'] = parse_kmem_F(out['kmem_F'], sv)
    sv['rings'] = []
    for line in out['rxring'].splitlines():
        if line.startswith('{'):
            try:
                o = json.loads(line)
            except ValueError:
                continue
            if o.get('type') in ('ring', 'netdev'):
                sv['rings'].append(o)
    sv['slab_pages'] = {}
    for c in SLAB_PAGE_CACHES:
        sv['slab_pages'][c] = []
        for line in out['slabpages.' + c].splitlines():
            if line.startswith('{"type":"slab"'):
                o = json.loads(line)
                if o.get('freelist_ok') and o.get('present'):
                    sv['slab_pages'][c].append({'page': int(o['page'], 16),
                                                'base': int(o['base'], 16),
                                                'objects': o['objects'], 'free': o['free']})
    sv['dmaf'] = None
    for line in out['dmaf'].splitlines():
        if line.startswith('{"verdict"'):
            sv['dmaf'] = json.loads(line)
    # Address translation of what the kinds write outside the direct map: the printk
    # buffers (kernel image) and vmemmap (struct pages of the slabs above).
    vt = []
    pr = sv['printk']
    for k in ('descs', 'infos'):
        if pr['desc_ring'].get(k):
            vt.append(pr['desc_ring'][k])
    if pr['text_data_ring'].get('data'):
        vt.append(pr['text_data_ring']['data'])
    for c in CACHES:
        for s in sv['slabs'][c]:
            vt.append(s['slab'] & ~0xfff)
    for dev, _n in sv['netdevs']:
        vt.append(dev)
    vt = sorted(set(vt))
    r2 = crashrun.run(vmcore, release, ['vtop %#x' % v for v in vt], work, crash=crash,
                      name=name + '-vtop')
    sv['vtop'] = {}
    for v, text in zip(vt, r2.outputs):
        m = re.search(r'^([0-9a-f]+)\s+([0-9a-f]+)\s*$', text, re.M)
        if m and int(m.group(1), 16) == v:
            sv['vtop']['%#x' % v] = int(m.group(2), 16)
    return sv


def parse_kmem_S(text):
    """Slabs of `kmem -S CACHE`: slab (struct slab/page address), memory, counts, free
    objects, on a CPU or not."""
    slabs, cur, cpu = [], None, False
    for line in text.splitlines():
        s = line.strip()
        if s.startswith('CPU ') and s.endswith('SLAB:'):
            cpu = True
        elif s.startswith('CPU ') and 'PARTIAL' in s or s.startswith('KMEM_CACHE_NODE') \
                or s.startswith('NODE'):
            cpu = False
        f = s.split()
        if len(f) == 6 and all(re.match(r'^[0-9a-f]+$', x) for x in f) and len(f[0]) == 16:
            cur = {'slab': int(f[0], 16), 'mem': int(f[1], 16), 'total': int(f[3]),
                   'alloc': int(f[4]), 'nfree': int(f[5]), 'free': [], 'objs': [], 'cpu': cpu}
            slabs.append(cur)
            continue
        m = re.match(r'^(\[)?([0-9a-f]{16})(\])?', s)
        if cur is not None and m:
            a = int(m.group(2), 16)
            cur['objs'].append(a)
            if not m.group(1):
                cur['free'].append(a)
    # One entry per slab (kmem -S may list a slab twice: on a CPU and on a list).
    seen, out = set(), []
    for s in slabs:
        if s['slab'] not in seen:
            seen.add(s['slab'])
            out.append(s)
    return out


def parse_kmem_F(text, sv):
    """(pfn, order) of each free block `kmem -F` lists."""
    out, order = [], None
    psz = sv['sizeof'].get('page') or 64
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 3 and f[0].isdigit() and f[1].endswith('k'):
            order = int(f[0])
        elif len(f) == 1 and re.match(r'^[0-9a-f]{16}$', f[0]) and order is not None:
            page = int(f[0], 16)
            if page >= sv['vmemmap']:
                out.append(((page - sv['vmemmap']) // psz, order))
    return out
