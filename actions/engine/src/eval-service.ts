import { appendFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';

export interface EvalReply {
  ok: boolean;
  metrics?: Record<string, number>;
  samples?: number | null;
  seconds?: number;
  error?: string;
}

export interface EvalService {
  socketPath: string;
  calls(): number;
  stop(): Promise<void>;
}

/**
 * The agent-facing evaluate entry point, served by the harness outside the sandbox over a
 * unix socket. One request per connection (`{"limit": n}\n`), one aggregate reply; calls are
 * serialised, rate-limited and logged. The agent never touches the test set or the grader.
 */
export async function startEvalService(opts: {
  socketPath: string;
  logPath: string;
  minIntervalMs: number;
  maxLimit: number;
  evaluate: (limit: number, signal: AbortSignal) => Promise<EvalReply>;
}): Promise<EvalService> {
  let calls = 0;
  const abort = new AbortController();
  const open = new Set<Socket>();
  let busy = false;
  let lastStart = Number.NEGATIVE_INFINITY;
  const log = (entry: Record<string, unknown>) =>
    appendFileSync(opts.logPath, `${JSON.stringify({ ts: new Date().toISOString(), ...entry })}\n`);
  const server: Server = createServer((conn) => {
    open.add(conn);
    conn.on('close', () => open.delete(conn));
    let buf = '';
    conn.setEncoding('utf8');
    conn.on('error', () => conn.destroy());
    conn.on('data', async (chunk: string) => {
      buf += chunk;
      if (buf.length > 4096) return conn.destroy();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const reply = (r: EvalReply) => conn.end(`${JSON.stringify(r)}\n`);
      let limit: number;
      try {
        const req = JSON.parse(buf.slice(0, nl)) as { limit?: unknown };
        limit = Number(req.limit);
        if (!Number.isInteger(limit) || limit < 1) throw new Error('limit must be a positive integer');
      } catch (e) {
        log({ refused: 'bad request', detail: e instanceof Error ? e.message : String(e) });
        return reply({ ok: false, error: `bad request: ${e instanceof Error ? e.message : String(e)}` });
      }
      limit = Math.min(limit, opts.maxLimit);
      const now = Date.now();
      if (busy) {
        log({ limit, refused: 'busy' });
        return reply({ ok: false, error: 'an evaluation is already running; wait for it to finish' });
      }
      if (now - lastStart < opts.minIntervalMs) {
        const wait = Math.ceil((opts.minIntervalMs - (now - lastStart)) / 1000);
        log({ limit, refused: 'rate limit' });
        return reply({ ok: false, error: `rate limited: the next evaluation is allowed in ${wait} s` });
      }
      busy = true;
      lastStart = now;
      calls++;
      try {
        const r = await opts.evaluate(limit, abort.signal);
        log({ limit, ok: r.ok, metrics: r.metrics, samples: r.samples, error: r.error, ms: Date.now() - now });
        reply(r);
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        log({ limit, ok: false, error, ms: Date.now() - now });
        reply({ ok: false, error });
      } finally {
        busy = false;
      }
    });
  });
  await new Promise<void>((r) => server.listen(opts.socketPath, r));
  return {
    socketPath: opts.socketPath,
    calls: () => calls,
    // Stopping kills an evaluation still running (the agent is gone) and drops its connection.
    stop: () =>
      new Promise<void>((r) => {
        abort.abort();
        for (const c of open) c.destroy();
        server.close(() => r());
      }),
  };
}
