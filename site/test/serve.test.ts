/** `npm start`'s server (site/tools/serve.ts) as a person runs it: the real script, a real port. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';

const SERVE = fileURLToPath(new URL('../tools/serve.ts', import.meta.url));
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const clean of cleanups.splice(0).reverse()) clean();
});

function siteDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ptb-serve-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title><p>served</p>');
  return dir;
}

function serve(args: string[]): ChildProcess & { output: () => { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, [SERVE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(() => child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  return Object.assign(child, { output: () => ({ stdout, stderr }) });
}

async function occupiedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => server.close());
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

test('a busy port is one line that says what happened and what to do', async () => {
  const port = await occupiedPort();
  const child = serve(['--port', String(port), '--dir', siteDir()]);
  const [code] = await once(child, 'close');
  const { stdout, stderr } = child.output();
  expect(code).toBe(1);
  expect(stdout).toBe('');
  expect(stderr).toBe(
    `port ${port} is already in use (is another \`npm start\` still running?): stop it, or serve on another port: npm start -- --port ${port + 1}\n`,
  );
});

test('a port that is not a number is refused before anything starts', async () => {
  const child = serve(['--port', 'http', '--dir', siteDir()]);
  const [code] = await once(child, 'close');
  expect(code).toBe(2);
  expect(child.output().stderr).toMatch(/^--port http is not a port number: .*npm start -- --port \d+\n$/);
});

test('--port 0 serves on a free port, gzip-compressed', async () => {
  const child = serve(['--port', '0', '--dir', siteDir()]);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', () => child.output().stdout.includes('\n') && resolve());
    child.once('close', (c) => reject(new Error(`exited ${c}: ${child.output().stderr}`)));
  });
  const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(child.output().stdout)?.[0];
  expect(url).toBeDefined();
  const response = await fetch(url as string);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-encoding')).toBe('gzip');
  expect(await response.text()).toContain('served');
});
