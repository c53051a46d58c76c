#!/usr/bin/env bash
# The style stage: clang-format and clang-tidy, version 16 both (other versions format and warn
# differently, so the version is pinned). Any difference from .clang-format, and any clang-tidy
# warning of the checks .clang-tidy keeps, fails it.
#
#   bash .ci/style.sh                     format check, then clang-tidy over the usual files
#   JWTMINT_TIDY=all bash .ci/style.sh    clang-tidy over every translation unit of tests/ and examples/
#   JWTMINT_TIDY=none bash .ci/style.sh   format check only
#   bash .ci/style.sh tests/key_test.cpp  clang-tidy over the files named (and the format check)
#
#  1. clang-format --dry-run -Werror over the project's own C++ files (git ls-files; nothing is
#     vendored today: add a pathspec to `vendored` below if that changes). The fix:
#       git ls-files -z -- '*.hpp' '*.cpp' '*.h' | xargs -0 clang-format-16 -i
#  2. clang-tidy --warnings-as-errors='*' over
#     - every header of include/: one file that includes <jwtmint/jwtmint.hpp> and
#       <jwtmint/json.hpp>, with the static analyzer told to analyze header functions too (it skips
#       them otherwise, and a header-only library is nothing but header functions);
#     - the usual files (below): the library's templates instantiated the way tests and users do,
#       the test helpers in tests/*.hpp, the example files with most code of their own, and the
#       load benchmark's signing-ceiling tool (bench/host_load/, built with the tests).
#     Files of tests/ and examples/ are compiled as the build (compile_commands.json of build-style/,
#     configured here with clang++-16). The static analyzer (clang-analyzer-*) skips the Catch2 test
#     files: it takes 4 minutes on each, and .ci/run executes them under ASan, UBSan and valgrind,
#     which see what it would. JWTMINT_TIDY=all checks every translation unit of tests/ and examples/
#     (some 60 files, over half an hour one at a time, so about 20 minutes on 2 cores): before a release, or
#     after changing .clang-tidy.
#
# Needs what CMake's configure step needs (scripts/install-deps.sh; nothing is built) and clang-16.
# Environment: CI=true installs clang-format-16, clang-tidy-16 and clang-16 when they are missing (as
# .ci/run installs its packages); JWTMINT_STYLE_JOBS (clang-tidy processes at once, default: the
# number of cores); JWTMINT_TIDY (usual | all | none).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

clang_format=clang-format-16
clang_tidy=clang-tidy-16
jobs="${JWTMINT_STYLE_JOBS:-$(nproc)}"
scope="${JWTMINT_TIDY:-usual}"
case "$scope" in usual | all | none) ;; *) echo "style: JWTMINT_TIDY is usual, all or none, not '$scope'" >&2; exit 2 ;; esac
build=build-style
# Vendored or generated C++ files in git that are not ours to format (none today), as git pathspecs.
vendored=()

# The usual clang-tidy files, besides the umbrella header's (see above).
usual=(
  tests/verifier_test.cpp          # builder<Signer> and verifier<Alg> of every algorithm; verifier_helpers.hpp
  tests/builder_test.cpp           # the builder's claims, JSON values and policies
  tests/jwk_test.cpp               # JWKs, jwks_verifier; core_helpers.hpp, support.hpp
  tests/key_ring_test.cpp          # key_ring<Signer> with jwtmint's signers, an application's and HMAC
  tests/kms_signer_test.cpp        # kms_signer<Alg> against a stand-in KMS, with the builder and a key ring
  tests/pem_paste_test.cpp         # detail/pem.hpp: pasted keys that lost a line, indented, on one line
  examples/host_backend/main.cpp   # login_policy from JSON, key files, the server's set-up
  examples/host_backend/http.cpp   # the HTTP/1.1 server: epoll loops, parsing under limits, shutdown
  examples/host_backend/sessions.cpp        # the session store: digests, two recency lists, caps
  examples/host_backend/signin_limiter.cpp  # the sign-in limiter: bounded LRU tables, back-off, window
  examples/cli/main.cpp            # the CLI's commands and option parsing
  examples/hsm/pkcs11_signer.cpp   # the PKCS#11 signer: the module's C API, the session pool, EVP_PKEY_fromdata
  examples/kms/mint.cpp            # kms_signer over Google Cloud KMS's REST API and libcurl
  examples/beast/server.cpp        # the token endpoint on Boost.Beast; examples/common/token_endpoint.hpp
  examples/httplib/server.cpp      # the token endpoint on cpp-httplib
  bench/host_load/sign_ceiling.cpp # the signing ceiling of the load runs: key rings and builders on threads
)

# --- tools ---------------------------------------------------------------------------------------
need=()
command -v "$clang_format" >/dev/null 2>&1 || need+=(clang-format-16)
if [ "$scope" != none ]; then
  command -v "$clang_tidy" >/dev/null 2>&1 || need+=(clang-tidy-16)
  command -v clang++-16 >/dev/null 2>&1 || need+=(clang-16)
fi
if [ "${#need[@]}" -gt 0 ]; then
  if [ "${CI:-}" = true ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
  else
    echo "style: missing ${need[*]} (Debian 12: apt-get install ${need[*]})" >&2
    exit 2
  fi
fi
for tool in "$clang_format" "$clang_tidy"; do
  if [ "$tool" = "$clang_tidy" ] && [ "$scope" = none ]; then continue; fi
  if ! "$tool" --version | grep -q 'version 16\.'; then
    echo "style: $tool is not version 16: $("$tool" --version | head -1)" >&2
    exit 2
  fi
done

mkdir -p "$build/style/logs"
# --- 1. clang-format ------------------------------------------------------------------------------
t=$(date +%s)
mapfile -d '' sources < <(git ls-files -z -- '*.hpp' '*.cpp' '*.h' '*.cc' "${vendored[@]/#/:!:}")
if ! "$clang_format" --dry-run -Werror --style=file "${sources[@]}" 2>"$build/style/format.log"; then
  # One line per place, not clang-format's whole listing (or all of it, if it failed otherwise).
  grep -q 'code should be clang-formatted' "$build/style/format.log" || cat "$build/style/format.log" >&2
  grep -E '^[^ ].*: error: code should be clang-formatted' "$build/style/format.log" | sed 's/ \[-Wclang-format-violations\]//' | sort -u
  echo "style: $(grep -Ec ': error: code should be clang-formatted' "$build/style/format.log") places differ from .clang-format in" \
       "$(grep -E ': error: code should be clang-formatted' "$build/style/format.log" | cut -d: -f1 | sort -u | wc -l) files;" \
       "fix: git ls-files -z -- '*.hpp' '*.cpp' '*.h' | xargs -0 $clang_format -i" >&2
  format_failed=1
else
  format_failed=0
  echo "style: clang-format: ${#sources[@]} files as .clang-format has them ($(( $(date +%s) - t )) s)"
fi
rm -f "$build/style/format.log"

if [ "$scope" = none ]; then
  [ "$format_failed" -eq 0 ] || exit 1
  exit 0
fi

# --- 2. clang-tidy --------------------------------------------------------------------------------
t=$(date +%s)
# Ninja if there, as .ci/run does; only a new build directory may choose its generator.
generator=()
if command -v ninja >/dev/null 2>&1 && [ ! -f "$build/CMakeCache.txt" ]; then generator=(-GNinja); fi
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_CXX_COMPILER=clang++-16 -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
      -DJWTMINT_BUILD_TESTS=ON -DJWTMINT_BUILD_EXAMPLES=ON -DJWTMINT_BUILD_BENCH=OFF -DJWTMINT_BUILD_FUZZERS=OFF \
      >"$build.configure.log" 2>&1 || { cat "$build.configure.log"; exit 1; }

# The translation units: compile_commands.json's files under tests/ and examples/ (not the
# compile-fail tests, which must not compile, nor files generated into the build directory).
root=$(pwd)
if [ "$#" -gt 0 ]; then
  tus=("$@")
elif [ "$scope" = all ]; then
  mapfile -t tus < <(python3 - "$build/compile_commands.json" "$root" <<'EOF'
import json, sys
root = sys.argv[2].rstrip('/') + '/'
seen = []
for entry in json.load(open(sys.argv[1])):
    f = entry['file']
    if not f.startswith(root): continue
    rel = f[len(root):]
    if not rel.startswith(('tests/', 'examples/', 'bench/host_load/')) or rel.startswith('tests/compile_fail_'): continue
    if rel not in seen: seen.append(rel)
print('\n'.join(seen))
EOF
  )
else
  tus=("${usual[@]}")
fi

umbrella="$build/style/jwtmint_umbrella.cpp"
rm -f "$build"/style/logs/*.log
# The umbrella header leaves out json.hpp and remote_jwks.hpp (and curl_fetch.hpp, which needs libcurl's).
printf '%s\n' '// Every public header, for clang-tidy (.ci/style.sh).' '#include <jwtmint/jwtmint.hpp>' \
  '#include <jwtmint/json.hpp>' '#include <jwtmint/remote_jwks.hpp>' '#if __has_include(<curl/curl.h>)' \
  '#include <jwtmint/curl_fetch.hpp>' '#endif' >"$umbrella"

# One clang-tidy run; its output goes to a log named after the file.
tidy_one() {
  local tu="$1" log t0=$SECONDS
  log="$build/style/logs/$(printf '%s' "$tu" | tr '/' '_').log"
  if [ "$tu" = "$umbrella" ]; then
    "$clang_tidy" --quiet --warnings-as-errors='*' \
      --extra-arg=-Xclang --extra-arg=-analyzer-opt-analyze-headers "$tu" \
      -- -std=c++17 -Iinclude -DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED >"$log" 2>&1
  elif [[ "$tu" == tests/* ]]; then
    "$clang_tidy" --quiet --warnings-as-errors='*' -p "$build" --checks='-clang-analyzer-*' "$tu" >"$log" 2>&1
  else
    "$clang_tidy" --quiet --warnings-as-errors='*' -p "$build" "$tu" >"$log" 2>&1
  fi || { echo "FAIL $tu ($(( SECONDS - t0 )) s)"; return 0; }
  echo "ok   $tu ($(( SECONDS - t0 )) s)"
}
export -f tidy_one
export clang_tidy build umbrella

# The umbrella first: it takes longest.
results=$(printf '%s\n' "$umbrella" "${tus[@]}" | xargs -P "$jobs" -I{} bash -c 'tidy_one "$1"' _ {})
printf '%s\n' "$results"
tidy_failed=0
if grep -q '^FAIL' <<<"$results"; then
  tidy_failed=1
  # Each warning once (a header's warning comes from every file that includes it), and any
  # compile errors (a file that does not compile fails too). The logs keep the full output.
  cat "$build"/style/logs/*.log | grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' | sed "s|^$root/||" | sort -u
  echo "style: clang-tidy: $(grep -c '^FAIL' <<<"$results") of $(( ${#tus[@]} + 1 )) files have warnings" \
       "(full output: $build/style/logs/)" >&2
else
  echo "style: clang-tidy: $(( ${#tus[@]} + 1 )) files without a warning ($(( $(date +%s) - t )) s)"
fi

echo "style: finished in $(( $(date +%s) - start )) s"
[ "$format_failed" -eq 0 ] && [ "$tidy_failed" -eq 0 ]
