#!/usr/bin/env bash
# Runs the GPU integration tests (integration_test/*.test) on a machine with
# a CUDA GPU but without LLVM or lit (with a build tree and lit, use
# `ninja check-cupilot-integration` instead). The runner below understands
# what these tests use: REQUIRES, RUN lines (with `\` continuations), the
# substitutions %eval %worker %cuda_path %S %s %t, and `not`.
#
# usage: integration_test/run_on_gpu.sh [--bin DIR] [--cuda-path DIR]
#                                       [--out DIR] [TEST...]
#   --bin DIR        holds cupilot-worker and cupilot-eval (or
#                    cupilot-eval-portable); default build/bin
#   --cuda-path DIR  CUDA toolkit root; default /usr/local/cuda
#   --out DIR        where the logs and summary.txt go; default
#                    integration_test/results
#   TEST             test names (cheat_hang) or files; default all
# Exit status: 0 when every test passed (or was unsupported), 1 otherwise.

set -u
shopt -u patsub_replacement 2>/dev/null || true

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin="$here/../build/bin"
cuda=/usr/local/cuda
out="$here/results"
tests=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    --cuda-path) cuda=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) tests+=("$1"); shift ;;
  esac
done
bin=$(cd "$bin" && pwd) || { echo "run_on_gpu.sh: no directory $bin" >&2; exit 2; }
worker="$bin/cupilot-worker"
evaluate="$bin/cupilot-eval"
[ -x "$evaluate" ] || evaluate="$bin/cupilot-eval-portable"
for tool in "$worker" "$evaluate"; do
  [ -x "$tool" ] || { echo "run_on_gpu.sh: missing $tool" >&2; exit 2; }
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
summary="$out/summary.txt"

have_gpu=0
if [ -e /dev/nvidia0 ] || nvidia-smi -L >/dev/null 2>&1; then
  have_gpu=1
fi

{
  echo "# cupilot integration tests, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "host: $(uname -n) $(uname -r)"
  if [ $have_gpu = 1 ]; then
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem \
      --format=csv,noheader 2>/dev/null | sed 's/^/gpu: /'
  else
    echo "gpu: none"
  fi
  echo "worker: $("$worker" --version)"
  echo "cuda: $cuda"
  # What the worker itself sees (driver, arch, L2, guard pages, NVRTC).
  printf 'begin device 1\nend\n' |
    "$worker" --cuda-path "$cuda" --request - 2>&1 | sed -n '/^device /p; /^error /{p;n;p;}'
} > "$summary"

if [ ${#tests[@]} -eq 0 ]; then
  for f in "$here"/*.test; do tests+=("$f"); done
fi
files=()
for t in "${tests[@]}"; do
  case "$t" in
    */*|*.test) files+=("$t") ;;
    *) files+=("$here/$t.test") ;;
  esac
done

# `not CMD...`: succeeds when CMD fails (as LLVM's not).
not() { if "$@"; then return 1; else return 0; fi; }
export -f not

# No test may run away with the machine: 10 minutes per command.
limit=""
command -v timeout >/dev/null 2>&1 && limit="timeout 600"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0 unsupported=0
for file in "${files[@]}"; do
  name=$(basename "$file" .test)
  log="$out/$name.log"
  dir=$(cd "$(dirname "$file")" && pwd)
  : > "$log"
  if grep -q '^REQUIRES:.*cuda-gpu' "$file" && [ $have_gpu = 0 ]; then
    echo "UNSUPPORTED: $name" | tee -a "$summary"
    unsupported=$((unsupported + 1))
    continue
  fi
  # RUN lines, continuations joined.
  commands=()
  current=""
  while IFS= read -r line; do
    case "$line" in
      *RUN:*) ;;
      *) continue ;;
    esac
    line=${line#*RUN:}
    line=${line# }
    if [ "${line%\\}" != "$line" ]; then
      current+="${line%\\} "
      continue
    fi
    commands+=("$current$line")
    current=""
  done < "$file"
  status=PASS
  start=$(date +%s)
  for command in "${commands[@]}"; do
    p='%eval'; command=${command//"$p"/\"$evaluate\" --worker \"$worker\" --cuda-path \"$cuda\"}
    p='%worker'; command=${command//"$p"/\"$worker\"}
    p='%cuda_path'; command=${command//"$p"/\"$cuda\"}
    p='%S'; command=${command//"$p"/$dir}
    p='%s'; command=${command//"$p"/$file}
    p='%t'; command=${command//"$p"/$tmp/$name.tmp}
    echo "\$ $command" >> "$log"
    $limit bash -o pipefail -c "$command" >> "$log" 2>&1
    rc=$?
    if [ $rc -ne 0 ]; then
      echo "(failed with status $rc)" >> "$log"
      status=FAIL
      break
    fi
  done
  seconds=$(( $(date +%s) - start ))
  echo "$status: $name (${seconds}s)" | tee -a "$summary"
  if [ $status = PASS ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "passed: $passed, failed: $failed, unsupported: $unsupported" | tee -a "$summary"
[ $failed = 0 ]
