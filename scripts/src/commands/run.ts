import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { type AgentManifest, formatDiagnostic, percent, validateManifestBytes } from '@ptb/core';
import { loadDefinition } from '@ptb/core/files';
import { type AgentOverride, InputError, PreflightError, type RuntimeKind, runCell } from '@ptb/engine';
import { type Command, EXIT, UsageError } from '../cli-kit.ts';

const RUNTIMES: RuntimeKind[] = ['bwrap', 'docker', 'apptainer'];

/** What names one cell and how to run it; `ptb slurm-run` passes the same options through. */
export const CELL_OPTIONS = {
  submission: { type: 'string' },
  'base-model': { type: 'string' },
  benchmark: { type: 'string' },
  seed: { type: 'string' },
  definition: { type: 'string', default: 'v1' },
  runtime: { type: 'string', default: 'bwrap' },
  out: { type: 'string' },
  'budget-seconds': { type: 'string' },
  agent: { type: 'string' },
  'model-cache': { type: 'string' },
} as const satisfies Command['options'];

export const command: Command = {
  usage: `Usage: ptb run --submission <submissions/<id>> --base-model <HF id> --benchmark <id> --seed <n>
               [--definition v1] [--runtime bwrap|docker|apptainer] [--out <dir>]
               [--budget-seconds <n>] [--agent baseline|script:<path>] [--model-cache <dir>]
               [--keep-workspace] [--json]

Runs the submission's agent on one (base model, benchmark) cell for the time budget in a
sandbox whose only way out is the egress proxy, then scores final_model/ in a second,
clean sandbox and writes <out>/result.json (a CellResult) and <out>/logs/.

Options:
  --definition       benchmark definition version (default v1)
  --runtime          sandbox runtime (default bwrap)
  --out              result folder (default runs/<id>/<base model key>/<benchmark>/seed-<n>)
  --budget-seconds   override the definition's time budget (tests, quick checks)
  --agent            baseline: hand back the base model; script:<path>: run that script instead of the scaffold
  --model-cache      where base models are (<dir>/<org>/<name>/; default $PTB_MODEL_CACHE or ~/.cache/ptb/models)
  --keep-workspace   keep the agent's workspace after the run
  --json             print the CellResult as JSON on stdout

Exit codes: 0 a result was written (even a missing, broken or flagged cell), 1 invalid input,
2 bad usage, 3 infrastructure failure (preflight failed; no result written).`,
  options: {
    ...CELL_OPTIONS,
    'keep-workspace': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
  async run({ values }, io) {
    const need = (name: string): string => {
      const v = values[name];
      if (typeof v !== 'string' || v === '') throw new UsageError(`missing --${name}\n\n${command.usage}`);
      return v;
    };
    const submissionDir = resolve(io.cwd, need('submission'));
    const baseModel = need('base-model');
    const benchmark = need('benchmark');
    const seed = Number(need('seed'));
    if (!Number.isInteger(seed) || seed < 1)
      throw new UsageError(`--seed must be a whole number of at least 1, got "${values.seed}"`);
    const runtime = String(values.runtime) as RuntimeKind;
    if (!RUNTIMES.includes(runtime)) throw new UsageError(`--runtime must be one of ${RUNTIMES.join(', ')}, got "${runtime}"`);
    let budgetSeconds: number | undefined;
    if (values['budget-seconds'] !== undefined) {
      budgetSeconds = Number(values['budget-seconds']);
      if (!Number.isFinite(budgetSeconds) || budgetSeconds <= 0)
        throw new UsageError(`--budget-seconds must be a positive number, got "${values['budget-seconds']}"`);
    }
    let agent: AgentOverride | undefined;
    if (typeof values.agent === 'string') {
      if (values.agent === 'baseline') agent = { kind: 'baseline' };
      else if (values.agent.startsWith('script:') && values.agent.length > 7)
        agent = { kind: 'script', path: resolve(io.cwd, values.agent.slice(7)) };
      else throw new UsageError(`--agent must be "baseline" or "script:<path>", got "${values.agent}"`);
    }

    const manifestPath = join(submissionDir, 'submission.yaml');
    let bytes: Buffer;
    try {
      bytes = readFileSync(manifestPath);
    } catch {
      io.err(`${manifestPath}: no submission.yaml here; --submission must name a submissions/<id> folder`);
      return EXIT.invalid;
    }
    const check = validateManifestBytes(bytes, manifestPath, basename(submissionDir));
    if (!check.manifest || check.diagnostics.length > 0) {
      for (const d of check.diagnostics) io.err(formatDiagnostic(d));
      if (check.diagnostics.length === 0) io.err(`${manifestPath}: not a valid manifest`);
      return EXIT.invalid;
    }
    if (check.manifest.kind !== 'agent') {
      io.err(`${manifestPath}: a reference row (kind: ${check.manifest.kind}) is not run by agents`);
      return EXIT.invalid;
    }
    let definition: ReturnType<typeof loadDefinition>;
    try {
      definition = loadDefinition(String(values.definition));
    } catch (e) {
      io.err(e instanceof Error ? e.message : String(e));
      return EXIT.invalid;
    }
    const outDir = resolve(
      io.cwd,
      typeof values.out === 'string'
        ? values.out
        : join('runs', check.manifest.id, baseModel.split('/').pop() ?? baseModel, benchmark, `seed-${seed}`),
    );
    // A cancelled job (SIGTERM from the runner or Slurm, Ctrl-C): everything of the cell is
    // killed and stopped, an `error` result says so, and nothing is left running.
    const cancel = new AbortController();
    const onSignal = () => cancel.abort();
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    try {
      const result = await runCell({
        signal: cancel.signal,
        submissionDir,
        manifest: check.manifest as AgentManifest,
        definition,
        baseModel,
        benchmark,
        seed,
        runtime,
        outDir,
        ...(budgetSeconds !== undefined ? { budgetSeconds } : {}),
        ...(agent ? { agent } : {}),
        ...(typeof values['model-cache'] === 'string' ? { modelCacheDir: resolve(io.cwd, values['model-cache']) } : {}),
        keepWorkspace: values['keep-workspace'] === true,
      });
      if (values.json) io.out(JSON.stringify(result, null, 2));
      if (cancel.signal.aborted) {
        io.err(`cancelled: ${result.statusDetail ?? 'the run was stopped'}; wrote ${join(outDir, 'result.json')}`);
        return EXIT.internal;
      }
      const shown = result.score ? `${percent(result.score.value)}%` : '-';
      const flags = result.integrity.filter((f) => f.severity !== 'info').map((f) => f.check);
      io.err(
        `${result.status}: ${result.baseModel} x ${result.benchmark} seed ${result.seed}: score ${shown}` +
          `${result.statusDetail ? ` (${result.statusDetail})` : ''}${flags.length ? `; findings: ${flags.join(', ')}` : ''}; wrote ${join(outDir, 'result.json')}`,
      );
      return EXIT.ok;
    } catch (e) {
      if (e instanceof InputError) {
        io.err(e.message);
        return EXIT.invalid;
      }
      if (e instanceof PreflightError) {
        io.err(e.message);
        return EXIT.internal;
      }
      io.err(`infrastructure failure: ${e instanceof Error ? e.message : String(e)}`);
      return EXIT.internal;
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
  },
};
