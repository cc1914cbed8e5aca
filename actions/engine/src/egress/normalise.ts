/**
 * A request URL as the egress decision sees it. Servers disagree on how to read a path
 * (`//`, `..`, `;params`, `%2F`, backslashes), so the normaliser returns every reading a
 * server might take and the decision refuses a request if any reading is refused. Forms that
 * only serve to confuse (encoded dot segments, encoded backslashes, double encoding, user
 * info, odd IPv4 spellings, unknown methods) are refused outright. Pure, no imports beyond
 * Node's IDNA conversion, so the squid helper can load it on its own.
 */
import { domainToASCII } from 'node:url';

export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT'] as const;

export interface NormalisedUrl {
  method: string;
  /** null for a CONNECT target (`host:port`, no path). */
  scheme: 'http' | 'https' | null;
  /** Lower case, ASCII (IDNA), no trailing dot; IPv6 in brackets. */
  host: string;
  port: number;
  /** The canonical reading: `;params` stripped, decoded, `//` collapsed, dot segments resolved. */
  segments: string[];
  /** Every reading of the path (the canonical one first), each a list of decoded segments. */
  readings: string[][];
  /** Query parameters, decoded, split on `&` and on `;` (some servers do both). */
  query: Map<string, string[]>;
  /** `scheme://host[:port]/a/b?query` in canonical form, for logs and findings. */
  canonical: string;
}

export type Normalised = { ok: true; url: NormalisedUrl } | { ok: false; why: string };

const DEFAULT_PORT = { http: 80, https: 443 } as const;

class Ambiguous extends Error {}
const refuse = (why: string): never => {
  throw new Ambiguous(why);
};

/** Percent-decodes a URL component; invalid escapes, invalid UTF-8 and control characters are refused. */
function decode(raw: string, what: string): string {
  if (/%(?![0-9a-f]{2})/i.test(raw)) refuse(`malformed percent-escape in the ${what}`);
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (raw[i] === '%') {
      bytes.push(Number.parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) bytes.push(c);
    else for (const b of Buffer.from(raw[i] as string, 'utf8')) bytes.push(b);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return refuse(`percent-escapes in the ${what} that are not UTF-8`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused here
  if (/[\u0000-\u001f\u007f]/.test(text)) refuse(`a control character in the ${what}`);
  return text;
}

const IPV4_LIKE = /^(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+))*\.?$/i;
const DOTTED_QUAD = /^(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;

/** Host and port of an authority (`host[:port]`); user info and unusual spellings are refused. */
export function parseAuthority(authority: string, defaultPort: number | null): { host: string; port: number } {
  if (authority.includes('@')) refuse('user info in the URL');
  if (authority.includes('%')) refuse('a percent-encoded host');
  let host: string;
  let portText: string | null = null;
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    if (end < 0) refuse('an unterminated IPv6 address');
    host = authority.slice(0, end + 1).toLowerCase();
    if (!/^\[[0-9a-f:.]+\]$/.test(host)) refuse('a malformed IPv6 address');
    const rest = authority.slice(end + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) refuse('text after an IPv6 address');
      portText = rest.slice(1);
    }
  } else {
    const colon = authority.lastIndexOf(':');
    if (colon >= 0) {
      if (authority.indexOf(':') !== colon) refuse('several colons in the host');
      portText = authority.slice(colon + 1);
      host = authority.slice(0, colon);
    } else host = authority;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII test
    if (/[^\u0000-\u007f]/.test(host)) host = domainToASCII(host);
    host = host.toLowerCase();
    if (host.endsWith('.')) host = host.slice(0, -1);
    if (!/^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/.test(host)) refuse(`an invalid host name "${authority}"`);
    if (IPV4_LIKE.test(host) && !DOTTED_QUAD.test(host)) refuse(`an IPv4 address in an unusual spelling ("${host}")`);
  }
  let port: number;
  if (portText === null) {
    if (defaultPort === null) return refuse('no port in a CONNECT target');
    port = defaultPort;
  } else {
    if (!/^[0-9]{1,5}$/.test(portText)) refuse(`an invalid port "${portText}"`);
    port = Number(portText);
    if (port < 1 || port > 65535) refuse(`port ${port} out of range`);
  }
  return { host, port };
}

// Characters RFC 3986 allows in a path: unreserved, sub-delims, ":", "@", "/" and escapes.
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;
const QUERY_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*$/;

type Params = 'strip-raw' | 'strip-decoded' | 'keep';

/** One reading of the raw path segments. */
function reading(raw: string[], params: Params, resolveDots: boolean, collapse: boolean): string[] {
  const out: string[] = [];
  for (const seg of raw) {
    const cut = params === 'strip-raw' && seg.includes(';') ? seg.slice(0, seg.indexOf(';')) : seg;
    let text = decode(cut, 'path');
    if (params === 'strip-decoded' && text.includes(';')) text = text.slice(0, text.indexOf(';'));
    // An encoded "/" separates segments for servers that decode before routing (the hub does).
    for (const piece of text.split('/')) {
      if ((piece === '.' || piece === '..') && seg.includes('%'))
        refuse('a dot segment spelt with percent-escapes (e.g. %2e%2e or ..%2f)');
      out.push(piece);
    }
  }
  let segs = collapse ? out.filter((s) => s !== '') : out;
  if (resolveDots) {
    const stack: string[] = [];
    segs.forEach((s, i) => {
      if (s === '.') {
        if (i === segs.length - 1) stack.push('');
      } else if (s === '..') {
        stack.pop();
        if (i === segs.length - 1) stack.push('');
      } else stack.push(s);
    });
    segs = collapse ? stack.filter((s) => s !== '') : stack;
  }
  return segs;
}

function parseQuery(raw: string): Map<string, string[]> {
  const query = new Map<string, string[]>();
  if (raw === '') return query;
  if (!QUERY_CHARS.test(raw)) refuse('a character not allowed in a URL query');
  const pairs = new Set([...raw.split('&'), ...raw.split(/[&;]/)]);
  for (const pair of pairs) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decode((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '), 'query');
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1).replace(/\+/g, ' '), 'query');
    query.set(key, [...(query.get(key) ?? []), value]);
  }
  return query;
}

function normaliseOrThrow(method: string, target: string): NormalisedUrl {
  if (!(METHODS as readonly string[]).includes(method)) refuse(`the method "${method}"`);
  if (method === 'CONNECT') {
    if (target.includes('/')) refuse('a CONNECT target that is not host:port');
    const { host, port } = parseAuthority(target, null);
    return { method, scheme: null, host, port, segments: [], readings: [[]], query: new Map(), canonical: `${host}:${port}` };
  }
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/s.exec(target);
  if (!m) return refuse('not an absolute http(s) URL');
  const scheme = (m[1] as string).toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return refuse(`the scheme "${scheme}"`);
  const { host, port } = parseAuthority(m[2] as string, DEFAULT_PORT[scheme]);
  let rest = m[3] as string;
  if (rest.includes('#')) refuse('a fragment (#) in a request');
  if (rest.includes('\\')) refuse('a backslash in the URL');
  const q = rest.indexOf('?');
  const rawQuery = q < 0 ? '' : rest.slice(q + 1);
  rest = q < 0 ? rest : rest.slice(0, q);
  const rawPath = rest === '' ? '/' : rest;
  if (!PATH_CHARS.test(rawPath)) refuse('a character not allowed in a URL path');
  if (/%5c/i.test(rawPath)) refuse('an encoded backslash (%5C) in the path');
  // A server that decodes twice would read %252e%252e as "..": refuse escapes that survive one decoding.
  if (/%25[0-9a-f]{2}/i.test(rawPath)) refuse('double percent-encoding in the path');
  const raw = rawPath.split('/').slice(1);
  const seen = new Set<string>();
  const readings: string[][] = [];
  for (const params of ['strip-raw', 'strip-decoded', 'keep'] as const)
    for (const dots of [true, false])
      for (const collapse of [true, false]) {
        const r = reading(raw, params, dots, collapse);
        const key = JSON.stringify(r);
        if (!seen.has(key)) {
          seen.add(key);
          readings.push(r);
        }
      }
  const segments = readings[0] as string[];
  const query = parseQuery(rawQuery);
  const portPart = port === DEFAULT_PORT[scheme] ? '' : `:${port}`;
  const path = `/${segments.map(encodeURIComponent).join('/')}`;
  return {
    method,
    scheme,
    host,
    port,
    segments,
    readings,
    query,
    canonical: `${scheme}://${host}${portPart}${path}${rawQuery ? `?${rawQuery}` : ''}`,
  };
}

/**
 * Normalises a request as squid reports it: the method and the absolute URL (plain HTTP and
 * decrypted HTTPS) or `host:port` (CONNECT).
 */
export function normaliseRequest(method: string, target: string): Normalised {
  try {
    return { ok: true, url: normaliseOrThrow(method, target) };
  } catch (e) {
    if (e instanceof Ambiguous) return { ok: false, why: e.message };
    throw e;
  }
}

/** Host and port of a Host header or SNI name, normalised as a URL's are; null when it cannot be read. */
export function normaliseHost(value: string, defaultPort: number): { host: string; port: number } | null {
  try {
    return parseAuthority(value, defaultPort);
  } catch (e) {
    if (e instanceof Ambiguous) return null;
    throw e;
  }
}
