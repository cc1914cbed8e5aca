// The workflows as GitHub reads them: parsed and converted by GitHub's own workflow parser
// (@actions/workflow-parser) and every expression evaluated by GitHub's own evaluator
// (@actions/expressions), against real webhook payloads. A test asks "for this event, which jobs
// run, in which concurrency group, with which token, and with which inputs to our actions?" and
// drives the action bundles with exactly those inputs.
import { registerHooks } from 'node:module';

// The parser imports its JSON schema without an import attribute (fine for bundlers, refused by
// Node): add the attribute for that one package's JSON files.
registerHooks({
  load(url, context, next) {
    if (url.includes('/@actions/workflow-parser/') && url.endsWith('.json'))
      return next(url, { ...context, importAttributes: { ...context.importAttributes, type: 'json' } });
    return next(url, context);
  },
});

const parser = await import('@actions/workflow-parser');
const expressions = await import('@actions/expressions');
const { ensureStatusFunction } = await import('@actions/workflow-parser/model/converter/if-condition');
const { truthy } = await import('@actions/expressions/result');
type TemplateToken = import('@actions/workflow-parser/templates/tokens/template-token').TemplateToken;
type EventsConfig = import('@actions/workflow-parser/model/workflow-template').EventsConfig;
type Data = import('@actions/expressions').data.ExpressionData;

type Json = Record<string, unknown>;

export interface StepModel {
  id: string | undefined;
  name: string | undefined;
  uses: string | undefined;
  run: string | undefined;
  if: string;
  with: Record<string, TemplateToken>;
  env: Record<string, TemplateToken>;
}

export interface JobModel {
  id: string;
  needs: string[];
  /** The condition as GitHub runs it (success() && (...) added where no status function is named). */
  if: string;
  environment: TemplateToken | undefined;
  runsOn: TemplateToken | undefined;
  concurrency: TemplateToken | undefined;
  outputs: Record<string, TemplateToken>;
  permissions: unknown;
  timeoutMinutes: unknown;
  steps: StepModel[];
}

export interface WorkflowModel {
  file: string;
  errors: string[];
  events: EventsConfig;
  runName: TemplateToken | undefined;
  concurrency: TemplateToken | undefined;
  permissions: unknown;
  jobs: JobModel[];
}

/** Plain JS of a token tree that holds no expression (permissions, with: literals). */
function literal(t: TemplateToken | undefined): unknown {
  if (!t) return undefined;
  if (parser.isMapping(t)) {
    const out: Json = {};
    for (const { key, value } of t) out[(key as unknown as { value: string }).value ?? String(key)] = literal(value);
    return out;
  }
  if (parser.isSequence(t)) return [...(t as unknown as Iterable<TemplateToken>)].map(literal);
  if (parser.isBasicExpression(t)) return `\${{ ${t.expression} }}`;
  if (parser.isLiteral(t)) return (t as unknown as { value: unknown }).value ?? null;
  return undefined;
}

function mapping(t: TemplateToken | undefined): Record<string, TemplateToken> {
  const out: Record<string, TemplateToken> = {};
  if (t && parser.isMapping(t)) for (const { key, value } of t) out[String((key as unknown as { value: string }).value)] = value;
  return out;
}

/** Parses one workflow; `errors` holds what GitHub would reject the file for. */
export async function loadWorkflow(file: string, content: string): Promise<WorkflowModel> {
  const parsed = parser.parseWorkflow({ name: file, content }, new parser.NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (!parsed.value)
    return { file, errors, events: {}, runName: undefined, concurrency: undefined, permissions: undefined, jobs: [] };
  const template = await parser.convertWorkflowTemplate(parsed.context, parsed.value);
  errors.push(...(template.errors ?? []).map((e) => e.Message));
  const root = mapping(parsed.value);
  const rawJobs = mapping(root.jobs);
  const jobs: JobModel[] = template.jobs.map((j) => {
    const id = j.id.value;
    const raw = mapping(rawJobs[id]);
    const steps =
      rawJobs[id] && raw.steps && parser.isSequence(raw.steps) ? [...(raw.steps as unknown as Iterable<TemplateToken>)] : [];
    const job = j as typeof j & { environment?: TemplateToken; 'runs-on'?: TemplateToken };
    return {
      id,
      needs: (j.needs ?? []).map((n) => n.value),
      if: j.if?.expression ?? 'success()',
      environment: job.environment,
      runsOn: job['runs-on'],
      concurrency: j.concurrency,
      outputs: mapping(j.outputs),
      permissions: literal(raw.permissions),
      timeoutMinutes: literal(raw['timeout-minutes']),
      steps: steps.map((s) => {
        const m = mapping(s);
        const cond = m.if ? (parser.isBasicExpression(m.if) ? m.if.expression : String(literal(m.if))) : 'success()';
        return {
          id: literal(m.id) as string | undefined,
          name: literal(m.name) as string | undefined,
          uses: literal(m.uses) as string | undefined,
          run: literal(m.run) as string | undefined,
          if: ensureStatusFunction(cond, undefined),
          with: mapping(m.with),
          env: mapping(m.env),
        };
      }),
    };
  });
  return {
    file,
    errors,
    events: template.events,
    runName: root['run-name'],
    concurrency: template.concurrency,
    permissions: literal(root.permissions),
    jobs,
  };
}

export interface Contexts {
  github: Json;
  needs?: Record<string, { result: string; outputs: Record<string, string> }>;
  inputs?: Record<string, string>;
  vars?: Record<string, string>;
  secrets?: Record<string, string>;
  steps?: Record<string, { outputs: Record<string, string>; outcome?: string; conclusion?: string }>;
  runner?: Json;
  env?: Record<string, string>;
  matrix?: Json;
  strategy?: Json;
  job?: Json;
  /** For status functions: the results of the jobs this one needs (job level) or of earlier steps (step level). */
  status?: { success: boolean; failed: boolean; cancelled: boolean };
}

const CONTEXT_NAMES = ['github', 'needs', 'inputs', 'vars', 'secrets', 'steps', 'runner', 'env', 'matrix', 'strategy', 'job'];

function toData(value: unknown): Data {
  return JSON.parse(JSON.stringify(value ?? null), expressions.data.reviver) as Data;
}

function fromData(d: Data): unknown {
  return JSON.parse(JSON.stringify(d, expressions.data.replacer));
}

/** Evaluates one expression (without `${{ }}`) with GitHub's evaluator. */
export function evaluate(expression: string, ctx: Contexts): Data {
  const lexed = new expressions.Lexer(expression).lex();
  const status = ctx.status ?? { success: true, failed: false, cancelled: false };
  const fn = (name: string, value: () => boolean) => ({
    name,
    minArgs: 0,
    maxArgs: 0,
    call: () => toData(value()),
  });
  const funcs = [
    fn('success', () => status.success),
    fn('always', () => true),
    fn('failure', () => status.failed),
    fn('cancelled', () => status.cancelled),
  ];
  const ast = new expressions.Parser(lexed.tokens, CONTEXT_NAMES, funcs).parse();
  const dict = toData(
    Object.fromEntries(CONTEXT_NAMES.map((n) => [n, (ctx as unknown as Record<string, unknown>)[n] ?? {}])),
  ) as import('@actions/expressions').data.Dictionary;
  return new expressions.Evaluator(ast, dict, new Map(funcs.map((f) => [f.name, f]))).evaluate();
}

export const isTrue = (expression: string, ctx: Contexts): boolean => truthy(evaluate(expression, ctx));

/** A token's value as the runner sees it: expressions evaluated, mappings and sequences as JS. */
export function tokenValue(t: TemplateToken | undefined, ctx: Contexts): unknown {
  if (!t) return undefined;
  if (parser.isBasicExpression(t)) return fromData(evaluate(t.expression, ctx));
  if (parser.isMapping(t)) {
    const out: Json = {};
    for (const { key, value } of t) out[String(tokenValue(key as unknown as TemplateToken, ctx))] = tokenValue(value, ctx);
    return out;
  }
  if (parser.isSequence(t)) return [...(t as unknown as Iterable<TemplateToken>)].map((x) => tokenValue(x, ctx));
  return literal(t);
}

/** What an input or output string becomes: objects as JSON, everything else as text. */
export function asString(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

// ---- triggers --------------------------------------------------------------------------------

/** GitHub's filter patterns for branches: `*` within a segment, `**` across, `?`, and `!` negations in order. */
export function matchesFilter(patterns: readonly string[], value: string): boolean {
  let matched = false;
  for (const p of patterns) {
    const negate = p.startsWith('!');
    const body = negate ? p.slice(1) : p;
    const source = body
      .split('**')
      .map((part) =>
        part
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '[^/]*')
          .replace(/\?/g, '.'),
      )
      .join('.*');
    const re = new RegExp(`^${source}$`);
    if (re.test(value)) matched = !negate;
  }
  return matched;
}

/** Does this workflow start a run for this event? (types and branch filters; paths are the caller's.) */
export function triggers(wf: WorkflowModel, eventName: string, payload: Json, changedPaths?: readonly string[]): boolean {
  const config = (wf.events as Record<string, unknown>)[eventName] as
    | { types?: string[]; branches?: string[]; 'branches-ignore'?: string[]; paths?: string[] }
    | undefined;
  if (config === undefined) return false;
  const c = config ?? {};
  if (c.types && !c.types.includes(String(payload.action))) return false;
  const branch =
    eventName === 'pull_request' || eventName === 'pull_request_target'
      ? String(((payload.pull_request as Json)?.base as Json)?.ref ?? '')
      : eventName === 'push'
        ? String(payload.ref ?? '').replace(/^refs\/heads\//, '')
        : undefined;
  if (branch !== undefined && c.branches && !matchesFilter(c.branches, branch)) return false;
  if (branch !== undefined && c['branches-ignore'] && matchesFilter(c['branches-ignore'], branch)) return false;
  if (c.paths && changedPaths && !changedPaths.some((p) => matchesFilter(c.paths ?? [], p))) return false;
  return true;
}

// ---- one run -------------------------------------------------------------------------------

export interface EventInput {
  name: string;
  payload: Json;
  runId?: number;
  runAttempt?: number;
  /** workflow_dispatch inputs. */
  inputs?: Record<string, string>;
}

export const VARS = { PTB_APP_CLIENT_ID: 'Iv23test' };
export const SECRETS = {
  GITHUB_TOKEN: 'ghs_workflow_token',
  PTB_APP_PRIVATE_KEY: '-----BEGIN RSA PRIVATE KEY-----test',
  PTB_PROVIDER_KEYS: 'ANTHROPIC_API_KEY=sk-ant-from-secret',
};

export function githubContext(ev: EventInput, wf: WorkflowModel): Json {
  const repo = (ev.payload.repository as Json) ?? {};
  return {
    event_name: ev.name,
    event: ev.payload,
    run_id: String(ev.runId ?? 4242),
    run_attempt: String(ev.runAttempt ?? 1),
    repository: repo.full_name ?? 'ptb-org/leaderboard',
    repository_owner: (repo.owner as Json)?.login ?? 'ptb-org',
    actor: (ev.payload.sender as Json)?.login ?? '',
    ref: `refs/heads/${repo.default_branch ?? 'main'}`,
    token: SECRETS.GITHUB_TOKEN,
    workflow: wf.file,
    server_url: 'https://github.com',
    api_url: 'https://api.github.com',
  };
}

export interface JobPlan {
  id: string;
  runs: boolean;
  concurrency: { group: string; cancelInProgress: boolean } | null;
  environment: string | null;
  runsOn: unknown;
  permissions: unknown;
  /** Inputs of each `uses: ./actions/<name>` step, evaluated. */
  actions: { name: string; stepId: string | undefined; with: Record<string, string>; env: Record<string, string> }[];
  /** Evaluates the job's `outputs:` once its steps' outputs are known. */
  outputs: (steps: Record<string, Record<string, string>>) => Record<string, string>;
  /** Evaluates a step's `with:` with the given step outputs (for steps after others). */
  stepWith: (
    index: number,
    steps?: Record<string, Record<string, string>>,
    status?: Contexts['status'],
  ) => Record<string, string>;
  stepRuns: (index: number, status: NonNullable<Contexts['status']>) => boolean;
  steps: StepModel[];
}

/** The workflow-level concurrency group of a run, or null when there is none. */
export function runConcurrency(wf: WorkflowModel, ev: EventInput): { group: string; cancelInProgress: boolean } | null {
  return concurrencyOf(wf.concurrency, { github: githubContext(ev, wf), inputs: ev.inputs ?? {}, vars: VARS });
}

function concurrencyOf(t: TemplateToken | undefined, ctx: Contexts) {
  if (!t) return null;
  const v = tokenValue(t, ctx);
  if (typeof v === 'string') return { group: v.trim(), cancelInProgress: false };
  const o = v as Json;
  return { group: String(o.group ?? '').trim(), cancelInProgress: o['cancel-in-progress'] === true };
}

/**
 * Plans one job of a run: whether its `if:` lets it run given the results of the jobs it needs,
 * and (when it runs) its concurrency, environment, runner labels, token permissions and the
 * inputs its local actions get.
 */
export function planJob(
  wf: WorkflowModel,
  jobId: string,
  ev: EventInput,
  needs: Record<string, { result: string; outputs: Record<string, string> }> = {},
  runnerTemp = '/home/runner/work/_temp',
): JobPlan {
  const job = wf.jobs.find((j) => j.id === jobId);
  if (!job) throw new Error(`${wf.file} has no job ${jobId}`);
  const mine = Object.fromEntries(job.needs.map((n) => [n, needs[n] ?? { result: 'skipped', outputs: {} }]));
  const results = Object.values(mine).map((n) => n.result);
  const ctx: Contexts = {
    github: githubContext(ev, wf),
    needs: mine,
    inputs: ev.inputs ?? {},
    vars: VARS,
    secrets: SECRETS,
    runner: { temp: runnerTemp, os: 'Linux', arch: 'X64' },
    // success() needs every needed job to have succeeded (a skipped one too makes it false), as on GitHub.
    status: {
      success: results.every((r) => r === 'success'),
      failed: results.includes('failure'),
      cancelled: results.includes('cancelled'),
    },
  };
  const runs = isTrue(job.if, ctx);
  const stepCtx = (steps: Record<string, Record<string, string>> = {}, status?: Contexts['status']): Contexts => ({
    ...ctx,
    status: status ?? { success: true, failed: false, cancelled: false },
    steps: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, { outputs: v }])),
  });
  const stepWith = (i: number, steps: Record<string, Record<string, string>> = {}, status?: Contexts['status']) => {
    const s = job.steps[i];
    return Object.fromEntries(
      Object.entries(s?.with ?? {}).map(([k, t]) => [k, asString(tokenValue(t, stepCtx(steps, status)))]),
    );
  };
  return {
    id: jobId,
    runs,
    concurrency: concurrencyOf(job.concurrency, ctx),
    environment: job.environment
      ? asString((tokenValue(job.environment, ctx) as Json)?.name ?? tokenValue(job.environment, ctx)) || null
      : null,
    runsOn: tokenValue(job.runsOn, ctx),
    permissions: job.permissions,
    actions: job.steps.flatMap((s, i) => {
      const name = /^\.\/actions\/(.+)$/.exec(s.uses ?? '')?.[1];
      if (!name) return [];
      let withValues: Record<string, string>;
      try {
        withValues = stepWith(i);
      } catch {
        withValues = {};
      }
      const env = Object.fromEntries(Object.entries(s.env).map(([k, t]) => [k, asString(tokenValue(t, stepCtx()))]));
      return [{ name, stepId: s.id, with: withValues, env }];
    }),
    outputs: (steps) =>
      Object.fromEntries(Object.entries(job.outputs).map(([k, t]) => [k, asString(tokenValue(t, stepCtx(steps)))])),
    stepWith,
    stepRuns: (i, status) => isTrue(job.steps[i]?.if ?? 'success()', stepCtx({}, status)),
    steps: job.steps,
  };
}

/** The run name GitHub shows (and /ptb cancel and the dispatcher find runs by). */
export function runName(wf: WorkflowModel, ev: EventInput): string {
  return asString(tokenValue(wf.runName, { github: githubContext(ev, wf), inputs: ev.inputs ?? {}, vars: VARS }));
}
