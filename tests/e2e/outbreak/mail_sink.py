#!/usr/bin/env python3
"""SMTP servers that accept every message and record what they received.

  mail_sink.py --spool DIR NAME=ADDR:PORT [NAME=ADDR:PORT ...]

Each NAME=ADDR:PORT is one server (NAME is the host name it answers with and
writes into its Received line). Every accepted message is stored as
DIR/NNNN-NAME.eml with the Received header the server adds, the way an MTA
does ("from HELO (unknown [PEER]) by NAME with ESMTP id ID for <RCPT>; DATE"),
and one JSON line is printed per message:

  {"server", "addr", "port", "peer", "helo", "mail_from", "rcpt", "time",
   "date", "file", "message_id"}

`peer` is the address the TCP connection came from as this server saw it, so
behind the router it is the NAT's public address. Prints "ready" once every
server listens. Python 3 standard library only.
"""
import argparse
import email.utils
import json
import os
import re
import socketserver
import threading
import time

_lock = threading.Lock()
_count = [0]


def emit(record):
    with _lock:
        print(json.dumps(record), flush=True)


def next_number():
    with _lock:
        _count[0] += 1
        return _count[0]


class Handler(socketserver.StreamRequestHandler):
    def send(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        name, spool = self.server.name, self.server.spool
        peer = self.client_address[0]
        self.send(f"220 {name} ESMTP ready")
        helo, mail_from, rcpt = "", "", []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            text = line.decode(errors="replace").rstrip("\r\n")
            verb = text.split(" ", 1)[0].split(":", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                helo = text[5:].strip()
                if verb == "EHLO":
                    self.send(f"250-{name}")
                    self.send("250-PIPELINING")
                    self.send("250 8BITMIME")
                else:
                    self.send(f"250 {name}")
            elif verb == "MAIL":
                m = re.search(r"<([^>]*)>", text)
                mail_from, rcpt = (m.group(1) if m else ""), []
                self.send("250 2.1.0 Ok")
            elif verb == "RCPT":
                m = re.search(r"<([^>]*)>", text)
                rcpt.append(m.group(1) if m else "")
                self.send("250 2.1.5 Ok")
            elif verb == "DATA":
                self.send("354 End data with <CR><LF>.<CR><LF>")
                body = []
                while True:
                    d = self.rfile.readline()
                    if not d:
                        return
                    if d.rstrip(b"\r\n") == b".":
                        break
                    body.append(d[1:] if d.startswith(b"..") else d)
                now = time.time()
                number = next_number()
                queue_id = f"Q{number:06d}"
                date = email.utils.formatdate(now, usegmt=True)
                received = (f"Received: from {helo} (unknown [{peer}])\r\n"
                            f"\tby {name} with ESMTP id {queue_id}\r\n"
                            f"\tfor <{rcpt[0] if rcpt else ''}>; {date}\r\n")
                data = b"".join(body)
                path = os.path.join(spool, f"{number:04d}-{name}.eml")
                with open(path, "wb") as f:
                    f.write(received.encode() + data)
                m = re.search(rb"(?im)^Message-ID:\s*<([^>]*)>", data)
                emit({"server": name, "addr": self.server.addr, "port": self.server.port,
                      "peer": peer, "helo": helo, "mail_from": mail_from, "rcpt": rcpt,
                      "time": now, "date": date, "file": path,
                      "message_id": m.group(1).decode(errors="replace") if m else ""})
                self.send(f"250 2.0.0 Ok: queued as {queue_id}")
            elif verb in ("RSET", "NOOP"):
                self.send("250 2.0.0 Ok")
            elif verb == "QUIT":
                self.send("221 2.0.0 Bye")
                return
            else:
                self.send("502 5.5.2 Error: command not recognized")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spool", required=True)
    ap.add_argument("servers", nargs="+", metavar="NAME=ADDR:PORT")
    args = ap.parse_args()
    os.makedirs(args.spool, exist_ok=True)
    servers = []
    for spec in args.servers:
        name, _, where = spec.partition("=")
        addr, _, port = where.rpartition(":")
        s = Server((addr, int(port)), Handler)
        s.name, s.spool, s.addr, s.port = name, args.spool, addr, int(port)
        servers.append(s)
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
