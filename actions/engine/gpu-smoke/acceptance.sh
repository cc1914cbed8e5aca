#!/usr/bin/env bash
# Runner acceptance test (docs/runner-acceptance.md): run on a new GPU runner before it is
# registered. It runs the real engine on the GPU smoke benchmark (baseline cell, recipe
# cell, a recipe cell cut off by a 2-minute budget), checks the sandbox from inside,
# measures the harness overhead, GPU use and the sandbox's cost on GPU speed, and writes
# <out>/summary.json and <out>/summary.md. Exit 0 only when every check passed.
#   actions/engine/gpu-smoke/acceptance.sh [out-dir]
# Needs: node 24, bubblewrap, socat, setpriv and mkfs.ext4, python3 with torch and
# transformers, Inspect (inspect-ai) importable by that python (installed into it, or in a
# folder named by PTB_EVAL_PYTHONPATH), nvidia-smi. The repository and the out-dir must be
# readable by the sandbox user (the sandbox never runs as root): e.g. under /opt or /var/tmp.
# PTB (default: the repository's `ptb` through node) may point at a single-file bundle.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
out=$(mkdir -p "${1:-$repo/runs/acceptance}" && cd "${1:-$repo/runs/acceptance}" && pwd)
ptb=${PTB:-node $repo/scripts/src/ptb.ts}
recipe_budget=${RECIPE_BUDGET_SECONDS:-240}
cutoff_budget=${CUTOFF_BUDGET_SECONDS:-120}

export PTB_DEFINITIONS_DIR="$repo/actions/core/definitions"
export PTB_ENGINE_DIR="$repo/actions/engine"
export PTB_MODEL_CACHE="$out/models"
export PTB_REQUIRE_GPU=1
# Results name the harness commit; a copy without .git says it through PTB_HARNESS_COMMIT.
PTB_HARNESS_COMMIT=${PTB_HARNESS_COMMIT:-$(git -C "$repo" rev-parse HEAD 2>/dev/null || true)}
export PTB_HARNESS_COMMIT
export PTB_MIN_FREE_DISK_GB=${PTB_MIN_FREE_DISK_GB:-10}
# The Python that has torch, and nvidia-smi when it lives outside /usr, must be visible inside.
py_prefix=$(python3 -c 'import sys; print(sys.prefix)')
smi_dir=$(dirname "$(command -v nvidia-smi)")
toolchain="$py_prefix"
case "$smi_dir" in /usr/bin | /bin) ;; *) toolchain="$toolchain:$(dirname "$smi_dir")" ;; esac
# Inspect installed beside that Python (pip --target) is bound too; its bin/ has `inspect`.
[ -n "${PTB_EVAL_PYTHONPATH:-}" ] && toolchain="$toolchain:$PTB_EVAL_PYTHONPATH"
export PTB_SANDBOX_TOOLCHAIN=${PTB_SANDBOX_TOOLCHAIN:-$toolchain}
# Verification scores through Inspect (our task ptb_evals/gpu_arith, the transformers provider)
# with that same Python as the evaluation environment, and the held-out pairs as its data.
export PTB_EVAL_ENV=${PTB_EVAL_ENV:-$py_prefix}
export PTB_EVAL_DATA="$out/eval-data"
mkdir -p "$PTB_EVAL_DATA/ptb/gpu-arith"
cp "$repo/actions/engine/bundles/gpu-arith/evaluator/test.jsonl" "$PTB_EVAL_DATA/ptb/gpu-arith/test.jsonl"

cd "$repo"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader > "$out/gpu.txt"
date -u +%Y-%m-%dT%H:%M:%SZ > "$out/date.txt"

echo "== base model"
python3 "$here/make_base_model.py" --out "$PTB_MODEL_CACHE/ptb-smoke/qwen3-tiny-base" > "$out/base-model.txt" 2>&1
# The sandbox runs as an unprivileged user: the model cache must be readable by others
# (transformers writes weights with mode 0600).
chmod -R a+rX "$PTB_MODEL_CACHE"

echo "== job-started hook"
# The cleanup hook only ever empties a folder laid out as a runner's (…/_work).
hook_work="$out/hook-runner/_work"
mkdir -p "$hook_work"
PTB_WORK_DIR="$hook_work" PTB_MIN_FREE_DISK_GB=10 bash "$repo/actions/fleet/hooks/job-started.sh" > "$out/hook-started.txt" 2>&1
echo "hook exit $?" >> "$out/hook-started.txt"

nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv,noheader,nounits -l 1 > "$out/gpu-util.csv" 2>/dev/null &
sampler=$!

cell() { # name, extra args...
  local name=$1; shift
  echo "== cell $name"
  date -u +%s.%N > "$out/$name.start"
  $ptb run --definition v1-gpu-smoke --submission "$here/gpu-smoke-agent" --base-model ptb-smoke/qwen3-tiny-base \
    --benchmark gpu-arith --seed 1 --runtime bwrap --out "$out/$name" "$@" > "$out/$name.stdout" 2> "$out/$name.stderr"
  echo $? > "$out/$name.exit"
  date -u +%s.%N > "$out/$name.end"
  nvidia-smi --query-compute-apps=pid,process_name --format=csv,noheader > "$out/$name.gpu-after.txt" 2>&1
}
cell baseline --agent baseline
cell recipe --agent "script:$here/recipe.py" --budget-seconds "$recipe_budget"
cell cutoff --agent "script:$here/recipe.py" --budget-seconds "$cutoff_budget"
kill "$sampler" 2>/dev/null

echo "== matmul outside and inside the sandbox"
python3 "$here/matmul.py" > "$out/matmul-outside.json" 2> "$out/matmul-outside.err"
cell matmul --agent "script:$here/matmul.py" --budget-seconds 120
python3 "$here/matmul.py" > "$out/matmul-outside-2.json" 2>> "$out/matmul-outside.err"

echo "== job-completed hook"
mkdir -p "$hook_work/_temp" && echo left > "$hook_work/_temp/left-by-the-job"
PTB_WORK_DIR="$hook_work" PTB_SCRATCH_DIR="$out/hook-scratch" bash "$repo/actions/fleet/hooks/job-completed.sh" > "$out/hook-completed.txt" 2>&1
echo "hook exit $?" >> "$out/hook-completed.txt"
ls -A "$hook_work" > "$out/hook-work-after.txt"

python3 "$here/summarize.py" "$out"
