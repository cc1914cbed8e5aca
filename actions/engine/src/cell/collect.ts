import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { IntegrityFinding } from '@ptb/core';
import type { EvalMeasure } from '../eval-service.ts';
import { SNAPSHOT_LIMITS, type Snapshot, type SnapshotProblem, snapshotTree } from '../snapshot.ts';
import { verify } from '../verify/verifier.ts';
import type { Cell } from './context.ts';
import { evaluationInput } from './verify.ts';

/** The final model as the harness will score and check it: a snapshot of regular files, or why there is none. */
export type Collected =
  | { kind: 'missing'; detail: string }
  | { kind: 'refused'; detail: string; findings: IntegrityFinding[] }
  | { kind: 'snapshot'; dir: string; files: number; bytes: number; findings: IntegrityFinding[] };

const problemText = (p: SnapshotProblem) => `${p.path}: ${p.detail}`;

/** Anything the snapshot had to leave out of final_model/ is a violation: no honest model needs it. */
export function snapshotFindings(problems: readonly SnapshotProblem[]): IntegrityFinding[] {
  if (problems.length === 0) return [];
  return [
    {
      check: 'final-model',
      severity: 'violation',
      summary: `final_model/ holds ${problems.length} entr${problems.length === 1 ? 'y' : 'ies'} the harness does not copy (links leaving it, special files, or beyond the size, depth or count limits); they were left out of what was scored`,
      evidence: problems.slice(0, 30).map(problemText),
    },
  ];
}

/**
 * After the agent: final_model/ copied into a harness-owned snapshot (regular files only,
 * bounded), which verification and every integrity check read. A final_model that is a
 * link or not a directory is refused and flagged.
 */
export function collectFinalModel(cell: Cell): Collected {
  const snap = finalSnapshot(cell);
  if (snap.kind === 'absent') return { kind: 'missing', detail: 'final_model/ does not exist' };
  if (snap.kind === 'not-a-directory')
    return {
      kind: 'refused',
      detail: `${snap.detail}: the harness scores only a real directory`,
      findings: [{ check: 'final-model', severity: 'violation', summary: snap.detail, evidence: [] }],
    };
  if (snap.files === 0) return { kind: 'missing', detail: 'final_model/ is empty' };
  return { kind: 'snapshot', dir: snap.dir, files: snap.files, bytes: snap.bytes, findings: snapshotFindings(snap.problems) };
}

/** No honest final model is larger than the disk the agent had (a sparse file can claim more). */
const limitsOf = (cell: Cell) => ({
  ...SNAPSHOT_LIMITS,
  maxBytes: Math.min(SNAPSHOT_LIMITS.maxBytes, cell.scratchFs?.capBytes ?? SNAPSHOT_LIMITS.maxBytes),
});

/** A copy of final_model/ in the harness's scratch folder (the agent may still be running). */
function takeSnapshot(cell: Cell, name: string): Snapshot {
  const dir = join(cell.paths.scratch, 'snapshots', name);
  rmSync(dir, { recursive: true, force: true });
  return snapshotTree(join(cell.paths.workspace, 'final_model'), dir, limitsOf(cell));
}

/**
 * The snapshot every later phase reads. The agent is gone, so nothing writes its filesystem
 * any more: the harness links the files into a folder beside the workspace (on the same
 * filesystem, never bound into a sandbox) and takes them over, instead of copying gigabytes.
 * Anything that stops that (a full disk, a file linked too often) falls back to the copy, so
 * the agent can neither fail the snapshot nor choose which one it gets.
 */
function finalSnapshot(cell: Cell): Snapshot {
  const fs = cell.scratchFs;
  if (fs) {
    const dir = join(fs.dir, 'final-model-snapshot');
    try {
      rmSync(dir, { recursive: true, force: true });
      const snap = snapshotTree(join(cell.paths.workspace, 'final_model'), dir, limitsOf(cell), { linkQuiet: true });
      if (snap.kind !== 'copied' || !snap.problems.some((p) => p.kind === 'unreadable')) return snap;
    } catch {
      // The copy below says what it finds.
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return takeSnapshot(cell, 'final');
}

/** The agent-facing evaluate call: the current final_model/ snapshotted and scored on `limit` samples. */
export async function scoreSnapshot(
  cell: Cell,
  call: number,
  limit: number,
  drawSeed: number,
  signal: AbortSignal,
): Promise<EvalMeasure> {
  const snap = takeSnapshot(cell, `evaluate-${call}`);
  try {
    if (snap.kind === 'absent') return { ok: false, error: 'final_model/ does not exist' };
    if (snap.kind === 'not-a-directory') return { ok: false, error: `${snap.detail}: save a real directory` };
    if (snap.files === 0) return { ok: false, error: 'final_model/ is empty' };
    if (snap.problems.length > 0)
      return {
        ok: false,
        error: `final_model/ holds entries the harness does not copy: ${snap.problems.slice(0, 3).map(problemText).join('; ')}`,
      };
    const out = await verify({
      ...evaluationInput(cell, `eval-${call}`, snap.dir),
      limit,
      seed: cell.req.seed,
      // A fresh draw of items each call: the evaluator shuffles with this seed before taking `limit`.
      shuffleSeed: drawSeed,
      singleAttempt: true,
      timeoutMs: (cell.evaluation.timeoutSeconds ?? 3600) * 1000,
      signal,
    });
    return out.ok
      ? { ok: true, value: out.summary.value, stderr: out.summary.stderr, samples: out.summary.samples, seconds: out.seconds }
      : {
          ok: false,
          error: out.fault === 'harness' ? `harness error (not your model): ${out.reason}` : out.reason,
          seconds: out.seconds,
        };
  } finally {
    if (snap.kind === 'copied') rmSync(snap.dir, { recursive: true, force: true });
  }
}
