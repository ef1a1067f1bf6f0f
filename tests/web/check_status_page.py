#!/usr/bin/env python3
"""The status page of a real `cleansweep-collector serve`, fetched with Python's
own HTTP client (urllib) and read with Python's own JSON parser.

  1. Plain HTTP on 127.0.0.1, port 0: an inventory of three hosts (one named
     <script>alert(1)</script>) and a real agent replaying a capture over TLS.
     /healthz, /api/v1/fleet, /api/v1/hosts (filter, sort, pages, errors),
     /api/v1/hosts/{key}, /metrics and the page itself; the numbers against
     the inventory, SQLite's own count of the stored events and the agent's
     own --json output; the hostile name JSON-escaped and read back intact;
     the security headers; 405 for every method but GET and HEAD. As root, a
     live agent on lo shows up as reporting and connected.
  2. Refusals: a non-loopback --http without TLS or without a login, a login
     without TLS, a malformed --http (exit 2), a port in use (exit 1).
  3. TLS and a login on 0.0.0.0 (reached through 127.0.0.1 only): the users
     line from `http-user` checked with hashlib's PBKDF2, 401 without or with
     wrong credentials, 200 with the right ones, HSTS.

usage: check_status_page.py BUILD_DIR
"""
import base64
import datetime
import hashlib
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "fault"))
import faultlib as fl  # noqa: E402

HOSTILE = "<script>alert(1)</script>"
CAPTURE = os.path.join(ROOT, "tests", "testdata", "pcap", "zeek", "smtp-multi-addr.pcap")
HANG = 60  # seconds: bounds a hung process, never paces the test


class Serve:
    """`serve` with stdout and stderr on pipes drained by threads; waits for
    its "listening on" line (stdout) and its "status page on" log line."""

    def __init__(self, fleet, db, extra):
        self.argv = [fleet.collector_bin, "serve", "--db", db, "--listen", "127.0.0.1:0",
                     *fleet.collector_auth(), *extra]
        self.popen = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      stdin=subprocess.DEVNULL, text=True)
        self.out, self.err = [], []
        self.cond = threading.Condition()
        self.threads = [threading.Thread(target=self._drain, args=(s, buf), daemon=True)
                        for s, buf in ((self.popen.stdout, self.out),
                                       (self.popen.stderr, self.err))]
        for t in self.threads:
            t.start()

    def _drain(self, stream, buf):
        for line in stream:
            with self.cond:
                buf.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            buf.append(None)  # closed
            self.cond.notify_all()

    def wait_line(self, buf, pattern):
        regex = re.compile(pattern)

        def found():
            for line in buf:
                if line is None:
                    raise fl.TestFailure(f"serve closed its output before /{pattern}/; "
                                         f"stderr:\n{self.stderr()}")
                m = regex.search(line)
                if m:
                    return m
            return None

        with self.cond:
            m = self.cond.wait_for(found, timeout=HANG)
        fl.check(m, f"no /{pattern}/ from serve within {HANG}s; stderr:\n{self.stderr()}")
        return m

    def started(self):
        self.grpc_port = int(self.wait_line(self.out, r"^listening on .*:(\d+)$").group(1))
        m = self.wait_line(self.err, r"status page on (https?)://(.*):(\d+)$")
        self.scheme, self.host, self.port = m.group(1), m.group(2), int(m.group(3))
        return self

    def stderr(self):
        with self.cond:
            return "\n".join(l for l in self.err if l is not None)

    def exit_code(self):
        code = self.popen.wait(timeout=HANG)
        for t in self.threads:
            t.join(timeout=HANG)
        return code

    def stop(self):
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        return self.exit_code()


class Reply:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)


def fetch(base, path, method="GET", auth=None, context=None):
    req = urllib.request.Request(base + path, method=method,
                                 data=b"x" if method in ("POST", "PUT", "PATCH") else None)
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        req.add_header("Authorization", "Basic " + token)
    try:
        with urllib.request.urlopen(req, timeout=HANG, context=context) as r:
            return Reply(r.status, r.headers, r.read().decode())
    except urllib.error.HTTPError as e:
        return Reply(e.code, e.headers, e.read().decode())


def metrics(text):
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def check_headers(reply, what):
    csp = reply.headers.get("Content-Security-Policy", "")
    fl.check("script-src 'self'" in csp and "default-src 'none'" in csp and
             "unsafe-inline" not in csp, f"{what}: Content-Security-Policy {csp!r}")
    fl.check(reply.headers.get("X-Content-Type-Options") == "nosniff",
             f"{what}: X-Content-Type-Options {reply.headers.get('X-Content-Type-Options')!r}")


def plain_page(fleet):
    db = fleet.path("c.db")
    csv = fleet.path("hosts.csv")
    with open(csv, "w") as f:
        f.write(f"hostname,mac,owner\nws-expected-1,,alice\n{HOSTILE},,mallory\nws-expected-2,,\n")
    fleet.collector_cli("inventory", "import", "--db", db, csv)
    serve = Serve(fleet, db, ["--http", "127.0.0.1:0"]).started()
    try:
        fl.check(serve.scheme == "http" and serve.host == "127.0.0.1" and serve.port > 0,
                 f"status page line: {serve.scheme}://{serve.host}:{serve.port}")
        base = f"http://127.0.0.1:{serve.port}"

        # A real agent replays a capture over TLS and exits once all is acked.
        expected_events = len(fleet.agent_json(CAPTURE))
        fl.check(expected_events > 0, "the capture gives events")
        agent = subprocess.run(
            fleet.agent_argv("ws-real", fleet.path("state", "ws-real"), serve.grpc_port,
                             ["--read", CAPTURE]),
            capture_output=True, text=True, timeout=120)
        fl.check(agent.returncode == 0, f"agent exited {agent.returncode}: {agent.stderr}")
        stored = fl.query(db, "SELECT COUNT(*) FROM events")[0][0]
        fl.check(stored == expected_events, f"stored {stored}, agent emitted {expected_events}")

        health = fetch(base, "/healthz")
        fl.check(health.status == 200 and health.body == "ok\n", f"/healthz {health.status}")
        check_headers(health, "/healthz")

        fleet_reply = fetch(base, "/api/v1/fleet")
        fl.check(fleet_reply.status == 200 and
                 fleet_reply.headers.get("Content-Type", "").startswith("application/json"),
                 f"/api/v1/fleet {fleet_reply.status} {fleet_reply.headers.get('Content-Type')}")
        check_headers(fleet_reply, "/api/v1/fleet")
        f = fleet_reply.json()
        hosts = f["hosts"]
        fl.check(hosts["expected"] == 3 and hosts["neverReported"] == 3 and
                 hosts["unexpected"] == 1 and hosts["total"] == 4,
                 f"fleet hosts {hosts} (3 in the inventory, none reported; one agent)")
        fl.check(f["eventsStored"] == stored, f"eventsStored {f['eventsStored']} vs {stored}")
        fl.check(f["lastSweep"] is None, f"lastSweep {f['lastSweep']}")
        fl.check(sum(f["verdicts"].values()) == 4, f"verdicts {f['verdicts']}")
        fl.check("<" not in fleet_reply.body, "raw '<' in /api/v1/fleet")

        # Hosts: every host, Python's own sort, a filter, pages, a bad parameter.
        everything = fetch(base, "/api/v1/hosts?limit=500").json()
        fl.check(everything["total"] == 4 and len(everything["hosts"]) == 4,
                 f"hosts total {everything['total']}")
        names = [h["hostname"] for h in everything["hosts"]]
        by_name = sorted(everything["hosts"], key=lambda h: (h["hostname"].lower(), h["agentId"]))
        fl.check(names == [h["hostname"] for h in by_name], f"default order {names}")
        desc = fetch(base, "/api/v1/hosts?sort=hostname&order=desc").json()
        fl.check([h["hostname"] for h in desc["hosts"]] == names[::-1],
                 f"descending {[h['hostname'] for h in desc['hosts']]}")
        page = fetch(base, "/api/v1/hosts?offset=1&limit=2").json()
        fl.check(page["total"] == 4 and [h["key"] for h in page["hosts"]] ==
                 [h["key"] for h in everything["hosts"][1:3]], f"page {page}")
        raw = fetch(base, "/api/v1/hosts?q=" + urllib.parse.quote("SCRIPT>"))
        fl.check("<" not in raw.body and "\\u003cscript\\u003e" in raw.body,
                 f"hostile name not JSON-escaped: {raw.body[:300]}")
        hostile = raw.json()
        fl.check(hostile["total"] == 1 and hostile["hosts"][0]["hostname"] == HOSTILE and
                 hostile["hosts"][0]["owner"] == "mallory" and
                 hostile["hosts"][0]["status"] == "never reported",
                 f"filtered hosts {hostile}")
        never = fetch(base, "/api/v1/hosts?status=never").json()
        fl.check(never["total"] == 3, f"status=never total {never['total']}")
        bad = fetch(base, "/api/v1/hosts?limit=0")
        fl.check(bad.status == 400 and "limit" in bad.json()["error"], f"limit=0: {bad.status}")

        real = [h for h in everything["hosts"] if h["agentId"] == "ws-real"]
        fl.check(len(real) == 1, f"the agent's host in {names}")
        detail = fetch(base, "/api/v1/hosts/ws-real").json()
        fl.check(detail["host"]["agentId"] == "ws-real" and len(detail["egress"]["buckets"]) == 24,
                 f"host page {detail.keys()}")
        t24 = detail["timeline"]["24h"]
        span = (fl_time(t24["to"]) - fl_time(t24["from"]))
        fl.check(span == 86400, f"24 h timeline spans {span}s")
        fl.check(detail["findings"] == [] and detail["sweeps"] == [], "no findings, no sweeps")
        by_name_reply = fetch(base, "/api/v1/hosts/" + urllib.parse.quote(HOSTILE, safe=""))
        fl.check(by_name_reply.status == 200 and
                 by_name_reply.json()["host"]["hostname"] == HOSTILE,
                 f"host by hostile name: {by_name_reply.status}")
        fl.check(fetch(base, "/api/v1/hosts/nobody").status == 404, "unknown host")

        before = os.path.getsize(db)
        m_reply = fetch(base, "/metrics")
        fl.check(m_reply.headers.get("Content-Type", "").startswith("text/plain; version=0.0.4"),
                 f"/metrics type {m_reply.headers.get('Content-Type')}")
        m = metrics(m_reply.body)
        fl.check(m.get("cleansweep_events_ingested_total") == stored and
                 m.get("cleansweep_events_stored") == stored,
                 f"metrics ingested/stored {m.get('cleansweep_events_ingested_total')} "
                 f"{m.get('cleansweep_events_stored')} vs {stored}")
        fl.check(m.get('cleansweep_hosts{status="never_reported"}') == 3 and
                 m.get("cleansweep_hosts_expected") == 3, f"metrics hosts {m}")
        fl.check(m.get("cleansweep_store_size_bytes", 0) >= before > 0,
                 f"store size {m.get('cleansweep_store_size_bytes')} vs file {before}")
        fl.check("cleansweep_agents_connected" in m, "connected agents reported")

        # The page: one HTML file for every view, script from a file, CSP.
        for path in ("/", "/hosts", "/hosts/ws-real", "/findings", "/sweeps"):
            p = fetch(base, path)
            fl.check(p.status == 200 and p.headers.get("Content-Type", "").startswith("text/html"),
                     f"{path}: {p.status} {p.headers.get('Content-Type')}")
            check_headers(p, path)
            fl.check(re.search(r'<script src="/static/app.js" defer></script>', p.body) and
                     len(re.findall(r"<script", p.body)) == 1, f"{path}: script tags")
        js = fetch(base, "/static/app.js")
        fl.check(js.status == 200 and "javascript" in js.headers.get("Content-Type", ""),
                 f"app.js {js.status} {js.headers.get('Content-Type')}")
        fl.check("innerHTML" not in js.body, "app.js uses innerHTML")

        # Read-only.
        for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
            r = fetch(base, "/api/v1/fleet", method=method)
            fl.check(r.status == 405 and r.headers.get("Allow") == "GET, HEAD",
                     f"{method}: {r.status} Allow={r.headers.get('Allow')}")
            check_headers(r, method)
        head = fetch(base, "/api/v1/fleet", method="HEAD")
        fl.check(head.status == 200 and head.body == "", f"HEAD {head.status} {head.body!r}")
        fl.check(fetch(base, "/nothing-here").status == 404, "unknown path")

        if os.geteuid() == 0:
            live_agent(fleet, serve, base)
        else:
            fl.log("not root: the live-agent part is skipped")
    finally:
        code = serve.stop()
    fl.check(code == 0, f"serve exited {code}; stderr:\n{serve.stderr()}")


def fl_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def live_agent(fleet, serve, base):
    """A live agent on lo with a heartbeat a second: reporting, connected."""
    a = fleet.start_agent("ws-live", fleet.path("state", "ws-live"), serve.grpc_port,
                          extra=["--interface", "lo", "--heartbeat-interval", "1"])
    try:
        def reporting():
            hosts = fetch(base, "/api/v1/hosts?q=ws-live").json()["hosts"]
            return hosts and hosts[0]["status"] == "reporting" and hosts[0]
        host = fl.wait_until(reporting, 30, "ws-live reporting on /api/v1/hosts", interval=0.2)
        fl.check(host["coverage24h"]["coveredSeconds"] >= 1, f"ws-live coverage {host}")
        m = metrics(fetch(base, "/metrics").body)
        fl.check(m.get("cleansweep_agents_connected") == 1,
                 f"connected agents {m.get('cleansweep_agents_connected')}")
        f = fetch(base, "/api/v1/fleet").json()
        listed = fetch(base, "/api/v1/hosts?status=reporting").json()
        fl.check(f["hosts"]["total"] == 5 and f["hosts"]["reporting"] == listed["total"] and
                 "ws-live" in [h["agentId"] for h in listed["hosts"]],
                 f"fleet {f['hosts']} vs reporting hosts {listed['total']}")
        fl.log("live agent on lo: reporting and connected")
    finally:
        a.stop(signal.SIGTERM, timeout=30)


def refusals(fleet):
    db = fleet.path("refused.db")
    pki = fleet.pki
    users = fleet.path("users")
    with open(users, "w") as f:
        f.write(subprocess.run([fleet.collector_bin, "http-user", "bob"], input="pw\n",
                               capture_output=True, text=True, check=True).stdout)
    cases = [
        (["--http", "0.0.0.0:0"], 2, "is not a loopback address"),
        (["--http", "0.0.0.0:0", "--http-tls-cert", f"{pki}/server.pem",
          "--http-tls-key", f"{pki}/server.key"], 2, "is not a loopback address"),
        (["--http", "[::]:0", "--http-users", users], 2, "--http-users needs"),
        (["--http", "127.0.0.1:0", "--http-users", users], 2, "--http-users needs"),
        (["--http", "127.0.0.1:0", "--http-tls-cert", f"{pki}/server.pem"], 2, "go together"),
        (["--http", "8080"], 2, "ADDR:PORT"),
    ]
    for extra, want, message in cases:
        s = Serve(fleet, db, extra)
        code = s.exit_code()
        fl.check(code == want and message in s.stderr() and not s.out[:-1],
                 f"serve {' '.join(extra)}: exit {code} (want {want}), stdout {s.out}, "
                 f"stderr:\n{s.stderr()}")
    # An explicitly given port that is taken: exit 1, nothing listening.
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        s = Serve(fleet, db, ["--http", f"127.0.0.1:{taken.getsockname()[1]}"])
        code = s.exit_code()
        fl.check(code == 1 and "cannot listen" in s.stderr() and not s.out[:-1],
                 f"port in use: exit {code}, stderr:\n{s.stderr()}")
    finally:
        taken.close()


def tls_login(fleet):
    password = "correct horse battery"
    r = subprocess.run([fleet.collector_bin, "http-user", "alice"], input=password + "\n",
                       capture_output=True, text=True)
    fl.check(r.returncode == 0, f"http-user exited {r.returncode}: {r.stderr}")
    line = r.stdout.strip()
    m = re.fullmatch(r"alice:pbkdf2-sha256\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)", line)
    fl.check(m, f"http-user line {line!r}")
    iterations = int(m.group(1))
    salt, key = base64.b64decode(m.group(2)), base64.b64decode(m.group(3))
    fl.check(iterations >= 100000 and len(salt) >= 16, f"{iterations} iterations, salt {salt!r}")
    fl.check(hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations) == key,
             "the users line is not PBKDF2-HMAC-SHA256 of the password")
    empty = subprocess.run([fleet.collector_bin, "http-user", "alice"], input="",
                           capture_output=True, text=True)
    fl.check(empty.returncode == 2 and "empty" in empty.stderr, f"empty password: {empty.stderr}")

    users = fleet.path("users-tls")
    with open(users, "w") as f:
        f.write("# status page users\n" + line + "\n")
    os.chmod(users, 0o600)
    db = fleet.path("tls.db")
    serve = Serve(fleet, db, ["--http", "0.0.0.0:0", "--http-tls-cert", f"{fleet.pki}/server.pem",
                              "--http-tls-key", f"{fleet.pki}/server.key",
                              "--http-users", users]).started()
    try:
        fl.check(serve.scheme == "https" and serve.host == "0.0.0.0",
                 f"status page line {serve.scheme}://{serve.host}")
        ctx = ssl.create_default_context(cafile=f"{fleet.pki}/ca.pem")
        base = f"https://127.0.0.1:{serve.port}"
        anon = fetch(base, "/api/v1/fleet", context=ctx)
        fl.check(anon.status == 401 and
                 anon.headers.get("WWW-Authenticate", "").startswith("Basic"),
                 f"no login: {anon.status} {anon.headers.get('WWW-Authenticate')}")
        fl.check("hosts" not in anon.body, "data without a login")
        wrong = fetch(base, "/api/v1/fleet", auth=("alice", "wrong"), context=ctx)
        fl.check(wrong.status == 401, f"wrong password: {wrong.status}")
        nobody = fetch(base, "/api/v1/fleet", auth=("mallory", password), context=ctx)
        fl.check(nobody.status == 401, f"unknown user: {nobody.status}")
        ok = fetch(base, "/api/v1/fleet", auth=("alice", password), context=ctx)
        fl.check(ok.status == 200 and "hosts" in ok.json(), f"login: {ok.status}")
        fl.check(ok.headers.get("Strict-Transport-Security", "").startswith("max-age="),
                 f"HSTS {ok.headers.get('Strict-Transport-Security')}")
        check_headers(ok, "https /api/v1/fleet")
        post = fetch(base, "/api/v1/fleet", method="POST", auth=("alice", password), context=ctx)
        fl.check(post.status == 405, f"POST with login: {post.status}")
        post_anon = fetch(base, "/api/v1/fleet", method="POST", context=ctx)
        fl.check(post_anon.status == 401, f"POST without login: {post_anon.status}")
        health = fetch(base, "/healthz", auth=("alice", password), context=ctx)
        fl.check(health.status == 200, f"/healthz over TLS: {health.status}")
    finally:
        code = serve.stop()
    fl.check(code == 0, f"serve exited {code}; stderr:\n{serve.stderr()}")


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    fleet = fl.Fleet(sys.argv[1], "web")
    ok = False
    try:
        plain_page(fleet)
        fl.log("plain HTTP on loopback: API, metrics, page, headers, 405: ok")
        refusals(fleet)
        fl.log("refusals: ok")
        tls_login(fleet)
        fl.log("TLS and login: ok")
        ok = True
    except fl.TestFailure as e:
        fl.log(f"FAIL: {e}")
    finally:
        fleet.cleanup(ok)
    print("check_status_page: " + ("all checks passed" if ok else "FAILED"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
