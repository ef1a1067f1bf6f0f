#!/usr/bin/env python3
"""Writes the message an SMTP client sent in a capture: the client's bytes of
the first TCP connection to port 25 put in sequence order (retransmissions
dropped), then the DATA section up to <CRLF>.<CRLF> with dot-stuffing undone.

Usage: extract_smtp_data.py CAPTURE.pcap OUT.eml

Standard library only; classic pcap with Ethernet, IPv4/IPv6 and TCP, which is
what the captures it was run on use. Run once; the output is checked in.
"""
import struct
import sys


def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        sys.exit(f"{path}: not a classic pcap file")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    if linktype != 1:
        sys.exit(f"{path}: link type {linktype}, only Ethernet (1) is handled")
    pos = 24
    while pos + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[pos + 8:pos + 12])[0]
        yield data[pos + 16:pos + 16 + incl]
        pos += 16 + incl


def tcp_segments(frame):
    """(src, sport, dst, dport, seq, payload) or None."""
    if len(frame) < 14:
        return None
    ethertype = struct.unpack(">H", frame[12:14])[0]
    ip = frame[14:]
    if ethertype == 0x0800 and len(ip) >= 20:
        ihl = (ip[0] & 0x0F) * 4
        total = struct.unpack(">H", ip[2:4])[0]
        if ip[9] != 6:
            return None
        src, dst, tcp = ip[12:16], ip[16:20], ip[ihl:total]
    elif ethertype == 0x86DD and len(ip) >= 40:
        if ip[6] != 6:
            return None
        plen = struct.unpack(">H", ip[4:6])[0]
        src, dst, tcp = ip[8:24], ip[24:40], ip[40:40 + plen]
    else:
        return None
    if len(tcp) < 20:
        return None
    sport, dport, seq = struct.unpack(">HHI", tcp[:8])
    offset = (tcp[12] >> 4) * 4
    return src, sport, dst, dport, seq, tcp[offset:]


def main():
    capture, out = sys.argv[1], sys.argv[2]
    flow = None
    segments = {}
    for frame in packets(capture):
        seg = tcp_segments(frame)
        if seg is None:
            continue
        src, sport, dst, dport, seq, payload = seg
        if dport != 25:
            continue
        if flow is None:
            flow = (src, sport, dst, dport)
        if (src, sport, dst, dport) != flow or not payload:
            continue
        segments.setdefault(seq, payload)  # a retransmission repeats a seq
    stream = b"".join(segments[s] for s in sorted(segments))
    start = stream.find(b"\r\nDATA\r\n")
    if start < 0:
        sys.exit(f"{capture}: no DATA command from the client")
    body = stream[start + len(b"\r\nDATA\r\n"):]
    end = body.find(b"\r\n.\r\n")
    if end < 0:
        sys.exit(f"{capture}: the DATA section has no end")
    lines = body[:end + 2].split(b"\r\n")
    unstuffed = [l[1:] if l.startswith(b"..") else l for l in lines]
    with open(out, "wb") as f:
        f.write(b"\r\n".join(unstuffed))


if __name__ == "__main__":
    main()
