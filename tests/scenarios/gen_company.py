#!/usr/bin/env python3
"""Writes the detection scenarios of a small company as classic pcap files.

The company (see README.md next to this file, site.textproto and inventory.csv):
  - internal networks 10.20.0.0/16 and 2001:db8:20::/48, mail domain example-corp.test;
  - "relay" 10.20.0.25 / 2001:db8:20::25: the approved relay workstations submit to on 587,
    which also delivers outbound mail on 25;
  - "mx-out" 10.20.0.26 / 2001:db8:20::26: a mail server allowed to deliver on 25;
  - "ns1" 10.20.0.53 / 2001:db8:20::53: the DNS resolver; "gw" 10.20.0.1: the router
    (public egress 198.51.100.10 after NAT, not visible in the captures);
  - workstations ws01..ws32 at 10.20.1.N / 2001:db8:20:1::N with stable MACs.
The "internet" lives in documentation and benchmarking ranges (192.0.2.0/24,
198.51.100.128/25, 203.0.113.0/24, 198.18.0.0/15, 2001:db8:ff::/48).

For every scenario N it writes scenario_N_<slug>.pcap (linktype Ethernet, microsecond
timestamps) and scenario_N_<slug>.truth.json: what the generator put on the wire, from
its own bookkeeping, and the verdict the detector is expected to reach.

Deterministic: fixed seeds, integer microsecond clocks, no dependence on hash order
or on the wall clock; two runs write identical bytes. Standard library only.
"""

import argparse
import base64
import calendar
import ipaddress
import json
import os
import random
import struct
import sys
import time

# ----------------------------------------------------------------------------- constants

DOMAIN = "example-corp.test"
INTERNAL_NETS = [ipaddress.ip_network("10.20.0.0/16"), ipaddress.ip_network("2001:db8:20::/48")]
BASE_TIME_US = calendar.timegm((2026, 3, 2, 9, 0, 0)) * 1_000_000  # 2026-03-02T09:00:00Z
DAY_US = 86_400 * 1_000_000
SEC = 1_000_000
MS = 1_000

TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x04, 0x08, 0x10
PROTO_TCP, PROTO_UDP = 6, 17
QTYPE_A, QTYPE_CNAME, QTYPE_MX, QTYPE_AAAA = 1, 5, 15, 28
# MSS, NOP, window scale 8, NOP, NOP, SACK permitted.
SYN_OPTIONS = bytes.fromhex("020405b4" "01030308" "01010402")
SYN_OPTIONS6 = bytes.fromhex("020405a0" "01030308" "01010402")
SYN_RETRANSMITS_US = (3 * SEC, 9 * SEC)  # a SYN nobody answers is sent again at +3 s and +9 s

OWNERS = [
    "Anna Berg", "Ben Carter", "Chloe Dubois", "David Evans", "Elena Fischer", "Farid Haddad",
    "Grace Ito", "Hugo Jansen", "Ines Klein", "Jonas Larsen", "Kira Meyer", "Liam Novak",
    "Priya Nair", "Marco Rossi", "Nora Olsen", "Oscar Petit", "Paula Quinn", "Rafael Silva",
    "Sofia Torres", "Tom Ueda", "Ulla Vogel", "Victor Wong", "Wendy Xu", "Yusuf Yilmaz",
    "Zoe Adams", "Aaron Brooks", "Bianca Costa", "Carl Diaz", "Dana Ellis", "Emil Frank",
    "Fiona Grant", "Gustav Holm",
]
WORKSTATIONS = 32

NAME_A = [
    "amber", "birch", "cobalt", "delta", "ember", "falcon", "granite", "harbor", "indigo",
    "juniper", "kestrel", "lumen", "maple", "nimbus", "orchid", "pioneer", "quartz", "river",
    "summit", "tundra", "umber", "vertex", "willow", "zephyr",
]
NAME_B = [
    "logistics", "labs", "trading", "systems", "foods", "media", "health", "motors", "energy",
    "design", "finance", "travel", "textiles", "robotics", "garden", "legal",
]
TLDS = ["test", "example"]
LOCAL_PARTS = [
    "info", "sales", "support", "admin", "office", "contact", "billing", "hr", "jobs", "news",
    "alice", "bob", "carol", "dave", "erin", "frank", "gina", "henry", "iris", "jack", "kate",
    "leo", "mia", "nick", "olga", "pete", "rosa", "sam", "tina", "uwe", "vera", "walt",
]
WEB_NAMES = [
    "www.example.com", "www.example.net", "intranet." + DOMAIN, "wiki." + DOMAIN,
    "updates.example.org", "cdn.example.net", "login.example.com", "api.example.org",
]
MYDOOM_SUBJECTS = [
    "test", "hi", "hello", "Mail Delivery System", "Mail Transaction Failed", "Server Report",
    "Status", "Error",
]


def ip_internal(ip):
    a = ipaddress.ip_address(ip)
    return any(a in n for n in INTERNAL_NETS)


def iso(t_us):
    sec, usec = divmod(t_us, SEC)
    y, mo, d, h, mi, s = time.gmtime(sec)[:6]
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (y, mo, d, h, mi, s, usec)


def rfc2822(t_us):
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t_us // SEC))


def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(":"))


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


# ----------------------------------------------------------------------------- the company


class Host:
    """An internal machine: a name, a MAC and one address per family."""

    def __init__(self, name, mac, ip4, ip6, owner, ttl):
        self.name, self.mac, self.owner, self.ttl = name, mac, owner, ttl
        self.ip4, self.ip6 = ip4, ip6

    def node(self, v6):
        return Node(self.name, self.ip6 if v6 else self.ip4, mac_bytes(self.mac), self.ttl)

    def address(self):
        local = self.owner.lower().replace(" ", ".")
        return "%s@%s" % (local, DOMAIN)


class Node:
    """One address as it appears in frames. External nodes carry the router's MAC."""

    def __init__(self, name, ip, mac, ttl):
        a = ipaddress.ip_address(ip)
        self.name, self.ip, self.packed, self.v6 = name, str(a), a.packed, a.version == 6
        self.mac, self.ttl = mac, ttl


GW = Host("gw", "02:c5:20:00:00:01", "10.20.0.1", "2001:db8:20::1", "IT Operations", 64)
RELAY = Host("relay", "02:c5:20:00:00:25", "10.20.0.25", "2001:db8:20::25", "IT Operations", 64)
MX_OUT = Host("mx-out", "02:c5:20:00:00:26", "10.20.0.26", "2001:db8:20::26", "IT Operations", 64)
RESOLVER = Host("ns1", "02:c5:20:00:00:53", "10.20.0.53", "2001:db8:20::53", "IT Operations", 64)
WS = [
    Host("ws%02d" % i, "02:c5:20:01:00:%02x" % i, "10.20.1.%d" % i, "2001:db8:20:1::%d" % i,
         OWNERS[i - 1], 128)
    for i in range(1, WORKSTATIONS + 1)
]
SERVERS = [GW, RELAY, MX_OUT, RESOLVER]


def ws(i):
    return WS[i - 1]


def inventory_csv():
    lines = ["hostname,mac,owner"]
    for h in SERVERS[1:] + WS:  # the router runs no agent
        lines.append("%s,%s,%s" % (h.name, h.mac, h.owner))
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- frames


class Net:
    """Collects frames of one capture; written in time order (ties in emission order)."""

    def __init__(self, rng, vlan=None):
        self.rng, self.vlan = rng, vlan
        self.frames = []
        self.ip_ids = {}
        self.gw_mac = mac_bytes(GW.mac)

    def external(self, ip, name="internet"):
        return Node(name, ip, self.gw_mac, 46 + self.rng.randrange(10))

    def _ip(self, t, src, dst, proto, l4):
        if src.v6:
            l3 = struct.pack("!IHBB", 0x60000000, len(l4), proto, src.ttl) + src.packed + dst.packed
            ethertype = 0x86DD
        else:
            ident = self.ip_ids.get(src.ip)
            if ident is None:
                ident = self.rng.randrange(0x10000)
            self.ip_ids[src.ip] = (ident + 1) & 0xFFFF
            hdr = struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(l4), ident, 0x4000, src.ttl, proto, 0)
            hdr += src.packed + dst.packed
            l3 = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
            ethertype = 0x0800
        eth = dst.mac + src.mac
        if self.vlan is not None:
            eth += struct.pack("!HH", 0x8100, self.vlan)
        frame = eth + struct.pack("!H", ethertype) + l3 + l4
        if len(frame) < 60:
            frame += b"\0" * (60 - len(frame))  # Ethernet minimum, as a NIC pads it
        self.frames.append((t, len(self.frames), frame))

    @staticmethod
    def _pseudo(src, dst, proto, length):
        if src.v6:
            return src.packed + dst.packed + struct.pack("!IxxxB", length, proto)
        return src.packed + dst.packed + struct.pack("!xBH", proto, length)

    def udp(self, t, src, sport, dst, dport, payload):
        l4 = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
        c = checksum(self._pseudo(src, dst, PROTO_UDP, len(l4)) + l4) or 0xFFFF
        self._ip(t, src, dst, PROTO_UDP, l4[:6] + struct.pack("!H", c) + l4[8:])

    def tcp(self, t, src, sport, dst, dport, seq, ack, flags, payload=b"", options=b""):
        window = 64240 if flags & TCP_SYN else 1026
        hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                          ((20 + len(options)) // 4) << 4, flags, window, 0, 0) + options
        seg = hdr + payload
        c = checksum(self._pseudo(src, dst, PROTO_TCP, len(seg)) + seg)
        self._ip(t, src, dst, PROTO_TCP, seg[:16] + struct.pack("!H", c) + seg[18:])

    def pcap_bytes(self):
        out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
        for t, _, frame in sorted(self.frames, key=lambda f: (f[0], f[1])):
            sec, usec = divmod(t, SEC)
            out.append(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
            out.append(frame)
        return b"".join(out)


class TcpFlow:
    """One TCP connection seen near the client: client packets at send time, server
    packets at arrival time. Every packet acknowledges everything the other side sent
    so far, which holds because each side speaks only after hearing the other."""

    def __init__(self, net, client, cport, server, sport, rtt):
        self.net, self.client, self.cport, self.server, self.sport = net, client, cport, server, sport
        self.rtt = rtt
        self.c_isn = net.rng.getrandbits(32)
        self.s_isn = net.rng.getrandbits(32)
        self.c_nxt = self.c_isn + 1
        self.s_nxt = self.s_isn + 1
        self.mss = 1440 if client.v6 else 1460

    def _send(self, t, from_client, flags, payload=b"", seq=None, options=b""):
        if from_client:
            self.net.tcp(t, self.client, self.cport, self.server, self.sport,
                         self.c_nxt if seq is None else seq,
                         self.s_nxt if flags & TCP_ACK else 0, flags, payload, options)
        else:
            self.net.tcp(t, self.server, self.sport, self.client, self.cport,
                         self.s_nxt if seq is None else seq,
                         self.c_nxt if flags & TCP_ACK else 0, flags, payload, options)

    def syn(self, t):
        self._send(t, True, TCP_SYN, seq=self.c_isn,
                   options=SYN_OPTIONS6 if self.client.v6 else SYN_OPTIONS)

    def handshake(self, t):
        """SYN, SYN-ACK, ACK; returns the time of the ACK."""
        self.syn(t)
        self._send(t + self.rtt, False, TCP_SYN | TCP_ACK, seq=self.s_isn,
                   options=SYN_OPTIONS6 if self.client.v6 else SYN_OPTIONS)
        t_ack = t + self.rtt + 40
        self._send(t_ack, True, TCP_ACK)
        return t_ack

    def refused(self, t):
        """SYN answered by RST; returns the time of the RST."""
        self.syn(t)
        self.net.tcp(t + self.rtt, self.server, self.sport, self.client, self.cport, 0,
                     self.c_isn + 1, TCP_RST | TCP_ACK)
        return t + self.rtt

    def unanswered(self, t, retransmits=SYN_RETRANSMITS_US):
        """The SYN and its retransmissions; returns the number of SYNs."""
        self.syn(t)
        for d in retransmits:
            self.syn(t + d)
        return 1 + len(retransmits)

    def send(self, t, from_client, data, spacing=30):
        """`data` in MSS-sized segments; returns the time of the last one."""
        step = self.mss
        for i in range(0, len(data), step):
            chunk = data[i:i + step]
            last = i + step >= len(data)
            self._send(t, from_client, TCP_ACK | (TCP_PSH if last else 0), chunk)
            if from_client:
                self.c_nxt += len(chunk)
            else:
                self.s_nxt += len(chunk)
            if not last:
                t += spacing
        return t

    def ack(self, t, from_client):
        self._send(t, from_client, TCP_ACK)

    def fin(self, t, from_client):
        self._send(t, from_client, TCP_FIN | TCP_ACK)
        if from_client:
            self.c_nxt += 1
        else:
            self.s_nxt += 1

    def rst(self, t, from_client):
        self._send(t, from_client, TCP_RST | TCP_ACK)


# ----------------------------------------------------------------------------- DNS wire format


def dns_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\0"


def dns_query(ident, name, qtype):
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + dns_name(name) + struct.pack("!HH", qtype, 1)


def dns_response(ident, name, qtype, answers, rcode=0):
    """answers: (type, value) with value an address, a name, or (preference, exchange).
    Owner names are compressed to the question (offset 12); an MX exchange under the
    query name is written as its first labels plus a pointer."""
    body = b""
    for rtype, value in answers:
        if rtype == QTYPE_MX:
            pref, exchange = value
            if exchange.endswith("." + name):
                head = exchange[: -len(name) - 1]
                rdata = struct.pack("!H", pref) + dns_name(head)[:-1] + b"\xc0\x0c"
            else:
                rdata = struct.pack("!H", pref) + dns_name(exchange)
        elif rtype in (QTYPE_A, QTYPE_AAAA):
            rdata = ipaddress.ip_address(value).packed
        else:
            rdata = dns_name(value)
        body += b"\xc0\x0c" + struct.pack("!HHIH", rtype, 1, 300, len(rdata)) + rdata
    flags = 0x8180 | rcode
    head = struct.pack("!HHHHHH", ident, flags, 1, len(answers), 0, 0)
    return head + dns_name(name) + struct.pack("!HH", qtype, 1) + body


# ----------------------------------------------------------------------------- ground truth


class Truth:
    """What the generator put on the wire, per internal source address."""

    def __init__(self):
        self.hosts = {}
        self.non_mx_dns_queries = 0
        self.https_connections = 0

    def host(self, node):
        h = self.hosts.get(node.ip)
        if h is None:
            h = self.hosts[node.ip] = {
                "name": node.name, "ip": node.ip, "smtp": {}, "smtp_external_destinations_25": [],
                "mx": {"queries": 0, "names": [], "nxdomain": 0, "first": None, "last": None},
                "worm": {},
            }
        return h

    @staticmethod
    def _span(rec, t):
        rec["first"] = t if rec["first"] is None else min(rec["first"], t)
        rec["last"] = t if rec["last"] is None else max(rec["last"], t)

    def smtp(self, client, server, port, t, outcome, syns, starttls=False, txns=()):
        h = self.host(client)
        p = h["smtp"].setdefault(str(port), {
            "sessions": 0, "established": 0, "refused": 0, "no_answer": 0, "syn_attempts": 0,
            "starttls": 0, "transactions": 0, "rcpt": 0, "rcpt_accepted": 0,
            "mail_from_own_domain": 0, "data_accepted": 0, "destinations": [],
            "first": None, "last": None})
        p["sessions"] += 1
        p[outcome] += 1
        p["syn_attempts"] += syns
        p["starttls"] += int(starttls)
        if server.ip not in p["destinations"]:
            p["destinations"].append(server.ip)
        self._span(p, t)
        for tx in txns:
            p["transactions"] += 1
            p["rcpt"] += len(tx["rcpts"])
            p["rcpt_accepted"] += sum(1 for _, ok in tx["rcpts"] if ok)
            p["mail_from_own_domain"] += int(tx["from"].lower().endswith("@" + DOMAIN))
            p["data_accepted"] += int(any(ok for _, ok in tx["rcpts"]))
        if port == 25 and not ip_internal(server.ip):
            if server.ip not in h["smtp_external_destinations_25"]:
                h["smtp_external_destinations_25"].append(server.ip)

    def mx(self, client, name, t, rcode):
        m = self.host(client)["mx"]
        m["queries"] += 1
        if name not in m["names"]:
            m["names"].append(name)
        m["nxdomain"] += int(rcode == 3)
        self._span(m, t)

    def worm(self, client, server, port, t, outcome, syns):
        w = self.host(client)["worm"].setdefault("tcp/%d" % port, {
            "contacts": 0, "established": 0, "refused": 0, "no_answer": 0, "syn_attempts": 0,
            "destinations": [], "first": None, "last": None})
        w["contacts"] += 1
        w[outcome] += 1
        w["syn_attempts"] += syns
        if server.ip not in w["destinations"]:
            w["destinations"].append(server.ip)
        self._span(w, t)

    def to_json(self):
        def times(rec):
            for k in ("first", "last"):
                if rec.get(k) is not None:
                    rec[k] = iso(rec[k])
            return rec

        out = {}
        for ip in sorted(self.hosts, key=lambda a: ipaddress.ip_address(a).packed):
            h = self.hosts[ip]
            smtp = {}
            for port in sorted(h["smtp"], key=int):
                p = dict(h["smtp"][port])
                p["distinct_destinations"] = len(p.pop("destinations"))
                smtp[port] = times(p)
            worm = {}
            for key in sorted(h["worm"], key=lambda k: int(k.split("/")[1])):
                w = dict(h["worm"][key])
                w["distinct_destinations"] = len(w.pop("destinations"))
                worm[key] = times(w)
            mx = dict(h["mx"])
            mx["names"] = sorted(mx["names"])
            mx["distinct_names"] = len(mx["names"])
            out[ip] = {
                "name": h["name"],
                "ip": ip,
                "smtp_by_port": smtp,
                "smtp_external_destinations_25": len(h["smtp_external_destinations_25"]),
                "mx_queries": times(mx),
                "worm_ports": worm,
            }
        return out


# ----------------------------------------------------------------------------- building blocks


class World:
    """One scenario under construction: the capture, the truth, the internet's MX hosts."""

    def __init__(self, number, v6=False, vlan=None):
        self.rng = random.Random("cleansweep-scenario-%d" % number)
        self.net = Net(self.rng, vlan)
        self.truth = Truth()
        self.start = BASE_TIME_US + number * DAY_US
        self.v6 = v6
        self.ports = {}          # next ephemeral TCP port per source address
        self.dns_keys = set()    # (client, port, id) already used
        self.pool4 = ([str(ipaddress.ip_address("203.0.113.0") + i) for i in range(1, 255)]
                      + [str(ipaddress.ip_address("192.0.2.0") + i) for i in range(1, 255)]
                      + [str(ipaddress.ip_address("198.51.100.0") + i) for i in range(129, 255)])
        self.rng.shuffle(self.pool4)
        self.mx_hosts = {}       # domain -> (exchange, ip)
        self.used_ips = set()
        self.resolver = RESOLVER.node(v6)

    # -- addresses

    def mx_for(self, domain, v6=None):
        v6 = self.v6 if v6 is None else v6
        key = (domain, v6)
        if key not in self.mx_hosts:
            if v6:
                ip = "2001:db8:ff:%x::25" % (len(self.mx_hosts) + 1)
            else:
                ip = self.pool4.pop()
            self.used_ips.add(ip)
            self.mx_hosts[key] = ("mx%d.%s" % (1 + self.rng.randrange(2), domain), ip)
        return self.mx_hosts[key]

    def random_external(self, v6=None):
        """A random address nobody here uses: 198.18.0.0/15 or 2001:db8:ff::/48."""
        v6 = self.v6 if v6 is None else v6
        while True:
            if v6:
                ip = "2001:db8:ff:%x:%x:%x:%x:%x" % tuple(self.rng.randrange(1, 0x10000) for _ in range(5))
            else:
                ip = str(ipaddress.ip_address("198.18.0.0") + self.rng.randrange(1, 2 ** 17 - 1))
            if ip not in self.used_ips and not ip.endswith(".255"):
                self.used_ips.add(ip)
                return str(ipaddress.ip_address(ip))

    def eport(self, node):
        """The next ephemeral port of `node`: Windows-style, counting up from 49152+."""
        p = self.ports.get(node.ip)
        if p is None or p > 65535:
            p = 49152 + self.rng.randrange(8000)
        self.ports[node.ip] = p + 1 + self.rng.randrange(3)
        return p

    def rtt(self, internal=False):
        if internal:
            return 150 + self.rng.randrange(400)
        return 12 * MS + self.rng.randrange(110 * MS)

    # -- DNS

    def lookup(self, t, client, name, qtype, answers, rcode=0):
        """One UDP query to the resolver and its answer; returns the answer time."""
        while True:
            port, ident = 49152 + self.rng.randrange(16384), self.rng.randrange(0x10000)
            if (client.ip, port, ident) not in self.dns_keys:
                self.dns_keys.add((client.ip, port, ident))
                break
        self.net.udp(t, client, port, self.resolver, 53, dns_query(ident, name, qtype))
        t_ans = t + 300 + self.rng.randrange(35 * MS)
        self.net.udp(t_ans, self.resolver, 53, client, port, dns_response(ident, name, qtype, answers, rcode))
        if qtype == QTYPE_MX:
            self.truth.mx(client, name, t, rcode)
        else:
            self.truth.non_mx_dns_queries += 1
        return t_ans

    def lookup_mx(self, t, client, domain, v6=None):
        """MX lookup then the exchange's address; returns (answer time, server node)."""
        v6 = self.v6 if v6 is None else v6
        exchange, ip = self.mx_for(domain, v6)
        t = self.lookup(t, client, domain, QTYPE_MX, [(QTYPE_MX, (10, exchange))])
        t += 200 + self.rng.randrange(2 * MS)
        t = self.lookup(t, client, exchange, QTYPE_AAAA if v6 else QTYPE_A,
                        [(QTYPE_AAAA if v6 else QTYPE_A, ip)])
        return t, self.net.external(ip, exchange)

    # -- SMTP

    def smtp(self, t, client, server, port, *, helo, banner, txns=(), starttls=False, auth=None,
             outcome="established", helo_verb="EHLO"):
        """One SMTP connection. txns: [{"from", "rcpts": [(addr, accepted)], "body"}].
        Returns the time of its last packet."""
        rng = self.rng
        internal = ip_internal(server.ip)
        flow = TcpFlow(self.net, client, self.eport(client), server, port, self.rtt(internal))
        if outcome == "refused":
            t_end = flow.refused(t)
            self.truth.smtp(client, server, port, t, "refused", 1)
            return t_end
        if outcome == "no_answer":
            syns = flow.unanswered(t)
            self.truth.smtp(client, server, port, t, "no_answer", syns)
            return t + SYN_RETRANSMITS_US[-1]

        rtt = flow.rtt
        now = flow.handshake(t)

        def reply(text, proc):
            nonlocal now
            now = flow.send(now + rtt + proc, False, text.encode())

        def command(line, text, proc=None):
            nonlocal now
            now += 300 + rng.randrange(3 * MS)
            now = flow.send(now, True, line.encode())
            reply(text, 200 + rng.randrange(4 * MS) if proc is None else proc)

        # The greeting arrives a moment after the handshake.
        now = flow.send(now + 2 * MS + rng.randrange(60 * MS), False, ("220 %s\r\n" % banner).encode())
        ehlo = ["250-" + banner.split()[0], "250-PIPELINING", "250-SIZE 52428800"]
        if starttls:
            ehlo.append("250-STARTTLS")
        if auth:
            ehlo.append("250-AUTH PLAIN LOGIN")
        ehlo.append("250 8BITMIME")
        if helo_verb == "HELO":
            command("HELO %s\r\n" % helo, "250 %s\r\n" % banner.split()[0])
        else:
            command("EHLO %s\r\n" % helo, "\r\n".join(ehlo) + "\r\n")
        if starttls:
            command("STARTTLS\r\n", "220 2.0.0 Ready to start TLS\r\n")
            now = self._tls(flow, now)
            self.truth.smtp(client, server, port, t, "established", 1, starttls=True)
            return self._close(flow, now, client_first=True)
        if auth:
            command("AUTH PLAIN %s\r\n" % base64.b64encode(b"\0" + auth.encode() + b"\0secret").decode(),
                    "235 2.7.0 Authentication successful\r\n", 20 * MS + rng.randrange(60 * MS))
        for tx in txns:
            command("MAIL FROM:<%s>\r\n" % tx["from"], "250 2.1.0 Ok\r\n")
            for addr, ok in tx["rcpts"]:
                command("RCPT TO:<%s>\r\n" % addr,
                        "250 2.1.5 Ok\r\n" if ok else "550 5.1.1 <%s>: Recipient address rejected: "
                        "User unknown\r\n" % addr)
            if not any(ok for _, ok in tx["rcpts"]):
                command("RSET\r\n", "250 2.0.0 Ok\r\n")
                continue
            command("DATA\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n")
            content = dot_stuff(tx["body"]) + b".\r\n"
            now += 300 + rng.randrange(2 * MS)
            now = flow.send(now, True, content)
            if len(content) > flow.mss:
                flow.ack(now + rtt, False)  # the server acknowledges before it answers
            reply("250 2.0.0 Ok: queued as %X\r\n" % rng.getrandbits(40), 5 * MS + rng.randrange(150 * MS))
        command("QUIT\r\n", "221 2.0.0 Bye\r\n", 100 + rng.randrange(MS))
        self.truth.smtp(client, server, port, t, "established", 1, txns=txns)
        return self._close(flow, now, client_first=False)

    def _tls(self, flow, now):
        """Opaque TLS records after STARTTLS: handshake and an encrypted mail; returns
        the time of the last one."""
        rng, rtt = self.rng, flow.rtt

        def record(kind, n):
            return bytes([kind, 3, 3]) + struct.pack("!H", n) + rng.randbytes(n)

        now = flow.send(now + 500 + rng.randrange(MS), True, bytes([0x16, 3, 1]) + struct.pack("!H", 512)
                        + b"\x01" + rng.randbytes(511))
        now = flow.send(now + rtt + 2 * MS, False, record(0x16, 122) + record(0x14, 1) + record(0x17, 2900))
        now = flow.send(now + 2 * MS, True, record(0x14, 1) + record(0x17, 90))
        for _ in range(4 + rng.randrange(4)):  # EHLO, MAIL, RCPT, DATA... inside TLS
            now = flow.send(now + 300 + rng.randrange(2 * MS), True, record(0x17, 30 + rng.randrange(60)))
            now = flow.send(now + rtt + rng.randrange(3 * MS), False, record(0x17, 20 + rng.randrange(60)))
        now = flow.send(now + MS, True, record(0x17, 600 + rng.randrange(3000)))
        now = flow.send(now + rtt + 20 * MS, False, record(0x17, 60))
        return flow.send(now + MS, True, record(0x15, 26))  # close_notify

    def _close(self, flow, now, client_first):
        rtt = flow.rtt
        if client_first:
            flow.fin(now + 100, True)
            flow.fin(now + 100 + rtt, False)
            flow.ack(now + 200 + rtt, True)
            return now + 200 + rtt
        flow.fin(now + 60, False)       # the server closes after 221
        flow.ack(now + 100, True)
        flow.fin(now + 600, True)
        flow.ack(now + 600 + rtt, False)
        return now + 600 + rtt

    # -- worm ports and noise

    def worm_syn(self, t, client, server, port, outcome, retransmits=SYN_RETRANSMITS_US):
        flow = TcpFlow(self.net, client, self.eport(client), server, port,
                       self.rtt(ip_internal(server.ip)))
        if outcome == "no_answer":
            syns = flow.unanswered(t, retransmits)
        elif outcome == "refused":
            flow.refused(t)
            syns = 1
        else:
            now = flow.handshake(t)
            now = flow.send(now + 200, True, b"\x00\x00\x00\x2f\xffSMBr" + self.rng.randbytes(39))
            flow.rst(now + flow.rtt + 500, True)
            syns = 1
        self.truth.worm(client, server, port, t, outcome, syns)

    def https(self, t, client, server):
        flow = TcpFlow(self.net, client, self.eport(client), server, 443, self.rtt())
        now = flow.handshake(t)
        now = flow.send(now + 100, True, bytes([0x16, 3, 1, 0, 200]) + self.rng.randbytes(200))
        now = flow.send(now + flow.rtt, False, bytes([0x16, 3, 3, 5, 0]) + self.rng.randbytes(1280))
        flow.ack(now + 50, True)
        self._close(flow, now + 4 * SEC, client_first=True)
        self.truth.https_connections += 1

    # -- output

    def write(self, out_dir, number, slug, title, description, expected, duration_us):
        base = os.path.join(out_dir, "scenario_%d_%s" % (number, slug))
        times = [f[0] for f in self.net.frames]
        require(self.start <= min(times) and max(times) <= self.start + duration_us,
                "every frame inside the scenario's period")
        data = self.net.pcap_bytes()
        with open(base + ".pcap", "wb") as f:
            f.write(data)
        truth = {
            "scenario": number,
            "slug": slug,
            "title": title,
            "description": description,
            "pcap": os.path.basename(base) + ".pcap",
            "start": iso(self.start),
            "end": iso(self.start + duration_us),
            "frames": len(self.net.frames),
            "vlan": self.net.vlan,
            "mail_domains": [DOMAIN],
            "internal_networks": [str(n) for n in INTERNAL_NETS],
            "ignored": {"non_mx_dns_queries": self.truth.non_mx_dns_queries,
                        "https_connections": self.truth.https_connections},
            "hosts": self.truth.to_json(),
            "expected": expected,
        }
        with open(base + ".truth.json", "w") as f:
            json.dump(truth, f, indent=1, sort_keys=True)
            f.write("\n")
        return base


def dot_stuff(body):
    lines = body.split(b"\r\n")
    return b"\r\n".join(b"." + l if l.startswith(b".") else l for l in lines)


def text_body(rng, sender, rcpts, subject, t, lines):
    words = ("please find the notes from our meeting attached and let me know what you think "
             "about the schedule for next quarter the budget review is on thursday").split()
    head = ["From: %s" % sender, "To: %s" % ", ".join(rcpts), "Subject: %s" % subject,
            "Date: %s" % rfc2822(t), "Message-ID: <%x@%s>" % (rng.getrandbits(64), DOMAIN),
            "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", ""]
    text = [" ".join(rng.choice(words) for _ in range(8 + rng.randrange(6))) for _ in range(lines)]
    return ("\r\n".join(head + text) + "\r\n").encode()


def mydoom_body(rng, sender, rcpt, t):
    boundary = "----=_NextPart_000_%04X_%08X" % (rng.getrandbits(16), rng.getrandbits(32))
    name = rng.choice(["document", "readme", "doc", "text", "file", "data", "test", "message", "body"])
    blob = base64.b64encode(rng.randbytes(1800 + rng.randrange(1200))).decode()
    lines = [blob[i:i + 76] for i in range(0, len(blob), 76)]
    head = ["From: %s" % sender, "To: %s" % rcpt, "Subject: %s" % rng.choice(MYDOOM_SUBJECTS),
            "Date: %s" % rfc2822(t), "MIME-Version: 1.0",
            'Content-Type: multipart/mixed; boundary="%s"' % boundary, "X-Priority: 3", "",
            "This is a multi-part message in MIME format.", "", "--" + boundary,
            "Content-Type: text/plain; charset=us-ascii", "",
            "The message contains Unicode characters and has been sent as a binary attachment.",
            "", "--" + boundary, 'Content-Type: application/octet-stream; name="%s.zip"' % name,
            "Content-Transfer-Encoding: base64",
            'Content-Disposition: attachment; filename="%s.zip"' % name, ""]
    return ("\r\n".join(head + lines + ["", "--" + boundary + "--", ""])).encode()


def all_domains():
    return ["%s-%s.%s" % (a, b, tld) for tld in TLDS for a in NAME_A for b in NAME_B]


def recipients(rng, domain, n):
    return ["%s@%s" % (l, domain) for l in rng.sample(LOCAL_PARTS, n)]


# ----------------------------------------------------------------------------- background


def background(w, duration_us, v6=False):
    """Every workstation submits 1-3 mails to the relay on 587 (after looking the relay
    up), makes a few non-MX lookups, and now and then opens an HTTPS connection."""
    rng = w.rng
    relay = RELAY.node(v6)
    partners = ["partner-%s.example" % a for a in NAME_A[:6]]
    end = w.start + duration_us - 90 * SEC
    for host in WS:
        client = host.node(v6)
        for _ in range(1 + rng.randrange(3)):
            t = w.start + 5 * SEC + rng.randrange(end - w.start - 5 * SEC)
            t = w.lookup(t, client, "relay." + DOMAIN, QTYPE_AAAA if v6 else QTYPE_A,
                         [(QTYPE_AAAA if v6 else QTYPE_A, relay.ip)])
            t += 300 + rng.randrange(2 * MS)
            if rng.random() < 0.25:
                w.smtp(t, client, relay, 587, helo=host.name + "." + DOMAIN,
                       banner="relay.%s ESMTP Postfix" % DOMAIN, starttls=True)
                continue
            others = [o for o in WS if o is not host]
            rcpts = []
            for _ in range(1 + rng.randrange(3)):
                if rng.random() < 0.6:
                    rcpts.append(rng.choice(others).address())
                else:
                    rcpts.append("%s@%s" % (rng.choice(LOCAL_PARTS), rng.choice(partners)))
            rcpts = list(dict.fromkeys(rcpts))
            body = text_body(rng, host.address(), rcpts, rng.choice(["Re: schedule", "Invoice", "Minutes",
                                                                      "Lunch?", "Draft"]), t,
                             3 + rng.randrange(12))
            w.smtp(t, client, relay, 587, helo=host.name + "." + DOMAIN,
                   banner="relay.%s ESMTP Postfix" % DOMAIN,
                   auth=host.address() if rng.random() < 0.5 else None,
                   txns=[{"from": host.address(), "rcpts": [(r, True) for r in rcpts], "body": body}])
        for _ in range(2 + rng.randrange(3)):
            t = w.start + rng.randrange(duration_us - 30 * SEC)
            name = rng.choice(WEB_NAMES)
            if name.endswith(DOMAIN):
                ans = [(QTYPE_A, "10.20.0.%d" % (80 + rng.randrange(10)))]
            else:
                ans = [(QTYPE_CNAME, "edge.example.net"), (QTYPE_A, "192.0.2.%d" % (200 + rng.randrange(50)))]
            qtype = QTYPE_A
            if v6 and rng.random() < 0.5:
                qtype, ans = QTYPE_AAAA, [(QTYPE_AAAA, "2001:db8:ff:80::%x" % (1 + rng.randrange(200)))]
            w.lookup(t, client, name, qtype, ans)
        if rng.random() < 0.35:
            t = w.start + rng.randrange(duration_us - 30 * SEC)
            if v6:
                server = w.net.external("2001:db8:ff:80::%x" % (1 + rng.randrange(200)), "web")
            else:
                server = w.net.external("192.0.2.%d" % (200 + rng.randrange(50)), "web")
            w.https(t, client, server)


# ----------------------------------------------------------------------------- scenarios


def outbreak(w, host, v6):
    """Mydoom on `host`: MX lookups, mass SMTP on 25 with forged own-domain senders,
    SYNs to 3127 on random addresses."""
    rng = w.rng
    client = host.node(v6)
    t0 = w.start + 90 * SEC
    domains = rng.sample(all_domains(), 60)
    outcomes = ["established"] * 48 + ["refused"] * 6 + ["no_answer"] * 6
    rng.shuffle(outcomes)
    for k, (domain, outcome) in enumerate(zip(domains, outcomes)):
        t = t0 + k * 3500 * MS + rng.randrange(900 * MS)
        t, server = w.lookup_mx(t, client, domain, v6)
        sender = "%s@%s" % ("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(3 + rng.randrange(6))),
                            DOMAIN)
        txns = []
        for _ in range(1 if rng.random() < 0.8 else 2):
            rcpts = recipients(rng, domain, 2 + rng.randrange(5))
            txns.append({"from": sender, "rcpts": [(r, rng.random() > 0.12) for r in rcpts],
                         "body": mydoom_body(rng, sender, rcpts[0], t)})
        w.smtp(t + 200 + rng.randrange(MS), client, server, 25, helo=rng.choice([host.name, DOMAIN, domain]),
               banner="%s ESMTP" % server.name, txns=txns, outcome=outcome,
               helo_verb=rng.choice(["HELO", "EHLO"]))
    # Domains whose MX does not exist: looked up, never contacted.
    taken = set(domains)
    for k, domain in enumerate([d for d in all_domains() if d not in taken][:3]):
        bogus = "mail." + domain.replace("-", "")
        w.lookup(t0 + (20 + 60 * k) * SEC, client, bogus, QTYPE_MX, [], rcode=3)
    # The backdoor scan: 45 random addresses on 3127, nobody answers.
    for k in range(45):
        t = t0 + 5 * SEC + k * 4500 * MS + rng.randrange(MS)
        target = w.net.external(w.random_external(v6), "scan")
        w.worm_syn(t, client, target, 3127, "no_answer",
                   SYN_RETRANSMITS_US if rng.random() < 0.8 else SYN_RETRANSMITS_US[:1])


def require(cond, what):
    if not cond:
        raise SystemExit("scenario premise violated: " + what)


def scenario_1(out_dir):
    w = World(1)
    background(w, 600 * SEC)
    outbreak(w, ws(7), v6=False)
    h = w.truth.hosts[ws(7).ip4]
    require(len(h["smtp_external_destinations_25"]) >= 50, "50 external MX")
    require(len(h["mx"]["names"]) >= 50, "50 MX names")
    require(len(h["worm"]["tcp/3127"]["destinations"]) >= 40, "40 scan targets")
    require(h["smtp"]["25"]["last"] - h["smtp"]["25"]["first"] <= 300 * SEC, "within 5 minutes")
    return w.write(out_dir, 1, "mydoom_outbreak", "Mydoom-style outbreak on ws07",
                   "ws07 looks up MX records of 63 domains and delivers to 60 external MX on 25 within "
                   "4 minutes with forged example-corp.test senders (48 sessions complete, 6 refused, 6 "
                   "unanswered), and sends SYNs to 3127 on 45 random external addresses. Everyone else "
                   "submits to the relay on 587.",
                   {"flagged": {ws(7).ip4: {"name": "ws07", "max_severity": "worm-scanning",
                                            "must_include": ["mass-mailing", "worm-scanning"]}},
                    "others": "none"}, 600 * SEC)


def scenario_2(out_dir):
    w = World(2)
    rng = w.rng
    background(w, 600 * SEC)
    relay = RELAY.node(False)
    domains = rng.sample(all_domains(), 230)
    outcomes = ["established"] * 223 + ["refused"] * 3 + ["no_answer"] * 4
    rng.shuffle(outcomes)
    for k, (domain, outcome) in enumerate(zip(domains, outcomes)):
        t = w.start + 20 * SEC + k * 2300 * MS + rng.randrange(2000 * MS)
        t, server = w.lookup_mx(t, relay, domain, False)
        sender = rng.choice(WS).address()
        rcpts = recipients(rng, domain, 1 + rng.randrange(3))
        tls = outcome == "established" and rng.random() < 0.4
        w.smtp(t + 300, relay, server, 25, helo="relay." + DOMAIN, banner="%s ESMTP" % server.name,
               starttls=tls, outcome=outcome,
               txns=[{"from": sender, "rcpts": [(r, True) for r in rcpts],
                      "body": text_body(rng, sender, rcpts, "Quarterly update", t, 4 + rng.randrange(30))}])
    mxout = MX_OUT.node(False)
    for k, (local, domain) in enumerate(zip(["billing", "noreply", "newsletter", "billing", "noreply"],
                                            rng.sample(all_domains(), 5))):
        t = w.start + 60 * SEC + k * 97 * SEC
        t, server = w.lookup_mx(t, mxout, domain, False)
        sender = "%s@%s" % (local, DOMAIN)
        rcpts = recipients(rng, domain, 1)
        w.smtp(t + 300, mxout, server, 25, helo="mx-out." + DOMAIN, banner="%s ESMTP" % server.name,
               txns=[{"from": sender, "rcpts": [(r, True) for r in rcpts],
                      "body": text_body(rng, sender, rcpts, "Your invoice", t, 6)}])
    require(len(w.truth.hosts[relay.ip]["smtp_external_destinations_25"]) >= 200, "200 external MX")
    return w.write(out_dir, 2, "relay_delivery", "The relay delivers, everyone submits",
                   "The approved relay looks up MX records of 230 domains and delivers to 230 external MX "
                   "on 25 (40% with STARTTLS, 3 refused, 4 unanswered); mx-out delivers 5 mails; every "
                   "workstation submits 1-3 mails to the relay on 587.",
                   {"flagged": {}, "others": "none"}, 600 * SEC)


def scenario_3(out_dir):
    w = World(3)
    rng = w.rng
    background(w, 600 * SEC)
    dev = ws(12)
    client = dev.node(False)
    domain = "juniper-labs.test"
    t, server = w.lookup_mx(w.start + 300 * SEC, client, domain, False)
    rcpt = "qa@" + domain
    w.smtp(t + 500, client, server, 25, helo=dev.name + "." + DOMAIN, banner="%s ESMTP" % server.name,
           txns=[{"from": dev.address(), "rcpts": [(rcpt, True)],
                  "body": text_body(rng, dev.address(), [rcpt], "test direct delivery", t, 2)}])
    return w.write(out_dir, 3, "developer_test_mail", "One developer's test mail",
                   "ws12 looks up the MX of juniper-labs.test and sends one mail directly to it on 25 "
                   "from its owner's own example-corp.test address. Everyone else submits to the relay.",
                   {"flagged": {client.ip: {"name": "ws12", "at_most": "notice"}}, "others": "none"},
                   600 * SEC)


def scenario_4(out_dir):
    w = World(4)
    rng = w.rng
    background(w, 600 * SEC)
    worm = ws(21)
    client = worm.node(False)
    t0 = w.start + 100 * SEC
    # Sasser: about half the targets in the own /16, the rest anywhere. Inside the own
    # /24 only existing workstations get a SYN (elsewhere ARP fails and no frame is
    # sent); other internal subnets are reached through the router.
    internal = [h.ip4 for h in rng.sample([h for h in WS if h is not worm], 25)]
    internal += ["10.20.%d.%d" % (rng.randrange(2, 6), rng.randrange(1, 255)) for _ in range(45)]
    internal = list(dict.fromkeys(internal))
    external = [w.random_external(False) for _ in range(100)]
    targets = internal + external
    rng.shuffle(targets)
    answering = [ip for ip in targets if ip.startswith("10.20.1.")][:4]
    refusing = [ip for ip in targets if not ip_internal(ip)][:14]
    for k, ip in enumerate(targets):
        t = t0 + k * (105 * SEC // len(targets)) + rng.randrange(300 * MS)
        if ip_internal(ip):
            h = next((x for x in WS if x.ip4 == ip), None)
            server = h.node(False) if h else Node("unused", ip, mac_bytes(GW.mac), 62)
        else:
            server = w.net.external(ip, "scan")
        outcome = "established" if ip in answering else "refused" if ip in refusing else "no_answer"
        w.worm_syn(t, client, server, 445, outcome,
                   SYN_RETRANSMITS_US[:1] if rng.random() < 0.7 else ())
    # The back channels: 9996 (remote shell) on the hosts that answered, 5554 on two more.
    for k, ip in enumerate(answering[:3]):
        h = next(x for x in WS if x.ip4 == ip)
        w.worm_syn(t0 + 110 * SEC + k * SEC + rng.randrange(SEC), client, h.node(False), 9996, "refused")
    for k, ip in enumerate(external[:2]):
        w.worm_syn(t0 + 115 * SEC + k * SEC + rng.randrange(SEC), client, w.net.external(ip, "scan"), 5554,
                   "no_answer")
    h = w.truth.hosts[client.ip]["worm"]["tcp/445"]
    require(len(h["destinations"]) >= 150, "150 targets on 445")
    require(h["last"] - h["first"] <= 120 * SEC, "within 2 minutes")
    return w.write(out_dir, 4, "sasser_sweep", "Sasser-style sweep from ws21",
                   "ws21 sends SYNs to 445 on %d distinct addresses within 2 minutes (%d internal, "
                   "100 external; 4 internal workstations answer, 14 external refuse, the rest stay "
                   "silent), then 9996 on 3 hosts (refused) and 5554 on 2 (no answer)."
                   % (len(targets), len(internal)),
                   {"flagged": {client.ip: {"name": "ws21", "max_severity": "worm-scanning",
                                            "must_include": ["worm-scanning"]}},
                    "others": "none"}, 600 * SEC)


def scenario_5(out_dir):
    w = World(5, v6=True, vlan=20)
    background(w, 600 * SEC, v6=True)
    outbreak(w, ws(7), v6=True)
    ip = ws(7).ip6
    h = w.truth.hosts[str(ipaddress.ip_address(ip))]
    require(len(h["smtp_external_destinations_25"]) >= 50, "50 external MX")
    return w.write(out_dir, 5, "mydoom_ipv6_vlan", "Scenario 1 over IPv6 behind 802.1Q",
                   "The outbreak of scenario 1 on ws07 over IPv6 (MX and AAAA lookups to the resolver "
                   "2001:db8:20::53, SMTP to MX in 2001:db8:ff::/48, 3127 SYNs to random addresses there); "
                   "the background also over IPv6; every frame carries an 802.1Q tag with VLAN 20.",
                   {"flagged": {str(ipaddress.ip_address(ip)): {
                       "name": "ws07", "max_severity": "worm-scanning",
                       "must_include": ["mass-mailing", "worm-scanning"]}},
                    "others": "none"}, 600 * SEC)


def scenario_6(out_dir):
    w = World(6)
    rng = w.rng
    duration = 3660 * SEC
    background(w, duration)
    host = ws(15)
    client = host.node(False)
    domains = rng.sample(all_domains(), 30)
    for k, domain in enumerate(domains):
        t = w.start + 60 * SEC + k * 120 * SEC
        t, server = w.lookup_mx(t, client, domain, False)
        sender = "%s@%s" % (rng.choice(LOCAL_PARTS), DOMAIN)
        rcpt = "%s@%s" % (rng.choice(LOCAL_PARTS), domain)
        w.smtp(t + 400, client, server, 25, helo=host.name, banner="%s ESMTP" % server.name,
               txns=[{"from": sender, "rcpts": [(rcpt, True)], "body": mydoom_body(rng, sender, rcpt, t)}])
    require(len(w.truth.hosts[client.ip]["smtp_external_destinations_25"]) == 30, "30 MX")
    return w.write(out_dir, 6, "slow_mailer", "A slow mailer on ws15",
                   "ws15 looks up one MX and delivers one mail directly on 25 every 2 minutes for an "
                   "hour (30 mails to 30 external MX, forged example-corp.test senders, one recipient "
                   "each). Everyone else submits to the relay.",
                   {"flagged": {client.ip: {"name": "ws15", "max_severity": "suspicious",
                                            "must_include": ["suspicious"]}},
                    "others": "none"}, duration)


SCENARIOS = [scenario_1, scenario_2, scenario_3, scenario_4, scenario_5, scenario_6]


def main(argv):
    ap = argparse.ArgumentParser(
        description="Write the company detection scenarios (pcap + truth.json per scenario). "
                    "Deterministic: the same bytes on every run.")
    ap.add_argument("--out", default=".", help="directory to write into (created if missing; default .)")
    ap.add_argument("--scenario", type=int, action="append", choices=range(1, len(SCENARIOS) + 1),
                    metavar="N", help="write only scenario N (repeatable; default all)")
    ap.add_argument("--print-inventory", action="store_true",
                    help="print the company's inventory CSV (hostname,mac,owner) and exit")
    args = ap.parse_args(argv)
    if args.print_inventory:
        sys.stdout.write(inventory_csv())
        return 0
    os.makedirs(args.out, exist_ok=True)
    for n in sorted(set(args.scenario or range(1, len(SCENARIOS) + 1))):
        base = SCENARIOS[n - 1](args.out)
        print(base + ".pcap")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
