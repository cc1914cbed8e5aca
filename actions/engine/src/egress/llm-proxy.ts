import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Duplex, Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate, createZstdDecompress } from 'node:zlib';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { JsonlLog } from './jsonl-log.ts';
import { LLM_PROVIDERS, type LlmProvider, loggableUrl, upstreamTarget } from './llm-providers.ts';
import { estimateTokens, reservationFor, type TokenCount, UsageMeter } from './llm-usage.ts';

export { keysFromEnv, LLM_PROVIDER_IDS, LLM_PROVIDERS, type LlmProvider } from './llm-providers.ts';
export { usageOfEvent } from './llm-usage.ts';

/** The only key the sandbox ever sees. */
export const PLACEHOLDER_KEY = 'ptb-placeholder-key-not-a-secret';

export interface LlmUsage {
  /** Requests the agent got forwarded (HTTP requests and WebSocket `response.create` messages). */
  requests: number;
  /** Requests refused for any reason (bad path, no key, cap). */
  refused: number;
  /** Of those, refused because the cap could not fit them. */
  capRefused: number;
  /** What the agent asked for that is no model call of its provider (smuggled hosts, files, fine-tuning, ...): the first 20. */
  refusedTargets: string[];
  inputTokens: number;
  outputTokens: number;
  capReached: boolean;
  /** Responses that reported no usage and were counted by their size. */
  estimated: number;
  /** Upstream failures: 5xx, 429 and 529 from the provider, cut streams, failures reported inside a stream. */
  providerErrors: number;
}

/** One forwarded agent request, as far as the provider-outage rule needs it. */
export interface LlmOutcome {
  atMs: number;
  provider: LlmProvider;
  status: number;
  kind: 'ok' | 'provider-error' | 'client-error' | 'refused';
  detail?: string;
}

export interface LlmProxy {
  socketPath: string;
  /** A second socket only the harness uses (LLM judge, graders): logged, never counted against the agent's cap. */
  harnessSocketPath: string | null;
  usage(): LlmUsage;
  /** The agent's requests in order (the last 1000). */
  outcomes(): LlmOutcome[];
  stop(): Promise<void>;
}

export interface LlmProxyOptions {
  socketPath: string;
  logPath: string;
  keys: Partial<Record<LlmProvider, string>>;
  /** Base URLs per provider (tests point these at a local stand-in); default: each provider's own. */
  upstreams?: Partial<Record<LlmProvider, string>>;
  cap?: { maxRequests?: number; maxTokens?: number };
  harnessSocketPath?: string;
  /** Largest request body forwarded (default 32 MiB). */
  maxRequestBytes?: number;
  /** Size cap of the log file (default 16 MiB). */
  logCapBytes?: number;
}

type Caller = 'agent' | 'harness';

const AUTH_HEADERS = ['authorization', 'x-api-key', 'x-goog-api-key', 'api-key', 'proxy-authorization', 'cookie'];
/** Hop-by-hop and routing headers: never passed between the agent and the provider. */
const HOP_HEADERS = [
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'accept-encoding',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
];
const WS_HEADERS = ['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-accept'];
const RESPONSE_DROP = ['connection', 'keep-alive', 'transfer-encoding', 'set-cookie', 'content-length', 'content-encoding'];

/** Headers for the upstream: the agent's own minus auth and hop-by-hop ones, then the real key where the provider reads it. */
function upstreamHeaders(provider: LlmProvider, incoming: IncomingHttpHeaders, key: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(incoming)) {
    if (v === undefined || AUTH_HEADERS.includes(k) || HOP_HEADERS.includes(k) || WS_HEADERS.includes(k)) continue;
    out[k] = v;
  }
  // Counting needs plain bytes: ask for none (a provider that compresses anyway is decoded).
  out['accept-encoding'] = 'identity';
  const auth = LLM_PROVIDERS[provider].auth;
  if (auth === 'x-api-key') out['x-api-key'] = key;
  else if (auth === 'x-goog-api-key') out['x-goog-api-key'] = key;
  else if (auth === 'bearer') out.authorization = `Bearer ${key}`;
  else {
    // as-sent: the agent's SDK chose the header this wire format uses; the value is always ours.
    if (incoming['x-goog-api-key'] !== undefined) out['x-goog-api-key'] = key;
    if (incoming['x-api-key'] !== undefined) out['x-api-key'] = key;
    if (incoming.authorization !== undefined || Object.keys(out).every((h) => h !== 'x-api-key' && h !== 'x-goog-api-key'))
      out.authorization = `Bearer ${key}`;
  }
  return out;
}

/** An error body in the wire format the caller speaks, so its CLI prints our message. */
function errorBody(path: string, status: number, message: string): string {
  if (/\/messages(\/|$|\?)/.test(path))
    return JSON.stringify({
      type: 'error',
      error: { type: status === 403 ? 'permission_error' : 'invalid_request_error', message },
    });
  if (/:(stream)?[gG]enerateContent/.test(path))
    return JSON.stringify({
      error: { code: status, message, status: status === 403 ? 'PERMISSION_DENIED' : 'INVALID_ARGUMENT' },
    });
  return JSON.stringify({ error: { message, type: 'ptb_proxy', code: status === 403 ? 'ptb_llm_cap' : 'ptb_proxy' } });
}

function decoderFor(encoding: string | undefined): { stream: NodeJS.ReadWriteStream | null; ok: boolean } {
  const e = (encoding ?? 'identity').trim().toLowerCase();
  if (e === '' || e === 'identity') return { stream: null, ok: true };
  if (e === 'gzip' || e === 'x-gzip') return { stream: createGunzip(), ok: true };
  if (e === 'deflate') return { stream: createInflate(), ok: true };
  if (e === 'br') return { stream: createBrotliDecompress(), ok: true };
  if (e === 'zstd') return { stream: createZstdDecompress(), ok: true };
  return { stream: null, ok: false };
}

type Admission = { ok: true } | { ok: false; message: string };

/**
 * The budget: tokens used so far plus what in-flight requests may still cost. A request is
 * admitted only when its worst case fits beside the others in flight, so parallel requests
 * cannot overshoot the cap; one that would fit once those finish waits for them (in order)
 * instead of failing; one that cannot fit any more is refused and the cap is reached.
 */
class Budget {
  used: TokenCount = { input: 0, output: 0 };
  reserved = 0;
  requests = 0;
  capReached = false;
  private readonly cap: { maxRequests?: number; maxTokens?: number };
  private waiting: { res: TokenCount; resolve: (a: Admission) => void }[] = [];

  constructor(cap: { maxRequests?: number; maxTokens?: number }) {
    this.cap = cap;
  }

  admit(res: TokenCount): Promise<Admission> {
    const now = this.waiting.length === 0 ? this.decide(res) : 'wait';
    if (now !== 'wait') return Promise.resolve(now);
    return new Promise((resolve) => this.waiting.push({ res, resolve }));
  }

  settle(res: TokenCount, actual: TokenCount): void {
    this.reserved = Math.max(0, this.reserved - res.input - res.output);
    this.used.input += actual.input;
    this.used.output += actual.output;
    const { maxTokens } = this.cap;
    if (maxTokens !== undefined && this.used.input + this.used.output >= maxTokens) this.capReached = true;
    this.drain();
  }

  /** Refuses everyone still waiting (the proxy is stopping). */
  close(): void {
    for (const w of this.waiting.splice(0)) w.resolve({ ok: false, message: 'the run is over' });
  }

  private drain(): void {
    while (this.waiting.length > 0) {
      const first = this.waiting[0] as { res: TokenCount; resolve: (a: Admission) => void };
      const d = this.decide(first.res);
      if (d === 'wait') return;
      this.waiting.shift();
      first.resolve(d);
    }
  }

  private decide(res: TokenCount): Admission | 'wait' {
    const { maxRequests, maxTokens } = this.cap;
    if (maxRequests !== undefined && this.requests >= maxRequests) {
      this.capReached = true;
      return { ok: false, message: `this run has used its LLM budget: ${maxRequests} requests` };
    }
    const total = this.used.input + this.used.output;
    const need = res.input + res.output;
    if (maxTokens !== undefined && total + need > maxTokens) {
      this.capReached = true;
      return {
        ok: false,
        message: `this run has used its LLM budget: ${total} of ${maxTokens} tokens used, this request may need ${need}`,
      };
    }
    if (maxTokens !== undefined && total + this.reserved + need > maxTokens) return 'wait';
    this.requests++;
    this.reserved += need;
    return { ok: true };
  }
}

const isProviderStatus = (s: number): boolean => s >= 500 || s === 429;

/**
 * A reverse proxy on a unix socket: `/<provider>/<path>` goes to that provider's fixed
 * origin with the real key put in place of the placeholder; HTTP (streamed or not) and
 * WebSocket upgrades. The key lives only in this process. Each request is logged with its
 * full target (never the key); token use is counted from decoded responses; the cap is
 * reserved before a request is forwarded; past it requests get a 403 the CLIs do not retry.
 */
export async function startLlmProxy(opts: LlmProxyOptions): Promise<LlmProxy> {
  const upstreams = Object.fromEntries(
    Object.entries(LLM_PROVIDERS).map(([p, d]) => [p, opts.upstreams?.[p as LlmProvider] ?? d.upstream]),
  ) as Record<LlmProvider, string>;
  const budget = new Budget(opts.cap ?? {});
  const harnessBudget = new Budget({});
  const counters = { refused: 0, capRefused: 0, estimated: 0, providerErrors: 0 };
  const refusedTargets: string[] = [];
  const noteRefused = (caller: Caller, method: string | undefined, target: string, reason: string) => {
    if (caller === 'agent' && refusedTargets.length < 20)
      refusedTargets.push(`${method ?? '?'} ${target.slice(0, 300)}: ${reason.slice(0, 200)}`);
  };
  const outcomes: LlmOutcome[] = [];
  const log = new JsonlLog(opts.logPath, opts.logCapBytes ?? 16 * 2 ** 20);
  const maxBody = opts.maxRequestBytes ?? 32 * 2 ** 20;
  const inFlight = new Set<{ destroy: () => void }>();
  let stopping = false;

  const record = (caller: Caller, o: LlmOutcome) => {
    if (o.kind === 'provider-error') counters.providerErrors++;
    if (o.kind === 'refused') counters.capRefused++;
    if (caller !== 'agent') return;
    outcomes.push(o);
    if (outcomes.length > 1000) outcomes.shift();
  };
  /**
   * Books one finished exchange (an HTTP answer or a WebSocket response): the tokens the
   * provider reported, or else an estimate from the bytes when `estimateFrom` allows one, settle
   * its reservation; its outcome is recorded and the exchange logged.
   */
  const book = (x: {
    caller: Caller;
    b: Budget;
    reservation: TokenCount;
    reported: TokenCount | null;
    estimateFrom: { requestBytes: number; responseBytes: number } | null;
    entry: object;
    provider: LlmProvider;
    status: number;
    kind: LlmOutcome['kind'];
    detail: string | null;
    providerFailure: string | null;
    started: number;
  }) => {
    const estimated = !x.reported && x.estimateFrom !== null;
    const actual =
      x.reported ??
      (x.estimateFrom
        ? { input: estimateTokens(x.estimateFrom.requestBytes), output: estimateTokens(x.estimateFrom.responseBytes) }
        : { input: 0, output: 0 });
    if (estimated) counters.estimated++;
    x.b.settle(x.reservation, actual);
    record(x.caller, {
      atMs: Date.now(),
      provider: x.provider,
      status: x.status,
      kind: x.kind,
      ...(x.detail ? { detail: x.detail } : {}),
    });
    log.write({
      caller: x.caller,
      ...x.entry,
      status: x.status,
      inputTokens: actual.input,
      outputTokens: actual.output,
      ...(estimated ? { estimated: true } : {}),
      ...(x.providerFailure ? { providerError: x.providerFailure } : {}),
      ms: Date.now() - x.started,
    });
  };
  const refuse = (res: ServerResponse, caller: Caller, path: string, status: number, message: string, entry: object) => {
    counters.refused++;
    log.write({ caller, ...entry, status, refused: message });
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(errorBody(path, status, message));
  };

  const handle = (req: IncomingMessage, res: ServerResponse, caller: Caller) => {
    const started = Date.now();
    const target = upstreamTarget(req.url ?? '', upstreams);
    const rawPath = (req.url ?? '').slice(0, 300);
    if (!target.ok) {
      noteRefused(caller, req.method, rawPath, target.reason);
      return refuse(res, caller, rawPath, target.status, target.reason, { method: req.method, path: rawPath });
    }
    const { provider, url } = target;
    const entry = { provider, method: req.method, target: loggableUrl(url) };
    if (req.method !== 'GET' && req.method !== 'POST')
      return refuse(res, caller, url.pathname, 405, `method ${req.method} is not forwarded`, entry);
    const key = opts.keys[provider];
    if (!key) return refuse(res, caller, url.pathname, 403, `no ${provider} key is configured for this run`, entry);

    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBody) tooBig = true;
      else chunks.push(c);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (tooBig) return refuse(res, caller, url.pathname, 413, `request body over ${maxBody} bytes`, entry);
      const body = Buffer.concat(chunks);
      const reservation = req.method === 'GET' ? { input: 0, output: 0 } : reservationFor(body);
      const b = caller === 'agent' ? budget : harnessBudget;
      void b.admit(reservation).then((admitted) => {
        if (!admitted.ok) {
          record(caller, { atMs: Date.now(), provider, status: 403, kind: 'refused', detail: 'cap' });
          return refuse(res, caller, url.pathname, 403, admitted.message, { ...entry, cap: true });
        }
        if (res.destroyed) return b.settle(reservation, { input: 0, output: 0 });
        forward(req, res, caller, b, reservation, body, provider, key, url, entry, started);
      });
    });
  };

  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    caller: Caller,
    b: Budget,
    reservation: TokenCount,
    body: Buffer,
    provider: LlmProvider,
    key: string,
    url: URL,
    entry: Record<string, unknown>,
    started: number,
  ) => {
    let settled = false;
    // The agent hung up (or the run ended): whatever breaks after that is not the provider's failure.
    let agentGone = false;
    const finish = (status: number, meter: UsageMeter | null, failure: string | null) => {
      if (settled) return;
      settled = true;
      const hungUp = agentGone || stopping;
      const ok = status >= 200 && status < 300;
      const providerFailure = hungUp
        ? null
        : (failure ?? (isProviderStatus(status) ? `HTTP ${status}` : (meter?.streamError ?? null)));
      book({
        caller,
        b,
        reservation,
        reported: meter?.usage ?? null,
        estimateFrom: ok && meter ? { requestBytes: body.length, responseBytes: meter.bytes } : null,
        entry,
        provider,
        status,
        kind: providerFailure ? 'provider-error' : ok && !hungUp ? 'ok' : 'client-error',
        detail: providerFailure ?? (hungUp ? 'the agent closed the connection before the answer ended' : null),
        providerFailure,
        started,
      });
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers = upstreamHeaders(provider, req.headers, key);
    if (req.method === 'POST') headers['content-length'] = String(body.length);
    const upstream = send(url, { method: req.method, headers }, (up) => {
      const status = up.statusCode ?? 502;
      const decoder = decoderFor(up.headers['content-encoding'] as string | undefined);
      if (!decoder.ok) {
        up.destroy();
        finish(502, null, `unsupported content-encoding ${String(up.headers['content-encoding'])}`);
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(errorBody(url.pathname, 502, 'the provider answered in an encoding the proxy cannot count'));
        return;
      }
      const meter = new UsageMeter(String(up.headers['content-type'] ?? ''));
      const outHeaders: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !RESPONSE_DROP.includes(k)) outHeaders[k] = v;
      res.writeHead(status, outHeaders);
      const source: Readable = decoder.stream
        ? (up.pipe(decoder.stream as unknown as NodeJS.WritableStream) as unknown as Readable)
        : up;
      source.on('data', (c: Buffer) => {
        meter.push(c);
        res.write(c);
      });
      source.on('end', () => {
        meter.end();
        res.end();
        finish(status, meter, null);
      });
      const cut = (e?: Error) => {
        meter.end();
        finish(status, meter, `stream cut: ${e?.message ?? 'upstream closed early'}`);
        res.destroy();
      };
      up.on('aborted', () => cut());
      up.on('error', cut);
      source.on('error', cut);
    });
    const handle = { destroy: () => upstream.destroy() };
    inFlight.add(handle);
    upstream.on('close', () => inFlight.delete(handle));
    upstream.on('error', (e) => {
      if (!res.headersSent) {
        finish(502, null, `upstream unreachable: ${e.message}`);
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(errorBody(url.pathname, 502, `upstream ${provider} unreachable`));
      }
    });
    // The agent hung up: stop paying for a response nobody reads.
    res.on('close', () => {
      if (res.writableFinished) return;
      agentGone = true;
      upstream.destroy();
    });
    upstream.end(req.method === 'POST' ? body : undefined);
  };

  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: true, maxPayload: maxBody });
  const sockets = new Set<WebSocket>();

  const rejectUpgrade = (socket: Duplex, status: number, body: string) => {
    socket.end(
      `HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  };

  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer, caller: Caller) => {
    const started = Date.now();
    const target = upstreamTarget(req.url ?? '', upstreams);
    if (!target.ok) {
      counters.refused++;
      noteRefused(caller, 'WS', req.url ?? '', target.reason);
      log.write({ caller, method: 'WS', path: (req.url ?? '').slice(0, 300), status: target.status, refused: target.reason });
      return rejectUpgrade(socket, target.status, errorBody('', target.status, target.reason));
    }
    const { provider, url } = target;
    const entry = { provider, method: 'WS', target: loggableUrl(url) };
    const key = opts.keys[provider];
    const b = caller === 'agent' ? budget : harnessBudget;
    const refusal = !key
      ? `no ${provider} key is configured for this run`
      : b.capReached
        ? 'this run has used its LLM budget'
        : null;
    if (refusal) {
      counters.refused++;
      log.write({ caller, ...entry, status: 403, refused: refusal });
      return rejectUpgrade(socket, 403, errorBody(url.pathname, 403, refusal));
    }
    const wsUrl = new URL(url);
    wsUrl.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const up = new WebSocket(wsUrl, {
      headers: upstreamHeaders(provider, req.headers, key as string) as Record<string, string>,
      perMessageDeflate: true,
      maxPayload: maxBody,
    });
    // Until the upstream has upgraded, the agent's socket is still plain HTTP: answer there once.
    let settledUpgrade = false;
    const failUpgrade = (status: number, body: string, detail: string) => {
      if (settledUpgrade) return;
      settledUpgrade = true;
      const kind = isProviderStatus(status) ? 'provider-error' : 'client-error';
      record(caller, { atMs: Date.now(), provider, status, kind, detail });
      log.write({ caller, ...entry, status, upgradeRefused: detail, ms: Date.now() - started });
      rejectUpgrade(socket, status, body);
    };
    up.on('unexpected-response', (_r, upRes) => {
      const parts: Buffer[] = [];
      let size = 0;
      upRes.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= 65_536) parts.push(c);
      });
      upRes.on('end', () => {
        const status = upRes.statusCode ?? 502;
        failUpgrade(status, Buffer.concat(parts).toString('utf8'), `WebSocket upgrade refused: HTTP ${status}`);
      });
      upRes.on('error', () => failUpgrade(502, errorBody(url.pathname, 502, 'upstream failed'), 'upgrade response failed'));
    });
    up.on('error', (e) => failUpgrade(502, errorBody(url.pathname, 502, `upstream ${provider} unreachable`), e.message));
    up.on('close', () => failUpgrade(502, errorBody(url.pathname, 502, `upstream ${provider} closed`), 'upstream closed'));
    up.on('open', () => {
      settledUpgrade = true;
      wss.handleUpgrade(req, socket, head, (agent) => relay(agent, up, caller, b, provider, entry));
    });
    socket.on('error', () => up.terminate());
  };

  /** Relays one WebSocket session: every `response.create` is a request admitted against the cap and counted. */
  const relay = (agent: WebSocket, up: WebSocket, caller: Caller, b: Budget, provider: LlmProvider, entry: object) => {
    sockets.add(agent);
    sockets.add(up);
    const pending: { reservation: TokenCount; meter: UsageMeter; started: number; bytes: number }[] = [];
    const settle = (failure: string | null, status: number) => {
      const p = pending.shift();
      if (!p) return;
      const providerFailure = failure ?? p.meter.streamError;
      book({
        caller,
        b,
        reservation: p.reservation,
        reported: p.meter.usage,
        estimateFrom: failure ? null : { requestBytes: p.bytes, responseBytes: p.meter.bytes },
        entry,
        provider,
        status,
        kind: providerFailure ? 'provider-error' : status < 400 ? 'ok' : 'client-error',
        detail: providerFailure,
        providerFailure,
        started: p.started,
      });
    };
    // Messages are handled one after the other: a response.create may wait for the budget, and order must hold.
    let chain: Promise<void> = Promise.resolve();
    agent.on('message', (data: RawData, isBinary: boolean) => {
      chain = chain.then(() => onAgentMessage(data, isBinary));
    });
    const onAgentMessage = async (data: RawData, isBinary: boolean): Promise<void> => {
      if (isBinary) return agent.close(1003, 'binary messages are not forwarded');
      const text = data.toString();
      let msg: Record<string, unknown> | null = null;
      try {
        msg = JSON.parse(text) as Record<string, unknown>;
      } catch {
        msg = null;
      }
      if (msg?.type === 'response.create') {
        const reservation = reservationFor(text);
        const admitted = await b.admit(reservation);
        if (!admitted.ok) {
          counters.refused++;
          record(caller, { atMs: Date.now(), provider, status: 403, kind: 'refused', detail: 'cap' });
          log.write({ caller, ...entry, status: 403, cap: true, refused: admitted.message });
          if (agent.readyState !== WebSocket.OPEN) return;
          agent.send(
            JSON.stringify({
              type: 'error',
              status: 403,
              error: { type: 'ptb_llm_cap', code: 'ptb_llm_cap', message: admitted.message },
            }),
          );
          return;
        }
        pending.push({ reservation, meter: new UsageMeter(''), started: Date.now(), bytes: Buffer.byteLength(text) });
      }
      if (up.readyState === WebSocket.OPEN) up.send(text);
    };
    up.on('message', (data: RawData, isBinary: boolean) => {
      if (agent.readyState !== WebSocket.OPEN) return;
      agent.send(data, { binary: isBinary });
      if (isBinary) return;
      const text = data.toString();
      const current = pending[0];
      current?.meter.message(text);
      let type: unknown;
      try {
        const ev = JSON.parse(text) as { type?: unknown; status?: unknown };
        type = ev.type;
        if (type === 'error') settle(current?.meter.streamError ?? null, typeof ev.status === 'number' ? ev.status : 500);
      } catch {
        type = undefined;
      }
      if (type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed') settle(null, 200);
    });
    const closeBoth = (code: number, reason: Buffer, from: 'agent' | 'upstream') => {
      while (pending.length > 0)
        settle(from === 'upstream' && code !== 1000 && !stopping ? `WebSocket closed by the provider (${code})` : null, 200);
      const valid = code >= 1000 && code < 5000 && code !== 1005 && code !== 1006 ? code : 1011;
      const other = from === 'agent' ? up : agent;
      if (other.readyState === WebSocket.OPEN) other.close(valid, reason.subarray(0, 120));
      else other.terminate();
      sockets.delete(agent);
      sockets.delete(up);
    };
    agent.on('close', (code, reason) => closeBoth(code, reason, 'agent'));
    up.on('close', (code, reason) => closeBoth(code, reason, 'upstream'));
    agent.on('error', () => up.terminate());
    up.on('error', () => agent.terminate());
  };

  const make = (caller: Caller): Server => {
    const server = createServer((q, s) => handle(q, s, caller));
    server.on('upgrade', (q, socket, head) => upgrade(q, socket, head, caller));
    return server;
  };
  const servers: Server[] = [make('agent')];
  await new Promise<void>((r) => servers[0]?.listen(opts.socketPath, r));
  if (opts.harnessSocketPath) {
    const harness = make('harness');
    servers.push(harness);
    await new Promise<void>((r) => harness.listen(opts.harnessSocketPath, r));
  }
  return {
    socketPath: opts.socketPath,
    harnessSocketPath: opts.harnessSocketPath ?? null,
    usage: () => ({
      requests: budget.requests,
      refused: counters.refused,
      capRefused: counters.capRefused,
      refusedTargets: [...refusedTargets],
      inputTokens: budget.used.input,
      outputTokens: budget.used.output,
      capReached: budget.capReached,
      estimated: counters.estimated,
      providerErrors: counters.providerErrors,
    }),
    outcomes: () => [...outcomes],
    stop: async () => {
      stopping = true;
      budget.close();
      harnessBudget.close();
      for (const s of sockets) s.terminate();
      for (const f of inFlight) f.destroy();
      wss.close();
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((r) => {
              server.closeAllConnections();
              server.close(() => r());
            }),
        ),
      );
    },
  };
}
