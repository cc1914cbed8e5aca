#!/usr/bin/env bash
# Run as the `script` agent inside the sandbox: records what the sandbox looks like from
# inside (GPU visible, network not, only the workspace writable), then trains the recipe.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
report=${PTB_WORKSPACE:-$PWD}/sandbox-check.json
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>&1 | head -1)
torch_gpu=$(python3 -c "import torch; print(torch.cuda.is_available() and torch.cuda.get_device_name())" 2>&1 | tail -1)
net=$(python3 - <<'PY'
import socket
try:
    socket.create_connection(("1.1.1.1", 443), timeout=3)
    print("reachable")
except OSError as e:
    print(f"unreachable: {e.__class__.__name__}")
PY
)
writable=()
for d in / /usr /opt /models /tmp "$PWD"; do
  if touch "$d/.ptb-write-probe" 2>/dev/null; then writable+=("$d"); rm -f "$d/.ptb-write-probe"; fi
done
printf '{"nvidia_smi":"%s","torch_cuda":"%s","network":"%s","writable":"%s"}\n' "$gpu" "$torch_gpu" "$net" "${writable[*]}" | tee "$report"
exec python3 "$here/recipe.py" --minutes "${RECIPE_MINUTES:-3}"
