import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Benchmark } from '@ptb/core';
import { runCommand } from '../host-command.ts';
import { ENGINE_DIR } from '../paths.ts';
import { chatTemplateFor, evaluationOf, inspectTaskRef } from './evaluation.ts';

/**
 * Where the evaluation lives on a bwrap runner: the Python environment with Inspect
 * (installed by images/evaluation/install.sh), the data cache (filled by ptb_evals.fetch at
 * build time) and our own Inspect tasks (beside the benchmark definitions). A docker or
 * apptainer runner has all three in the evaluation image.
 */
export interface EvaluationEnvironment {
  /** The virtual environment (bound read-only into the verification sandbox). */
  evalEnv: string;
  dataDir: string;
  evaluatorsDir: string;
  /**
   * Further folders of Python packages (PTB_EVAL_PYTHONPATH, colon-separated): e.g. Inspect
   * installed with `pip --target` beside a machine's own PyTorch environment. Bound read-only
   * into verification at the same path and put on its PYTHONPATH.
   */
  pythonPath: string[];
}

const REPO = join(ENGINE_DIR, '..', '..');

export function evaluationEnvironment(env: NodeJS.ProcessEnv = process.env): EvaluationEnvironment {
  return {
    evalEnv: env.PTB_EVAL_ENV ?? join(REPO, '.ptb', 'eval-env'),
    dataDir: env.PTB_EVAL_DATA ?? join(REPO, '.ptb', 'eval-data'),
    evaluatorsDir: env.PTB_EVALUATORS_DIR ?? join(REPO, 'actions', 'core', 'definitions', 'evaluators'),
    pythonPath: (env.PTB_EVAL_PYTHONPATH ?? '')
      .split(':')
      .map((d) => d.trim())
      .filter((d) => d.startsWith('/')),
  };
}

const python = (e: EvaluationEnvironment) => join(e.evalEnv, 'bin', 'python');

/** Where and with what environment the evaluation environment's Python runs (offline). */
function pythonOptions(e: EvaluationEnvironment, extraEnv: Record<string, string> = {}) {
  return {
    cwd: e.dataDir,
    env: {
      PATH: `${join(e.evalEnv, 'bin')}:/usr/bin:/bin`,
      HOME: process.env.HOME ?? '/tmp',
      LANG: 'C.UTF-8',
      PYTHONPATH: [e.evaluatorsDir, ...e.pythonPath].join(':'),
      PYTHONDONTWRITEBYTECODE: '1',
      PTB_EVAL_DATA: e.dataDir,
      HF_HUB_OFFLINE: '1',
      HF_DATASETS_OFFLINE: '1',
      ...(process.env.PTB_EVAL_SOURCES ? { PTB_EVAL_SOURCES: process.env.PTB_EVAL_SOURCES } : {}),
      ...extraEnv,
    },
  };
}

function runPython(e: EvaluationEnvironment, args: string[], extraEnv: Record<string, string> = {}) {
  return spawnSync(python(e), ['-m', ...args], {
    encoding: 'utf8',
    ...pythonOptions(e, extraEnv),
    maxBuffer: 256 * 2 ** 20,
    timeout: 300_000,
  });
}

/**
 * Checks, before an agent starts, that the benchmark can be scored on this runner with the
 * network off: the environment exists, Inspect and the task resolve, the chat template of
 * the family and every pinned file of the benchmark are in the data cache. Returns the
 * problems (empty: ready). A problem is the runner's, never the agent's.
 */
export async function evaluatorPreflight(
  benchmark: Benchmark,
  family: string | undefined,
  e: EvaluationEnvironment = evaluationEnvironment(),
): Promise<string[]> {
  const spec = evaluationOf(benchmark);
  if (spec.runner !== 'inspect') return [];
  if (!existsSync(python(e)))
    return [`the evaluation environment ${e.evalEnv} is missing: run actions/engine/images/evaluation/install.sh`];
  if (!existsSync(e.dataDir))
    return [`the evaluation data cache ${e.dataDir} is missing: fill it with \`python -m ptb_evals.fetch --dest ${e.dataDir}\``];
  let template: string | null;
  try {
    template = chatTemplateFor(benchmark, family);
  } catch (err) {
    return [err instanceof Error ? err.message : String(err)];
  }
  const task = inspectTaskRef(spec, benchmark.id).replace(/^\/evaluator\//, `${e.evaluatorsDir}/`);
  // Python and Inspect take a moment to start: the cell's setup goes on meanwhile.
  const r = await runCommand(python(e), ['-m', 'ptb_evals.preflight', benchmark.id, task, ...(template ? [template] : [])], {
    ...pythonOptions(e),
    timeoutMs: 300_000,
  });
  if (r.status === null) return [`the evaluator preflight could not run: ${r.error}`];
  const lines = `${r.stdout}`.split('\n').filter((l) => l.trim());
  if (r.status !== 0 && lines.length === 0) return [`the evaluator preflight failed: ${r.stderr.trim().split('\n').pop()}`];
  return lines;
}

/**
 * The test items of a benchmark from the data cache, for the contamination scan; null when
 * the benchmark's items are not known to the evaluation environment.
 */
export function benchmarkTestItems(
  benchmark: Benchmark,
  e: EvaluationEnvironment = evaluationEnvironment(),
): { id: string; text: string }[] | null {
  if (!existsSync(python(e))) return null;
  const r = runPython(e, ['ptb_evals.items', benchmark.id]);
  if (r.status !== 0) return null;
  return r.stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { id: string; text: string });
}
