#!/usr/bin/env bash
# Runner hook (ACTIONS_RUNNER_HOOK_JOB_STARTED): refuses the job unless this machine can run a
# cell as the benchmark expects: an idle GPU, room on disk, the model cache mounted. A job
# that starts on a busy or dirty GPU would be measured unfairly, so failing it is the right call.
set -uo pipefail

max_used_mib=${PTB_GPU_IDLE_MAX_MIB:-1024}
min_free_gb=${PTB_MIN_FREE_DISK_GB:-200}
work=${PTB_WORK_DIR:-$(dirname "${RUNNER_TEMP:-$PWD/_temp}")}
cache=${PTB_MODEL_CACHE:-/models}

fail() {
  echo "::error title=GPU runner not ready::$*"
  exit 1
}

command -v nvidia-smi >/dev/null 2>&1 || fail "nvidia-smi not found: the NVIDIA driver or container runtime is missing"
gpus=$(nvidia-smi --query-gpu=index --format=csv,noheader 2>&1) || fail "nvidia-smi failed: $gpus"
count=$(printf '%s\n' "$gpus" | grep -c '[0-9]')
[ "$count" -ge 1 ] || fail "no GPU visible to this runner"

apps=$(nvidia-smi --query-compute-apps=pid,process_name,used_memory --format=csv,noheader 2>/dev/null | grep -v '^\s*$' || true)
[ -z "$apps" ] || fail "GPU busy with another process: $(printf '%s' "$apps" | tr '\n' ';')"

used=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | sort -n | tail -1 | tr -dc '0-9')
[ -n "$used" ] || fail "could not read GPU memory use"
[ "$used" -le "$max_used_mib" ] || fail "GPU memory already in use: ${used} MiB (limit ${max_used_mib} MiB)"

mkdir -p "$work"
free_gb=$(df -BG --output=avail "$work" | tail -1 | tr -dc '0-9')
[ "$free_gb" -ge "$min_free_gb" ] || fail "only ${free_gb} GB free in ${work} (need ${min_free_gb} GB)"

[ -d "$cache" ] || fail "model cache ${cache} is not mounted"

echo "GPU runner ready: ${count} GPU(s), ${used} MiB in use, ${free_gb} GB free in ${work}"
