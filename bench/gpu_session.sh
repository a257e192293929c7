#!/usr/bin/env bash
# One benchmark session on a GPU machine that has CUDA but no LLVM, with the
# portable binaries carried in CARRY_DIR (a CUPILOT_STATIC_LLVM build):
#   CARRY_DIR/cupilot-opt.xz, CARRY_DIR/cupilot-worker,
#   CARRY_DIR/clang-res.tar.xz (clang's resource headers).
# Runs the suite (bench/run_on_gpu.sh), then checks that a run killed with
# SIGKILL resumes from the database without repeating evaluations, and packs
# everything into OUT_DIR/bench.tgz.
#
# Usage: bench/gpu_session.sh CARRY_DIR OUT_DIR [extra --evolve flags]
set -uo pipefail
cd "$(dirname "$0")/.."
CARRY=$1 OUT=$2
shift 2
BIN=/tmp/cupilot-bin RES=/tmp/cupilot-res WORK=/tmp/cupilot-bench
mkdir -p "$BIN" "$RES" "$WORK" "$OUT"
xz -dc "$CARRY/cupilot-opt.xz" > "$BIN/cupilot-opt"
cp "$CARRY/cupilot-worker" "$BIN/"
chmod +x "$BIN"/*
tar -C "$RES" -xJf "$CARRY/clang-res.tar.xz"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv | tee "$WORK/gpu.txt"

bench/run_on_gpu.sh "$BIN" "$RES" "$WORK" "$@" > "$WORK/suite.log" 2>&1
echo "suite exit: $?" >> "$WORK/suite.log"

# Kill -9 in the middle of an evolution, then rerun: nothing is lost and
# finished evaluations are reused.
K=transpose_naive
run() {
  "$BIN/cupilot-opt" bench/kernels/$K.cu --task bench/tasks/$K.task.yaml \
    --evolve --db "$WORK/resume.db" --report "$WORK/resume" \
    --resource-dir "$RES" --strategies strategies --worker "$BIN/cupilot-worker" \
    --seed 7 "$@"
}
count() {
  python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from evaluations').fetchone()[0])" "$WORK/resume.db"
}
{
  timeout -s KILL 12 bash -c "$(declare -f run); BIN=$BIN RES=$RES WORK=$WORK K=$K run --generations 2 --population 6" 2>&1 | tail -3
  echo "after kill -9: $(count) evaluations in the database"
  run --generations 2 --population 6 2>&1 | tail -4
  echo "after rerun: $(count) evaluations in the database"
} > "$WORK/resume.log" 2>&1

tar -C "$WORK" -czf "$OUT/bench.tgz" .
cp "$WORK/table.md" "$WORK/suite.log" "$WORK/resume.log" "$OUT/" 2>/dev/null
cat "$WORK/resume.log"
cat "$WORK/table.md" 2>/dev/null
