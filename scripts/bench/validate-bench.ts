/**
 * How long `ptb validate` takes on 1,000 generated submissions (goal: under 1 s), measured
 * as a person runs it: the real executable, Node start-up included. Prints the figures.
 *   npm run bench:validate
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDefinition } from '@ptb/core/files';
import { generateSubmissions } from './generate.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(repoRoot, 'node_modules', '.bin');
const REPEATS = 5;

function time(cwd: string, args: string[]): { ms: number; status: number | null; stderr: string } {
  const start = performance.now();
  const r = spawnSync(join(bin, 'ptb'), args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
  return { ms: performance.now() - start, status: r.status, stderr: r.stderr };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const def = loadDefinition('v1');
const cases = [
  { label: '1,000 manifests', count: 1000, runs: 0 },
  { label: '1,000 manifests + 3 run results each (84,000 cells)', count: 1000, runs: 3 },
];
const baseline = [];
for (let i = 0; i < REPEATS; i++) baseline.push(time(repoRoot, ['--help']).ms);
console.log(`node start-up + CLI load (ptb --help): median ${median(baseline).toFixed(0)} ms`);
for (const c of cases) {
  const dir = mkdtempSync(join(tmpdir(), 'ptb-bench-'));
  try {
    generateSubmissions(dir, def, c.count, c.runs);
    const runs = [];
    for (let i = 0; i < REPEATS; i++) {
      const r = time(dir, ['validate']);
      if (r.status !== 0) throw new Error(`validate failed on generated data:\n${r.stderr.slice(0, 2000)}`);
      runs.push(r.ms);
    }
    console.log(
      `ptb validate, ${c.label}: median ${median(runs).toFixed(0)} ms (min ${Math.min(...runs).toFixed(0)}, max ${Math.max(...runs).toFixed(0)}, ${REPEATS} runs)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
