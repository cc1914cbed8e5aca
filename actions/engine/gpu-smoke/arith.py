"""The gpu-arith task: three-digit addition "A+B=" answered by the sum's digits.

Pairs with (31*A + B) % 10 == 0 are the held-out test split; every other pair may be
used for training. Shared by the recipe and by `make_split` (which wrote test.jsonl).
"""
import random

LOW, HIGH = 100, 999


def held_out(a: int, b: int) -> bool:
    return (31 * a + b) % 10 == 0


def prompt(a: int, b: int) -> str:
    return f"{a}+{b}="


def training_pairs(rng: random.Random, n: int):
    out = []
    while len(out) < n:
        a, b = rng.randint(LOW, HIGH), rng.randint(LOW, HIGH)
        if not held_out(a, b):
            out.append((a, b))
    return out


def make_split(seed: int = 2026, n: int = 512):
    rng = random.Random(seed)
    items = []
    while len(items) < n:
        a, b = rng.randint(LOW, HIGH), rng.randint(LOW, HIGH)
        if held_out(a, b):
            items.append({"id": len(items) + 1, "question": prompt(a, b), "answer": str(a + b)})
    return items
