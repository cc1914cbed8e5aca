import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A scripted OpenAI chat-completions API, the upstream of the credential proxy in the
 * evaluation tests. It checks every request as the judge of the original is called (the
 * real key put in by the proxy, the judge model, the completion-token limit, the reasoning
 * effort of each benchmark) and answers from markers the scripted model wrote into its
 * answers: `[quality: ...]` (arenahardwriting, pairwise) and `[meets: c1,c2]` (healthbench).
 * `mode: 'outage'` answers 503 to everything (a judge API outage).
 */
export interface JudgeStandIn {
  url: string;
  requests: number;
  refused: string[];
  stop(): Promise<void>;
}

export const TEST_OPENAI_KEY = 'sk-test-real-key-held-by-the-proxy';

function pairwise(user: string): string {
  const a = /Assistant A's Answer\|>\n([\s\S]*?)\n<\|The End of Assistant A/.exec(user)?.[1] ?? '';
  const b = /Assistant B's Answer\|>\n([\s\S]*?)\n<\|The End of Assistant B/.exec(user)?.[1] ?? '';
  const candidateIsA = a.includes('[quality:');
  const quality = /\[quality: ([a-z-]+)\]/.exec(candidateIsA ? a : b)?.[1];
  const better = (cand: '>>' | '>') => (candidateIsA ? `[[A${cand}B]]` : `[[B${cand}A]]`);
  const worse = (cand: '>>' | '>') => (candidateIsA ? `[[B${cand}A]]` : `[[A${cand}B]]`);
  const label =
    quality === 'much-better'
      ? better('>>')
      : quality === 'better'
        ? better('>')
        : quality === 'tie'
          ? '[[A=B]]'
          : quality === 'much-worse'
            ? worse('>>')
            : '[[A>B]]'; // first-wins: a judge biased towards the first answer
  return `Both answers read well. My final verdict is ${label}.`;
}

function rubric(user: string): string {
  const item = /\[-?\d+\] .*\((c\d+)\)/.exec(user)?.[1];
  const met = (/\[meets: ([c0-9,]*)\]/.exec(user)?.[1] ?? '').split(',');
  const ok = item !== undefined && met.includes(item);
  return `\`\`\`json\n${JSON.stringify({ explanation: `criterion ${item}`, criteria_met: ok })}\n\`\`\``;
}

const read = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => resolve(body));
  });

export async function startJudgeStandIn(mode: 'script' | 'outage' = 'script'): Promise<JudgeStandIn> {
  const state = { requests: 0, refused: [] as string[] };
  const server: Server = createServer(async (req, res) => {
    const body = await read(req);
    state.requests++;
    const refuse = (status: number, why: string) => {
      state.refused.push(why);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: why, type: 'invalid_request_error' } }));
    };
    if (mode === 'outage') return refuse(503, 'service unavailable (scripted outage)');
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return refuse(404, `unexpected ${req.method} ${req.url}`);
    if (req.headers.authorization !== `Bearer ${TEST_OPENAI_KEY}`) return refuse(401, 'the real key was not put in by the proxy');
    let r: {
      model?: string;
      messages?: { role: string; content: string }[];
      max_completion_tokens?: number;
      reasoning_effort?: string;
      temperature?: number;
    };
    try {
      r = JSON.parse(body);
    } catch {
      return refuse(400, 'body is not JSON');
    }
    const user = r.messages?.find((m) => m.role === 'user')?.content ?? '';
    const isPairwise = user.includes("Assistant A's Answer");
    const problems: string[] = [];
    if (r.model !== 'gpt-5-mini') problems.push(`model ${r.model}`);
    if (r.max_completion_tokens !== 49152) problems.push(`max_completion_tokens ${r.max_completion_tokens}`);
    if (r.temperature !== undefined) problems.push('temperature set');
    if (isPairwise && r.reasoning_effort !== 'medium') problems.push(`reasoning_effort ${r.reasoning_effort} (want medium)`);
    if (!isPairwise && r.reasoning_effort !== undefined)
      problems.push(`reasoning_effort ${r.reasoning_effort} (the grader sets none)`);
    if (isPairwise && r.messages?.[0]?.role !== 'system') problems.push('no system prompt');
    if (problems.length) return refuse(400, problems.join('; '));
    const content = isPairwise ? pairwise(user) : rubric(user);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: `chatcmpl-${state.requests}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: 'gpt-5-mini-2025-08-07',
        choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    get refused() {
      return state.refused;
    },
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
