import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CellResult, type CellResult as CellResultType } from '@ptb/core';
import { expect } from 'vitest';
import type { CellRequest } from '../../src/index.ts';
import { runScriptCell } from '../helpers.ts';

/**
 * The adversarial suite: each probe is a real ci-add cell (bwrap, squid, the proxies, the
 * evaluation service, verification) whose agent is a hostile shell script. It runs in CI
 * twice: as root, and as an unprivileged user with a delegated cgroup and a dedicated
 * size-capped scratch filesystem (PTB_ADVERSARIAL_MODE=unprivileged), as runners do.
 */
export const MODE = process.env.PTB_ADVERSARIAL_MODE === 'unprivileged' ? 'unprivileged' : 'root';
export const AS_ROOT = process.getuid?.() === 0;

/** A generous test timeout: the cells end by their own budgets; the test asserts outcomes, not speed. */
export const T = 240_000;

/** Small disk for probes that fill it (the unprivileged run's dedicated filesystem has this size). */
export const SMALL_DISK = 64 * 2 ** 20;

/** Host processes whose command line mentions a path (the cell's scratch folder). */
export function processesMentioning(path: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(path)) out.push(`${name}: ${cmd.slice(0, 200)}`);
    } catch {
      // gone
    }
  }
  return out;
}

export interface Attack {
  result: CellResultType;
  outDir: string;
  traceText: string[];
  trace: string;
  scratch: string;
}

/**
 * Runs a hostile agent and checks what must hold whatever it did: a valid result was
 * written, no process of the cell survived (squid and the sandbox included), its scratch
 * folder and any mount of it are gone.
 */
export async function attack(script: string, extra: Partial<CellRequest> = {}): Promise<Attack> {
  let scratch = '';
  let workspace = '';
  const run = await runScriptCell(script, {
    budgetSeconds: 60,
    ...extra,
    onScratch: (dir, ws) => {
      scratch = dir;
      workspace = ws;
      extra.onScratch?.(dir, ws);
    },
  });
  expect(CellResult.safeParse(run.result).success).toBe(true);
  expect(JSON.parse(readFileSync(join(run.outDir, 'result.json'), 'utf8')).status).toBe(run.result.status);
  expect(scratch).not.toBe('');
  expect(processesMentioning(scratch)).toEqual([]);
  expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(scratch);
  expect(existsSync(scratch)).toBe(false);
  expect(existsSync(workspace)).toBe(false);
  return { ...run, scratch };
}

export const violations = (r: CellResultType, check?: string) =>
  r.integrity.filter((f) => f.severity === 'violation' && (check === undefined || f.check === check));
