#!/usr/bin/env bash
# Registers a just-in-time runner for one job and runs it (called by ptb-runner@.service).
# Needs: GITHUB_API_URL (default https://api.github.com), PTB_REPOSITORY (owner/name),
# PTB_RUNNER_GROUP_ID, PTB_RUNNER_TOKEN_FILE (a token allowed to create runners, readable by
# this user only), PTB_RUNNER_DIR (the unpacked actions/runner release), PTB_GPU_INDEX.
set -euo pipefail

api=${GITHUB_API_URL:-https://api.github.com}
repo=${PTB_REPOSITORY:?set PTB_REPOSITORY=owner/name in /etc/ptb-runner/env}
group=${PTB_RUNNER_GROUP_ID:?set PTB_RUNNER_GROUP_ID in /etc/ptb-runner/env}
token_file=${PTB_RUNNER_TOKEN_FILE:?set PTB_RUNNER_TOKEN_FILE in /etc/ptb-runner/env}
runner_dir=${PTB_RUNNER_DIR:?set PTB_RUNNER_DIR in /etc/ptb-runner/env}
gpu=${PTB_GPU_INDEX:-0}
name="$(hostname -s)-gpu${gpu}-$(date +%s)"

body=$(printf '{"name":"%s","runner_group_id":%d,"labels":["self-hosted","linux","x64","gpu-h100"],"work_folder":"_work"}' "$name" "$group")
response=$(curl -fsS -X POST "${api}/repos/${repo}/actions/runners/generate-jitconfig" \
  -H "Accept: application/vnd.github+json" \
  -H "Authorization: Bearer $(cat "$token_file")" \
  -H "X-GitHub-Api-Version: 2022-11-28" \
  -H "Content-Type: application/json" \
  --data "$body") || { echo "could not get a just-in-time runner config from ${api}" >&2; exit 1; }
config=$(printf '%s' "$response" | sed -n 's/.*"encoded_jit_config"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
[ -n "$config" ] || { echo "no encoded_jit_config in the answer" >&2; exit 1; }

echo "runner ${name} registered for one job"
exec "${runner_dir}/run.sh" --jitconfig "$config"
