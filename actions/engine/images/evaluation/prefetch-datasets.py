"""Downloads the v1 test sets into the evaluation image's Hugging Face cache at build time,
so verification runs offline. The agent image never contains them."""
from datasets import load_dataset

SETS = [
    ("math-ai/aime25", None, "test"),
    ("openai/gsm8k", "main", "test"),
    ("openai/openai_humaneval", None, "test"),
    ("Idavidrein/gpqa", "gpqa_main", "train"),  # gated: needs HF_TOKEN as a build secret
]
for name, config, split in SETS:
    load_dataset(name, config, split=split)
    print(f"cached {name} {config or ''} {split}")
