#!/usr/bin/env python3
"""Evaluator of the gpu-arith smoke benchmark: loads final_model/ with transformers on the
GPU, answers "A+B=" with greedy decoding fixed by the harness (never the model's own
generation config), scores exact matches, and writes an Inspect version-2 log that
verification parses like a real `inspect eval` log.
"""
import argparse, json, math, os, random, sys, time, uuid
from datetime import datetime, timezone

p = argparse.ArgumentParser()
p.add_argument("--model", required=True)
p.add_argument("--data", required=True)
p.add_argument("--log-dir", required=True)
p.add_argument("--limit", type=int, default=-1)
p.add_argument("--seed", type=int, default=0)
# With --limit k: "none" scores the first k items, a number draws k items at random with that seed.
p.add_argument("--shuffle-seed", default="none")
p.add_argument("--max-tokens", type=int, default=6)
p.add_argument("--temperature", type=float, default=0.0)
p.add_argument("--batch-size", type=int, default=128)
a = p.parse_args()

started = datetime.now(timezone.utc).isoformat()
items = [json.loads(line) for line in open(a.data) if line.strip()]
if a.shuffle_seed != "none":
    random.Random(int(a.shuffle_seed)).shuffle(items)
if a.limit > 0:
    items = items[: a.limit]


def write(status, results=None, error=None):
    os.makedirs(a.log_dir, exist_ok=True)
    run_id = uuid.uuid4().hex[:22]
    gen = {"max_tokens": a.max_tokens, "temperature": a.temperature, "seed": a.seed}
    log = {
        "version": 2, "status": status,
        "eval": {"eval_id": uuid.uuid4().hex[:22], "run_id": run_id, "created": started, "task": "gpu_arith",
                 "task_id": uuid.uuid4().hex[:22], "task_version": 0, "task_attribs": {}, "task_args": {},
                 "dataset": {"name": "gpu-arith", "location": "test.jsonl", "samples": len(items),
                             "sample_ids": [i["id"] for i in items], "shuffled": a.shuffle_seed != "none"},
                 "model": "final_model", "model_generate_config": gen, "model_args": {},
                 "config": {"limit": a.limit if a.limit > 0 else None, "epochs": 1},
                 "packages": {"ptb-gpu-arith-evaluator": "1.0.0"}},
        "plan": {"name": "plan", "steps": [{"solver": "generate", "params": {}}], "config": gen},
        "results": results,
        "stats": {"started_at": started, "completed_at": datetime.now(timezone.utc).isoformat(), "model_usage": {}},
        "error": error,
    }
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H-%M-%S+00-00")
    with open(os.path.join(a.log_dir, f"{stamp}_gpu-arith_{run_id}.json"), "w") as f:
        json.dump(log, f, indent=1)


def fail(message):
    write("error", error={"message": message, "traceback": message, "traceback_ansi": message})
    print(f"evaluation failed: {message}", file=sys.stderr)
    sys.exit(1)


try:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tok = AutoTokenizer.from_pretrained(a.model)
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.bfloat16).to(device).eval()
except Exception as e:  # a missing or unloadable model is "broken", said in the log
    fail(f"model did not load: {type(e).__name__}: {e}")

torch.manual_seed(a.seed)
tok.padding_side = "left"
if tok.pad_token is None:
    tok.pad_token = tok.eos_token
answers = []
t0 = time.time()
with torch.no_grad():
    for i in range(0, len(items), a.batch_size):
        batch = items[i : i + a.batch_size]
        enc = tok([x["question"] for x in batch], return_tensors="pt", padding=True, add_special_tokens=True).to(device)
        sampling = a.temperature > 0
        out = model.generate(
            **enc, max_new_tokens=a.max_tokens, do_sample=sampling,
            temperature=a.temperature if sampling else None, top_p=None, top_k=None,
            pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
        )
        for row in out[:, enc["input_ids"].shape[1]:]:
            text = tok.decode(row, skip_special_tokens=True)
            digits = ""
            for ch in text.replace(" ", ""):
                if not ch.isdigit():
                    break
                digits += ch
            answers.append(digits)

correct = [1.0 if ans == x["answer"] else 0.0 for ans, x in zip(answers, items)]
n = len(correct)
acc = sum(correct) / n if n else 0.0
stderr = math.sqrt(acc * (1 - acc) / (n - 1)) if n > 1 else 0.0
metric = lambda name, value: {"name": name, "value": value, "params": {}, "metadata": None}
write("success", results={
    "total_samples": n, "completed_samples": n, "scores": [{
        "name": "match", "scorer": "match", "reducer": None, "scored_samples": n, "unscored_samples": 0, "params": {},
        "metrics": {"accuracy": metric("accuracy", acc), "stderr": metric("stderr", stderr)}}]})
print(f"gpu-arith: accuracy {acc:.3f} on {n} samples in {time.time() - t0:.1f}s on {device}", file=sys.stderr)
