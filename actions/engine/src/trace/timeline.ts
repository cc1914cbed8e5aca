import { TIMELINE_SCHEMA_VERSION, type Timeline, type TimelineEvent, Timeline as TimelineSchema } from '@ptb/core';
import { type AccessEntry, isDenied } from '../egress/access-log.ts';
import { BUILT_IN_RULES, ruleId } from '../egress/decide.ts';
import type { EgressDenyRule } from '../egress/policy.ts';
import { bound, CLI_CONVERTERS } from './cli-events.ts';

/** One line of the harness's raw trace (`logs/agent-trace.jsonl`). */
export interface TraceRecord {
  ts: string;
  stream: 'stdout' | 'stderr' | 'harness';
  event?: unknown;
  text?: string;
}

export interface TimelineInput {
  scaffold: string;
  model: string | null;
  agentStartMs: number;
  budgetSeconds: number;
  trace: TraceRecord[];
  /** The egress proxy's requests (squid's access log). */
  access: AccessEntry[];
  deny: readonly EgressDenyRule[];
  /** Lines of `evaluate-calls.jsonl`. */
  evaluateCalls: Record<string, unknown>[];
  /** Lines of the credential proxy's log (the agent's requests give the token events). */
  llmLog: Record<string, unknown>[];
  /** What the harness did or saw, with times (start, re-prompt, time limit, provider outage, cap). */
  harness: { atMs: number; text: string }[];
  redact: (text: string) => string;
  /** Serialised size the timeline keeps (default 8 MiB); events past it are dropped from the middle. */
  capBytes?: number;
}

const since = (start: number, atMs: number): number => Math.max(0, Math.round((atMs - start) / 100) / 10);

/** Redacts every text field of an event. */
function redactEvent(e: TimelineEvent, redact: (s: string) => string): TimelineEvent {
  const out: Record<string, unknown> = { ...e };
  for (const k of ['text', 'command', 'input', 'output', 'url', 'path', 'error'] as const)
    if (typeof out[k] === 'string') out[k] = bound(redact(out[k] as string)).text;
  return out as TimelineEvent;
}

/** Adjacent assistant messages printed as deltas (Gemini CLI) become one message. */
function mergeDeltas(events: TimelineEvent[]): TimelineEvent[] {
  const out: TimelineEvent[] = [];
  for (const e of events) {
    const prev = out.at(-1);
    if (
      e.kind === 'message' &&
      e.role === 'assistant' &&
      prev?.kind === 'message' &&
      prev.role === 'assistant' &&
      e.t - prev.t < 2
    )
      out[out.length - 1] = { ...prev, text: bound(prev.text + e.text).text };
    else out.push(e);
  }
  return out;
}

/**
 * One timeline of a cell from the agent's own stream and the harness's logs, in time order,
 * redacted and bounded, valid against the core Timeline schema.
 */
export function buildTimeline(input: TimelineInput): Timeline {
  const start = input.agentStartMs;
  const convert = CLI_CONVERTERS[input.scaffold];
  const agent: TimelineEvent[] = [];
  for (const r of input.trace) {
    const t = since(start, Date.parse(r.ts));
    if (r.stream === 'harness') continue;
    if (r.event !== undefined && convert) {
      try {
        agent.push(...convert(r.event, t));
      } catch {
        // An event of a shape the converter does not expect: the raw trace keeps it.
      }
    } else if (typeof r.text === 'string' && r.text.trim() && (r.stream === 'stdout' || !convert))
      agent.push({ kind: 'message', t, role: 'system', text: bound(r.text).text });
  }
  // The rule that refused a request is the one the egress decision logged with it.
  const reasons = new Map<string, string>([
    ...Object.entries(BUILT_IN_RULES),
    ...input.deny.map((r) => [ruleId(r), r.reason] as const),
  ]);
  const web: TimelineEvent[] = input.access.map((a) => {
    const denied = isDenied(a);
    const id = denied && a.tag && a.tag !== 'allow' ? a.tag : null;
    const rule = id ? { reason: reasons.get(id) ?? 'refused by the egress proxy', pattern: id } : null;
    return {
      kind: 'web',
      t: since(start, a.time * 1000),
      method: a.method.slice(0, 20),
      url: a.url.slice(0, 4000),
      decision: denied ? 'denied' : 'allowed',
      status: Number.isFinite(a.status) ? a.status : null,
      ...(rule ? { rule: `${rule.reason} (${rule.pattern})`.slice(0, 500) } : {}),
    };
  });
  const evaluations: TimelineEvent[] = input.evaluateCalls
    .filter((c) => typeof c.ts === 'string')
    .map((c) => {
      const metrics = Object.fromEntries(
        Object.entries((c.metrics ?? {}) as Record<string, unknown>).filter(([, v]) => typeof v === 'number'),
      ) as Record<string, number>;
      const error = typeof c.error === 'string' ? c.error : typeof c.refused === 'string' ? `refused: ${c.refused}` : undefined;
      return {
        kind: 'evaluate',
        t: since(start, Date.parse(c.ts as string)),
        limit: typeof c.limit === 'number' && c.limit >= 0 ? Math.floor(c.limit) : 0,
        ok: c.ok === true,
        ...(Object.keys(metrics).length > 0 ? { metrics } : {}),
        ...(error ? { error: error.slice(0, 2000) } : {}),
      };
    });
  const tokens: TimelineEvent[] = input.llmLog
    .filter((l) => l.caller === 'agent' && typeof l.inputTokens === 'number' && typeof l.ts === 'string')
    .filter((l) => (l.inputTokens as number) + (l.outputTokens as number) > 0)
    .map((l) => ({
      kind: 'tokens',
      t: since(start, Date.parse(l.ts as string)),
      input: l.inputTokens as number,
      output: typeof l.outputTokens === 'number' ? l.outputTokens : 0,
    }));
  const harness: TimelineEvent[] = input.harness.map((h) => ({
    kind: 'harness',
    t: since(start, h.atMs),
    text: bound(h.text).text,
  }));
  const all = [...mergeDeltas(agent), ...web, ...evaluations, ...tokens, ...harness]
    .map((e) => redactEvent(e, input.redact))
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.t - b.e.t || a.i - b.i)
    .map((x) => x.e);

  const { events, truncated } = capEvents(all, input.capBytes ?? 8 * 2 ** 20);
  const totals = {
    messages: all.filter((e) => e.kind === 'message').length,
    toolCalls: all.filter((e) => e.kind === 'tool-call').length,
    webRequests: web.length,
    deniedRequests: web.filter((e) => e.kind === 'web' && e.decision === 'denied').length,
    evaluateCalls: evaluations.length,
    inputTokens: tokens.reduce((s, e) => s + (e.kind === 'tokens' ? e.input : 0), 0),
    outputTokens: tokens.reduce((s, e) => s + (e.kind === 'tokens' ? e.output : 0), 0),
  };
  return TimelineSchema.parse({
    schemaVersion: TIMELINE_SCHEMA_VERSION,
    scaffold: input.scaffold,
    model: input.model,
    startedAt: new Date(start).toISOString(),
    budgetSeconds: input.budgetSeconds,
    events,
    totals,
    truncated,
  });
}

/** Keeps the first three quarters and the last quarter of the byte budget; a harness event marks the gap. */
function capEvents(all: TimelineEvent[], capBytes: number): { events: TimelineEvent[]; truncated: boolean } {
  const size = (e: TimelineEvent) => JSON.stringify(e).length + 1;
  const total = all.reduce((s, e) => s + size(e), 0);
  if (total <= capBytes) return { events: all, truncated: false };
  const head: TimelineEvent[] = [];
  let used = 0;
  for (const e of all) {
    if (used + size(e) > capBytes * 0.75) break;
    head.push(e);
    used += size(e);
  }
  const tail: TimelineEvent[] = [];
  used = 0;
  for (let i = all.length - 1; i >= head.length; i--) {
    const e = all[i] as TimelineEvent;
    if (used + size(e) > capBytes * 0.25 - 200) break;
    tail.unshift(e);
    used += size(e);
  }
  const dropped = all.length - head.length - tail.length;
  const at = head.at(-1)?.t ?? 0;
  return {
    events: [
      ...head,
      { kind: 'harness', t: at, text: `${dropped} events dropped here to keep the timeline under ${capBytes} bytes` },
      ...tail,
    ],
    truncated: true,
  };
}
