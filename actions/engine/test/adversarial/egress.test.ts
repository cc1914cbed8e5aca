import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cleanupTempDirs, HONEST_MODEL, hostServer } from '../helpers.ts';
import { attack, T } from './support.ts';

afterAll(cleanupTempDirs);

// Threat model: "Download an instruct checkpoint or a test set" (walking around the deny list).
describe('the deny list holds on normalised URLs and on families', () => {
  let host: Awaited<ReturnType<typeof hostServer>>;
  beforeAll(async () => {
    host = await hostServer();
  });
  afterAll(async () => host.close());

  test(
    'path tricks, encodings and re-packed family variants are refused with the rule named; plain allowed URLs still work',
    async () => {
      const base = `http://localhost:${host.port}`;
      const urls = [
        '/allowed/file.txt',
        '//instruct/model.safetensors',
        '/a/../instruct/model.safetensors',
        '/instruct;v=1/model.safetensors',
        '/%69nstruct/model.safetensors',
        '/x/%2e%2e/instruct/model.safetensors',
        '/INSTRUCT/model.safetensors',
        '/someone/adder-instruct-GGUF/resolve/main/model.gguf',
        '/datasets/someone/ci-add-test-copy/resolve/main/test.jsonl',
      ];
      const { traceText, result } = await attack(`${HONEST_MODEL}
python3 - <<'PY'
import http.client
for path in ${JSON.stringify(urls)}:
    c = http.client.HTTPConnection("127.0.0.1", 3128, timeout=20)
    c.putrequest("GET", "${base}" + path, skip_accept_encoding=True)
    c.endheaders()
    r = c.getresponse(); r.read()
    print("STATUS", r.status, path)
PY`);
      expect(traceText).toContain('STATUS 200 /allowed/file.txt');
      for (const u of urls.slice(1)) expect(traceText).toContain(`STATUS 403 ${u}`);
      // The host server never saw any of the refused paths.
      expect(host.requests.map((r) => r.url)).toEqual(['/allowed/file.txt']);
      const summaries = result.integrity
        .filter((f) => f.check === 'egress-denied')
        .map((f) => f.summary)
        .join('\n');
      expect(summaries).toMatch(/rule adder-instruct-family/);
      expect(summaries).toMatch(/rule ci-add-test-set/);
      expect(result.execution?.proxy.denied).toBe(urls.length - 1);
    },
    T,
  );
});
