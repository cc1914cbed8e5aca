"""The GPU smoke benchmark of the runner acceptance test: three-digit additions "A+B=",
answered by the digits of the sum, exact match. Scored through Inspect like the v1 tasks."""
from __future__ import annotations

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.scorer import Score, Scorer, Target, accuracy, scorer, stderr, CORRECT, INCORRECT
from inspect_ai.solver import TaskState, generate

from ptb_evals.data import read_jsonl


@scorer(metrics=[accuracy(), stderr()])
def leading_digits() -> Scorer:
    async def score(state: TaskState, target: Target) -> Score:
        digits = ""
        for ch in state.output.completion.replace(" ", ""):
            if not ch.isdigit():
                break
            digits += ch
        return Score(value=CORRECT if digits == target.text else INCORRECT, answer=digits)

    return score


@task
def gpu_arith() -> Task:
    rows = read_jsonl("ptb/gpu-arith/test.jsonl")
    return Task(
        dataset=MemoryDataset([Sample(id=r["id"], input=r["question"], target=r["answer"]) for r in rows], name="gpu-arith"),
        solver=[generate()],
        scorer=leading_digits(),
    )
