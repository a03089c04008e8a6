#!/usr/bin/env python3
# Generate tests/data/fixtures.c: packet fixtures for the unit tests, built
# independently of lib/ (checksums computed here, in Python), then checked
# by tshark with checksum validation on when tshark is present.
#   python3 tests/data/gen_fixtures.py   (writes fixtures.c and fixtures.h here)
import os
import shutil
import struct
import subprocess
import sys
import tempfile


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def ip4(a):
    return bytes(int(x) for x in a.split('.'))


def ip6(a):
    import ipaddress
    return ipaddress.IPv6Address(a).packed


def mac(m):
    return bytes(int(x, 16) for x in m.split(':'))


def ipv4(src, dst, proto, payload, options=b'', ttl=64, ident=0x1234, frag=0x4000):
    ihl = 5 + len(options) // 4
    hdr = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, 0, ihl * 4 + len(payload), ident,
                      frag, ttl, proto, 0, ip4(src), ip4(dst)) + options
    c = 0xffff - csum(hdr)
    return hdr[:10] + struct.pack('!H', c) + hdr[12:] + payload


def pseudo4(src, dst, proto, length):
    return ip4(src) + ip4(dst) + struct.pack('!BBH', 0, proto, length)


def pseudo6(src, dst, proto, length):
    return ip6(src) + ip6(dst) + struct.pack('!IxxxB', length, proto)


def l4csum(pseudo, seg, off, partial=False):
    if partial:
        c = csum(pseudo)
    else:
        c = 0xffff - csum(pseudo + seg)
        if c == 0:
            c = 0xffff
    return seg[:off] + struct.pack('!H', c) + seg[off + 2:]


def udp(sport, dport, payload):
    return struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload


def tcp(sport, dport, flags, payload, options=b'', seq=1000, ack=0):
    doff = 5 + len(options) // 4
    return struct.pack('!HHIIBBHHH', sport, dport, seq, ack, doff << 4, flags,
                       65535, 0, 0) + options + payload


def icmp(typ, code, payload):
    return struct.pack('!BBHHH', typ, code, 0, 0x42, 1) + payload


def eth(dst, src, etype, payload, vlans=()):
    out = mac(dst) + mac(src)
    for tpid, vid in vlans:
        out += struct.pack('!HH', tpid, vid)
    return out + struct.pack('!H', etype) + payload


def ipv4_l4(src, dst, proto, seg, csum_off, partial=False, **kw):
    if csum_off is not None:
        seg = l4csum(pseudo4(src, dst, proto, len(seg)) if proto != 1 else b'', seg,
                     csum_off, partial)
    return ipv4(src, dst, proto, seg, **kw)


def ipv6(src, dst, nh, payload, hlim=64):
    return struct.pack('!IHBB16s16s', 0x60000000, len(payload), nh, hlim,
                       ip6(src), ip6(dst)) + payload


MAC_A, MAC_B = '02:00:00:00:00:0a', '02:00:00:00:00:0b'
payload32 = bytes(range(0x20, 0x40))
fx = {}

# Ethernet / IPv4 / UDP, 32 bytes of payload.
seg = udp(5000, 6000, payload32)
fx['eth_ipv4_udp'] = ('Ethernet, IPv4 198.51.100.7:5000 > 198.51.100.9:6000 UDP, 32 bytes',
    eth(MAC_B, MAC_A, 0x0800, ipv4_l4('198.51.100.7', '198.51.100.9', 17, seg, 6)))

# Ethernet / IPv4 with options (NOP, NOP, router alert) / TCP SYN with MSS.
seg = tcp(40000, 80, 0x02, b'', options=bytes([2, 4, 0x05, 0xb4]), seq=0x01020304)
fx['eth_ipv4opt_tcp'] = ('Ethernet, IPv4 (options) 192.0.2.1:40000 > 192.0.2.2:80 TCP SYN, MSS 1460',
    eth(MAC_B, MAC_A, 0x0800, ipv4_l4('192.0.2.1', '192.0.2.2', 6, seg, 16,
        options=bytes([1, 1, 0x94, 4, 0, 0, 0, 0]))))

# 802.1Q vlan 100 / IPv4 / ICMP echo request.
seg = icmp(8, 0, payload32)
fx['vlan_ipv4_icmp'] = ('802.1Q vlan 100, IPv4 10.1.2.3 > 10.1.2.4 ICMP echo request',
    eth(MAC_B, MAC_A, 0x0800, ipv4_l4('10.1.2.3', '10.1.2.4', 1, seg, 2),
        vlans=[(0x8100, 100)]))

# 802.1ad 10 + 802.1Q 20 / IPv6 / UDP.
seg = udp(5001, 33000, payload32)
seg = l4csum(pseudo6('2001:db8::1', '2001:db8::2', 17, len(seg)), seg, 6)
fx['qinq_ipv6_udp'] = ('802.1ad vlan 10, 802.1Q vlan 20, IPv6 [2001:db8::1]:5001 > [2001:db8::2]:33000 UDP',
    eth(MAC_B, MAC_A, 0x86dd, ipv6('2001:db8::1', '2001:db8::2', 17, seg),
        vlans=[(0x88a8, 10), (0x8100, 20)]))

# Bare IPv6 with hop-by-hop (PadN), destination options (Pad1 x6),
# routing (SRH, segments left 1, final destination 2001:db8::99) and an
# atomic fragment header, then TCP ACK with 5 bytes.
src6, mid6, final6 = '2001:db8::10', '2001:db8::20', '2001:db8::99'
seg = tcp(443, 51000, 0x18, b'hello', seq=7, ack=9)
seg = l4csum(pseudo6(src6, final6, 6, len(seg)), seg, 16)
frag = struct.pack('!BBHI', 6, 0, 0, 0xabcd)
srh = struct.pack('!BBBBBBH', 44, 4, 4, 1, 1, 0, 0) + ip6(final6) + ip6(mid6)
dst = struct.pack('!BB', 43, 0) + bytes(6)
hbh = struct.pack('!BB', 60, 0) + bytes([1, 4, 0, 0, 0, 0])
fx['ipv6_ext_tcp'] = ('IPv6 with HBH, DSTOPTS, SRH, fragment; TCP [2001:db8::10]:443 > [2001:db8::99]:51000',
    ipv6(src6, mid6, 0, hbh + dst + srh + frag + seg))

# Bare IPv6 / ICMPv6 echo request.
seg = icmp(128, 0, payload32)
seg = l4csum(pseudo6('fe80::1', 'fe80::2', 58, len(seg)), seg, 2)
fx['ipv6_icmp6'] = ('IPv6 fe80::1 > fe80::2 ICMPv6 echo request',
    ipv6('fe80::1', 'fe80::2', 58, seg, hlim=255))

# Ethernet / ARP request.
arp = struct.pack('!HHBBH6s4s6s4s', 1, 0x0800, 6, 4, 1, mac(MAC_A), ip4('192.0.2.1'),
                  bytes(6), ip4('192.0.2.2'))
fx['eth_arp'] = ('Ethernet, ARP request who-has 192.0.2.2 tell 192.0.2.1',
    eth('ff:ff:ff:ff:ff:ff', MAC_A, 0x0806, arp))

# Bare IPv4 / TCP with CHECKSUM_PARTIAL (pseudo-header sum only).
seg = tcp(33333, 22, 0x18, payload32, seq=5, ack=6)
fx['ipv4_tcp_partial'] = ('IPv4 203.0.113.5:33333 > 203.0.113.6:22 TCP, checksum offloaded (partial)',
    ipv4_l4('203.0.113.5', '203.0.113.6', 6, seg, 16, partial=True))

# Bare IPv4 / UDP without checksum.
fx['ipv4_udp_nocsum'] = ('IPv4 198.51.100.1:4000 > 198.51.100.2:4001 UDP, checksum 0',
    ipv4('198.51.100.1', '198.51.100.2', 17, udp(4000, 4001, payload32)))

# Ethernet / IPv4 non-first fragment (offset 1480, last).
fx['eth_ipv4_frag'] = ('Ethernet, IPv4 198.51.100.7 > 198.51.100.9 UDP fragment offset 1480',
    eth(MAC_B, MAC_A, 0x0800, ipv4('198.51.100.7', '198.51.100.9', 17, payload32 * 2,
                                   frag=1480 // 8)))


def tshark_check(name, data, linktype):
    if not shutil.which('tshark') or not shutil.which('text2pcap'):
        return
    with tempfile.TemporaryDirectory() as d:
        txt, pcap = os.path.join(d, 'x.txt'), os.path.join(d, 'x.pcap')
        with open(txt, 'w') as f:
            f.write('0000 ' + ' '.join('%02x' % b for b in data) + '\n')
        subprocess.run(['text2pcap', '-q', '-l', str(linktype), txt, pcap], check=True,
                       stderr=subprocess.DEVNULL)
        out = subprocess.run(['tshark', '-r', pcap, '-o', 'ip.check_checksum:TRUE',
                              '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE',
                              '-T', 'fields', '-e', '_ws.expert.message', '-e', 'frame.protocols'],
                             capture_output=True, text=True, check=True).stdout
        bad = [m for m in out.split('\t')[0].split(',') if 'checksum' in m.lower() and 'bad' in m.lower()
               or 'malformed' in m.lower()]
        if name.endswith('partial'):
            # The offload fixture must fail a full checksum check.
            if not bad:
                sys.exit('fixture %s: tshark accepts a partial checksum' % name)
            bad = [m for m in bad if 'should be' not in m]
        if bad:
            sys.exit('fixture %s: tshark says %s' % (name, out))
        cout.write('// %-18s %s\n' % (name, out.strip().split('\t')[-1]))


here = os.path.dirname(os.path.abspath(__file__))
cout = open(os.path.join(here, 'fixtures.c'), 'w')
hout = open(os.path.join(here, 'fixtures.h'), 'w')
hout.write('// Generated by tests/data/gen_fixtures.py; do not edit.\n'
           '#ifndef DMS_TEST_FIXTURES_H\n#define DMS_TEST_FIXTURES_H\n\n#include <stdint.h>\n\n')
cout.write('// Generated by tests/data/gen_fixtures.py; do not edit.\n'
           '// tshark dissection of each fixture at generation time:\n')
for name, (desc, data) in fx.items():
    tshark_check(name, data, 1 if name.startswith(('eth', 'vlan', 'qinq')) else 101)
cout.write('\n#include "fixtures.h"\n\n')
for name, (desc, data) in fx.items():
    hout.write('// %s\nextern const uint8_t fx_%s[%d];\n' % (desc, name, len(data)))
    cout.write('// %s (%d bytes)\n' % (desc, len(data)))
    cout.write('const uint8_t fx_%s[%d] = {\n' % (name, len(data)))
    for i in range(0, len(data), 12):
        cout.write('\t' + ' '.join('0x%02x,' % b for b in data[i:i + 12]) + '\n')
    cout.write('};\n\n')
hout.write('\n#endif\n')
# Seed corpora for the fuzz harnesses (tests/fuzz/corpus/<harness>/).
corpus = os.path.join(here, '..', 'fuzz', 'corpus')
for harness in ('pkt', 'scan'):
    os.makedirs(os.path.join(corpus, harness), exist_ok=True)
for name, (desc, data) in fx.items():
    with open(os.path.join(corpus, 'pkt', 'fx-' + name), 'wb') as f:
        f.write(data)
    # scan input: scan length (2 bytes), present bitmap, then the frame
    # at an odd offset in 600 bytes of filler.
    buf = bytearray(b'\x11' * 600)
    buf[101:101 + len(data)] = data
    with open(os.path.join(corpus, 'scan', 'fx-' + name), 'wb') as f:
        f.write(struct.pack('!HB', 512, 0xfd) + bytes(buf))
