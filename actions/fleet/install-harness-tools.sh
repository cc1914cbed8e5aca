#!/usr/bin/env bash
# Installs what the harness runs besides itself: the pinned agent CLIs (from the lockfile in
# actions/engine/images/agent/clis) and the hash-locked evaluation environment (from
# actions/engine/images/evaluation/requirements.lock), both readable by every user (the sandbox
# never runs as the runner's user when the harness is root, and never as root).
#   actions/fleet/install-harness-tools.sh [prefix]
# Without a prefix: into this checkout (actions/engine/images/agent/clis/node_modules and
# .ptb/eval-env), as .ci/run and a development machine use them. With one (a runner: /opt/ptb):
# into <prefix>/agent-clis and <prefix>/eval-env, and prints the lines for the runner's
# environment (/etc/ptb-runner/env, the runner image's ENV) that point `ptb run` at them.
# Needs npm (Node 24) and python3 >= 3.11 with venv; the npm registry and the package index.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
prefix=${1:-}
clis_src="$repo/actions/engine/images/agent/clis"
if [ -n "$prefix" ]; then
  mkdir -p "$prefix/agent-clis"
  prefix=$(cd "$prefix" && pwd)
  clis="$prefix/agent-clis"
  cp "$clis_src/package.json" "$clis_src/package-lock.json" "$clis/"
  eval_env="$prefix/eval-env"
else
  clis="$clis_src"
  eval_env="$repo/.ptb/eval-env"
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Both at once: the CLIs come from the npm registry, the evaluation environment from the index.
# install, not ci: the lock holds only the platforms it was made on (opencode lists others as optional).
npm install --prefix "$clis" --no-save --no-audit --no-fund >"$log" 2>&1 &
clis_pid=$!
eval_status=0
bash "$repo/actions/engine/images/evaluation/install.sh" "$eval_env" || eval_status=$?
if ! wait "$clis_pid"; then
  cat "$log" >&2
  echo "installing the agent CLIs into $clis failed (npm install from $clis_src/package-lock.json)" >&2
  exit 1
fi
[ "$eval_status" -eq 0 ] || { echo "installing the evaluation environment into $eval_env failed" >&2; exit 1; }
echo "agent CLIs installed: $clis ($(cd "$clis" && npm ls --depth=0 --parseable 2>/dev/null | sed -n 's#.*/node_modules/##p' | tr '\n' ' '))"

if [ -n "$prefix" ]; then
  chmod -R a+rX "$clis" "$eval_env"
  echo "# for /etc/ptb-runner/env (bare metal) or the runner image's ENV:"
  echo "PTB_AGENT_CLIS=$clis"
  echo "PTB_EVAL_ENV=$eval_env"
fi
