#!/usr/bin/env bash
# Registers a just-in-time runner for one job and runs it (called by ptb-runner@.service, as the
# instance's own user, in the instance's own folder made by install-instance.sh).
# Needs: GITHUB_API_URL (default https://api.github.com), PTB_REPOSITORY (owner/name),
# PTB_RUNNER_GROUP_ID, PTB_RUNNER_TOKEN_FILE (a token allowed to create runners, readable by the
# ptb-runner group only), PTB_INSTANCE_DIR (this GPU's folder; its runner/ is this instance's copy
# of the actions/runner release), PTB_GPU_INDEX; PTB_RUNNER_LABELS (comma-separated, default
# self-hosted,linux,x64,gpu-h100: cell.yml asks for gpu-h100).
set -euo pipefail

api=${GITHUB_API_URL:-https://api.github.com}
repo=${PTB_REPOSITORY:?set PTB_REPOSITORY=owner/name in /etc/ptb-runner/env}
group=${PTB_RUNNER_GROUP_ID:?set PTB_RUNNER_GROUP_ID in /etc/ptb-runner/env}
token_file=${PTB_RUNNER_TOKEN_FILE:?set PTB_RUNNER_TOKEN_FILE in /etc/ptb-runner/env}
instance=${PTB_INSTANCE_DIR:?set PTB_INSTANCE_DIR (the unit sets it to /var/lib/ptb-runner/<gpu>)}
gpu=${PTB_GPU_INDEX:-0}
labels=${PTB_RUNNER_LABELS:-self-hosted,linux,x64,gpu-h100}
runner_dir="${instance}/runner"
[ -x "${runner_dir}/run.sh" ] || { echo "no runner copy in ${runner_dir}: run install-instance.sh ${gpu} as root" >&2; exit 1; }
[ -O "$runner_dir" ] || { echo "${runner_dir} belongs to another user: each GPU's instance has its own (install-instance.sh)" >&2; exit 1; }
name="$(hostname -s)-gpu${gpu}-$(date +%s)"
label_json=$(printf '%s' "$labels" | sed 's/[^A-Za-z0-9._,-]//g; s/,/","/g')

# work_folder is relative to the runner's own folder: _work of this instance's copy.
body=$(printf '{"name":"%s","runner_group_id":%d,"labels":["%s"],"work_folder":"_work"}' "$name" "$group" "$label_json")
response=$(curl -fsS -X POST "${api}/repos/${repo}/actions/runners/generate-jitconfig" \
  -H "Accept: application/vnd.github+json" \
  -H "Authorization: Bearer $(cat "$token_file")" \
  -H "X-GitHub-Api-Version: 2022-11-28" \
  -H "Content-Type: application/json" \
  --data "$body") || { echo "could not get a just-in-time runner config from ${api}" >&2; exit 1; }
config=$(printf '%s' "$response" | sed -n 's/.*"encoded_jit_config"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
[ -n "$config" ] || { echo "no encoded_jit_config in the answer" >&2; exit 1; }

echo "runner ${name} registered for one job in ${runner_dir}"
cd "$runner_dir"
exec ./run.sh --jitconfig "$config"
