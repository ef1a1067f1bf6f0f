#!/usr/bin/env bash
# Collector load benchmark: simulated agents (the agent's own uplink code, TLS
# on loopback) against the real `cleansweep-collector serve`.
#
#   tests/bench/run_load_bench.sh [--build-dir DIR] [cs_load_gen options...]
#
# Builds nothing: expects DIR/bin/cleansweep-collector and DIR/bin/cs_load_gen
# (DIR defaults to <source>/build). Databases go to a fresh directory under
# DIR/bench/ (the disk the numbers are about), removed afterwards. Prints the
# raw SQLite insert ceiling, durable events/s with 100 agents and the ratio,
# collector RSS once a second at 2x overload, and KiB of collector RSS per
# idle agent (1,000 agents). cs_load_gen options: --agents N, --seconds S,
# --batch N, --overload-seconds S, --idle-agents N, --idle-hold-seconds S,
# --phases ceiling,throughput,overload,idle[,detection] (detection: ingest with
# live detection on and off, and its cost), --agents-nice N (priority of the
# simulated agents, default 10: they stand for other machines; 0 = equal to
# the collector's). Exits non-zero if a phase fails.
set -euo pipefail

src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir="$src_dir/build"
args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done

collector="$build_dir/bin/cleansweep-collector"
gen="$build_dir/bin/cs_load_gen"
for bin in "$collector" "$gen"; do
  [[ -x "$bin" ]] || { echo "run_load_bench.sh: missing $bin (build it first)" >&2; exit 1; }
done

mkdir -p "$build_dir/bench"
work=$(mktemp -d "$build_dir/bench/load.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$gen" --collector-bin "$collector" --pki-script "$src_dir/deploy/pki.sh" --work-dir "$work" \
  --rules-src "$src_dir/rules" \
  ${args[@]+"${args[@]}"}
