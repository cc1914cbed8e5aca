import { applyPenaltyPolicy, Timeline, UnretriedErrorCell, validateResultsText } from '@ptb/core';
import { describe, expect, test } from 'vitest';
import { cell, run, tinyDefinition } from './builders.ts';

describe('harness errors are neither scored nor penalised', () => {
  const errorCell = cell('agent-x', 1, 'org/a-base', 'alpha', null, {
    status: 'error',
    errorSource: 'provider',
    statusDetail: 'the LLM provider answered 529 for 12 minutes',
  });

  test('the penalty policy refuses to score an error cell and says to retry it', () => {
    expect(() => applyPenaltyPolicy(tinyDefinition(), 'org/a-base', 'alpha', errorCell)).toThrow(UnretriedErrorCell);
    expect(() => applyPenaltyPolicy(tinyDefinition(), 'org/a-base', 'alpha', errorCell)).toThrow(/retry it/);
  });

  test('a results file with an error cell does not validate: errors are retried, never published', () => {
    const file = run('agent-x', 1, [0.5, 0.5, 0.5]);
    file.cells.push(errorCell);
    const text = JSON.stringify(file, null, 2);
    const check = validateResultsText(text, 'submissions/agent-x/results/run-1.json', 'agent-x');
    expect(check.results).toBeNull();
    expect(check.diagnostics[0]?.message).toMatch(/harness error \(provider: the LLM provider answered 529/);
    expect(check.diagnostics[0]?.hint).toMatch(/retry/);
    // The same file without the error cell is fine.
    file.cells.pop();
    expect(validateResultsText(JSON.stringify(file), 'run-1.json', 'agent-x').diagnostics).toEqual([]);
  });

  test('the timeline schema accepts each kind of event and refuses unknown ones', () => {
    const timeline = {
      schemaVersion: 1,
      scaffold: 'claude-code',
      model: 'claude-opus-4-6',
      startedAt: '2026-12-01T00:00:00Z',
      budgetSeconds: 36000,
      events: [
        { kind: 'message', t: 0.5, role: 'assistant', text: 'I will look at the workspace.' },
        { kind: 'tool-call', t: 1, id: 'c1', tool: 'Bash', command: 'ls' },
        { kind: 'tool-result', t: 1.2, id: 'c1', output: 'TASK.md', exitCode: 0 },
        { kind: 'file', t: 2, path: 'train.py', action: 'write', bytes: 120 },
        { kind: 'web', t: 3, method: 'GET', url: 'https://huggingface.co/Qwen/Qwen3-4B', decision: 'denied', status: 403 },
        { kind: 'evaluate', t: 4, limit: 10, ok: true, metrics: { accuracy: 0.4 } },
        { kind: 'gpu', t: 5, utilization: 97, memoryMiB: 40_000 },
        { kind: 'tokens', t: 5, input: 1000, output: 200 },
        { kind: 'harness', t: 36000, text: 'time limit reached' },
      ],
      totals: {
        messages: 1,
        toolCalls: 1,
        webRequests: 1,
        deniedRequests: 1,
        evaluateCalls: 1,
        inputTokens: 1000,
        outputTokens: 200,
      },
      truncated: false,
    };
    expect(Timeline.safeParse(timeline).success).toBe(true);
    const bad = { ...timeline, events: [{ kind: 'telepathy', t: 1 }] };
    expect(Timeline.safeParse(bad).success).toBe(false);
  });
});
