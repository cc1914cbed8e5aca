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

# The sandbox's limits: systemd delegates this service's cgroup to the instance's user
# (Delegate=yes in the unit), and PTB_CGROUP_PARENT names it to `ptb run`, which makes each
# cell's group inside. On cgroup v2 a group with processes in it cannot enable controllers for
# its children, so the runner first moves into a leaf (runner/). On v1 the same path is the
# service's group in each controller's hierarchy. Without delegation the cells are refused at
# preflight, saying so.
if [ -z "${PTB_CGROUP_PARENT:-}" ]; then
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    own=$(sed -n 's/^0:://p' /proc/self/cgroup)
    [ "${own##*/}" = runner ] && own=${own%/runner}
    if [ -n "$own" ] && [ "$own" != / ] && [ -w "/sys/fs/cgroup${own}/cgroup.procs" ] &&
      [ -w "/sys/fs/cgroup${own}/cgroup.subtree_control" ]; then
      mkdir -p "/sys/fs/cgroup${own}/runner"
      echo $$ >"/sys/fs/cgroup${own}/runner/cgroup.procs"
      export PTB_CGROUP_PARENT="$own"
    fi
  else
    own=$(sed -n 's/^[0-9]*:pids:\(.*\)$/\1/p' /proc/self/cgroup)
    if [ -n "$own" ] && [ "$own" != / ] && [ -w "/sys/fs/cgroup/pids${own}/cgroup.procs" ] &&
      [ -w "/sys/fs/cgroup/memory${own}/cgroup.procs" ]; then
      export PTB_CGROUP_PARENT="$own"
    fi
  fi
  if [ -n "${PTB_CGROUP_PARENT:-}" ]; then
    echo "sandbox limits: cgroup ${PTB_CGROUP_PARENT} is delegated to $(id -un)"
  else
    echo "no cgroup is delegated to $(id -un) (Delegate=yes in ptb-runner@.service): cells will be refused at preflight" >&2
  fi
fi

echo "runner ${name} registered for one job in ${runner_dir}"
cd "$runner_dir"
exec ./run.sh --jitconfig "$config"
