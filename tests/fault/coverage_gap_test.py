#!/usr/bin/env python3
"""Coverage: an agent stopped for 10 minutes shows exactly that gap in
`hosts`; an inventory host that never enrolled is listed as never reported.

No real 10-minute wait: the agent runs under libfaketime (Debian's faketime
package), and heartbeats carry the agent's clock. Run 1 starts at a fake time
T1 (a day ahead, inside the test certificate's validity) and sends heartbeats
every INTERVAL seconds; it is stopped cleanly (its last heartbeat L1 is its
stop time). Run 2 starts with its clock at exactly L1 + 600 s. The agent
captures live on a veth in a network namespace.

Asserts, with `hosts --json --now` at run 2's last heartbeat L2:
  - the host is "reporting", in the inventory, with 2 coverage gaps in the 24 h
    window: the part before run 1, and the stop;
  - the second uncovered stretch `hosts --json` lists runs from L1 to run 2's
    first heartbeat (to the millisecond), and its length is the stop (600 s,
    rounded up to FAKETIME's whole seconds: < 601 s) plus the agent's start-up
    (a run's first heartbeat goes out as soon as its stream is up; asserted
    under one interval): gap in [stop, stop + INTERVAL); the table's LAST GAP
    column shows the same stretch;
  - with --now in the middle of the stop, the host is "silent since L1";
  - the inventory host that never enrolled: "never reported", no agent id.

usage: coverage_gap_test.py BUILD_DIR   (root: network namespaces)
"""
import datetime
import os
import signal
import socket
import time

import faultlib as fl

INTERVAL = 2  # --heartbeat-interval, seconds
STOP = 600  # the agent is stopped for 10 minutes of its clock
HEARTBEATS_PER_RUN = 4
LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"


def utc(us):
    return datetime.datetime.fromtimestamp(us / 1e6, datetime.timezone.utc)


def parse_us(text):
    """Microseconds since the epoch of an RFC 3339 UTC time as the CLI prints it."""
    t = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return round(t.timestamp() * 1_000_000)


def rfc3339(us):
    return utc(us).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def heartbeat_times(db, after_us=0):
    return [r[0] for r in fl.query(
        db, "SELECT time_us FROM heartbeats WHERE agent_id = 'ws1' AND time_us > ? "
            "ORDER BY time_us", (after_us,))]


def body(fleet):
    if not os.path.exists(LIBFAKETIME):
        fl.log(f"SKIP: {LIBFAKETIME} missing (apt-get install faketime)")
        raise SystemExit(fl.SKIP)
    tag = f"cv{os.getpid() % 100000}"
    ns = fl.NetnsPair(tag, subnet=3)
    try:
        db = fleet.path("collector.db")
        csv = fleet.path("inventory.csv")
        with open(csv, "w") as f:
            f.write(f"hostname,mac,owner\n{socket.gethostname()},,it\n"
                    "ghost-pc-17,02:00:00:00:00:17,nobody\n")
        fleet.collector_cli("inventory", "import", "--db", db, csv)
        collector, port = fleet.start_collector(db, prefix=ns.prefix())
        state = fleet.path("state")

        def run(start_us, after_us):
            env = dict(os.environ, TZ="UTC", LD_PRELOAD=LIBFAKETIME,
                       FAKETIME="@" + utc(start_us).strftime("%Y-%m-%d %H:%M:%S"))
            agent = fleet.start_agent("ws1", state, port, env=env, prefix=ns.prefix(),
                                      extra=["--interface", ns.ifname,
                                             "--heartbeat-interval", str(INTERVAL)])

            def enough():
                fl.check(agent.alive(), f"agent exited: {fl.tail(agent.err)}")
                return len(heartbeat_times(db, after_us)) >= HEARTBEATS_PER_RUN

            fl.wait_until(enough, 60, f"{HEARTBEATS_PER_RUN} heartbeats")
            code = agent.stop(signal.SIGTERM, timeout=30)
            fl.check(code == 0, f"agent exited {code}: {fl.tail(agent.err)}")
            return heartbeat_times(db, after_us)

        t1 = (int(time.time()) + 86400) * 1_000_000  # whole seconds: FAKETIME's resolution
        run1 = run(t1, 0)
        fl.check(t1 <= run1[0] < t1 + 10_000_000,
                 f"run 1's heartbeats are not on the fake clock: first at {rfc3339(run1[0])}, "
                 f"fake start {rfc3339(t1)} (does libfaketime work with the agent?)")
        last1 = run1[-1]
        t2 = last1 + STOP * 1_000_000
        t2 += -t2 % 1_000_000  # FAKETIME takes whole seconds: stopped for [600 s, 601 s)
        run2 = run(t2, last1)
        stop_us = t2 - last1  # how long the agent was really stopped, on its clock
        expected_gap = run2[0] - last1
        fl.log(f"run 1: {len(run1)} heartbeats {rfc3339(run1[0])}..{rfc3339(last1)}; "
               f"stopped {stop_us / 1e6:.3f}s; run 2: {len(run2)} heartbeats "
               f"{rfc3339(run2[0])}..{rfc3339(run2[-1])}")
        collector.stop(signal.SIGTERM)

        now = run2[-1]
        rows = fleet.json_lines("hosts", "--db", db, "--json", "--now", rfc3339(now))
        fl.log("hosts: " + "\n       ".join(str(r) for r in rows))
        mine = [r for r in rows if r["agentId"] == "ws1"]
        fl.check(len(mine) == 1, f"ws1 listed {len(mine)} times")
        h = mine[0]
        fl.check(h["status"] == "reporting" and h["inInventory"],
                 f"ws1: status {h['status']!r}, inInventory {h['inInventory']}")
        fl.check(h["coverageGaps"] == 2, f"ws1: {h['coverageGaps']} coverage gaps, expected 2 "
                                         "(before run 1, and the stop)")
        gap = h["uncovered"][1]
        shown_from, shown_to = parse_us(gap["from"]), parse_us(gap["to"])
        shown_gap = gap["seconds"] * 1e6
        fl.log(f"gap shown by hosts: {gap} (agent stopped {stop_us / 1e6:.3f}s, "
               f"heartbeats {expected_gap / 1e6:.3f}s apart)")
        fl.check(abs(shown_from - last1) <= 1000 and abs(shown_to - run2[0]) <= 1000,
                 f"hosts shows the gap {gap['from']}..{gap['to']}; the heartbeats around the "
                 f"stop are {rfc3339(last1)} and {rfc3339(run2[0])}")
        fl.check(abs(shown_gap - expected_gap) <= 1000,
                 f"hosts shows a {shown_gap / 1e6:.3f}s gap; the heartbeats are "
                 f"{expected_gap / 1e6:.3f}s apart")
        fl.check(STOP * 1_000_000 <= stop_us < (STOP + 1) * 1_000_000, "fake clock setup")
        extra = shown_gap - stop_us
        fl.check(0 <= extra < INTERVAL * 1_000_000,
                 f"gap {shown_gap / 1e6:.3f}s for a {stop_us / 1e6:.3f}s stop: not the stop plus "
                 f"a start-up under one heartbeat interval ({INTERVAL}s)")
        table = fleet.collector_cli("hosts", "--db", db, "--now", rfc3339(now))
        row = [line for line in table.splitlines() if " ws1 " in f" {line} "]
        fl.check(row and f"{rfc3339(last1)[:19]}Z 10m" in row[0],
                 f"the hosts table does not show the 10-minute gap as LAST GAP:\n{table}")

        mid = fleet.json_lines("hosts", "--db", db, "--json", "--now",
                               rfc3339(last1 + stop_us // 2))
        m = [r for r in mid if r["agentId"] == "ws1"][0]
        fl.check(m["status"].startswith("silent since ") and
                 m["lastHeartbeat"] is not None and
                 abs(datetime.datetime.fromisoformat(m["lastHeartbeat"].replace("Z", "+00:00"))
                     .timestamp() * 1e6 - last1) < 1000,
                 f"in the middle of the stop: status {m['status']!r}, lastHeartbeat "
                 f"{m['lastHeartbeat']}, expected silent since {rfc3339(last1)}")

        ghost = [r for r in rows if r["hostname"] == "ghost-pc-17"]
        fl.check(len(ghost) == 1, f"inventory host listed {len(ghost)} times")
        g = ghost[0]
        fl.check(g["status"] == "never reported" and g["agentId"] == "" and g["inInventory"]
                 and g["coveredSeconds"] == 0 and g["mac"] == "02:00:00:00:00:17",
                 f"never-enrolled host: {g}")
        fl.log("a 10-minute stop shows as that gap; the never-enrolled host as never reported")
    finally:
        for p in fleet.processes:
            if p.alive():
                p.stop(signal.SIGKILL)
        ns.close()


if __name__ == "__main__":
    fl.run_test("coverage_gap", body, needs_root=True)
