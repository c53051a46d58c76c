#!/usr/bin/env bash
# Builds jwtmint's libFuzzer targets with address and undefined-behaviour sanitizers and runs each
# for a bounded time, FUZZ_PARALLEL at a time. Any crash, leak, sanitizer report or timeout fails
# the run.
#
#   fuzz/run.sh [SECONDS_PER_TARGET]          default 60 (or $FUZZ_SECONDS)
#
# Environment: FUZZ_CXX (default clang++-14, else clang++), FUZZ_BUILD_DIR (default build-fuzz),
# FUZZ_JOBS (build parallelism, default 2), FUZZ_PARALLEL (targets run at once, default FUZZ_JOBS),
# FUZZ_TARGETS (default "base64url token pem_key jwk claims json_scan claims_diff jwks_verifier").
# The committed seeds in fuzz/corpus/<target>/ are copied to a scratch corpus first, so a run never
# changes them; crash inputs are kept in $FUZZ_BUILD_DIR/artifacts/. Needs Debian's clang-14 and
# libclang-rt-14-dev (apt-get install -y clang-14 libclang-rt-14-dev).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-${FUZZ_SECONDS:-60}}"
build="${FUZZ_BUILD_DIR:-build-fuzz}"
jobs="${FUZZ_JOBS:-2}"
targets=(${FUZZ_TARGETS:-base64url token pem_key jwk claims json_scan claims_diff jwks_verifier})
cxx="${FUZZ_CXX:-}"
if [ -z "$cxx" ]; then
  if command -v clang++-14 >/dev/null 2>&1; then cxx=clang++-14; else cxx=clang++; fi
fi
command -v "$cxx" >/dev/null 2>&1 || { echo "fuzz/run.sh: $cxx not found (apt-get install -y clang-14 libclang-rt-14-dev)" >&2; exit 1; }

# Ninja builds the several targets in parallel (make builds its goals one by one).
generator=()
if command -v ninja >/dev/null 2>&1 && [ ! -f "$build/CMakeCache.txt" ]; then generator=(-GNinja); fi
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DJWTMINT_BUILD_TESTS=OFF -DJWTMINT_BUILD_EXAMPLES=OFF -DJWTMINT_INSTALL=OFF \
      -DJWTMINT_BUILD_FUZZERS=ON -DJWTMINT_WARNINGS_AS_ERRORS=ON >"$build.configure.log" 2>&1 || { cat "$build.configure.log"; exit 1; }
cmake --build "$build" -j"$jobs" --target "${targets[@]/#/fuzz_}"

artifacts="$build/artifacts"
mkdir -p "$artifacts"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# One target's run: its line of the summary goes to $build/fuzz_<target>.result, and on failure
# the end of its log is shown. FUZZ_PARALLEL targets run at once (default: FUZZ_JOBS), each on
# one core, so a CI run gives every target its full time in a fraction of the wall clock.
run_target() {
  local t="$1" scratch log status=0 execs corpus
  scratch="$(mktemp -d "${TMPDIR:-/tmp}/jwtmint-fuzz-$t-XXXXXX")"
  cp fuzz/corpus/"$t"/* "$scratch"/
  log="$build/fuzz_$t.log"
  echo "== fuzz_$t for $seconds s"
  "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$artifacts/$t-" "$scratch" >"$log" 2>&1 || status=$?
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  corpus="$(ls "$scratch" | wc -l)"
  rm -rf "$scratch"
  if [ "$status" -ne 0 ]; then
    echo "fuzz_$t FAILED (exit $status); the end of $log:"
    tail -40 "$log"
    printf '%-16s %12s executions  corpus %5s  FAILED (exit %s)\n' "fuzz_$t" "${execs:-?}" "$corpus" "$status" >"$build/fuzz_$t.result"
    return 1
  fi
  printf '%-16s %12s executions  corpus %5s  ok\n' "fuzz_$t" "${execs:-?}" "$corpus" >"$build/fuzz_$t.result"
}

parallel="${FUZZ_PARALLEL:-$jobs}"
failed=0
pids=()
for t in "${targets[@]}"; do
  rm -f "$build/fuzz_$t.result"
  run_target "$t" &
  pids+=($!)
  if [ "${#pids[@]}" -ge "$parallel" ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
summary=()
for t in "${targets[@]}"; do summary+=("$(cat "$build/fuzz_$t.result" 2>/dev/null || echo "fuzz_$t: no result")"); done

echo
echo "libFuzzer, $seconds s per target, -fsanitize=fuzzer,address,undefined:"
printf '  %s\n' "${summary[@]}"
exit "$failed"
