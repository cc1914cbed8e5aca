"""GPQA main: the 448 questions of `gpqa_main` (Idavidrein/gpqa), the four answers shuffled,
chain of thought then a letter (Inspect's multiple_choice with cot), scored by Inspect's
choice scorer. inspect_evals registers only gpqa_diamond, so this task is our own, built
from Inspect's own solver and scorer as the original's is."""
from __future__ import annotations

from typing import Any

from inspect_ai import Task, task
from inspect_ai.dataset import Sample, csv_dataset
from inspect_ai.scorer import choice
from inspect_ai.solver import multiple_choice

from ptb_evals.data import require

DATA = "Idavidrein/gpqa/gpqa_main.csv"


def record_to_sample(record: dict[str, Any]) -> Sample:
    # The correct answer is listed first; shuffled choices move it.
    return Sample(
        input=record["Question"],
        choices=[
            str(record["Correct Answer"]),
            str(record["Incorrect Answer 1"]),
            str(record["Incorrect Answer 2"]),
            str(record["Incorrect Answer 3"]),
        ],
        target="A",
        id=record["Record ID"],
    )


@task
def gpqamain() -> Task:
    return Task(
        dataset=csv_dataset(str(require(DATA)), sample_fields=record_to_sample, shuffle_choices=True),
        solver=[multiple_choice(cot=True)],
        scorer=choice(),
    )
