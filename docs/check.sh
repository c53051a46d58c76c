#!/usr/bin/env bash
# The docs gate (ctest docs_gate, label docs; .ci/docs.sh runs it):
#  1. Doxygen over the public headers with the reference's configuration writes no warning;
#  2. the same configuration with tests/docs/undocumented.hpp added to the public headers (one
#     undocumented function) fails with one warning, which names that function: the gate catches
#     what it is for;
#  3. and with that function documented, passes: it failed for that reason alone.
#
#   bash docs/check.sh DOXYGEN DOXYFILE WORKDIR
# DOXYFILE is the configured one (BUILD/docs/Doxyfile, from docs/Doxyfile.in); WORKDIR receives
# the outputs and logs (the reference itself is written by `cmake --build BUILD --target docs`).
set -euo pipefail
if [ "$#" -ne 3 ]; then
  echo "usage: bash docs/check.sh DOXYGEN DOXYFILE WORKDIR" >&2
  exit 2
fi
doxygen="$1" doxyfile="$2" work="$3"
here="$(cd "$(dirname "$0")" && pwd)"
fixture="$here/../tests/docs/undocumented.hpp"
rm -rf "$work"
mkdir -p "$work/reference" "$work/fixture" "$work/fixed"

# Doxygen reads its configuration from stdin with "-"; a later setting overrides an earlier one.
run() {  # OUTDIR LOG [extra settings...]: Doxygen's exit status
  local out="$1" log="$2"; shift 2
  { cat "$doxyfile"; echo "OUTPUT_DIRECTORY = $out"; printf '%s\n' "$@"; } | "$doxygen" - >"$log.out" 2>"$log"
}

# 1. The reference: no warning at all (FAIL_ON_WARNINGS makes Doxygen exit 1 on one; the log must
#    also be empty, in case a message is not counted as a warning).
status=0
run "$work/reference" "$work/reference.log" || status=$?
if [ "$status" -ne 0 ] || [ -s "$work/reference.log" ]; then
  cat "$work/reference.log" >&2
  echo "docs: the API reference has Doxygen warnings ($(grep -c . "$work/reference.log") lines, exit $status):" \
       "document each name above with a /// comment (docs/Doxyfile.in says what is checked)" >&2
  exit 1
fi
echo "docs: the API reference builds without a warning"

# 2. The fixture beside the public headers: Doxygen must fail, naming the function and nothing else.
status=0
run "$work/fixture" "$work/fixture.log" "INPUT += $fixture" || status=$?
if [ "$status" -eq 0 ]; then
  cat "$work/fixture.log" >&2
  echo "docs: the gate is broken: Doxygen passed a header with an undocumented function" >&2
  exit 1
fi
if [ "$(grep -c . "$work/fixture.log")" -ne 1 ] \
   || ! grep -q 'undocumented_call.*is not documented' "$work/fixture.log"; then
  cat "$work/fixture.log" >&2
  echo "docs: the gate failed on the fixture, but not by naming undocumented_call alone" >&2
  exit 1
fi
echo "docs: the gate refuses an undocumented function: $(grep -m1 undocumented_call "$work/fixture.log")"

# 3. The fixture with that function documented: Doxygen must pass.
sed 's|^inline int undocumented_call|/// Documented now.\n&|' "$fixture" >"$work/fixed/undocumented.hpp"
status=0
run "$work/fixed" "$work/fixed.log" "INPUT += $work/fixed/undocumented.hpp" || status=$?
if [ "$status" -ne 0 ] || [ -s "$work/fixed.log" ]; then
  cat "$work/fixed.log" >&2
  echo "docs: the gate still fails once the fixture's function is documented" >&2
  exit 1
fi
echo "docs: and passes it once documented"
