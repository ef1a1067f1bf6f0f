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
  5. bad usage and unreadable input: exit 3 with a message naming the problem;
  6. --dmarc with real reports (tests/testdata, from parsedmarc; XML, RFC 9990,
     gzip): messages per source across reports and "ours" as Python's own XML
     reading and the site's egress say; another domain's report skipped; an
     empty report refused with exit 3;
  7. --complaint: a bounce (with a bot-forged bottom hop) whose message entered
     the recipient's system from our egress during the outbreak names the
     infected host and only it; from an outside address: "not ours"; a file
     that is not a mail: exit 3.

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


DMARC_DIR = os.path.join(ROOT, "tests", "testdata", "dmarc", "parsedmarc", "aggregate")
DMARC_FILES = ["example.net!example.com!1529366400!1529452799.xml",
               "usssa.com!example.com!1538784000!1538870399.xml",
               "veeam.com!example.com!1530133200!1530219600.xml",
               "rfc9990-example.net!example.com!1700000000!1700086399.xml",
               "fastmail.com!example.com!1516060800!1516147199!102675056.xml.gz"]


def dmarc_oracle(ours):
    import gzip
    import xml.etree.ElementTree as ET
    per_source, skipped = {}, 0
    for name in DMARC_FILES:
        path = os.path.join(DMARC_DIR, name)
        data = gzip.open(path).read() if name.endswith(".gz") else open(path, "rb").read()
        root = ET.fromstring(data)
        ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
        if root.findtext(f"{ns}policy_published/{ns}domain") != "example.com":
            skipped += 1
            continue
        for rec in root.findall(f"{ns}record"):
            ip = rec.findtext(f"{ns}row/{ns}source_ip")
            per_source[ip] = per_source.get(ip, 0) + int(rec.findtext(f"{ns}row/{ns}count"))
    return {ip: (n, ip in ours) for ip, n in per_source.items()}, skipped


def check_dmarc(fleet, db, window):
    rules = fleet.path("rules-dmarc")
    os.makedirs(rules)
    for f in ("worms.textproto", "detection.textproto"):
        subprocess.run(["cp", os.path.join(ROOT, "rules", f), rules], check=True)
    with open(os.path.join(rules, "site.textproto"), "w") as f:
        f.write('name: "dmarc-test" internal_networks: "10.0.0.0/8" '
                'public_egress { name: "nat" addresses: "199.230.200.36" } '
                'mail_domains: "example.com" clean_coverage: 0.9\n')
    args = []
    for name in DMARC_FILES:
        args += ["--dmarc", os.path.join(DMARC_DIR, name)]
    code, js, err = audit(fleet, "--db", db, "--rules", rules, *window, "--format", "json", *args)
    fl.check(code in (0, 1, 2), f"audit with --dmarc exited {code}: {err}")
    d = json.loads(js)["dmarc"]
    want, skipped = dmarc_oracle({"199.230.200.36"})
    got = {s["source_ip"]: (int(s["messages"]), bool(s.get("ours", False)))
           for s in d.get("sources", [])}
    fl.check(got == want, f"DMARC per source {got}, want {want}")
    fl.check(len(d.get("skipped", [])) == skipped, f"skipped {d.get('skipped')}, want {skipped}")
    fl.check(int(d["messages"]) == sum(n for n, _ in want.values()) and
             int(d["messages_from_ours"]) == sum(n for n, o in want.values() if o),
             f"DMARC totals {d['messages']}/{d.get('messages_from_ours')} disagree with {want}")
    # An unreadable report: exit 3, naming it.
    code, _, err = audit(fleet, "--db", db, "--rules", rules, *window, "--dmarc",
                         os.path.join(DMARC_DIR, "EMPTY__empty.xml"))
    fl.check(code == 3 and "EMPTY__empty.xml" in err, f"empty report: exit {code}, {err!r}")


BOUNCE = """\
From: MAILER-DAEMON@recipient.example
To: postmaster@example-corp.test
Subject: Undelivered Mail Returned to Sender
Date: Tue, 03 Mar 2026 09:20:00 +0000
Message-ID: <bounce-1@recipient.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

Your message was rejected: it contained the virus W32.Mydoom.A@mm.

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx-in.recipient.example
Final-Recipient: rfc822; victim@recipient.example
Action: failed
Status: 5.7.1

--b1
Content-Type: message/rfc822

Received: from mx-in.recipient.example (mx-in.recipient.example [192.0.2.200])
\tby store.recipient.example with LMTP id q1; Tue, 03 Mar 2026 09:03:01 +0000
Received: from ws07.example-corp.test (unknown [ORIGIN])
\tby mx-in.recipient.example with ESMTP id q0 for <victim@recipient.example>;
\tTue, 03 Mar 2026 09:03:00 +0000
Received: from trusted-bank.example (bank [203.0.113.77]) by relay.bank.example;
\tTue, 03 Mar 2026 09:02:59 +0000
From: "Support" <support@example-corp.test>
To: victim@recipient.example
Subject: =?UTF-8?B?VGVzdCDDpA==?=
Date: Tue, 03 Mar 2026 09:02:58 +0000
Message-ID: <worm-1@example-corp.test>

The attachment is your document.
--b1--
"""


def check_complaints(fleet, base):
    ours = fleet.path("bounce-ours.eml")
    with open(ours, "w") as f:
        f.write(BOUNCE.replace("ORIGIN", "198.51.100.10"))
    code, js, err = audit(fleet, *base, "--format", "json", "--complaint", ours)
    fl.check(code == 1, f"complaint from our egress: exit {code}: {err}")
    c = json.loads(js)["complaints"][0]
    fl.check(c["origin_ip"] == "198.51.100.10" and c.get("origin_is_ours"),
             f"origin {c.get('origin_ip')} ours={c.get('origin_is_ours')}: {c.get('boundary')}")
    fl.check(c["subject"] == "Test \u00e4", f"subject not RFC 2047 decoded: {c['subject']!r}")
    fl.check(c["message_id"] == "worm-1@example-corp.test", f"message id {c['message_id']!r}")
    suspects = {s["host"] for s in c.get("suspects", [])}
    fl.check(suspects == {"10.20.1.7"}, f"suspects {suspects}, want only the infected 10.20.1.7")
    untrusted = [h.get("untrusted", False) for h in c["hops"]]
    fl.check(untrusted == [False, False, True], f"hop trust {untrusted}, want the bottom untrusted")
    other = fleet.path("bounce-other.eml")
    with open(other, "w") as f:
        f.write(BOUNCE.replace("ORIGIN", "203.0.113.50"))
    code, js, err = audit(fleet, *base, "--format", "json", "--complaint", other)
    c = json.loads(js)["complaints"][0]
    fl.check(not c.get("origin_is_ours") and "203.0.113.50, which is not ours" in c["decision"]
             and not c.get("suspects"), f"outside origin: {c['decision']!r} {c.get('suspects')}")
    # Not a mail: exit 3 naming the file.
    junk = fleet.path("junk.eml")
    with open(junk, "wb") as f:
        f.write(b"\x00\x01binary garbage" * 100)
    code, _, err = audit(fleet, *base, "--complaint", junk)
    fl.check(code == 3 and "junk.eml" in err, f"junk complaint: exit {code}, {err!r}")


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

        # 7. Complaints: a bounce whose message entered the recipient's system from our
        # egress address during the outbreak names the infected host, and only it; the
        # same message from an outside address is "not ours". A bot-written bottom hop
        # is shown as untrusted.
        check_complaints(fleet, base)

        # 6. DMARC reports (tests/testdata, from parsedmarc): per source, counted across
        # reports (plain XML, RFC 9990, gzip), ours per the site's public egress; a
        # report about another domain is skipped. The oracle is Python's own XML reading.
        check_dmarc(fleet, db1, window)
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
