#!/usr/bin/env python3
"""Evaluator of the ci-add test benchmark: cheap, deterministic, and it writes an Inspect
version-2 evaluation log, so verification parses it exactly like a real `inspect eval` log.

A model of this benchmark is a directory with config.json (model_type "ptb-adder") and
model.json: {"program": "first" | "sum" | "table", "table": {question: answer}}.
Decoding settings come from the command line (the harness), never from the model folder.
"""
import argparse, json, math, os, random, re, sys, time, uuid, zipfile
from datetime import datetime, timezone

p = argparse.ArgumentParser()
p.add_argument("--model", required=True)
p.add_argument("--data", required=True)
p.add_argument("--log-dir", required=True)
p.add_argument("--limit", type=int, default=-1)
p.add_argument("--seed", type=int, default=0)
# With --limit k: "none" scores the first k items, a number draws k items at random with that seed.
p.add_argument("--shuffle-seed", default="none")
p.add_argument("--max-tokens", type=int, default=16)
p.add_argument("--temperature", type=float, default=0.0)
p.add_argument("--log-format", choices=["json", "eval"], default="json")
a = p.parse_args()

started = datetime.now(timezone.utc).isoformat()
rid = uuid.uuid4().hex[:22]
gen = {k: None for k in ["max_retries", "timeout", "max_connections", "system_message", "max_tokens", "top_p",
       "temperature", "stop_seqs", "best_of", "frequency_penalty", "presence_penalty", "logit_bias", "seed", "top_k",
       "num_choices", "logprobs", "top_logprobs", "parallel_tool_calls", "internal_tools", "max_tool_output",
       "cache_prompt", "reasoning_effort", "reasoning_tokens", "reasoning_summary", "reasoning_history",
       "response_schema", "extra_body", "batch"]}
gen.update(max_tokens=a.max_tokens, temperature=a.temperature, seed=a.seed)
config = {k: None for k in ["limit", "sample_id", "sample_shuffle", "epochs", "epochs_reducer", "approval",
          "fail_on_error", "continue_on_fail", "retry_on_error", "message_limit", "token_limit", "time_limit",
          "working_limit", "max_samples", "max_tasks", "max_subprocesses", "max_sandboxes", "sandbox_cleanup",
          "log_samples", "log_realtime", "log_images", "log_buffer", "log_shared", "score_display"]}
config.update(limit=a.limit if a.limit > 0 else None, epochs=1, sample_shuffle=None if a.shuffle_seed == "none" else int(a.shuffle_seed))

items = [json.loads(l) for l in open(a.data) if l.strip()]
if a.shuffle_seed != "none":
    random.Random(int(a.shuffle_seed)).shuffle(items)
if a.limit > 0:
    items = items[: a.limit]


def spec():
    return {
        "eval_set_id": None, "eval_id": uuid.uuid4().hex[:22], "run_id": rid, "created": started,
        "task": "ci_add", "task_id": uuid.uuid4().hex[:22], "task_version": 0, "task_file": None,
        "task_display_name": "ci-add", "task_registry_name": None, "task_attribs": {}, "task_args": {},
        "task_args_passed": {}, "solver": None, "solver_args": None, "tags": None,
        "dataset": {"name": "ci-add", "location": "test.jsonl", "samples": len(items),
                    "sample_ids": [i["id"] for i in items], "shuffled": a.shuffle_seed != "none"},
        "sandbox": None, "model": "ptb-adder/final_model", "model_generate_config": gen, "model_base_url": None,
        "model_args": {}, "model_roles": None, "config": config, "revision": None,
        "packages": {"ptb-ci-evaluator": "1.0.0"}, "metadata": None, "scorers": None, "metrics": None,
    }


def write(log):
    os.makedirs(a.log_dir, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H-%M-%S+00-00")
    base = os.path.join(a.log_dir, f"{stamp}_ci-add_{rid}")
    if a.log_format == "json":
        with open(base + ".json", "w") as f:
            json.dump(log, f, indent=2)
    else:
        with zipfile.ZipFile(base + ".eval", "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("_journal/start.json", json.dumps({"version": 2, "eval": log["eval"], "plan": log["plan"]}))
            z.writestr("header.json", json.dumps({k: v for k, v in log.items() if k != "samples"}))
            z.writestr("summaries.json", "[]")
            z.writestr("reductions.json", "[]")


plan = {"name": "plan", "steps": [{"solver": "generate", "params": {}}], "finish": None, "config": gen}


def fail(message):
    write({"version": 2, "status": "error", "eval": spec(), "plan": plan, "results": None,
           "stats": {"started_at": started, "completed_at": datetime.now(timezone.utc).isoformat(), "model_usage": {}},
           "error": {"message": message, "traceback": message, "traceback_ansi": message}})
    print(f"evaluation failed: {message}", file=sys.stderr)
    sys.exit(1)


try:
    cfg = json.load(open(os.path.join(a.model, "config.json")))
    model = json.load(open(os.path.join(a.model, "model.json")))
except Exception as e:  # a missing or unreadable model is "broken", recorded in the log
    fail(f"model did not load: {e}")
if cfg.get("model_type") != "ptb-adder":
    fail(f"model did not load: unsupported model_type {cfg.get('model_type')!r}")
program = model.get("program")
if program not in ("first", "sum", "table"):
    fail(f"model did not load: unknown program {program!r}")


def generate(question):
    nums = [int(n) for n in re.findall(r"-?\d+", question)]
    if program == "first":
        out = str(nums[0]) if nums else ""
    elif program == "sum":
        out = str(sum(nums))
    else:
        out = str(model.get("table", {}).get(question, ""))
    return out[: a.max_tokens]


correct = [1.0 if generate(i["question"]).strip() == i["answer"] else 0.0 for i in items]
n = len(correct)
acc = sum(correct) / n if n else 0.0
stderr = math.sqrt(sum((c - acc) ** 2 for c in correct) / (n - 1) / n) if n > 1 else 0.0
write({
    "version": 2, "status": "success", "eval": spec(), "plan": plan,
    "results": {"total_samples": n, "completed_samples": n, "metadata": None, "scores": [{
        "name": "match", "scorer": "match", "reducer": None, "scored_samples": n, "unscored_samples": 0,
        "params": {}, "metadata": None, "metrics": {
            "accuracy": {"name": "accuracy", "value": acc, "params": {}, "metadata": None},
            "stderr": {"name": "stderr", "value": stderr, "params": {}, "metadata": None}}}]},
    "stats": {"started_at": started, "completed_at": datetime.now(timezone.utc).isoformat(), "model_usage": {}},
    "error": None,
})
print(f"ci-add: accuracy {acc:.3f} on {n} samples", file=sys.stderr)
