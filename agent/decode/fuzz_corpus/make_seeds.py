#!/usr/bin/env python3
"""Extracts seed frames for decoder_fuzz from real captures.

Each seed is one selector byte (index into decoder_fuzz.cc's kLinkTypes) then
the frame. Run from the source root: python3 agent/decode/fuzz_corpus/make_seeds.py
The hand_* seeds (SLL, SLL2, raw, LOOP, QinQ, IPv6 extension chain) were
written by hand from the frames in test_frames.h and are kept as they are.
"""
import os
import struct

# (capture under tests/testdata/pcap, selector byte, frame numbers, 1-based)
SOURCES = [
    ("zeek/smtp.pcap", 0, [1, 3, 4, 5, 12, 26, 40]),
    ("zeek/smtp-attachment-msg.pcap", 0, [1, 2, 4, 8]),
    ("arkime/dns-mx.pcap", 0, [1, 2]),
    ("suricata-verify/smtp-pipelining/input.pcap", 1, [1, 4, 6]),
    ("suricata-verify/smtp-rset/input.pcap", 1, [1, 10]),
    ("zeek/dns-long-connection-MX.pcap", 0, [1, 2]),
]


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    off = 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        yield data[off:off + caplen]
        off += caplen


def main():
    out = "agent/decode/fuzz_corpus/decoder"
    os.makedirs(out, exist_ok=True)
    for rel, selector, wanted in SOURCES:
        for n, frame in enumerate(frames("tests/testdata/pcap/" + rel), start=1):
            if n in wanted:
                name = "%s_%d" % (rel.replace("/", "_").replace(".pcap", ""), n)
                with open(os.path.join(out, name), "wb") as f:
                    f.write(bytes([selector]) + frame)


if __name__ == "__main__":
    main()
