#!/usr/bin/env bash
# Throughput benchmark: full analysis by `cleansweep-agent --read FILE` versus
# `tcpdump -r FILE -w /dev/null "$FILTER"` (the agent's own BPF filter), on a
# deterministic capture from cs_bench_gen.
#
#   tests/bench/run_bench.sh [--size-mb N] [--runs R] [--build-dir DIR]
#
# Builds nothing: expects DIR/bin/cleansweep-agent and DIR/bin/cs_bench_gen
# (DIR defaults to <source>/build). The capture is cached as
# DIR/bench/bench-<N>mb.pcap. Runs alternate agent and tcpdump R times (default
# 5), print wall and CPU seconds of each run, the median wall-time ratio
# agent/tcpdump and the agent's peak RSS. Exits non-zero if a command fails.
set -euo pipefail

src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir="$src_dir/build"
size_mb=1100
runs=5
while [[ $# -gt 0 ]]; do
  case "$1" in
    --size-mb) size_mb="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "run_bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ "$size_mb" =~ ^[0-9]+$ && "$runs" =~ ^[0-9]+$ && "$runs" -ge 1 ]] || {
  echo "run_bench.sh: --size-mb and --runs take positive integers" >&2; exit 2; }

agent="$build_dir/bin/cleansweep-agent"
gen="$build_dir/bin/cs_bench_gen"
for bin in "$agent" "$gen"; do
  [[ -x "$bin" ]] || { echo "run_bench.sh: missing $bin (build it first)" >&2; exit 1; }
done
command -v tcpdump >/dev/null || { echo "run_bench.sh: tcpdump not found" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "run_bench.sh: /usr/bin/time not found" >&2; exit 1; }

mkdir -p "$build_dir/bench"
capture="$build_dir/bench/bench-${size_mb}mb.pcap"
if [[ ! -s "$capture" ]]; then
  echo "generating $capture"
  "$gen" --size-mb "$size_mb" --out "$capture.tmp"
  mv "$capture.tmp" "$capture"
fi

filter=$("$agent" --print-filter)
[[ -n "$filter" ]] || { echo "run_bench.sh: empty filter from --print-filter" >&2; exit 1; }
echo "filter: $filter"
echo "capture: $capture ($(du -m "$capture" | cut -f1) MB)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Runs "$@" under /usr/bin/time; prints "wall cpu maxrss_kb".
measure() {
  local out="$tmp/time"
  if ! /usr/bin/time -o "$out" -f '%e %U %S %M' "$@" >/dev/null 2>"$tmp/stderr"; then
    echo "run_bench.sh: command failed: $*" >&2
    cat "$tmp/stderr" >&2
    return 1
  fi
  awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$out"
}

ratios=()
agent_rss=0
for ((i = 1; i <= runs; i++)); do
  read -r a_wall a_cpu a_rss < <(measure "$agent" --read "$capture")
  read -r t_wall t_cpu _ < <(measure tcpdump -r "$capture" -w /dev/null "$filter")
  [[ -n "${a_wall:-}" && -n "${t_wall:-}" ]] || exit 1
  ratio=$(awk -v a="$a_wall" -v t="$t_wall" 'BEGIN { printf "%.2f", (t > 0 ? a / t : 0) }')
  ratios+=("$ratio")
  (( a_rss > agent_rss )) && agent_rss=$a_rss
  printf 'run %d: agent wall %ss cpu %ss | tcpdump wall %ss cpu %ss | ratio %s\n' \
    "$i" "$a_wall" "$a_cpu" "$t_wall" "$t_cpu" "$ratio"
done

median=$(printf '%s\n' "${ratios[@]}" | sort -g |
  awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
echo "median ratio agent/tcpdump: $median"
echo "agent peak RSS: $((agent_rss / 1024)) MB ($agent_rss kB)"
