#!/usr/bin/env bash
# Sets up (scripts/setup.sh), then runs the whole test suite: lit tests of
# test/ and the GoogleTest unit tests, through `ninja check-cupilot`.
# Ends with a summary line `N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
BUILD_DIR=${BUILD_DIR:-build}

log=$(mktemp)
LIT_OPTS="${LIT_OPTS:--sv}" ninja -C "$BUILD_DIR" check-cupilot 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# lit's summary has lines like "  Passed           : 123".
count() { grep -oE "^ *$1 *: *[0-9]+" "$log" | tail -1 | grep -oE '[0-9]+$' || echo 0; }
passed=$(( $(count Passed) + $(count "Expectedly Failed") ))
failed=$(( $(count Failed) + $(count "Unexpectedly Passed") + $(count Unresolved) + $(count "Timed Out") ))
rm -f "$log"
if [[ $status -ne 0 && $failed -eq 0 ]]; then
  failed=1 # the build or lit itself failed
fi
echo "$passed passed, $failed failed"
exit $status
