#!/usr/bin/env python3
"""A tiny "internet" for live-capture tests: an SMTP server and a DNS server.

  fake_internet.py smtp ADDR PORT   -- accepts mail, answers like a real MTA
  fake_internet.py dns ADDR PORT MX_NAME MX_PREF MX_HOST
                                     -- answers MX queries for MX_NAME with
                                        (MX_PREF, MX_HOST), NXDOMAIN otherwise
Prints "ready" on stdout once listening.
"""
import socket
import socketserver
import struct
import sys
import threading


class SmtpHandler(socketserver.StreamRequestHandler):
    def send(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.send("220 mx.test.example ESMTP ready")
        in_data = False
        while True:
            line = self.rfile.readline()
            if not line:
                return
            text = line.decode(errors="replace").rstrip("\r\n")
            if in_data:
                if text == ".":
                    in_data = False
                    self.send("250 2.0.0 Ok: queued as TEST1")
                continue
            verb = text.split(" ", 1)[0].split(":", 1)[0].upper()
            if verb == "EHLO":
                self.send("250-mx.test.example")
                self.send("250-PIPELINING")
                self.send("250 8BITMIME")
            elif verb == "HELO":
                self.send("250 mx.test.example")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                self.send("250 2.1.0 Ok")
            elif verb == "DATA":
                in_data = True
                self.send("354 End data with <CR><LF>.<CR><LF>")
            elif verb == "QUIT":
                self.send("221 2.0.0 Bye")
                return
            else:
                self.send("502 5.5.2 Error: command not recognized")


class Smtp4(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class Smtp6(Smtp4):
    address_family = socket.AF_INET6


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def serve_dns(addr, port, mx_name, mx_pref, mx_host):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((addr, port))
    print("ready", flush=True)
    while True:
        data, peer = s.recvfrom(4096)
        if len(data) < 12:
            continue
        qid, flags, qd = struct.unpack("!HHH", data[:6])
        # Question: name, then qtype/qclass.
        i = 12
        labels = []
        while i < len(data) and data[i] != 0:
            n = data[i]
            labels.append(data[i + 1:i + 1 + n].decode(errors="replace"))
            i += 1 + n
        question = data[12:i + 5]
        qtype = struct.unpack("!H", data[i + 1:i + 3])[0]
        qname = ".".join(labels)
        if qname.lower() == mx_name.lower() and qtype == 15:
            rdata = struct.pack("!H", mx_pref) + encode_name(mx_host)
            answer = b"\xc0\x0c" + struct.pack("!HHIH", 15, 1, 300, len(rdata)) + rdata
            header = struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0)
            s.sendto(header + question + answer, peer)
        else:
            header = struct.pack("!HHHHHH", qid, 0x8183, 1, 0, 0, 0)
            s.sendto(header + question, peer)


def main():
    if sys.argv[1] == "smtp":
        addr, port = sys.argv[2], int(sys.argv[3])
        server = (Smtp6 if ":" in addr else Smtp4)((addr, port), SmtpHandler)
        print("ready", flush=True)
        server.serve_forever()
    elif sys.argv[1] == "dns":
        serve_dns(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), sys.argv[6])


if __name__ == "__main__":
    main()
