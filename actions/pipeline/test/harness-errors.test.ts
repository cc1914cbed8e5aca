import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CellResult } from '@ptb/core';
import { loadDefinition } from '@ptb/core/files';
import { afterAll, describe, expect, it } from 'vitest';
import { allCells } from '../src/cells.ts';
import { type ApprovalRecord, type CellOutcome, HARNESS_ATTEMPTS, owed, type QueueEntry } from '../src/queue.ts';
import { storeCell } from '../src/report-flow.ts';
import type { QueueStore, ResultsStore } from '../src/store.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const def = loadDefinition('v1');
const cell = allCells(def, 1)[0] as ReturnType<typeof allCells>[0];
const approval: ApprovalRecord = {
  id: 'pr7-run70',
  prNumber: 7,
  submissionId: 'ada-agent',
  headSha: 'a'.repeat(40),
  manifestSha256: 'b'.repeat(64),
  definitionVersion: 'v1',
  cells: [cell],
  approvedBy: 'maintainer',
  approvedAt: '2026-12-01T00:00:00Z',
  reviewedInRun: 70,
};

/** The results branch in memory: what storeCell writes, and the queue as the dispatcher reads it. */
function memoryStore() {
  const files = new Map<string, unknown>();
  const store: ResultsStore & QueueStore = {
    load: async () => [],
    save: async () => ({ committed: false }),
    queue: async () => [entry()],
    approval: async (id) => (id === approval.id ? entry() : null),
    writeQueue: async (written) => {
      for (const [k, v] of Object.entries(written)) files.set(k, v);
      return { committed: true };
    },
  };
  const entry = (): QueueEntry => ({
    approval,
    cancelled: false,
    outcomes: [...files].filter(([k]) => k.includes('/outcomes/')).map(([, v]) => v as CellOutcome),
  });
  return { store, files, entry };
}

/** The artifact the GPU job of run `runId` leaves: its stamp and a result of the given status. */
function artifact(runId: number, result: Partial<CellResult>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ptb-artifact-'));
  dirs.push(dir);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'cell.json'),
    JSON.stringify({
      cell: cell.id,
      artifact: cell.artifact,
      approvalId: approval.id,
      headSha: approval.headSha,
      manifestSha256: approval.manifestSha256,
      runId,
      runAttempt: 1,
    }),
  );
  const now = '2026-12-01T01:00:00.000Z';
  writeFileSync(
    join(dir, 'result.json'),
    JSON.stringify({
      schemaVersion: 1,
      submissionId: approval.submissionId,
      manifestSha256: approval.manifestSha256,
      definitionVersion: 'v1',
      baseModel: cell.baseModel,
      benchmark: cell.benchmark,
      seed: cell.seed,
      status: 'scored',
      score: { value: 0.5, stderr: 0.01, samples: 30 },
      timeUsedSeconds: 36000,
      gpuHours: 10,
      integrity: [],
      provenance: {
        kind: 'verified',
        harnessCommit: 'c'.repeat(40),
        images: { agent: `a/b@sha256:${'d'.repeat(64)}`, evaluation: `a/c@sha256:${'e'.repeat(64)}` },
        finalModelSha256: null,
        traceSha256: null,
        runner: 'gpu-1',
        startedAt: now,
        finishedAt: now,
        links: [],
      },
      ...result,
    }),
  );
  return dir;
}

const job = (runId: number, artifactDir: string) => ({
  approvalId: approval.id,
  cellId: cell.id,
  runId,
  runAttempt: 1,
  artifactDir,
  defaultBranch: 'main',
});

describe('a harness error is retried, never stored, scored or penalised', () => {
  it('a provider outage is recorded as an error outcome, no result file is written, and the cell is owed again', async () => {
    const { store, files, entry } = memoryStore();
    const outage = {
      status: 'error' as const,
      errorSource: 'provider' as const,
      statusDetail: 'the provider answered 529',
      score: null,
    };
    const { outcome } = await storeCell(job(1, artifact(1, outage)), store);
    expect(outcome.status).toBe('error');
    expect(outcome.reason).toBe('harness error (provider): the provider answered 529');
    // Only the outcome was written: nothing under the submission's results.
    expect([...files.keys()].every((k) => k.startsWith('queue/'))).toBe(true);
    expect(owed(entry()).map((c) => c.id)).toEqual([cell.id]);
    // Each error run is its own outcome: after the last allowed attempt the cell is given up.
    for (let run = 2; run <= HARNESS_ATTEMPTS; run++) await storeCell(job(run, artifact(run, outage)), store);
    expect(entry().outcomes).toHaveLength(HARNESS_ATTEMPTS);
    expect(owed(entry())).toEqual([]);
  });

  it('a scored result after an error is stored, and the cell is done', async () => {
    const { store, files, entry } = memoryStore();
    await storeCell(
      job(1, artifact(1, { status: 'error', errorSource: 'evaluator', statusDetail: 'vLLM crashed', score: null })),
      store,
    );
    const { outcome } = await storeCell(job(2, artifact(2, {})), store);
    expect(outcome.status).toBe('stored');
    expect([...files.keys()].filter((k) => !k.startsWith('queue/'))).toHaveLength(1);
    expect(owed(entry())).toEqual([]);
  });
});
