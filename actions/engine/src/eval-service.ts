import { randomInt } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { CappedLog } from './capped-log.ts';

/** What the evaluator measured on one draw; only the headline and its standard error reach the agent. */
export interface EvalMeasure {
  ok: boolean;
  value?: number | null;
  stderr?: number | null;
  samples?: number | null;
  seconds?: number;
  error?: string;
}

/** The reply the agent gets. */
export interface EvalReply {
  ok: boolean;
  /** The benchmark's headline metric on this draw, and its standard error. */
  score?: number | null;
  stderr?: number | null;
  samples?: number | null;
  seconds?: number;
  error?: string;
}

export interface EvalService {
  socketPath: string;
  calls(): number;
  stop(): Promise<void>;
}

/** Connections served at once; more are closed at once (an agent cannot exhaust the harness's descriptors). */
export const MAX_CONNECTIONS = 16;
/** A connection must send its request line within this time. */
export const REQUEST_TIMEOUT_MS = 10_000;
export const EVALUATE_LOG_CAP_BYTES = 2 ** 20;

/**
 * The agent-facing evaluate entry point, served by the harness outside the sandbox over a
 * unix socket. One request per connection (`{"limit": n}\n`), one reply: the headline
 * metric and its standard error, never per-item results. Each call scores `limit` items
 * drawn at random (a fresh seed from the harness each call, recorded in the log), so
 * repeated small calls cannot single out one test item. Calls are serialised,
 * rate-limited and logged; connections are limited in number and time.
 */
export async function startEvalService(opts: {
  socketPath: string;
  logPath: string;
  minIntervalMs: number;
  maxLimit: number;
  evaluate: (limit: number, drawSeed: number, signal: AbortSignal) => Promise<EvalMeasure>;
  /** Where the draw seeds come from (tests fix it); default: the OS's random generator. */
  drawSeed?: () => number;
}): Promise<EvalService> {
  let calls = 0;
  const abort = new AbortController();
  const open = new Set<Socket>();
  let busy = false;
  let lastStart = Number.NEGATIVE_INFINITY;
  const logFile = new CappedLog(opts.logPath, EVALUATE_LOG_CAP_BYTES);
  const log = (entry: Record<string, unknown>) => logFile.append(JSON.stringify({ ts: new Date().toISOString(), ...entry }));
  const nextSeed = opts.drawSeed ?? (() => randomInt(1, 2 ** 31 - 1));
  const server: Server = createServer((conn) => {
    open.add(conn);
    conn.on('close', () => open.delete(conn));
    conn.setTimeout(REQUEST_TIMEOUT_MS, () => {
      if (!handled) conn.destroy();
    });
    let buf = '';
    let handled = false;
    conn.setEncoding('utf8');
    conn.on('error', () => conn.destroy());
    conn.on('data', async (chunk: string) => {
      if (handled) return;
      buf += chunk;
      if (buf.length > 4096) return conn.destroy();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      handled = true;
      const reply = (r: EvalReply) => {
        if (!conn.destroyed) conn.end(`${JSON.stringify(r)}\n`);
      };
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
      const drawSeed = nextSeed();
      // The evaluation may take long: the request timeout no longer applies.
      conn.setTimeout(0);
      try {
        const r = await opts.evaluate(limit, drawSeed, abort.signal);
        log({
          limit,
          drawSeed,
          ok: r.ok,
          value: r.value,
          stderr: r.stderr,
          samples: r.samples,
          error: r.error,
          ms: Date.now() - now,
        });
        reply(
          r.ok
            ? { ok: true, score: r.value ?? null, stderr: r.stderr ?? null, samples: r.samples ?? null, seconds: r.seconds }
            : { ok: false, error: r.error, seconds: r.seconds },
        );
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        log({ limit, drawSeed, ok: false, error, ms: Date.now() - now });
        reply({ ok: false, error });
      } finally {
        busy = false;
      }
    });
  });
  server.maxConnections = MAX_CONNECTIONS;
  server.on('error', () => {
    // Accept errors (e.g. out of descriptors) drop that connection, never the harness.
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
        logFile.close();
        server.close(() => r());
      }),
  };
}
