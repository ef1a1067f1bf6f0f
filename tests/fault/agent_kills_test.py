#!/usr/bin/env python3
"""An agent capturing live is killed with SIGKILL 50 times and restarted.

A workstation namespace joined to an "internet" namespace by a veth pair; a
generator in the workstation makes refused connection attempts to worm ports
the whole time (one event each). The agent captures on the veth with a
--state-dir spool and a collector in the workstation namespace. Kills 1-25
happen with the collector up, kills 26-50 with it down (the spool holds a
backlog when it dies); each kill follows an observed spool write after the
agent said it was capturing, and every other kill with the collector up
follows the collector storing more of the agent's events.

After each kill: a copy of the spool (spool.db + its WAL, as the crash left
them) opens and passes PRAGMA integrity_check, and its highest sequence is
recorded (oracle: the agent had written every sequence up to it).
At the end, with the collector up and the last agent stopped cleanly (exit 0,
spool empty): the collector holds the sequences 1..L exactly once each (L =
the spool's final last sequence, at least every recorded maximum), and no
lost-event gap.

usage: agent_kills_test.py BUILD_DIR   (root: network namespaces)
"""
import os
import signal

import faultlib as fl

KILLS = 50
COLLECTOR_DOWN_FROM = 26


def body(fleet):
    tag = f"cf{os.getpid() % 100000}"
    ns = fl.NetnsPair(tag, subnet=1)
    traffic = None
    try:
        db = fleet.path("collector.db")
        collector, port = fleet.start_collector(db, prefix=ns.prefix())
        counter = fleet.path("attempts")
        script = fleet.path("traffic.py")
        with open(script, "w") as f:
            f.write(fl.TRAFFIC_SCRIPT)
        traffic = fl.Process(["python3", script, ns.net_ip, "0", counter, "2000"],
                             fleet.path("traffic.out"), fleet.path("traffic.err"),
                             prefix=ns.prefix())
        fleet.processes.append(traffic)
        fl.wait_until(lambda: os.path.exists(counter), 30, "the traffic generator to start")

        state = fleet.path("state")
        wal = os.path.join(state, "spool.db-wal")
        scratch = fleet.path("spool-copy")
        oracle = 0
        highest = []
        agent_args = ["--interface", ns.ifname, "--heartbeat-interval", "1"]
        for k in range(1, KILLS + 1):
            if k == COLLECTOR_DOWN_FROM:
                fl.check(fl.stored_count(db) > 0, "nothing delivered while the collector was up")
                collector.stop(signal.SIGKILL)
                fl.log(f"collector killed before agent kill {k}; "
                       f"{fl.stored_count(db)} events stored")
            agent = fleet.start_agent("ws1", state, port, extra=agent_args, prefix=ns.prefix())
            agent.wait_for_line(agent.err, r"capturing on", 30)
            before = os.stat(wal).st_mtime_ns if os.path.exists(wal) else 0

            def spool_written():
                if not agent.alive():
                    raise fl.TestFailure(f"agent exited early: {fl.tail(agent.err)}")
                return os.path.exists(wal) and os.stat(wal).st_mtime_ns != before

            fl.wait_until(spool_written, 30, f"a spool write before kill {k}", interval=0.005)
            if k < COLLECTOR_DOWN_FROM and k % 2 == 1:
                # Half of the kills with the collector up fall while it is
                # receiving: after it stored more of this run's events.
                stored = fl.stored_count(db)
                fl.wait_until(lambda: spool_written() and fl.stored_count(db) > stored, 30,
                              f"the collector to store more events before kill {k}",
                              interval=0.005)
            code = agent.stop(signal.SIGKILL)
            fl.check(code == -signal.SIGKILL, f"kill {k}: agent exit status {code}, not SIGKILL")
            snap = fl.spool_snapshot(state, scratch)
            fl.check(snap["integrity"] == [("ok",)],
                     f"kill {k}: spool integrity_check says {snap['integrity']}")
            fl.check(not snap["lost"], f"kill {k}: spool recorded lost ranges {snap['lost']}")
            fl.check(snap["last_sequence"] >= oracle,
                     f"kill {k}: spool's last sequence went back from {oracle} to "
                     f"{snap['last_sequence']}")
            oracle = snap["last_sequence"]
            highest.append((oracle, len(snap["sequences"])))
        fl.log(f"{KILLS} kills; spool (last sequence, events held) after each: {highest}")
        held_at_end = highest[-1][1]
        fl.check(held_at_end > 0, "the spool held no backlog when the collector came back")
        fl.check(highest[-1][0] > highest[COLLECTOR_DOWN_FROM - 2][0],
                 "nothing was captured while the collector was down")

        traffic.stop(signal.SIGKILL)
        collector, _ = fleet.start_collector(db, port=port, prefix=ns.prefix())
        agent = fleet.start_agent("ws1", state, port, extra=agent_args, prefix=ns.prefix())
        fl.wait_until(lambda: fl.acked_sequence(db, "ws1") >= oracle, 60,
                      f"the collector to acknowledge through {oracle}")
        code = agent.stop(signal.SIGTERM, timeout=60)
        fl.check(code == 0, f"final agent exited {code}: {fl.tail(agent.err)}")
        final = fl.spool_snapshot(state, scratch)
        fl.check(final["integrity"] == [("ok",)], f"final spool: {final['integrity']}")
        fl.check(not final["sequences"],
                 f"final spool still holds {len(final['sequences'])} events")
        last = final["last_sequence"]
        fl.check(last >= oracle, f"final last sequence {last} < oracle {oracle}")
        collector.stop(signal.SIGTERM)

        seqs = [int(r["event"]["sequence"])
                for r in fleet.json_lines("events", "--db", db, "--agent", "ws1", "--json")]
        dup = len(seqs) - len(set(seqs))
        fl.check(dup == 0, f"{dup} sequences stored more than once")
        missing = sorted(set(range(1, last + 1)) - set(seqs))
        fl.check(not missing, f"{len(missing)} sequences missing at the collector, "
                              f"first {missing[:10]} (oracle {oracle}, last {last})")
        extra = sorted(set(seqs) - set(range(1, last + 1)))
        fl.check(not extra, f"stored sequences beyond the spool's last {last}: {extra[:10]}")
        gaps = fl.query(db, "SELECT first_sequence, last_sequence, missing, reason FROM gaps")
        fl.check(not gaps, f"lost-event gaps recorded: {gaps}")
        fl.log(f"collector holds 1..{last} exactly once (oracle {oracle}; "
               f"{held_at_end} events were waiting in the spool at the last kill)")
    finally:
        if traffic is not None and traffic.alive():
            traffic.stop(signal.SIGKILL)
        for p in fleet.processes:
            if p.alive():
                p.stop(signal.SIGKILL)
        ns.close()


if __name__ == "__main__":
    fl.run_test("agent_kills", body, needs_root=True)
