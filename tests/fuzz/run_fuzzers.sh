#!/usr/bin/env bash
# run_fuzzers.sh BUILD_DIR SECONDS — runs every libFuzzer binary in BUILD_DIR/fuzz
# for SECONDS, starting from a copy of its seed corpus (the checked-in corpus is
# never modified). Fails if any target crashes.
set -euo pipefail
BUILD=$1
SECONDS_EACH=$2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
status=0
shopt -s nullglob
for bin in "$BUILD"/fuzz/*_fuzz; do
  name=$(basename "$bin")
  seed=$(find "$ROOT/agent" "$ROOT/collector" -type d -path "*/fuzz_corpus/${name%_fuzz}" 2>/dev/null | head -1)
  work=$(mktemp -d)
  [ -n "$seed" ] && cp -r "$seed"/. "$work"/
  if "$bin" -max_total_time="$SECONDS_EACH" -print_final_stats=1 "$work" >"$work.log" 2>&1; then
    echo "fuzz $name: ok ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$work.log" | grep -o '[0-9]*$') runs)"
  else
    echo "fuzz $name: FAILED"; tail -40 "$work.log"; status=1
  fi
  rm -rf "$work" "$work.log"
done
exit $status
