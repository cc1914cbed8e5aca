/**
 * A local stand-in for every LLM provider the credential proxy reaches: `/<provider>/...`
 * speaks Anthropic Messages, OpenAI Responses (HTTP and WebSocket) and Chat Completions,
 * and Gemini generateContent, closely enough for the real CLIs, and plays the scripted
 * agent of script.ts. It checks every request: the real key of that provider in the header
 * that provider reads, never the placeholder, never a compressed response asked for. It can
 * fail on demand (429, 500, 529/overloaded, cut streams, an outage that lasts) and answer
 * compressed, for the proxy's own tests.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { LLM_PROVIDER_IDS, type LlmProvider, PLACEHOLDER_KEY } from '../../src/egress/llm-proxy.ts';
import { anthropicError, parseMessages, renderMessages } from './anthropic.ts';
import { geminiError, parseGemini, renderGemini } from './gemini.ts';
import { openaiError, parseChat, parseResponses, renderChat, renderResponses, responsesEvents } from './openai.ts';
import { decide, type ModelRequest, type Scenario } from './script.ts';
import { asObj, type Json, type Rendered } from './wire.ts';

/** Words of the harness's re-prompt (adapters.ts REPROMPT). */
const REPROMPT_MARK = 'Time is left in your budget';

export type Api = 'messages' | 'count_tokens' | 'responses' | 'responses-ws' | 'chat' | 'gemini' | 'models' | 'unknown';
export type Fault = '400' | '429' | '500' | '529' | 'cut';

export interface StandinRequest {
  atMs: number;
  provider: string;
  api: Api;
  method: string;
  path: string;
  model: string;
  /** Tool results in the conversation when it arrived (the scripted agent's step). */
  step: number;
  /** The request offered a shell tool: a turn of the agent, not a side request (titles, checks). */
  agentTurn: boolean;
  status: number;
  fault?: Fault | 'outage';
  userAgent: string;
  /** The conversation holds the harness's re-prompt. */
  reprompted: boolean;
}

export interface Standin {
  port: number;
  /** Base URL per provider, for the proxy's `upstreams`. */
  upstreams: Record<LlmProvider, string>;
  requests: StandinRequest[];
  /** Every check that failed: a missing or wrong key, the placeholder, a compressed response asked for. */
  violations: string[];
  /** Tool results of the longest conversation seen: what the CLI reported back from the sandbox. */
  toolResults(): string[];
  /** The next `count` model requests fail this way. */
  failNext(fault: Fault, count: number): void;
  /** From the moment the agent has this many tool results, every request fails with `status` (null ends it). */
  outage(plan: { status: 500 | 529; afterToolResults: number } | null): void;
  /** Answer gzip-compressed whatever the request asked for (a provider the proxy must decode). */
  compressAlways(on: boolean): void;
  /** Hold every HTTP answer this long (many requests in flight at once). */
  delay(ms: number): void;
  close(): Promise<void>;
}

const ACCEPTED_AUTH: Record<LlmProvider, ('x-api-key' | 'bearer' | 'x-goog-api-key')[]> = {
  anthropic: ['x-api-key'],
  openai: ['bearer'],
  google: ['x-goog-api-key'],
  openrouter: ['bearer'],
  opencode: ['bearer', 'x-api-key', 'x-goog-api-key'],
  zai: ['bearer'],
  qwen: ['x-api-key', 'bearer'],
};

function apiOf(method: string, path: string): { api: Api; geminiModel?: string; geminiStream?: boolean } {
  const p = path.split('?')[0] ?? '';
  if (method === 'POST' && p.endsWith('/v1/messages/count_tokens')) return { api: 'count_tokens' };
  if (method === 'POST' && p.endsWith('/v1/messages')) return { api: 'messages' };
  if (p.endsWith('/responses')) return { api: method === 'GET' ? 'responses-ws' : 'responses' };
  if (method === 'POST' && p.endsWith('/chat/completions')) return { api: 'chat' };
  const g = /\/models\/([^/:]+):(generateContent|streamGenerateContent|countTokens)$/.exec(p);
  if (method === 'POST' && g)
    return g[2] === 'countTokens'
      ? { api: 'count_tokens' }
      : { api: 'gemini', geminiModel: g[1] as string, geminiStream: g[2] === 'streamGenerateContent' };
  if (method === 'GET' && /\/models$/.test(p)) return { api: 'models' };
  return { api: 'unknown' };
}

export async function startStandin(opts: {
  keys: Partial<Record<LlmProvider, string>>;
  scenario?: Scenario;
  /** Where the CLI works (default: the sandbox's /workspace). */
  workspace?: string;
}): Promise<Standin> {
  const scenario = opts.scenario ?? 'train';
  const workspace = opts.workspace ?? '/workspace';
  const requests: StandinRequest[] = [];
  const violations: string[] = [];
  let longest: string[] = [];
  const faults: Fault[] = [];
  let outagePlan: { status: 500 | 529; afterToolResults: number } | null = null;
  let outageStarted = false;
  let gzipAlways = false;
  let delayMs = 0;

  /** The key check: the provider's real key in the header it reads, no placeholder anywhere, no compression asked for. */
  const checkHeaders = (provider: LlmProvider, headers: IncomingMessage['headers'], what: string): boolean => {
    const expected = opts.keys[provider];
    const problems: string[] = [];
    for (const [k, v] of Object.entries(headers))
      if (String(v).includes(PLACEHOLDER_KEY)) problems.push(`the placeholder key arrived in header ${k}`);
    if (!expected) problems.push(`no key was configured for provider ${provider}`);
    else {
      const got = ACCEPTED_AUTH[provider].some((form) =>
        form === 'bearer' ? headers.authorization === `Bearer ${expected}` : headers[form] === expected,
      );
      if (!got) problems.push(`the real ${provider} key is missing (accepted: ${ACCEPTED_AUTH[provider].join(' or ')})`);
    }
    const enc = String(headers['accept-encoding'] ?? 'identity');
    if (!/^identity$/i.test(enc)) problems.push(`compressed responses were asked for (accept-encoding: ${enc})`);
    for (const p of problems) violations.push(`${what}: ${p}`);
    return problems.length === 0;
  };

  /** Which failure this request meets, if any. */
  const faultFor = (req: ModelRequest | null): Fault | 'outage' | null => {
    if (outagePlan && (outageStarted || (req && req.toolResults.length >= outagePlan.afterToolResults))) {
      outageStarted = true;
      return 'outage';
    }
    return faults.shift() ?? null;
  };
  const faultStatus = (f: Fault | 'outage'): number => (f === 'outage' ? (outagePlan?.status ?? 500) : Number(f));

  const errorFor = (api: Api, provider: LlmProvider, status: number): Json => {
    if (api === 'gemini' || provider === 'google') return geminiError(status === 529 ? 503 : status);
    if (api === 'messages' || api === 'count_tokens') return anthropicError(status);
    return openaiError(status);
  };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    if (gzipAlways) {
      const z = gzipSync(text);
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'content-length': String(z.length),
        ...headers,
      });
      res.end(z);
    } else {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(text);
    }
  };

  const stream = (res: ServerResponse, events: string[], cut: boolean) => {
    const all = cut ? events.slice(0, Math.max(1, Math.floor(events.length / 2))) : events;
    if (gzipAlways) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'gzip', 'cache-control': 'no-cache' });
      const z = gzipSync(all.join(''));
      res.write(cut ? z.subarray(0, Math.floor(z.length / 2)) : z);
    } else {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      for (const e of all) res.write(e);
    }
    if (cut) res.destroy();
    else res.end();
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const url = req.url ?? '';
    const m = /^\/([a-z]+)(\/.*)$/.exec(url);
    const provider = m?.[1] as LlmProvider | undefined;
    const method = req.method ?? '';
    const base: Omit<StandinRequest, 'api' | 'model' | 'step' | 'agentTurn' | 'status'> = {
      reprompted: raw.includes(REPROMPT_MARK),
      atMs: Date.now(),
      provider: provider ?? '?',
      method,
      path: url,
      userAgent: String(req.headers['user-agent'] ?? ''),
    };
    if (!provider || !LLM_PROVIDER_IDS.includes(provider)) {
      violations.push(`${method} ${url}: not under a provider prefix`);
      requests.push({ ...base, api: 'unknown', model: '', step: 0, agentTurn: false, status: 404 });
      return send(res, 404, { error: { message: 'unknown provider' } });
    }
    const { api, geminiModel, geminiStream } = apiOf(method, url);
    if (!checkHeaders(provider, req.headers, `${method} ${url}`)) {
      requests.push({ ...base, api, model: '', step: 0, agentTurn: false, status: 401 });
      return send(res, 401, errorFor(api, provider, 401));
    }
    if (api === 'unknown') {
      violations.push(`${method} ${url}: no such API in the stand-in`);
      requests.push({ ...base, api, model: '', step: 0, agentTurn: false, status: 404 });
      return send(res, 404, errorFor(api, provider, 404));
    }
    if (api === 'models') {
      requests.push({ ...base, api, model: '', step: 0, agentTurn: false, status: 200 });
      return send(res, 200, { object: 'list', data: [], models: [] });
    }
    let body: Json;
    try {
      body = asObj(JSON.parse(raw));
    } catch {
      violations.push(`${method} ${url}: the body is not JSON`);
      return send(res, 400, errorFor(api, provider, 400));
    }
    const inputTokens = Math.ceil(Buffer.byteLength(raw) / 4);
    if (api === 'count_tokens') {
      requests.push({ ...base, api, model: String(body.model ?? ''), step: 0, agentTurn: false, status: 200 });
      return send(res, 200, { input_tokens: inputTokens, totalTokens: inputTokens });
    }
    const parsed =
      api === 'messages'
        ? parseMessages(body)
        : api === 'responses'
          ? parseResponses(body)
          : api === 'chat'
            ? parseChat(body)
            : { ...parseGemini(body, geminiModel ?? ''), stream: geminiStream === true };
    if (parsed.toolResults.length >= longest.length) longest = parsed.toolResults;
    const agentTurn = parsed.tools.length > 0;
    const record = (status: number, fault?: Fault | 'outage') =>
      requests.push({
        ...base,
        api,
        model: parsed.model,
        step: parsed.toolResults.length,
        agentTurn,
        status,
        ...(fault ? { fault } : {}),
      });
    const fault = faultFor(parsed);
    if (fault && fault !== 'cut') {
      const status = faultStatus(fault);
      record(status, fault);
      return send(res, status, errorFor(api, provider, status), status === 429 ? { 'retry-after': '1' } : {});
    }
    const reply = decide(parsed, scenario, workspace);
    const rendered: Rendered =
      api === 'messages'
        ? renderMessages(reply, parsed.model, inputTokens)
        : api === 'responses'
          ? renderResponses(reply, parsed.model, inputTokens)
          : api === 'chat'
            ? renderChat(reply, parsed.model, inputTokens)
            : renderGemini(reply, parsed.model, inputTokens);
    record(200, fault ?? undefined);
    const sseWanted = api === 'gemini' ? /[?&]alt=sse/.test(url) : parsed.stream;
    if (sseWanted) return stream(res, rendered.events, fault === 'cut');
    const payload = api === 'gemini' && geminiStream ? (rendered as ReturnType<typeof renderGemini>).chunks : rendered.body;
    if (fault === 'cut') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(JSON.stringify(payload).slice(0, 20));
      return res.destroy();
    }
    return send(res, 200, payload);
  };

  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: true });
  const openSockets = new Set<WebSocket>();

  /** Codex's Responses WebSocket: `response.create` messages in, the same events as the HTTP stream out. */
  const session = (
    ws: WebSocket,
    base: Omit<StandinRequest, 'api' | 'model' | 'step' | 'agentTurn' | 'status' | 'reprompted'>,
  ) => {
    openSockets.add(ws);
    ws.on('close', () => openSockets.delete(ws));
    const histories = new Map<string, unknown[]>();
    ws.on('message', (data: RawData) => {
      const text = data.toString();
      let msg: Json;
      try {
        msg = asObj(JSON.parse(text));
      } catch {
        violations.push('WebSocket: a message that is not JSON');
        return;
      }
      if (msg.type !== 'response.create') return;
      const prev = typeof msg.previous_response_id === 'string' ? histories.get(msg.previous_response_id) : undefined;
      const parsed = parseResponses(msg, prev ?? []);
      if (parsed.toolResults.length >= longest.length) longest = parsed.toolResults;
      const record = (status: number, fault?: Fault | 'outage') =>
        requests.push({
          ...base,
          atMs: Date.now(),
          reprompted: text.includes(REPROMPT_MARK) || (prev ?? []).some((i) => JSON.stringify(i).includes(REPROMPT_MARK)),
          api: 'responses-ws',
          model: parsed.model,
          step: parsed.toolResults.length,
          agentTurn: parsed.tools.length > 0,
          status,
          ...(fault ? { fault } : {}),
        });
      const inputTokens = Math.ceil(Buffer.byteLength(text) / 4);
      if (msg.generate === false) {
        // A pre-warm: the connection and the prompt, no generation.
        const { events } = responsesEvents({ kind: 'text', text: '' }, parsed.model, inputTokens);
        const created = events[0] as Json;
        const done = events.at(-1) as Json;
        asObj(done.response).output = [];
        asObj(asObj(done.response).usage).output_tokens = 0;
        record(200);
        ws.send(JSON.stringify(created));
        ws.send(JSON.stringify(done));
        histories.set(String(asObj(done.response).id), parsed.input);
        return;
      }
      const fault = faultFor(parsed);
      if (fault && fault !== 'cut') {
        const status = faultStatus(fault);
        record(status, fault);
        ws.send(JSON.stringify({ type: 'error', status, error: asObj(openaiError(status).error) }));
        return;
      }
      const { events, output } = responsesEvents(decide(parsed, scenario, workspace), parsed.model, inputTokens);
      record(200, fault ?? undefined);
      if (fault === 'cut') {
        for (const e of events.slice(0, Math.floor(events.length / 2))) ws.send(JSON.stringify(e));
        ws.terminate();
        return;
      }
      for (const e of events) ws.send(JSON.stringify(e));
      histories.set(String(asObj(asObj(events.at(-1)).response).id), [...parsed.input, ...output]);
    });
  };

  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = req.url ?? '';
    const provider = /^\/([a-z]+)\//.exec(url)?.[1] as LlmProvider | undefined;
    const base = {
      atMs: Date.now(),
      provider: provider ?? '?',
      method: 'WS',
      path: url,
      userAgent: String(req.headers['user-agent'] ?? ''),
    };
    const refuse = (status: number, body: Json) => {
      const text = JSON.stringify(body);
      socket.end(
        `HTTP/1.1 ${status} Refused\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
      );
    };
    if (!provider || !LLM_PROVIDER_IDS.includes(provider) || apiOf('GET', url).api !== 'responses-ws') {
      violations.push(`WebSocket ${url}: no such API in the stand-in`);
      return refuse(404, openaiError(404));
    }
    // WebSocket clients always offer compression of frames; that is no request for a compressed HTTP body.
    const headers = { ...req.headers, 'accept-encoding': req.headers['accept-encoding'] ?? 'identity' };
    if (!checkHeaders(provider, headers, `WebSocket ${url}`)) return refuse(401, openaiError(401));
    if (outagePlan && outageStarted) {
      requests.push({
        ...base,
        reprompted: false,
        api: 'responses-ws',
        model: '',
        step: 0,
        agentTurn: false,
        status: outagePlan.status,
        fault: 'outage',
      });
      return refuse(outagePlan.status, openaiError(outagePlan.status));
    }
    wss.handleUpgrade(req, socket, head, (ws) => session(ws, base));
  };

  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      raw += c;
    });
    req.on('end', () => setTimeout(() => handle(req, res, raw), delayMs));
  });
  server.on('upgrade', upgrade);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('stand-in: no port');
  const port = address.port;
  return {
    port,
    upstreams: Object.fromEntries(LLM_PROVIDER_IDS.map((p) => [p, `http://127.0.0.1:${port}/${p}`])) as Record<
      LlmProvider,
      string
    >,
    requests,
    violations,
    toolResults: () => [...longest],
    failNext: (fault, count) => {
      for (let i = 0; i < count; i++) faults.push(fault);
    },
    outage: (plan) => {
      outagePlan = plan;
      outageStarted = false;
    },
    compressAlways: (on) => {
      gzipAlways = on;
    },
    delay: (ms) => {
      delayMs = ms;
    },
    close: async () => {
      for (const ws of openSockets) ws.terminate();
      wss.close();
      await new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      });
    },
  };
}
