import {
  type BenchmarkDefinition,
  type CellResult,
  type IntegrityFinding,
  type ResolvedDefinition,
  type RunResultsFile,
  resolveDefinition,
  type Submission,
} from '@ptb/core';

/** A two-by-two definition whose weights are easy to compute by hand. */
export function tinyDefinition(overrides: Partial<BenchmarkDefinition> = {}): ResolvedDefinition {
  const bench = (id: string) => ({
    id,
    name: id.toUpperCase(),
    domain: 'test',
    description: `benchmark ${id}`,
    dataset: { source: `test/${id}`, samples: 10 },
    metric: 'accuracy' as const,
    agentDefaultLimit: 5,
    eval: { maxTokens: 100, temperature: 0, epochs: 1, fewShot: 0, chatTemplate: true, grader: 'exact-match' as const },
  });
  return resolveDefinition({
    version: 'v9',
    name: 'Tiny',
    released: '2026-01-01',
    status: 'draft',
    budget: { hours: 1, gpu: { model: 'H100', memoryGB: 80, count: 1 } },
    baseModels: [
      {
        id: 'org/a-base',
        key: 'a',
        displayName: 'A',
        family: 'aaa',
        parametersB: 1,
        instruct: { id: 'org/a-it', displayName: 'A it' },
      },
      {
        id: 'org/b-base',
        key: 'b',
        displayName: 'B',
        family: 'bbb',
        parametersB: 1,
        instruct: { id: 'org/b-it', displayName: 'B it' },
      },
    ],
    benchmarks: [bench('alpha'), bench('beta')],
    baselines: {
      // alpha: instruct mean 0.6, base mean 0.1 -> gap 0.5; beta: 0.35 vs 0.1 -> gap 0.25.
      // weights proportional to 2 and 4 -> alpha 1/3, beta 2/3.
      zeroShot: {
        'org/a-base': { alpha: 0.1, beta: 0.0 },
        'org/b-base': { alpha: 0.1, beta: 0.2 },
        'org/a-it': { alpha: 0.7, beta: 0.3 },
        'org/b-it': { alpha: 0.5, beta: 0.4 },
      },
    },
    weights: { rule: 'inverse-instruct-gap' },
    penalty: { replacement: 'base-zero-shot', appliesTo: ['missing', 'broken', 'flagged'], explanation: 'test' },
    network: { allow: [], deny: [] },
    ...overrides,
  });
}

export function cell(
  submissionId: string,
  seed: number,
  baseModel: string,
  benchmark: string,
  value: number | null,
  extra: Partial<CellResult> = {},
): CellResult {
  return {
    schemaVersion: 1,
    submissionId,
    manifestSha256: 'unknown',
    definitionVersion: 'v9',
    baseModel,
    benchmark,
    seed,
    status: value === null ? 'missing' : 'scored',
    score: value === null ? null : { value, stderr: 0.01, samples: 10 },
    timeUsedSeconds: 3600,
    gpuHours: 1,
    integrity: [],
    provenance: {
      kind: 'verified',
      harnessCommit: 'a'.repeat(40),
      images: { agent: `ghcr.io/x/agent@sha256:${'b'.repeat(64)}`, evaluation: `ghcr.io/x/eval@sha256:${'c'.repeat(64)}` },
      finalModelSha256: 'd'.repeat(64),
      traceSha256: 'e'.repeat(64),
      runner: 'test-runner',
      startedAt: '2026-01-01T00:00:00Z',
      finishedAt: '2026-01-01T01:00:00Z',
      links: [],
    },
    ...extra,
  };
}

export const violation = (check = 'egress-denied'): IntegrityFinding => ({
  check,
  severity: 'violation',
  summary: 'tried to download an instruct checkpoint',
  evidence: ['squid: TCP_DENIED/403 GET https://huggingface.co/org/a-it'],
});

/** A run whose four cells take `values` in the order (a,alpha) (a,beta) (b,alpha) (b,beta). */
export function run(
  submissionId: string,
  seed: number,
  values: (number | null)[],
  extras: Partial<CellResult>[] = [],
): RunResultsFile {
  const slots: [string, string][] = [
    ['org/a-base', 'alpha'],
    ['org/a-base', 'beta'],
    ['org/b-base', 'alpha'],
    ['org/b-base', 'beta'],
  ];
  return {
    kind: 'run',
    schemaVersion: 1,
    submissionId,
    definitionVersion: 'v9',
    seed,
    meanTimeUsedSeconds: 'unknown',
    cells: slots.flatMap(([m, b], i) => {
      const v = values[i];
      return v === undefined ? [] : [cell(submissionId, seed, m, b, v, extras[i] ?? {})];
    }),
  };
}

export function agent(id: string, runs: RunResultsFile[], hidden = false): Submission {
  return {
    manifest: {
      id,
      displayName: id.toUpperCase(),
      kind: 'agent',
      benchmarkVersion: 'v9',
      description: 'test agent',
      contact: { name: 'Test' },
      links: [],
      hidden,
      ...(hidden ? { hiddenReason: 'test' } : {}),
      agent: { scaffold: 'claude-code', version: '1.0.0', model: 'm', reasoningEffort: 'default', reprompt: false, options: {} },
      runs: runs.length,
    },
    results: runs,
  };
}
