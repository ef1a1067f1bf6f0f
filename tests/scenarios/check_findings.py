#!/usr/bin/env python3
"""The detection rules judged on the company scenarios, end to end.

For each scenario of gen_company.py: a real collector (`serve --rules`, TLS,
SQLite) receives the capture from a real agent (`--read --collector`), the live
detector judges it as it arrives, and afterwards:
  1. `findings --rules --json` (re-judging the stored events) gives exactly the
     verdicts the scenario's truth.json expects — who is flagged, with which
     severities, and that nobody else is;
  2. the live detector's stored findings (`findings --live --json`) are
     identical to the re-judged ones: one evaluation, live and on history.
Plus a real trace (tests/testdata, from ID2T): a single SMB check to 445 is not a
scan (no worm-scanning finding).

usage: check_findings.py --build-dir BUILD [--scenario N]
"""
import argparse
import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "fault"))
import faultlib as fl  # noqa: E402

SEVERITY_RANK = {"notice": 1, "suspicious": 2, "mass-mailing": 3, "worm-scanning": 4}
PROTO_SEVERITY = {"SEVERITY_NOTICE": "notice", "SEVERITY_SUSPICIOUS": "suspicious",
                  "SEVERITY_MASS_MAILING": "mass-mailing",
                  "SEVERITY_WORM_SCANNING": "worm-scanning"}
TESTDATA = os.path.join(ROOT, "tests", "testdata", "pcap")  # copies of ../shared/testdata


def rules_dir(tmp, site_text):
    d = os.path.join(tmp, "rules")
    os.makedirs(d, exist_ok=True)
    for f in ("worms.textproto", "detection.textproto"):
        shutil.copy(os.path.join(ROOT, "rules", f), d)
    with open(os.path.join(d, "site.textproto"), "w") as out:
        out.write(site_text)
    return d


def judge(fleet, name, capture, rules, window, flagged_hosts=()):
    """Replays `capture` through a live collector; returns (rejudged, live) reports."""
    db = fleet.path(f"{name}.db")
    collector, port = fleet.start_collector(db, extra=["--rules", rules])
    agent = fleet.start_agent(f"capture-{name}", fleet.path("state", name), port,
                              extra=["--read", capture])
    code = agent.wait(120)
    fl.check(code == 0, f"agent on {capture} exited {code}: {fl.tail(agent.err, 5)}")
    # Live: each host the scenario expects flagged is flagged while the
    # collector runs (its judging round comes every second), not only at exit.
    for host in flagged_hosts:
        collector.wait_for_line(collector.err, rf"finding: host {re.escape(host)} ", 30)
    # SIGTERM: the collector judges what it holds once more and stores it.
    collector.stop(signal.SIGTERM, timeout=30)
    frm, to = window
    rejudged = json.loads(fleet.collector_cli("findings", "--db", db, "--rules", rules,
                                              "--from", frm, "--to", to, "--json"))
    live = json.loads(fleet.collector_cli("findings", "--db", db, "--live", "--from", frm,
                                          "--to", to, "--json"))
    # Each live finding was also logged once, as it appeared.
    logged = fl.read_text(collector.err)
    lines = collections.Counter(
        f"finding: host {f['host']} (agent {f['agent_id']}) is "
        f"{PROTO_SEVERITY[f['severity']]} by rule {f['rule']}:" for f in live.get("findings", []))
    for line, n in lines.items():
        fl.check(logged.count(line) == n, f"{name}: the collector logged /{line}/ "
                                          f"{logged.count(line)} times, not {n}")
    return rejudged, live


def severities(report):
    by_host = {}
    for f in report.get("findings", []):
        by_host.setdefault(f["host"], set()).add(PROTO_SEVERITY[f["severity"]])
    return by_host


def check_expected(name, report, expected):
    got = severities(report)
    flagged = expected["flagged"]
    for host, want in flagged.items():
        have = got.get(host, set())
        worst = max((SEVERITY_RANK[s] for s in have), default=0)
        if "must_include" in want:
            missing = set(want["must_include"]) - have
            fl.check(not missing, f"{name}: {want.get('name', host)} ({host}) lacks "
                                  f"{sorted(missing)}; has {sorted(have)}")
        if "max_severity" in want:
            fl.check(worst == SEVERITY_RANK[want["max_severity"]],
                     f"{name}: {host} worst is {worst}, want {want['max_severity']}")
        if "at_most" in want:
            fl.check(worst <= SEVERITY_RANK[want["at_most"]],
                     f"{name}: {host} has {sorted(have)}, want at most {want['at_most']}")
    others = {h: sorted(s) for h, s in got.items() if h not in flagged}
    fl.check(expected.get("others") == "none" and not others,
             f"{name}: hosts flagged that should not be: {others}")
    return got


def check_live_equals_rejudged(name, rejudged, live):
    a, b = rejudged.get("findings", []), live.get("findings", [])
    fl.check(len(a) == len(b), f"{name}: re-judged {len(a)} findings, live stored {len(b)}")
    for x, y in zip(a, b):
        fl.check(x == y, f"{name}: live and re-judged differ:\n  live     {y}\n  rejudged {x}")
    fl.check(rejudged.get("verdicts", []) == live.get("verdicts", []),
             f"{name}: verdicts differ: {rejudged.get('verdicts')} vs {live.get('verdicts')}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--scenario", type=int, action="append")
    args = ap.parse_args()
    fleet = fl.Fleet(args.build_dir, "findings")
    ok = False
    try:
        caps = os.path.join(fleet.tmp, "captures")
        subprocess.run([sys.executable, os.path.join(HERE, "gen_company.py"), "--out", caps],
                       check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(HERE, "site.textproto")) as f:
            rules = rules_dir(fleet.tmp, f.read())
        truths = sorted(p for p in os.listdir(caps) if p.endswith(".truth.json"))
        fl.check(len(truths) == 6, f"expected 6 scenarios, found {truths}")
        for t in truths:
            with open(os.path.join(caps, t)) as f:
                truth = json.load(f)
            n = truth["scenario"]
            if args.scenario and n not in args.scenario:
                continue
            name = f"scenario {n} ({truth['slug']})"
            rejudged, live = judge(fleet, f"s{n}", os.path.join(caps, truth["pcap"]), rules,
                                   (truth["start"], truth["end"]),
                                   flagged_hosts=list(truth["expected"]["flagged"]))
            fl.check(int(rejudged["events_judged"]) > 0, f"{name}: no event was judged")
            got = check_expected(name, rejudged, truth["expected"])
            check_live_equals_rejudged(name, rejudged, live)
            fl.log(f"{name}: {len(rejudged.get('findings', []))} findings, live = re-judged; "
                   f"flagged {({h: sorted(s) for h, s in got.items()})}")

        # A real trace: one SMB connection from 192.168.189.138 to a single host on 445.
        trace = os.path.join(TESTDATA, "id2t", "Win7_eternalblue_scan.pcap")
        if not args.scenario:
            fl.check(os.path.exists(trace), f"{trace} is missing")
            site = ('name: "lab" internal_networks: "192.168.189.0/24" '
                    'mail_domains: "lab.example" clean_coverage: 1\n')
            lab = rules_dir(os.path.join(fleet.tmp, "lab"), site)
            rejudged, live = judge(fleet, "eternalblue", trace, lab,
                                   ("2000-01-01", "2100-01-01"))
            got = severities(rejudged)
            fl.check(int(rejudged["events_judged"]) >= 1, "the 445 contact was not reported")
            fl.check(all("worm-scanning" not in s for s in got.values()),
                     f"a single 445 check was judged a scan: {got}")
            check_live_equals_rejudged("eternalblue", rejudged, live)
            fl.log(f"Win7_eternalblue_scan: {rejudged['events_judged']} events, flagged {got}")
        ok = True
    finally:
        fleet.cleanup(ok)
    print("check_findings: all scenarios judged as expected")


if __name__ == "__main__":
    try:
        main()
    except fl.TestFailure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
