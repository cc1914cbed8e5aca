/**
 * End-to-end: each scaffold a submission may name runs a whole CI cell for real, the pinned
 * CLI from images/agent/clis inside the bwrap sandbox, through squid and the credential
 * proxy, against the model stand-in; the verifier scores the model it trained; the trace
 * becomes a timeline. Run by `npm run test:agents` (and so by .ci/run), not by `npm test`:
 * it needs the CLIs installed and root for bwrap.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CellResult, type ScaffoldId, Timeline, type TimelineEvent } from '@ptb/core';
import { afterAll, describe, expect, test } from 'vitest';
import { PLACEHOLDER_KEY } from '../../src/egress/llm-proxy.ts';
import { cleanupTempDirs } from '../helpers.ts';
import { type AgentCellRun, pinnedVersion, REAL_KEYS, runAgentCell } from './cell.ts';

afterAll(cleanupTempDirs);

/** Generous: a real CLI starts, works six steps and is verified; nothing here depends on the machine's speed. */
const T = 300_000;
export const SUMMARY_DIR = join(process.cwd(), 'test-output', 'agents');

/** What `npm run test:agents` prints for the scaffold: the seconds and tokens of its main cell. */
function summarise(scaffold: ScaffoldId, run: AgentCellRun): void {
  mkdirSync(SUMMARY_DIR, { recursive: true });
  const p = run.result.execution?.proxy;
  writeFileSync(
    join(SUMMARY_DIR, `${scaffold}.json`),
    JSON.stringify({
      version: pinnedVersion(scaffold),
      seconds: run.seconds,
      tokens: (p?.inputTokens ?? 0) + (p?.outputTokens ?? 0),
    }),
  );
}

const egressLines = (run: AgentCellRun) => run.egress.map((e) => `${e.method} ${e.url} ${e.status}`);
const calls = (t: Timeline) => t.events.filter((e): e is Extract<TimelineEvent, { kind: 'tool-call' }> => e.kind === 'tool-call');
const results = (t: Timeline) =>
  t.events.filter((e): e is Extract<TimelineEvent, { kind: 'tool-result' }> => e.kind === 'tool-result');

/** Everything a full honest cell must show, whatever the scaffold. */
function expectTrainedCell(run: AgentCellRun, scaffold: ScaffoldId): Timeline {
  const { result, standin } = run;
  expect(CellResult.parse(result)).toBeTruthy();
  expect(result.status, result.statusDetail).toBe('scored');
  // The verifier scored the model the CLI's training script left: every one of the 40 held-out sums right.
  expect(result.score).toEqual({ value: 1, stderr: 0, samples: 40 });
  expect(result.execution).toMatchObject({ agent: scaffold, endReason: 'agent-exited', exitCode: 0, evaluateCalls: 1 });
  // Every request carried the real key of its provider in the right header, never the placeholder, never asked for compression.
  expect(standin.violations).toEqual([]);
  // The CLI ran the scripted steps in the sandbox and reported their real output back to the model.
  const reported = standin.toolResults().join('\n');
  expect(reported).toMatch(/TASK\.md/);
  expect(reported).toMatch(/Time left: 0h 0\dm \d\ds/);
  expect(reported).toContain('trained: program=sum train accuracy=1.000 on 60 examples');
  expect(reported).toMatch(/"ok": true/);
  expect(reported).toContain('{"program": "sum"}');
  // Tokens were counted for every request the stand-in answered.
  const answered = standin.requests.filter((r) => r.status === 200 && r.api !== 'models' && r.api !== 'count_tokens');
  expect(result.execution?.proxy.llmRequests).toBeGreaterThanOrEqual(answered.length);
  expect(result.execution?.proxy.inputTokens).toBeGreaterThan(1000);
  expect(result.execution?.proxy.outputTokens).toBeGreaterThan(6 * 5);
  // No real key anywhere in what the cell leaves behind; the placeholder never reached the stand-in.
  for (const f of readdirSync(join(run.outDir, 'logs'))) {
    const text = readFileSync(join(run.outDir, 'logs', f), 'latin1');
    for (const key of Object.values(REAL_KEYS)) expect(text, f).not.toContain(key);
  }
  expect(JSON.stringify(standin.requests)).not.toContain(PLACEHOLDER_KEY);
  // The readable trace.
  const timeline = Timeline.parse(run.timeline);
  expect(timeline.scaffold).toBe(scaffold);
  const commands = calls(timeline)
    .map((c) => c.command ?? '')
    .join('\n');
  for (const c of ['ls -la', 'bash timer.sh', 'python3 train.py', 'python3 evaluate.py --limit 5']) expect(commands).toContain(c);
  expect(results(timeline).some((r) => r.output.includes('trained: program=sum'))).toBe(true);
  expect(
    timeline.events.some((e) => e.kind === 'message' && e.role === 'assistant' && e.text.startsWith('Done: final_model/')),
  ).toBe(true);
  expect(timeline.events.filter((e) => e.kind === 'evaluate')).toMatchObject([{ limit: 5, ok: true }]);
  expect(timeline.totals.inputTokens).toBe(result.execution?.proxy.inputTokens);
  expect(timeline.totals.outputTokens).toBe(result.execution?.proxy.outputTokens);
  expect(timeline.events.at(-1)).toMatchObject({ kind: 'harness', text: 'the agent exited with code 0' });
  return timeline;
}

/**
 * Re-prompted once while time is left (the floor lowered for the test): the CLI's own
 * "continue" command carries the same session on, so the model sees the first session's
 * six tool results and the harness's re-prompt in one conversation.
 */
async function expectReprompted(o: { scaffold: ScaffoldId; model: string; provider?: string }) {
  const run = await runAgentCell({ ...o, reprompt: true, budgetSeconds: 300, repromptLimits: { floorSeconds: 60, max: 1 } });
  expect(run.result.status, run.result.statusDetail).toBe('scored');
  expect(run.standin.violations).toEqual([]);
  const harness = (run.timeline?.events ?? []).flatMap((e) => (e.kind === 'harness' ? [e.text] : []));
  expect(harness.filter((t) => t === 're-prompted: time is left in the budget')).toHaveLength(1);
  expect(harness.filter((t) => t === 'the agent exited with code 0')).toHaveLength(2);
  const continued = run.standin.requests.filter((r) => r.reprompted && r.agentTurn);
  expect(continued.length).toBeGreaterThan(0);
  expect(Math.min(...continued.map((r) => r.step))).toBeGreaterThanOrEqual(6);
}

/** OpenCode installs its plugin SDK from npm in the background at every start; refused by the egress policy, harmlessly. */
const OPENCODE_EGRESS = ['CONNECT registry.npmjs.org:443 200', 'GET https://registry.npmjs.org/@opencode-ai%2fplugin 403'];

describe('scaffold claude-code', () => {
  test(
    'a full cell: Messages over SSE with tool use, Write and Bash; a 529 and a cut stream are retried by the CLI, not penalised',
    async () => {
      const run = await runAgentCell({
        scaffold: 'claude-code',
        model: 'claude-opus-4-6',
        reasoningEffort: 'high',
        arrange: (s) => {
          s.failNext('529', 1);
          s.failNext('cut', 1);
        },
      });
      summarise('claude-code', run);
      const timeline = expectTrainedCell(run, 'claude-code');
      expect(egressLines(run)).toEqual([]);
      const turns = run.standin.requests.filter((r) => r.agentTurn);
      expect(turns.every((r) => r.api === 'messages' && r.provider === 'anthropic' && r.model === 'claude-opus-4-6')).toBe(true);
      expect(turns.map((r) => r.fault ?? 'ok').slice(0, 3)).toEqual(['529', 'cut', 'ok']);
      expect(timeline.events).toContainEqual(
        expect.objectContaining({ kind: 'file', path: '/workspace/train.py', action: 'write' }),
      );
      expect(calls(timeline).map((c) => c.tool)).toContain('Write');
      // The 529 shows in the trace as the CLI's own retry.
      expect(
        timeline.events.some((e) => e.kind === 'message' && e.role === 'system' && /API retry 1\/10 after 529/.test(e.text)),
      ).toBe(true);
    },
    T,
  );

  test(
    'Qwen3 Max: Claude Code against the Anthropic-compatible endpoint (/qwen), model from ANTHROPIC_MODEL, side requests too',
    async () => {
      const run = await runAgentCell({ scaffold: 'claude-code', provider: 'qwen', model: 'qwen3-max-2026-01-23' });
      expectTrainedCell(run, 'claude-code');
      expect(egressLines(run)).toEqual([]);
      expect(new Set(run.standin.requests.map((r) => `${r.provider} ${r.api} ${r.model}`))).toEqual(
        new Set(['qwen messages qwen3-max-2026-01-23']),
      );
    },
    T,
  );

  test(
    'a runaway agent is stopped by the usage cap, and the result says so',
    async () => {
      const cap = 400_000;
      const run = await runAgentCell({
        scaffold: 'claude-code',
        model: 'claude-opus-4-6',
        scenario: 'runaway',
        llmCap: { maxTokens: cap },
      });
      const { result } = run;
      const p = result.execution?.proxy;
      expect(p?.capReached).toBe(true);
      expect((p?.inputTokens ?? 0) + (p?.outputTokens ?? 0)).toBeLessThanOrEqual(cap);
      // The cap's refusal is final for the CLI (no retry storm): it stops, and the model it had saved is scored.
      expect(result.execution?.endReason).toBe('agent-error');
      expect(result.status).toBe('scored');
      const finding = result.integrity.find((f) => f.check === 'llm-cap');
      expect(finding?.summary).toMatch(/reached this run's LLM budget \(400000 tokens\)/);
      expect(run.llmLog.filter((l) => l.cap === true)).toHaveLength(1);
      expect(run.timeline?.events).toContainEqual(
        expect.objectContaining({ kind: 'harness', text: expect.stringMatching(/LLM budget of this run is used up/) }),
      );
      // It kept going past the scripted work: more turns than the honest agent makes.
      expect(run.standin.requests.filter((r) => r.agentTurn).length).toBeGreaterThan(7);
    },
    T,
  );

  test(
    're-prompted: --continue carries the session on',
    () => expectReprompted({ scaffold: 'claude-code', model: 'claude-opus-4-6' }),
    T,
  );
});

describe('scaffold codex-cli', () => {
  test(
    'a full cell: the Responses WebSocket through the proxy, exec_command, reasoning effort, web search on',
    async () => {
      const run = await runAgentCell({ scaffold: 'codex-cli', model: 'gpt-5.3-codex', reasoningEffort: 'high' });
      summarise('codex-cli', run);
      const timeline = expectTrainedCell(run, 'codex-cli');
      // Plugin sync, update checks and analytics are off: Codex reached nothing but the proxy.
      expect(egressLines(run)).toEqual([]);
      const turns = run.standin.requests.filter((r) => r.agentTurn);
      expect(turns.every((r) => r.api === 'responses-ws' && r.provider === 'openai')).toBe(true);
      expect(run.llmLog.filter((l) => l.method === 'WS').length).toBe(run.standin.requests.length);
      expect(calls(timeline).every((c) => c.tool === 'shell')).toBe(true);
      expect(results(timeline).find((r) => r.output.includes('trained'))?.exitCode).toBe(0);
    },
    T,
  );

  test(
    'a provider outage in the middle of the cell ends as a provider error, retried and not penalised',
    async () => {
      const run = await runAgentCell({
        scaffold: 'codex-cli',
        model: 'gpt-5.3-codex',
        arrange: (s) => s.outage({ status: 500, afterToolResults: 3 }),
      });
      const { result } = run;
      expect(result.status).toBe('error');
      expect(result.errorSource).toBe('provider');
      expect(result.score).toBeNull();
      expect(result.statusDetail).toMatch(/the openai provider failed under the agent: its last \d+ model request\(s\) failed/);
      expect(result.statusDetail).toMatch(/the cell is retried/);
      expect(result.integrity.find((f) => f.check === 'provider-outage')?.evidence.length).toBeGreaterThan(1);
      // Codex retried on the socket, then over HTTPS, before giving up.
      const failed = run.standin.requests.filter((r) => r.fault === 'outage');
      expect(new Set(failed.map((r) => r.api))).toEqual(new Set(['responses-ws', 'responses']));
      expect(run.timeline?.events.filter((e) => e.kind === 'harness').map((e) => (e as { text: string }).text)).toContainEqual(
        expect.stringMatching(/provider failed under the agent/),
      );
    },
    T,
  );

  test(
    're-prompted: exec resume --last carries the session on',
    () => expectReprompted({ scaffold: 'codex-cli', model: 'gpt-5.3-codex' }),
    T,
  );
});

describe('scaffold gemini-cli', () => {
  test(
    'a full cell: streamGenerateContent (SSE) with function calls, write_file and run_shell_command; a 429 is retried',
    async () => {
      const run = await runAgentCell({
        scaffold: 'gemini-cli',
        model: 'gemini-3-pro-preview',
        arrange: (s) => s.failNext('429', 1),
      });
      summarise('gemini-cli', run);
      const timeline = expectTrainedCell(run, 'gemini-cli');
      expect(egressLines(run)).toEqual([]);
      const turns = run.standin.requests.filter((r) => r.agentTurn);
      expect(turns.every((r) => r.api === 'gemini' && r.provider === 'google' && /alt=sse/.test(r.path))).toBe(true);
      expect(turns[0]?.fault).toBe('429');
      expect(timeline.events).toContainEqual(
        expect.objectContaining({ kind: 'file', path: '/workspace/train.py', action: 'write' }),
      );
      expect(calls(timeline).map((c) => c.tool)).toContain('run_shell_command');
    },
    T,
  );

  test(
    're-prompted: --resume latest carries the session on',
    () => expectReprompted({ scaffold: 'gemini-cli', model: 'gemini-3-pro-preview' }),
    T,
  );
});

describe('scaffold opencode', () => {
  test(
    'a full cell on OpenCode Zen (Chat Completions), permission "allow", bash and write tools',
    async () => {
      const run = await runAgentCell({ scaffold: 'opencode', provider: 'opencode', model: 'opencode/kimi-k2.5' });
      summarise('opencode', run);
      const timeline = expectTrainedCell(run, 'opencode');
      expect(egressLines(run)).toEqual(OPENCODE_EGRESS);
      expect(run.result.integrity.filter((f) => f.severity === 'violation')).toEqual([]);
      expect(run.standin.requests.filter((r) => r.agentTurn).every((r) => r.api === 'chat' && r.provider === 'opencode')).toBe(
        true,
      );
      expect(timeline.events).toContainEqual(
        expect.objectContaining({ kind: 'file', path: '/workspace/train.py', action: 'write' }),
      );
    },
    T,
  );

  test.each([
    ['anthropic', 'anthropic/claude-opus-4-5', 'anthropic', 'messages'],
    ['openai', 'openai/gpt-5.4', 'openai', 'responses'],
    ['google', 'google/gemini-3.1-pro-preview', 'google', 'gemini'],
    ['openrouter', 'openrouter/moonshotai/kimi-k2', 'openrouter', 'chat'],
    ['zai', 'zai/glm-5', 'zai', 'chat'],
    ['opencode', 'opencode/gpt-5.1-codex-max', 'opencode', 'responses'],
    ['opencode', 'opencode/gemini-3.1-pro', 'opencode', 'gemini'],
  ])(
    'provider %s, model %s: its own wire format through /%s',
    async (provider, model, prefix, api) => {
      const run = await runAgentCell({ scaffold: 'opencode', provider, model });
      expectTrainedCell(run, 'opencode');
      expect(egressLines(run)).toEqual(OPENCODE_EGRESS);
      const turns = run.standin.requests.filter((r) => r.agentTurn);
      expect(turns.every((r) => r.provider === prefix && r.api === api)).toBe(true);
    },
    T,
  );

  test(
    'a CLI that dies at start-up is reported with its own message, as a harness error',
    async () => {
      const run = await runAgentCell({ scaffold: 'opencode', provider: 'opencode', model: 'opencode/no-such-model' });
      const { result } = run;
      expect(result.status).toBe('error');
      expect(result.errorSource).toBe('harness');
      expect(result.statusDetail).toMatch(/^opencode exited with code 1 at start-up, before any model request: /);
      expect(result.statusDetail).toContain('Model not found: opencode/no-such-model');
      expect(result.execution?.proxy.llmRequests).toBe(0);
      expect(run.standin.requests).toEqual([]);
    },
    T,
  );

  test(
    're-prompted: run --continue carries the session on',
    () => expectReprompted({ scaffold: 'opencode', provider: 'anthropic', model: 'anthropic/claude-opus-4-5' }),
    T,
  );
});
