"""Checks, before an agent starts, that a benchmark can be scored here with the network off:
Inspect and the task resolve, and every file the benchmark needs is in the data cache with
its pinned sha256. Prints one problem per line; exit 0 when there is none.
    python -m ptb_evals.preflight [--json] <benchmark> <task> [template ...]   (PTB_EVAL_DATA: the cache)
With --json it prints one object instead: {"problems": [...], "inputs": [...]}, where inputs
are the files and folders the verdict rests on (the harness reuses a pass while none of them
changed)."""
from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import importlib.util
import json
import sys
from pathlib import Path

from ptb_evals.data import MANIFEST, data_dir


def problems(benchmark: str, task: str, templates: list[str], inputs: list[str] | None = None) -> list[str]:
    out: list[str] = []
    seen = inputs if inputs is not None else []

    def found_at(spec: importlib.machinery.ModuleSpec | None) -> None:
        # A module found stays found while its file, its folder and the folder above are unchanged.
        if spec is not None and spec.origin and spec.origin not in ("built-in", "frozen"):
            origin = Path(spec.origin)
            seen.extend(str(p) for p in (origin, origin.parent, origin.parent.parent))

    # Found, not imported: importing Inspect takes seconds, and this runs before every cell.
    # A package that is found but fails to import is caught when the evaluator starts: a
    # harness error then (retried), never the model's.
    inspect_spec = importlib.util.find_spec("inspect_ai")
    if inspect_spec is None:
        out.append("inspect_ai is not installed in the evaluation environment")
        return out
    found_at(inspect_spec)
    if task.startswith("inspect_evals/"):
        name = task.split("/", 1)[1]
        try:
            module_spec = importlib.util.find_spec(f"inspect_evals.{name}")
            found = module_spec is not None
            found_at(module_spec)
            found_at(importlib.util.find_spec("inspect_evals"))
        except Exception as e:  # noqa: BLE001
            out.append(f"the task {task} does not resolve: {e}")
            found = True
        if not found:
            out.append(f"the task {task} does not resolve: inspect_evals has no module {name}")
    else:
        path = Path(task.split("@", 1)[0])
        seen.extend((str(path), str(path.parent)))
        if not path.is_file():
            out.append(f"the task file {path} is missing")
    cache = data_dir()
    seen.append(str(MANIFEST))
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        wanted = entry.get("benchmarks", ["*"])
        if benchmark not in wanted and not ("*" in wanted and entry["path"].startswith("templates/") and Path(entry["path"]).name in templates):
            continue
        f = cache / entry["path"]
        seen.append(str(f))
        if not f.is_file():
            out.append(f"{entry['path']} is not in the data cache {cache}")
        elif entry.get("sha256") and hashlib.sha256(f.read_bytes()).hexdigest() != entry["sha256"]:
            out.append(f"{entry['path']} in the data cache does not have its pinned sha256")
    for name in templates:
        seen.append(str(cache / "templates" / name))
        if not (cache / "templates" / name).is_file():
            out.append(f"chat template templates/{name} is not in the data cache {cache}")
    return out


def main(argv: list[str]) -> int:
    as_json = argv[:1] == ["--json"]
    args = argv[1:] if as_json else argv
    if len(args) < 2:
        print("usage: python -m ptb_evals.preflight [--json] <benchmark> <task> [template ...]", file=sys.stderr)
        return 2
    # The check's own code is part of what a pass rests on.
    inputs = [str(Path(__file__).resolve()), str(Path(sys.modules["ptb_evals.data"].__file__ or "").resolve())]
    loaded = set(sys.modules)
    found = problems(args[0], args[1], args[2:], inputs)
    # Finding a submodule runs its package's code, which may import more: those files count too.
    inputs.extend(f for m in set(sys.modules) - loaded if (f := getattr(sys.modules[m], "__file__", None)))
    if as_json:
        print(json.dumps({"problems": found, "inputs": sorted(set(inputs))}))
    else:
        for p in found:
            print(p)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
