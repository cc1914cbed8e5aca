import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CellResult } from '@ptb/core';

/** One cell in: the contract with the run engine (`ptb run`, or `runCell` of @ptb/engine). */
export interface CellRequest {
  /** The `submissions/<id>/` folder holding the manifest (written from the pinned PR data). */
  submissionDir: string;
  baseModel: string;
  benchmark: string;
  seed: number;
  definitionVersion: string;
  outDir: string;
  runtime?: 'bwrap' | 'docker' | 'apptainer';
  budgetSeconds?: number;
}

/**
 * What `ptb run` may see of the job's environment: the basics a process needs and the engine's
 * own settings, by name. Nothing else is inherited: not the workflow token (INPUT_TOKEN), not
 * the runner's ACTIONS_RUNTIME_TOKEN (it could upload artifacts) or ACTIONS_ID_TOKEN_*, not a
 * provider key that happens to be set on the machine. The engine settings are the runner
 * operator's (the unit's environment file, the runner pod's env): where the sandbox's limits
 * come from on an unprivileged runner, where the pinned agent CLIs and the evaluation
 * environment were installed, the model cache.
 */
export const INHERITED = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'LANG',
  'LC_ALL',
  'TZ',
  'TMPDIR',
  'CUDA_VISIBLE_DEVICES',
  'NVIDIA_VISIBLE_DEVICES',
  // The machine and its caches.
  'PTB_GPU_INDEX',
  'PTB_MODEL_CACHE',
  'PTB_READONLY_CACHE',
  'PTB_REQUIRE_GPU',
  'PTB_MIN_FREE_DISK_GB',
  'PTB_ENGINE_DIR',
  // The harness's own cache (the evaluator preflight's passes), kept beyond the job's checkout.
  'PTB_CACHE_DIR',
  // The sandbox: its user, its delegated cgroup and size-capped scratch, its limits.
  'PTB_SANDBOX_UID',
  'PTB_CGROUP_PARENT',
  'PTB_SCRATCH_DIR',
  'PTB_UNENFORCED_LIMITS',
  'PTB_CPUS',
  'PTB_MEMORY_LIMIT_GB',
  'PTB_PIDS_LIMIT',
  'PTB_DISK_LIMIT_GB',
  'PTB_SANDBOX_TOOLCHAIN',
  'PTB_AGENT_IMAGE',
  'PTB_EVAL_IMAGE',
  // What the runner has installed: the pinned agent CLIs and the evaluation environment.
  'PTB_AGENT_CLIS',
  'PTB_AGENT_NODE',
  'PTB_EVAL_ENV',
  'PTB_EVAL_DATA',
  'PTB_EVAL_PYTHONPATH',
  'PTB_EVALUATORS_DIR',
  // A runner whose traffic leaves through a TLS-inspecting proxy trusts its CA.
  'PTB_EGRESS_UPSTREAM_CA',
] as const;

/**
 * The provider keys the engine's credential-injecting proxy reads (it hands the agent a
 * placeholder), one or more per provider it serves. They reach `ptb run` only from the
 * `PTB_PROVIDER_KEYS` secret, by these names (a test keeps them equal to the engine's).
 */
export const PROVIDER_KEY_NAMES = [
  'ANTHROPIC_API_KEY',
  'OPENAI_API_KEY',
  'GEMINI_API_KEY',
  'GOOGLE_API_KEY',
  'OPENROUTER_API_KEY',
  'OPENCODE_API_KEY',
  'ZAI_API_KEY',
  'ZHIPU_API_KEY',
  'DASHSCOPE_API_KEY',
] as const;

/**
 * Pure: the environment `ptb run` starts with. `providerKeys` is the secret's text, one
 * `NAME=value` a line; a name the engine does not read is an error that names the line, never
 * the value. The repository the workflow runs for is named to the engine, whose egress rules
 * keep the agent away from this leaderboard's own data.
 */
export function cellEnvironment(from: NodeJS.ProcessEnv, providerKeys: string | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED) {
    const v = from[name];
    if (v !== undefined) env[name] = v;
  }
  const repositories = from.PTB_LEADERBOARD_REPOSITORIES ?? from.GITHUB_REPOSITORY;
  if (repositories) env.PTB_LEADERBOARD_REPOSITORIES = repositories;
  if (providerKeys?.trim().startsWith('{'))
    throw new Error('PTB_PROVIDER_KEYS: expected NAME=value lines (the JSON form is read only by `ptb run` started by hand)');
  for (const [i, raw] of (providerKeys ?? '').split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const name = eq > 0 ? line.slice(0, eq).trim() : '';
    if (!(PROVIDER_KEY_NAMES as readonly string[]).includes(name))
      throw new Error(
        `PTB_PROVIDER_KEYS line ${i + 1}: expected NAME=value with NAME one of ${PROVIDER_KEY_NAMES.join(', ')}${name ? `, got ${name}` : ''}`,
      );
    env[name] = line.slice(eq + 1).trim();
  }
  return env;
}

export interface CellRunner {
  run(request: CellRequest): Promise<CellResult>;
}

/** Why a cell produced no result: the harness refused the input, or the machine failed. */
export class CellRunError extends Error {
  readonly kind: 'invalid-input' | 'usage' | 'infrastructure';
  readonly exitCode: number | null;
  constructor(kind: CellRunError['kind'], exitCode: number | null, message: string) {
    super(message);
    this.kind = kind;
    this.exitCode = exitCode;
  }
}

export function runArgs(r: CellRequest): string[] {
  const args = ['run', '--submission', r.submissionDir, '--base-model', r.baseModel, '--benchmark', r.benchmark];
  args.push('--seed', String(r.seed), '--definition', r.definitionVersion, '--out', r.outDir, '--json');
  if (r.runtime) args.push('--runtime', r.runtime);
  if (r.budgetSeconds !== undefined) args.push('--budget-seconds', String(r.budgetSeconds));
  return args;
}

/**
 * Spawns the `ptb run` command line per its contract: exit 0 whenever `<out>/result.json` was
 * written (a missing or broken cell is data), 1 invalid input, 2 usage, 3 infrastructure.
 */
export class CliCellRunner implements CellRunner {
  private readonly command: readonly string[];
  private readonly cwd: string | undefined;
  private readonly env: NodeJS.ProcessEnv;
  private readonly onOutput: (chunk: string) => void;

  /** `env` is the whole environment of `ptb run` (see cellEnvironment); nothing else is inherited. */
  constructor(opts: { command: readonly string[]; env: NodeJS.ProcessEnv; cwd?: string; onOutput?: (chunk: string) => void }) {
    if (opts.command.length === 0) throw new Error('CliCellRunner needs a command, e.g. ["npx", "ptb"]');
    this.command = opts.command;
    this.cwd = opts.cwd;
    this.env = opts.env;
    this.onOutput = opts.onOutput ?? (() => {});
  }

  async run(request: CellRequest): Promise<CellResult> {
    const [bin, ...pre] = this.command as [string, ...string[]];
    const tail: string[] = [];
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(bin, [...pre, ...runArgs(request)], {
        cwd: this.cwd,
        env: this.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const collect = (b: Buffer) => {
        const s = b.toString();
        this.onOutput(s);
        tail.push(s);
        if (tail.length > 50) tail.shift();
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      child.on('error', reject);
      child.on('close', (c, signal) => resolve(signal ? null : c));
    });
    const output = tail.join('').slice(-2000);
    if (code === 1) throw new CellRunError('invalid-input', 1, `ptb run refused the input:\n${output}`);
    if (code === 2) throw new CellRunError('usage', 2, `ptb run usage error (a pipeline bug):\n${output}`);
    if (code !== 0) throw new CellRunError('infrastructure', code, `ptb run failed (exit ${code ?? 'signal'}):\n${output}`);
    const file = join(request.outDir, 'result.json');
    let raw: string;
    try {
      raw = await readFile(file, 'utf8');
    } catch {
      throw new CellRunError('infrastructure', 0, `ptb run exited 0 but wrote no ${file}`);
    }
    const parsed = CellResult.safeParse(JSON.parse(raw));
    if (!parsed.success)
      throw new CellRunError('infrastructure', 0, `${file} is not a valid cell result: ${parsed.error.message}`);
    return parsed.data;
  }
}
