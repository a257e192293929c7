#!/usr/bin/env bash
# Runs the benchmark suite on a GPU machine: evolves every naive kernel of
# bench/kernels against its task in bench/tasks, times cuBLAS on the same
# computations (bench/vendor/cublas_bench.cu, when nvcc is there), then
# prints one table.
#
# Usage: bench/run_on_gpu.sh BIN_DIR RESOURCE_DIR OUT_DIR [extra --evolve flags]
#   BIN_DIR       holds cupilot-opt and cupilot-worker (a CUPILOT_STATIC_LLVM
#                 build runs on machines without LLVM)
#   RESOURCE_DIR  clang's resource directory (CUDA wrapper headers)
#   OUT_DIR       tuning database, reports, optimized sources, table
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=$1 RES=$2 OUT=$3
shift 3
mkdir -p "$OUT"
KERNELS=${KERNELS:-"vector_add row_sum sgemm_naive transpose_naive stencil2d_naive"}
status=0
for k in $KERNELS; do
  echo "=== $k"
  "$BIN/cupilot-opt" "bench/kernels/$k.cu" --task "bench/tasks/$k.task.yaml" \
    --evolve --db "$OUT/tuning.db" --report "$OUT/$k" -o "$OUT/$k.opt.cu" \
    --resource-dir "$RES" --strategies strategies --worker "$BIN/cupilot-worker" \
    "$@" 2>&1 | tee "$OUT/$k.log" || status=1
done
# The vendor library on the same computations, same card, same session.
vendor=()
NVCC=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
mkdir -p "$OUT/vendor"
if [[ -x $NVCC ]] &&
  "$NVCC" -O3 -arch=native bench/vendor/cublas_bench.cu -lcublas \
    -o "$OUT/vendor/cublas_bench" > "$OUT/vendor/build.log" 2>&1 &&
  "$OUT/vendor/cublas_bench" > "$OUT/vendor/cublas.json" 2> "$OUT/vendor/run.log"; then
  vendor=(--vendor "$OUT/vendor/cublas.json")
else
  echo "vendor library timings unavailable (see $OUT/vendor/*.log)"
fi
python3 bench/summarize.py "${vendor[@]}" "$OUT"/*.json | tee "$OUT/table.md"
exit $status
