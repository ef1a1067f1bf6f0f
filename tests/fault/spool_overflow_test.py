#!/usr/bin/env python3
"""A spool too small for the outage: the gap arrives with the exact number of
events lost and `hosts` shows it.

An agent captures live (veth pair in network namespaces) with --spool-max-mb 1.
First the collector is up and acknowledges a first burst of events. Then it
is killed, and far more events than 1 MiB of spool holds are made; the agent
is stopped (SIGTERM) so its spool is at rest. The oracle, read from the spool
before the collector comes back:
    highest = the spool's sequence counter (meta last_sequence)
    held    = the sequences the spool still holds
    acked   = the sequences the collector stored (1..A)
    lost    = highest - |held U acked|
Then the collector and the agent are started again, and once the collector
acknowledged through `highest`:
  - it stores exactly acked U held, each once;
  - its gap records count exactly `lost` missing events (one gap, reason
    spool_full), and `hosts --json` and `agents --json` show lostEvents =
    lost and gaps = 1 for the host.

usage: spool_overflow_test.py BUILD_DIR   (root: network namespaces)
"""
import os
import signal
import socket

import faultlib as fl

FIRST_BURST = 100
OUTAGE_ATTEMPTS = 30000  # refused connection attempts; 1 MiB holds ~15,000 events


def body(fleet):
    tag = f"co{os.getpid() % 100000}"
    ns = fl.NetnsPair(tag, subnet=2)
    try:
        script = fleet.path("traffic.py")
        with open(script, "w") as f:
            f.write(fl.TRAFFIC_SCRIPT)

        def traffic(count, name):
            counter = fleet.path(name)
            p = fl.Process(["python3", script, ns.net_ip, str(count), counter, "0"],
                           fleet.path(name + ".out"), fleet.path(name + ".err"), prefix=ns.prefix())
            fleet.processes.append(p)
            fl.check(p.wait(120) == 0, f"traffic generator failed: {fl.tail(p.err)}")
            fl.check(fl.read_text(counter) == str(count), "traffic generator stopped early")

        db = fleet.path("collector.db")
        state = fleet.path("state")
        agent_args = ["--interface", ns.ifname, "--heartbeat-interval", "1", "--spool-max-mb", "1"]
        collector, port = fleet.start_collector(db, prefix=ns.prefix())
        agent = fleet.start_agent("ws1", state, port, extra=agent_args, prefix=ns.prefix())
        agent.wait_for_line(agent.err, r"capturing on", 30)
        traffic(FIRST_BURST, "burst")
        fl.wait_until(lambda: fl.acked_sequence(db, "ws1") >= FIRST_BURST, 30,
                      f"the collector to acknowledge the first {FIRST_BURST} events")
        collector.stop(signal.SIGKILL)
        acked = fl.acked_sequence(db, "ws1")
        fl.log(f"collector acknowledged {acked} events, then was killed")

        traffic(OUTAGE_ATTEMPTS, "outage")
        code = agent.stop(signal.SIGTERM, timeout=60)
        fl.check(code == 0, f"agent exited {code}: {fl.tail(agent.err)}")

        snap = fl.spool_snapshot(state, fleet.path("spool-copy"))
        fl.check(snap["integrity"] == [("ok",)], f"spool integrity: {snap['integrity']}")
        highest = snap["meta"].get("last_sequence", 0)
        held = set(snap["sequences"])
        delivered = set(range(1, acked + 1)) | held
        lost = highest - len(delivered)
        fl.log(f"spool before the collector returns: counter {highest}, holds {len(held)} "
               f"({min(held)}..{max(held)}), acked {acked}: {lost} events lost; "
               f"the spool's own lost records: {snap['lost']}")
        fl.check(lost > 0, "the outage did not overflow the spool; make more events")
        fl.check(max(held) == highest, f"the newest event {highest} is not in the spool")
        fl.check(sum(r[2] for r in snap["lost"]) == lost,
                 f"the spool's own lost records {snap['lost']} do not count {lost} events")

        collector, _ = fleet.start_collector(db, port=port, prefix=ns.prefix())
        agent = fleet.start_agent("ws1", state, port, extra=agent_args, prefix=ns.prefix())
        fl.wait_until(lambda: fl.acked_sequence(db, "ws1") >= highest, 60,
                      f"the collector to acknowledge through {highest}")
        code = agent.stop(signal.SIGTERM, timeout=60)
        fl.check(code == 0, f"restarted agent exited {code}: {fl.tail(agent.err)}")

        seqs = [int(r["event"]["sequence"])
                for r in fleet.json_lines("events", "--db", db, "--agent", "ws1", "--json")]
        fl.check(len(seqs) == len(set(seqs)), "a sequence is stored twice")
        fl.check(set(seqs) == delivered,
                 f"stored {len(seqs)} events; expected the {len(delivered)} acked or spooled "
                 f"(missing {sorted(delivered - set(seqs))[:5]}, "
                 f"unexpected {sorted(set(seqs) - delivered)[:5]})")
        gaps = fl.query(db, "SELECT first_sequence, last_sequence, missing, reason FROM gaps "
                            "WHERE agent_id = 'ws1'")
        fl.log(f"collector gap records: {gaps}")
        fl.check(sum(g[2] for g in gaps) == lost,
                 f"gap records count {sum(g[2] for g in gaps)} missing events, {lost} were lost")
        fl.check(len(gaps) == 1 and gaps[0][3] == "spool_full",
                 f"expected one spool_full gap, got {gaps}")

        hosts = [h for h in fleet.json_lines("hosts", "--db", db, "--json")
                 if h["agentId"] == "ws1"]
        fl.check(len(hosts) == 1, f"hosts lists ws1 {len(hosts)} times")
        h = hosts[0]
        fl.check(h["hostname"] == socket.gethostname(), f"hosts: hostname {h['hostname']}")
        fl.check(h["lostEvents"] == lost and h["gaps"] == 1,
                 f"hosts shows lostEvents={h['lostEvents']} gaps={h['gaps']}, "
                 f"expected {lost} and 1: {h}")
        agents = [a for a in fleet.json_lines("agents", "--db", db, "--json")
                  if a["agentId"] == "ws1"]
        fl.check(int(agents[0]["lostEvents"]) == lost,
                 f"agents shows lostEvents={agents[0]['lostEvents']}, expected {lost}")
        collector.stop(signal.SIGTERM)
        fl.log(f"the gap of {lost} events arrived exactly and hosts shows it")
    finally:
        for p in fleet.processes:
            if p.alive():
                p.stop(signal.SIGKILL)
        ns.close()


if __name__ == "__main__":
    fl.run_test("spool_overflow", body, needs_root=True)
