import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CellResult, mean } from '@ptb/core';
import { verificationSeeds } from '../verify/evaluation.ts';
import { type VerifyInput, verify } from '../verify/verifier.ts';
import type { Cell } from './context.ts';

export type Verified =
  | {
      kind: 'scored';
      score: NonNullable<CellResult['score']>;
      evaluation: NonNullable<CellResult['evaluation']>;
      seconds: number;
    }
  | { kind: 'broken'; detail: string; seconds: number }
  | { kind: 'error'; source: NonNullable<CellResult['errorSource']>; detail: string; seconds: number };

/**
 * What every evaluation of the cell shares (the agent's evaluate calls and the final
 * verification): the sandbox, the benchmark, the evaluation environment, the capped log.
 */
export function evaluationInput(cell: Cell, name: string, modelDir: string): Omit<VerifyInput, 'limit' | 'seed' | 'timeoutMs'> {
  return {
    runtime: cell.runtime(cell.images.evaluation, `${cell.name}-${name}`),
    benchmark: cell.benchmark,
    family: cell.baseModel.family,
    ...(cell.inspectOnHost
      ? {
          evalEnv: cell.evalEnvironment.evalEnv,
          dataDir: cell.evalEnvironment.dataDir,
          pythonPath: cell.evalEnvironment.pythonPath,
        }
      : {}),
    modelDir,
    evaluatorDir: cell.evaluatorDir,
    workDir: join(cell.paths.scratch, 'verify'),
    graderSocket: cell.paths.harnessLlmSocket,
    gpus: cell.gpus,
    logFile: cell.evaluatorLog,
    cgroup: cell.verifyCgroup,
    redact: cell.redact,
  };
}

/** The snapshot of the final model scored in a clean sandbox, once per verification seed; the score is their mean. */
export async function verifyFinalModel(cell: Cell, snapshotDir: string): Promise<Verified> {
  const started = Date.now();
  cell.mark('verify-start');
  const values: { value: number; stderr: number | null; samples: number | null }[] = [];
  let record: NonNullable<CellResult['evaluation']> | null = null;
  try {
    for (const seed of verificationSeeds(cell.benchmark, cell.req.seed)) {
      const out = await verify({
        ...evaluationInput(cell, `verify-${seed}`, snapshotDir),
        limit: null,
        seed,
        timeoutMs: (cell.evaluation.timeoutSeconds ?? 6 * 3600) * 1000,
        ...(cell.req.signal ? { signal: cell.req.signal } : {}),
      });
      if (out.logPath)
        copyFileSync(
          out.logPath,
          join(cell.paths.logs, `inspect-seed-${seed}${out.logPath.endsWith('.eval') ? '.eval' : '.json'}`),
        );
      // The model's fault is `broken` (penalised); the harness's is `error` (retried, never penalised).
      if (!out.ok)
        return out.fault === 'harness'
          ? {
              kind: 'error',
              source: out.source ?? 'harness',
              detail: `verification (seed ${seed}) failed: ${cell.redact(out.reason)}`,
              seconds: (Date.now() - started) / 1000,
            }
          : {
              kind: 'broken',
              detail: `verification (seed ${seed}) failed: ${cell.redact(out.reason)}`,
              seconds: (Date.now() - started) / 1000,
            };
      record = { maxTokens: out.maxTokens, attempts: out.attempts.length, sampling: out.sampling };
      values.push({ value: out.summary.value as number, stderr: out.summary.stderr, samples: out.summary.samples });
    }
  } finally {
    cell.mark('verify-end');
  }
  const errs = values.map((v) => v.stderr).filter((x): x is number => x !== null);
  return {
    kind: 'scored',
    score: {
      value: Math.min(1, Math.max(0, mean(values.map((v) => v.value)))),
      stderr: errs.length === values.length ? mean(errs) : null,
      samples: values[0]?.samples && values[0].samples > 0 ? values[0].samples : null,
    },
    evaluation: record as NonNullable<CellResult['evaluation']>,
    seconds: (Date.now() - started) / 1000,
  };
}
