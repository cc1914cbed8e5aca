import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cleanupTempDirs, HONEST_MODEL, hostServer } from '../helpers.ts';
import { attack, T } from './support.ts';

afterAll(cleanupTempDirs);

const REAL_KEY = 'sk-ant-api03-REALSECRETvalueThatMustNeverLeak0123456789abcdef';

// Threat model: "Take a real key or talk to a chosen server" through the credential proxy.
describe('the credential proxy only ever talks to its provider', () => {
  let provider: Awaited<ReturnType<typeof hostServer>>;
  let evil: Awaited<ReturnType<typeof hostServer>>;
  beforeAll(async () => {
    // The provider answers every message with 100 input and 100 output tokens.
    provider = await hostServer((req) =>
      req.url?.startsWith('/v1/messages')
        ? { status: 200, body: JSON.stringify({ usage: { input_tokens: 100, output_tokens: 100 } }) }
        : { status: 404, body: 'no' },
    );
    evil = await hostServer();
  });
  afterAll(async () => {
    await provider.close();
    await evil.close();
  });

  test(
    'scheme-relative, backslash, encoded and dot-dot paths naming another server: refused; that server never hears of the key',
    async () => {
      const paths = [
        `//127.0.0.1:${evil.port}/v1/messages`,
        `/\\\\127.0.0.1:${evil.port}/v1/messages`,
        `/%2F%2F127.0.0.1:${evil.port}/v1/messages`,
        `/../../127.0.0.1:${evil.port}/v1/messages`,
        `/v1/../../evil/v1/messages`,
        `http://127.0.0.1:${evil.port}/v1/messages`,
      ];
      const { traceText, result } = await attack(
        `${HONEST_MODEL}
python3 - <<'PY'
import http.client, json
for path in ${JSON.stringify(paths)}:
    c = http.client.HTTPConnection("127.0.0.1", 4000, timeout=20)
    c.putrequest("POST", "/anthropic" + path if not path.startswith("http") else path, skip_host=False)
    body = b'{"model": "m", "max_tokens": 10, "messages": []}'
    c.putheader("content-type", "application/json"); c.putheader("x-api-key", "ptb-placeholder-key-not-a-secret")
    c.putheader("content-length", str(len(body))); c.endheaders(); c.send(body)
    r = c.getresponse(); r.read()
    print("PROXY", r.status, path)
PY`,
        { llmKeys: { anthropic: REAL_KEY }, llmUpstreams: { anthropic: `http://127.0.0.1:${provider.port}` } },
      );
      const statuses = traceText.filter((l) => l.startsWith('PROXY')).map((l) => Number(l.split(' ')[1]));
      expect(statuses).toHaveLength(paths.length);
      for (const s of statuses) expect(s).toBeGreaterThanOrEqual(400);
      expect(evil.requests).toEqual([]);
      expect(provider.requests).toEqual([]);
      expect(JSON.stringify(result)).not.toContain('REALSECRET');
    },
    T,
  );

  test(
    'forty parallel requests against a cap of five requests worth of tokens: the cap holds, and the result says it was reached',
    async () => {
      const { traceText, result } = await attack(
        `${HONEST_MODEL}
python3 - <<'PY'
import http.client, threading
codes = []
def call():
    c = http.client.HTTPConnection("127.0.0.1", 4000, timeout=60)
    body = b'{"model": "m", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]}'
    c.request("POST", "/anthropic/v1/messages", body, {"content-type": "application/json", "x-api-key": "x"})
    r = c.getresponse(); r.read(); codes.append(r.status)
threads = [threading.Thread(target=call) for _ in range(40)]
[t.start() for t in threads]; [t.join() for t in threads]
print("OK", codes.count(200), "REFUSED", len(codes) - codes.count(200))
PY`,
        {
          llmKeys: { anthropic: REAL_KEY },
          llmUpstreams: { anthropic: `http://127.0.0.1:${provider.port}` },
          llmCap: { maxTokens: 1000 },
        },
      );
      const line = traceText.find((l) => l.startsWith('OK')) ?? '';
      const ok = Number(line.split(' ')[1]);
      // Each call reserves its worst case before it is forwarded: what got through stays within the cap.
      expect(ok).toBeGreaterThan(0);
      expect(ok * 200).toBeLessThanOrEqual(1000);
      expect(provider.requests.length).toBe(ok);
      const used = (result.execution?.proxy.inputTokens ?? 0) + (result.execution?.proxy.outputTokens ?? 0);
      expect(used).toBeLessThanOrEqual(1000);
      expect(result.execution?.proxy.capReached).toBe(true);
    },
    T,
  );
});
