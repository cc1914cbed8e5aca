import { appendFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LlmProvider } from '../types.ts';

/** The only key the sandbox ever sees. */
export const PLACEHOLDER_KEY = 'ptb-placeholder-key-not-a-secret';

export const DEFAULT_UPSTREAMS: Record<LlmProvider, string> = {
  anthropic: 'https://api.anthropic.com',
  openai: 'https://api.openai.com',
  google: 'https://generativelanguage.googleapis.com',
  openrouter: 'https://openrouter.ai',
};

/** Environment variables the harness reads real keys from (never passed on). */
export const KEY_ENV: Record<LlmProvider, string[]> = {
  anthropic: ['ANTHROPIC_API_KEY'],
  openai: ['OPENAI_API_KEY'],
  google: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
  openrouter: ['OPENROUTER_API_KEY'],
};

export function keysFromEnv(env: NodeJS.ProcessEnv): Partial<Record<LlmProvider, string>> {
  const out: Partial<Record<LlmProvider, string>> = {};
  for (const [p, names] of Object.entries(KEY_ENV) as [LlmProvider, string[]][]) {
    const v = names.map((n) => env[n]).find((x) => x && x.length > 0);
    if (v) out[p] = v;
  }
  return out;
}

export interface LlmUsage {
  requests: number;
  refused: number;
  inputTokens: number;
  outputTokens: number;
  capReached: boolean;
}

export interface LlmProxy {
  socketPath: string;
  /** A second socket only the harness uses (the LLM judge): logged, never counted against the agent's cap. */
  harnessSocketPath: string | null;
  usage(): LlmUsage;
  stop(): Promise<void>;
}

const AUTH_HEADERS = ['authorization', 'x-api-key', 'x-goog-api-key', 'api-key'];

/** Token counts from a provider response body (JSON or server-sent events); the largest seen wins per field. */
export function usageFromBody(body: string): { input: number; output: number } {
  let input = 0;
  let output = 0;
  const num = (re: RegExp) => {
    let max = 0;
    for (const m of body.matchAll(re)) max = Math.max(max, Number(m[1]));
    return max;
  };
  input = Math.max(
    num(/"input_tokens"\s*:\s*(\d+)/g),
    num(/"prompt_tokens"\s*:\s*(\d+)/g),
    num(/"promptTokenCount"\s*:\s*(\d+)/g),
  );
  output = Math.max(
    num(/"output_tokens"\s*:\s*(\d+)/g),
    num(/"completion_tokens"\s*:\s*(\d+)/g),
    num(/"candidatesTokenCount"\s*:\s*(\d+)/g),
  );
  return { input, output };
}

function setAuth(provider: LlmProvider, headers: Record<string, string | string[] | undefined>, key: string): void {
  for (const h of AUTH_HEADERS) delete headers[h];
  if (provider === 'anthropic') headers['x-api-key'] = key;
  else if (provider === 'google') headers['x-goog-api-key'] = key;
  else headers.authorization = `Bearer ${key}`;
}

/**
 * A reverse proxy on a unix socket: `/<provider>/<path>` goes to that provider with the real
 * key put in place of the placeholder. The key lives only in this process; each request is
 * logged (never the key), token use is counted, and past the cap requests get 429.
 */
export async function startLlmProxy(opts: {
  socketPath: string;
  logPath: string;
  keys: Partial<Record<LlmProvider, string>>;
  upstreams?: Partial<Record<LlmProvider, string>>;
  cap?: { maxRequests?: number; maxTokens?: number };
  harnessSocketPath?: string;
}): Promise<LlmProxy> {
  const usage: LlmUsage = { requests: 0, refused: 0, inputTokens: 0, outputTokens: 0, capReached: false };
  const upstreams = { ...DEFAULT_UPSTREAMS, ...opts.upstreams };
  const log = (entry: Record<string, unknown>) =>
    appendFileSync(opts.logPath, `${JSON.stringify({ ts: new Date().toISOString(), ...entry })}\n`);
  const refuse = (res: ServerResponse, status: number, message: string) => {
    usage.refused++;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { type: 'ptb_proxy', message } }));
  };

  const handle = (req: IncomingMessage, res: ServerResponse, caller: 'agent' | 'harness') => {
    const started = Date.now();
    const match = /^\/(anthropic|openai|google|openrouter)(\/.*)?$/.exec(req.url ?? '');
    if (!match) return refuse(res, 404, 'unknown provider path; use /anthropic, /openai, /google or /openrouter');
    const provider = match[1] as LlmProvider;
    const path = match[2] ?? '/';
    const key = opts.keys[provider];
    if (!key) return refuse(res, 403, `no ${provider} key is configured for this run`);
    const cap = caller === 'agent' ? (opts.cap ?? {}) : {};
    if (
      (cap.maxRequests !== undefined && usage.requests >= cap.maxRequests) ||
      (cap.maxTokens !== undefined && usage.inputTokens + usage.outputTokens >= cap.maxTokens)
    ) {
      usage.capReached = true;
      log({ provider, method: req.method, path: path.split('?')[0], status: 429, refused: 'cap' });
      return refuse(res, 429, 'this run has used its LLM budget');
    }
    if (caller === 'agent') usage.requests++;
    const target = new URL(path.replace(/([?&])key=[^&]*/g, '$1').replace(/[?&]$/, ''), upstreams[provider]);
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: target.host };
    delete headers.connection;
    setAuth(provider, headers, key);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const upstream = send(target, { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      const chunks: Buffer[] = [];
      let size = 0;
      up.on('data', (c: Buffer) => {
        if (size < 4_000_000) chunks.push(c);
        size += c.length;
        res.write(c);
      });
      up.on('end', () => {
        res.end();
        const { input, output } = usageFromBody(Buffer.concat(chunks).toString('utf8'));
        usage.inputTokens += input;
        usage.outputTokens += output;
        log({
          provider,
          method: req.method,
          path: target.pathname,
          status: up.statusCode,
          inputTokens: input,
          outputTokens: output,
          ms: Date.now() - started,
        });
      });
    });
    upstream.on('error', (e) => {
      log({ provider, method: req.method, path: target.pathname, status: 502, error: e.message });
      if (!res.headersSent) refuse(res, 502, `upstream ${provider} unreachable`);
      else res.destroy();
    });
    req.pipe(upstream);
  };

  const servers: Server[] = [createServer((q, s) => handle(q, s, 'agent'))];
  await new Promise<void>((r) => servers[0]?.listen(opts.socketPath, r));
  if (opts.harnessSocketPath) {
    const harness = createServer((q, s) => handle(q, s, 'harness'));
    servers.push(harness);
    await new Promise<void>((r) => harness.listen(opts.harnessSocketPath, r));
  }
  return {
    socketPath: opts.socketPath,
    harnessSocketPath: opts.harnessSocketPath ?? null,
    usage: () => ({ ...usage }),
    stop: async () => {
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
