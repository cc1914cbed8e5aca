/** Small helpers the stand-in's wire formats share. */
import { randomBytes } from 'node:crypto';
import type { Reply, ToolSpec } from './script.ts';

export type Json = Record<string, unknown>;

export const asObj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
export const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export const id = (prefix: string): string => `${prefix}${randomBytes(12).toString('hex')}`;

/** Text inside a tool result, whatever shape it comes in (string, content blocks, JSON). */
export function textOf(v: unknown): string {
  if (typeof v === 'string') {
    // Some CLIs send a tool result as a JSON document ({"output": ...}, {"name", "content"}): read its text.
    if (/^\s*\{/.test(v))
      try {
        const o = asObj(JSON.parse(v));
        if (typeof o.output === 'string' || typeof o.text === 'string' || 'content' in o) return textOf(o);
      } catch {
        // plain text that starts with a brace
      }
    return v;
  }
  if (Array.isArray(v)) return v.map(textOf).join('\n');
  const o = asObj(v);
  if (typeof o.text === 'string') return o.text;
  if (typeof o.output === 'string') return o.output;
  if ('content' in o) return textOf(o.content);
  return JSON.stringify(v);
}

export const toolSpec = (name: unknown, schema: unknown): ToolSpec => ({
  name: String(name),
  params: Object.keys(asObj(asObj(schema).properties)),
});

/** The text the reply shows the user: the preamble of a tool call, the answer, or the JSON. */
export const replyText = (r: Reply): string =>
  r.kind === 'text' ? r.text : r.kind === 'json' ? JSON.stringify(r.value) : r.preamble;

/** Output tokens of a reply, counted like input: four bytes a token. */
export const replyTokens = (r: Reply): number =>
  Math.ceil((replyText(r).length + (r.kind === 'tool' ? JSON.stringify(r.args).length : 0)) / 4) + 1;

/** One server-sent event; `event:` only where the format names its events. */
export const sse = (data: unknown, event?: string): string =>
  `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

/** What a wire format renders for one reply: the whole stream, or the whole body. */
export interface Rendered {
  events: string[];
  body: unknown;
}
