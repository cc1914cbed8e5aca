#!/usr/bin/env bash
# Installs the evaluation environment (Inspect, inspect_evals and their pins, every file
# checked against the hashes of requirements.lock) into a virtual environment that the
# verification sandbox binds read-only. The same lock is what the evaluation image installs.
#   actions/engine/images/evaluation/install.sh [env-dir]     (default: <repo>/.ptb/eval-env)
# Idempotent: an environment installed from the same lock is left alone. Wheels are cached
# in <repo>/.ptb/pip-cache (git-ignored), so a second install needs no download.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../.." && pwd)
env_dir=${1:-${PTB_EVAL_ENV:-$repo/.ptb/eval-env}}
# The system Python by default: the verification sandbox runs as an unprivileged user and binds
# the interpreter the venv was made from, so it must not live in a private home (pyenv under /root).
default_python=python3
[ -x /usr/bin/python3 ] && default_python=/usr/bin/python3
python=${PTB_EVAL_PYTHON:-$default_python}
lock="$here/requirements.lock"
stamp="$env_dir/.ptb-lock-sha256"
want=$(sha256sum "$lock" | cut -d' ' -f1)

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$env_dir/bin/inspect" ]; then
  echo "evaluation environment up to date: $env_dir"
  exit 0
fi
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "the evaluation environment needs Python >= 3.11 (found: $("$python" --version 2>&1)); set PTB_EVAL_PYTHON" >&2
  exit 1
fi
rm -rf "$env_dir"
"$python" -m venv "$env_dir"
"$env_dir/bin/python" -m pip install --quiet --disable-pip-version-check \
  --cache-dir "$repo/.ptb/pip-cache" --require-hashes --only-binary=:all: -r "$lock"
echo "$want" > "$stamp"
echo "evaluation environment installed: $env_dir ($("$env_dir/bin/inspect" --version 2>/dev/null || echo inspect))"
