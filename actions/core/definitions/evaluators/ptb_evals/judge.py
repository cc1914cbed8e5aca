"""The LLM judge of the judged benchmarks: the OpenAI chat completions API, reached through
the harness's credential proxy (OPENAI_BASE_URL, placeholder key), with the request the
original sends (judge model, reasoning effort, completion-token limit). A judge that cannot
answer after its retries raises JudgeUnavailable: the harness's fault, never the model's."""
from __future__ import annotations

import asyncio
import os

UNAVAILABLE = "PTB-JUDGE-UNAVAILABLE"
JUDGE_MODEL = os.environ.get("PTB_JUDGE_MODEL", "gpt-5-mini")
MAX_COMPLETION_TOKENS = 49152


class JudgeUnavailable(RuntimeError):
    def __init__(self, detail: str) -> None:
        super().__init__(f"{UNAVAILABLE}: {detail}")


_client = None
_slots: asyncio.Semaphore | None = None


def _openai():
    global _client, _slots
    if _client is None:
        from openai import AsyncOpenAI

        # Retries are ours (below), so that an outage ends in JudgeUnavailable in bounded time.
        _client = AsyncOpenAI(max_retries=0, timeout=float(os.environ.get("PTB_JUDGE_TIMEOUT", "600")))
        _slots = asyncio.Semaphore(int(os.environ.get("PTB_JUDGE_CONCURRENCY", "16")))
    return _client, _slots


async def ask(messages: list[dict], *, reasoning_effort: str | None, attempts: int) -> str:
    client, slots = _openai()
    kwargs: dict = {"model": JUDGE_MODEL, "messages": messages, "max_completion_tokens": MAX_COMPLETION_TOKENS}
    if reasoning_effort:
        kwargs["reasoning_effort"] = reasoning_effort
    wait = float(os.environ.get("PTB_JUDGE_RETRY_SECONDS", "5"))
    last: Exception | None = None
    for attempt in range(attempts):
        try:
            async with slots:
                completion = await client.chat.completions.create(**kwargs)
            content = completion.choices[0].message.content
            if content is None:
                raise ValueError("the judge returned no content")
            return content
        except Exception as e:  # noqa: BLE001 - any failure of the API counts; the last one is reported
            last = e
            if attempt + 1 < attempts:
                await asyncio.sleep(wait * (2**attempt))
    raise JudgeUnavailable(f"{JUDGE_MODEL} did not answer after {attempts} attempts: {type(last).__name__}: {last}")
