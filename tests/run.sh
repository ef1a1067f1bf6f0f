#!/usr/bin/env bash
# Builds cleansweep and runs every test. Exits non-zero on any failure.
#   tests/run.sh            install dependencies, build, run all tests, then a short fuzz run
#   CLEANSWEEP_FUZZ_SECONDS=0 tests/run.sh   skip the libFuzzer run
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
JOBS=$(nproc)

"$ROOT/deploy/install-deps.sh"

echo "== configure and build (build/)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$JOBS"

echo "== tests (ctest)"
ctest --test-dir build --output-on-failure -j "$JOBS" --timeout 600

FUZZ_SECONDS=${CLEANSWEEP_FUZZ_SECONDS:-20}
if [ "$FUZZ_SECONDS" -gt 0 ]; then
  echo "== libFuzzer: each target for ${FUZZ_SECONDS}s from its seed corpus (build-fuzz/, clang)"
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCLEANSWEEP_FUZZ=ON >/dev/null
  cmake --build build-fuzz -j "$JOBS" --target fuzzers
  "$ROOT/tests/fuzz/run_fuzzers.sh" "$ROOT/build-fuzz" "$FUZZ_SECONDS"
fi
echo "== all tests passed"
