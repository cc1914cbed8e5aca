"""Test items of a benchmark, read from the evaluation data cache, for the harness's
contamination scan: one JSON object per line, {"id": ..., "text": ...}.
    python -m ptb_evals.items <benchmark>      (PTB_EVAL_DATA names the cache)
Exit 2 for an unknown benchmark, 3 when its data are not in the cache."""
from __future__ import annotations

import csv
import glob
import json
import sys
from collections.abc import Callable, Iterator

from ptb_evals.data import DataMissing, data_dir, read_jsonl, require

Item = tuple[str, str]


def _parquet(pattern: str) -> list[dict]:
    import pyarrow.parquet as pq

    files = sorted(glob.glob(str(data_dir() / pattern)))
    if not files:
        raise DataMissing(f"no file matches {pattern}")
    rows: list[dict] = []
    for f in files:
        rows.extend(pq.read_table(f).to_pylist())
    return rows


def _text(value: object) -> str:
    # BFCL questions are lists of turns of {"role", "content"} messages.
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str(value.get("content", ""))
    if isinstance(value, list):
        return "\n".join(_text(v) for v in value)
    return str(value)


def aime2025() -> Iterator[Item]:
    for r in read_jsonl("math-ai/aime25/test.jsonl"):
        yield str(r["id"]), r["problem"]


def gsm8k() -> Iterator[Item]:
    for i, r in enumerate(_parquet("openai/gsm8k/main/test-*.parquet")):
        yield f"test-{i + 1}", r["question"]


def humaneval() -> Iterator[Item]:
    for r in _parquet("openai/openai_humaneval/openai_humaneval/test-*.parquet"):
        yield r["task_id"], r["prompt"]


def bfcl() -> Iterator[Item]:
    files = sorted(glob.glob(str(data_dir() / "gorilla-llm/Berkeley-Function-Calling-Leaderboard/*exec_simple*.json")))
    if not files:
        raise DataMissing("no exec_simple file of gorilla-llm/Berkeley-Function-Calling-Leaderboard")
    n = 0
    for f in files:
        for line in open(f, encoding="utf-8"):
            if line.strip():
                n += 1
                r = json.loads(line)
                yield str(r.get("id", n)), _text(r["question"])


def gpqamain() -> Iterator[Item]:
    with require("Idavidrein/gpqa/gpqa_main.csv").open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            yield r["Record ID"], r["Question"]


def arenahardwriting() -> Iterator[Item]:
    for r in read_jsonl("ptb/arenahardwriting/question.jsonl"):
        if r.get("category") == "creative_writing":
            yield r["uid"], r["prompt"]


def healthbench() -> Iterator[Item]:
    for r in read_jsonl("ptb/healthbench/healthbench.jsonl"):
        yield r["prompt_id"], "\n".join(m["content"] for m in r["prompt"] if m["role"] == "user")


def gpu_arith() -> Iterator[Item]:
    for r in read_jsonl("ptb/gpu-arith/test.jsonl"):
        yield str(r["id"]), r["question"]


ITEMS: dict[str, Callable[[], Iterator[Item]]] = {
    "aime2025": aime2025,
    "gsm8k": gsm8k,
    "humaneval": humaneval,
    "bfcl": bfcl,
    "gpqamain": gpqamain,
    "arenahardwriting": arenahardwriting,
    "healthbench": healthbench,
    "gpu-arith": gpu_arith,
}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in ITEMS:
        print(f"usage: python -m ptb_evals.items <{'|'.join(ITEMS)}>", file=sys.stderr)
        return 2
    try:
        for item_id, text in ITEMS[argv[0]]():
            sys.stdout.write(json.dumps({"id": item_id, "text": text}, ensure_ascii=False) + "\n")
    except DataMissing as e:
        print(str(e), file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
