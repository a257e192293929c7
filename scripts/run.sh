#!/usr/bin/env bash
# The main job on its defaults: set up and build (scripts/setup.sh), then run
# cupilot over the naive kernels of bench/kernels: index every kernel and
# draft a task file for each, writing results to ./out/.
#
# No LLM key and no GPU are needed for these steps.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
BUILD_DIR=${BUILD_DIR:-build}
OPT="$BUILD_DIR/bin/cupilot-opt"
mkdir -p out
for cu in bench/kernels/*.cu; do
  name=$(basename "$cu" .cu)
  echo "== $cu"
  "$OPT" "$cu" --list-kernels
  "$OPT" "$cu" --list-kernels --format=json -o "out/$name.kernels.json"
  for kernel in $(python3 -c 'import json,sys; [print(k["qualifiedName"]) for k in json.load(open(sys.argv[1]))["kernels"] if not k["template"] or k["template"]["kind"] != "primary"]' "out/$name.kernels.json"); do
    "$OPT" "$cu" --emit=task-template --kernel "$kernel" -o "out/$name.$kernel.task.yaml"
    echo "   drafted out/$name.$kernel.task.yaml"
  done
done
