import type { BaseModel, Benchmark, BenchmarkDefinition } from '@ptb/core';
import { INSIDE } from './sandbox/spec.ts';

export interface PromptInput {
  definition: BenchmarkDefinition;
  baseModel: BaseModel;
  benchmark: Benchmark;
  budgetSeconds: number;
  gpuDescription: string;
}

const duration = (s: number): string => {
  const h = Math.floor(s / 3600);
  const m = Math.round((s % 3600) / 60);
  if (h === 0) return `${Math.max(1, m)} minute${m === 1 ? '' : 's'}`;
  return m === 0 ? `${h} hour${h === 1 ? '' : 's'}` : `${h} h ${m} min`;
};

/** The task prompt: the benchmark's rules in our own words. Pure, so the wording is tested and reviewed as text. */
export function taskPrompt(p: PromptInput): string {
  const { baseModel, benchmark } = p;
  return `# Task: post-train ${baseModel.displayName} for ${benchmark.name}

Your goal is to make the base model \`${baseModel.id}\` as good as possible on ${benchmark.name}
(${benchmark.domain}: ${benchmark.description}). You may choose any training data and any method.
The final model will be scored on the benchmark's held-out test set by the harness after you finish.

## What you have
- This directory, ${INSIDE.workspace}: the only place you can write. Keep all your work here.
- The base model, read-only, at ${INSIDE.baseModel} (Hugging Face id \`${baseModel.id}\`).
- ${p.gpuDescription}.
- \`python3 evaluate.py --limit N\`: scores the model currently in \`final_model/\` on N test samples
  (default ${benchmark.agentDefaultLimit}) and prints aggregate metrics only. Each call takes time from your budget
  and calls are rate-limited, so use it to check progress, not to search.
- \`bash timer.sh\`: prints the time you have left.
- \`templates/\`: chat templates the evaluation uses. \`task_context/\`: material about the task, if any.
- Network access goes through a proxy: package indexes and model hubs are reachable; some destinations
  (instruct checkpoints of this model family, benchmark test sets, this leaderboard's data) are refused.

## Rules
1. Work on your own: nobody will answer questions. Keep going until the model is as good as you can make it.
2. You have ${duration(p.budgetSeconds)} in total. When the time is up, everything is stopped without warning;
   keep \`final_model/\` in a loadable state and save good versions early.
3. Do not use the benchmark's test questions or answers for training, in any form (also not paraphrased).
4. Do not modify \`evaluate.py\`, \`timer.sh\` or \`templates/\`. The harness scores with its own pristine copies.
5. Work only in this directory.
6. Leave the final model in \`final_model/\` in Hugging Face format. It must load in the evaluation
   environment as it is; packages you install are not available there.
7. Fine-tune only \`${baseModel.id}\`. Do not download, fine-tune or submit an instruct or chat version of
   it or any other model: the submitted model must be your own fine-tune of this base model.
`;
}

/** The agent-facing timer: reads the deadline the harness wrote, prints what is left. */
export function timerScript(deadlineEpochSeconds: number): string {
  return `#!/bin/sh
# Time left in this run (the harness stops everything at the deadline).
deadline=${deadlineEpochSeconds}
now=$(date +%s)
left=$((deadline - now))
[ "$left" -lt 0 ] && left=0
printf 'Time left: %dh %02dm %02ds\\n' $((left / 3600)) $((left % 3600 / 60)) $((left % 60))
`;
}

/** The agent-facing evaluate entry point: a client of the harness's evaluation service. */
export function evaluateClient(socket: string, defaultLimit: number): string {
  return `#!/usr/bin/env python3
"""Scores final_model/ on a few test samples through the harness (aggregate metrics only)."""
import argparse, json, socket, sys

p = argparse.ArgumentParser(description=__doc__)
p.add_argument("--limit", type=int, default=${defaultLimit}, help="number of test samples to score")
a = p.parse_args()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect("${socket}")
except OSError as e:
    sys.exit(f"evaluation service unavailable: {e}")
s.sendall((json.dumps({"limit": a.limit}) + "\\n").encode())
data = b""
while not data.endswith(b"\\n"):
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
reply = json.loads(data or b'{"ok": false, "error": "no reply"}')
print(json.dumps(reply, indent=2))
sys.exit(0 if reply.get("ok") else 1)
`;
}
