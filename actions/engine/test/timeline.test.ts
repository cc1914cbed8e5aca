import { Timeline } from '@ptb/core';
import { describe, expect, test } from 'vitest';
import { capFinding, providerOutage, proxyRefusalFindings, startupCrash } from '../src/agents/outcome.ts';
import type { LlmOutcome } from '../src/egress/llm-proxy.ts';
import { makeRedactor } from '../src/redact.ts';
import { claudeCodeEvents, codexEvents, geminiEvents, opencodeEvents } from '../src/trace/cli-events.ts';
import { buildTimeline, type TraceRecord } from '../src/trace/timeline.ts';

// Event shapes as the pinned CLIs print them (seen in their runs against the stand-in).
describe('each CLI’s JSON stream as timeline events', () => {
  test('Claude Code: text, Bash with its command, Write as a file, tool results, API retries', () => {
    const assistant = {
      type: 'assistant',
      message: {
        content: [
          { type: 'text', text: 'Running the training script.' },
          { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'python3 train.py', description: 'train' } },
          { type: 'tool_use', id: 'toolu_2', name: 'Write', input: { file_path: '/workspace/train.py', content: 'print(1)\n' } },
        ],
      },
    };
    expect(claudeCodeEvents(assistant, 3)).toEqual([
      { kind: 'message', t: 3, role: 'assistant', text: 'Running the training script.' },
      { kind: 'tool-call', t: 3, id: 'toolu_1', tool: 'Bash', command: 'python3 train.py', input: '{"description":"train"}' },
      {
        kind: 'tool-call',
        t: 3,
        id: 'toolu_2',
        tool: 'Write',
        input: '{"file_path":"/workspace/train.py","content":"print(1)\\n"}',
      },
      { kind: 'file', t: 3, path: '/workspace/train.py', action: 'write', bytes: 9 },
    ]);
    const result = {
      type: 'user',
      message: { content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'trained', is_error: false }] },
    };
    expect(claudeCodeEvents(result, 4)).toEqual([
      { kind: 'tool-result', t: 4, id: 'toolu_1', output: 'trained', isError: false },
    ]);
    const retry = { type: 'system', subtype: 'api_retry', attempt: 1, max_retries: 10, retry_delay_ms: 500, error_status: 529 };
    expect(claudeCodeEvents(retry, 1)).toEqual([
      { kind: 'message', t: 1, role: 'system', text: 'API retry 1/10 after 529 (waiting 500 ms)' },
    ]);
  });

  test('Codex: commands with exit codes, agent messages, reasoning, file changes', () => {
    const started = {
      type: 'item.started',
      item: { id: 'item_2', type: 'command_execution', command: "/bin/bash -lc 'ls -la'" },
    };
    const done = {
      type: 'item.completed',
      item: { id: 'item_2', type: 'command_execution', aggregated_output: 'total 0\n', exit_code: 2, status: 'failed' },
    };
    expect(codexEvents(started, 1)).toEqual([
      { kind: 'tool-call', t: 1, id: 'item_2', tool: 'shell', command: "/bin/bash -lc 'ls -la'" },
    ]);
    expect(codexEvents(done, 2)).toEqual([
      { kind: 'tool-result', t: 2, id: 'item_2', output: 'total 0\n', exitCode: 2, isError: true },
    ]);
    expect(codexEvents({ type: 'item.completed', item: { type: 'reasoning', text: 'hmm' } }, 2)).toEqual([
      { kind: 'message', t: 2, role: 'thinking', text: 'hmm' },
    ]);
    expect(
      codexEvents({ type: 'item.completed', item: { type: 'file_change', changes: [{ path: '/w/a.py', kind: 'add' }] } }, 5),
    ).toEqual([{ kind: 'file', t: 5, path: '/w/a.py', action: 'write' }]);
  });

  test('Gemini CLI and OpenCode: shell and write tools, failed results', () => {
    expect(
      geminiEvents(
        { type: 'tool_use', tool_name: 'write_file', tool_id: 'w1', parameters: { file_path: '/w/t.py', content: 'ab' } },
        1,
      ),
    ).toEqual([
      { kind: 'tool-call', t: 1, id: 'w1', tool: 'write_file', input: '{"file_path":"/w/t.py","content":"ab"}' },
      { kind: 'file', t: 1, path: '/w/t.py', action: 'write', bytes: 2 },
    ]);
    expect(geminiEvents({ type: 'tool_result', tool_id: 's1', status: 'error', error: { message: 'boom' } }, 2)).toEqual([
      { kind: 'tool-result', t: 2, id: 's1', output: 'boom', isError: true },
    ]);
    const bash = {
      type: 'tool_use',
      part: {
        tool: 'bash',
        callID: 'c1',
        state: { status: 'completed', input: { command: 'ls', workdir: '/workspace' }, output: 'a\n', metadata: { exit: 0 } },
      },
    };
    expect(opencodeEvents(bash, 3)).toEqual([
      { kind: 'tool-call', t: 3, id: 'c1', tool: 'bash', command: 'ls', input: '{"workdir":"/workspace"}' },
      { kind: 'tool-result', t: 3, id: 'c1', output: 'a\n', exitCode: 0, isError: false },
    ]);
  });
});

describe('one timeline per cell', () => {
  const start = Date.parse('2026-12-01T10:00:00Z');
  const at = (s: number) => new Date(start + s * 1000).toISOString();
  const secret = 'sk-ant-api03-SECRETSECRETSECRET0123456789';
  const trace: TraceRecord[] = [
    { ts: at(1), stream: 'stdout', event: { type: 'init', session_id: 's', model: 'gemini-3-pro-preview' } },
    { ts: at(2), stream: 'stdout', event: { type: 'message', role: 'assistant', content: 'Let me ', delta: true } },
    { ts: at(2.1), stream: 'stdout', event: { type: 'message', role: 'assistant', content: 'look.', delta: true } },
    {
      ts: at(3),
      stream: 'stdout',
      event: { type: 'tool_use', tool_name: 'run_shell_command', tool_id: 'r1', parameters: { command: `echo ${secret}` } },
    },
    { ts: at(4), stream: 'stderr', text: 'YOLO mode is enabled.' },
  ];
  const input = {
    scaffold: 'gemini-cli',
    model: 'gemini-3-pro-preview',
    agentStartMs: start,
    budgetSeconds: 600,
    trace,
    access: [
      {
        time: (start + 5000) / 1000,
        client: '127.0.0.1',
        result: 'TCP_DENIED',
        status: 403,
        bytes: 0,
        method: 'GET',
        url: 'http://localhost/instruct/model',
        // The egress decision logs the rule that refused the request beside it.
        tag: 'localhost/instruct',
        raw: 'x',
      },
    ],
    deny: [{ pattern: 'localhost/instruct', reason: 'instruct checkpoint' }],
    evaluateCalls: [
      { ts: at(6), limit: 5, ok: true, metrics: { accuracy: 1 } },
      { ts: at(7), limit: 5, refused: 'rate limit' },
    ],
    llmLog: [
      { ts: at(2), caller: 'agent', inputTokens: 100, outputTokens: 10 },
      { ts: at(3), caller: 'harness', inputTokens: 999, outputTokens: 9 },
    ],
    harness: [{ atMs: start, text: 'the agent started' }],
    redact: makeRedactor([secret]),
  };

  test('in time order, deltas merged, secrets redacted, web and evaluate and tokens from the harness logs; valid against the schema', () => {
    const t = buildTimeline(input);
    expect(Timeline.parse(t)).toEqual(t);
    expect(t.events.map((e) => e.kind)).toEqual([
      'harness',
      'message',
      'message',
      'tokens',
      'tool-call',
      'web',
      'evaluate',
      'evaluate',
    ]);
    expect(t.events[2]).toMatchObject({ role: 'assistant', text: 'Let me look.' });
    expect(t.events[4]).toMatchObject({ command: 'echo [REDACTED]' });
    expect(JSON.stringify(t)).not.toContain(secret);
    // The CLI's own stderr is kept in the raw trace only.
    expect(JSON.stringify(t)).not.toContain('YOLO');
    expect(t.events[5]).toMatchObject({ decision: 'denied', rule: 'instruct checkpoint (localhost/instruct)', t: 5 });
    expect(t.events[7]).toMatchObject({ ok: false, error: 'refused: rate limit' });
    // The judge's tokens (harness socket) are not the agent's.
    expect(t.totals).toEqual({
      messages: 2,
      toolCalls: 1,
      webRequests: 1,
      deniedRequests: 1,
      evaluateCalls: 2,
      inputTokens: 100,
      outputTokens: 10,
    });
  });

  test('a flood of output keeps the head and the tail under the cap, and says what was dropped', () => {
    const many: TraceRecord[] = Array.from({ length: 5000 }, (_, i) => ({
      ts: at(i / 10),
      stream: 'stdout',
      event: { type: 'message', role: 'assistant', content: `step ${i} ${'x'.repeat(200)}` },
    }));
    const t = buildTimeline({ ...input, trace: many, capBytes: 200_000 });
    expect(t.truncated).toBe(true);
    expect(JSON.stringify(t).length).toBeLessThan(220_000);
    expect(t.events.some((e) => e.kind === 'harness' && /events dropped here/.test(e.text))).toBe(true);
    expect(JSON.stringify(t.events.at(-1))).toMatch(/step 4999/);
  });
});

describe('who is to blame when the agent stops', () => {
  const o = (kind: LlmOutcome['kind'], status: number, s: number): LlmOutcome => ({
    atMs: 1000 + s * 1000,
    provider: 'anthropic',
    status,
    kind,
    detail: `HTTP ${status}`,
  });
  const end = { scaffold: 'claude-code', exitCode: 1, timedOut: false, tail: ['Error: boom'], agentStartMs: 1000 };

  test('the last model requests failed at the provider: a provider error with the evidence', () => {
    const out = providerOutage({ ...end, outcomes: [o('ok', 200, 1), o('provider-error', 529, 2), o('provider-error', 529, 9)] });
    expect(out?.errorSource).toBe('provider');
    expect(out?.detail).toMatch(/last 2 model request\(s\) failed \(t=2s to t=9s, last: HTTP 529\)/);
    expect(out?.findings[0]?.evidence).toEqual(['t=2s anthropic: HTTP 529', 't=9s anthropic: HTTP 529']);
  });

  test('a provider error the CLI got past, the cap, or the agent’s own errors are not an outage', () => {
    expect(providerOutage({ ...end, outcomes: [o('provider-error', 500, 1), o('ok', 200, 2)] })).toBeNull();
    expect(providerOutage({ ...end, outcomes: [o('ok', 200, 1), o('refused', 403, 2)] })).toBeNull();
    expect(providerOutage({ ...end, outcomes: [o('client-error', 400, 1)] })).toBeNull();
  });

  test('a CLI that exits with an error before any request: its own last lines as the reason', () => {
    expect(startupCrash({ ...end, outcomes: [] })?.detail).toBe(
      'claude-code exited with code 1 at start-up, before any model request: Error: boom',
    );
    expect(startupCrash({ ...end, outcomes: [o('ok', 200, 1)] })).toBeNull();
    expect(startupCrash({ ...end, exitCode: 0, outcomes: [] })).toBeNull();
    expect(startupCrash({ ...end, timedOut: true, outcomes: [] })).toBeNull();
  });

  test('the cap finding says what was used and refused', () => {
    const usage = {
      requests: 3,
      refused: 2,
      capRefused: 1,
      refusedTargets: [] as string[],
      inputTokens: 900,
      outputTokens: 50,
      capReached: true,
      estimated: 0,
      providerErrors: 0,
    };
    expect(capFinding(usage, { maxTokens: 1000 })[0]?.summary).toBe(
      "the agent reached this run's LLM budget (1000 tokens): 950 tokens in 3 requests were used, and 1 request(s) that could no longer fit were refused",
    );
    expect(capFinding({ ...usage, capReached: false }, { maxTokens: 1000 })).toEqual([]);
  });

  test('requests the proxy would not forward become a warning with each target as evidence', () => {
    const usage = {
      requests: 0,
      refused: 1,
      capRefused: 0,
      refusedTargets: ['POST /openai/v1/fine_tuning/jobs: not a model call'],
      inputTokens: 0,
      outputTokens: 0,
      capReached: false,
      estimated: 0,
      providerErrors: 0,
    };
    expect(proxyRefusalFindings(usage)).toEqual([
      {
        check: 'llm-proxy-refused',
        severity: 'warning',
        summary:
          'the credential proxy refused 1 request(s) of the agent that were no model call of their provider (another host, files, fine-tuning, batches, ...)',
        evidence: ['POST /openai/v1/fine_tuning/jobs: not a model call'],
      },
    ]);
    expect(proxyRefusalFindings({ ...usage, refusedTargets: [] })).toEqual([]);
  });
});
