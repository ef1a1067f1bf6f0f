"""Shared plumbing of the fault tests: PKI, the real collector and agent
processes, polling with deadlines, read-only SQLite, synthetic captures and
network namespaces.

Everything about how an agent proves who it is lives in Fleet.collector_auth()
and Fleet.agent_auth() (today: deploy/pki.sh's enrollment secret; agents keep
their node key in --state-dir): when authentication changes, only those two
functions change.

Python 3 standard library only (Debian 12's python3).
"""

import json
import os
import random
import re
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SKIP = 77  # ctest SKIP_RETURN_CODE


class TestFailure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise TestFailure(message)


_T0 = time.monotonic()


def log(message):
    print(f"[{time.monotonic() - _T0:6.1f}s] {message}", flush=True)


def wait_until(predicate, timeout, what, interval=0.02):
    """Polls `predicate` until it returns a true value (returned) or `timeout`
    seconds pass (TestFailure naming `what`). The interval only paces the
    polling; nothing waits for a fixed time."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TestFailure(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def read_text(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def tail(path, lines=30):
    return "\n".join(read_text(path).splitlines()[-lines:])


def sqlite_ro(path):
    """Opens a SQLite file read-only (a live collector's WAL database too)."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)


def query(path, sql, args=()):
    con = sqlite_ro(path)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


class Process:
    """A started process with its stdout/stderr in files."""

    def __init__(self, argv, out, err, env=None, prefix=()):
        self.argv = list(argv)
        self.out, self.err = out, err
        with open(out, "ab") as o, open(err, "ab") as e:
            self.popen = subprocess.Popen(list(prefix) + self.argv, stdout=o, stderr=e,
                                          stdin=subprocess.DEVNULL, env=env)
        self.pid = self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def kill(self, sig=signal.SIGKILL):
        if self.alive():
            os.kill(self.pid, sig)

    def wait(self, timeout):
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TestFailure(f"{self.argv[0]} (pid {self.pid}) still running after {timeout}s; "
                              f"stderr:\n{tail(self.err)}")

    def stop(self, sig=signal.SIGKILL, timeout=30):
        self.kill(sig)
        return self.wait(timeout)

    def wait_for_line(self, path, pattern, timeout):
        regex = re.compile(pattern, re.M)

        def seen():
            m = regex.search(read_text(path))
            if m:
                return m
            if not self.alive():
                raise TestFailure(f"{self.argv[0]} exited ({self.popen.returncode}) before "
                                  f"printing /{pattern}/; stderr:\n{tail(self.err)}")
            return None

        return wait_until(seen, timeout, f"/{pattern}/ in {path}")


class Fleet:
    """A temp dir with a PKI, and the means to start collectors and agents."""

    def __init__(self, build_dir, name):
        self.build = os.path.abspath(build_dir)
        self.collector_bin = os.path.join(self.build, "bin", "cleansweep-collector")
        self.agent_bin = os.path.join(self.build, "bin", "cleansweep-agent")
        for b in (self.collector_bin, self.agent_bin):
            check(os.access(b, os.X_OK), f"{b} is not built")
        self.tmp = tempfile.mkdtemp(prefix=f"cs-{name}-")
        self.pki = os.path.join(self.tmp, "pki")
        subprocess.run([os.path.join(ROOT, "deploy", "pki.sh"), self.pki], check=True,
                       stdout=subprocess.DEVNULL)
        self.processes = []
        self._runs = 0

    # --- authentication: the only place that knows the flags -------------
    # The collector takes deploy/pki.sh's enrollment secret; each agent enrolls
    # with it on its first start and keeps its node key in its --state-dir.
    def collector_auth(self):
        return ["--tls-cert", f"{self.pki}/server.pem", "--tls-key", f"{self.pki}/server.key",
                "--enroll-secret-file", f"{self.pki}/enroll-secret"]

    def agent_auth(self, agent_id, state_dir):
        del agent_id, state_dir  # the node key is kept in state_dir by the agent
        return ["--ca", f"{self.pki}/ca.pem", "--enroll-secret-file", f"{self.pki}/enroll-secret"]

    # ----------------------------------------------------------------------
    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def _files(self, tag):
        self._runs += 1
        logs = self.path("logs")
        os.makedirs(logs, exist_ok=True)
        base = os.path.join(logs, f"{self._runs:03d}-{tag}")
        return base + ".out", base + ".err"

    def start_collector(self, db, port=0, extra=(), prefix=()):
        """Starts `collector serve` on 127.0.0.1:port; returns (Process, port)
        once it printed its "listening on" line."""
        out, err = self._files("collector")
        p = Process([self.collector_bin, "serve", "--db", db, "--listen", f"127.0.0.1:{port}",
                     *self.collector_auth(), *extra], out, err, prefix=prefix)
        self.processes.append(p)
        m = p.wait_for_line(out, r"^listening on .*:(\d+)$", 30)
        return p, int(m.group(1))

    def agent_argv(self, agent_id, state_dir, port, extra=()):
        return [self.agent_bin, "--collector", f"127.0.0.1:{port}",
                *self.agent_auth(agent_id, state_dir), "--agent-id", agent_id,
                "--state-dir", state_dir, *extra]

    def start_agent(self, agent_id, state_dir, port, extra=(), env=None, prefix=()):
        out, err = self._files(f"agent-{agent_id}")
        p = Process(self.agent_argv(agent_id, state_dir, port, extra), out, err, env=env,
                    prefix=prefix)
        self.processes.append(p)
        return p

    def collector_cli(self, *args):
        r = subprocess.run([self.collector_bin, *args], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, f"collector {' '.join(args)} exited {r.returncode}: {r.stderr}")
        return r.stdout

    def json_lines(self, *args):
        return [json.loads(l) for l in self.collector_cli(*args).splitlines() if l.strip()]

    def agent_json(self, capture):
        """What `cleansweep-agent --read FILE --json` prints: the oracle for content."""
        r = subprocess.run([self.agent_bin, "--read", capture, "--json"], capture_output=True,
                           text=True, timeout=120)
        check(r.returncode == 0, f"agent --read {capture} --json exited {r.returncode}: {r.stderr}")
        return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]

    def cleanup(self, ok):
        for p in self.processes:
            if p.alive():
                p.kill(signal.SIGKILL)
                p.popen.wait()
        if ok and not os.environ.get("KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            log(f"kept {self.tmp}")


def acked_sequence(db, agent_id):
    rows = query(db, "SELECT acked_sequence FROM agent_progress WHERE agent_id = ?", (agent_id,))
    return rows[0][0] if rows else 0


def stored_count(db):
    try:
        return query(db, "SELECT COUNT(*) FROM events")[0][0]
    except sqlite3.OperationalError:  # not created yet
        return 0


# --- the agent's spool, read from a copy (the agent may be dead mid-write) --
def spool_snapshot(state_dir, scratch):
    """Copies spool.db (+ -wal) as a crash leaves them and opens the copy:
    returns dict(integrity, last_sequence, sequences, lost) or raises."""
    os.makedirs(scratch, exist_ok=True)
    for f in os.listdir(scratch):
        os.unlink(os.path.join(scratch, f))
    src = os.path.join(state_dir, "spool.db")
    for suffix in ("", "-wal"):
        if os.path.exists(src + suffix):
            shutil.copyfile(src + suffix, os.path.join(scratch, "spool.db" + suffix))
    con = sqlite3.connect(os.path.join(scratch, "spool.db"), timeout=5)
    try:
        integrity = con.execute("PRAGMA integrity_check").fetchall()
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        sequences = [r[0] for r in con.execute("SELECT sequence FROM events ORDER BY sequence")]
        lost = con.execute("SELECT first_sequence, last_sequence, count, reason FROM lost "
                           "ORDER BY first_sequence").fetchall()
    finally:
        con.close()
    return {"integrity": integrity, "meta": meta, "sequences": sequences, "lost": lost,
            "last_sequence": max([meta.get("last_sequence", 0)] + sequences[-1:] +
                                 [l[1] for l in lost])}


# --- synthetic captures -----------------------------------------------------
def _checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def _frame(src, dst, sport, dport, flags, seq, ack):
    mac_a, mac_b = b"\x02\0\0\0\0\x01", b"\x02\0\0\0\0\x02"
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 64240, 0, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", _checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
    return mac_b + mac_a + b"\x08\x00" + ip + tcp


def write_worm_scan(path, attempts, seed, start_us=1_700_000_000_000_000):
    """A pcap of `attempts` refused TCP connection attempts (SYN, then RST-ACK)
    from 10.x hosts to worm ports (445, 135, 3127-3198): each is one event."""
    rnd = random.Random(seed)
    ports = [445, 135] + list(range(3127, 3199))
    t = start_us
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

        def rec(t_us, frame):
            f.write(struct.pack("<IIII", t_us // 1_000_000, t_us % 1_000_000, len(frame),
                                len(frame)))
            f.write(frame)

        for i in range(attempts):
            src = bytes([10, seed % 200 + 1, (i >> 8) & 0xFF, i & 0xFF])
            dst = bytes([198, 51, 100, rnd.randrange(1, 255)])
            sport = 20000 + (i % 40000)
            dport = rnd.choice(ports)
            isn = rnd.getrandbits(32)
            rec(t, _frame(src, dst, sport, dport, 0x02, isn, 0))
            t += rnd.randrange(50, 2000)
            rec(t, _frame(dst, src, dport, sport, 0x14, 0, (isn + 1) & 0xFFFFFFFF))
            t += rnd.randrange(50, 2000)


# --- network namespaces (live capture) ------------------------------------
class NetnsPair:
    """Two namespaces joined by a veth pair: `ws` (10.78.N.2, the agent's
    interface `ifname`) and `net` (10.78.N.1)."""

    def __init__(self, tag, subnet):
        self.ws, self.net = f"{tag}ws", f"{tag}net"
        self.ifname = f"{tag}a"
        self.ws_ip, self.net_ip = f"10.78.{subnet}.2", f"10.78.{subnet}.1"
        cmds = [
            ["ip", "netns", "add", self.ws], ["ip", "netns", "add", self.net],
            ["ip", "link", "add", f"{tag}a", "type", "veth", "peer", "name", f"{tag}b"],
            ["ip", "link", "set", f"{tag}a", "netns", self.ws],
            ["ip", "link", "set", f"{tag}b", "netns", self.net],
            ["ip", "-n", self.ws, "link", "set", "lo", "up"],
            ["ip", "-n", self.net, "link", "set", "lo", "up"],
            ["ip", "-n", self.ws, "addr", "add", f"{self.ws_ip}/24", "dev", f"{tag}a"],
            ["ip", "-n", self.net, "addr", "add", f"{self.net_ip}/24", "dev", f"{tag}b"],
            ["ip", "-n", self.ws, "link", "set", f"{tag}a", "up"],
            ["ip", "-n", self.net, "link", "set", f"{tag}b", "up"],
        ]
        try:
            for c in cmds:
                subprocess.run(c, check=True, capture_output=True)
        except subprocess.CalledProcessError as e:
            self.close()
            raise TestFailure(f"{' '.join(e.cmd)}: {e.stderr.decode(errors='replace')}")

    def prefix(self):
        """Runs a command inside the workstation namespace."""
        return ["ip", "netns", "exec", self.ws]

    def close(self):
        for ns in (self.ws, self.net):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


# Sends refused TCP connection attempts to worm ports of HOST: COUNT of them
# (0 = until killed), at most RATE per second (0 = as fast as it can; pacing
# only), writing the number made so far to COUNTER_FILE every 50 and at the end.
TRAFFIC_SCRIPT = r"""
import os, socket, sys, time
host, count, counter, rate = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
ports = [445, 135] + list(range(3127, 3199))
made = 0
start = time.monotonic()
while count == 0 or made < count:
    s = socket.socket()
    try:
        s.connect((host, ports[made % len(ports)]))
    except OSError:
        pass
    s.close()
    made += 1
    if made % 50 == 0 or made == count:
        with open(counter + ".tmp", "w") as f:
            f.write(str(made))
        os.replace(counter + ".tmp", counter)
        if rate > 0:
            ahead = made / rate - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)
"""


def run_test(name, body, needs_root=False):
    """Runs body(fleet) and exits 0 (pass), 1 (fail) or 77 (skip)."""
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} BUILD_DIR", file=sys.stderr)
        sys.exit(2)
    if needs_root and os.geteuid() != 0:
        print("SKIP: needs root (network namespaces)")
        sys.exit(SKIP)
    started = time.monotonic()
    fleet = Fleet(sys.argv[1], name)
    ok = False
    try:
        body(fleet)
        ok = True
    except TestFailure as e:
        log(f"FAIL: {e}")
    finally:
        fleet.cleanup(ok)
    log(f"{name}: {'passed' if ok else 'FAILED'} in {time.monotonic() - started:.1f}s")
    sys.exit(0 if ok else 1)
