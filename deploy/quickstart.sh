#!/usr/bin/env bash
# cleansweep quick start on one Debian 12 machine.
#
#   deploy/quickstart.sh          install dependencies, build, make a development CA and
#                                 certificates, start the collector (SQLite) and an agent
#                                 capturing live on this machine
#   deploy/quickstart.sh status   show what is running and how many events are stored
#   deploy/quickstart.sh stop     stop both
#
# Everything lives in the run directory: $CLEANSWEEP_RUN_DIR, default ./run.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=${CLEANSWEEP_RUN_DIR:-$ROOT/run}
LISTEN=${CLEANSWEEP_LISTEN:-127.0.0.1:4317}
BIN=$ROOT/build/bin

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_one() {
  local name=$1 pidfile=$RUN/$1.pid
  if running "$pidfile"; then
    kill -TERM "$(cat "$pidfile")"
    for _ in $(seq 50); do running "$pidfile" || break; sleep 0.1; done
    running "$pidfile" && kill -KILL "$(cat "$pidfile")"
    echo "stopped $name"
  fi
  rm -f "$pidfile"
}

case "${1:-start}" in
  stop)
    stop_one agent
    stop_one collector
    exit 0 ;;
  status)
    for p in collector agent; do
      if running "$RUN/$p.pid"; then echo "$p: running (pid $(cat "$RUN/$p.pid"))"; else echo "$p: not running"; fi
    done
    [ -f "$RUN/collector.db" ] && "$BIN/cleansweep-collector" agents --db "$RUN/collector.db"
    exit 0 ;;
  start) ;;
  -h|--help|help)
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *)
    echo "usage: deploy/quickstart.sh [start|status|stop]" >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
  echo "quickstart: live capture and package installation need root; run: sudo $0" >&2
  exit 1
fi

echo "== dependencies"
"$ROOT/deploy/install-deps.sh"

echo "== build (build/)"
cmake -S "$ROOT" -B "$ROOT/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$ROOT/build" -j "$(nproc)" --target cleansweep-agent cleansweep-collector

mkdir -p "$RUN"
echo "== development CA and certificates ($RUN/pki)"
"$ROOT/deploy/pki.sh" "$RUN/pki" "$(hostname)"

stop_one agent
stop_one collector

echo "== collector"
: > "$RUN/collector.out"
nohup "$BIN/cleansweep-collector" serve --db "$RUN/collector.db" --listen "$LISTEN" \
  --tls-cert "$RUN/pki/server.pem" --tls-key "$RUN/pki/server.key" \
  --enroll-secret-file "$RUN/pki/enroll-secret" --rules "$ROOT/rules" \
  >"$RUN/collector.out" 2>"$RUN/collector.log" &
echo $! > "$RUN/collector.pid"
for _ in $(seq 100); do
  grep -q '^listening on' "$RUN/collector.out" && break
  running "$RUN/collector.pid" || { echo "collector failed to start:"; tail -20 "$RUN/collector.log"; exit 1; }
  sleep 0.1
done
grep -q '^listening on' "$RUN/collector.out" || { echo "collector did not start in 10 s"; tail -20 "$RUN/collector.log"; exit 1; }
echo "collector $(cat "$RUN/collector.out")"
# serve logs the status page's address (default 127.0.0.1:8080) before it listens for agents.
STATUS_PAGE=$(sed -n 's|.*status page on \(https\?://[^ ]*\).*|\1|p' "$RUN/collector.log" | head -1)

echo "== agent"
nohup "$BIN/cleansweep-agent" --collector "$LISTEN" --ca "$RUN/pki/ca.pem" \
  --enroll-secret-file "$RUN/pki/enroll-secret" --state-dir "$RUN/agent-state" >"$RUN/agent.out" 2>"$RUN/agent.log" &
echo $! > "$RUN/agent.pid"
for _ in $(seq 50); do
  grep -q 'capturing on' "$RUN/agent.log" && break
  running "$RUN/agent.pid" || { echo "agent failed to start:"; tail -20 "$RUN/agent.log"; exit 1; }
  sleep 0.1
done
grep -m1 'capturing on' "$RUN/agent.log" | sed 's/; filter:.*//' | sed 's/^.*agent: /agent /'

cat <<MSG

cleansweep is running.
  status page: ${STATUS_PAGE:-not started (see $RUN/collector.log)}
  data:        $RUN/collector.db (SQLite)
  look at it:  $BIN/cleansweep-collector events --db $RUN/collector.db
               $BIN/cleansweep-collector agents --db $RUN/collector.db
               $BIN/cleansweep-collector hosts --db $RUN/collector.db
               deploy/quickstart.sh status
  sweep now:   $BIN/cleansweep-collector sweep --db $RUN/collector.db --wait 30s
  logs:        $RUN/collector.log, $RUN/agent.log
  rules:       $ROOT/rules (edit, then: kill -HUP \$(cat $RUN/collector.pid))
  stop:        deploy/quickstart.sh stop
Outbound SMTP (25, 465, 587, 2525), DNS MX lookups and worm-port connection attempts
from this machine appear as events; heartbeats arrive every 30 s.
MSG
