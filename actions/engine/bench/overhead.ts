/**
 * Harness overhead per cell with the bwrap runtime: from job start to the agent's first
 * instruction (its first output), and from the agent's end to result.json minus the
 * evaluator's own time. Goal: under 5 s each. Run: `npm run bench -w @ptb/engine`.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentManifest } from '@ptb/core';
import { loadDefinition } from '@ptb/core/files';
import { runCell } from '../src/index.ts';

const CELLS = Number(process.env.BENCH_CELLS ?? 5);
const modelCache = fileURLToPath(new URL('../test/fixtures/model-cache/', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'ptb-bench-'));
// The sandbox runs as an unprivileged user: what it reads must be readable by others.
chmodSync(root, 0o755);
const submission = join(root, 'submissions', 'bench-agent');
mkdirSync(submission, { recursive: true });
const manifest = AgentManifest.parse({
  id: 'bench-agent',
  displayName: 'Bench',
  benchmarkVersion: 'v0-ci',
  description: 'Overhead benchmark.',
  contact: { name: 'Bench' },
  agent: { scaffold: 'claude-code', version: '2.1.3', model: 'claude-opus-4-6' },
  runs: 1,
});
writeFileSync(join(submission, 'submission.yaml'), 'id: bench-agent\n');
const script = join(root, 'agent.sh');
writeFileSync(
  script,
  `#!/bin/sh\necho start\ncp /models/base/config.json /models/base/tokenizer.json final_model/\nprintf '{"program": "sum"}' > final_model/model.json\n`,
);
chmodSync(script, 0o755);

const setup: number[] = [];
const teardown: number[] = [];
// Where the setup goes: the marks of the prepare phase. The checks, the workspace's filesystem
// and the services run at the same time, so each is shown as the moment it was done.
const STEPS = [
  'job-start',
  'preflight-machine',
  'preflight-sandbox',
  'workspace-filesystem',
  'services-up',
  'limits-set',
  'agent-start',
  'agent-first-output',
] as const;
// Where the teardown goes, in ms after the agent's end with the evaluator's own time left out.
const TEARDOWN_STEPS = ['final-model-collected', 'model-checked', 'contamination-scanned', 'integrity-checked', 'result-written'];
const steps = new Map<string, number[]>();
const teardownSteps = new Map<string, number[]>();
for (let i = 0; i < CELLS; i++) {
  const marks = new Map<string, number>();
  await runCell({
    submissionDir: submission,
    manifest,
    definition: loadDefinition('v0-ci'),
    baseModel: 'ptb-ci/adder-base',
    benchmark: 'ci-add',
    seed: i + 1,
    runtime: 'bwrap',
    outDir: join(root, `out-${i}`),
    budgetSeconds: 60,
    modelCacheDir: modelCache,
    agent: { kind: 'script', path: script },
    onMark: (name, at) => marks.set(name, at),
  });
  const m = (k: string) => marks.get(k) ?? Number.NaN;
  for (const step of STEPS.slice(1)) steps.set(step, [...(steps.get(step) ?? []), (m(step) - m('job-start')) / 1000]);
  const verifying = m('verify-end') - m('verify-start');
  for (const step of TEARDOWN_STEPS) {
    const after = m(step) - m('agent-end') - (m(step) >= m('verify-end') ? verifying : 0);
    teardownSteps.set(step, [...(teardownSteps.get(step) ?? []), after / 1000]);
  }
  setup.push((m('agent-first-output') - m('job-start')) / 1000);
  teardown.push((m('result-written') - m('agent-end') - verifying) / 1000);
}
rmSync(root, { recursive: true, force: true });

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)] ?? Number.NaN, max: s[s.length - 1] ?? Number.NaN };
};
const row = (label: string, xs: number[]) => {
  const { median, max } = stats(xs);
  console.log(
    `${label.padEnd(46)} median ${median.toFixed(2)} s   max ${max.toFixed(2)} s   ${max < 5 ? 'ok (< 5 s)' : 'OVER the 5 s goal'}`,
  );
};
console.log(`harness overhead per cell, bwrap runtime, ${CELLS} cells`);
row('job start -> agent first instruction', setup);
row('agent end -> result.json (evaluator excluded)', teardown);
console.log('setup steps, done at (median ms after job start; the first four overlap):');
for (const [key, xs] of steps) console.log(`  ${key.padEnd(44)} ${(stats(xs).median * 1000).toFixed(0).padStart(5)} ms`);
console.log('teardown steps, done at (median ms after the agent ended, the evaluator excluded):');
for (const [key, xs] of teardownSteps) console.log(`  ${key.padEnd(44)} ${(stats(xs).median * 1000).toFixed(0).padStart(5)} ms`);
