/**
 * The URL normaliser of the egress decision: what every request becomes before a rule sees it,
 * and which spellings are refused outright because servers read them differently.
 */
import { describe, expect, test } from 'vitest';
import { normaliseHost, normaliseRequest } from '../src/egress/normalise.ts';

const norm = (url: string, method = 'GET') => {
  const n = normaliseRequest(method, url);
  if (!n.ok) throw new Error(`refused: ${n.why}`);
  return n.url;
};

describe('canonical form', () => {
  test.each([
    // host: case, trailing dot, default ports, IDNA
    ['https://HuggingFace.CO/x', 'https://huggingface.co/x'],
    ['https://huggingface.co./x', 'https://huggingface.co/x'],
    ['https://huggingface.co:443/x', 'https://huggingface.co/x'],
    ['http://huggingface.co:80/x', 'http://huggingface.co/x'],
    ['http://huggingface.co:443/x', 'http://huggingface.co:443/x'],
    ['https://huggingface.co:8443/x', 'https://huggingface.co:8443/x'],
    ['HTTPS://huggingface.co/x', 'https://huggingface.co/x'],
    ['https://bücher.example/x', 'https://xn--bcher-kva.example/x'],
    ['http://127.0.0.1:8080/x', 'http://127.0.0.1:8080/x'],
    ['http://[::1]:8080/x', 'http://[::1]:8080/x'],
    // path: empty, //, dot segments, ;params, unreserved escapes, encoded slash
    ['https://h.example', 'https://h.example/'],
    ['https://h.example//x', 'https://h.example/x'],
    ['https://h.example/a//b///c', 'https://h.example/a/b/c'],
    ['https://h.example/a/../x', 'https://h.example/x'],
    ['https://h.example/a/./x', 'https://h.example/a/x'],
    ['https://h.example/a/b/../../x', 'https://h.example/x'],
    ['https://h.example/../../x', 'https://h.example/x'],
    ['https://h.example/x;v=1', 'https://h.example/x'],
    ['https://h.example/a;p/b;q=2/c', 'https://h.example/a/b/c'],
    ['https://h.example/%78', 'https://h.example/x'],
    ['https://h.example/%41%2d%5f%2e%7e', 'https://h.example/A-_.~'],
    ['https://h.example/a%2Fb', 'https://h.example/a/b'],
    ['https://h.example/refs%2fpr%2f1', 'https://h.example/refs/pr/1'],
    ['https://h.example/caf%C3%A9', 'https://h.example/caf%C3%A9'],
    // query kept as sent
    ['https://h.example/rows?dataset=openai/gsm8k&split=test', 'https://h.example/rows?dataset=openai/gsm8k&split=test'],
  ])('%s is %s', (url, canonical) => {
    expect(norm(url).canonical).toBe(canonical);
  });

  test('CONNECT targets are host:port', () => {
    expect(norm('HuggingFace.co:443', 'CONNECT')).toMatchObject({ host: 'huggingface.co', port: 443, scheme: null });
    expect(normaliseRequest('CONNECT', 'huggingface.co').ok).toBe(false);
    expect(normaliseRequest('CONNECT', 'huggingface.co:443/x').ok).toBe(false);
  });

  test('every reading a server might take: params kept or stripped, dots resolved or literal, // kept or collapsed', () => {
    const readings = norm('https://h.example/Qwen/Qwen3-4B/..;/Qwen3-4B-Base/x').readings.map((r) => r.join('/'));
    expect(readings[0]).toBe('Qwen/Qwen3-4B-Base/x');
    expect(readings).toContain('Qwen/Qwen3-4B/../Qwen3-4B-Base/x');
    expect(readings).toContain('Qwen/Qwen3-4B/..;/Qwen3-4B-Base/x');
    const slashes = norm('https://h.example/a//../b').readings.map((r) => r.join('/'));
    expect(slashes).toEqual(expect.arrayContaining(['b', 'a/b', 'a//../b']));
    // A plain URL has one reading.
    expect(norm('https://h.example/a/b/c.json').readings).toEqual([['a', 'b', 'c.json']]);
  });

  test('query parameters are decoded and split on & and on ;', () => {
    const q = norm('https://h.example/rows?dataset=openai%2Fgsm8k&split=%74rain;split=test&a+b=c+d&flag').query;
    expect(q.get('dataset')).toEqual(['openai/gsm8k']);
    expect(q.get('split')).toEqual(expect.arrayContaining(['train', 'test']));
    expect(q.get('a b')).toEqual(['c d']);
    expect(q.get('flag')).toEqual(['']);
  });
});

describe('refused outright: spellings servers read differently', () => {
  test.each([
    ['https://h.example/a/%2e%2e/x', /dot segment spelt with percent-escapes/],
    ['https://h.example/a/.%2e/x', /dot segment/],
    ['https://h.example/a/%2E/x', /dot segment/],
    ['https://h.example/a/..%2fx', /dot segment/],
    ['https://h.example/a%2F..%2Fx', /dot segment/],
    ['https://h.example/a/%2e%2e;x/y', /dot segment/],
    ['https://h.example/a/..%3bx/y', /dot segment/],
    ['https://h.example/a\\b', /backslash/],
    ['https://h.example/a/..\\x', /backslash/],
    ['https://h.example/a%5Cb', /encoded backslash/],
    ['https://h.example/a%5cb', /encoded backslash/],
    ['https://h.example/a/%252e%252e/x', /double percent-encoding/],
    ['https://h.example/a%252Fb', /double percent-encoding/],
    ['https://h.example/a%zz', /malformed percent-escape/],
    ['https://h.example/a%2', /malformed percent-escape/],
    ['https://h.example/a%00b', /control character/],
    ['https://h.example/a%0d%0aSet-Cookie:x', /control character/],
    ['https://h.example/a%7fb', /control character/],
    ['https://h.example/a%c3%28', /not UTF-8/],
    ['https://h.example/a%ff', /not UTF-8/],
    ['https://h.example/a b', /not allowed in a URL path/],
    ['https://h.example/a"b', /not allowed in a URL path/],
    ['https://h.example/a<b>', /not allowed in a URL path/],
    ['https://h.example/café', /not allowed in a URL path/],
    ['https://h.example/x#frag', /fragment/],
    ['https://h.example/x?a=%zz', /malformed percent-escape/],
    ['https://h.example/x?a=b c', /not allowed in a URL query/],
    ['https://user@h.example/x', /user info/],
    ['https://user:pw@h.example/x', /user info/],
    ['https://huggingface.co@evil.example/x', /user info/],
    ['https://h%2eexample/x', /percent-encoded host/],
    ['https://h.example:/x', /invalid port/],
    ['https://h.example:99999/x', /out of range/],
    ['https://h.example:0/x', /out of range/],
    ['https://h.example:443:443/x', /several colons/],
    ['https://h..example/x', /invalid host name/],
    ['https:///x', /invalid host name/],
    ['http://2130706433/', /IPv4 address in an unusual spelling/],
    ['http://0x7f.0.0.1/', /unusual spelling/],
    ['http://127.1/', /unusual spelling/],
    ['http://0177.0.0.1/', /unusual spelling/],
    ['http://127.000.0.1/', /unusual spelling/],
    ['http://[::1/', /unterminated IPv6/],
    ['ftp://h.example/x', /scheme "ftp"/],
    ['file:///etc/passwd', /scheme "file"/],
    ['/relative/path', /not an absolute/],
    ['h.example/x', /not an absolute/],
  ])('%s', (url, why) => {
    const n = normaliseRequest('GET', url);
    expect(n.ok).toBe(false);
    if (!n.ok) expect(n.why).toMatch(why);
  });

  test.each(['get', 'TRACE', 'PROPFIND', 'G ET', ''])('method %j', (method) => {
    const n = normaliseRequest(method, 'https://h.example/x');
    expect(n).toEqual({ ok: false, why: expect.stringMatching(/the method/) });
  });
});

test('Host header and TLS server name read as a URL authority', () => {
  expect(normaliseHost('HuggingFace.co:443', 443)).toEqual({ host: 'huggingface.co', port: 443 });
  expect(normaliseHost('huggingface.co.', 443)).toEqual({ host: 'huggingface.co', port: 443 });
  expect(normaliseHost('huggingface.co', 80)).toEqual({ host: 'huggingface.co', port: 80 });
  expect(normaliseHost('a@huggingface.co', 443)).toBeNull();
  expect(normaliseHost('h.example:x', 443)).toBeNull();
});
