/**
 * The bare-metal JIT script against a local GitHub stand-in that checks its request and its
 * own answer against GitHub's official OpenAPI description; `run.sh` is a recorder.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterEach, expect, test } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../baremetal/jit-runner.sh', import.meta.url));
const api = JSON.parse(
  readFileSync(
    fileURLToPath(new URL('../../../node_modules/@octokit/openapi/generated/api.github.com.deref.json', import.meta.url)),
    'utf8',
  ),
);
const op = api.paths['/repos/{owner}/{repo}/actions/runners/generate-jitconfig'].post;
const ajv = new Ajv({ strict: false, allErrors: true });
(addFormatsModule as unknown as (a: Ajv) => void)(ajv);
const validateRequest = ajv.compile(op.requestBody.content['application/json'].schema);
const validateResponse = ajv.compile(op.responses['201'].content['application/json'].schema);

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const clean of cleanups.splice(0)) clean();
});

test('registers one just-in-time runner and hands its config to run.sh', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ptb-jit-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'token'), 'ghs_test_token');
  mkdirSync(join(dir, 'runner'));
  writeFileSync(join(dir, 'runner', 'run.sh'), `#!/bin/sh\necho "$@" > "${dir}/run-args"\npwd > "${dir}/run-cwd"\n`);
  chmodSync(join(dir, 'runner', 'run.sh'), 0o755);
  const problems: string[] = [];
  let seen: { path?: string; auth?: string; body?: unknown } = {};
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      const body = JSON.parse(raw);
      seen = { path: req.url, auth: req.headers.authorization, body };
      if (!validateRequest(body)) problems.push(`request: ${ajv.errorsText(validateRequest.errors)}`);
      const answer = {
        runner: {
          id: 23,
          name: body.name,
          os: 'linux',
          status: 'offline',
          busy: false,
          runner_group_id: body.runner_group_id,
          labels: body.labels.map((name: string, i: number) => ({ id: i + 1, name, type: i === 0 ? 'read-only' : 'custom' })),
        },
        encoded_jit_config: 'ZW5jb2RlZA==',
      };
      if (!validateResponse(answer)) problems.push(`response: ${ajv.errorsText(validateResponse.errors)}`);
      res.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => server.close());
  const port = (server.address() as { port: number }).port;
  const code = await new Promise<number | null>((done) => {
    const p = spawn('bash', [SCRIPT], {
      env: {
        ...process.env,
        GITHUB_API_URL: `http://127.0.0.1:${port}`,
        PTB_REPOSITORY: 'posttrainbench/leaderboard',
        PTB_RUNNER_GROUP_ID: '7',
        PTB_RUNNER_TOKEN_FILE: join(dir, 'token'),
        PTB_INSTANCE_DIR: dir,
        PTB_GPU_INDEX: '2',
      },
      stdio: 'ignore',
    });
    p.on('exit', done);
  });
  server.close();
  expect(problems).toEqual([]);
  expect(code).toBe(0);
  expect(seen.path).toBe('/repos/posttrainbench/leaderboard/actions/runners/generate-jitconfig');
  expect(seen.auth).toBe('Bearer ghs_test_token');
  expect(seen.body).toMatchObject({ runner_group_id: 7, labels: ['self-hosted', 'linux', 'x64', 'gpu-h100'] });
  expect(readFileSync(join(dir, 'run-args'), 'utf8').trim()).toBe('--jitconfig ZW5jb2RlZA==');
  // The runner starts in its own copy: its _work (work_folder) is that instance's.
  expect(readFileSync(join(dir, 'run-cwd'), 'utf8').trim()).toBe(join(dir, 'runner'));
  expect(seen.body).toMatchObject({ work_folder: '_work' });
  rmSync(dir, { recursive: true, force: true });
});

test('a missing setting is named', async () => {
  const r = await new Promise<{ code: number | null; err: string }>((done) => {
    const p = spawn('bash', [SCRIPT], { env: { PATH: process.env.PATH } });
    let err = '';
    p.stderr.on('data', (d) => {
      err += String(d);
    });
    p.on('exit', (code) => done({ code, err }));
  });
  expect(r.code).not.toBe(0);
  expect(r.err).toMatch(/PTB_REPOSITORY/);
});
