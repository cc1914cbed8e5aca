"""Arena-Hard v2.0 creative writing: the model answers each of the 250 prompts; an LLM judge
compares its answer with the reference model's (Qwen3-1.7B) twice, once in each position;
a slight preference counts once, a decisive one ("A>>B") three times, a tie half. The score
is the candidate's share of those weighted games (win rate)."""
from __future__ import annotations

import ast
import math
import random
import re
from typing import Any

import yaml
from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ChatMessageUser
from inspect_ai.scorer import Metric, SampleScore, Score, Scorer, Target, metric, scorer
from inspect_ai.solver import TaskState, generate

from ptb_evals import judge
from ptb_evals.data import DataMissing, read_jsonl, require
from ptb_evals.text import limit_repetitions, strip_think

DIR = "ptb/arenahardwriting"
CATEGORY = "creative_writing"
DECISIVE_WEIGHT = 3
JUDGE_ATTEMPTS = 3
REASONING_EFFORT = "medium"

# Verdict of one game, from the point of view of assistant A, as (A's share, weight).
VERDICTS: dict[str, tuple[float, int]] = {
    "A>>B": (1.0, DECISIVE_WEIGHT),
    "A>B": (1.0, 1),
    "A=B": (0.5, 1),
    "B=A": (0.5, 1),
    "B>A": (0.0, 1),
    "B>>A": (0.0, DECISIVE_WEIGHT),
    "A<B": (0.0, 1),
    "A<<B": (0.0, DECISIVE_WEIGHT),
    "B<A": (1.0, 1),
    "B<<A": (1.0, DECISIVE_WEIGHT),
}


def judge_settings() -> dict[str, Any]:
    """System prompt (read from the pinned judge_utils.py without running it), user-prompt
    template and verdict patterns (from the pinned arena-hard-v2.0.yaml)."""
    tree = ast.parse(require(f"{DIR}/judge_utils.py").read_text(encoding="utf-8"))
    constants: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                constants[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                # JUDGE_SETTINGS refers to other constants by name: resolve those.
                constants[node.targets[0].id] = _eval_with(node.value, constants)
    try:
        system = constants["JUDGE_SETTINGS"][CATEGORY]["system_prompt"]
    except (KeyError, TypeError) as e:
        raise DataMissing(f"{DIR}/judge_utils.py has no JUDGE_SETTINGS[{CATEGORY!r}]['system_prompt']") from e
    config = yaml.safe_load(require(f"{DIR}/arena-hard-v2.0.yaml").read_text(encoding="utf-8"))
    return {"system": system, "template": config["prompt_template"], "patterns": list(config["regex_patterns"])}


def _eval_with(node: ast.AST, names: dict[str, Any]) -> Any:
    if isinstance(node, ast.Name):
        return names[node.id]
    if isinstance(node, ast.Dict):
        return {_eval_with(k, names): _eval_with(v, names) for k, v in zip(node.keys, node.values)}  # type: ignore[arg-type]
    return ast.literal_eval(node)


def verdict(judgment: str, patterns: list[str]) -> str | None:
    """The last verdict label in the judgment, by the first pattern that finds one."""
    for pattern in patterns:
        found = [m for m in re.findall(pattern, judgment.upper()) if isinstance(m, str) and m]
        if found:
            return found[-1].strip("\n")
    return None


def references() -> dict[str, str]:
    out = {}
    for row in read_jsonl(f"{DIR}/Qwen3-1.7B.jsonl"):
        out[row["uid"]] = row["messages"][-1]["content"]["answer"]
    return out


def dataset() -> MemoryDataset:
    questions = [q for q in read_jsonl(f"{DIR}/question.jsonl") if q.get("category") == CATEGORY]
    random.Random(42).shuffle(questions)
    return MemoryDataset(
        [Sample(id=q["uid"], input=[ChatMessageUser(content=q["prompt"])], metadata={"prompt": q["prompt"]}) for q in questions],
        name="arena-hard-v2.0-creative-writing",
    )


@metric
def win_rate() -> Metric:
    def compute(scores: list[SampleScore]) -> float:
        games = [g for s in scores for g in (s.score.metadata or {}).get("games", [])]
        return sum(games) / len(games) if games else 0.0

    return compute


@metric
def games_stderr() -> Metric:
    """Standard error over the weighted games, as the original computes it."""

    def compute(scores: list[SampleScore]) -> float:
        games = [g for s in scores for g in (s.score.metadata or {}).get("games", [])]
        n = len(games)
        if n < 2:
            return 0.0
        mean = sum(games) / n
        return math.sqrt(sum((g - mean) ** 2 for g in games) / (n - 1)) / math.sqrt(n)

    return compute


@scorer(metrics=[win_rate(), games_stderr()])
def pairwise_judge() -> Scorer:
    settings = judge_settings()
    refs = references()

    async def score(state: TaskState, target: Target) -> Score:
        uid = str(state.sample_id)
        if uid not in refs:
            raise DataMissing(f"no reference answer for question {uid}")
        answer = limit_repetitions(strip_think(state.output.completion))
        question = state.metadata["prompt"]

        async def game(a: str, b: str) -> tuple[str | None, str]:
            prompt = settings["template"].format(QUESTION=question, ANSWER_A=a, ANSWER_B=b)
            messages = [{"role": "system", "content": settings["system"]}, {"role": "user", "content": prompt}]
            text = await judge.ask(messages, reasoning_effort=REASONING_EFFORT, attempts=JUDGE_ATTEMPTS)
            return verdict(text, settings["patterns"]), text

        # Game 1: the reference is A; game 2: the candidate is A.
        v1, t1 = await game(refs[uid], answer)
        v2, t2 = await game(answer, refs[uid])
        games: list[float] = []
        if v1 in VERDICTS and v2 in VERDICTS:
            share1, w1 = VERDICTS[v1]
            share2, w2 = VERDICTS[v2]
            games = [1.0 - share1] * w1 + [share2] * w2
        value = sum(games) / len(games) if games else 0.0
        return Score(
            value=value,
            answer=answer,
            explanation=f"reference first: {v1}; candidate first: {v2}",
            metadata={"games": games, "verdicts": [v1, v2], "judgments": [t1, t2]},
        )

    return score


@task
def arenahardwriting() -> Task:
    return Task(dataset=dataset(), solver=[generate()], scorer=pairwise_judge())
