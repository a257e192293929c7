#!/usr/bin/env bash
# The main job on its defaults: set up and build (scripts/setup.sh), then run
# cupilot over the naive kernels of bench/kernels with the built-in strategy
# engine (no LLM key) and the tuning database ./.cupilot/tuning.db:
#   - index every kernel and list the strategies that apply to it;
#   - on a machine with a GPU: evolve each kernel against its task in
#     bench/tasks (reports and optimized sources in ./out/);
#   - without a GPU: apply the best variants in the database (--apply-best
#     needs no GPU; an empty database is first seeded with the results
#     recorded on the GPU machine, bench/results/tuning.db) and say that
#     evolution was skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
BUILD_DIR=${BUILD_DIR:-build}
OPT="$BUILD_DIR/bin/cupilot-opt"
DB=.cupilot/tuning.db
mkdir -p out .cupilot

gpu=0
if [[ -e /dev/nvidia0 ]] || command -v nvidia-smi >/dev/null 2>&1 &&
  nvidia-smi -L >/dev/null 2>&1; then
  gpu=1
fi

if ((!gpu)) && [[ ! -f $DB ]]; then
  # Start from the tuning results recorded on the GPU machine
  # (bench/RESULTS.md), so a build without a GPU still gets tuned kernels.
  cp bench/results/tuning.db "$DB"
  echo "no GPU: seeded $DB with the results recorded in bench/results/"
fi

for cu in bench/kernels/*.cu; do
  name=$(basename "$cu" .cu)
  echo "== $cu"
  "$OPT" "$cu" --list-kernels
  "$OPT" "$cu" --emit=strategies --kernel "$name" --task "bench/tasks/$name.task.yaml"
  if ((gpu)); then
    "$OPT" "$cu" --task "bench/tasks/$name.task.yaml" --evolve --db "$DB" \
      --report "out/$name" -o "out/$name.opt.cu"
  elif [[ -f $DB ]]; then
    "$OPT" "$cu" --apply-best --db "$DB" -o "out/$name.opt.cu"
  fi
done
if ((gpu)); then
  python3 bench/summarize.py out/*.json | tee out/table.md
else
  echo "no GPU on this machine: evolution skipped (it needs one);" \
    "kernel indexes and applicable strategies are above" \
    "$([[ -f $DB ]] && echo "; best known variants applied to out/*.opt.cu")"
fi
