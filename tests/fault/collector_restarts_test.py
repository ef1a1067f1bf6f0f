#!/usr/bin/env python3
"""20 agents replay captures into one collector while the collector is killed
with SIGKILL and restarted on the same database and port 5 times.

Asserts afterwards:
  - every agent exits 0 (all of its events were acknowledged);
  - for every agent, the stored sequences are exactly 1..N (N = the number of
    events `cleansweep-agent --read FILE --json` prints for its file): none
    missing, none twice, no lost-event gap recorded;
  - every stored event equals, as a JSON object (sequence included), the line
    `--read FILE --json` printed for that sequence;
  - all 5 kills fell while events were still outstanding.

Captures: 16 agents replay synthetic worm scans written by the test (thousands
of events each, so the kills land mid-delivery); 4 replay the real captures
of tests/testdata with the most events (SMTP and DNS).

usage: collector_restarts_test.py BUILD_DIR
"""
import os
import signal
import time

import faultlib as fl

AGENTS = 20
KILLS = 5
REAL_CAPTURES = [
    "pcap/suricata-verify/dns-eve-type-filtering/test.pcap",
    "pcap/zeek/smtp.pcap",
    "derived/smtp.pcapng",
    "pcap/suricata-verify/firewall_ruletype-firewall-135-smtp-multi-mail-accept/smtp-multi-mail.pcap",
]


def body(fleet):
    captures = []
    for i in range(AGENTS - len(REAL_CAPTURES)):
        path = fleet.path(f"scan-{i:02d}.pcap")
        fl.write_worm_scan(path, 4000 + 250 * i, seed=i + 1)
        captures.append(path)
    captures += [os.path.join(fl.ROOT, "tests", "testdata", c) for c in REAL_CAPTURES]

    expected = {}  # agent id -> {sequence: event}
    for i, capture in enumerate(captures):
        events = fleet.agent_json(capture)
        fl.check(events, f"{capture}: --read --json printed no event")
        expected[f"agent-{i:02d}"] = {int(e["sequence"]): e for e in events}
    total = sum(len(v) for v in expected.values())
    fl.log(f"{AGENTS} agents, {total} events in all (captures and oracle ready)")

    db = fleet.path("collector.db")
    collector, port = fleet.start_collector(db)  # port 0 first; restarts reuse the port
    started = time.monotonic()
    agents = {}
    for i, capture in enumerate(captures):
        aid = f"agent-{i:02d}"
        agents[aid] = fleet.start_agent(aid, fleet.path("state", aid), port,
                                        extra=["--read", capture, "--heartbeat-interval", "1"])

    at_kill = []
    for k in range(1, KILLS + 1):
        threshold = total * k // (KILLS + 3)
        fl.wait_until(lambda: fl.stored_count(db) >= threshold, 90,
                      f"{threshold} events stored before kill {k}", interval=0.005)
        collector.stop(signal.SIGKILL)
        stored = fl.stored_count(db)
        at_kill.append(stored)
        fl.log(f"kill {k}: SIGKILL with {stored}/{total} events stored")
        collector, port2 = fleet.start_collector(db, port=port)
        fl.check(port2 == port, f"restart listens on {port2}, not {port}")

    codes = {aid: p.wait(120) for aid, p in agents.items()}
    elapsed = time.monotonic() - started
    fl.log(f"all agents exited {elapsed:.1f}s after start")
    collector.stop(signal.SIGTERM)
    bad = {aid: c for aid, c in codes.items() if c != 0}
    fl.check(not bad, "agents exited non-zero: " + ", ".join(
        f"{a}={c} ({fl.tail(agents[a].err, 3)})" for a, c in bad.items()))
    fl.check(all(s < total for s in at_kill),
             f"a kill fell after delivery was complete (stored at each kill: {at_kill})")

    rows = fleet.json_lines("events", "--db", db, "--json")
    fl.log(f"read {len(rows)} stored events")
    stored = {}
    duplicates = []
    for row in rows:
        aid, ev = row["agentId"], row["event"]
        seq = int(ev["sequence"])
        if (aid, seq) in stored:
            duplicates.append((aid, seq))
        stored[(aid, seq)] = ev
    fl.check(not duplicates, f"stored twice: {duplicates[:10]}")
    for aid, events in expected.items():
        got = sorted(s for a, s in stored if a == aid)
        want = list(range(1, len(events) + 1))
        fl.check(sorted(events) == want, f"{aid}: --read --json sequences not 1..N")
        missing = sorted(set(want) - set(got))
        extra = sorted(set(got) - set(want))
        fl.check(not missing and not extra,
                 f"{aid}: {len(missing)} missing (first {missing[:5]}), "
                 f"{len(extra)} unexpected (first {extra[:5]})")
        for seq, event in events.items():
            fl.check(stored[(aid, seq)] == event,
                     f"{aid} #{seq}: stored {stored[(aid, seq)]} != --read --json {event}")
    fl.check(len(stored) == total, f"{len(stored)} events stored, {total} expected")
    gaps = fl.query(db, "SELECT agent_id, first_sequence, last_sequence, missing FROM gaps")
    fl.check(not gaps, f"lost-event gaps recorded: {gaps}")
    for a in fleet.json_lines("agents", "--db", db, "--json"):
        fl.check(int(a.get("lostEvents", 0)) == 0, f"agents shows lost events: {a}")
        fl.check(int(a["ackedSequence"]) == len(expected[a["agentId"]]),
                 f"{a['agentId']}: acked {a['ackedSequence']}, "
                 f"expected {len(expected[a['agentId']])}")
    fl.log(f"{total} events from {AGENTS} agents stored exactly once and equal to --read --json "
           f"across {KILLS} collector kills")


if __name__ == "__main__":
    fl.run_test("collector_restarts", body)
