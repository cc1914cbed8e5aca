import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { type AgentManifest, percent, type ResolvedDefinition, validateManifestBytes } from '@ptb/core';
import { loadDefinition } from '@ptb/core/files';
import { PreflightError, type RuntimeKind, runCell } from '@ptb/engine';
import { type Command, EXIT, UsageError } from '../cli-kit.ts';
import { renderTable } from '../table.ts';

/** Standard errors a measured baseline may be off by: 3 for exact graders, 6 for LLM judges (their own variance adds). */
export const TOLERANCE_SE = { exact: 3, judged: 6 } as const;

export interface CalibrationRow {
  baseModel: string;
  benchmark: string;
  published: number;
  measured: number | null;
  tolerance: number;
  ok: boolean;
  detail: string;
}

/**
 * The tolerance of one comparison: the binomial standard error of the published score on the
 * benchmark's sample count, times 3 (6 for judged benchmarks), never below one sample's worth.
 */
export function tolerance(published: number, samples: number, judged: boolean): number {
  const se = Math.sqrt((published * (1 - published)) / samples);
  return Math.max((judged ? TOLERANCE_SE.judged : TOLERANCE_SE.exact) * se, 1 / samples);
}

export function compare(
  def: ResolvedDefinition,
  baseModel: string,
  benchmark: string,
  measured: number | null,
  detail = '',
): CalibrationRow {
  const b = def.benchmarks.find((x) => x.id === benchmark);
  const published = def.baselines.zeroShot[baseModel]?.[benchmark];
  if (!b || published === undefined) throw new Error(`no published zero-shot baseline for ${baseModel} x ${benchmark}`);
  const tol = tolerance(published, b.dataset.samples, b.eval.grader === 'llm-judge');
  const ok = measured !== null && Math.abs(measured - published) <= tol;
  return { baseModel, benchmark, published, measured, tolerance: tol, ok, detail };
}

export const command: Command = {
  usage: `Usage: ptb calibrate [--definition v1] [--runtime bwrap|docker|apptainer] [--out <dir>]
                     [--submission <dir>] [--base-model <HF id>] [--benchmark <id>] [--model-cache <dir>]

The second acceptance step of a runner with network access (docs/runner-acceptance.md): runs
the baseline agent (it hands back the base model untouched) for every base model x benchmark
of the definition through the real engine and evaluation, and compares each score with the
definition's published zero-shot baseline. Tolerance: ${TOLERANCE_SE.exact} binomial standard errors of the
published score on the benchmark's sample count (${TOLERANCE_SE.judged} for LLM-judged benchmarks), at least
one sample. Prints a table; exit 0 when every cell is within tolerance, 1 on a miss.

Options:
  --definition    benchmark definition version (default v1)
  --runtime       sandbox runtime (default bwrap)
  --out           where cell results go (default runs/calibrate/<definition>)
  --submission    agent submission whose manifest the cells run under (default: the GPU smoke agent)
  --base-model    only this base model; --benchmark only this benchmark
  --model-cache   where base models are (default $PTB_MODEL_CACHE or ~/.cache/ptb/models)

Exit codes: 0 every cell within tolerance, 1 a miss (a cell that could not run counts as one) or invalid input, 2 bad usage.`,
  options: {
    definition: { type: 'string', default: 'v1' },
    runtime: { type: 'string', default: 'bwrap' },
    out: { type: 'string' },
    submission: { type: 'string' },
    'base-model': { type: 'string' },
    benchmark: { type: 'string' },
    'model-cache': { type: 'string' },
  },
  async run({ values }, io) {
    const runtime = String(values.runtime) as RuntimeKind;
    if (!['bwrap', 'docker', 'apptainer'].includes(runtime)) throw new UsageError(`--runtime must be bwrap, docker or apptainer`);
    let def: ResolvedDefinition;
    try {
      def = loadDefinition(String(values.definition));
    } catch (e) {
      io.err(e instanceof Error ? e.message : String(e));
      return EXIT.invalid;
    }
    const submissionDir = resolve(
      io.cwd,
      typeof values.submission === 'string' ? values.submission : 'actions/engine/gpu-smoke/gpu-smoke-agent',
    );
    const manifestPath = join(submissionDir, 'submission.yaml');
    let check: ReturnType<typeof validateManifestBytes>;
    try {
      check = validateManifestBytes(readFileSync(manifestPath), manifestPath, basename(submissionDir));
    } catch {
      io.err(`${manifestPath}: no submission.yaml here; --submission must name an agent submission folder`);
      return EXIT.invalid;
    }
    if (check.manifest?.kind !== 'agent') {
      io.err(`${manifestPath}: not a valid agent manifest`);
      return EXIT.invalid;
    }
    const outRoot = resolve(io.cwd, typeof values.out === 'string' ? values.out : join('runs', 'calibrate', def.version));
    const rows: CalibrationRow[] = [];
    for (const m of def.baseModels) {
      if (typeof values['base-model'] === 'string' && values['base-model'] !== m.id) continue;
      for (const b of def.benchmarks) {
        if (typeof values.benchmark === 'string' && values.benchmark !== b.id) continue;
        try {
          const result = await runCell({
            submissionDir,
            manifest: check.manifest as AgentManifest,
            definition: def,
            baseModel: m.id,
            benchmark: b.id,
            seed: 1,
            runtime,
            outDir: join(outRoot, m.key, b.id),
            agent: { kind: 'baseline' },
            ...(typeof values['model-cache'] === 'string' ? { modelCacheDir: resolve(io.cwd, values['model-cache']) } : {}),
          });
          const detail =
            result.status === 'scored'
              ? ''
              : `${result.status}${result.errorSource ? `/${result.errorSource}` : ''}: ${result.statusDetail ?? ''}`;
          rows.push(compare(def, m.id, b.id, result.status === 'scored' ? (result.score?.value ?? null) : null, detail));
        } catch (e) {
          const why = e instanceof PreflightError ? e.problems.join('; ') : e instanceof Error ? e.message : String(e);
          rows.push(compare(def, m.id, b.id, null, `not run: ${why}`));
        }
      }
    }
    io.out(
      renderTable(
        ['base model', 'benchmark', 'published', 'measured', 'tolerance', 'result'],
        rows.map((r) => [
          r.baseModel,
          r.benchmark,
          `${percent(r.published)}%`,
          r.measured === null ? '-' : `${percent(r.measured)}%`,
          `±${percent(r.tolerance)}%`,
          r.ok ? 'ok' : `MISS${r.detail ? ` (${r.detail})` : ''}`,
        ]),
        [false, false, true, true, true, false],
      ),
    );
    const misses = rows.filter((r) => !r.ok).length;
    io.err(`${rows.length - misses} of ${rows.length} cells within tolerance`);
    return misses === 0 ? EXIT.ok : EXIT.invalid;
  },
};
