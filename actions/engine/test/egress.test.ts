import { chmodSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { AgentManifest } from '@ptb/core';
import { loadDefinition } from '@ptb/core/files';
import { afterAll, describe, expect, test } from 'vitest';
import { repromptArgv } from '../src/agents/adapters.ts';
import { parseAccessLog } from '../src/egress/access-log.ts';
import { startEgress } from '../src/egress/squid.ts';
import {
  agentLaunch,
  denyRegex,
  hostAllowed,
  makeRedactor,
  matchDeny,
  PLACEHOLDER_KEY,
  squidConfig,
  startLlmProxy,
  usageFromBody,
} from '../src/index.ts';
import { cleanupTempDirs, hostServer, tempDir } from './helpers.ts';

afterAll(cleanupTempDirs);

const V1 = loadDefinition('v1');

describe('egress policy', () => {
  test('deny patterns match at path-segment boundaries: the instruct repo, not the base model', () => {
    const deny = V1.network.deny;
    expect(matchDeny('https://huggingface.co/Qwen/Qwen3-4B/resolve/main/model.safetensors', deny)?.reason).toMatch(/instruct/);
    expect(matchDeny('http://huggingface.co/Qwen/Qwen3-4B', deny)).not.toBeNull();
    expect(matchDeny('https://huggingface.co/Qwen/Qwen3-4B-Base/resolve/main/config.json', deny)).toBeNull();
    expect(matchDeny('https://huggingface.co/datasets/openai/gsm8k/resolve/main/main/test-00000.parquet', deny)?.reason).toMatch(
      /gsm8k test/,
    );
    expect(matchDeny('https://huggingface.co/datasets/openai/gsm8k/resolve/main/main/train-00000.parquet', deny)).toBeNull();
    // CONNECT targets have no path: only host-wide rules can judge them.
    expect(matchDeny('huggingface.co:443', deny)).toBeNull();
    expect(matchDeny('blocked.example:443', [{ pattern: 'blocked.example', reason: 'r' }])?.reason).toBe('r');
    expect(new RegExp(denyRegex('a.example/x*y')).test('http://a.example/x-anything-y')).toBe(true);
  });

  test('allow list: exact hosts, and subdomains only with a leading dot or *.', () => {
    expect(hostAllowed('pypi.org', ['pypi.org'])).toBe(true);
    expect(hostAllowed('evil.pypi.org', ['pypi.org'])).toBe(false);
    expect(hostAllowed('cdn.hf.co', ['*.hf.co'])).toBe(true);
    expect(hostAllowed('hf.co.evil.com', ['.hf.co'])).toBe(false);
  });

  test('squid config: loopback only, no cache, denies before allows, deny all at the end', () => {
    const conf = squidConfig({ port: 3999, dir: '/d', allow: V1.network.allow, deny: V1.network.deny });
    expect(conf).toContain('http_port 127.0.0.1:3999');
    expect(conf).toContain('cache deny all');
    const lines = conf.split('\n').filter((l) => l.startsWith('http_access'));
    expect(lines.at(-1)).toBe('http_access deny all');
    expect(lines.findIndex((l) => l.startsWith('http_access allow'))).toBeGreaterThan(
      lines.findIndex((l) => l.includes('denied_url_0')),
    );
    expect(conf).toMatch(/acl allowed_hosts dstdomain pypi\.org files\.pythonhosted\.org huggingface\.co/);
  });

  test('access log lines parse into entries', () => {
    const [e] = parseAccessLog(
      '1795711229.587     12 127.0.0.1 TCP_DENIED/403 3900 GET http://x.example/a - HIER_NONE/- text/html\ngarbage\n',
    );
    expect(e).toMatchObject({ result: 'TCP_DENIED', status: 403, method: 'GET', url: 'http://x.example/a' });
  });

  test('a real squid allows the allow list, refuses the rest with 403, and logs both', async () => {
    const host = await hostServer();
    const base = tempDir('squid');
    chmodSync(base, 0o711);
    const egress = await startEgress(join(base, 'e'), ['localhost'], [{ pattern: 'localhost/secret', reason: 'test set' }]);
    try {
      const get = (url: string) =>
        new Promise<number>((resolve, reject) => {
          const r = request({ host: '127.0.0.1', port: egress.port, path: url, headers: { host: new URL(url).host } }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          r.on('error', reject);
          r.end();
        });
      expect(await get(`http://localhost:${host.port}/ok`)).toBe(200);
      expect(await get(`http://localhost:${host.port}/secret/data.json`)).toBe(403);
      expect(await get('http://elsewhere.example/')).toBe(403);
      expect(host.requests.map((r) => r.url)).toEqual(['/ok']);
    } finally {
      await egress.stop();
      await host.close();
    }
    const log = parseAccessLog(readFileSync(egress.accessLogPath, 'utf8'));
    expect(log.filter((e) => e.status === 403).map((e) => e.url)).toEqual([
      expect.stringContaining('/secret/data.json'),
      'http://elsewhere.example/',
    ]);
  });
});

describe('credential-injecting LLM proxy', () => {
  test("swaps the placeholder for the real key, strips the agent's auth, counts tokens, and caps use", async () => {
    const upstream = await hostServer(() => ({ status: 200, body: '{"usage":{"prompt_tokens":100,"completion_tokens":50}}' }));
    const dir = tempDir('llm');
    const proxy = await startLlmProxy({
      socketPath: join(dir, 'llm.sock'),
      logPath: join(dir, 'llm.jsonl'),
      keys: { openai: 'sk-proj-realrealrealrealrealreal' },
      upstreams: { openai: `http://127.0.0.1:${upstream.port}` },
      cap: { maxTokens: 200 },
    });
    const call = (path: string) =>
      new Promise<number>((resolve) => {
        const r = request(
          { socketPath: proxy.socketPath, path, method: 'POST', headers: { authorization: `Bearer ${PLACEHOLDER_KEY}` } },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        r.end('{}');
      });
    try {
      expect(await call('/openai/v1/chat/completions')).toBe(200);
      expect(await call('/openai/v1/chat/completions')).toBe(200);
      expect(await call('/openai/v1/chat/completions')).toBe(429);
      expect(await call('/anthropic/v1/messages')).toBe(403);
      expect(await call('/elsewhere')).toBe(404);
      expect(upstream.requests).toHaveLength(2);
      expect(upstream.requests[0]?.headers.authorization).toBe('Bearer sk-proj-realrealrealrealrealreal');
      expect(upstream.requests[0]?.url).toBe('/v1/chat/completions');
      expect(proxy.usage()).toMatchObject({ requests: 2, inputTokens: 200, outputTokens: 100, capReached: true });
      const log = readFileSync(join(dir, 'llm.jsonl'), 'utf8');
      expect(log).not.toContain('realreal');
      expect(log).toContain('"status":429');
    } finally {
      await proxy.stop();
      await upstream.close();
    }
  });

  test('token usage is read from Anthropic, OpenAI and Gemini bodies, streamed or not', () => {
    expect(usageFromBody('data: {"usage":{"input_tokens":5}}\ndata: {"usage":{"output_tokens":7}}')).toEqual({
      input: 5,
      output: 7,
    });
    expect(usageFromBody('{"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":4}}')).toEqual({ input: 3, output: 4 });
  });
});

describe('redaction', () => {
  test('removes the exact secrets and well-known key shapes', () => {
    const redact = makeRedactor(['my-very-secret-token-value']);
    expect(redact('a my-very-secret-token-value b')).toBe('a [REDACTED] b');
    expect(redact('key sk-ant-api03-abcdefghijklmnop and hf_abcdefghijklmnopqrstuvwxyz')).toBe('key [REDACTED] and [REDACTED]');
    expect(redact(PLACEHOLDER_KEY)).toBe(PLACEHOLDER_KEY);
  });
});

describe('agent adapters', () => {
  const manifest = (scaffold: string, extra: Record<string, unknown> = {}) =>
    AgentManifest.parse({
      id: 'some-agent',
      displayName: 'x',
      description: 'x',
      contact: { name: 'x' },
      agent: { scaffold, version: '1.2.3', model: 'm-1', ...extra },
      runs: 1,
    });
  const ctx = { prompt: 'THE PROMPT', promptPath: '/workspace/TASK.md', home: '/workspace/.home' };

  test('each scaffold gets the placeholder key and the proxy base URL, never a real key', () => {
    for (const scaffold of ['claude-code', 'codex-cli', 'gemini-cli', 'opencode', 'qwen-code']) {
      const l = agentLaunch(manifest(scaffold), ctx);
      const all = JSON.stringify(l);
      expect(all).toContain(PLACEHOLDER_KEY);
      expect(all).toContain('http://127.0.0.1:4000/');
      expect(l.argv).toContain('THE PROMPT');
    }
  });

  test('command lines as data: claude-code stream-json, codex exec --json with reasoning effort, opencode config file', () => {
    expect(agentLaunch(manifest('claude-code'), ctx).argv.slice(0, 6)).toEqual([
      'claude',
      '--print',
      '--output-format',
      'stream-json',
      '--verbose',
      '--model',
    ]);
    const codex = agentLaunch(manifest('codex-cli', { reasoningEffort: 'high' }), ctx);
    expect(codex.argv.join(' ')).toContain('codex exec --json');
    expect(codex.argv.join(' ')).toContain('model_reasoning_effort="high"');
    expect(codex.continueArgv?.slice(0, 4)).toEqual(['codex', 'exec', 'resume', '--last']);
    const oc = agentLaunch(manifest('opencode', { provider: 'anthropic' }), ctx);
    expect(oc.argv.slice(0, 4)).toEqual(['opencode', 'run', '--model', 'anthropic/m-1']);
    expect(JSON.parse(oc.files[0]?.content ?? '{}').provider.anthropic.options.baseURL).toBe(
      'http://127.0.0.1:4000/anthropic/v1',
    );
    expect(agentLaunch(manifest('gemini-cli'), ctx).env.GOOGLE_GEMINI_BASE_URL).toBe('http://127.0.0.1:4000/google');
  });
});

describe('re-prompting', () => {
  test('continues the session only when asked, not timed out, and at least 30 minutes remain', () => {
    const claude = agentLaunch(
      AgentManifest.parse({
        id: 'some-agent',
        displayName: 'x',
        description: 'x',
        contact: { name: 'x' },
        agent: { scaffold: 'claude-code', version: '1.2.3', model: 'm', reprompt: true },
        runs: 1,
      }),
      { prompt: 'P', promptPath: '/workspace/TASK.md', home: '/workspace/.home' },
    );
    expect(repromptArgv(claude, { asked: true, timedOut: false, secondsLeft: 3600 })).toContain('--continue');
    expect(repromptArgv(claude, { asked: true, timedOut: false, secondsLeft: 1799 })).toBeNull();
    expect(repromptArgv(claude, { asked: false, timedOut: false, secondsLeft: 3600 })).toBeNull();
    expect(repromptArgv(claude, { asked: true, timedOut: true, secondsLeft: 3600 })).toBeNull();
    expect(repromptArgv({ ...claude, continueArgv: null }, { asked: true, timedOut: false, secondsLeft: 3600 })).toBeNull();
  });
});
