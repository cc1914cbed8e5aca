"""Checks, before an agent starts, that a benchmark can be scored here with the network off:
Inspect and the task resolve, and every file the benchmark needs is in the data cache with
its pinned sha256. Prints one problem per line; exit 0 when there is none.
    python -m ptb_evals.preflight <benchmark> <task> [template ...]   (PTB_EVAL_DATA: the cache)"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import sys
from pathlib import Path

from ptb_evals.data import MANIFEST, data_dir


def problems(benchmark: str, task: str, templates: list[str]) -> list[str]:
    out: list[str] = []
    # Found, not imported: importing Inspect takes seconds, and this runs before every cell.
    # A package that is found but fails to import is caught when the evaluator starts: a
    # harness error then (retried), never the model's.
    if importlib.util.find_spec("inspect_ai") is None:
        out.append("inspect_ai is not installed in the evaluation environment")
        return out
    if task.startswith("inspect_evals/"):
        name = task.split("/", 1)[1]
        try:
            found = importlib.util.find_spec(f"inspect_evals.{name}") is not None
        except Exception as e:  # noqa: BLE001
            out.append(f"the task {task} does not resolve: {e}")
            found = True
        if not found:
            out.append(f"the task {task} does not resolve: inspect_evals has no module {name}")
    else:
        path = Path(task.split("@", 1)[0])
        if not path.is_file():
            out.append(f"the task file {path} is missing")
    cache = data_dir()
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        wanted = entry.get("benchmarks", ["*"])
        if benchmark not in wanted and not ("*" in wanted and entry["path"].startswith("templates/") and Path(entry["path"]).name in templates):
            continue
        f = cache / entry["path"]
        if not f.is_file():
            out.append(f"{entry['path']} is not in the data cache {cache}")
        elif entry.get("sha256") and hashlib.sha256(f.read_bytes()).hexdigest() != entry["sha256"]:
            out.append(f"{entry['path']} in the data cache does not have its pinned sha256")
    for name in templates:
        if not (cache / "templates" / name).is_file():
            out.append(f"chat template templates/{name} is not in the data cache {cache}")
    return out


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: python -m ptb_evals.preflight <benchmark> <task> [template ...]", file=sys.stderr)
        return 2
    found = problems(argv[0], argv[1], argv[2:])
    for p in found:
        print(p)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
