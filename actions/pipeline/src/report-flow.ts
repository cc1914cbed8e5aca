import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AgentManifest, CellResult, percent, type Submission, validateSubmissions } from '@ptb/core';
import { evaluateSubmission } from './aggregate.ts';
import { type CellSpec, cellOf } from './cells.ts';
import { definition, type FlowContext, knownDefinitions, Refusal, sha256 } from './context.ts';
import { renderScores } from './render.ts';
import type { ResultsStore } from './store.ts';

export interface ReportJob {
  prNumber: number;
  headSha: string;
  manifestSha256: string;
  submissionId: string;
  /** Folder with one sub-folder per downloaded cell artifact (result.json, cell.json, logs/). */
  artifactsDir: string;
  /** The cells the approve job asked for. */
  expected: readonly CellSpec[];
  published: readonly Submission[];
}

export interface ReportOutcome {
  stored: number;
  newlyStored: number;
  pending: number;
  failed: { id: string; reason: string }[];
  markdown: string;
}

/**
 * The last job: validates each cell artifact against the approval it belongs to, stores the good
 * ones durably (before anything is posted), then reports everything stored for this manifest.
 * Running it again for the same SHA stores nothing new and posts the same comment.
 */
export async function report(
  ctx: FlowContext,
  job: ReportJob,
  store: ResultsStore,
  writeSummary: (markdown: string) => Promise<void>,
  summaryUrl: string,
): Promise<ReportOutcome> {
  const { gh, config } = ctx;
  const path = `submissions/${job.submissionId}/submission.yaml`;
  const bytes = await gh.fileAt(path, job.headSha);
  if (!bytes || sha256(bytes) !== job.manifestSha256) throw new Refusal(`${path} at ${job.headSha} is not the approved manifest`);
  const check = validateSubmissions(
    [{ manifest: { path, bytes }, folderId: job.submissionId, results: [], strayFiles: [] }],
    knownDefinitions(ctx.root),
  );
  const manifest = check.submissions[0]?.manifest;
  if (manifest?.kind !== 'agent') throw new Refusal(`${path} at ${job.headSha} is not a valid agent manifest`);
  const def = definition(ctx.root, manifest.benchmarkVersion);

  const accepted: CellResult[] = [];
  const failed: { id: string; reason: string }[] = [];
  const seen = new Set<string>();
  for (const entry of existsSync(job.artifactsDir) ? await readdir(job.artifactsDir, { withFileTypes: true }) : []) {
    if (!entry.isDirectory()) continue;
    const dir = join(job.artifactsDir, entry.name);
    const verdict = await readArtifact(dir, job);
    if (verdict === null) continue;
    if ('reason' in verdict) {
      failed.push({ id: verdict.id ?? entry.name, reason: verdict.reason });
      continue;
    }
    const id = cellOf(def, verdict.result).id;
    seen.add(id);
    accepted.push(verdict.result);
  }
  for (const c of job.expected)
    if (!seen.has(c.id) && !failed.some((f) => f.id === c.id))
      failed.push({ id: c.id, reason: 'the job ended without a result (see its logs)' });

  // Durable first: a comment that fails after this loses nothing.
  const saved = await store.save(
    job.submissionId,
    job.manifestSha256,
    accepted,
    `Results of ${job.submissionId} (PR #${job.prNumber}, ${job.headSha.slice(0, 7)}): ${accepted.length} cell(s)`,
  );
  ctx.log(
    `stored ${accepted.length} cell result(s) of ${job.submissionId} (${saved.committed ? 'new commit' : 'already stored'})`,
  );
  const stored = await store.load(job.submissionId, job.manifestSha256);
  const storedIds = new Set(stored.map((c) => cellOf(def, c).id));
  const stillFailed = failed.filter((f) => !storedIds.has(f.id));

  const ev = evaluateSubmission(def, manifest as AgentManifest, stored, job.published);
  const markdown = renderScores(def, ev, stored, {
    headSha: job.headSha,
    manifestSha256: job.manifestSha256,
    runUrl: ctx.runUrl,
    failed: stillFailed,
  });
  await writeSummary(markdown);
  await gh.updateSticky(job.prNumber, config.botLogin, 'scores', markdown, summaryUrl);
  const complete = ev.pending.length === 0;
  await gh.checkRun({
    name: 'ptb / evaluate',
    headSha: job.headSha,
    conclusion: complete ? 'success' : stillFailed.length > 0 ? 'failure' : 'neutral',
    title: complete
      ? `Scored: ${ev.row.score ? percent(ev.row.score.mean) : 'n/a'}`
      : `${ev.pending.length} cell(s) without a result`,
    summary: markdown,
    detailsUrl: summaryUrl,
  });
  return {
    stored: stored.length,
    newlyStored: saved.committed ? accepted.length : 0,
    pending: ev.pending.length,
    failed: stillFailed,
    markdown,
  };
}

async function readArtifact(
  dir: string,
  job: ReportJob,
): Promise<{ result: CellResult } | { id?: string; reason: string } | null> {
  // A cell that failed before its result leaves only logs: the expected-cells check reports it.
  if (!existsSync(join(dir, 'cell.json'))) return null;
  let pin: { cell?: string; headSha?: string; manifestSha256?: string };
  try {
    pin = JSON.parse(await readFile(join(dir, 'cell.json'), 'utf8'));
  } catch {
    return { reason: `artifact ${dir.split(/[\\/]/).at(-1)} has an unreadable cell.json` };
  }
  const id = pin.cell;
  if (pin.manifestSha256 !== job.manifestSha256)
    return {
      ...(id ? { id } : {}),
      reason: `result belongs to another approval (manifest ${String(pin.manifestSha256).slice(0, 12)})`,
    };
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(join(dir, 'result.json'), 'utf8'));
  } catch {
    return { ...(id ? { id } : {}), reason: 'no readable result.json' };
  }
  const parsed = CellResult.safeParse(raw);
  if (!parsed.success)
    return { ...(id ? { id } : {}), reason: `result.json is not a valid cell result: ${parsed.error.issues[0]?.message}` };
  const r = parsed.data;
  if (r.submissionId !== job.submissionId)
    return { ...(id ? { id } : {}), reason: `result of another submission (${r.submissionId})` };
  if (r.provenance.kind !== 'verified') return { ...(id ? { id } : {}), reason: 'result without verified provenance' };
  return { result: r };
}
