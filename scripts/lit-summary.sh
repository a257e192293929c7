# Sourced by scripts/test.sh and scripts/sanitize.sh.
# lit_counts LOG STATUS: sets `passed` and `failed` from lit's summary lines
# ("  Passed: 123 (99.19%)") in LOG; STATUS is the exit status of the run that
# wrote LOG (a failed build or lit run counts as one failure).
lit_counts() {
  local log=$1 status=$2
  count() { grep -oE "^ *$1 *: *[0-9]+" "$log" | tail -1 | grep -oE '[0-9]+$' || echo 0; }
  passed=$(( $(count Passed) + $(count "Expectedly Failed") ))
  failed=$(( $(count Failed) + $(count "Unexpectedly Passed") + $(count Unresolved) + $(count "Timed Out") ))
  if [[ $status -ne 0 && $failed -eq 0 ]]; then
    failed=1
  fi
}
