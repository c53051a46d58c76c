#!/usr/bin/env bash
# The docs stage: jwtmint's API reference, built by Doxygen from the public headers with warnings
# as errors (docs/Doxyfile.in: every public name documented, no comment naming a parameter the
# function does not have), then the gate's own check (ctest docs_gate, docs/check.sh): the same
# configuration must fail on a header with one undocumented function (tests/docs/undocumented.hpp),
# naming it, and pass once it is documented.
#
#   bash .ci/docs.sh        configures build-docs/ (the docs only: no tests, examples or install rules)
#
# The reference is written to build-docs/docs/html/index.html. Needs what CMake's configure step
# needs (scripts/install-deps.sh) and Doxygen (Debian 12: doxygen 1.9.4; CI=true installs it when
# it is missing, as .ci/run installs its packages).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
build=build-docs

if ! command -v doxygen >/dev/null 2>&1; then
  if [ "${CI:-}" = true ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends doxygen
  else
    echo "docs: doxygen is missing (Debian 12: apt-get install doxygen)" >&2
    exit 2
  fi
fi

cmake -S . -B "$build" -DJWTMINT_BUILD_DOCS=ON -DJWTMINT_BUILD_TESTS=OFF -DJWTMINT_BUILD_EXAMPLES=OFF \
      -DJWTMINT_BUILD_BENCH=OFF -DJWTMINT_BUILD_FUZZERS=OFF -DJWTMINT_INSTALL=OFF \
      >"$build.configure.log" 2>&1 || { cat "$build.configure.log"; exit 1; }
# Doxygen exits 1 on any warning (WARN_AS_ERROR = FAIL_ON_WARNINGS), after listing each one.
if ! cmake --build "$build" --target docs; then
  echo "docs: Doxygen warned (above): document each public name it lists with a /// comment" >&2
  exit 1
fi
ctest --test-dir "$build" -L docs --output-on-failure --no-tests=error
echo "docs: $(doxygen --version), the reference at $build/docs/html/index.html; finished in $(( $(date +%s) - start )) s"
