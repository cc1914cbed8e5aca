#!/usr/bin/env bash
# Runner hook (ACTIONS_RUNNER_HOOK_JOB_COMPLETED): leaves the machine as the next job expects it.
# Ends whatever still holds the GPU, wipes the folder the job's runner worked in and scratch, and
# fails loudly if the GPU is still not idle or the folder cannot be told (the operator must look).
set -uo pipefail

scratch=${PTB_SCRATCH_DIR:-/tmp/ptb}
status=0

# The folder the runner actually uses: RUNNER_TEMP is <work folder>/_temp, whatever the runner's
# layout (a bare-metal instance's own copy, an ARC pod's /home/runner/_work). PTB_WORK_DIR overrides.
work=${PTB_WORK_DIR:-}
if [ -z "$work" ] && [ -n "${RUNNER_TEMP:-}" ]; then work=$(dirname "$RUNNER_TEMP"); fi

if command -v nvidia-smi >/dev/null 2>&1; then
  for pid in $(nvidia-smi --query-compute-apps=pid --format=csv,noheader 2>/dev/null | tr -dc '0-9\n'); do
    echo "ending GPU process ${pid} left behind by the job"
    kill -TERM "$pid" 2>/dev/null || true
  done
  sleep "${PTB_KILL_GRACE_SECONDS:-5}"
  killed=0
  for pid in $(nvidia-smi --query-compute-apps=pid --format=csv,noheader 2>/dev/null | tr -dc '0-9\n'); do
    kill -KILL "$pid" 2>/dev/null || true
    killed=1
  done
  # The driver frees a killed process's memory a moment later.
  [ "$killed" -eq 0 ] || sleep 2
fi

# Everything in the work folder (_temp, the checkout, tool caches; not the folder itself, which
# the runner owns), but never a folder that is not a runner's work folder: a misconfiguration
# must not empty anything else.
case "$work" in
  "")
    echo "::error title=Cleanup not possible::neither RUNNER_TEMP nor PTB_WORK_DIR says where the job's files are"
    status=1
    ;;
  */_work)
    if [ -d "$work" ]; then find "$work" -mindepth 1 -maxdepth 1 -exec rm -rf {} +; fi
    ;;
  *)
    echo "::error title=Cleanup refused::${work} is not a runner work folder (*/_work)"
    status=1
    ;;
esac
rm -rf "$scratch"

if command -v nvidia-smi >/dev/null 2>&1; then
  left=$(nvidia-smi --query-compute-apps=pid --format=csv,noheader 2>/dev/null | grep -c '[0-9]' || true)
  if [ "${left:-0}" -gt 0 ]; then
    echo "::error title=GPU not idle after cleanup::${left} process(es) still hold the GPU"
    exit 1
  fi
fi
[ "$status" -eq 0 ] && echo "cleaned: ${work}, ${scratch}"
exit "$status"
