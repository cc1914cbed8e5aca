#!/usr/bin/env python3
"""Writes the held-out test split of gpu-arith (bundles/gpu-arith/evaluator/test.jsonl):
three-digit pairs with (31*A + B) % 10 == 0, from a fixed seed."""
import json, random, sys

rng, items = random.Random(2026), []
while len(items) < 512:
    a, b = rng.randint(100, 999), rng.randint(100, 999)
    if (31 * a + b) % 10 == 0:
        items.append({"id": len(items) + 1, "question": f"{a}+{b}=", "answer": str(a + b)})
out = sys.argv[1] if len(sys.argv) > 1 else "test.jsonl"
with open(out, "w") as f:
    f.writelines(json.dumps(i) + "\n" for i in items)
