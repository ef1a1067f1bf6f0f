#!/usr/bin/env python3
"""Checks the events the collector stored from the live-capture test.

Reads `cleansweep-collector events --json` output on stdin. The expected values
are the ones the test's own traffic generator used (the oracle), not anything
the agent printed.
"""
import json
import sys

ws4, inet4, ws6, inet6 = sys.argv[1:5]
events = []
for line in sys.stdin:
    line = line.strip()
    if line:
        rec = json.loads(line)
        events.append(rec.get("event", rec))

failures = []


def expect(cond, what):
    if not cond:
        failures.append(what)


smtp = [e["smtp"] for e in events if "smtp" in e]
dns = [e["dns"] for e in events if "dns" in e]
worm = [e["wormPort"] for e in events if "wormPort" in e]

# The IPv4 session: one transaction, two recipients, accepted.
v4 = [s for s in smtp if s["server"]["ip"] == inet4 and s["server"]["port"] == 25]
expect(len(v4) == 1, f"one IPv4 SMTP session to {inet4}:25, got {len(v4)}")
if v4:
    s = v4[0]
    expect(s["client"]["ip"] == ws4, f"client {s['client']['ip']} != {ws4}")
    expect(s.get("outcome") == "CONNECTION_OUTCOME_ESTABLISHED", f"outcome {s.get('outcome')}")
    expect(s.get("heloCommand", "").upper() == "EHLO" and s.get("helo") == "ws1.corp.example",
           f"helo {s.get('heloCommand')} {s.get('helo')}")
    tx = s.get("transactions", [])
    expect(len(tx) == 1, f"one transaction, got {len(tx)}")
    if tx:
        expect(tx[0].get("mailFrom") == "ceo@corp.example", f"mail from {tx[0].get('mailFrom')}")
        expect(tx[0].get("rcptTo") == ["alice@victim.example", "bob@victim.example"],
               f"rcpt {tx[0].get('rcptTo')}")
        expect(tx[0].get("dataAccepted") is True, "data accepted")
    expect(int(s.get("clientBytes", 0)) > 0 and int(s.get("serverBytes", 0)) > 0, "bytes both ways")

# The IPv6 session.
v6 = [s for s in smtp if s["server"]["ip"] == inet6]
expect(len(v6) == 1, f"one IPv6 SMTP session to {inet6}, got {len(v6)}")
if v6 and v6[0].get("transactions"):
    expect(v6[0]["transactions"][0].get("mailFrom") == "it@corp.example", "IPv6 mail from")
else:
    failures.append("IPv6 session has no transaction")

# The session on port 2600, watched only because the collector said so.
p2600 = [s for s in smtp if s["server"]["port"] == 2600]
expect(len(p2600) == 1, f"one SMTP session to port 2600 (collector-pushed), got {len(p2600)}")
if p2600 and p2600[0].get("transactions"):
    expect(p2600[0]["transactions"][0].get("mailFrom") == "ops@corp.example", "port 2600 mail from")

# The MX lookup and its answer.
mx = [d for d in dns if d.get("name") == "victim.example"]
expect(len(mx) == 1, f"one MX query for victim.example, got {len(mx)}")
if mx:
    expect(mx[0].get("answered") is True, "MX query answered")
    expect(mx[0].get("mx") == [{"preference": 10, "exchange": "mx1.victim.example"}],
           f"MX answer {mx[0].get('mx')}")

# The refused worm-port attempt.
w = [c for c in worm if c["server"]["port"] == 3127]
expect(len(w) == 1, f"one contact to port 3127, got {len(w)}")
if w:
    expect(w[0].get("outcome") == "CONNECTION_OUTCOME_REFUSED", f"3127 outcome {w[0].get('outcome')}")

if failures:
    print("live capture check FAILED:")
    for f in failures:
        print("  -", f)
    print(f"{len(events)} events stored:")
    for e in events:
        print("  ", json.dumps(e)[:300])
    sys.exit(1)
print(f"live capture check passed: {len(events)} events "
      f"(smtp {len(smtp)}, dns {len(dns)}, worm-port {len(worm)})")
