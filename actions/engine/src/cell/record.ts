import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { type CellResult, CellResult as CellResultSchema, type IntegrityFinding, manifestSha256 } from '@ptb/core';
import type { LlmUsage } from '../egress/llm-proxy.ts';
import { safeFileSha256 } from '../safe-fs.ts';
import type { AgentOutcome } from './agent.ts';
import type { Cell } from './context.ts';
import type { EgressAudit } from './judge.ts';

/** What the cell came to: a status with its detail and score, before provenance is added. */
export interface Verdict {
  status: CellResult['status'];
  statusDetail?: string;
  errorSource?: CellResult['errorSource'];
  score: CellResult['score'];
  /** How verification ran (max tokens, attempts, sampling), for a scored cell. */
  evaluation?: CellResult['evaluation'];
  findings: IntegrityFinding[];
}

export interface RecordInput {
  verdict: Verdict;
  agent: AgentOutcome | null;
  /** The content hash of the final model's snapshot (computed while it was verified); null without one. */
  finalModelSha256: Promise<string | null>;
  usage: LlmUsage | null;
  egress: EgressAudit;
  verifySeconds: number;
}

/** The CellResult, validated by its schema and written to `<out>/result.json`, outside anything the agent could reach. */
export async function recordResult(cell: Cell, input: RecordInput): Promise<CellResult> {
  const { verdict, agent, usage } = input;
  const finishedAt = new Date();
  const timeUsedSeconds = agent ? Math.round((agent.endedAt - agent.startedAt) / 100) / 10 : 0;
  const manifestFile = join(cell.req.submissionDir, 'submission.yaml');
  const { harnessCommit, images } = await cell.provenance();
  const result: CellResult = CellResultSchema.parse({
    schemaVersion: 1,
    submissionId: cell.req.manifest.id,
    manifestSha256: existsSync(manifestFile) ? manifestSha256(readFileSync(manifestFile)) : 'unknown',
    definitionVersion: cell.def.version,
    baseModel: cell.baseModel.id,
    benchmark: cell.benchmark.id,
    seed: cell.req.seed,
    status: verdict.status,
    ...(verdict.statusDetail ? { statusDetail: verdict.statusDetail } : {}),
    ...(verdict.errorSource ? { errorSource: verdict.errorSource } : {}),
    score: verdict.score,
    timeUsedSeconds,
    gpuHours: Math.round(((timeUsedSeconds * Math.min(1, cell.gpus.length)) / 3600) * 1e4) / 1e4,
    integrity: verdict.findings,
    provenance: {
      kind: 'verified',
      harnessCommit,
      images,
      finalModelSha256: await input.finalModelSha256,
      traceSha256: await safeFileSha256(cell.paths.traceFile),
      runner: hostname(),
      startedAt: new Date(cell.jobStart).toISOString(),
      finishedAt: finishedAt.toISOString(),
      links: [],
    },
    execution: {
      runtime: cell.req.runtime,
      agent: cell.launch.name,
      endReason: !agent
        ? 'agent-error'
        : agent.timedOut
          ? 'time-limit'
          : agent.last.exitCode === 0
            ? 'agent-exited'
            : 'agent-error',
      exitCode: agent?.last.exitCode ?? null,
      budgetSeconds: cell.budgetSeconds,
      outputTruncated: agent?.truncated ?? false,
      evaluateCalls: cell.evaluateCalls(),
      proxy: {
        requests: input.egress.requests,
        denied: input.egress.denied,
        llmRequests: usage?.requests ?? 0,
        inputTokens: usage?.inputTokens ?? 0,
        outputTokens: usage?.outputTokens ?? 0,
        capReached: usage?.capReached ?? false,
      },
      overheadSeconds: {
        setup: agent ? Math.round(((agent.firstOutputAt ?? agent.startedAt) - cell.jobStart) / 10) / 100 : 0,
        teardown: agent
          ? Math.max(0, Math.round((finishedAt.getTime() - agent.endedAt - input.verifySeconds * 1000) / 10) / 100)
          : 0,
      },
    },
  });
  writeFileSync(join(cell.paths.out, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  cell.mark('result-written');
  // Where the harness's own time went (the setup's steps overlap), for an operator to read.
  writeFileSync(join(cell.paths.logs, 'harness-marks.json'), `${JSON.stringify(cell.marks, null, 1)}\n`);
  return result;
}
