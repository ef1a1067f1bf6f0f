#!/usr/bin/env python3
"""`cleansweep-collector audit` and `audit verify` through the real binaries.

Scenario captures (tests/scenarios/gen_company.py) are replayed by a real
agent into a real collector (TLS, SQLite); then, with the collector stopped
(the audit reads the store directly):
  1. the Mydoom-style outbreak window: exit 1, the infected host named with
     its findings; every format (text, json, html) gives the same verdict;
  2. the JSON report verifies (`audit verify`, exit 0), also signed with an
     Ed25519 key made by openssl and checked against its public key; a report
     with one character changed does not (exit 1);
  3. --audience external: no internal address, host name or agent id anywhere;
  4. the relay scenario (no finding) with no host watched for the window:
     inconclusive, exit 2, never clean;
  5. bad usage and unreadable input: exit 3 with a message naming the problem.

usage: check_audit_cli.py --build-dir BUILD
"""
import argparse
import json
import os
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "fault"))
import faultlib as fl  # noqa: E402


def replay(fleet, name, capture, rules):
    db = fleet.path(f"{name}.db")
    collector, port = fleet.start_collector(db, extra=["--rules", rules])
    agent = fleet.start_agent(f"capture-{name}", fleet.path("state", name), port,
                              extra=["--read", capture])
    fl.check(agent.wait(120) == 0, f"agent on {capture} failed: {fl.tail(agent.err, 5)}")
    collector.stop(signal.SIGTERM, timeout=30)
    return db


def audit(fleet, *args):
    r = subprocess.run([fleet.collector_bin, "audit", *args], capture_output=True, text=True,
                       timeout=120)
    return r.returncode, r.stdout, r.stderr


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build-dir", required=True)
    args = ap.parse_args()
    fleet = fl.Fleet(args.build_dir, "audit")
    ok = False
    try:
        caps = fleet.path("captures")
        subprocess.run([sys.executable, os.path.join(ROOT, "tests", "scenarios", "gen_company.py"),
                        "--out", caps], check=True, stdout=subprocess.DEVNULL)
        rules = fleet.path("rules")
        os.makedirs(rules)
        for f in ("worms.textproto", "detection.textproto"):
            subprocess.run(["cp", os.path.join(ROOT, "rules", f), rules], check=True)
        subprocess.run(["cp", os.path.join(ROOT, "tests", "scenarios", "site.textproto"),
                        os.path.join(rules, "site.textproto")], check=True)
        truth = {}
        for n, slug in ((1, "mydoom_outbreak"), (2, "relay_delivery")):
            with open(os.path.join(caps, f"scenario_{n}_{slug}.truth.json")) as f:
                truth[n] = json.load(f)

        # 1. The outbreak: infected, exit 1, the host named.
        db1 = replay(fleet, "s1", os.path.join(caps, truth[1]["pcap"]), rules)
        window = ["--from", truth[1]["start"], "--to", truth[1]["end"]]
        base = ["--db", db1, "--rules", rules, *window]
        code, text, err = audit(fleet, *base)
        fl.check(code == 1, f"outbreak audit exited {code}, want 1: {err}")
        fl.check("Verdict: infected" in text, f"no infected verdict in:\n{text[:2000]}")
        fl.check("10.20.1.7" in text and "mass-mailing" in text,
                 f"the infected host 10.20.1.7 is not named as mass-mailing:\n{text[:3000]}")
        code_j, js, err = audit(fleet, *base, "--format", "json")
        fl.check(code_j == 1, f"json audit exited {code_j}: {err}")
        report = json.loads(js)
        fl.check(report["verdict"]["kind"] == "infected", f"json verdict {report['verdict']}")
        flagged = {v["host"] for v in report["findings"].get("verdicts", [])
                   if v["severity"] in ("SEVERITY_MASS_MAILING", "SEVERITY_WORM_SCANNING")}
        fl.check(flagged == {"10.20.1.7"}, f"flagged hosts {flagged}, want only 10.20.1.7")
        direct = [e for e in report.get("egress", []) if e["host"] == "10.20.1.7"]
        want = truth[1]["hosts"]["10.20.1.7"]["smtp_by_port"]
        fl.check(direct and int(direct[0]["smtp_direct_external"]["count"]) == want["25"]["sessions"]
                 and int(direct[0]["smtp_direct_external"]["distinct"]) ==
                 want["25"]["distinct_destinations"]
                 and int(direct[0]["smtp_via_relay"]["count"]) == want["587"]["sessions"],
                 f"egress of 10.20.1.7 {direct} disagrees with the generator's truth")
        code_h, html, err = audit(fleet, *base, "--format", "html")
        fl.check(code_h == 1 and html.startswith("<!DOCTYPE html>") and "infected" in html,
                 f"html audit exited {code_h}: {err}")
        fl.check("<script" not in html.lower(), "the HTML report contains a script element")

        # 2. Verify: intact, signed, tampered.
        plain = fleet.path("report.json")
        code, _, err = audit(fleet, *base, "--format", "json", "--out", plain)
        fl.check(code == 1, f"audit --out exited {code}: {err}")
        r = subprocess.run([fleet.collector_bin, "audit", "verify", plain], capture_output=True,
                           text=True)
        fl.check(r.returncode == 0 and "verified" in r.stdout, f"verify: {r.stdout}{r.stderr}")
        key, pub = fleet.path("audit.key"), fleet.path("audit.pub")
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", key], check=True)
        subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-out", pub], check=True)
        signed = fleet.path("signed.json")
        code, _, err = audit(fleet, *base, "--format", "json", "--out", signed,
                             "--signing-key", key)
        fl.check(code == 1, f"signed audit exited {code}: {err}")
        r = subprocess.run([fleet.collector_bin, "audit", "verify", signed, "--public-key", pub],
                           capture_output=True, text=True)
        fl.check(r.returncode == 0 and "signature valid" in r.stdout,
                 f"signed verify: {r.stdout}{r.stderr}")
        with open(signed) as f:
            doc = json.load(f)
        doc["verdict"]["kind"] = "clean"
        tampered = fleet.path("tampered.json")
        with open(tampered, "w") as f:
            json.dump(doc, f)
        r = subprocess.run([fleet.collector_bin, "audit", "verify", tampered], capture_output=True,
                           text=True)
        fl.check(r.returncode == 1 and "NOT VERIFIED" in r.stdout,
                 f"a tampered report verified: {r.stdout}{r.stderr}")

        # 3. External audience: nothing internal.
        code, ext, err = audit(fleet, *base, "--format", "json", "--audience", "external")
        fl.check(code == 1, f"external audit exited {code}: {err}")
        for secret in ("10.20.", "2001:db8:20:", "capture-s1", "ws07"):
            fl.check(secret not in ext, f"external report contains {secret!r}")

        # 4. No finding, nobody watched: inconclusive, never clean.
        db2 = replay(fleet, "s2", os.path.join(caps, truth[2]["pcap"]), rules)
        code, text, err = audit(fleet, "--db", db2, "--rules", rules, "--from", truth[2]["start"],
                                "--to", truth[2]["end"])
        fl.check(code == 2 and "Verdict: inconclusive" in text,
                 f"relay scenario without coverage exited {code}:\n{text[:1500]}{err}")

        # 5. Bad usage and unreadable input: 3, with a message.
        for bad_args, expect in (
                (["--db", db1, "--rules", rules], "--from"),
                (["--db", db1, "--rules", rules, *window, "--format", "pdf"], "--format"),
                (["--db", fleet.path("missing.db"), "--rules", rules, *window], "missing.db"),
                (["--db", db1, "--rules", fleet.path("nope"), *window], "nope"),
                (["--db", db1, "--rules", rules, "--from", "yesterday-ish"], "--from"),
                (["--db", db1, "--rules", rules, *window, "--signing-key", fleet.path("no.key")],
                 "no.key"),
                (["--bogus"], "bogus")):
            code, _, err = audit(fleet, *bad_args)
            fl.check(code == 3 and expect in err,
                     f"audit {bad_args} exited {code} (want 3) with: {err!r}")
        r = subprocess.run([fleet.collector_bin, "audit", "verify", fleet.path("captures")],
                           capture_output=True, text=True)
        fl.check(r.returncode == 3, f"verify of a directory exited {r.returncode}: {r.stderr}")
        ok = True
    finally:
        fleet.cleanup(ok)
    print("check_audit_cli: all checks passed")


if __name__ == "__main__":
    try:
        main()
    except fl.TestFailure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
