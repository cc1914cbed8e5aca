import { chmodSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { loadDefinition } from '@ptb/core/files';
import { afterAll, describe, expect, test } from 'vitest';
import { parseAccessLog } from '../src/egress/access-log.ts';
import { startEgress } from '../src/egress/squid.ts';
import { denyRegex, hostAllowed, makeRedactor, matchDeny, PLACEHOLDER_KEY, squidConfig } from '../src/index.ts';
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

describe('redaction', () => {
  test('removes the exact secrets and well-known key shapes', () => {
    const redact = makeRedactor(['my-very-secret-token-value']);
    expect(redact('a my-very-secret-token-value b')).toBe('a [REDACTED] b');
    expect(redact('key sk-ant-api03-abcdefghijklmnop and hf_abcdefghijklmnopqrstuvwxyz')).toBe('key [REDACTED] and [REDACTED]');
    expect(redact(PLACEHOLDER_KEY)).toBe(PLACEHOLDER_KEY);
  });
});
