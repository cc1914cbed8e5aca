#!/usr/bin/env bash
# The GPU smoke pieces without the harness: base model, baseline score, recipe, recipe score.
# A first check on a new GPU machine; the acceptance test (docs/runner-acceptance.md) runs
# the same through the engine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bundle="$here/../bundles/gpu-arith"
work=${1:-$(mktemp -d)}
minutes=${RECIPE_MINUTES:-2}
python3 "$here/make_base_model.py" --out "$work/base"
python3 "$bundle/evaluator/score.py" --model "$work/base" --data "$bundle/evaluator/test.jsonl" --log-dir "$work/logs-base"
(cd "$work" && python3 "$here/recipe.py" --base "$work/base" --out "$work/final_model" --minutes "$minutes")
python3 "$bundle/evaluator/score.py" --model "$work/final_model" --data "$bundle/evaluator/test.jsonl" --log-dir "$work/logs-recipe"
