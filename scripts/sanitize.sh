#!/usr/bin/env bash
# Configures and builds cupilot with AddressSanitizer and
# UndefinedBehaviorSanitizer (CUPILOT_ENABLE_SANITIZERS=ON) in build-asan/ and
# runs the whole lit + unit suite there (`ninja check-cupilot`). A sanitizer
# report anywhere fails the run, even in a process whose failure a test
# expects (`not cupilot-opt ...`): reports go to log files, which must stay
# empty. Ends with a summary line `N passed, N failed` like scripts/test.sh.
# See docs/Hardening.md.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${SANITIZE_BUILD_DIR:-build-asan}

# setup.sh installs the packages and configures and builds $BUILD_DIR.
BUILD_DIR=$BUILD_DIR \
  CUPILOT_CMAKE_ARGS="-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCUPILOT_ENABLE_SANITIZERS=ON ${CUPILOT_CMAKE_ARGS:-}" \
  bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
if ! grep -q '^CUPILOT_ENABLE_SANITIZERS:BOOL=ON' "$BUILD_DIR/CMakeCache.txt"; then
  cmake -DCUPILOT_ENABLE_SANITIZERS=ON "$BUILD_DIR" >/dev/null &&
    ninja -C "$BUILD_DIR" || { echo "0 passed, 1 failed"; exit 1; }
fi

reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
# log_path: every report lands in $reports/*.PID. allow_user_poisoning=0:
# LLVM's allocators poison their free memory by hand in inline header code,
# which only the instrumented side of an allocator shared with the
# uninstrumented libLLVM/libclang-cpp runs (docs/Hardening.md).
export ASAN_OPTIONS="log_path=$reports/asan:allow_user_poisoning=0:detect_leaks=1${ASAN_OPTIONS:+:}${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1${UBSAN_OPTIONS:+:}${UBSAN_OPTIONS:-}"

log=$(mktemp)
LIT_OPTS="${LIT_OPTS:--sv}" ninja -C "$BUILD_DIR" check-cupilot 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

source scripts/lit-summary.sh
lit_counts "$log" "$status"
rm -f "$log"

shopt -s nullglob
found=("$reports"/*)
if ((${#found[@]})); then
  echo "sanitize: ${#found[@]} sanitizer report(s):"
  for report in "${found[@]}"; do
    echo "---- $(basename "$report")"
    head -40 "$report"
  done
  failed=$((failed + ${#found[@]}))
  status=1
else
  echo "sanitize: no sanitizer reports"
fi
echo "$passed passed, $failed failed"
exit $status
