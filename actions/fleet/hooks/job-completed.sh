#!/usr/bin/env bash
# Runner hook (ACTIONS_RUNNER_HOOK_JOB_COMPLETED): leaves the machine as the next job expects it.
# Ends whatever still holds the GPU, wipes the job's workspace and the writable layers of the
# caches, and fails loudly if the GPU is still not idle (the operator must look).
set -uo pipefail

work=${PTB_WORK_DIR:-${RUNNER_WORKSPACE:-$PWD}}
scratch=${PTB_SCRATCH_DIR:-/tmp/ptb}

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

# The job's files: the workspace contents (not the folder, which the runner owns) and scratch.
if [ -d "$work" ]; then
  find "$work" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
fi
rm -rf "$scratch"

if command -v nvidia-smi >/dev/null 2>&1; then
  left=$(nvidia-smi --query-compute-apps=pid --format=csv,noheader 2>/dev/null | grep -c '[0-9]' || true)
  if [ "${left:-0}" -gt 0 ]; then
    echo "::error title=GPU not idle after cleanup::${left} process(es) still hold the GPU"
    exit 1
  fi
fi
echo "cleaned: ${work}, ${scratch}"
