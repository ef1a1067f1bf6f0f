#!/usr/bin/env python3
"""Runs the company scenarios through the real agent and checks its events.

  check_events.py --agent PATH [--collector PATH] [--keep DIR]

1. Runs gen_company.py twice into two temporary directories: every file must have
   the same SHA-256 both times (the generator is deterministic).
2. Runs `cleansweep-agent --read PCAP --json` on every scenario capture and compares
   the events with the generator's own bookkeeping (scenario_N_*.truth.json), per
   internal client address:
     - SMTP, per server port: sessions and their outcomes, STARTTLS sessions, mail
       transactions, RCPT commands (and those accepted), MAIL FROM in our domain,
       messages accepted, distinct destinations, first and last session start;
       plus the distinct external destinations on 25;
     - MX lookups: number of queries, the exact set of names, NXDOMAIN answers,
       first and last query time;
     - worm ports, per port: contacts and their outcomes, SYNs (retransmissions
       included), distinct destinations, first and last attempt;
   and that nobody else appears, and that the lookups and HTTPS connections the
   agent is meant to ignore produced no event. Every completed SMTP session must
   have been reassembled without holes and closed by FIN, the agent must count no
   malformed input, and tcpdump (a peer decoder) must find every IPv4, TCP and UDP
   checksum of the capture correct.
3. The checked-in inventory.csv equals the generator's company, and site.textproto
   passes `cleansweep-collector rules check` next to the shipped rules.

The oracle is the generator's record of what it wrote, never the agent's output.
Exit 0 when everything matches, 1 otherwise.
"""
import argparse
import calendar
import hashlib
import ipaddress
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
GEN = os.path.join(HERE, "gen_company.py")
SEVERITIES = ["notice", "suspicious", "mass-mailing", "worm-scanning"]
OUTCOMES = {
    "CONNECTION_OUTCOME_ESTABLISHED": "established",
    "CONNECTION_OUTCOME_REFUSED": "refused",
    "CONNECTION_OUTCOME_NO_ANSWER": "no_answer",
}

failures = []


def fail(what):
    failures.append(what)


def to_us(stamp):
    """RFC 3339 UTC ("2026-03-03T09:01:37.248128Z", 0-9 fraction digits) -> microseconds."""
    if stamp is None:
        return None
    stamp = stamp.rstrip("Z")
    base, _, frac = stamp.partition(".")
    sec = calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S"))
    return sec * 1_000_000 + int((frac + "000000")[:6])


def run_generator(out_dir):
    subprocess.run([sys.executable, GEN, "--out", out_dir], check=True, stdout=subprocess.DEVNULL)
    return {name: hashlib.sha256(open(os.path.join(out_dir, name), "rb").read()).hexdigest()
            for name in sorted(os.listdir(out_dir))}


def span(rec, t):
    rec["first"] = t if rec["first"] is None else min(rec["first"], t)
    rec["last"] = t if rec["last"] is None else max(rec["last"], t)


def observed(events, domains, nets, ctx):
    """Folds the agent's events into the truth file's shape (times as microseconds)."""
    hosts = {}

    def host(ip):
        return hosts.setdefault(ip, {"smtp_by_port": {}, "ext25": set(), "worm_ports": {},
                                     "mx_queries": {"queries": 0, "names": set(), "nxdomain": 0,
                                                    "first": None, "last": None}})

    kinds = {"smtp": 0, "dns": 0, "wormPort": 0}
    for e in events:
        if "smtp" in e:
            kinds["smtp"] += 1
            s = e["smtp"]
            cip, sip, port = s["client"]["ip"], s["server"]["ip"], s["server"]["port"]
            where = "%s: SMTP %s:%s -> %s:%s" % (ctx, cip, s["client"]["port"], sip, port)
            outcome = OUTCOMES.get(s.get("outcome"), s.get("outcome"))
            p = host(cip)["smtp_by_port"].setdefault(str(port), {
                "sessions": 0, "established": 0, "refused": 0, "no_answer": 0, "starttls": 0,
                "transactions": 0, "rcpt": 0, "rcpt_accepted": 0, "mail_from_own_domain": 0,
                "data_accepted": 0, "dests": set(), "first": None, "last": None})
            p["sessions"] += 1
            if outcome not in p:
                fail("%s: outcome %s" % (where, outcome))
            else:
                p[outcome] += 1
            p["starttls"] += int(bool(s.get("starttls")))
            for tx in s.get("transactions", []):
                p["transactions"] += 1
                p["rcpt"] += len(tx.get("rcptTo", [])) + int(tx.get("rcptOverflow", 0))
                p["rcpt_accepted"] += int(tx.get("rcptAccepted", 0))
                sender = tx.get("mailFrom", "").lower()
                p["mail_from_own_domain"] += int(any(sender.endswith("@" + d) for d in domains))
                p["data_accepted"] += int(bool(tx.get("dataAccepted")))
            p["transactions"] += int(s.get("transactionsOverflow", 0))
            p["dests"].add(sip)
            span(p, to_us(s["startTime"]))
            if port == 25 and not any(ipaddress.ip_address(sip) in n for n in nets):
                host(cip)["ext25"].add(sip)
            # How each kind of session must look after reassembly.
            reason = s.get("endReason")
            if outcome == "established":
                if reason != "fin" or int(s.get("missingBytes", 0)) != 0 or not s.get("clientSeen") \
                        or not s.get("serverSeen"):
                    fail("%s: established but end %s, missing %s, seen %s/%s" % (
                        where, reason, s.get("missingBytes", 0), s.get("clientSeen"), s.get("serverSeen")))
            elif outcome == "refused" and reason != "rst":
                fail("%s: refused but end %s" % (where, reason))
            elif outcome == "no_answer" and reason not in ("timeout", "capture_end"):
                fail("%s: unanswered but end %s" % (where, reason))
            if port == 443:
                fail("%s: an event for port 443" % where)
        elif "dns" in e:
            kinds["dns"] += 1
            d = e["dns"]
            if d.get("qtype") != 15:
                fail("%s: DNS event for qtype %s (%s), only MX is watched" % (ctx, d.get("qtype"), d.get("name")))
                continue
            if not d.get("answered"):
                fail("%s: MX query %s from %s not matched to its answer" % (ctx, d.get("name"), d["client"]["ip"]))
            m = host(d["client"]["ip"])["mx_queries"]
            m["queries"] += 1
            m["names"].add(d["name"])
            m["nxdomain"] += int(d.get("rcode", 0) == 3)
            if d.get("time") is None:
                fail("%s: MX answer for %s to %s without its query" % (ctx, d.get("name"), d["client"]["ip"]))
            span(m, to_us(d.get("time") or e["time"]))
        elif "wormPort" in e:
            kinds["wormPort"] += 1
            c = e["wormPort"]
            key = "%s/%d" % ("udp" if c.get("transport") == "TRANSPORT_UDP" else "tcp", c["server"]["port"])
            w = host(c["client"]["ip"])["worm_ports"].setdefault(key, {
                "contacts": 0, "established": 0, "refused": 0, "no_answer": 0, "syn_attempts": 0,
                "dests": set(), "first": None, "last": None})
            w["contacts"] += 1
            outcome = OUTCOMES.get(c.get("outcome"), c.get("outcome"))
            if outcome not in w:
                fail("%s: worm contact %s -> %s outcome %s" % (ctx, c["client"]["ip"], c["server"]["ip"], outcome))
            else:
                w[outcome] += 1
            w["syn_attempts"] += int(c.get("attempts", 0))
            w["dests"].add(c["server"]["ip"])
            span(w, to_us(c.get("time")))
        else:
            fail("%s: unknown event kind %s" % (ctx, sorted(e)))
    return hosts, kinds


def compare(truth, obs, ctx):
    want_hosts = truth["hosts"]
    for ip in sorted(set(obs) - set(want_hosts)):
        fail("%s: the agent reported activity of %s, which the generator never produced" % (ctx, ip))
    for ip, want in want_hosts.items():
        where = "%s: %s (%s)" % (ctx, ip, want["name"])
        got = obs.get(ip)
        if got is None:
            fail("%s: no events at all" % where)
            continue

        def eq(what, w, g):
            if w != g:
                fail("%s: %s: truth %r, agent %r" % (where, what, w, g))

        eq("SMTP ports", sorted(want["smtp_by_port"], key=int), sorted(got["smtp_by_port"], key=int))
        for port, wp in want["smtp_by_port"].items():
            gp = got["smtp_by_port"].get(port)
            if gp is None:
                continue
            for field in ("sessions", "established", "refused", "no_answer", "starttls", "transactions",
                          "rcpt", "rcpt_accepted", "mail_from_own_domain", "data_accepted"):
                eq("port %s %s" % (port, field), wp[field], gp[field])
            eq("port %s distinct destinations" % port, wp["distinct_destinations"], len(gp["dests"]))
            eq("port %s first session" % port, to_us(wp["first"]), gp["first"])
            eq("port %s last session" % port, to_us(wp["last"]), gp["last"])
        eq("distinct external destinations on 25", want["smtp_external_destinations_25"], len(got["ext25"]))

        wm, gm = want["mx_queries"], got["mx_queries"]
        eq("MX queries", wm["queries"], gm["queries"])
        eq("MX NXDOMAIN answers", wm["nxdomain"], gm["nxdomain"])
        if sorted(wm["names"]) != sorted(gm["names"]):
            fail("%s: MX names differ: only in truth %s, only in events %s" % (
                where, sorted(set(wm["names"]) - gm["names"])[:5], sorted(gm["names"] - set(wm["names"]))[:5]))
        eq("first MX query", to_us(wm["first"]), gm["first"])
        eq("last MX query", to_us(wm["last"]), gm["last"])

        eq("worm ports", sorted(want["worm_ports"]), sorted(got["worm_ports"]))
        for key, ww in want["worm_ports"].items():
            gw = got["worm_ports"].get(key)
            if gw is None:
                continue
            for field in ("contacts", "established", "refused", "no_answer", "syn_attempts"):
                eq("%s %s" % (key, field), ww[field], gw[field])
            eq("%s distinct destinations" % key, ww["distinct_destinations"], len(gw["dests"]))
            eq("%s first attempt" % key, to_us(ww["first"]), gw["first"])
            eq("%s last attempt" % key, to_us(ww["last"]), gw["last"])


def check_expected(truth, ctx):
    """The expected-verdict block is well formed and names hosts of the scenario."""
    exp = truth.get("expected", {})
    if exp.get("others") != "none":
        fail("%s: expected.others must be \"none\"" % ctx)
    for ip, rule in exp.get("flagged", {}).items():
        if ip not in truth["hosts"]:
            fail("%s: expected names %s, which is not in the capture" % (ctx, ip))
        sev = [rule.get("max_severity"), rule.get("at_most")] + rule.get("must_include", [])
        for s in sev:
            if s is not None and s not in SEVERITIES:
                fail("%s: unknown severity %r" % (ctx, s))
        if "max_severity" in rule and any(SEVERITIES.index(s) > SEVERITIES.index(rule["max_severity"])
                                          for s in rule.get("must_include", [])):
            fail("%s: %s must include a severity above its maximum" % (ctx, ip))


def check_checksums(pcap, frames, ctx):
    """tcpdump (a peer decoder) must find every IPv4, TCP and UDP checksum correct."""
    r = subprocess.run(["tcpdump", "-n", "-vv", "-r", pcap], capture_output=True, text=True)
    if r.returncode != 0:
        fail("%s: tcpdump -r failed: %s" % (ctx, r.stderr.strip()))
        return
    bad = [line for line in r.stdout.splitlines() if "incorrect" in line or "bad cksum" in line
           or "bad udp cksum" in line or "[|domain]" in line]
    good = r.stdout.count("(correct)") + r.stdout.count("[udp sum ok]")
    if bad:
        fail("%s: tcpdump finds %d bad checksums or DNS messages, e.g. %s" % (ctx, len(bad), bad[0].strip()))
    if good != frames:
        fail("%s: tcpdump verified %d transport checksums in %d frames" % (ctx, good, frames))


def check_site(collector, rules_dir):
    inv = subprocess.run([sys.executable, GEN, "--print-inventory"], check=True, capture_output=True,
                         text=True).stdout
    if inv != open(os.path.join(HERE, "inventory.csv")).read():
        fail("tests/scenarios/inventory.csv differs from `gen_company.py --print-inventory`")
    if collector is None:
        return
    with tempfile.TemporaryDirectory(prefix="cs-scen-rules-") as d:
        for f in ("worms.textproto", "detection.textproto"):
            shutil.copy(os.path.join(rules_dir, f), d)
        shutil.copy(os.path.join(HERE, "site.textproto"), os.path.join(d, "site.textproto"))
        shutil.copy(os.path.join(HERE, "inventory.csv"), d)
        r = subprocess.run([collector, "rules", "check", d], capture_output=True, text=True)
        if r.returncode != 0:
            fail("rules check of site.textproto failed (%d): %s%s" % (r.returncode, r.stdout, r.stderr))
        else:
            print("site:", r.stdout.strip())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--agent", required=True, help="cleansweep-agent binary")
    ap.add_argument("--collector", help="cleansweep-collector binary (for `rules check` of site.textproto)")
    ap.add_argument("--rules", default=os.path.join(REPO, "rules"), help="shipped rules directory")
    ap.add_argument("--keep", help="also copy the generated files and the agent's events here")
    args = ap.parse_args()
    if shutil.which("tcpdump") is None:
        print("tcpdump not found (deploy/install-deps.sh installs it): it checks the checksums")
        return 1

    with tempfile.TemporaryDirectory(prefix="cs-scen-") as tmp:
        a, b = os.path.join(tmp, "a"), os.path.join(tmp, "b")
        t0 = time.monotonic()
        sums_a = run_generator(a)
        elapsed = time.monotonic() - t0
        sums_b = run_generator(b)
        if sums_a != sums_b:
            diff = sorted(n for n in set(sums_a) | set(sums_b) if sums_a.get(n) != sums_b.get(n))
            fail("two generator runs differ in %s" % diff)
        size = sum(os.path.getsize(os.path.join(a, n)) for n in sums_a)
        print("generator: %d files, %.1f MB, %.2f s; second run identical: %s"
              % (len(sums_a), size / 1e6, elapsed, sums_a == sums_b))

        truths = sorted(n for n in sums_a if n.endswith(".truth.json"))
        if len(truths) != 6:
            fail("expected 6 scenarios, found %d truth files" % len(truths))
        for name in truths:
            truth = json.load(open(os.path.join(a, name)))
            ctx = "scenario %d" % truth["scenario"]
            pcap = os.path.join(a, truth["pcap"])
            r = subprocess.run([args.agent, "--read", pcap, "--json"], capture_output=True, text=True)
            if r.returncode != 0:
                fail("%s: agent exit %d: %s" % (ctx, r.returncode, r.stderr.strip()))
                continue
            if args.keep:
                with open(os.path.join(a, name.replace(".truth.json", ".events.jsonl")), "w") as f:
                    f.write(r.stdout)
            events = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
            nets = [ipaddress.ip_network(n) for n in truth["internal_networks"]]
            obs, kinds = observed(events, truth["mail_domains"], nets, ctx)
            compare(truth, obs, ctx)
            check_expected(truth, ctx)
            check_checksums(pcap, truth["frames"], ctx)
            st = subprocess.run([args.agent, "--read", pcap, "--stats"], capture_output=True, text=True)
            if "malformed: 0" not in st.stderr:
                fail("%s: the agent counted malformed input: %s" % (ctx, st.stderr.strip()))
            print("%s (%s): %d events: %d smtp, %d dns, %d worm-port; %d internal sources"
                  % (ctx, truth["slug"], len(events), kinds["smtp"], kinds["dns"], kinds["wormPort"], len(obs)))
        if args.keep:
            os.makedirs(args.keep, exist_ok=True)
            for n in os.listdir(a):
                shutil.copy(os.path.join(a, n), args.keep)

    check_site(args.collector, args.rules)

    if failures:
        print("scenario check FAILED (%d):" % len(failures))
        for f in failures[:200]:
            print("  -", f)
        return 1
    print("scenario check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
