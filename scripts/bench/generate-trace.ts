import type { Timeline, TimelineEvent } from '@ptb/core';

/**
 * A made-up but complete agent timeline of one cell, for tests and benchmarks of the trace
 * viewer: every event kind, a denied request, a failed command, evaluate calls, GPU samples.
 * Deterministic for a given seed. Never committed under submissions/.
 */
export function sampleTimeline(options: { seed?: number; budgetSeconds?: number; benchmark?: string } = {}): Timeline {
  const seed = options.seed ?? 1;
  const budget = options.budgetSeconds ?? 36_000;
  const bench = options.benchmark ?? 'gsm8k';
  const events: TimelineEvent[] = [];
  let call = 0;
  const tool = (t: number, command: string, output: string, exitCode = 0) => {
    const id = `call-${++call}`;
    events.push({ kind: 'tool-call', t, id, tool: 'Bash', command });
    events.push({ kind: 'tool-result', t: t + 4, id, output, exitCode, ...(exitCode !== 0 ? { isError: true } : {}) });
  };
  events.push({ kind: 'harness', t: 0, text: `agent started with a ${budget / 3600}-hour budget` });
  events.push({
    kind: 'message',
    t: 12,
    role: 'thinking',
    text: `The target is ${bench}. First I should see what the workspace holds and how evaluate works.`,
  });
  events.push({ kind: 'message', t: 15, role: 'assistant', text: 'I will start by looking at the workspace and the GPU.' });
  tool(
    20,
    'ls -la && nvidia-smi --query-gpu=name,memory.total --format=csv',
    'evaluate\ntemplates\ntimer.sh\nNVIDIA H100 80GB HBM3, 81559 MiB',
  );
  events.push({ kind: 'tokens', t: 30, input: 4_200, output: 380, model: 'some-model' });
  events.push({
    kind: 'web',
    t: 300,
    method: 'GET',
    url: 'https://huggingface.co/api/datasets/openai/gsm8k',
    decision: 'allowed',
    status: 200,
  });
  events.push({
    kind: 'web',
    t: 320,
    method: 'GET',
    url: 'https://huggingface.co/Qwen/Qwen3-4B/resolve/main/model.safetensors',
    decision: 'denied',
    status: 403,
    rule: 'instruct checkpoints of the base model family',
  });
  events.push({ kind: 'file', t: 600, path: 'train_sft.py', action: 'write', bytes: 4_812 });
  tool(
    640,
    'python train_sft.py --epochs 1 --lr 2e-5',
    'Traceback (most recent call last):\n  ...\ntorch.OutOfMemoryError: CUDA out of memory',
    1,
  );
  events.push({ kind: 'file', t: 700, path: 'train_sft.py', action: 'edit', bytes: 4_990 });
  tool(
    720,
    'python train_sft.py --epochs 1 --lr 2e-5 --batch-size 8',
    `step 1200/1200 loss 0.61\nsaved final_model/ (seed ${seed})`,
  );
  events.push({ kind: 'evaluate', t: 9_000, limit: 150, ok: true, metrics: { accuracy: 0.52 + seed / 100 } });
  events.push({
    kind: 'evaluate',
    t: 21_000,
    limit: 150,
    ok: false,
    error: 'the model in final_model/ did not load: missing config.json',
  });
  events.push({ kind: 'file', t: 21_100, path: 'final_model/config.json', action: 'write', bytes: 1_024 });
  events.push({ kind: 'evaluate', t: 21_900, limit: 150, ok: true, metrics: { accuracy: 0.58 } });
  events.push({ kind: 'harness', t: budget - 1_800, text: '30 minutes left' });
  events.push({
    kind: 'message',
    t: budget - 1_500,
    role: 'assistant',
    text: 'The final model is in final_model/ and loads with the given chat template. Done.',
  });
  for (let t = 60; t < budget - 1_200; t += 600)
    events.push({
      kind: 'gpu',
      t,
      utilization: t < 700 ? 5 : 60 + ((t / 600) % 7) * 5,
      memoryMiB: t < 700 ? 1_200 : 52_000 + ((t / 600) % 5) * 1_000,
    });
  events.push({ kind: 'harness', t: budget - 1_200, text: 'agent exited (code 0)' });
  events.sort((a, b) => a.t - b.t);
  const count = (kind: TimelineEvent['kind']) => events.filter((e) => e.kind === kind).length;
  return {
    schemaVersion: 1,
    scaffold: 'claude-code',
    model: 'some-model',
    startedAt: '2026-01-01T00:00:00Z',
    budgetSeconds: budget,
    events,
    totals: {
      messages: count('message'),
      toolCalls: count('tool-call'),
      webRequests: count('web'),
      deniedRequests: events.filter((e) => e.kind === 'web' && e.decision === 'denied').length,
      evaluateCalls: count('evaluate'),
      inputTokens: 4_200,
      outputTokens: 380,
    },
    truncated: false,
  };
}
