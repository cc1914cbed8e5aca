import { readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { keysFromEnv, upstreamTarget } from '../src/egress/llm-providers.ts';
import { LLM_PROVIDER_IDS, type LlmProvider, PLACEHOLDER_KEY, startLlmProxy } from '../src/egress/llm-proxy.ts';
import { reservationFor, UsageMeter, usageOfEvent } from '../src/egress/llm-usage.ts';
import { REAL_KEYS } from './agents/cell.ts';
import { cleanupTempDirs, hostServer, tempDir } from './helpers.ts';
import { type Standin, startStandin } from './standin/server.ts';

afterAll(cleanupTempDirs);

interface Reply {
  status: number;
  headers: Record<string, unknown>;
  body: string;
}

/** One request through a unix socket, as the sandbox's bridge would send it (the raw request-target is kept). */
function call(
  socketPath: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
  method = 'POST',
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const r = request(
      {
        socketPath,
        path,
        method,
        headers: {
          'content-type': 'application/json',
          'accept-encoding': 'gzip, deflate, br, zstd',
          authorization: `Bearer ${PLACEHOLDER_KEY}`,
          'x-api-key': PLACEHOLDER_KEY,
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        res.on('error', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: `${text}[cut]` }));
      },
    );
    r.on('error', reject);
    r.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const TOOLS = [{ name: 'Bash', input_schema: { type: 'object', properties: { command: { type: 'string' } } } }];
const MESSAGES = { model: 'claude-x', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], tools: TOOLS };

describe('which upstream a request goes to', () => {
  const up = Object.fromEntries(LLM_PROVIDER_IDS.map((p) => [p, `https://${p}.example/base`])) as Record<LlmProvider, string>;

  test('a provider path maps to its fixed origin and base path; the query is kept without any key', () => {
    const t = upstreamTarget('/google/v1beta/models/gemini-3.1-pro-preview:streamGenerateContent?alt=sse', up);
    expect(t.ok && t.url.toString()).toBe(
      'https://google.example/base/v1beta/models/gemini-3.1-pro-preview:streamGenerateContent?alt=sse',
    );
    const z = upstreamTarget('/opencode/v1/chat/completions', { ...up, opencode: 'https://opencode.ai/zen' });
    expect(z.ok && z.url.toString()).toBe('https://opencode.ai/zen/v1/chat/completions');
  });

  test.each([
    ['scheme-relative authority', '/anthropic//evil.example:8080/v1/messages'],
    ['double slash inside', '/anthropic/v1//messages'],
    ['backslash', '/anthropic/\\evil.example/v1/messages'],
    ['dot-dot', '/anthropic/v1/../../evil'],
    ['dot segment', '/anthropic/./v1/messages'],
    ['encoded dot-dot', '/anthropic/%2e%2e/v1/messages'],
    ['encoded slash', '/anthropic/v1%2f..%2fmessages'],
    ['encoded backslash', '/anthropic/%5cevil.example/x'],
    ['encoded NUL', '/anthropic/v1/messages%00'],
    ['space', '/anthropic/v1/mess ages'],
    ['absolute-form URI', 'http://evil.example/anthropic/v1/messages'],
    ['network-path reference', '//evil.example/anthropic/v1/messages'],
    ['authority-form', 'evil.example:443'],
    ['key in the query', '/google/v1beta/models/m:generateContent?key=AIzaStolen'],
    ['fragment', '/openai/v1/responses?x=1#frag'],
    ['unknown provider', '/evil/v1/messages'],
    ['provider without a path', '/anthropic'],
    ['prefix look-alike', '/anthropicevil/v1/messages'],
    ['OpenAI files', '/openai/v1/files'],
    ['OpenAI fine-tuning', '/openai/v1/fine_tuning/jobs'],
    ['OpenAI batches', '/openai/v1/batches'],
    ['OpenAI images', '/openai/v1/images/generations'],
    ['OpenAI realtime', '/openai/v1/realtime'],
    ['Anthropic message batches', '/anthropic/v1/messages/batches'],
    ['Anthropic admin', '/anthropic/v1/organizations/api_keys'],
    ['Gemini tuning', '/google/v1beta/tunedModels'],
    ['Gemini caches', '/google/v1beta/cachedContents'],
    ['Gemini uploads', '/google/upload/v1beta/files'],
    ['OpenRouter keys', '/openrouter/api/v1/keys'],
  ])('refused: %s', (_name, target) => {
    const t = upstreamTarget(target, up);
    expect(t.ok).toBe(false);
  });

  test.each([
    '/anthropic/v1/messages?beta=true',
    '/anthropic/v1/messages/count_tokens',
    '/qwen/v1/messages',
    '/openai/v1/responses',
    '/openai/v1/responses/compact',
    '/openai/v1/chat/completions',
    '/openai/v1/models',
    '/google/v1beta/models/gemini-3.1-pro-preview:streamGenerateContent?alt=sse',
    '/google/v1beta/models/gemini-3-flash:countTokens',
    '/openrouter/api/v1/chat/completions',
    '/opencode/v1/messages',
    '/opencode/v1/responses',
    '/opencode/v1/chat/completions',
    '/opencode/v1/models/gemini-3.1-pro:generateContent',
    '/zai/api/paas/v4/chat/completions',
  ])('forwarded: %s (a model call)', (target) => {
    expect(upstreamTarget(target, up).ok).toBe(true);
  });
});

describe('where the real keys come from', () => {
  test('each provider’s own variable, or PTB_PROVIDER_KEYS as JSON or NAME=value lines', () => {
    expect(keysFromEnv({ ANTHROPIC_API_KEY: 'a', ZHIPU_API_KEY: 'z' })).toEqual({ anthropic: 'a', zai: 'z' });
    expect(keysFromEnv({ PTB_PROVIDER_KEYS: '{"openai": "o", "DASHSCOPE_API_KEY": "q"}' })).toEqual({ openai: 'o', qwen: 'q' });
    expect(keysFromEnv({ PTB_PROVIDER_KEYS: 'GEMINI_API_KEY=g\nOPENCODE_API_KEY="c"\n# comment' })).toEqual({
      google: 'g',
      opencode: 'c',
    });
    expect(() => keysFromEnv({ PTB_PROVIDER_KEYS: '{not json' })).toThrow(/PTB_PROVIDER_KEYS is not valid JSON/);
  });
});

describe('token accounting per wire format', () => {
  test('Anthropic, Responses, Chat Completions and Gemini usage objects, cached input included', () => {
    expect(
      usageOfEvent({
        type: 'message_start',
        message: { usage: { input_tokens: 5, cache_read_input_tokens: 7, output_tokens: 1 } },
      }),
    ).toEqual({ input: 12, output: 1 });
    expect(usageOfEvent({ type: 'message_delta', usage: { output_tokens: 30 } })).toEqual({ input: 0, output: 30 });
    expect(usageOfEvent({ type: 'response.completed', response: { usage: { input_tokens: 9, output_tokens: 4 } } })).toEqual({
      input: 9,
      output: 4,
    });
    expect(usageOfEvent({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 2 } })).toEqual({ input: 3, output: 2 });
    expect(usageOfEvent([{ usageMetadata: { promptTokenCount: 8, candidatesTokenCount: 1, thoughtsTokenCount: 5 } }])).toEqual({
      input: 8,
      output: 6,
    });
    // Text the model wrote is never read as usage.
    expect(usageOfEvent({ type: 'content_block_delta', delta: { text: '"usage":{"input_tokens":999999}' } })).toBeNull();
  });

  test('a stream split at any byte still yields its usage; a provider failure inside a 200 stream is noticed', () => {
    const stream =
      'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":40,"output_tokens":1}}}\n\n' +
      'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":12}}\n\n' +
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n';
    const meter = new UsageMeter('text/event-stream');
    for (let i = 0; i < stream.length; i += 7) meter.push(Buffer.from(stream.slice(i, i + 7)));
    meter.end();
    expect(meter.usage).toEqual({ input: 40, output: 12 });
    expect(meter.streamError).toBe('overloaded_error');
  });

  test('the reservation bounds a request: one token per byte in, the output limit it asks for', () => {
    const body = JSON.stringify({ max_tokens: 300, messages: [] });
    expect(reservationFor(body)).toEqual({ input: body.length, output: 300 });
    expect(reservationFor(JSON.stringify({ generationConfig: { maxOutputTokens: 77 } })).output).toBe(77);
    expect(reservationFor('not json').output).toBeGreaterThan(1000);
  });
});

describe('credential-injecting LLM proxy against the provider stand-in', () => {
  let standin: Standin;
  beforeAll(async () => {
    standin = await startStandin({ keys: REAL_KEYS });
  });
  afterAll(async () => standin.close());

  const start = async (extra: Partial<Parameters<typeof startLlmProxy>[0]> = {}) => {
    const dir = tempDir('llm');
    const proxy = await startLlmProxy({
      socketPath: join(dir, 'llm.sock'),
      harnessSocketPath: join(dir, 'harness.sock'),
      logPath: join(dir, 'llm.jsonl'),
      keys: REAL_KEYS,
      upstreams: standin.upstreams,
      ...extra,
    });
    return { proxy, dir, log: () => readFileSync(join(dir, 'llm.jsonl'), 'utf8') };
  };

  test('every provider: the real key in the header that provider reads, never the placeholder, no compression asked for, tokens counted', async () => {
    const { proxy, log } = await start();
    const before = standin.requests.length;
    try {
      const calls: [LlmProvider, string, unknown, Record<string, string>?][] = [
        ['anthropic', '/anthropic/v1/messages', { ...MESSAGES, stream: true }],
        ['qwen', '/qwen/v1/messages', MESSAGES],
        ['openai', '/openai/v1/responses', { model: 'gpt', input: [], stream: true }],
        ['openrouter', '/openrouter/api/v1/chat/completions', { model: 'x', messages: [], stream: true }],
        ['zai', '/zai/api/paas/v4/chat/completions', { model: 'glm', messages: [] }],
        ['opencode', '/opencode/v1/chat/completions', { model: 'kimi', messages: [] }],
        [
          'google',
          '/google/v1beta/models/gemini-x:streamGenerateContent?alt=sse',
          { contents: [] },
          { 'x-goog-api-key': PLACEHOLDER_KEY },
        ],
        [
          'opencode',
          '/opencode/v1/models/gemini-3.1-pro:generateContent',
          { contents: [] },
          { 'x-goog-api-key': PLACEHOLDER_KEY },
        ],
      ];
      for (const [, path, body, headers] of calls) {
        const r = await call(proxy.socketPath, path, body, headers);
        expect(r.status, `${path}: ${r.body}`).toBe(200);
        expect(r.body).not.toContain(PLACEHOLDER_KEY);
      }
      expect(standin.violations).toEqual([]);
      expect(standin.requests.slice(before).map((r) => r.provider)).toEqual(calls.map((c) => c[0]));
      const usage = proxy.usage();
      expect(usage.requests).toBe(calls.length);
      expect(usage.inputTokens).toBeGreaterThan(0);
      expect(usage.outputTokens).toBeGreaterThanOrEqual(calls.length);
      expect(usage.estimated).toBe(0);
      // The full target is logged; no key ever is.
      expect(log()).toContain(`"target":"${standin.upstreams.anthropic}/v1/messages"`);
      for (const key of Object.values(REAL_KEYS)) expect(log()).not.toContain(key);
    } finally {
      await proxy.stop();
    }
  });

  test('an agent that names its own server in the path (scheme-relative, backslash, encoded) never reaches it, and it never sees the key', async () => {
    const evil = await hostServer();
    const { proxy } = await start();
    try {
      const targets = [
        `/anthropic//127.0.0.1:${evil.port}/v1/messages`,
        `/anthropic/\\\\127.0.0.1:${evil.port}/v1/messages`,
        `/anthropic/..%2f..%2f127.0.0.1:${evil.port}/v1/messages`,
        `/openai/%2f%2f127.0.0.1:${evil.port}/v1/responses`,
        `http://127.0.0.1:${evil.port}/anthropic/v1/messages`,
      ];
      for (const t of targets) {
        const r = await call(proxy.socketPath, t, MESSAGES);
        expect([400, 404], `${t} -> ${r.status}`).toContain(r.status);
      }
      expect(evil.requests).toEqual([]);
      expect(proxy.usage().requests).toBe(0);
      // Each attempt is kept as evidence for the cell's findings.
      expect(proxy.usage().refusedTargets).toHaveLength(targets.length);
      expect(proxy.usage().refusedTargets[0]).toContain(`/anthropic//127.0.0.1:${evil.port}/v1/messages`);
    } finally {
      await proxy.stop();
      await evil.close();
    }
  });

  test('a provider that answers gzip-compressed anyway is decoded: the agent gets plain JSON and the tokens count', async () => {
    const { proxy } = await start();
    standin.compressAlways(true);
    try {
      const plain = await call(proxy.socketPath, '/anthropic/v1/messages', MESSAGES);
      expect(plain.status).toBe(200);
      expect(plain.headers['content-encoding']).toBeUndefined();
      const body = JSON.parse(plain.body) as { usage: { input_tokens: number; output_tokens: number } };
      const streamed = await call(proxy.socketPath, '/openai/v1/responses', { model: 'gpt', input: [], stream: true });
      expect(streamed.body).toContain('response.completed');
      const usage = proxy.usage();
      expect(usage.inputTokens).toBeGreaterThan(body.usage.input_tokens);
      expect(usage.outputTokens).toBeGreaterThan(body.usage.output_tokens);
      expect(usage.estimated).toBe(0);
    } finally {
      standin.compressAlways(false);
      await proxy.stop();
    }
  });

  test('50 parallel requests cannot overshoot the cap: the cap is reserved before forwarding', async () => {
    const cap = 3000;
    const { proxy } = await start({ cap: { maxTokens: cap } });
    // Every answer is held, so all 50 are in flight before any is counted.
    standin.delay(300);
    try {
      const replies = await Promise.all(
        Array.from({ length: 50 }, () => call(proxy.socketPath, '/anthropic/v1/messages', { ...MESSAGES, max_tokens: 200 })),
      );
      const ok = replies.filter((r) => r.status === 200).length;
      const refused = replies.filter((r) => r.status === 403);
      expect(ok).toBeGreaterThan(0);
      expect(ok + refused.length).toBe(50);
      const usage = proxy.usage();
      expect(usage.inputTokens + usage.outputTokens).toBeLessThanOrEqual(cap);
      expect(usage.capReached).toBe(true);
      // In the caller's own wire format, and a status its CLI does not retry.
      expect(JSON.parse(refused[0]?.body ?? '{}')).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
      expect(refused[0]?.body).toMatch(/LLM budget/);
    } finally {
      standin.delay(0);
      await proxy.stop();
    }
  });

  test('the request cap, the harness socket outside every cap, and the body size limit', async () => {
    const { proxy } = await start({ cap: { maxRequests: 1 }, maxRequestBytes: 10_000 });
    try {
      expect((await call(proxy.socketPath, '/anthropic/v1/messages', MESSAGES)).status).toBe(200);
      expect((await call(proxy.socketPath, '/anthropic/v1/messages', MESSAGES)).status).toBe(403);
      // The judge and graders use the harness socket: logged, never counted against the agent.
      expect((await call(proxy.harnessSocketPath as string, '/anthropic/v1/messages', MESSAGES)).status).toBe(200);
      expect(proxy.usage().requests).toBe(1);
      const big = { ...MESSAGES, messages: [{ role: 'user', content: 'x'.repeat(20_000) }] };
      expect((await call(proxy.harnessSocketPath as string, '/anthropic/v1/messages', big)).status).toBe(413);
      expect((await call(proxy.socketPath, '/anthropic/v1/messages', MESSAGES, {}, 'PUT')).status).toBe(405);
    } finally {
      await proxy.stop();
    }
  });

  test('provider failures are told apart from the agent’s own errors: 529, 500, 429 and cut streams', async () => {
    const { proxy } = await start();
    try {
      standin.failNext('529', 1);
      expect((await call(proxy.socketPath, '/anthropic/v1/messages', MESSAGES)).status).toBe(529);
      standin.failNext('500', 1);
      expect((await call(proxy.socketPath, '/openai/v1/chat/completions', { model: 'x', messages: [] })).status).toBe(500);
      standin.failNext('429', 1);
      expect((await call(proxy.socketPath, '/google/v1beta/models/g:generateContent', { contents: [] })).status).toBe(429);
      standin.failNext('cut', 1);
      const cut = await call(proxy.socketPath, '/anthropic/v1/messages', { ...MESSAGES, stream: true });
      expect(cut.body).not.toContain('message_stop');
      standin.failNext('400', 1);
      expect((await call(proxy.socketPath, '/anthropic/v1/messages', MESSAGES)).status).toBe(400);
      expect(proxy.outcomes().map((o) => o.kind)).toEqual([
        'provider-error',
        'provider-error',
        'provider-error',
        'provider-error',
        'client-error',
      ]);
      expect(proxy.usage().providerErrors).toBe(4);
    } finally {
      await proxy.stop();
    }
  });

  test('an agent that hangs up (killed at the time limit mid-request) is not a provider failure', async () => {
    const { proxy } = await start();
    standin.delay(1000);
    try {
      await new Promise<void>((resolve) => {
        const r = request({ socketPath: proxy.socketPath, path: '/anthropic/v1/messages', method: 'POST' }, () => undefined);
        r.on('error', () => resolve());
        r.end(JSON.stringify(MESSAGES));
        setTimeout(() => {
          r.destroy();
          resolve();
        }, 200);
      });
      for (let i = 0; i < 100 && proxy.outcomes().length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(proxy.outcomes()).toMatchObject([{ kind: 'client-error', detail: /agent closed the connection/ }]);
      expect(proxy.usage().providerErrors).toBe(0);
    } finally {
      standin.delay(0);
      await proxy.stop();
    }
  });

  test('a response without usage is counted by its size; the log file has a size cap', async () => {
    const upstream = await hostServer(() => ({ status: 200, body: 'x'.repeat(4000) }));
    const { proxy, dir } = await start({ upstreams: { anthropic: `http://127.0.0.1:${upstream.port}` }, logCapBytes: 2000 });
    try {
      for (let i = 0; i < 30; i++) await call(proxy.socketPath, '/anthropic/v1/messages', MESSAGES);
      const usage = proxy.usage();
      expect(usage.estimated).toBe(30);
      expect(usage.outputTokens).toBe(30 * 1000);
      expect(statSync(join(dir, 'llm.jsonl')).size).toBeLessThanOrEqual(2000);
      expect(readFileSync(join(dir, 'llm.jsonl'), 'utf8').trim().split('\n').at(-1)).toContain('"truncated":true');
    } finally {
      await proxy.stop();
      await upstream.close();
    }
  });

  test('the Responses WebSocket is relayed with the real key; every response.create is counted and capped', async () => {
    const { proxy } = await start({ cap: { maxTokens: 6000 } });
    const open = () =>
      new WebSocket(`ws+unix://${proxy.socketPath}:/openai/v1/responses`, {
        headers: { authorization: `Bearer ${PLACEHOLDER_KEY}` },
      });
    const before = standin.violations.length;
    try {
      const ws = open();
      await new Promise((resolve, reject) => {
        ws.on('open', resolve);
        ws.on('error', reject);
      });
      const events: Record<string, unknown>[] = [];
      ws.on('message', (d) => events.push(JSON.parse(String(d)) as Record<string, unknown>));
      const create = {
        type: 'response.create',
        model: 'gpt',
        input: [{ type: 'message', role: 'user', content: 'go' }],
        tools: [],
      };
      const waitFor = (type: string, n: number) =>
        new Promise<void>((resolve) => {
          const check = () => (events.filter((e) => e.type === type).length >= n ? resolve() : setTimeout(check, 10));
          check();
        });
      ws.send(JSON.stringify({ ...create, max_output_tokens: 100 }));
      await waitFor('response.completed', 1);
      const after1 = proxy.usage();
      expect(after1.requests).toBe(1);
      expect(after1.inputTokens).toBeGreaterThan(0);
      // A request whose worst case does not fit is refused on the socket, as an error event with its status.
      ws.send(JSON.stringify({ ...create, max_output_tokens: 100_000 }));
      await waitFor('error', 1);
      expect(events.find((e) => e.type === 'error')).toMatchObject({ status: 403, error: { code: 'ptb_llm_cap' } });
      ws.close();
      expect(standin.violations.slice(before)).toEqual([]);
    } finally {
      await proxy.stop();
    }
  });

  test('a WebSocket upgrade to an unknown provider or a smuggled host is refused before anything is opened', async () => {
    const evil = await hostServer();
    const { proxy } = await start();
    try {
      for (const path of ['/evil/v1/responses', `/openai//127.0.0.1:${evil.port}/v1/responses`]) {
        const ws = new WebSocket(`ws+unix://${proxy.socketPath}:${path}`);
        const status = await new Promise<number>((resolve) => {
          ws.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
          ws.on('open', () => resolve(101));
          ws.on('error', () => resolve(-1));
        });
        expect([400, 404]).toContain(status);
      }
      expect(evil.requests).toEqual([]);
    } finally {
      await proxy.stop();
      await evil.close();
    }
  });
});
