import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentManifest, type CellResult } from '@ptb/core';
import { loadDefinition } from '@ptb/core/files';
import { parse as parseYaml } from 'yaml';
import { type CellRequest, runCell } from '../src/index.ts';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const MODEL_CACHE = join(FIXTURES, 'model-cache');
export const CI_DEFINITION = loadDefinition('v0-ci');
export const BUNDLE = fileURLToPath(new URL('../bundles/ci-add/', import.meta.url));

export const MANIFEST_YAML = `id: test-agent
displayName: Test agent
benchmarkVersion: v0-ci
description: An agent used by the engine tests.
contact: { name: Test }
agent:
  scaffold: claude-code
  version: 2.1.3
  model: claude-opus-4-6
runs: 1
`;

const created: string[] = [];

export const tempDir = (prefix: string): string => {
  const dir = mkdtempSync(join(tmpdir(), `ptb-engine-test-${prefix}-`));
  // The sandbox runs as an unprivileged user: folders a test binds into it must be readable by others.
  chmodSync(dir, 0o755);
  created.push(dir);
  return dir;
};

/** Removes every folder tempDir made in this test file (call from afterAll). */
export function cleanupTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A submissions/<id> folder with a valid manifest. */
export function submissionDir(): string {
  const root = tempDir('sub');
  const dir = join(root, 'submissions', 'test-agent');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'submission.yaml'), MANIFEST_YAML);
  return dir;
}

export function writeScript(body: string): string {
  const path = join(tempDir('agent'), 'agent.sh');
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** Shell lines that leave the honest model (program "sum", base config and tokenizer) in final_model/. */
/**
 * A copy of the CI base model in a cache of its own, with a weights file only its owner may
 * read (mode 0600, as transformers writes them): the sandbox user cannot read it.
 */
export function modelCacheWithUnreadableWeights(): string {
  const cache = tempDir('cache');
  const model = join(cache, 'ptb-ci', 'adder-base');
  mkdirSync(model, { recursive: true });
  for (const f of ['config.json', 'tokenizer.json', 'model.json'])
    writeFileSync(join(model, f), readFileSync(join(MODEL_CACHE, 'ptb-ci', 'adder-base', f)));
  writeFileSync(join(model, 'model.safetensors'), 'weights', { mode: 0o600 });
  chmodSync(join(model, 'model.safetensors'), 0o600);
  chmodSync(join(cache, 'ptb-ci'), 0o755);
  chmodSync(model, 0o755);
  return cache;
}

export const HONEST_MODEL = `cp /models/base/config.json /models/base/tokenizer.json final_model/
printf '{"program": "sum"}' > final_model/model.json`;

export interface CellRun {
  result: CellResult;
  outDir: string;
  trace: string;
  traceText: string[];
}

/** Runs the CI cell with a script agent for real (bwrap, squid, socat). */
export async function runScriptCell(script: string, extra: Partial<CellRequest> = {}): Promise<CellRun> {
  const outDir = extra.outDir ?? join(tempDir('out'), 'cell');
  const sub = submissionDir();
  const result = await runCell({
    submissionDir: sub,
    manifest: AgentManifest.parse(parseYaml(readFileSync(join(sub, 'submission.yaml'), 'utf8'))),
    definition: CI_DEFINITION,
    baseModel: 'ptb-ci/adder-base',
    benchmark: 'ci-add',
    seed: 1,
    runtime: 'bwrap',
    outDir,
    budgetSeconds: 20,
    graceSeconds: 1,
    modelCacheDir: MODEL_CACHE,
    agent: { kind: 'script', path: writeScript(script) },
    evaluateMinIntervalSeconds: 0,
    ...extra,
  });
  const trace = readFileSync(join(outDir, 'logs', 'agent-trace.jsonl'), 'utf8');
  const traceText = trace
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { text?: string }).text ?? '');
  return { result, outDir, trace, traceText };
}

/** A plain HTTP server on loopback of the host (outside every sandbox); records what it received. */
export async function hostServer(handler?: (req: IncomingMessage, body: string) => { status: number; body: string }): Promise<{
  port: number;
  requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[];
  close: () => Promise<void>;
}> {
  const requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += String(c);
    });
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const r = handler ? handler(req, body) : { status: 200, body: 'hello from the host\n' };
      res.writeHead(r.status, { 'content-type': 'text/plain' });
      res.end(r.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Host processes whose command line contains `needle` (to prove nothing of a sandbox survived). */
export function hostProcessesWith(needle: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(needle) && !cmd.includes('vitest')) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}
