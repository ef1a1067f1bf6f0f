#!/usr/bin/env python3
"""The audit's answer depends on coverage, with live agents and real heartbeats.

Two real agents capture live on `lo` (root) and report to a real collector with
a heartbeat every second. Agent wsA runs throughout; wsB runs, is stopped for
RUN seconds, and runs again. Then, for the whole period (the site requires half
of the hosts watched for the whole window, so coverage alone allows "clean"):
  - a complaint whose message entered the recipient's system from an outside
    address while both agents were watched -> exit 0, clean, "not ours";
  - the same complaint timed while wsB was stopped -> exit 2, inconclusive
    (a coverage gap at the complaint's time), never clean;
  - the coverage section shows wsB's gap, start and end within a heartbeat of
    when it was stopped and restarted.

usage: check_audit_coverage.py --build-dir BUILD   (root: live capture)
"""
import argparse
import datetime
import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "fault"))
sys.path.insert(0, HERE)
import faultlib as fl  # noqa: E402
from check_audit_cli import BOUNCE  # noqa: E402

RUN = 6  # seconds each stretch lasts


def utc(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc)


def rfc3339(t):
    return utc(t).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc5322(t):
    return utc(t).strftime("%a, %d %b %Y %H:%M:%S +0000")


def complaint(fleet, name, at):
    text = BOUNCE.replace("ORIGIN", "203.0.113.50")
    for old in ("Tue, 03 Mar 2026 09:03:01 +0000", "Tue, 03 Mar 2026 09:03:00 +0000",
                "Tue, 03 Mar 2026 09:02:59 +0000", "Tue, 03 Mar 2026 09:02:58 +0000"):
        text = text.replace(old, rfc5322(at))
    path = fleet.path(name)
    with open(path, "w") as f:
        f.write(text)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build-dir", required=True)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("check_audit_coverage: needs root for live capture; skipped")
        sys.exit(77)
    fleet = fl.Fleet(args.build_dir, "audit-cov")
    ok = False
    try:
        rules = fleet.path("rules")
        os.makedirs(rules)
        for f in ("worms.textproto", "detection.textproto"):
            subprocess.run(["cp", os.path.join(ROOT, "rules", f), rules], check=True)
        with open(os.path.join(rules, "site.textproto"), "w") as f:
            f.write('name: "lab" internal_networks: "10.0.0.0/8" '
                    'public_egress { name: "nat" addresses: "198.51.100.10" } '
                    'mail_domains: "example-corp.test" clean_coverage: 0.5\n')
        db = fleet.path("c.db")
        collector, port = fleet.start_collector(db, extra=["--rules", rules])
        live = ["--interface", "lo", "--heartbeat-interval", "1"]
        beats = lambda aid: [r[0] / 1e6 for r in fl.query(  # noqa: E731
            db, "SELECT time_us FROM heartbeats WHERE agent_id = ? ORDER BY time_us", (aid,))]

        start = time.time()
        a = fleet.start_agent("wsA", fleet.path("state", "wsA"), port, extra=live)
        b = fleet.start_agent("wsB", fleet.path("state", "wsB"), port, extra=live)
        fl.wait_until(lambda: len(beats("wsA")) >= 2 and len(beats("wsB")) >= 2, 30,
                      "both agents heartbeating")
        t_both = time.time()  # both watched from here
        fl.wait_until(lambda: time.time() - t_both >= RUN, RUN + 5, "first stretch", interval=0.2)
        b.stop(signal.SIGTERM, timeout=30)
        stopped = time.time()
        fl.wait_until(lambda: time.time() - stopped >= RUN, RUN + 5, "the stop", interval=0.2)
        b = fleet.start_agent("wsB", fleet.path("state", "wsB"), port, extra=live)
        restarted = time.time()
        n = len(beats("wsB"))
        fl.wait_until(lambda: len(beats("wsB")) >= n + 2, 30, "wsB back")
        fl.wait_until(lambda: time.time() - restarted >= RUN, RUN + 5, "last stretch",
                      interval=0.2)
        end = time.time()
        a.stop(signal.SIGTERM, timeout=30)
        b.stop(signal.SIGTERM, timeout=30)
        collector.stop(signal.SIGTERM, timeout=30)

        window = ["--from", rfc3339(t_both + 1), "--to", rfc3339(end - 2)]
        base = ["audit", "--db", db, "--rules", rules, *window, "--skew", "1s",
                "--format", "json"]
        # While both were watched: clean.
        covered = complaint(fleet, "covered.eml", t_both + RUN / 2)
        r = subprocess.run([fleet.collector_bin, *base, "--complaint", covered],
                           capture_output=True, text=True)
        rep = json.loads(r.stdout) if r.stdout else {}
        fl.check(r.returncode == 0 and rep["verdict"]["kind"] == "clean",
                 f"covered complaint: exit {r.returncode}, {rep.get('verdict')} {r.stderr}")
        fl.check("203.0.113.50, which is not ours" in rep["verdict"]["sentence"],
                 f"sentence: {rep['verdict']['sentence']}")
        hosts = {h["agent_id"]: h for h in rep["coverage"]["hosts"]}
        fl.check(hosts["wsA"]["watched"] == "whole" and hosts["wsB"]["watched"] == "partial",
                 f"coverage {[(k, h['watched']) for k, h in hosts.items()]}")
        gaps = hosts["wsB"].get("gaps", [])
        fl.check(len(gaps) == 1, f"wsB gaps {gaps}, want exactly the stop")
        g0 = datetime.datetime.fromisoformat(gaps[0]["start"].replace("Z", "+00:00")).timestamp()
        g1 = datetime.datetime.fromisoformat(gaps[0]["end"].replace("Z", "+00:00")).timestamp()
        fl.check(stopped - 2 <= g0 <= stopped + 0.5 and restarted - 0.5 <= g1 <= restarted + 5,
                 f"gap {gaps[0]} vs stop {rfc3339(stopped)} .. restart {rfc3339(restarted)}")
        # While wsB was stopped: inconclusive, never clean.
        gap = complaint(fleet, "gap.eml", (stopped + restarted) / 2)
        r = subprocess.run([fleet.collector_bin, *base, "--complaint", gap],
                           capture_output=True, text=True)
        rep = json.loads(r.stdout) if r.stdout else {}
        fl.check(r.returncode == 2 and rep["verdict"]["kind"] == "inconclusive",
                 f"complaint in the gap: exit {r.returncode}, {rep.get('verdict')} {r.stderr}")
        fl.log(f"clean while covered, inconclusive in wsB's gap {gaps[0]['start']} .. "
               f"{gaps[0]['end']} (run took {time.time() - start:.0f} s)")
        ok = True
    finally:
        fleet.cleanup(ok)
    print("check_audit_coverage: all checks passed")


if __name__ == "__main__":
    try:
        main()
    except fl.TestFailure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
