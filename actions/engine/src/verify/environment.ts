import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Benchmark } from '@ptb/core';
import { sha256 } from '../hash.ts';
import { runCommand } from '../host-command.ts';
import { ENGINE_DIR } from '../paths.ts';
import { chatTemplateFor, evaluationOf, inspectTaskRef } from './evaluation.ts';
import { type PreflightPasses, preflightPasses, preflightPassesFile } from './preflight-passes.ts';

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

/** What the evaluator preflight found, and whether a pass of an earlier cell answered for it. */
export interface EvaluatorCheck {
  problems: string[];
  /** A pass remembered from an earlier cell, with nothing it rested on changed since: Python did not run. */
  reused: boolean;
}

/**
 * Checks, before an agent starts, that the benchmark can be scored on this runner with the
 * network off: the environment exists, Inspect and the task resolve, the chat template of
 * the family and every pinned file of the benchmark are in the data cache. Returns the
 * problems (empty: ready). A problem is the runner's, never the agent's. A pass is
 * remembered (see preflight-passes.ts) and reused while nothing it read has changed.
 */
export async function evaluatorPreflight(
  benchmark: Benchmark,
  family: string | undefined,
  e: EvaluationEnvironment = evaluationEnvironment(),
  passes: PreflightPasses = preflightPasses(preflightPassesFile(REPO)),
): Promise<EvaluatorCheck> {
  const found = (problems: string[]): EvaluatorCheck => ({ problems, reused: false });
  const spec = evaluationOf(benchmark);
  if (spec.runner !== 'inspect') return found([]);
  if (!existsSync(python(e)))
    return found([`the evaluation environment ${e.evalEnv} is missing: run actions/engine/images/evaluation/install.sh`]);
  if (!existsSync(e.dataDir))
    return found([
      `the evaluation data cache ${e.dataDir} is missing: fill it with \`python -m ptb_evals.fetch --dest ${e.dataDir}\``,
    ]);
  let template: string | null;
  try {
    template = chatTemplateFor(benchmark, family);
  } catch (err) {
    return found([err instanceof Error ? err.message : String(err)]);
  }
  const task = inspectTaskRef(spec, benchmark.id).replace(/^\/evaluator\//, `${e.evaluatorsDir}/`);
  const args = ['-m', 'ptb_evals.preflight', '--json', benchmark.id, task, ...(template ? [template] : [])];
  const options = pythonOptions(e);
  // The same check, by the same Python, in the same environment.
  const key = sha256(JSON.stringify([python(e), args, options]));
  if (passes.reusable(key)) return { problems: [], reused: true };
  const startedMs = Date.now();
  // Python takes a moment to start: the cell's setup goes on meanwhile.
  const r = await runCommand(python(e), args, { ...options, timeoutMs: 300_000 });
  if (r.status === null) return found([`the evaluator preflight could not run: ${r.error}`]);
  const failed = found([`the evaluator preflight failed (exit ${r.status}): ${r.stderr.trim().split('\n').pop() ?? ''}`]);
  let answer: { problems: string[]; inputs: string[] };
  try {
    answer = JSON.parse(r.stdout) as typeof answer;
    if (!Array.isArray(answer.problems) || !Array.isArray(answer.inputs)) return failed;
  } catch {
    return failed;
  }
  if (r.status !== 0 && answer.problems.length === 0) return failed;
  if (answer.problems.length === 0) passes.remember(key, [python(e), join(e.evalEnv, 'pyvenv.cfg'), ...answer.inputs], startedMs);
  return found(answer.problems.map(String));
}

/** What the contamination scan compares against: the benchmark's test items, or why there are none. */
export type TestItemsRead =
  | { kind: 'items'; items: { id: string; text: string }[] }
  /** The benchmark has no item reader: nothing to scan for. */
  | { kind: 'none' }
  /** The items exist but could not be read: the scan cannot run (a harness warning, never the agent's fault). */
  | { kind: 'unreadable'; why: string };

/** Exit status of `ptb_evals.items` for a benchmark it has no reader for. */
const NO_ITEM_READER = 2;

/** The test items of a benchmark from the data cache (through the evaluation environment's Python), for the contamination scan. */
export async function benchmarkTestItems(
  benchmark: Benchmark,
  e: EvaluationEnvironment = evaluationEnvironment(),
): Promise<TestItemsRead> {
  if (!existsSync(python(e))) return { kind: 'unreadable', why: `the evaluation environment ${e.evalEnv} is missing` };
  const r = await runCommand(python(e), ['-m', 'ptb_evals.items', benchmark.id], {
    ...pythonOptions(e),
    maxBuffer: 256 * 2 ** 20,
    timeoutMs: 300_000,
  });
  if (r.status === NO_ITEM_READER) return { kind: 'none' };
  if (r.status !== 0) return { kind: 'unreadable', why: r.error ?? r.stderr.trim().split('\n').pop() ?? `exit ${r.status}` };
  try {
    const items = r.stdout
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { id: string; text: string });
    return { kind: 'items', items };
  } catch (err) {
    return { kind: 'unreadable', why: `ptb_evals.items printed something other than JSON lines: ${String(err)}` };
  }
}
