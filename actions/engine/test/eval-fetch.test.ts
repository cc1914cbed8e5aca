import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requireEvalEnv } from './eval/harness.ts';

/**
 * ptb_evals.fetch against a local server speaking the two hosts' URL layouts
 * (raw files by repository/commit/path, Hugging Face resolve/<revision>/<path>).
 */
const FILES: Record<string, string> = {
  '/gh/org/repo/0123456789abcdef0123456789abcdef01234567/templates/a.jinja': '{{ messages }}',
  '/hf/datasets/org/set/resolve/fedcba9876543210fedcba9876543210fedcba98/test.jsonl': '{"q": 1}\n',
};
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
let server: Server;
let base = '';
const dirs: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    const body = FILES[req.url ?? ''];
    res.writeHead(body === undefined ? 404 : 200);
    res.end(body ?? 'not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// The server lives in this process: the fetcher must run asynchronously.
async function fetchWith(manifest: unknown, ...args: string[]) {
  const e = requireEvalEnv();
  const dir = mkdtempSync(join(tmpdir(), 'ptb-fetch-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'sources.json'), JSON.stringify(manifest));
  const child = spawn(
    join(e.evalEnv, 'bin', 'python'),
    ['-m', 'ptb_evals.fetch', '--dest', join(dir, 'data'), '--manifest', join(dir, 'sources.json'), ...args],
    {
      env: {
        PATH: '/usr/bin:/bin',
        PYTHONPATH: e.evaluatorsDir,
        PTB_FETCH_GITHUB_BASE: `${base}/gh`,
        PTB_FETCH_HF_BASE: `${base}/hf`,
      },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => {
    stdout += c;
  });
  child.stderr.on('data', (c) => {
    stderr += c;
  });
  const status = await new Promise<number | null>((r) => child.on('close', r));
  return { status, stdout, stderr, dir };
}
const gh = { kind: 'github', repo: 'org/repo', commit: '0123456789abcdef0123456789abcdef01234567', path: 'templates/a.jinja' };
const hf = { kind: 'huggingface', repo: 'org/set', revision: 'fedcba9876543210fedcba9876543210fedcba98', path: 'test.jsonl' };

describe('the data-cache fetcher', () => {
  test('fetches pinned files whose sha256 matches, read-only, in the cache layout', async () => {
    const r = await fetchWith({
      files: [
        { path: 'templates/a.jinja', sha256: sha('{{ messages }}'), source: gh },
        { path: 'org/set/test.jsonl', sha256: sha('{"q": 1}\n'), source: hf },
      ],
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(join(r.dir, 'data', 'org', 'set', 'test.jsonl'), 'utf8')).toBe('{"q": 1}\n');
  });
  test('refuses a file whose sha256 is not the pinned one, and writes nothing', async () => {
    const r = await fetchWith({ files: [{ path: 'templates/a.jinja', sha256: sha('something else'), source: gh }] });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/templates\/a\.jinja: sha256 mismatch .* expected [0-9a-f]{64}, got [0-9a-f]{64}/);
    expect(existsSync(join(r.dir, 'data', 'templates', 'a.jinja'))).toBe(false);
  });
  test('refuses a file without a pinned hash, unless a maintainer records it', async () => {
    const manifest = { files: [{ path: 'org/set/test.jsonl', sha256: null, source: hf }] };
    const refused = await fetchWith(manifest);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/no pinned sha256 .* --record-unknown/);
    const recorded = await fetchWith(manifest, '--record-unknown');
    expect(recorded.status).toBe(0);
    const written = JSON.parse(readFileSync(join(recorded.dir, 'sources.json'), 'utf8'));
    expect(written.files[0].sha256).toBe(sha('{"q": 1}\n'));
  });
});
