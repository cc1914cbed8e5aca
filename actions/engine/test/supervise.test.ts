import { describe, expect, test } from 'vitest';
import { supervise } from '../src/sandbox/supervise.ts';

describe('the supervisor', () => {
  test('SIGTERM at the limit, SIGKILL after the grace period for a process that ignores it', async () => {
    const r = await supervise({
      argv: ['/bin/sh', '-c', 'trap "" TERM; echo started; while true; do sleep 0.1; done'],
      timeLimitMs: 300,
      graceMs: 300,
      maxOutputBytes: 1000,
    });
    expect(r.timedOut).toBe(true);
    expect(r.endedAtMs - r.startedAtMs).toBeGreaterThanOrEqual(550);
    expect(r.endedAtMs - r.startedAtMs).toBeLessThan(5000);
    expect(r.leftovers).toEqual([]);
  });

  test('aborting kills at once', async () => {
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 100);
    const r = await supervise({
      argv: ['sleep', '30'],
      timeLimitMs: 60_000,
      graceMs: 10_000,
      maxOutputBytes: 10,
      signal: ac.signal,
    });
    expect(r.signal).toBe('SIGKILL');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('splits long lines, keeps at most the cap, counts everything printed', async () => {
    const lines: string[] = [];
    const r = await supervise({
      argv: ['/bin/sh', '-c', 'printf "a%.0s" $(seq 1 50); echo; head -c 100000 /dev/zero | tr "\\0" "b"'],
      timeLimitMs: 10_000,
      graceMs: 100,
      maxOutputBytes: 1000,
      maxLineBytes: 64,
      onLine: (_s, l) => lines.push(l),
    });
    expect(r.exitCode).toBe(0);
    expect(lines[0]).toBe('a'.repeat(50));
    expect(lines.slice(1).every((l) => l.length <= 64)).toBe(true);
    expect(lines.join('').length).toBeLessThanOrEqual(1000);
    expect(r.truncated).toBe(true);
    expect(r.outputBytes).toBe(100_051);
  });
});
