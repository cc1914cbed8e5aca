import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBaseModel } from '@ptb/core';
import { type AgentLaunch, agentLaunch, baselineLaunch, scriptLaunch } from '../agents/adapters.ts';
import { keysFromEnv, PLACEHOLDER_KEY, startLlmProxy } from '../egress/llm-proxy.ts';
import { startEgress } from '../egress/squid.ts';
import { startEvalService } from '../eval-service.ts';
import { fileSha256, sha256 } from '../hash.ts';
import { BUNDLES_DIR, defaultModelCache, modelDirIn } from '../paths.ts';
import { gpuDevices, preflight } from '../preflight.ts';
import { taskPrompt } from '../prompt.ts';
import { makeRedactor, secretsInEnv } from '../redact.ts';
import { createCgroup } from '../sandbox/cgroup.ts';
import type { RuntimeContext } from '../sandbox/runtime.ts';
import { INSIDE, LLM_PORT, PROXY_PORT, type SandboxSpec, toolchain } from '../sandbox/spec.ts';
import type { CellRequest } from '../types.ts';
import { evaluationOf } from '../verify/evaluation.ts';
import { buildWorkspace } from '../workspace.ts';
import { scoreSnapshot } from './collect.ts';
import { type Cell, InputError } from './context.ts';

const CA_BUNDLE_INSIDE = '/etc/ptb/ca-bundle.pem';
const CA_INSIDE = '/etc/ptb/egress-ca.pem';
const VERDICT_NAMES = ['result.json', 'verdict.json', 'integrity.json'];

/** The request's definition, base model, benchmark and evaluator, or an InputError saying what is wrong. */
function resolveRequest(req: CellRequest) {
  const def = req.definition;
  const baseModel = findBaseModel(def, req.baseModel);
  if (!baseModel)
    throw new InputError(
      `base model "${req.baseModel}" is not in definition ${def.version} (known: ${def.baseModels.map((m) => m.id).join(', ')})`,
    );
  const benchmark = def.benchmarks.find((b) => b.id === req.benchmark);
  if (!benchmark)
    throw new InputError(
      `benchmark "${req.benchmark}" is not in definition ${def.version} (known: ${def.benchmarks.map((b) => b.id).join(', ')})`,
    );
  if (req.agent?.kind === 'script' && !existsSync(req.agent.path))
    throw new InputError(`agent script not found: ${req.agent.path}`);
  const evaluation = evaluationOf(benchmark);
  const bundleDir = evaluation.bundle ? join(BUNDLES_DIR, evaluation.bundle) : null;
  if (bundleDir && !existsSync(bundleDir))
    throw new InputError(`benchmark ${benchmark.id}: evaluator bundle "${evaluation.bundle}" is not shipped with the engine`);
  return { def, baseModel, benchmark, evaluation, bundleDir };
}

/**
 * Everything before the agent starts: the request resolved, preflight, a fresh workspace
 * in a scratch folder of the harness, the credential proxy, the evaluation service, the
 * egress proxy, the agent's launch and its cgroup. The returned cell owns all of them;
 * `teardownCell` stops them whatever happened. Throws InputError or PreflightError before
 * anything is started.
 */
export async function prepareCell(req: CellRequest, onStarted: (cell: Cell) => void): Promise<Cell> {
  const jobStart = Date.now();
  const mark = (name: string) => req.onMark?.(name, Date.now());
  mark('job-start');
  const { def, baseModel, benchmark, evaluation, bundleDir } = resolveRequest(req);
  const evaluatorDir = bundleDir ? join(bundleDir, 'evaluator') : null;

  const env = process.env;
  const modelCache = req.modelCacheDir ?? defaultModelCache(env);
  const baseModelDir = modelDirIn(modelCache, baseModel.id);
  const gpuIndex = Number(env.PTB_GPU_INDEX ?? 0);
  const agentImage = req.manifest.agent.image ?? env.PTB_AGENT_IMAGE ?? null;
  const evalImage = env.PTB_EVAL_IMAGE ?? null;
  const readOnlyCache = req.readOnlyCacheDir ?? env.PTB_READONLY_CACHE ?? null;
  // A definition that allows no egress runs with no proxy at all: the sandbox has loopback only.
  const egressAllowed = def.network.allow.length > 0;
  const needs = [...(egressAllowed ? ['squid'] : []), ...(req.runtime === 'bwrap' ? ['socat', 'python3'] : [])];
  if (evaluation.runner === 'inspect' && req.runtime === 'bwrap') needs.push('inspect');
  preflight({
    runtime: req.runtime,
    baseModelDir,
    scratchDir: tmpdir(),
    minFreeDiskBytes: Number(env.PTB_MIN_FREE_DISK_GB ?? 1) * 2 ** 30,
    gpuIndex,
    requireGpu: env.PTB_REQUIRE_GPU === '1',
    expectedGpuModel: def.budget.gpu.model,
    acceptedGpuModels: def.budget.gpu.accept ?? [],
    images: req.runtime === 'bwrap' ? [] : [agentImage, evalImage].filter((x): x is string => Boolean(x)),
    needs,
    readOnlyCache: readOnlyCache
      ? {
          dir: readOnlyCache,
          instructIds: def.baseModels.map((m) => m.instruct.id),
          denyPatterns: def.network.deny.map((d) => d.pattern),
        }
      : null,
  });
  if (req.runtime !== 'bwrap' && (!agentImage || !evalImage))
    throw new InputError(
      `runtime ${req.runtime} needs images pinned by digest: set PTB_AGENT_IMAGE and PTB_EVAL_IMAGE (or agent.image in the manifest)`,
    );

  // Results and verdicts live outside anything the agent can reach; stale ones are removed first.
  const out = req.outDir;
  const logs = join(out, 'logs');
  mkdirSync(logs, { recursive: true });
  for (const name of VERDICT_NAMES) rmSync(join(out, name), { force: true });
  const scratch = mkdtempSync(join(tmpdir(), 'ptb-cell-'));
  // squid runs as the `proxy` user and must reach its log folder inside.
  chmodSync(scratch, 0o711);
  const paths: Cell['paths'] = {
    out,
    logs,
    scratch,
    workspace: join(scratch, 'workspace'),
    harness: join(scratch, 'harness'),
    sockets: join(scratch, 'sock'),
    baseModel: baseModelDir,
    modelCache,
    traceFile: join(logs, 'agent-trace.jsonl'),
    evaluatorLog: join(logs, 'evaluator.log'),
    harnessLlmSocket: join(scratch, 'harness-llm.sock'),
  };
  for (const d of [paths.workspace, paths.harness, paths.sockets]) mkdirSync(d, { recursive: true });

  const keys = { ...keysFromEnv(env), ...req.llmKeys };
  const redact = makeRedactor([...Object.values(keys).filter((k): k is string => Boolean(k)), ...secretsInEnv(env)]);
  const budgetSeconds = req.budgetSeconds ?? def.budget.hours * 3600;
  const gpus = gpuDevices(gpuIndex);
  const prompt = taskPrompt({
    definition: def,
    baseModel,
    benchmark,
    budgetSeconds,
    gpuDescription: gpus.length > 0 ? `One ${def.budget.gpu.model} GPU` : 'No GPU in this run (a CPU-only test configuration)',
  });
  const protectedBefore = await buildWorkspace({
    dir: paths.workspace,
    prompt,
    deadlineEpochSeconds: Math.ceil(Date.now() / 1000) + budgetSeconds,
    defaultLimit: benchmark.agentDefaultLimit,
    taskContextDir: bundleDir ? join(bundleDir, 'task') : null,
    templatesDir: bundleDir ? join(bundleDir, 'templates') : null,
  });

  const runtime = (image: string | null, name: string): RuntimeContext => ({
    kind: req.runtime,
    image: image ?? '',
    name,
    dockerNetwork: null,
  });
  let evaluateCalls = 0;
  const cell: Cell = {
    req,
    def,
    baseModel,
    benchmark,
    evaluation,
    evaluatorDir,
    jobStart,
    mark,
    paths,
    name: `ptb-${req.manifest.id}-${req.seed}-${sha256(scratch).slice(0, 8)}`,
    gpuIndex,
    gpus,
    images: { agent: agentImage, evaluation: evalImage },
    budgetSeconds,
    deadlineMs: Date.now() + budgetSeconds * 1000,
    prompt,
    protectedBefore,
    redact,
    launch: launchFor(req, prompt, paths.harness),
    services: { llm: null, evalService: null, egress: null },
    cgroup: null,
    runtime,
    agentSpec: () => {
      throw new Error('the agent sandbox is not ready');
    },
    evaluateCalls: () => evaluateCalls,
  };
  // From here on, something is running: the caller must be able to tear it down.
  onStarted(cell);

  cell.services.llm = await startLlmProxy({
    harnessSocketPath: paths.harnessLlmSocket,
    socketPath: join(paths.sockets, 'llm.sock'),
    logPath: join(logs, 'llm-proxy.jsonl'),
    keys,
    upstreams: req.llmUpstreams,
    cap: req.llmCap,
  });
  cell.services.evalService = await startEvalService({
    socketPath: join(paths.sockets, 'eval.sock'),
    logPath: join(logs, 'evaluate-calls.jsonl'),
    minIntervalMs: (req.evaluateMinIntervalSeconds ?? 30) * 1000,
    maxLimit: benchmark.dataset.samples,
    evaluate: (limit, signal) => scoreSnapshot(cell, ++evaluateCalls, limit, signal),
  });
  cell.services.egress = egressAllowed
    ? await startEgress(join(scratch, 'egress'), def.network.allow, def.network.deny, {
        ...(env.PTB_EGRESS_UPSTREAM_CA ? { upstreamCa: env.PTB_EGRESS_UPSTREAM_CA } : {}),
      })
    : null;

  for (const f of cell.launch.files) {
    mkdirSync(join(paths.workspace, '.home', f.path, '..'), { recursive: true });
    writeFileSync(join(paths.workspace, '.home', f.path), f.content);
  }
  cell.cgroup = createCgroup(cell.name, {
    pids: Number(env.PTB_PIDS_LIMIT ?? 4096),
    ...(env.PTB_MEMORY_LIMIT_GB ? { memoryBytes: Number(env.PTB_MEMORY_LIMIT_GB) * 2 ** 30 } : {}),
    ...(env.PTB_CPUS ? { cpus: Number(env.PTB_CPUS) } : {}),
  });
  // The deadline counts from here: the agent starts next.
  cell.deadlineMs = Date.now() + budgetSeconds * 1000;
  const timer = join(paths.workspace, 'timer.sh');
  writeFileSync(timer, readFileSync(timer, 'utf8').replace(/^deadline=\d+$/m, `deadline=${Math.ceil(cell.deadlineMs / 1000)}`));
  protectedBefore.set('timer.sh', await fileSha256(timer));
  cell.agentSpec = agentSandbox(cell, readOnlyCache);
  return cell;
}

function launchFor(req: CellRequest, prompt: string, harnessDir: string): AgentLaunch {
  if (req.agent?.kind === 'baseline') return baselineLaunch();
  if (req.agent?.kind === 'script') {
    copyFileSync(req.agent.path, join(harnessDir, 'agent-script'));
    chmodSync(join(harnessDir, 'agent-script'), 0o755);
    return scriptLaunch(`${INSIDE.harness}/agent-script`);
  }
  return agentLaunch(req.manifest, {
    prompt,
    promptPath: `${INSIDE.workspace}/TASK.md`,
    home: `${INSIDE.workspace}/.home`,
  });
}

/** The agent's sandbox: the workspace writable, the base model and harness files read-only, the proxies as its only ways out. */
function agentSandbox(cell: Cell, readOnlyCache: string | null): (argv: string[]) => SandboxSpec {
  const { paths, req, gpus } = cell;
  const egress = cell.services.egress;
  const proxyUrl = `http://127.0.0.1:${PROXY_PORT}`;
  const tools = toolchain(process.env);
  return (argv) => ({
    argv,
    cwd: INSIDE.workspace,
    env: {
      PATH: tools.path,
      HOME: `${INSIDE.workspace}/.home`,
      TMPDIR: '/tmp',
      LANG: 'C.UTF-8',
      ...(egress
        ? {
            HTTP_PROXY: proxyUrl,
            HTTPS_PROXY: proxyUrl,
            http_proxy: proxyUrl,
            https_proxy: proxyUrl,
            // Only the LLM bridge on 127.0.0.1 bypasses squid; every host name goes through it.
            NO_PROXY: '127.0.0.1',
            no_proxy: '127.0.0.1',
            NODE_USE_ENV_PROXY: '1',
          }
        : {}),
      // The proxy opens HTTPS to check paths; the sandbox trusts its one-run CA (and the system's).
      ...(egress?.tls
        ? {
            SSL_CERT_FILE: CA_BUNDLE_INSIDE,
            REQUESTS_CA_BUNDLE: CA_BUNDLE_INSIDE,
            CURL_CA_BUNDLE: CA_BUNDLE_INSIDE,
            PIP_CERT: CA_BUNDLE_INSIDE,
            GIT_SSL_CAINFO: CA_BUNDLE_INSIDE,
            NODE_EXTRA_CA_CERTS: CA_INSIDE,
          }
        : {}),
      HF_HOME: `${INSIDE.workspace}/.home/hf`,
      PTB_BASE_MODEL: INSIDE.baseModel,
      PTB_DEADLINE: String(Math.ceil(cell.deadlineMs / 1000)),
      PTB_LLM_BASE_URL: `http://127.0.0.1:${LLM_PORT}`,
      // Every agent (scripts too) reaches LLM providers only through the credential proxy, with a placeholder key.
      ANTHROPIC_BASE_URL: `http://127.0.0.1:${LLM_PORT}/anthropic`,
      ANTHROPIC_API_KEY: PLACEHOLDER_KEY,
      OPENAI_BASE_URL: `http://127.0.0.1:${LLM_PORT}/openai/v1`,
      OPENAI_API_KEY: PLACEHOLDER_KEY,
      GOOGLE_GEMINI_BASE_URL: `http://127.0.0.1:${LLM_PORT}/google`,
      GEMINI_API_KEY: PLACEHOLDER_KEY,
      // apptainer --nv shows every GPU (select ours); bwrap binds and docker passes only ours (it is GPU 0).
      ...(gpus.length > 0 ? { CUDA_VISIBLE_DEVICES: req.runtime === 'apptainer' ? String(cell.gpuIndex) : '0' } : {}),
      ...cell.launch.env,
    },
    mounts: [
      { host: paths.workspace, target: INSIDE.workspace, mode: 'rw' },
      { host: paths.baseModel, target: INSIDE.baseModel, mode: 'ro' },
      { host: paths.harness, target: INSIDE.harness, mode: 'ro' },
      ...(readOnlyCache ? [{ host: readOnlyCache, target: INSIDE.cache, mode: 'ro' as const }] : []),
      ...tools.mounts,
      ...(egress?.tls
        ? [
            { host: egress.tls.caBundle, target: CA_BUNDLE_INSIDE, mode: 'ro' as const },
            { host: egress.tls.caCert, target: CA_INSIDE, mode: 'ro' as const },
          ]
        : []),
    ],
    sockets: [
      ...(egress ? [{ host: egress.socketPath, target: `${INSIDE.run}/proxy.sock`, mode: 'rw' as const }] : []),
      { host: join(paths.sockets, 'llm.sock'), target: `${INSIDE.run}/llm.sock`, mode: 'rw' },
      { host: join(paths.sockets, 'eval.sock'), target: `${INSIDE.run}/eval.sock`, mode: 'rw' },
    ],
    bridges: [
      ...(egress ? [{ port: PROXY_PORT, socket: `${INSIDE.run}/proxy.sock` }] : []),
      { port: LLM_PORT, socket: `${INSIDE.run}/llm.sock` },
    ],
    gpus,
    limits: {},
    tmpHost: join(paths.workspace, '.tmp'),
    hostname: 'ptb-agent',
  });
}

/** Stops every service of the cell and removes its scratch folder; safe to call on a half-prepared cell, and twice. */
export async function teardownCell(cell: Cell): Promise<void> {
  const { llm, evalService, egress } = cell.services;
  cell.services = { llm: null, evalService: null, egress: null };
  await Promise.allSettled([egress?.stop(), llm?.stop(), evalService?.stop()]);
  cell.cgroup?.killAll();
  cell.cgroup?.remove();
  cell.cgroup = null;
  if (!cell.req.keepWorkspace) rmSync(cell.paths.scratch, { recursive: true, force: true });
  else writeFileSync(join(cell.paths.out, 'workspace-path.txt'), `${cell.paths.workspace}\n`);
}
