#!/usr/bin/env bash
# Audit benchmark: `cleansweep-collector audit` of a 7-day window over a store
# holding 30 days of a 10,000-host fleet, against a raw sqlite3 scan of the
# same window's events; and the same audit before and after 20 more days of
# history were added, to show its time follows the window, not the store.
#
#   tests/bench/run_audit_bench.sh [--build-dir DIR] [--hosts H] [--runs R]
#                                  [--check] [--keep] [--fill-only]
#
# Builds nothing: expects DIR/bin/cleansweep-collector and DIR/bin/cs_audit_fill
# (DIR defaults to <source>/build). The stores (not timed) are filled through
# the store API by cs_audit_fill and cached in DIR/bench/audit-H/ (rebuilt
# when cs_audit_fill is newer): early.db holds days 0..9, full.db days 0..29
# (the same first ten days, then twenty more). The rules are the repository's
# worms.textproto and detection.textproto with the generated fleet's site.
# Each of R runs (default 3) times, end to end:
#   early     audit --from day 3 --to day 10 on early.db   (7 days; 3 before, 0 after)
#   grown     the same audit on full.db                     (3 days before, 20 after)
#   last      audit of days 23..30 on full.db               (the newest week)
#   ceiling   sqlite3: count and total size of that week's events, read as
#             fast as plain SQL can (the table stretch between the least and
#             greatest rowid of the week's events)
# and prints the medians, grown/early (should be ~1: the time does not grow
# with history outside the window), last against the goal of 2 s, and
# last/ceiling. --check also verifies each audit: exit 1, and the only host
# flagged is the one the generator made mass-mail in that window. --keep
# keeps the last reports in DIR/bench/audit-H/reports/. --fill-only stops
# once the stores exist (run_status_bench.sh uses full.db).
set -euo pipefail

src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir="$src_dir/build"
hosts=10000
runs=3
check=0
keep=0
fill_only=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift 2 ;;
    --hosts) hosts="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --check) check=1; shift ;;
    --keep) keep=1; shift ;;
    --fill-only) fill_only=1; shift ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "run_audit_bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ "$hosts" =~ ^[0-9]+$ && "$runs" =~ ^[0-9]+$ && "$runs" -ge 1 && "$hosts" -ge 100 ]] || {
  echo "run_audit_bench.sh: --hosts takes an integer >= 100, --runs a positive integer" >&2
  exit 2; }

collector="$build_dir/bin/cleansweep-collector"
fill="$build_dir/bin/cs_audit_fill"
for bin in "$collector" "$fill"; do
  [[ -x "$bin" ]] || { echo "run_audit_bench.sh: missing $bin (build it first)" >&2; exit 1; }
done
for tool in sqlite3 jq; do
  command -v "$tool" >/dev/null || { echo "run_audit_bench.sh: $tool not found" >&2; exit 1; }
done

day() { date -u -d "2026-10-05 +$1 days" +%Y-%m-%dT%H:%M:%SZ; }
day_us() { echo $(( $(date -u -d "2026-10-05 +$1 days" +%s) * 1000000 )); }

mkdir -p "$build_dir/bench"
data="$build_dir/bench/audit-$hosts"
if [[ ! -s "$data/full.db" || "$fill" -nt "$data/full.db" ]]; then
  echo "filling $data (not timed): days 0..9, then 10..29"
  rm -rf "$data"
  staging=$(mktemp -d "$build_dir/bench/audit-fill.XXXXXX")
  "$fill" --db "$staging/full.db" --site "$staging/site.textproto" \
    --expect "$staging/expect.txt" --hosts "$hosts" --first-day 0 --days 10
  sqlite3 "$staging/full.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
  cp "$staging/full.db" "$staging/early.db"
  "$fill" --db "$staging/full.db" --site "$staging/site.textproto" \
    --hosts "$hosts" --first-day 10 --days 20
  sqlite3 "$staging/full.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
  mv -T "$staging" "$data" 2>/dev/null || rm -rf "$staging"  # a concurrent run may have won
fi
[[ "$fill_only" -eq 1 ]] && exit 0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rules="$tmp/rules"
mkdir -p "$rules"
cp "$src_dir/rules/worms.textproto" "$src_dir/rules/detection.textproto" "$data/site.textproto" \
  "$rules/"
"$collector" rules check "$rules" >/dev/null

# The timed cases: name, database, first day, day after the last.
cases=("early $data/early.db 3 10" "grown $data/full.db 3 10" "last $data/full.db 23 30")
for db in "$data/early.db" "$data/full.db"; do
  echo "store: $db: $(du -m "$db" | cut -f1) MB," \
    "$(sqlite3 "$db" "SELECT count(*) FROM events") events," \
    "$(sqlite3 "$db" "SELECT count(*) FROM coverage") coverage segments," \
    "$(sqlite3 "$db" "SELECT count(*) FROM agents") agents"
  cat "$db" > /dev/null  # every run starts from the page cache
done
last_from_us=$(day_us 23)
last_to_us=$(day_us 30)
in_window=$(sqlite3 "$data/full.db" \
  "SELECT count(*) FROM events WHERE time_us BETWEEN $last_from_us AND $last_to_us")
echo "rules: $(sed -n 's/.*digest //p' < <("$collector" rules check "$rules"))"
echo "newest week: $(day 23) .. $(day 30), $in_window events"

now_ns() { date +%s%N; }
# measure OUT CMD...: runs CMD with stdout to OUT; prints "wall_s status".
measure() {
  local out="$1"; shift
  local start end status=0
  start=$(now_ns)
  "$@" >"$out" 2>"$tmp/stderr" || status=$?
  end=$(now_ns)
  awk -v ns=$((end - start)) -v st="$status" 'BEGIN { printf "%.3f %d\n", ns / 1e9, st }'
}

# The peer: SQLite alone reading the newest week's events the fastest plain
# SQL can (the stretch of the table between the least and greatest rowid of
# the window's events, found in the time index).
window="time_us BETWEEN $last_from_us AND $last_to_us"
scan_sql="SELECT count(*), sum(length(payload)) FROM events WHERE rowid BETWEEN
  (SELECT min(rowid) FROM events WHERE $window) AND (SELECT max(rowid) FROM events WHERE $window)
  AND $window"
declare -A times
for ((i = 1; i <= runs; i++)); do
  for c in "${cases[@]}"; do
    read -r name db first after <<<"$c"
    read -r wall status < <(measure "$tmp/$name.json" "$collector" audit --db "$db" \
      --rules "$rules" --from "$(day "$first")" --to "$(day "$after")" --format json)
    if [[ "$status" -ne 1 && "$status" -ne 0 && "$status" -ne 2 ]]; then
      echo "run_audit_bench.sh: audit ($name) failed with exit $status:" >&2
      cat "$tmp/stderr" >&2
      exit 1
    fi
    times[$name]="${times[$name]:-} $wall"
    if [[ "$check" -eq 1 ]]; then
      want=$(awk -v a="$first" -v b="$after" '$1 == "expect" && $2 >= a && $2 < b { print $3 }' \
        "$data/expect.txt")
      got=$(jq -r '[.findings.verdicts[]?.host] | unique | .[]' \
        "$tmp/$name.json" | sort -u | tr '\n' ' ' | sed 's/ $//')
      if [[ "$status" -ne 1 || "$got" != "$want" ]]; then
        echo "run_audit_bench.sh: audit ($name) exit $status flagged '$got', expected exit 1" \
          "flagging '$want'" >&2
        exit 1
      fi
    fi
    if [[ "$keep" -eq 1 ]]; then
      mkdir -p "$data/reports" && cp "$tmp/$name.json" "$data/reports/"
    fi
  done
  read -r c_wall _ < <(measure "$tmp/ceiling.out" sqlite3 "$data/full.db" "$scan_sql")
  times[ceiling]="${times[ceiling]:-} $c_wall"
  echo "run $i: early ${times[early]##* } s, grown ${times[grown]##* } s," \
    "last ${times[last]##* } s, ceiling $c_wall s"
done

median() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 } END {
  print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
early=$(median "${times[early]}")
grown=$(median "${times[grown]}")
last=$(median "${times[last]}")
ceiling=$(median "${times[ceiling]}")
awk -v e="$early" -v g="$grown" -v l="$last" -v c="$ceiling" -v n="$in_window" -v h="$hosts" 'BEGIN {
  printf "median: early %.3f s, grown %.3f s (grown/early %.2f), last week %.3f s (%.0f events/s)\n",
    e, g, (e > 0 ? g / e : 0), l, (l > 0 ? n / l : 0)
  printf "raw sqlite3 scan of the last week: %.3f s; audit/scan %.2f\n", c, (c > 0 ? l / c : 0)
  if (h == 10000) {
    printf "goal: a 7-day audit of 10,000 hosts in <= 2 s: %s\n", (l <= 2.0 ? "met" : "NOT met")
  } else {
    printf "(the 2 s goal is for 10,000 hosts; this run has %d)\n", h
  }
}'
