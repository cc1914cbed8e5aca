import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { join } from 'node:path';
import { loadDefinition } from '@ptb/core/files';
import { afterAll, describe, expect, test } from 'vitest';
import { EGRESS_HELPER_FILE, egressHelperSource } from '../../../scripts/build-egress-helper.ts';
import { parseAccessLog } from '../src/egress/access-log.ts';
import { answerLine } from '../src/egress/acl-protocol.ts';
import type { EgressDenyRule } from '../src/egress/policy.ts';
import { checkHelper, HELPER_BUNDLE, installHelper, proxyUser, startEgress } from '../src/egress/squid.ts';
import { hostAllowed, makeRedactor, PLACEHOLDER_KEY, squidConfig } from '../src/index.ts';
import { egressFindings } from '../src/integrity/findings.ts';
import { cleanupTempDirs, hostProcessesWith, hostServer, tempDir } from './helpers.ts';

afterAll(cleanupTempDirs);

const V1 = loadDefinition('v1');

const RULES: EgressDenyRule[] = [
  { pattern: 'localhost/secret', reason: 'stands in for a test set' },
  {
    artefact: 'model-family',
    id: 'adder-family',
    reason: 'stands in for the instruct family',
    families: [{ name: 'adder', base: ['base'] }],
  },
];

describe('egress policy', () => {
  test('allow list: exact hosts, and subdomains only with a leading dot or *.', () => {
    expect(hostAllowed('pypi.org', ['pypi.org'])).toBe(true);
    expect(hostAllowed('evil.pypi.org', ['pypi.org'])).toBe(false);
    expect(hostAllowed('cdn.hf.co', ['*.hf.co'])).toBe(true);
    expect(hostAllowed('hf.co.evil.com', ['.hf.co'])).toBe(false);
  });

  test('squid config: loopback only, no cache, full URLs logged with the verdict, our helper asked about every request', () => {
    const conf = squidConfig({
      port: 3999,
      dir: '/d',
      allow: V1.network.allow,
      helper: { node: '/n/node', script: '/d/acl/acl-helper.mjs', policy: '/d/acl/policy.json' },
    });
    expect(conf).toContain('http_port 127.0.0.1:3999');
    expect(conf).toContain('cache deny all');
    expect(conf).toContain('strip_query_terms off');
    expect(conf).toContain('uri_whitespace deny');
    expect(conf).toMatch(/^logformat ptb .* %rm %>ru .* %ea$/m);
    expect(conf).toMatch(
      /^external_acl_type ptb_egress .*concurrency=\d+ .*%>rm %>ru %\{Host\}>h \/n\/node \/d\/acl\/acl-helper\.mjs \/d\/acl\/policy\.json$/m,
    );
    // No string rule of squid's own: the helper decides; only its positive answer allows.
    expect(conf).not.toMatch(/url_regex|urlpath_regex/);
    const lines = conf.split('\n').filter((l) => l.startsWith('http_access'));
    expect(lines).toEqual([
      'http_access deny CONNECT !tls_ports',
      'http_access allow ptb_egress allowed_hosts',
      'http_access deny all',
    ]);
    expect(conf).toMatch(/acl allowed_hosts dstdomain pypi\.org files\.pythonhosted\.org huggingface\.co/);
    const withPage = squidConfig({
      port: 3999,
      dir: '/d',
      allow: ['localhost'],
      helper: { node: '/n/node', script: '/d/acl/acl-helper.mjs', policy: '/d/acl/policy.json' },
      errorDirectory: '/d/errors',
    });
    expect(withPage).toContain('error_directory /d/errors');
    expect(withPage.trim().split('\n').at(-1)).toBe('deny_info ERR_PTB_EGRESS_DENIED all');
  });

  test('access log lines parse into entries, with the helper verdict', () => {
    const [e, old] = parseAccessLog(
      '1795711229.587     12 127.0.0.1 TCP_DENIED/403 3900 GET http://x.example/a?q=1 - HIER_NONE/- text/html localhost%2Fsecret\n1795711229.6 1 127.0.0.1 TCP_DENIED/403 3900 GET http://x.example/b - HIER_NONE/- text/html\ngarbage\n',
    );
    expect(e).toMatchObject({
      result: 'TCP_DENIED',
      status: 403,
      method: 'GET',
      url: 'http://x.example/a?q=1',
      tag: 'localhost/secret',
    });
    expect(old?.tag).toBeNull();
  });
});

describe('the decision helper (squid external ACL protocol)', () => {
  const policy = { allow: ['localhost'], deny: RULES, tlsInspected: true };
  test('answers each line on its channel: OK, or ERR with the rule to log and the reason to show', () => {
    expect(answerLine('0 GET http://localhost:8080/ok localhost:8080 -', policy)).toBe('0 OK log=allow');
    expect(answerLine('7 GET http://localhost:8080/a/../secret/x localhost:8080 -', policy)).toBe(
      '7 ERR log=localhost%2Fsecret message="refused by the egress rule localhost/secret: stands in for a test set (matches localhost/secret)"',
    );
    expect(answerLine('3 GET http://localhost:8080/%2e%2e/x - -', policy)).toMatch(
      /^3 ERR log=ambiguous-url message=".*dot segment/,
    );
    expect(answerLine('4 GET http://localhost:8080/ok evil.example -', policy)).toMatch(/^4 ERR log=host-mismatch /);
    // squid URL-escapes header values; "-" is no value.
    expect(answerLine('5 GET http://localhost:8080/ok localhost%3A8080 -', policy)).toBe('5 OK log=allow');
    expect(answerLine('6 CONNECT localhost:443 - -', policy)).toBe('6 OK log=allow');
    expect(answerLine('8 GET', policy)).toMatch(/^8 ERR log=ambiguous-url /);
    expect(answerLine('GET http://localhost/ok - -', policy)).toBe('OK log=allow');
  });

  test('the committed helper is what the build makes from the TypeScript sources', async () => {
    expect(readFileSync(EGRESS_HELPER_FILE, 'utf8')).toBe(await egressHelperSource());
    expect(HELPER_BUNDLE).toBe(EGRESS_HELPER_FILE);
  });

  test('runs from a copy that imports nothing outside it, as squid starts it', () => {
    const dir = join(tempDir('acl'), 'acl');
    const helper = installHelper(dir, policy);
    const r = spawnSync(process.execPath, [helper.script, helper.policy], {
      input:
        '0 GET http://localhost:1/ok - -\n1 GET http://localhost:1//secret - -\n2 GET http://localhost:1/x/adder-instruct-GGUF/m - -\n',
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      '0 OK log=allow',
      expect.stringMatching(/^1 ERR log=localhost%2Fsecret /),
      expect.stringMatching(/^2 ERR log=adder-family message=".*adder-instruct-GGUF/),
    ]);
    expect(r.status).toBe(0);
    for (const f of readdirSync(dir)) expect(statSync(join(dir, f)).mode & 0o004).toBe(0o004);
  });

  test('a helper that cannot run for the proxy user fails the start with the reason, not the agent with 403s', async () => {
    const policy = { allow: ['localhost'], deny: RULES, tlsInspected: true };
    const open = tempDir('acl-ok');
    chmodSync(open, 0o711);
    const ok = installHelper(join(open, 'acl'), policy);
    await expect(checkHelper(ok, proxyUser())).resolves.toBeUndefined();
    const broken = installHelper(join(tempDir('acl-broken'), 'acl'), policy);
    writeFileSync(broken.policy, '{ not json');
    await expect(checkHelper(broken, null)).rejects.toThrow(/the egress decision helper does not run .*JSON/s);
    // squid runs helpers as user proxy: a copy under a folder only root may enter cannot be read.
    const user = proxyUser();
    if (process.getuid?.() === 0 && user) {
      const locked = tempDir('acl-locked');
      chmodSync(locked, 0o700);
      const hidden = installHelper(join(locked, 'acl'), policy);
      await expect(checkHelper(hidden, user)).rejects.toThrow(/as user proxy .*readable and executable by user proxy/s);
    }
  });
});

/** One request line sent as is (no client normalises it), through the proxy; the status code and body back. */
function rawGet(port: number, target: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (d) => {
      data += String(d);
    });
    socket.on('end', () =>
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(data)?.[1] ?? 0), body: data.slice(data.indexOf('\r\n\r\n') + 4) }),
    );
    socket.on('error', reject);
    socket.write(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  });
}

describe('a real squid asking our decision', () => {
  test('stopping squid waits until it has logged every request, one the agent left in flight included, and no longer', async () => {
    // An upstream that answers only after the proxy is stopped: the request is still in flight.
    let arrived: () => void = () => {};
    const waiting = new Promise<void>((r) => {
      arrived = r;
    });
    const held: ServerResponse[] = [];
    const slow = createServer((_req, res) => {
      held.push(res);
      arrived();
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const port = (slow.address() as AddressInfo).port;
    const base = tempDir('squid-stop');
    chmodSync(base, 0o711);
    const egress = await startEgress(join(base, 'e'), ['localhost'], RULES);
    try {
      // Through the bridge socket, as the sandbox connects.
      const client = connect(egress.socketPath);
      client.on('error', () => {});
      client.write(`GET http://localhost:${port}/in-flight HTTP/1.1\r\nHost: localhost:${port}\r\n\r\n`);
      await waiting;
      await egress.stop();
      // squid and its helpers are gone when stop returns, not a moment later.
      expect(hostProcessesWith(join(base, 'e'))).toEqual([]);
      client.destroy();
    } finally {
      for (const res of held) res.destroy();
      await new Promise<void>((r) => slow.close(() => r()));
    }
    const raw = readFileSync(egress.accessLogPath, 'utf8');
    // The aborted request is in the log; so is the harness's own last request, which the audit leaves out.
    const requests = parseAccessLog(raw).filter((e) => !e.url.startsWith('error:transaction-end-before-headers'));
    expect(requests.map((e) => e.url)).toEqual([`http://localhost:${port}/in-flight`]);
    expect(raw).toMatch(/http:\/\/ptb-log-barrier-[0-9a-f]{32}\.invalid\//);
  });

  test('allows the allow list, refuses every spelling of a denied path and a family variant with 403, and logs the rule', async () => {
    const host = await hostServer();
    const base = tempDir('squid');
    chmodSync(base, 0o711);
    const egress = await startEgress(join(base, 'e'), ['localhost'], RULES);
    const origin = `http://localhost:${host.port}`;
    const h = `localhost:${host.port}`;
    const statuses: Record<string, number> = {};
    const bodies: Record<string, string> = {};
    try {
      const get = async (key: string, target: string, hostHeader: string) => {
        const r = await rawGet(egress.port, target, hostHeader);
        statuses[key] = r.status;
        bodies[key] = r.body;
      };
      for (const path of ['/ok', '/ok?x=1', '/ptb-ci/adder-base/config.json']) await get(path, `${origin}${path}`, h);
      for (const path of [
        '/secret/data.json',
        '//secret/data.json',
        '/a/../secret/data.json',
        '/secret;v=1/data.json',
        '/%73ecret/data.json',
        '/SECRET/data.json',
        '/a/%2e%2e/secret/data.json',
        '/a/..%2Fsecret/data.json',
        '/a/%252e%252e/secret/data.json',
        '/a\\secret/data.json',
        '/someone/adder-instruct-GGUF/model.safetensors',
      ])
        await get(path, `${origin}${path}`, h);
      await get('Host: evil.example', `${origin}/ok`, 'evil.example');
      await get('elsewhere', 'http://elsewhere.example/', 'elsewhere.example');
    } finally {
      await egress.stop();
      await host.close();
    }
    expect(statuses).toEqual({
      '/ok': 200,
      '/ok?x=1': 200,
      '/ptb-ci/adder-base/config.json': 200,
      '/secret/data.json': 403,
      '//secret/data.json': 403,
      '/a/../secret/data.json': 403,
      '/secret;v=1/data.json': 403,
      '/%73ecret/data.json': 403,
      '/SECRET/data.json': 403,
      '/a/%2e%2e/secret/data.json': 403,
      '/a/..%2Fsecret/data.json': 403,
      '/a/%252e%252e/secret/data.json': 403,
      '/a\\secret/data.json': 403,
      '/someone/adder-instruct-GGUF/model.safetensors': 403,
      // squid sends the URL's host upstream whatever the Host header said (checked below).
      'Host: evil.example': 200,
      elsewhere: 403,
    });
    // The agent reads on the refusal which rule refused it, and why.
    expect(bodies['/a/../secret/data.json']).toContain(
      'refused by the egress rule localhost/secret: stands in for a test set (matches localhost/secret)',
    );
    expect(bodies['/someone/adder-instruct-GGUF/model.safetensors']).toContain('refused by the egress rule adder-family');
    expect(host.requests.map((r) => r.url)).toEqual(['/ok', '/ok?x=1', '/ptb-ci/adder-base/config.json', '/ok']);
    expect(host.requests.map((r) => r.headers.host)).toEqual([h, h, h, h]);
    const log = parseAccessLog(readFileSync(egress.accessLogPath, 'utf8'));
    expect(log.filter((e) => e.status === 200).map((e) => e.tag)).toEqual(['allow', 'allow', 'allow', 'allow']);
    const findings = egressFindings(log, RULES);
    const byRule = Object.fromEntries(findings.map((f) => [/\(rule ([^)]+)\)$/.exec(f.summary)?.[1], f.evidence.length]));
    expect(byRule).toEqual({
      'localhost/secret': 6,
      'ambiguous-url': 4,
      'adder-family': 1,
      'not-allowed': 1,
    });
    expect(findings.find((f) => f.summary.endsWith('(rule localhost/secret)'))?.evidence.join('\n')).toContain(
      'GET http://localhost:',
    );
    // squid's helpers went with it.
    for (let i = 0; i < 50 && hostProcessesWith(join(base, 'e', 'acl')).length > 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(hostProcessesWith(join(base, 'e', 'acl'))).toEqual([]);
  });
});

describe('redaction', () => {
  test('removes the exact secrets and well-known key shapes', () => {
    const redact = makeRedactor(['my-very-secret-token-value']);
    expect(redact('a my-very-secret-token-value b')).toBe('a [REDACTED] b');
    expect(redact('key sk-ant-api03-abcdefghijklmnop and hf_abcdefghijklmnopqrstuvwxyz')).toBe('key [REDACTED] and [REDACTED]');
    expect(redact(PLACEHOLDER_KEY)).toBe(PLACEHOLDER_KEY);
  });
  test('a key-shaped run of many megabytes is redacted, not a crash of the regular expression engine', () => {
    const redact = makeRedactor([]);
    for (const prefix of ['sk-ant-', 'sk-proj-', 'AIza', 'hf_', 'ghp_', 'github_pat_'])
      expect(redact(`x ${prefix}${'A'.repeat(16 * 2 ** 20)} y`)).toBe('x [REDACTED] y');
  });
});
