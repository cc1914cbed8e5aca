"""HealthBench, the fixed 245-conversation subset the original scores: the model answers the
conversation; an LLM grader decides for every rubric criterion whether the answer meets it;
an example scores the points of the criteria met over its positive points; the benchmark
score is the mean over examples clipped to [0, 1] (the clipped mean), its stderr a bootstrap
over examples."""
from __future__ import annotations

import ast
import json
import random
import re

import numpy as np
from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, ChatMessageUser
from inspect_ai.scorer import Metric, SampleScore, Score, Scorer, Target, metric, scorer
from inspect_ai.solver import TaskState, generate

from ptb_evals import judge
from ptb_evals.data import DataMissing, read_jsonl, require
from ptb_evals.text import limit_repetitions

DIR = "ptb/healthbench"
GRADER_ATTEMPTS = 5
BOOTSTRAP = 1000

ROLES = {"user": ChatMessageUser, "assistant": ChatMessageAssistant, "system": ChatMessageSystem}


def grader_template() -> str:
    """The grader prompt, read from the pinned grader.py without running it."""
    tree = ast.parse(require(f"{DIR}/grader.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "GRADER_TEMPLATE" for t in node.targets):
            value = node.value
            # GRADER_TEMPLATE = """...""".strip()
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "strip":
                return str(ast.literal_eval(value.func.value)).strip()
            return str(ast.literal_eval(value))
    raise DataMissing(f"{DIR}/grader.py defines no GRADER_TEMPLATE")


def dataset() -> MemoryDataset:
    examples = read_jsonl(f"{DIR}/healthbench.jsonl")
    random.Random(42).shuffle(examples)
    samples = []
    for ex in examples:
        messages = [ROLES[m["role"]](content=m["content"]) for m in ex["prompt"]]
        samples.append(Sample(id=ex["prompt_id"], input=messages, metadata={"conversation": ex["prompt"], "rubrics": ex["rubrics"]}))
    return MemoryDataset(samples, name="healthbench-245")


def parse_grade(text: str) -> bool | None:
    cleaned = re.sub(r"^```json\s*|\s*```$", "", text.strip())
    try:
        parsed = json.loads(cleaned)
    except json.JSONDecodeError:
        return None
    met = parsed.get("criteria_met") if isinstance(parsed, dict) else None
    return met if isinstance(met, bool) else None


def clipped_mean_of(values: list[float]) -> float:
    return float(np.clip(np.mean(values), 0, 1)) if values else 0.0


@metric
def clipped_mean() -> Metric:
    def compute(scores: list[SampleScore]) -> float:
        return clipped_mean_of([float(s.score.as_float()) for s in scores])

    return compute


@metric
def bootstrap_stderr() -> Metric:
    def compute(scores: list[SampleScore]) -> float:
        values = np.array([float(s.score.as_float()) for s in scores])
        if len(values) < 2:
            return 0.0
        rng = np.random.default_rng(42)
        means = [np.clip(np.mean(rng.choice(values, size=len(values), replace=True)), 0, 1) for _ in range(BOOTSTRAP)]
        return float(np.std(means))

    return compute


@scorer(metrics=[clipped_mean(), bootstrap_stderr()])
def rubric_grader() -> Scorer:
    template = grader_template()

    async def score(state: TaskState, target: Target) -> Score:
        text = state.output.completion.strip()
        if text.startswith("<think>"):
            text = text.split("</think>", 1)[-1].strip()
        answer = limit_repetitions(text)
        turns = state.metadata["conversation"] + [{"role": "assistant", "content": answer}]
        conversation = "\n\n".join(f"{t['role']}: {t['content']}" for t in turns)
        earned = 0.0
        grades = []
        for rubric in state.metadata["rubrics"]:
            prompt = template.replace("<<conversation>>", conversation).replace(
                "<<rubric_item>>", f"[{rubric['points']}] {rubric['criterion']}"
            )
            met: bool | None = None
            # Unparseable grades are asked again; after the last attempt the criterion counts as
            # not met, as in the original. An API that does not answer raises JudgeUnavailable.
            for _ in range(GRADER_ATTEMPTS):
                reply = await judge.ask([{"role": "user", "content": prompt}], reasoning_effort=None, attempts=GRADER_ATTEMPTS)
                met = parse_grade(reply)
                if met is not None:
                    break
            grades.append(bool(met))
            if met:
                earned += rubric["points"]
        possible = sum(r["points"] for r in state.metadata["rubrics"] if r["points"] > 0)
        value = earned / possible if possible > 0 else 0.0
        return Score(value=value, answer=answer, metadata={"criteria_met": grades, "points": earned, "possible": possible})

    return score


@task
def healthbench() -> Task:
    return Task(dataset=dataset(), solver=[generate()], scorer=rubric_grader())
