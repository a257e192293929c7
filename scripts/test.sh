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

source scripts/lit-summary.sh
lit_counts "$log" "$status"
rm -f "$log"
echo "$passed passed, $failed failed"
exit $status
