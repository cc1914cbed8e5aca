import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentManifest } from '@ptb/core';
import { loadDefinition } from '@ptb/core/files';
import { runCell } from './src/index.ts';

const root = mkdtempSync(join(tmpdir(), 'ptb-cut-'));
chmodSync(root, 0o755);
const submission = join(root, 'submissions', 'bench-agent');
mkdirSync(submission, { recursive: true });
writeFileSync(join(submission, 'submission.yaml'), 'id: bench-agent\n');
const manifest = AgentManifest.parse({
  id: 'bench-agent',
  displayName: 'B',
  benchmarkVersion: 'v0-ci',
  description: 'x',
  contact: { name: 'B' },
  agent: { scaffold: 'claude-code', version: '2.1.3', model: 'claude-opus-4-6' },
  runs: 1,
});
const script = join(root, 'agent.sh');
writeFileSync(script, process.env.AGENT ?? '#!/bin/sh\necho start\n');
chmodSync(script, 0o755);
for (let i = 0; i < 3; i++) {
  const marks: [string, number][] = [];
  const r = await runCell({
    submissionDir: submission,
    manifest,
    definition: loadDefinition('v0-ci'),
    baseModel: 'ptb-ci/adder-base',
    benchmark: 'ci-add',
    seed: i + 1,
    runtime: 'bwrap',
    outDir: join(root, `out-${i}`),
    budgetSeconds: 3,
    graceSeconds: 1,
    modelCacheDir: new URL('./test/fixtures/model-cache/', import.meta.url).pathname,
    agent: { kind: 'script', path: script },
    onMark: (n, at) => marks.push([n, at]),
  });
  const end = marks.find(([n]) => n === 'agent-end')?.[1] ?? 0;
  console.log(
    r.status,
    r.execution?.overheadSeconds,
    marks
      .filter(([, at]) => at >= end)
      .map(([n, at]) => `${n}=${at - end}`)
      .join(' '),
  );
}
rmSync(root, { recursive: true, force: true });
