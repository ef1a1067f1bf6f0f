#!/usr/bin/env bash
# Status page benchmark: how fast the Hosts view answers for a 10,000-host
# fleet, against /healthz (the same HTTP round trip doing no work) in the same
# run.
#
#   tests/bench/run_status_bench.sh [--build-dir DIR] [--hosts H] [--requests N]
#
# Uses the audit benchmark's store (DIR/bench/audit-H/full.db: 30 days of H
# hosts, filled by run_audit_bench.sh --fill-only when missing), copied, so the
# cached store stays as filled. Starts the real `cleansweep-collector serve
# --http 127.0.0.1:0` on the copy under faketime at the end of the stored
# days (so the fleet looks current), waits for its first snapshot, then times
# N requests (default 30) of each, with curl, end to end:
#   healthz   GET /healthz
#   hosts     GET /api/v1/hosts?limit=100                  (first page)
#   sorted    GET /api/v1/hosts?sort=coverage24h&order=desc&offset=5000&limit=100
#   filtered  GET /api/v1/hosts?q=ws-042&limit=100
#   page      GET /hosts                                    (the HTML)
# and prints each one's median and 95th percentile in ms, hosts/healthz, and
# whether the Hosts view meets the goal of 200 ms.
set -euo pipefail

src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir="$src_dir/build"
hosts=10000
requests=30
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift 2 ;;
    --hosts) hosts="$2"; shift 2 ;;
    --requests) requests="$2"; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "run_status_bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ "$hosts" =~ ^[0-9]+$ && "$requests" =~ ^[0-9]+$ && "$requests" -ge 1 ]] || {
  echo "run_status_bench.sh: --hosts and --requests take positive integers" >&2; exit 2; }
collector="$build_dir/bin/cleansweep-collector"
[[ -x "$collector" ]] || { echo "run_status_bench.sh: missing $collector" >&2; exit 1; }
for tool in curl faketime jq; do
  command -v "$tool" >/dev/null || { echo "run_status_bench.sh: $tool not found" >&2; exit 1; }
done

data="$build_dir/bench/audit-$hosts"
if [[ ! -s "$data/full.db" ]]; then
  "$src_dir/tests/bench/run_audit_bench.sh" --build-dir "$build_dir" --hosts "$hosts" --fill-only
fi

tmp=$(mktemp -d)
serve_pid=""
cleanup() {
  if [[ -n "$serve_pid" ]] && kill "$serve_pid" 2>/dev/null; then
    # A graceful stop gets 10 s.
    for _ in $(seq 100); do kill -0 "$serve_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
cp "$data/full.db" "$tmp/status.db"
echo "secret-for-the-benchmark-only" > "$tmp/enroll-secret"
: >"$tmp/out"
: >"$tmp/err"  # read below before serve may have opened it
# The store's last day ends at 2026-11-04T00:00:00Z.
# libfaketime preloaded directly (the faketime wrapper would fork: $! would
# not be the collector).
libfaketime=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
[[ -n "$libfaketime" ]] || { echo "run_status_bench.sh: libfaketime.so.1 not found" >&2; exit 1; }
LD_PRELOAD="$libfaketime" FAKETIME="@2026-11-04 00:00:00" "$collector" serve --db "$tmp/status.db" \
  --listen 127.0.0.1:0 --insecure --enroll-secret-file "$tmp/enroll-secret" \
  --http 127.0.0.1:0 --admin-socket off >"$tmp/out" 2>"$tmp/err" &
serve_pid=$!
port=""
for _ in $(seq 600); do
  port=$(sed -n 's|.*status page on http://127.0.0.1:\([0-9]*\).*|\1|p' "$tmp/err" | head -1)
  [[ -n "$port" ]] && break
  kill -0 "$serve_pid" 2>/dev/null || { echo "run_status_bench.sh: serve exited:" >&2;
    cat "$tmp/err" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$port" ]] || { echo "run_status_bench.sh: no status page line" >&2; cat "$tmp/err" >&2; exit 1; }
base="http://127.0.0.1:$port"
start=$(date +%s%N)
# The first request waits for the first snapshot.
total=$(curl -sf --max-time 300 "$base/api/v1/hosts?limit=1" | jq '.total')
echo "store: $data/full.db ($(du -m "$data/full.db" | cut -f1) MB); first snapshot of $total" \
  "hosts after $(( ($(date +%s%N) - start) / 1000000 )) ms"

declare -A urls=(
  [healthz]="/healthz"
  [hosts]="/api/v1/hosts?limit=100"
  [sorted]="/api/v1/hosts?sort=coverage24h&order=desc&offset=5000&limit=100"
  [filtered]="/api/v1/hosts?q=ws-042&limit=100"
  [page]="/hosts"
)
order=(healthz hosts sorted filtered page)
declare -A stats
for name in "${order[@]}"; do
  : >"$tmp/$name.times"
done
for ((i = 1; i <= requests; i++)); do
  for name in "${order[@]}"; do
    curl -sf -o /dev/null -w '%{time_total}\n' "$base${urls[$name]}" >>"$tmp/$name.times"
  done
done
for name in "${order[@]}"; do
  stats[$name]=$(sort -g "$tmp/$name.times" | awk '{ v[NR] = $1 * 1000 } END {
    m = (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)
    p = v[int(NR * 0.95 + 0.999)]
    printf "%.1f %.1f", m, p }')
  read -r med p95 <<<"${stats[$name]}"
  printf "%-9s median %7.1f ms  p95 %7.1f ms  %s\n" "$name" "$med" "$p95" "${urls[$name]}"
done
read -r h_med h_p95 <<<"${stats[hosts]}"
read -r z_med _ <<<"${stats[healthz]}"
awk -v h="$h_med" -v p="$h_p95" -v z="$z_med" -v n="$hosts" 'BEGIN {
  printf "hosts/healthz (medians): %.1f\n", (z > 0 ? h / z : 0)
  if (n == 10000) printf "goal: Hosts view of 10,000 hosts in <= 200 ms: %s (p95 %.1f ms)\n",
                         (h <= 200 ? "met" : "NOT met"), p
}'
