#!/usr/bin/env bash
# Re-judging benchmark: `cleansweep-collector findings` over a day of a fleet's
# stored events versus a raw scan of the same rows by sqlite3.
#
#   tests/bench/run_rejudge_bench.sh [--build-dir DIR] [--events N] [--runs R]
#                                    [--check] [--json-out FILE]
#
# Builds nothing: expects DIR/bin/cleansweep-collector and DIR/bin/cs_history_fill
# (DIR defaults to <source>/build). The database (N events, default 5,000,000,
# filled through the store API; not timed) is cached in DIR/bench/history-N/
# and rebuilt when cs_history_fill is newer. The rules are the repository's
# worms.textproto and detection.textproto with a site file for the generated
# fleet. Each of R runs (default 3) times, end to end:
#   ceiling   sqlite3 DB "SELECT count(*), sum(length(payload)) FROM events"
#   findings  cleansweep-collector findings --db DB --from .. --to .. --rules .. --json
# and prints events/s of both and their ratio; then the medians and whether
# findings reaches the goal of 1,000,000 events/s. --check verifies the
# findings: exactly the hosts the generator made noisy are flagged, each with
# its expected worst severity and rules (exit 1 otherwise). --json-out keeps
# the last run's JSON. Exits non-zero if a command fails.
set -euo pipefail

src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir="$src_dir/build"
events=5000000
runs=3
check=0
json_out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift 2 ;;
    --events) events="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --check) check=1; shift ;;
    --json-out) json_out="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "run_rejudge_bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ "$events" =~ ^[0-9]+$ && "$runs" =~ ^[0-9]+$ && "$runs" -ge 1 ]] || {
  echo "run_rejudge_bench.sh: --events and --runs take positive integers" >&2; exit 2; }

collector="$build_dir/bin/cleansweep-collector"
fill="$build_dir/bin/cs_history_fill"
for bin in "$collector" "$fill"; do
  [[ -x "$bin" ]] || { echo "run_rejudge_bench.sh: missing $bin (build it first)" >&2; exit 1; }
done
for tool in sqlite3 jq; do
  command -v "$tool" >/dev/null || { echo "run_rejudge_bench.sh: $tool not found" >&2; exit 1; }
done
[[ -x /usr/bin/time ]] || { echo "run_rejudge_bench.sh: /usr/bin/time not found" >&2; exit 1; }

# The database, filled once per N (and again after the generator changed).
mkdir -p "$build_dir/bench"
data="$build_dir/bench/history-$events"
if [[ ! -s "$data/fleet.txt" || "$fill" -nt "$data/fleet.txt" ]]; then
  echo "filling $data/history.db with $events events (not timed)"
  rm -rf "$data"
  staging=$(mktemp -d "$build_dir/bench/history-fill.XXXXXX")
  "$fill" --db "$staging/history.db" --fleet "$staging/fleet.txt" --events "$events"
  mv -T "$staging" "$data" 2>/dev/null || rm -rf "$staging"  # a concurrent run may have won
fi
db="$data/history.db"
fleet="$data/fleet.txt"
from=$(awk '$1 == "from" { print $2 }' "$fleet")
to=$(awk '$1 == "to" { print $2 }' "$fleet")
[[ -n "$from" && -n "$to" ]] || { echo "run_rejudge_bench.sh: $fleet lacks from/to" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rules="$tmp/rules"
mkdir -p "$rules"
cp "$src_dir/rules/worms.textproto" "$src_dir/rules/detection.textproto" "$rules/"
sed -n 's/^site //p' "$fleet" > "$rules/site.textproto"
"$collector" rules check "$rules" >/dev/null

stored=$(sqlite3 "$db" "SELECT count(*) FROM events")
[[ "$stored" == "$events" ]] || {
  echo "run_rejudge_bench.sh: $db holds $stored events, expected $events" >&2; exit 1; }
echo "database: $db ($(du -m "$db" | cut -f1) MB, $events events, $from .. $to)"
echo "rules: $(sed -n 's/.*digest //p' < <("$collector" rules check "$rules"))"
cat "$db" > /dev/null  # both sides start from the page cache

now_ns() { date +%s%N; }
# measure OUT CMD...: runs CMD with stdout to OUT; prints "wall_s cpu_s maxrss_kb".
measure() {
  local out="$1"; shift
  local start end
  start=$(now_ns)
  if ! /usr/bin/time -o "$tmp/time" -f '%U %S %M' "$@" >"$out" 2>"$tmp/stderr"; then
    echo "run_rejudge_bench.sh: command failed: $*" >&2
    cat "$tmp/stderr" >&2
    return 1
  fi
  end=$(now_ns)
  awk -v ns=$((end - start)) '{ printf "%.3f %.2f %s\n", ns / 1e9, $1 + $2, $3 }' "$tmp/time"
}
rate() { awk -v n="$events" -v s="$1" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }

ceiling_rates=()
findings_rates=()
ratios=()
for ((i = 1; i <= runs; i++)); do
  c_wall="" f_wall=""
  read -r c_wall c_cpu _ < <(measure "$tmp/ceiling.out" \
    sqlite3 "$db" "SELECT count(*), sum(length(payload)) FROM events")
  [[ -n "${c_wall:-}" ]] || exit 1
  read -r f_wall f_cpu f_rss < <(measure "$tmp/findings.json" \
    "$collector" findings --db "$db" --from "$from" --to "$to" --rules "$rules" --json)
  [[ -n "${f_wall:-}" ]] || exit 1
  own=$(grep -o 're-judged.*events/s)' "$tmp/stderr" || true)
  c_rate=$(rate "$c_wall")
  f_rate=$(rate "$f_wall")
  ratio=$(awk -v f="$f_rate" -v c="$c_rate" 'BEGIN { printf "%.2f", (c > 0 ? f / c : 0) }')
  ceiling_rates+=("$c_rate")
  findings_rates+=("$f_rate")
  ratios+=("$ratio")
  printf 'run %d: ceiling %ss cpu %ss = %s events/s | findings %ss cpu %ss rss %s MB = %s events/s (%s) | ratio %s\n' \
    "$i" "$c_wall" "$c_cpu" "$c_rate" "$f_wall" "$f_cpu" "$((f_rss / 1024))" "$f_rate" "$own" "$ratio"
done
[[ -n "$json_out" ]] && cp "$tmp/findings.json" "$json_out"

median() {
  printf '%s\n' "$@" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
c_med=$(median "${ceiling_rates[@]}")
f_med=$(median "${findings_rates[@]}")
echo "median ceiling (sqlite3 scan): $c_med events/s"
echo "median findings (end to end):  $f_med events/s"
echo "median ratio findings/ceiling: $(median "${ratios[@]}")"
if awk -v f="$f_med" 'BEGIN { exit !(f >= 1000000) }'; then
  echo "goal (>= 1,000,000 events/s re-judged): met"
else
  echo "goal (>= 1,000,000 events/s re-judged): NOT met"
fi

if ((check)); then
  # The findings against what the generator built: the flagged hosts, their
  # worst severity and the rules that must have fired.
  judged=$(jq -r '.events_judged' "$tmp/findings.json")
  [[ "$judged" == "$events" ]] || {
    echo "check: events_judged $judged, expected $events" >&2; exit 1; }
  awk '$1 == "expect" { print $2, $3 }' "$fleet" | sort > "$tmp/expected"
  jq -r '.verdicts[]? | "\(.host) \(.severity)"' "$tmp/findings.json" |
    sed -e 's/SEVERITY_NOTICE/notice/; s/SEVERITY_SUSPICIOUS/suspicious/' \
        -e 's/SEVERITY_MASS_MAILING/mass-mailing/; s/SEVERITY_WORM_SCANNING/worm-scanning/' |
    sort > "$tmp/actual"
  if ! diff -u "$tmp/expected" "$tmp/actual" > "$tmp/diff"; then
    echo "check: flagged hosts and verdicts differ from the generated fleet (- expected, + found):" >&2
    cat "$tmp/diff" >&2
    exit 1
  fi
  while read -r _ host _ rules_wanted; do
    for rule in $rules_wanted; do
      n=$(jq --arg h "$host" --arg r "$rule" \
        '[.findings[]? | select(.host == $h and .rule == $r)] | length' "$tmp/findings.json")
      ((n > 0)) || { echo "check: $host has no finding of rule $rule" >&2; exit 1; }
    done
  done < <(awk '$1 == "expect"' "$fleet")
  relay_only=$(awk '$1 == "relay-only"' "$fleet" | wc -l)
  echo "check: OK ($(wc -l < "$tmp/expected") noisy hosts flagged as expected; none of the" \
       "$relay_only relay-only hosts nor any other host flagged)"
fi
