/**
 * HTTPS through the egress proxy: squid opens TLS with a one-run CA that only the sandbox
 * trusts, so a path rule (an instruct repository, a test set) holds for HTTPS as it does for
 * plain HTTP. A local HTTPS server stands in for the outside world.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { selfSignedCertificate, squidCanBump } from '../src/egress/squid.ts';
import { squidConfig } from '../src/egress/squid-config.ts';
import { cleanupTempDirs, HONEST_MODEL, runScriptCell, tempDir } from './helpers.ts';

let server: Server;
let port = 0;
let certFile = '';
const seen: string[] = [];

beforeAll(async () => {
  const dir = tempDir('https');
  certFile = join(dir, 'server.pem');
  const keyFile = join(dir, 'server.key');
  selfSignedCertificate({
    certFile,
    keyFile,
    subject: '/CN=localhost',
    extensions: ['subjectAltName=DNS:localhost,IP:127.0.0.1'],
  });
  server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (req, res) => {
    seen.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/plain' }).end('hello over https\n');
  });
  // Port 443: the proxy refuses CONNECT to any other port (tests run as root, as CI does).
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(443, '127.0.0.1', done);
  });
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise<void>((done) => server.close(() => done()));
  cleanupTempDirs();
});

test('this squid can intercept TLS (CI installs squid-openssl)', () => {
  expect(squidCanBump()).toBe(true);
});

test('the bumping squid config peeks, then bumps, and trusts only the given upstream CA', () => {
  const conf = squidConfig({
    port: 3128,
    dir: '/x',
    allow: ['huggingface.co'],
    deny: [{ pattern: 'huggingface.co/Qwen/Qwen3-4B', reason: 'instruct' }],
    bump: {
      caCert: '/x/ca.pem',
      caKey: '/x/ca.key',
      certDb: '/x/db',
      certgen: '/usr/lib/squid/security_file_certgen',
      upstreamCa: '/x/up.pem',
    },
  });
  expect(conf).toMatch(
    /^http_port 127\.0\.0\.1:3128 ssl-bump tls-cert=\/x\/ca\.pem tls-key=\/x\/ca\.key generate-host-certificates=on/m,
  );
  expect(conf.indexOf('ssl_bump peek step1')).toBeLessThan(conf.indexOf('ssl_bump bump all'));
  expect(conf).toContain('tls_outgoing_options cafile=/x/up.pem');
  expect(conf).toMatch(/acl denied_url_0 url_regex -i .*huggingface\\\.co\/qwen\/qwen3-4b|acl denied_url_0 url_regex -i .*Qwen/i);
});

test('an allowed HTTPS path goes through; a denied HTTPS path is refused with 403 and recorded as a finding', async () => {
  const previous = process.env.PTB_EGRESS_UPSTREAM_CA;
  process.env.PTB_EGRESS_UPSTREAM_CA = certFile;
  try {
    const { result, traceText } = await runScriptCell(
      `python3 - <<'PY'
import urllib.request, urllib.error
for path in ["/ok", "/instruct/model.safetensors"]:
    try:
        body = urllib.request.urlopen("https://localhost:${port}" + path, timeout=10).read().decode().strip()
        print("HTTPS", path, "200", body)
    except urllib.error.HTTPError as e:
        print("HTTPS", path, e.code)
    except Exception as e:
        print("HTTPS", path, "ERROR", type(e).__name__, e)
PY
${HONEST_MODEL}`,
    );
    expect(traceText).toContain('HTTPS /ok 200 hello over https');
    expect(traceText).toContain('HTTPS /instruct/model.safetensors 403');
    expect(seen).toEqual(['/ok']);
    const denied = result.integrity.filter((f) => f.check === 'egress-denied');
    expect(denied).toHaveLength(1);
    // Refused in time, so a warning for the maintainer, as for plain HTTP (the cell is not penalised).
    expect(denied[0]?.severity).toBe('warning');
    expect(denied[0]?.summary).toMatch(/stands in for an instruct checkpoint/);
    expect(denied[0]?.evidence.join('\n')).toMatch(
      /TCP_DENIED\/403 \d+ GET https:\/\/localhost(:443)?\/instruct\/model\.safetensors/,
    );
  } finally {
    if (previous === undefined) delete process.env.PTB_EGRESS_UPSTREAM_CA;
    else process.env.PTB_EGRESS_UPSTREAM_CA = previous;
  }
}, 120_000);
