#!/usr/bin/env python3
"""The traffic of the outbreak test, each kind run inside a network namespace.

  traffic.py worm --dns IP --helo NAME --sender-domain D [--rcpt-per-domain N]
                  [--backdoor PORT] [--pace SECONDS] [--process-name NAME] DOMAIN...
      A Mydoom-style mass mailer: takes NAME as its process name (what
      /proc/PID/comm says; Mydoom.A ran as taskmon), opens its backdoor
      listener (printing {"backdoor": PORT, "pid": its pid}), then for each
      DOMAIN looks up the MX (a real DNS query), resolves the exchange's
      address and delivers one message with a forged sender in the company's
      own domain to N recipients there, one domain every SECONDS at most
      (pacing only: the phase lasts a few seconds). Prints one JSON line per session,
      then {"done": ...}, and keeps the backdoor open until killed.
  traffic.py submit --relay IP --port P --helo NAME --sender ADDR --count N RCPT...
      A user's mail client: N messages submitted through the company relay.
  traffic.py forge --source IP --mx IP --helo NAME --sender ADDR --rcpt ADDR
      A bot somewhere on the Internet forging the company's domain: one message
      to one MX, sent from the address SOURCE.

Every line printed is JSON with wall-clock times (time.time()), the test's
record of what was really sent. Python 3 standard library only.
"""
import argparse
import base64
import ctypes
import email.utils
import json
import os
import random
import smtplib
import socket
import struct
import sys
import threading
import time


def out(record):
    print(json.dumps(record), flush=True)


# --- a minimal DNS client -----------------------------------------------------
def _name(data, i):
    """Reads a (possibly compressed) domain name at i; returns (name, next i)."""
    labels, jumped, end = [], False, i
    for _ in range(64):
        n = data[i]
        if n == 0:
            i += 1
            break
        if n & 0xC0 == 0xC0:
            if not jumped:
                end = i + 2
            i, jumped = ((n & 0x3F) << 8) | data[i + 1], True
            continue
        labels.append(data[i + 1:i + 1 + n].decode())
        i += 1 + n
    return ".".join(labels), (end if jumped else i)


def dns_query(server, name, qtype):
    """One UDP query; returns [(type, rdata_offset, rdlen, data)] of the answer section."""
    qid = random.randrange(1, 65535)
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\x00" + struct.pack("!HH", qtype, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    try:
        s.sendto(q, (server, 53))
        while True:
            data, _ = s.recvfrom(4096)
            if struct.unpack("!H", data[:2])[0] == qid:
                break
    finally:
        s.close()
    _, flags, qd, an = struct.unpack("!HHHH", data[:8])
    if flags & 0x000F:
        raise RuntimeError(f"DNS {name} type {qtype}: rcode {flags & 0xF}")
    i = 12
    for _ in range(qd):
        _, i = _name(data, i)
        i += 4
    answers = []
    for _ in range(an):
        _, i = _name(data, i)
        rtype, _, _, rdlen = struct.unpack("!HHIH", data[i:i + 10])
        i += 10
        answers.append((rtype, i, rdlen, data))
        i += rdlen
    return answers


def lookup_mx(server, domain):
    """The lowest-preference exchange of DOMAIN and its IPv4 address."""
    mx = sorted((struct.unpack("!H", d[o:o + 2])[0], _name(d, o + 2)[0])
                for t, o, _, d in dns_query(server, domain, 15) if t == 15)
    if not mx:
        raise RuntimeError(f"no MX for {domain}")
    exchange = mx[0][1]
    a = [socket.inet_ntoa(d[o:o + 4]) for t, o, n, d in dns_query(server, exchange, 1)
         if t == 1 and n == 4]
    if not a:
        raise RuntimeError(f"no address for {exchange}")
    return exchange, a[0]


# --- messages -------------------------------------------------------------------
def worm_message(sender, rcpt, message_id, now):
    date = email.utils.formatdate(now, usegmt=True)
    payload = base64.encodebytes(bytes(random.randrange(256) for _ in range(600))).decode()
    # The worm writes a Received line of its own naming an innocent relay; the
    # recipient's server puts its own (true) line above it.
    return (f"Received: from trusted-bank.example (bank [203.0.113.77]) by relay.bank.example;\r\n"
            f"\t{date}\r\n"
            f"From: {sender}\r\nTo: {rcpt}\r\nSubject: Mail Delivery System\r\n"
            f"Date: {date}\r\nMessage-ID: <{message_id}>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/mixed; boundary=\"----=_NextPart_000_0001\"\r\n\r\n"
            f"------=_NextPart_000_0001\r\nContent-Type: text/plain\r\n\r\n"
            f"The message contains Unicode characters and has been sent as a binary "
            f"attachment.\r\n\r\n"
            f"------=_NextPart_000_0001\r\nContent-Type: application/octet-stream; "
            f"name=\"document.zip\"\r\nContent-Transfer-Encoding: base64\r\n"
            f"Content-Disposition: attachment; filename=\"document.zip\"\r\n\r\n"
            f"{payload}\r\n------=_NextPart_000_0001--\r\n")


def plain_message(sender, rcpt, subject, message_id, now):
    date = email.utils.formatdate(now, usegmt=True)
    return (f"From: {sender}\r\nTo: {rcpt}\r\nSubject: {subject}\r\nDate: {date}\r\n"
            f"Message-ID: <{message_id}>\r\n\r\n{subject}\r\n")


# --- the three programs -----------------------------------------------------------
def backdoor(port):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", port))
    srv.listen(16)

    def serve():
        while True:
            c, _ = srv.accept()
            c.close()

    threading.Thread(target=serve, daemon=True).start()


def set_process_name(name):
    """prctl(PR_SET_NAME): the kernel's name of this (main, so far only)
    thread, which /proc/PID/comm shows; at most 15 bytes."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(15, name.encode()[:15], 0, 0, 0) != 0:  # 15 = PR_SET_NAME
        raise OSError(ctypes.get_errno(), f"prctl(PR_SET_NAME, {name})")


def worm(args):
    if args.process_name:
        set_process_name(args.process_name)  # before any thread starts
    if args.backdoor:
        backdoor(args.backdoor)
        out({"backdoor": args.backdoor, "pid": os.getpid()})
    names = ["info", "admin", "sales", "support", "john", "mary", "webmaster", "billing"]
    started = time.time()
    for n, domain in enumerate(args.domains):
        ahead = started + n * args.pace - time.time()
        if ahead > 0:
            time.sleep(ahead)
        exchange, ip = lookup_mx(args.dns, domain)
        sender = f"{random.choice(names)}{n}@{args.sender_domain}"
        rcpt = [f"user{k}@{domain}" for k in range(1, args.rcpt_per_domain + 1)]
        message_id = f"worm-{n}-{random.getrandbits(32):08x}@{args.sender_domain}"
        t0 = time.time()
        with smtplib.SMTP(ip, 25, local_hostname=args.helo, timeout=10) as s:
            s.sendmail(sender, rcpt, worm_message(sender, rcpt[0], message_id, t0))
        out({"domain": domain, "mx": exchange, "ip": ip, "mail_from": sender, "rcpt": rcpt,
             "message_id": message_id, "start": t0, "end": time.time()})
    out({"done": True, "start": started, "end": time.time()})
    threading.Event().wait()  # the backdoor stays open until the worm is killed


def submit(args):
    for n in range(args.count):
        message_id = f"{args.sender.split('@')[0]}-{n}-{random.getrandbits(32):08x}@" \
                     f"{args.sender.split('@')[1]}"
        t0 = time.time()
        with smtplib.SMTP(args.relay, args.port, local_hostname=args.helo, timeout=10) as s:
            s.sendmail(args.sender, args.rcpt,
                       plain_message(args.sender, args.rcpt[0], f"report {n}", message_id, t0))
        out({"relay": args.relay, "mail_from": args.sender, "rcpt": args.rcpt,
             "message_id": message_id, "start": t0, "end": time.time()})
    out({"done": True})


def forge(args):
    message_id = f"bot-{random.getrandbits(48):012x}@{args.sender.split('@')[1]}"
    t0 = time.time()
    with smtplib.SMTP(args.mx, 25, local_hostname=args.helo, timeout=10,
                      source_address=(args.source, 0)) as s:
        s.sendmail(args.sender, [args.rcpt],
                   worm_message(args.sender, args.rcpt, message_id, t0))
    out({"mx": args.mx, "source": args.source, "mail_from": args.sender, "rcpt": [args.rcpt],
         "message_id": message_id, "start": t0, "end": time.time()})


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("worm")
    w.add_argument("--dns", required=True)
    w.add_argument("--helo", required=True)
    w.add_argument("--sender-domain", required=True)
    w.add_argument("--rcpt-per-domain", type=int, default=5)
    w.add_argument("--backdoor", type=int, default=0)
    w.add_argument("--pace", type=float, default=0)
    w.add_argument("--process-name", default="")
    w.add_argument("domains", nargs="+")
    s = sub.add_parser("submit")
    s.add_argument("--relay", required=True)
    s.add_argument("--port", type=int, default=587)
    s.add_argument("--helo", required=True)
    s.add_argument("--sender", required=True)
    s.add_argument("--count", type=int, default=1)
    s.add_argument("rcpt", nargs="+")
    f = sub.add_parser("forge")
    f.add_argument("--source", required=True)
    f.add_argument("--mx", required=True)
    f.add_argument("--helo", required=True)
    f.add_argument("--sender", required=True)
    f.add_argument("--rcpt", required=True)
    args = ap.parse_args()
    {"worm": worm, "submit": submit, "forge": forge}[args.cmd](args)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001 -- one line on stderr for the test's log
        print(f"traffic.py: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
