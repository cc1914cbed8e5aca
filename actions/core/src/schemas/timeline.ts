import { z } from 'zod';

/**
 * One readable timeline of a cell, whatever the scaffold: the engine turns each CLI's own
 * JSON stream (and its own logs: egress, evaluate calls, GPU samples) into these events,
 * and the site's trace viewer shows them. Times are seconds since the agent started, so
 * the time left at any event is `budgetSeconds - t`. Texts are redacted and bounded.
 */
const At = z.number().min(0).describe('Seconds since the agent started');
const Text = z.string().max(20_000);

export const TimelineEvent = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('message'),
    t: At,
    role: z.enum(['assistant', 'user', 'system', 'thinking']),
    text: Text,
  }),
  z.strictObject({
    kind: z.literal('tool-call'),
    t: At,
    id: z.string().max(200).optional(),
    tool: z.string().min(1).max(200).describe('The tool as the scaffold names it: Bash, shell, write_file, ...'),
    command: Text.optional().describe('The shell command, when the tool runs one'),
    input: Text.optional().describe('Other input of the call, as compact JSON'),
  }),
  z.strictObject({
    kind: z.literal('tool-result'),
    t: At,
    id: z.string().max(200).optional(),
    output: Text,
    exitCode: z.number().int().nullable().optional(),
    isError: z.boolean().optional(),
    truncated: z.boolean().optional(),
  }),
  z.strictObject({
    kind: z.literal('file'),
    t: At,
    path: z.string().min(1).max(1000),
    action: z.enum(['write', 'edit', 'delete']),
    bytes: z.number().int().min(0).optional(),
  }),
  z.strictObject({
    kind: z.literal('web'),
    t: At,
    method: z.string().max(20),
    url: z.string().max(4000),
    decision: z.enum(['allowed', 'denied']),
    status: z.number().int().nullable().optional(),
    rule: z.string().max(500).optional().describe('The deny rule that refused it'),
  }),
  z.strictObject({
    kind: z.literal('evaluate'),
    t: At,
    limit: z.number().int().min(0),
    ok: z.boolean(),
    metrics: z.record(z.string(), z.number()).optional(),
    error: z.string().max(2000).optional(),
  }),
  z.strictObject({
    kind: z.literal('gpu'),
    t: At,
    utilization: z.number().min(0).max(100),
    memoryMiB: z.number().min(0),
  }),
  z.strictObject({
    kind: z.literal('tokens'),
    t: At,
    input: z.number().int().min(0),
    output: z.number().int().min(0),
    model: z.string().max(200).optional(),
  }),
  z.strictObject({
    kind: z.literal('harness'),
    t: At,
    text: Text.describe('What the harness did or saw: start, reprompt, time limit, output truncated, provider error'),
  }),
]);

export const TIMELINE_SCHEMA_VERSION = 1;

export const Timeline = z.strictObject({
  schemaVersion: z.literal(TIMELINE_SCHEMA_VERSION),
  scaffold: z.string().min(1).describe('Agent adapter: a scaffold id, "baseline" or "script"'),
  model: z.string().nullable(),
  startedAt: z.iso.datetime(),
  budgetSeconds: z.number().min(0),
  events: z.array(TimelineEvent),
  totals: z.strictObject({
    messages: z.number().int().min(0),
    toolCalls: z.number().int().min(0),
    webRequests: z.number().int().min(0),
    deniedRequests: z.number().int().min(0),
    evaluateCalls: z.number().int().min(0),
    inputTokens: z.number().int().min(0),
    outputTokens: z.number().int().min(0),
  }),
  truncated: z.boolean().describe('Events were dropped to keep the timeline under its size cap'),
});

export type TimelineEvent = z.infer<typeof TimelineEvent>;
export type Timeline = z.infer<typeof Timeline>;
