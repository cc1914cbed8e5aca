"""Post-processing of generated answers before an LLM judge reads them, as the original does:
a leading reasoning block is dropped and runaway repetition is cut to five repeats. Our own
implementation of the same rules (consecutive identical lines, repeated blocks of lines,
repeated substrings)."""
from __future__ import annotations

import re

MAX_REPEATS = 5


def strip_think(text: str) -> str:
    text = text.strip()
    if text.startswith("<think>") and "</think>" in text:
        text = text.split("</think>", 1)[1].strip()
    return text


def _cut_repeated_blocks(lines: list[str], limit: int) -> list[str]:
    # Blocks of 1..29 lines repeated back to back more than `limit` times keep `limit` copies.
    for size in range(1, min(30, len(lines) // (limit + 1) + 1)):
        out: list[str] = []
        i = 0
        changed = False
        while i < len(lines):
            block = lines[i : i + size]
            j = i + size
            count = 1
            while len(block) == size and lines[j : j + size] == block:
                count += 1
                j += size
            if count > limit:
                out.extend(block * limit)
                changed = True
                i = j
            else:
                out.append(lines[i])
                i += 1
        if changed:
            return out
    return lines


def limit_repetitions(text: str, limit: int = MAX_REPEATS) -> str:
    for _ in range(10):
        before = text
        text = "\n".join(_cut_repeated_blocks(text.split("\n"), limit))
        for lo, hi in [(3, 30), (30, 60), (60, 120), (120, 250), (250, 500)]:
            pattern = re.compile(rf"(.{{{lo},{hi}}}?)\1{{{limit},}}", re.DOTALL)
            text = pattern.sub(lambda m: m.group(1) * limit, text)
        if text == before:
            break
    return text
