#!/usr/bin/env bash
# Sanitizers and valgrind over jwtmint's tests. .ci/run calls it; it also runs alone:
#
#   bash .ci/sanitizers.sh
#
#  1. asan preset (AddressSanitizer + UndefinedBehaviorSanitizer, build/asan): everything is
#     built and the whole ctest suite runs instrumented, except the tests of the build system
#     itself (compile_fail_*, package: *): they run a compiler and CMake, not jwtmint's code, so an
#     instrumented run adds nothing to the plain run in .ci/run and costs minutes of compiling.
#  2. tsan preset (ThreadSanitizer, build/tsan): the threaded tests (the remote JWK Set's and the
#     host backend's session store and sign-in limiter among them), ctest -R 'concurrency|many threads',
#     and the host backend's fault tests against a TSan build of the program.
#  3. valgrind memcheck over the core test binaries of a plain build: any memory error, and any
#     definitely, indirectly or possibly lost block, fails; "still reachable" (OpenSSL's one-time
#     initialisation, freed by its atexit handler or not at all) is allowed. Then, when that
#     build has the HSM example, its programs the same way, through ctest -L hsm.
#
# Environment: JWTMINT_SANITIZER_JOBS (build parallelism, default: the number of cores, at most 2),
# JWTMINT_VALGRIND_BUILD_DIR (a plain, non-sanitized build that already holds the core test
# binaries, e.g. .ci/run's build-rel-gcc/; default: build/valgrind, configured and built here),
# JWTMINT_SANITIZERS (default "asan tsan valgrind": the steps to run).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

cores=$(nproc)
jobs="${JWTMINT_SANITIZER_JOBS:-$(( cores < 2 ? cores : 2 ))}"
steps="${JWTMINT_SANITIZERS:-asan tsan valgrind}"
# Warnings are errors here as in every CI build (the presets say so too; the plain valgrind build needs it).
configure_args=(-DJWTMINT_WARNINGS_AS_ERRORS=ON)

# Every finding is fatal; reports name file and line (the presets build with -g1).
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"

timings=()
step_done() { timings+=("$(printf '%-9s %4d s' "$1" "$(( $(date +%s) - $2 ))")"); }
# Builds of a few targets run them in parallel only with Ninja (make builds its goals one by one).
fresh_generator() { if command -v ninja >/dev/null 2>&1 && [ ! -f "$1/CMakeCache.txt" ]; then echo "-GNinja"; fi; }

if [[ " $steps " == *" asan "* ]]; then
  t=$(date +%s)
  echo "== asan: AddressSanitizer + UndefinedBehaviorSanitizer, the whole suite"
  cmake --preset asan "${configure_args[@]}" >/dev/null
  cmake --build build/asan -j"$jobs"
  ctest --test-dir build/asan --output-on-failure -j"$jobs" -E '^(compile_fail_|package: )'
  step_done asan "$t"
fi

if [[ " $steps " == *" tsan "* ]]; then
  t=$(date +%s)
  echo "== tsan: ThreadSanitizer, the threaded tests"
  cmake --preset tsan $(fresh_generator build/tsan) "${configure_args[@]}" >/dev/null
  # The host backend too, where that build has it (CLI11 found): the unit tests of its session
  # store and sign-in limiter, and the program itself under the fault tests (its event loops,
  # sign-in threads and shutdown, with SIGTERM under load).
  host_targets=()
  host_tests=""
  if ctest --test-dir build/tsan -N -L host_backend 2>/dev/null | grep -q 'Total Tests: [1-9]'; then
    host_targets=(host_backend_unit_test jwtmint-host-backend)
    host_tests="|host_backend: faults"
  fi
  cmake --build build/tsan -j"$jobs" --target concurrency_test verifier_test key_ring_test remote_jwks_test kms_signer_test \
    "${host_targets[@]}"
  # Kernels with many bits of mmap randomisation break TSan's fixed memory layout: run without ASLR.
  norandom=()
  if command -v setarch >/dev/null 2>&1 && setarch "$(uname -m)" -R true 2>/dev/null; then
    norandom=(setarch "$(uname -m)" -R)
  fi
  "${norandom[@]}" ctest --test-dir build/tsan --output-on-failure \
    -R "concurrency|many threads|shared by threads${host_tests}" --no-tests=error
  step_done tsan "$t"
fi

if [[ " $steps " == *" valgrind "* ]]; then
  t=$(date +%s)
  echo "== valgrind memcheck over the core tests"
  command -v valgrind >/dev/null 2>&1 || { echo "valgrind not found (apt-get install valgrind)" >&2; exit 1; }
  core=(error_test base64url_test key_test signers_test claims_test builder_test verifier_test)
  plain="${JWTMINT_VALGRIND_BUILD_DIR:-}"
  if [ -z "$plain" ]; then
    plain=build/valgrind
    cmake -S . -B "$plain" $(fresh_generator "$plain") -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
          -DJWTMINT_BUILD_EXAMPLES=OFF "${configure_args[@]}" >/dev/null
  fi
  # Built here whichever build it is (a no-op where they are up to date): the core tests, and the
  # HSM example's programs where that build has them.
  hsm_targets=()
  if ctest --test-dir "$plain" -N -L hsm 2>/dev/null | grep -q 'Total Tests: [1-9]'; then
    hsm_targets=(jwtmint-hsm-mint hsm_signer_test pkcs11_probe)
  fi
  cmake --build "$plain" -j"$jobs" --target "${core[@]}" "${hsm_targets[@]}"
  logs="$plain/valgrind"
  mkdir -p "$logs"
  # Two at a time; each writes its own log, which is shown when it fails.
  printf '%s\n' "${core[@]}" | xargs -P "$jobs" -I{} sh -c '
    log="$1/$2.log"
    if valgrind --tool=memcheck --error-exitcode=1 --leak-check=full --show-leak-kinds=definite,indirect,possible \
         --errors-for-leak-kinds=definite,indirect,possible --num-callers=40 \
         --suppressions=.ci/valgrind.supp "$3/tests/$2" >"$log" 2>&1; then
      echo "valgrind $2: ok ($(grep -E "in use at exit|ERROR SUMMARY" "$log" | sed "s/^==[0-9]*== *//" | tr "\n" " "))"
    else
      echo "valgrind $2: FAILED"; tail -80 "$log"; exit 255
    fi' _ "$logs" {} "$plain"
  # The HSM example's programs (the PKCS#11 signers, through SoftHSM), through the hsm
  # tests of the same build: hsm_test.py runs them under the command in JWTMINT_HSM_WRAPPER,
  # where valgrind's exit status 99 fails the test.
  if [ "${#hsm_targets[@]}" -gt 0 ]; then
    echo "== valgrind memcheck over the HSM example (ctest -L hsm)"
    JWTMINT_HSM_WRAPPER="valgrind --quiet --tool=memcheck --error-exitcode=99 --leak-check=full \
--show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible \
--num-callers=40 --suppressions=$PWD/.ci/valgrind.supp" \
      ctest --test-dir "$plain" --output-on-failure -L hsm --no-tests=error
  else
    echo "== valgrind: $plain has no HSM tests (built without examples); skipped"
  fi
  step_done valgrind "$t"
fi

echo "sanitizers finished in $(( $(date +%s) - start )) s:"
printf '  %s\n' "${timings[@]}"
