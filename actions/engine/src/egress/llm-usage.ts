/**
 * Token accounting for every wire format the pinned CLIs use: Anthropic Messages, OpenAI
 * Responses (SSE and WebSocket events) and Chat Completions, Gemini generateContent (JSON,
 * JSON array or SSE). Usage is read from the provider's own usage objects, never from text
 * the model wrote; when a response reports none (a cut stream, a format without usage) the
 * bytes are turned into an estimate so that nothing passes uncounted.
 */
export interface TokenCount {
  input: number;
  output: number;
}

const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0);
const obj = (v: unknown): Record<string, unknown> | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

/** Usage in one parsed JSON value (a body, an SSE event or a WebSocket message); null when it holds none. */
export function usageOfEvent(value: unknown): TokenCount | null {
  if (Array.isArray(value)) {
    let out: TokenCount | null = null;
    for (const v of value) out = maxCount(out, usageOfEvent(v));
    return out;
  }
  const o = obj(value);
  if (!o) return null;
  const gemini = obj(o.usageMetadata);
  if (gemini)
    return {
      input: n(gemini.promptTokenCount) + n(gemini.toolUsePromptTokenCount),
      output: n(gemini.candidatesTokenCount) + n(gemini.thoughtsTokenCount),
    };
  // Anthropic: message_start.message.usage and message_delta.usage; Responses: response.*.response.usage; Chat: usage.
  const u = obj(o.usage) ?? obj(obj(o.message)?.usage) ?? obj(obj(o.response)?.usage);
  if (!u) return null;
  if ('prompt_tokens' in u || 'completion_tokens' in u) return { input: n(u.prompt_tokens), output: n(u.completion_tokens) };
  return {
    input: n(u.input_tokens) + n(u.cache_creation_input_tokens) + n(u.cache_read_input_tokens),
    output: n(u.output_tokens),
  };
}

const maxCount = (a: TokenCount | null, b: TokenCount | null): TokenCount | null =>
  a && b ? { input: Math.max(a.input, b.input), output: Math.max(a.output, b.output) } : (a ?? b);

const PROVIDER_FAILURE = /overload|server|api_error|internal|unavailable|rate_limit|timeout/i;

/** A provider failure reported inside a 200 stream (Anthropic's overloaded_error, a failed response, ...). */
function streamErrorOf(value: unknown): string | null {
  const o = obj(value);
  if (!o) return null;
  const e = o.type === 'error' ? obj(o.error) : o.type === 'response.failed' ? obj(obj(o.response)?.error) : null;
  if (!e && o.type !== 'error') return null;
  const what = String(e?.type ?? e?.code ?? o.type);
  const status = n(o.status);
  return status >= 500 || status === 429 || PROVIDER_FAILURE.test(what) || PROVIDER_FAILURE.test(String(e?.code ?? ''))
    ? what
    : null;
}

const MAX_KEPT = 16 * 2 ** 20;

/**
 * Reads a response as it streams (already decoded: never compressed bytes) and keeps the
 * usage it reports. Per response the largest input and output seen win: every format
 * reports cumulative counts.
 */
export class UsageMeter {
  private sse: boolean;
  private pending = '';
  private kept: string[] = [];
  private keptBytes = 0;
  private overflow = false;
  bytes = 0;
  usage: TokenCount | null = null;
  /** Set when the stream itself reported a provider failure. */
  streamError: string | null = null;

  constructor(contentType: string) {
    this.sse = /text\/event-stream/i.test(contentType);
  }

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    const text = chunk.toString('utf8');
    if (this.sse) {
      this.pending += text;
      let nl = this.pending.indexOf('\n');
      while (nl >= 0) {
        this.line(this.pending.slice(0, nl));
        this.pending = this.pending.slice(nl + 1);
        nl = this.pending.indexOf('\n');
      }
      // A line longer than the cap holds no usage we could trust: drop it.
      if (this.pending.length > MAX_KEPT) this.pending = '';
    } else if (this.keptBytes + chunk.length <= MAX_KEPT) {
      this.kept.push(text);
      this.keptBytes += chunk.length;
    } else this.overflow = true;
  }

  /** One WebSocket message (a whole JSON event). */
  message(text: string): void {
    this.bytes += Buffer.byteLength(text);
    this.event(text);
  }

  end(): void {
    if (this.sse) {
      if (this.pending) this.line(this.pending);
      this.pending = '';
    } else if (!this.overflow && this.kept.length > 0) this.event(this.kept.join(''));
    this.kept = [];
  }

  private line(line: string): void {
    const l = line.replace(/\r$/, '');
    if (l.startsWith('data:')) this.event(l.slice(5).trim());
  }

  private event(text: string): void {
    if (!text || text === '[DONE]') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return;
    }
    this.usage = maxCount(this.usage, usageOfEvent(value));
    this.streamError ??= streamErrorOf(value);
  }
}

/** Four bytes per token: the usual rule of thumb, used only when a response reports no usage. */
export const estimateTokens = (bytes: number): number => Math.ceil(bytes / 4);

/** Output tokens reserved for a request that names no limit. */
export const DEFAULT_OUTPUT_RESERVATION = 65_536;

/**
 * What a request may cost at most, reserved against the cap before it is forwarded: its
 * input cannot exceed one token per byte of the request, its output is bounded by the limit
 * it asks for (max_tokens, max_output_tokens, max_completion_tokens, maxOutputTokens).
 */
export function reservationFor(body: Buffer | string): TokenCount {
  const bytes = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  let value: unknown;
  try {
    value = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    value = null;
  }
  const o = obj(value);
  const limit =
    n(o?.max_tokens) ||
    n(o?.max_output_tokens) ||
    n(o?.max_completion_tokens) ||
    n(obj(o?.generationConfig)?.maxOutputTokens) ||
    DEFAULT_OUTPUT_RESERVATION;
  return { input: bytes, output: limit };
}
