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
import { PROXY_PORT } from '../src/sandbox/spec.ts';
import { cleanupTempDirs, HONEST_MODEL, runScriptCell, tempDir } from './helpers.ts';

let server: Server;
let port = 0;
let certFile = '';
const seen: { url: string; host: string }[] = [];

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
    seen.push({ url: req.url ?? '', host: req.headers.host ?? '' });
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

test('this squid can intercept TLS (CI installs squid-openssl)', async () => {
  expect(await squidCanBump()).toBe(true);
});

test('the bumping squid config peeks, then bumps, trusts only the given upstream CA, and gives the helper the server name', () => {
  const conf = squidConfig({
    port: 3128,
    dir: '/x',
    allow: ['huggingface.co'],
    helper: { node: '/n/node', script: '/x/acl/acl-helper.mjs', policy: '/x/acl/policy.json' },
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
  expect(conf).toMatch(/^external_acl_type ptb_egress .*%>rm %>ru %\{Host\}>h %ssl::>sni \/n\/node /m);
});

const TRICKS = [
  '/instruct/model.safetensors',
  '//instruct/model.safetensors',
  '/a/../instruct/model.safetensors',
  '/instruct;v=1/model.safetensors',
  '/%69nstruct/model.safetensors',
  '/a/%2e%2e/instruct/model.safetensors',
  '/someone/adder-instruct-GGUF/model.gguf',
  '/datasets/someone/ci-add-test-copy/test.jsonl',
];

test('over bumped TLS: allowed paths go through; every spelling of a denied path, a family variant and a test-set copy get 403 and a finding naming the rule', async () => {
  const previous = process.env.PTB_EGRESS_UPSTREAM_CA;
  process.env.PTB_EGRESS_UPSTREAM_CA = certFile;
  seen.length = 0;
  try {
    const { result, traceText } = await runScriptCell(
      `python3 - <<'PY'
import http.client, re, ssl
ctx = ssl.create_default_context()
def get(path, host="localhost"):
    # One tunnel per request, the path sent exactly as written (no client normalises it).
    c = http.client.HTTPSConnection("127.0.0.1", ${PROXY_PORT}, context=ctx, timeout=20)
    c.set_tunnel("localhost", ${port})
    try:
        c.putrequest("GET", path, skip_host=True)
        c.putheader("Host", host)
        c.endheaders()
        r = c.getresponse()
        body = r.read().decode(errors="replace")
        rule = re.search(r"refused by the egress rule (\\S+):", body)
        print("HTTPS", host, path, r.status, body.strip()[:40] if r.status == 200 else "RULE=" + (rule.group(1) if rule else "-"))
    except Exception as e:
        print("HTTPS", host, path, "ERROR", type(e).__name__, e)
    finally:
        c.close()
for p in ${JSON.stringify(['/ok', '/ptb-ci/adder-base/config.json', ...TRICKS])}:
    get(p)
get("/ok?fronted=1", "evil.example")
PY
${HONEST_MODEL}`,
    );
    const status = (path: string, host = 'localhost') =>
      traceText.find((l) => l.startsWith(`HTTPS ${host} ${path} `))?.split(' ')[3] ?? 'missing';
    expect(traceText).toContain('HTTPS localhost /ok 200 hello over https');
    expect(status('/ptb-ci/adder-base/config.json')).toBe('200');
    for (const path of TRICKS) expect([path, status(path)]).toEqual([path, '403']);
    // The refusal tells the agent which rule refused it.
    expect(traceText).toContain('HTTPS localhost /a/../instruct/model.safetensors 403 RULE=localhost/instruct');
    expect(traceText).toContain('HTTPS localhost /someone/adder-instruct-GGUF/model.gguf 403 RULE=adder-instruct-family');
    // A Host header naming another host inside the tunnel: squid refuses it (the URL it builds
    // names that host, which neither squid's pinned connection nor the rules allow).
    expect(['403', '503']).toContain(status('/ok?fronted=1', 'evil.example'));
    expect(seen).toEqual([
      { url: '/ok', host: 'localhost' },
      { url: '/ptb-ci/adder-base/config.json', host: 'localhost' },
    ]);
    const denied = result.integrity.filter((f) => f.check === 'egress-denied');
    const byRule = Object.fromEntries(denied.map((f) => [/\(rule ([^)]+)\)$/.exec(f.summary)?.[1], f.evidence.length]));
    expect(byRule).toMatchObject({
      'localhost/instruct': 5,
      'ambiguous-url': 1,
      'adder-instruct-family': 1,
      'ci-add-test-set': 1,
      'not-allowed': 1,
    });
    // Refused in time, so a warning for the maintainer, as for plain HTTP (the cell is not penalised).
    expect(denied.every((f) => f.severity === 'warning')).toBe(true);
    expect(denied.find((f) => f.summary.endsWith('(rule localhost/instruct)'))?.summary).toMatch(
      /stands in for an instruct checkpoint/,
    );
    expect(denied.flatMap((f) => f.evidence).join('\n')).toMatch(
      /TCP_DENIED\/403 \d+ GET https:\/\/localhost(:443)?\/instruct\/model\.safetensors/,
    );
  } finally {
    if (previous === undefined) delete process.env.PTB_EGRESS_UPSTREAM_CA;
    else process.env.PTB_EGRESS_UPSTREAM_CA = previous;
  }
}, 120_000);
