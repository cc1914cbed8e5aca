/**
 * How long `ptb` takes as a person runs it (the real executable, Node start-up included):
 * `ptb --help` and `ptb validate` on the repository (goal: under 0.15 s each), and
 * `ptb validate` on 1,000 generated submissions, without and with 3 result files each
 * (goal: under 1 s). Prints the median and best wall time of several runs and the CPU time
 * the process used (user + system: what the machine's other work cannot inflate). Each
 * validation is measured twice: checking everything (`--no-cache`, as after any change), and
 * with nothing changed since the last check (the answer replayed from the cache). The
 * warm-up run also makes the start-up snapshot of `ptb validate` (scripts/bin/ptb), which the
 * timed runs then use, as a person's second and later runs do; one row shows the regular
 * start without it.
 *   npm run bench:validate
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDefinition } from '@ptb/core/files';
import { generateSubmissions } from './generate.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(repoRoot, 'node_modules', '.bin');
const REPEATS = 7;
// The cache is off under CI; the benchmark measures what a person at their machine gets.
const { CI: _ci, ...withoutCi } = process.env;

/** One run through bash, whose `times` reports the CPU time its child used. */
function once(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): { wallMs: number; cpuMs: number; status: number | null; stderr: string } {
  const start = performance.now();
  const r = spawnSync(
    'bash',
    ['-c', '"$@" >/dev/null 2>"$PTB_BENCH_ERR"; s=$?; times; exit $s', 'bench', join(bin, 'ptb'), ...args],
    {
      cwd,
      encoding: 'utf8',
      env: { ...withoutCi, PATH: `${bin}:${process.env.PATH}`, PTB_BENCH_ERR: '/dev/null', ...env },
    },
  );
  const wallMs = performance.now() - start;
  // `times` prints the shell's own user and system time, then its children's.
  const children = r.stdout.trim().split('\n').at(-1) ?? '';
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return { wallMs, cpuMs: seconds.reduce((a, b) => a + b, 0) * 1000, status: r.status, stderr: r.stderr };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/** `before` runs ahead of each run, untimed (to change a file, say). */
function measure(
  label: string,
  goalMs: number,
  cwd: string,
  args: string[],
  before: () => void = () => {},
  env: Record<string, string> = {},
): void {
  before();
  const first = once(cwd, args, env); // may fill the caches in node_modules/.cache/ptb; not counted
  if (first.status !== 0 && args[0] === 'validate')
    throw new Error(`ptb ${args.join(' ')} failed in ${cwd} (exit ${first.status}); run it there to see why`);
  const runs = Array.from({ length: REPEATS }, () => {
    before();
    return once(cwd, args, env);
  });
  const wall = runs.map((r) => r.wallMs);
  const cpu = median(runs.map((r) => r.cpuMs));
  const verdict = median(wall) < goalMs ? 'meets' : Math.min(...wall) < goalMs ? 'meets at best' : 'misses';
  console.log(
    `${label.padEnd(62)} median ${median(wall).toFixed(0).padStart(5)} ms  best ${Math.min(...wall)
      .toFixed(0)
      .padStart(5)} ms  cpu ${cpu.toFixed(0).padStart(5)} ms  (goal < ${goalMs} ms: ${verdict})`,
  );
}

console.log(`${REPEATS} runs each after one warm-up; cpu is user + system time of the ptb process`);
measure('ptb --help', 150, repoRoot, ['--help']);
measure('ptb validate --no-cache (the repository)', 150, repoRoot, ['validate', '--no-cache']);
measure('ptb validate (the repository, unchanged)', 150, repoRoot, ['validate']);
// For comparison: the regular start, as without a snapshot (PTB_DEFINITIONS_DIR set keeps the
// launcher from using one).
measure('ptb validate --no-cache, regular start (no snapshot)', 150, repoRoot, ['validate', '--no-cache'], undefined, {
  PTB_DEFINITIONS_DIR: join(repoRoot, 'actions', 'core', 'definitions'),
});
// A change to a file since the last check (in a copy of the repository's submissions): the key
// is made, everything is checked, the answer is kept.
const copy = mkdtempSync(join(tmpdir(), 'ptb-bench-repo-'));
try {
  writeFileSync(join(copy, 'package.json'), '{"private":true}\n');
  cpSync(join(repoRoot, 'submissions'), join(copy, 'submissions'), { recursive: true });
  const first = readdirSync(join(copy, 'submissions')).sort()[0] as string;
  const touch = () => appendFileSync(join(copy, 'submissions', first, 'README.md'), '\n');
  measure('ptb validate (the repository, one file changed)', 150, copy, ['validate'], touch);
} finally {
  rmSync(copy, { recursive: true, force: true });
}
const def = loadDefinition('v1');
for (const c of [
  { label: 'ptb validate, 1,000 manifests', count: 1000, runs: 0 },
  { label: 'ptb validate, 1,000 x 3 results (84,000 cells)', count: 1000, runs: 3 },
]) {
  const dir = mkdtempSync(join(tmpdir(), 'ptb-bench-'));
  try {
    generateSubmissions(dir, def, c.count, c.runs);
    measure(`${c.label} --no-cache`, 1000, dir, ['validate', '--no-cache']);
    measure(`${c.label}, unchanged`, 1000, dir, ['validate']);
    const touch = () =>
      appendFileSync(join(dir, 'submissions', readdirSync(join(dir, 'submissions'))[0] as string, 'README.md'), '\n');
    measure(`${c.label}, one file changed`, 1000, dir, ['validate'], touch);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
