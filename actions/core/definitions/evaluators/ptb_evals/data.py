"""The evaluation data cache: files fetched at build time from pinned sources (sources.json).

Layout: Hugging Face datasets keep their repository layout (`<org>/<name>/<file>`), so that
`datasets.load_dataset("<org>/<name>")` run with the cache as working directory reads the
local copy with the network off; our own files live under `ptb/<benchmark>/`, chat
templates under `templates/`.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

MISSING = "PTB-DATA-MISSING"
# The pinned sources (URL, sha256) of every file in the cache. Here, not in fetch.py: the
# preflight before every cell reads it, and fetch's network modules take longer to import
# than the whole check.
MANIFEST = Path(os.environ.get("PTB_EVAL_SOURCES") or Path(__file__).resolve().parent.parent / "sources.json")


class DataMissing(RuntimeError):
    """A file the evaluator needs is not in the data cache: the harness's fault, never the model's."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"{MISSING}: {detail}")


def data_dir() -> Path:
    return Path(os.environ.get("PTB_EVAL_DATA") or os.getcwd())


def require(rel: str) -> Path:
    path = data_dir() / rel
    if not path.is_file():
        raise DataMissing(f"{rel} is not in the evaluation data cache {data_dir()} (fill it with ptb_evals.fetch)")
    return path


def read_jsonl(rel: str) -> list[dict[str, Any]]:
    rows = []
    with require(rel).open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise DataMissing(f"{rel}:{n} is not valid JSON ({e.msg})") from e
    return rows
