#!/usr/bin/env bash
# Live capture end to end: a workstation and an "internet" in two network
# namespaces joined by a veth pair. The real agent captures live on the
# workstation's interface and streams over TLS to the real collector; the
# workstation sends real mail (IPv4 and IPv6), makes a real MX lookup and tries
# a refused connection to 3127. The collector tells the agent to watch one more
# SMTP port (2600); the agent's filter must follow. The stored events must say
# exactly that.
#
# usage: live_capture_test.sh BUILD_DIR   (needs root: network namespaces)
set -euo pipefail
BUILD=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: needs root for network namespaces"; exit 77; fi

TAG=cs$$
WS=${TAG}ws
NET=${TAG}net
TMP=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$WS" 2>/dev/null || true
  ip netns del "$NET" 2>/dev/null || true
  if [ "${KEEP_TMP:-}" = "" ]; then rm -rf "$TMP"; else echo "kept $TMP"; fi
}
trap cleanup EXIT

WS4=10.77.0.2 INET4=10.77.0.1 WS6=fd77::2 INET6=fd77::1
ip netns add "$WS"
ip netns add "$NET"
ip link add "${TAG}a" type veth peer name "${TAG}b"
ip link set "${TAG}a" netns "$WS"
ip link set "${TAG}b" netns "$NET"
ip -n "$WS" link set lo up
ip -n "$NET" link set lo up
ip -n "$WS" addr add $WS4/24 dev "${TAG}a"
ip -n "$NET" addr add $INET4/24 dev "${TAG}b"
ip -n "$WS" addr add $WS6/64 dev "${TAG}a" nodad
ip -n "$NET" addr add $INET6/64 dev "${TAG}b" nodad
ip -n "$WS" link set "${TAG}a" up
ip -n "$NET" link set "${TAG}b" up

# Waits until FILE contains PATTERN (the process's own readiness line).
wait_for() {
  local file=$1 pattern=$2 pid=$3
  for _ in $(seq 200); do
    grep -q "$pattern" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { echo "process $pid died:"; cat "$file"; return 1; }
    sleep 0.05
  done
  echo "timed out waiting for '$pattern' in $file"; cat "$file"; return 1
}

# The internet: SMTP on both families, DNS answering MX for victim.example.
for listen in "$INET4 25" "$INET6 25" "$INET4 2600"; do
  out="$TMP/smtp-${listen// /-}.out"
  ip netns exec "$NET" python3 "$HERE/fake_internet.py" smtp $listen >"$out" 2>&1 &
  PIDS+=($!); wait_for "$out" ready $!
done
ip netns exec "$NET" python3 "$HERE/fake_internet.py" dns $INET4 53 victim.example 10 mx1.victim.example \
  >"$TMP/dns.out" 2>&1 &
PIDS+=($!); wait_for "$TMP/dns.out" ready $!

# PKI, collector and agent, all on the workstation.
"$ROOT/deploy/pki.sh" "$TMP/pki" >/dev/null
ip netns exec "$WS" "$BUILD/bin/cleansweep-collector" serve --db "$TMP/c.db" --listen 127.0.0.1:0 \
  --tls-cert "$TMP/pki/server.pem" --tls-key "$TMP/pki/server.key" --enroll-secret-file "$TMP/pki/enroll-secret" \
  --smtp-ports 25,465,587,2525,2600 >"$TMP/collector.out" 2>"$TMP/collector.log" &
COLLECTOR=$!; PIDS+=($COLLECTOR)
wait_for "$TMP/collector.out" '^listening on' $COLLECTOR
PORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$TMP/collector.out")

ip netns exec "$WS" "$BUILD/bin/cleansweep-agent" --interface "${TAG}a" --collector 127.0.0.1:$PORT \
  --ca "$TMP/pki/ca.pem" --enroll-secret-file "$TMP/pki/enroll-secret" --agent-id ws1 --state-dir "$TMP/agent" \
  --heartbeat-interval 1 --stats >"$TMP/agent.out" 2>"$TMP/agent.log" &
AGENT=$!; PIDS+=($AGENT)
wait_for "$TMP/agent.log" 'capturing on' $AGENT
# The collector's configuration arrives over the stream and replaces the filter.
wait_for "$TMP/agent.log" 'configuration from the collector applied' $AGENT

# The workstation's traffic.
ip netns exec "$WS" python3 - "$INET4" "$INET6" <<'PY'
import smtplib, socket, struct, sys
inet4, inet6 = sys.argv[1], sys.argv[2]
with smtplib.SMTP(inet4, 25, local_hostname="ws1.corp.example", timeout=10) as s:
    s.sendmail("ceo@corp.example", ["alice@victim.example", "bob@victim.example"],
               "From: ceo@corp.example\r\nSubject: test\r\n\r\nhello\r\n")
with smtplib.SMTP(inet6, 25, local_hostname="ws1.corp.example", timeout=10) as s:
    s.sendmail("it@corp.example", ["carol@victim.example"], "Subject: v6\r\n\r\nhi\r\n")
with smtplib.SMTP(inet4, 2600, local_hostname="ws1.corp.example", timeout=10) as s:
    s.sendmail("ops@corp.example", ["dave@victim.example"], "Subject: 2600\r\n\r\nhi\r\n")
# MX lookup for victim.example.
q = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
q += b"\x06victim\x07example\x00" + struct.pack("!HH", 15, 1)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(5)
u.sendto(q, (inet4, 53))
u.recvfrom(4096)
# Mydoom's backdoor port on a host that does not listen: refused.
t = socket.socket()
t.settimeout(5)
try:
    t.connect((inet4, 3127))
except ConnectionRefusedError:
    pass
PY

# Stopping the agent flushes every observer and waits for the acknowledgements.
kill -TERM $AGENT
wait $AGENT || { echo "agent exited non-zero"; cat "$TMP/agent.log"; exit 1; }
cat "$TMP/agent.log" | tail -5

"$BUILD/bin/cleansweep-collector" events --db "$TMP/c.db" --json >"$TMP/events.json"
python3 "$HERE/check_live_events.py" $WS4 $INET4 $WS6 $INET6 <"$TMP/events.json"

# Heartbeats arrived and carry the interface's pcap counters.
"$BUILD/bin/cleansweep-collector" agents --db "$TMP/c.db" --json >"$TMP/agents.json"
python3 - "$TMP/agents.json" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
assert "ws1" in text, "agent ws1 not listed: " + text
print("agents:", text.strip()[:400])
PY
kill -TERM $COLLECTOR
wait $COLLECTOR || { echo "collector exited non-zero"; cat "$TMP/collector.log"; exit 1; }
echo "live capture test passed"
