#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (CUPILOT_BUILD_FUZZERS=ON, in
# build-fuzz/) and runs each for SECONDS_PER_TARGET seconds (default 60):
# first it replays the target's reproducers in fuzz/regressions/<target>/,
# then it fuzzes from the seeds in fuzz/corpus/<target>/ with the dictionary
# fuzz/dicts/<target>.dict. Prints one line per target (executions, speed,
# corpus growth, result) and exits non-zero on any crash, timeout (hang) or
# out-of-memory. See docs/Hardening.md.
#
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET]
#
# Environment: FUZZ_TARGETS="fuzz-expression ..." runs only those targets;
# FUZZ_BUILD_DIR (build-fuzz); FUZZ_RSS_LIMIT_MB (2048); FUZZ_JOBS (1) runs
# that many fuzzing processes per target in parallel.
# The corpus each run grows is kept in $FUZZ_BUILD_DIR/fuzz/corpus/<target>,
# so later runs continue from it; crashes go to
# $FUZZ_BUILD_DIR/fuzz/artifacts/<target>/.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

SECONDS_PER_TARGET=${1:-60}
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
RSS_LIMIT_MB=${FUZZ_RSS_LIMIT_MB:-2048}
JOBS=${FUZZ_JOBS:-1}
if ! [[ $SECONDS_PER_TARGET =~ ^[0-9]+$ ]]; then
  echo "usage: $0 [SECONDS_PER_TARGET]" >&2
  exit 1
fi

# scripts/setup.sh installs these; the configuration below is the fuzzers'
# own.
if ! command -v clang++-22 >/dev/null ||
  [[ ! -f /usr/lib/llvm-22/lib/clang/22/lib/linux/libclang_rt.fuzzer-x86_64.a ]]; then
  echo "fuzz: needs clang-22 and libclang-rt-22-dev; run scripts/setup.sh" >&2
  exit 1
fi
if [[ ! -f "$BUILD_DIR/build.ninja" ]] ||
  ! grep -q '^CUPILOT_BUILD_FUZZERS:BOOL=ON' "$BUILD_DIR/CMakeCache.txt"; then
  cmake -G Ninja -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DClang_DIR=/usr/lib/llvm-22/lib/cmake/clang \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DCUPILOT_CUDA_PATH="${CUDA_PATH:-/usr/local/cuda}" \
    -DCMAKE_CXX_COMPILER=clang++-22 -DCMAKE_C_COMPILER=clang-22 \
    -DCUPILOT_BUILD_FUZZERS=ON -DCUPILOT_BUILD_TESTS=OFF >/dev/null || exit 1
fi
start=$SECONDS
ninja -C "$BUILD_DIR" cupilot-fuzzers || exit 1
echo "fuzz: built the fuzzers in $((SECONDS - start)) s"

manifest="$BUILD_DIR/fuzz/fuzzers.txt"
# Full reports; the options that keep uninstrumented LLVM quiet are in
# docs/Hardening.md.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}allow_user_poisoning=0"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-}${UBSAN_OPTIONS:+:}print_stacktrace=1"

failures=0
summary=()
while read -r target max_len timeout extra_seeds; do
  [[ -z $target || $target == \#* ]] && continue
  if [[ -n ${FUZZ_TARGETS:-} && " $FUZZ_TARGETS " != *" $target "* ]]; then
    continue
  fi
  bin="$BUILD_DIR/bin/$target"
  work="$BUILD_DIR/fuzz/corpus/$target"
  artifacts="$BUILD_DIR/fuzz/artifacts/$target/"
  logs="$BUILD_DIR/fuzz/logs/$target"
  mkdir -p "$work" "$artifacts" "$logs"
  rm -f "$logs"/*.log
  options=(-max_len="$max_len" -timeout="$timeout" -rss_limit_mb="$RSS_LIMIT_MB"
    -artifact_prefix="$ROOT/$artifacts" -print_final_stats=1)
  [[ -f fuzz/dicts/$target.dict ]] && options+=(-dict="fuzz/dicts/$target.dict")

  # Known reproducers must stay fixed.
  result=ok
  shopt -s nullglob
  regressions=(fuzz/regressions/"$target"/*)
  shopt -u nullglob
  if ((${#regressions[@]})); then
    if ! "$bin" "${options[@]}" "${regressions[@]}" >"$logs/regressions.log" 2>&1; then
      result="regression failed (see $logs/regressions.log)"
      grep -E "^SUMMARY|ERROR: libFuzzer|contract violated|Running: " \
        "$logs/regressions.log" | tail -5
    fi
  fi

  runs=0 speed=0 added=0
  if [[ $result == ok ]]; then
    seeds=()
    [[ -d fuzz/corpus/$target ]] && seeds+=(fuzz/corpus/"$target")
    # Seed directories elsewhere in the repository (test inputs).
    read -ra more <<<"${extra_seeds:-}"
    seeds+=("${more[@]}")
    # libFuzzer stops itself after -max_total_time; the outer timeout only
    # guards against the fuzzer itself getting stuck.
    pids=()
    for ((job = 0; job < JOBS; job++)); do
      timeout --signal=KILL $((SECONDS_PER_TARGET + 3 * timeout + 300)) \
        "$bin" "${options[@]}" -max_total_time="$SECONDS_PER_TARGET" \
        "$work" "${seeds[@]}" >"$logs/fuzz-$job.log" 2>&1 &
      pids+=($!)
    done
    for ((job = 0; job < JOBS; job++)); do
      status=0
      wait "${pids[$job]}" || status=$?
      log="$logs/fuzz-$job.log"
      stat() { grep -oE "^stat::$1: *[0-9]+" "$log" | grep -oE '[0-9]+$' || echo 0; }
      runs=$((runs + $(stat number_of_executed_units)))
      speed=$((speed + $(stat average_exec_per_sec)))
      added=$((added + $(stat new_units_added)))
      if ((status != 0)); then
        kind=$(grep -oE "ERROR: libFuzzer: [a-z-]+|ERROR: AddressSanitizer: [a-z-]+|runtime error|contract violated" "$log" | head -1)
        artifact=$(grep -oE "Test unit written to [^ ]+" "$log" | head -1 | sed 's/Test unit written to //')
        result="FAILED: ${kind:-exit status $status}${artifact:+, reproducer $artifact} (log $log)"
        grep -E "^SUMMARY|contract violated|runtime error" "$log" | head -3
      fi
    done
  fi
  [[ $result == ok ]] || failures=$((failures + 1))
  corpus=$(find "$work" -type f | wc -l)
  line=$(printf '%-20s %9s runs %7s exec/s %5s new %6s corpus  %s' \
    "$target" "$runs" "$speed" "$added" "$corpus" "$result")
  echo "fuzz: $line"
  summary+=("$line")
done <"$manifest"

echo
echo "== fuzzing summary (${SECONDS_PER_TARGET} s per target, $JOBS job(s) each)"
printf '%s\n' "${summary[@]}"
if ((failures)); then
  echo "fuzz: $failures target(s) failed"
  exit 1
fi
echo "fuzz: no crash, hang or out-of-memory"
