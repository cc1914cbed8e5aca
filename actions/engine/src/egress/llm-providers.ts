/**
 * The LLM providers the credential proxy can reach, as data, and the one function that turns
 * an agent's request path into an upstream URL. The upstream is always the provider's fixed
 * origin plus a normalised path: nothing the agent sends can change the host, the port or
 * the scheme, so the real key can only ever go to the provider it belongs to.
 */
export const LLM_PROVIDERS = {
  anthropic: {
    upstream: 'https://api.anthropic.com',
    auth: 'x-api-key',
    apis: [['messages', '/v1']],
    keyEnv: ['ANTHROPIC_API_KEY'],
    note: 'Anthropic Messages (Claude Code, OpenCode)',
  },
  openai: {
    upstream: 'https://api.openai.com',
    auth: 'bearer',
    apis: [['openai', '/v1']],
    keyEnv: ['OPENAI_API_KEY'],
    note: 'OpenAI Responses (HTTP and WebSocket) and Chat Completions (Codex, OpenCode)',
  },
  google: {
    upstream: 'https://generativelanguage.googleapis.com',
    auth: 'x-goog-api-key',
    apis: [
      ['gemini', '/v1beta'],
      ['gemini', '/v1'],
    ],
    keyEnv: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
    note: 'Gemini generateContent and streamGenerateContent (Gemini CLI, OpenCode)',
  },
  openrouter: {
    upstream: 'https://openrouter.ai',
    auth: 'bearer',
    apis: [['openai', '/api/v1']],
    keyEnv: ['OPENROUTER_API_KEY'],
    note: 'OpenRouter Chat Completions (OpenCode)',
  },
  opencode: {
    upstream: 'https://opencode.ai/zen',
    // Zen speaks the wire format of each model's maker: the agent's SDK picks the header.
    auth: 'as-sent',
    apis: [
      ['messages', '/v1'],
      ['openai', '/v1'],
      ['gemini', '/v1'],
    ],
    keyEnv: ['OPENCODE_API_KEY'],
    note: 'OpenCode Zen: Messages, Responses, Chat Completions or Gemini, by model (OpenCode)',
  },
  zai: {
    upstream: 'https://api.z.ai',
    auth: 'bearer',
    apis: [
      ['openai', '/api/paas/v4'],
      ['openai', '/api/coding/paas/v4'],
      ['messages', '/api/anthropic/v1'],
    ],
    keyEnv: ['ZAI_API_KEY', 'ZHIPU_API_KEY'],
    note: 'Z.ai Chat Completions at /api/paas/v4 (OpenCode)',
  },
  qwen: {
    upstream: 'https://dashscope-intl.aliyuncs.com/apps/anthropic',
    auth: 'as-sent',
    apis: [['messages', '/v1']],
    keyEnv: ['DASHSCOPE_API_KEY'],
    note: "Alibaba DashScope's Anthropic-compatible endpoint serving Qwen (Claude Code)",
  },
} as const satisfies Record<
  string,
  {
    upstream: string;
    auth: 'x-api-key' | 'bearer' | 'x-goog-api-key' | 'as-sent';
    /** The model-call APIs forwarded, each under its root path; nothing else (files, fine-tuning, batches, images, ...). */
    apis: readonly (readonly [ApiFamily, string])[];
    keyEnv: readonly string[];
    note: string;
  }
>;

type ApiFamily = 'messages' | 'openai' | 'gemini';

/** The endpoints of each API family that make (or count, or list) model calls, relative to the family's root. */
const FAMILY_PATHS: Record<ApiFamily, RegExp> = {
  messages: /^\/(messages|messages\/count_tokens|models|models\/[A-Za-z0-9._:@-]+)\/?$/,
  openai:
    /^\/(responses|responses\/compact|responses\/input_tokens|chat\/completions|completions|models|models\/[A-Za-z0-9._:@/-]+)\/?$/,
  gemini: /^\/(models|models\/[A-Za-z0-9._@-]+|models\/[A-Za-z0-9._@-]+:(generateContent|streamGenerateContent|countTokens))\/?$/,
};

/** Whether the provider's key may be spent on this path (a model call, a token count, the model list). */
export function modelCallPath(provider: LlmProvider, path: string): boolean {
  return LLM_PROVIDERS[provider].apis.some(
    ([family, root]) => path.startsWith(`${root}/`) && FAMILY_PATHS[family].test(path.slice(root.length)),
  );
}

export type LlmProvider = keyof typeof LLM_PROVIDERS;
export const LLM_PROVIDER_IDS = Object.keys(LLM_PROVIDERS) as LlmProvider[];

export const isLlmProvider = (s: string): s is LlmProvider => Object.hasOwn(LLM_PROVIDERS, s);

/**
 * Real keys from the harness's environment (never passed into a sandbox): each provider's own
 * variable (ANTHROPIC_API_KEY, ...) or `PTB_PROVIDER_KEYS`, the one secret the evaluate
 * workflow passes: a JSON object (`{"anthropic": "sk-ant-...", "OPENAI_API_KEY": "sk-..."}`,
 * keyed by provider or by variable name) or `NAME=value` lines.
 */
export function keysFromEnv(env: NodeJS.ProcessEnv): Partial<Record<LlmProvider, string>> {
  const bundle: Record<string, string> = {};
  const raw = env.PTB_PROVIDER_KEYS?.trim();
  if (raw?.startsWith('{')) {
    try {
      for (const [k, v] of Object.entries(JSON.parse(raw) as Record<string, unknown>)) if (typeof v === 'string') bundle[k] = v;
    } catch {
      throw new Error('PTB_PROVIDER_KEYS is not valid JSON: expected {"anthropic": "<key>", ...} or NAME=value lines');
    }
  } else if (raw)
    for (const line of raw.split('\n')) {
      const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
      if (m) bundle[m[1] as string] = (m[2] as string).replace(/^(["'])(.*)\1$/, '$2');
    }
  const out: Partial<Record<LlmProvider, string>> = {};
  for (const p of LLM_PROVIDER_IDS) {
    const names = [p, ...LLM_PROVIDERS[p].keyEnv];
    const v = [...LLM_PROVIDERS[p].keyEnv.map((n) => env[n]), ...names.map((n) => bundle[n])].find((x) => x && x.length > 0);
    if (v) out[p] = v;
  }
  return out;
}

export type TargetResult =
  | { ok: true; provider: LlmProvider; url: URL; path: string }
  | { ok: false; status: number; reason: string };

/** Characters a provider path may hold: no '%', '\', '?', '#', spaces or control characters. */
const PATH_CHARS = /^[A-Za-z0-9._~:@+,=/-]*$/;
/** Query strings are kept (e.g. `alt=sse`, `beta=true`) but only with plain characters. */
const QUERY_CHARS = /^[A-Za-z0-9._~:@+,=&%/-]*$/;

/**
 * Resolves `/<provider>/<path>[?query]` (the request-target exactly as the agent sent it)
 * into the upstream URL. Refused: absolute or authority forms, unknown providers, any
 * percent-encoding or backslash in the path, empty, `.` or `..` segments (so `//host`,
 * `/./`, `/../` and their encoded forms never reach URL resolution), fragments, and a
 * `key=` query parameter (the key travels in a header the proxy sets).
 */
export function upstreamTarget(rawTarget: string, upstreams: Readonly<Record<LlmProvider, string>>): TargetResult {
  const bad = (reason: string, status = 400): TargetResult => ({ ok: false, status, reason });
  if (!rawTarget.startsWith('/') || rawTarget.startsWith('//'))
    return bad('the request target must be a path such as /anthropic/v1/messages (no absolute URLs)');
  if (rawTarget.length > 8192) return bad('request target too long', 414);
  const q = rawTarget.indexOf('?');
  const rawPath = q >= 0 ? rawTarget.slice(0, q) : rawTarget;
  const query = q >= 0 ? rawTarget.slice(q + 1) : '';
  const m = /^\/([a-z]+)(\/.*)?$/.exec(rawPath);
  if (!m || !isLlmProvider(m[1] as string))
    return bad(`unknown provider path; use one of ${LLM_PROVIDER_IDS.map((p) => `/${p}`).join(', ')}`, 404);
  const provider = m[1] as LlmProvider;
  const path = m[2] ?? '';
  if (path === '' || path === '/') return bad(`/${provider} needs an API path after it, e.g. /${provider}/v1/...`, 404);
  if (!PATH_CHARS.test(path)) return bad('the path may not hold percent-encoding, backslashes, spaces or control characters');
  const segments = path.slice(1).split('/');
  // A single trailing slash is harmless; any other empty segment would be `//`.
  const inner = segments.at(-1) === '' ? segments.slice(0, -1) : segments;
  if (inner.some((s) => s === '' || s === '.' || s === '..')) return bad('the path may not hold empty, "." or ".." segments');
  if (query.includes('#') || !QUERY_CHARS.test(query))
    return bad('the query may not hold a fragment, spaces or control characters');
  const params = query === '' ? [] : query.split('&');
  if (params.some((p) => /^key(=|$)/i.test(p))) return bad('API keys in the query are refused; the proxy sets the key');
  if (!modelCallPath(provider, path))
    return bad(
      `/${provider}${path} is not a model call: the proxy forwards only ${LLM_PROVIDERS[provider].apis.map(([f, r]) => `${f === 'messages' ? 'Messages' : f === 'openai' ? 'Responses/Chat Completions' : 'generateContent'} under ${r}`).join(', ')} (no files, fine-tuning, batches or images)`,
      403,
    );

  const base = new URL(upstreams[provider]);
  const basePath = base.pathname.replace(/\/$/, '');
  const url = new URL(`${base.origin}${basePath}${path}${query ? `?${query}` : ''}`);
  // Defence in depth: the parsed URL must be exactly the provider's origin and the joined path.
  if (url.origin !== base.origin || url.pathname !== `${basePath}${path}`)
    return bad('the path does not resolve under the provider origin');
  return { ok: true, provider, url, path };
}

/** The URL with any `key=` parameter removed, for the log. */
export const loggableUrl = (url: URL): string => {
  const copy = new URL(url);
  copy.searchParams.delete('key');
  return copy.toString();
};
