// A local process that honours the `ptb run` contract, standing in for the run engine (which
// needs GPUs): parses the contract's flags, reads the manifest written by the pipeline, and
// writes a schema-valid CellResult to <out>/result.json plus <out>/logs/. Exit codes as in the
// contract: 0 result written, 1 invalid input, 2 usage, 3 infrastructure failure.
// Options before `run` steer the stand-in (the pipeline starts `ptb run` with a minimal
// environment, so they cannot travel as variables): --infra-fail=<benchmark> (or
// <base model>/<benchmark>/<seed>) makes those cells fail with exit 3; --flag=<benchmark> adds an integrity violation to that
// benchmark's cells. It also writes logs/env.json: the environment it was started with.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const all = process.argv.slice(2);
const steer = (name: string) => all.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const args = all.slice(Math.max(all.indexOf('run'), 0));
if (args[0] !== 'run') {
  console.error('usage: ptb run --submission <dir> --base-model <id> --benchmark <id> --seed <n> --out <dir>');
  process.exit(2);
}
const flag = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const submission = flag('submission');
const baseModel = flag('base-model');
const benchmark = flag('benchmark');
const seed = Number(flag('seed'));
const out = flag('out');
if (!submission || !baseModel || !benchmark || !out || !Number.isInteger(seed)) {
  console.error('ptb run: missing --submission, --base-model, --benchmark, --seed or --out');
  process.exit(2);
}
const manifestPath = join(submission, 'submission.yaml');
if (!existsSync(manifestPath)) {
  console.error(`ptb run: ${manifestPath} does not exist`);
  process.exit(1);
}
const failing = steer('infra-fail');
if (failing === benchmark || failing === `${baseModel}/${benchmark}/${seed}` || process.env.FAKE_PTB_INFRA_FAIL === benchmark) {
  console.error(`preflight: GPU 0 is not idle (fake infrastructure failure for ${benchmark})`);
  process.exit(3);
}
const bytes = readFileSync(manifestPath);
const manifest = parse(bytes.toString('utf8')) as { id: string };
const digest = (s: string) => createHash('sha256').update(s).digest('hex');
const value = Number.parseInt(digest(`${baseModel}/${benchmark}/${seed}`).slice(0, 4), 16) / 0xffff;
mkdirSync(join(out, 'logs'), { recursive: true });
writeFileSync(join(out, 'logs', 'env.json'), JSON.stringify(process.env));
writeFileSync(join(out, 'logs', 'agent.log'), `fake agent run of ${manifest.id} on ${baseModel}/${benchmark} seed ${seed}\n`);
const now = new Date().toISOString();
const flagged = steer('flag') === benchmark || process.env.FAKE_PTB_FLAG === benchmark;
const result = {
  schemaVersion: 1,
  submissionId: manifest.id,
  manifestSha256: createHash('sha256').update(bytes).digest('hex'),
  definitionVersion: flag('definition') ?? 'v1',
  baseModel,
  benchmark,
  seed,
  status: 'scored',
  score: { value: Math.round(value * 1000) / 1000, stderr: 0.01, samples: 100 },
  timeUsedSeconds: 30_000 + seed,
  gpuHours: 8.3,
  integrity: flagged
    ? [
        {
          check: 'egress-denied',
          severity: 'violation',
          summary: 'tried to download the instruct checkpoint',
          evidence: ['squid: TCP_DENIED huggingface.co/Qwen/Qwen3-4B'],
        },
      ]
    : [],
  provenance: {
    kind: 'verified',
    harnessCommit: digest('harness').slice(0, 40),
    images: { agent: `ghcr.io/ptb/agent@sha256:${digest('a')}`, evaluation: `ghcr.io/ptb/eval@sha256:${digest('e')}` },
    finalModelSha256: digest(`model ${benchmark}`),
    traceSha256: digest(`trace ${benchmark}`),
    runner: 'gpu-runner-test',
    startedAt: now,
    finishedAt: now,
    links: [{ label: 'trace', url: `https://example.org/traces/${benchmark}-${seed}` }],
  },
};
writeFileSync(join(out, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
process.exit(0);
