#!/usr/bin/env python3
"""tests/redact/redact_test.py: redaction (-R, --redact) on the lab's dumps, checked
against second sources.

Keys are made here (32 random bytes each).  Crash sessions:
  e1000-vma       pktscan -j -w (plain), then pktscan -j -w -R key1, dmaf -j -w -R key1,
                  dmaf -R key1 (text), dmaf -j -R key2
  e1000-vma-5.10  dmaf -j -R key1 (another dump, the same lab addresses)
  virtio-vlan     pktscan -w -R key1 (IPv6, VLAN tags)
and dmasleuth-triage --redact key1 --pcap --html over a copy of e1000-vma in a directory
named like kdump-tools names them (the NIC's IP address in it) with its console log.

Checks: every redacted pcap dissects in tshark with 0 malformed frames at L2-L4 and no bad
IPv4/TCP/UDP/ICMP checksum (checksum validation on), as many frames as the plain one;
no original IP address (text or its 4/16 bytes), MAC (text or bytes) or payload bytes (8-byte
windows of every lab flow frame's payload, from the plain pcap) in any output; every
address the outputs show is the Crypto-PAn map of a lab address as computed here
independently (AES-128 from the openssl command line), the same in both dumps with key1 and
different with key2; MACs likewise; output files are mode 0600.
Last line: "redact: N passed, N failed".
"""
import ipaddress
import json
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tests'))
import dumpenv  # noqa: E402

EXT = os.path.join(ROOT, 'extensions', 'dmasleuth.so')
TRIAGE = os.path.join(ROOT, 'scripts', 'dmasleuth-triage')
L2L4 = ('eth', 'vlan', 'ethertype', 'ip', 'ipv6', 'tcp', 'udp', 'icmp', 'icmpv6', 'arp')

passed = failed = 0


def check(name, ok, why=''):
    global passed, failed
    if ok:
        passed += 1
        print('PASS %s' % name)
    else:
        failed += 1
        print('FAIL %s: %s' % (name, str(why)[:600]))
    sys.stdout.flush()
    return ok


# ---------------------------------------------------------------- the map, independently

def aes(key16, block):
    p = subprocess.run(['openssl', 'enc', '-aes-128-ecb', '-K', key16.hex(), '-nopad'], input=block,
                       capture_output=True, check=True)
    return p.stdout[:16]


def cryptopan(key, addr):
    """Crypto-PAn (Fan, Xu, Ammar, Moon) of an address (bytes), written from the paper."""
    pad = aes(key[:16], key[16:])
    n = len(addr) * 8
    a = int.from_bytes(addr, 'big')
    p = int.from_bytes(pad, 'big')
    otp = 0
    for i in range(n):
        # the first i bits of the address, the rest from the pad (128 bits)
        prefix = (a >> (n - i)) << (n - i) if i else 0
        block = (prefix << (128 - n)) | (p & ((1 << (128 - i)) - 1))
        bit = aes(key[:16], block.to_bytes(16, 'big'))[0] >> 7
        otp |= bit << (n - 1 - i)
    return (a ^ otp).to_bytes(len(addr), 'big')


def mac_map(key, mac):
    enc = aes(key[:16], b'\xffMAC' + mac + b'\0' * 6)
    return bytes([(enc[0] & 0xfc) | 0x02 | (mac[0] & 1)]) + enc[1:6]


def ip_text(b):
    return str(ipaddress.ip_address(b))


def mac_text(b):
    return ':'.join('%02x' % x for x in b)


# ---------------------------------------------------------------- pcapng

def pcapng_frames(path):
    """[(linktype index, bytes)] of every Enhanced Packet Block."""
    data = open(path, 'rb').read()
    out, pos = [], 0
    while pos + 12 <= len(data):
        btype, blen = struct.unpack_from('<II', data, pos)
        if blen < 12 or pos + blen > len(data):
            break
        if btype == 6:
            iface, _, _, caplen = struct.unpack_from('<IIII', data, pos + 8)
            out.append((iface, data[pos + 28:pos + 28 + caplen]))
        pos += blen
    return out


def payload(frame, eth):
    """(src, dst, payload bytes) of an IPv4/IPv6 TCP/UDP/ICMP frame, or None."""
    off = 0
    if eth:
        off = 12
        et = struct.unpack_from('>H', frame, off)[0]
        while et in (0x8100, 0x88a8) and off + 6 <= len(frame):
            off += 4
            et = struct.unpack_from('>H', frame, off)[0]
        off += 2
    if off >= len(frame):
        return None
    v = frame[off] >> 4
    if v == 4 and off + 20 <= len(frame):
        hl, proto, src, dst = (frame[off] & 15) * 4, frame[off + 9], frame[off + 12:off + 16], frame[off + 16:off + 20]
        l4 = off + hl
    elif v == 6 and off + 40 <= len(frame):
        proto, src, dst, l4 = frame[off + 6], frame[off + 8:off + 24], frame[off + 24:off + 40], off + 40
    else:
        return None
    if proto == 6 and l4 + 13 <= len(frame):
        l4 += (frame[l4 + 12] >> 4) * 4
    elif proto in (17, 1, 58):
        l4 += 8
    else:
        return None
    return src, dst, frame[l4:]


def tshark_check(pcap):
    """(frames, malformed at L2-L4, bad checksums)."""
    opts = ['-o', 'tcp.desegment_tcp_streams:FALSE', '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE',
            '-o', 'udp.check_checksum:TRUE']
    p = subprocess.run(['tshark', '-r', pcap] + opts + ['-T', 'fields', '-e', '_ws.malformed', '-e', 'frame.protocols',
                                                        '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status',
                                                        '-e', 'udp.checksum.status', '-e', 'icmp.checksum.status',
                                                        '-e', 'icmpv6.checksum.status'],
                       capture_output=True, text=True)
    n = bad = badsum = 0
    for line in p.stdout.splitlines():
        n += 1
        cols = line.split('\t')
        if cols[0]:
            protos = [x for x in cols[1].split(':') if x != '_ws.malformed'] if len(cols) > 1 else []
            if protos and protos[-1] in L2L4:
                bad += 1
        # checksum status 0: Bad (1 good, 2 unverified)
        if any(c.split(',')[0] == '0' for c in cols[2:] if c):
            badsum += 1
    return n, bad, badsum


# ---------------------------------------------------------------- sessions

def session(dump, work, name, lines):
    cmds = os.path.join(work, '%s.cmds' % name)
    with open(cmds, 'w') as fp:
        fp.write('extend %s\n%s\nquit\n' % (EXT, '\n'.join(lines)))
    return dumpenv.run_crash(dump, cmds)


def json_objs(text):
    out = []
    for line in text.splitlines():
        if line.startswith('{'):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def main():
    if not os.path.isfile(EXT) or not shutil.which('tshark') or not shutil.which('openssl'):
        check('extension, tshark and openssl present', False, 'make; scripts/install-deps test')
        print('redact: %d passed, %d failed' % (passed, failed))
        return 1
    work = tempfile.mkdtemp(prefix='redact-test-')
    key1, key2 = os.urandom(32), os.urandom(32)
    k1, k2 = os.path.join(work, 'key1'), os.path.join(work, 'key2')
    for k, b in ((k1, key1), (k2, key2)):
        with open(k, 'wb') as fp:
            fp.write(b)
        os.chmod(k, 0o600)

    def W(n):
        return os.path.join(work, n)
    out_a = session('e1000-vma', work, 'a', [
        'pktscan -j -q -w %s > %s' % (W('plain.pcapng'), W('plain.json')),
        'pktscan -j -q -w %s -R %s > %s' % (W('p1.pcapng'), k1, W('p1.json')),
        'dmaf -j -q -w %s -R %s > %s' % (W('d1.pcapng'), k1, W('d1.json')),
        'dmaf -q -R %s,oui > %s' % (k1, W('d1.txt')),
        'dmaf -j -q -R %s > %s' % (k2, W('d1k2.json')),
    ])
    out_b = session('e1000-vma-5.10', work, 'b', ['dmaf -j -q -R %s > %s' % (k1, W('e1.json'))])
    out_c = session('virtio-vlan', work, 'c', [
        'pktscan -q -s -w %s -R %s,keep=8 > %s' % (W('v1.pcapng'), k1, W('v1.txt')),
        'pktscan -q -s -w %s > /dev/null' % W('vplain.pcapng')])
    for name, out in (('e1000-vma', out_a), ('e1000-vma-5.10', out_b), ('virtio-vlan', out_c)):
        check('%s: the sessions ran (no extension error)' % name,
              'shared object loaded' in out and not re.search(r'^(pktscan|dmaf): ', out, re.M), out[-500:])

    # triage --redact over a directory named like kdump-tools' (with the NIC's address).
    truth = json.load(open(os.path.join(ROOT, 'dumps', 'e1000-vma', 'truth.json')))
    nic_ip = truth['nic']['ip'][0].split('/')[0]
    tin = os.path.join(work, 'crash', '%s-2026-11-30-12:00' % nic_ip)
    os.makedirs(tin)
    os.link(os.path.join(ROOT, 'dumps', 'e1000-vma', 'vmcore'), os.path.join(tin, 'vmcore'))
    shutil.copyfile(os.path.join(ROOT, 'dumps', 'e1000-vma', 'console.log'), os.path.join(tin, 'dmesg.log'))
    tout, html = W('triage'), W('triage.html')
    deb = ['--debuginfo', os.path.dirname(dumpenv.vmlinux(dumpenv.release_of('e1000-vma')))]
    p = subprocess.run([sys.executable, TRIAGE, '-q', '-j', '1', '--redact', k1, '--pcap', '--html', html, '-o', tout]
                       + deb + [os.path.join(work, 'crash')], capture_output=True, text=True, errors='replace',
                       env=dict(os.environ, DEBUG_MODULES=dumpenv.debug_modules(dumpenv.release_of('e1000-vma'))))
    check('dmasleuth-triage --redact: exit 1 (flagged)', p.returncode == 1, p.stdout[-300:] + p.stderr[-300:])
    summ = json.load(open(os.path.join(tout, 'summary.json')))
    dump = next((r for r in summ['results'] if r.get('kind') == 'kdump'), {})
    check('triage --redact: the dump is dma-after-free, summary.json says redacted',
          dump.get('verdict') == 'dma-after-free' and summ.get('redacted') and dump.get('pcap'), dump)

    # 1. tshark: redacted captures dissect, checksums right.
    pcaps = {'pktscan -w -R': W('p1.pcapng'), 'dmaf -w -R': W('d1.pcapng'), 'pktscan -w -R,keep=8 (virtio-vlan)':
             W('v1.pcapng')}
    if dump.get('pcap'):
        pcaps['triage --redact --pcap'] = os.path.join(tout, dump['pcap'])
    plain_n = {'pktscan -w -R': tshark_check(W('plain.pcapng'))[0],
               'pktscan -w -R,keep=8 (virtio-vlan)': tshark_check(W('vplain.pcapng'))[0]}
    for name, path in pcaps.items():
        n, bad, badsum = tshark_check(path) if os.path.isfile(path) else (0, -1, -1)
        want = plain_n.get(name)
        check('%s: %d frames dissect in tshark, 0 malformed at L2-L4, 0 bad checksums%s' % (
            name, n, ', as many frames as unredacted' if want else ''),
            n > 0 and bad == 0 and badsum == 0 and (want is None or n == want),
            'frames %d (plain %s), malformed %d, bad checksums %d' % (n, want, bad, badsum))

    # 2. Nothing original left: addresses, MACs, payload bytes.
    ips = set()
    for t in (truth, json.load(open(os.path.join(ROOT, 'dumps', 'virtio-vlan', 'truth.json')))):
        for f in t['flows']:
            ips |= {f['src'], f['dst']}
        ips |= {a.split('/')[0] for a in t['nic']['ip']}
    macs = {truth['nic']['mac'], truth['peer_nic']['mac']}
    vt = json.load(open(os.path.join(ROOT, 'dumps', 'virtio-vlan', 'truth.json')))
    macs |= {vt['nic']['mac'], vt['peer_nic']['mac']}
    ipb = {ipaddress.ip_address(a).packed: a for a in ips}
    macb = {bytes.fromhex(m.replace(':', '')): m for m in macs}
    windows = set()
    for path, eth0 in ((W('plain.pcapng'), True), (W('vplain.pcapng'), True)):
        for iface, fr in pcapng_frames(path):
            got = payload(fr, iface == 0)
            if not got or ip_text(got[0]) not in ips and ip_text(got[1]) not in ips:
                continue
            pl = got[2][8:]  # past the 8 bytes virtio-vlan's keep=8 keeps
            for i in range(0, max(0, len(pl) - 8), 64):
                w = pl[i:i + 8]
                if len(set(w)) >= 3:
                    windows.add(w)
    outputs = [W(n) for n in ('p1.pcapng', 'd1.pcapng', 'v1.pcapng', 'p1.json', 'd1.json', 'd1.txt', 'd1k2.json',
                              'e1.json', 'v1.txt')] + [html] + \
        [os.path.join(tout, f) for f in os.listdir(tout) if not f.startswith('.')]
    check('payload windows to search for: %d (from lab flow frames)' % len(windows), len(windows) >= 10, len(windows))
    leaks = []
    for path in outputs:
        if not os.path.isfile(path):
            leaks.append('%s: missing' % path)
            continue
        data = open(path, 'rb').read()
        text = data.decode('latin-1')
        for a in ips:
            if re.search(r'(?<![\d.])%s(?![\d])' % re.escape(a), text) or \
                    re.search(r'(?<![\w:])%s(?![\w:])' % re.escape(a), text, re.I) and ':' in a:
                leaks.append('%s: %s' % (os.path.basename(path), a))
        for m in macs:
            if m.lower() in text.lower():
                leaks.append('%s: %s' % (os.path.basename(path), m))
        if path.endswith('.pcapng'):
            for b, a in list(ipb.items()) + list(macb.items()):
                if b in data:
                    leaks.append('%s: bytes of %s' % (os.path.basename(path), a))
            for w in windows:
                if w in data:
                    leaks.append('%s: payload %s' % (os.path.basename(path), w.hex()))
                    break
    check('no lab IP address, MAC or payload bytes in any output (%d files)' % len(outputs), not leaks, leaks[:10])
    check('the kdump directory name (with %s) is redacted in summary.json' % nic_ip,
          dump.get('path') and nic_ip not in dump['path'] and re.search(r'/crash/[\d.]+-2026-11-30', dump['path']),
          dump.get('path'))

    # 3. The map: the one computed here, the same in two dumps, another with another key.
    m1 = {a: ip_text(cryptopan(key1, ipaddress.ip_address(a).packed)) for a in ips}
    m2 = {a: ip_text(cryptopan(key2, ipaddress.ip_address(a).packed)) for a in ips}
    d1 = next((o for o in json_objs(open(W('d1.json')).read()) if 'verdict' in o), {})
    e1 = next((o for o in json_objs(open(W('e1.json')).read()) if 'verdict' in o), {})
    k2j = next((o for o in json_objs(open(W('d1k2.json')).read()) if 'verdict' in o), {})

    def addrs(obj):
        text = json.dumps(obj.get('flows', [])) + json.dumps([e.get('text') for e in obj.get('evidence', [])])
        return set(re.findall(r'(?<![\d.])(\d+\.\d+\.\d+\.\d+)(?![\d])', text))
    lab4 = {a for a in ips if ':' not in a}
    check('dmaf -R key1 on e1000-vma: its addresses are exactly the Crypto-PAn map of lab addresses',
          addrs(d1) and addrs(d1) <= {m1[a] for a in lab4}, (addrs(d1), m1))
    check('dmaf -R key1 on e1000-vma-5.10: the same map (stable across dumps)',
          addrs(e1) and addrs(e1) <= {m1[a] for a in lab4} and addrs(d1) & addrs(e1), (addrs(e1), addrs(d1)))
    check('dmaf -R key2: another map, no key1 pseudonym', addrs(k2j) and addrs(k2j) <= {m2[a] for a in lab4}
          and not addrs(k2j) & addrs(d1), (addrs(k2j), addrs(d1)))
    check('flows keep their shape (same count, same ports) under redaction',
          len(d1.get('flows', [])) == len(k2j.get('flows', [])) and
          [re.sub(r'[\d.]+:', ':', f) for f in d1.get('flows', [])] ==
          [re.sub(r'[\d.]+:', ':', f) for f in k2j.get('flows', [])], (d1.get('flows'), k2j.get('flows')))

    def common(x, y):
        return 32 - (int(ipaddress.ip_address(x)) ^ int(ipaddress.ip_address(y))).bit_length()
    pairs = [(x, y) for x in sorted(lab4) for y in sorted(lab4) if x < y]
    bad = [(x, y, common(x, y), common(m1[x], m1[y])) for x, y in pairs if common(x, y) != common(m1[x], m1[y])]
    check('prefix preserved: every pair of lab addresses shares as many leading bits as its maps (%d pairs)'
          % len(pairs), pairs and not bad, bad)
    nicmac = bytes.fromhex(truth['nic']['mac'].replace(':', ''))
    want_mac = mac_text(mac_map(key1, nicmac))
    txt = open(W('d1.json')).read()
    check('the NIC MAC in the evidence is its keyed map (%s)' % want_mac, want_mac in txt, re.findall(
        r'MAC [0-9a-f:]+', txt))
    oui = re.findall(r'MAC ([0-9a-f:]{17})', open(W('d1.txt')).read())
    check('dmaf -R key,oui: MACs keep the vendor bytes (%s)' % oui[:1], oui and all(
        m.startswith(truth['nic']['mac'][:8]) and m != truth['nic']['mac'] for m in oui), oui)
    p1 = [o for o in json_objs(open(W('p1.json')).read()) if o.get('type') == 'hit']
    pj = {(o['paddr']): o for o in json_objs(open(W('plain.json')).read()) if o.get('type') == 'hit'}
    mism = [(o['src'], pj[o['paddr']]['src']) for o in p1 if o['paddr'] in pj and pj[o['paddr']]['src'] in m1
            and m1[pj[o['paddr']]['src']] != o['src']]
    check('pktscan -j -R: every lab source address is its map (%d hits)' % len(p1), p1 and not mism, mism[:5])

    # 4. Files private.
    loose = [f for f in [W('p1.pcapng'), W('d1.pcapng'), W('v1.pcapng'), html, os.path.join(tout, 'summary.json')] +
             [os.path.join(tout, f) for f in os.listdir(tout) if f.endswith(('.json', '.pcapng'))]
             if stat.S_IMODE(os.stat(f).st_mode) & 0o077]
    check('redacted output files are mode 0600 (and OUT 0700)', not loose and
          stat.S_IMODE(os.stat(tout).st_mode) == 0o700, loose)

    if os.environ.get('REDACT_TEST_KEEP'):
        print('kept %s' % work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    print('redact: %d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
