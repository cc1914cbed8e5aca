import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBaseModel, type IntegrityFinding } from '@ptb/core';
import { AdapterError, type AgentLaunch, agentLaunch, baselineLaunch, scriptLaunch } from '../agents/adapters.ts';
import { agentToolchain, scaffoldProblem } from '../agents/install.ts';
import { CappedLog } from '../capped-log.ts';
import { keysFromEnv, PLACEHOLDER_KEY, startLlmProxy } from '../egress/llm-proxy.ts';
import { launchEgress } from '../egress/squid.ts';
import { startEvalService } from '../eval-service.ts';
import { fileSha256, sha256 } from '../hash.ts';
import { cellTestItems } from '../integrity/test-items.ts';
import { BUNDLES_DIR, defaultModelCache, ENGINE_DIR, modelDirIn } from '../paths.ts';
import { gpuDevices, PreflightError, preflight, sandboxProblems } from '../preflight.ts';
import { taskPrompt } from '../prompt.ts';
import { cellProvenance, type Provenance } from '../provenance.ts';
import { makeRedactor, secretsInEnv } from '../redact.ts';
import { type Cgroup, createCgroup, defaultMemoryBytes, type Limits, unenforced } from '../sandbox/cgroup.ts';
import { giveTo, identityFiles, type SandboxUser, sandboxUser } from '../sandbox/identity.ts';
import { DiskLimitError, makeScratchFs, removeTree } from '../sandbox/scratch-fs.ts';
import { seccompBytes } from '../sandbox/seccomp.ts';
import { INSIDE, LLM_PORT, type Mount, PROXY_PORT, type SandboxSpec, toolchain } from '../sandbox/spec.ts';
import type { CellRequest } from '../types.ts';
import { evaluationEnvironment, evaluatorPreflight, type TestItemsRead } from '../verify/environment.ts';
import { evaluationOf } from '../verify/evaluation.ts';
import { evalEnvMounts } from '../verify/verifier.ts';
import { buildWorkspace } from '../workspace.ts';
import { scoreSnapshot } from './collect.ts';
import { type Cell, InputError } from './context.ts';

const EVALUATOR_LOG_CAP_BYTES = 32 * 2 ** 20;
const EGRESS_LOG_CAP_BYTES = 256 * 2 ** 20;
const DEFAULT_DISK_GB = 200;
const DEFAULT_PIDS = 4096;
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
  const evalEnvironment = evaluationEnvironment(process.env);
  const inspectOnHost = evaluation.runner === 'inspect' && req.runtime === 'bwrap';
  // Inspect tasks are ours or inspect_evals'; a bundle beside them only gives the agent its task context.
  const evaluatorDir =
    evaluation.runner === 'inspect' ? evalEnvironment.evaluatorsDir : bundleDir ? join(bundleDir, 'evaluator') : null;
  return { def, baseModel, benchmark, evaluation, bundleDir, evaluatorDir, evalEnvironment, inspectOnHost };
}

/** Which limits the operator accepts unenforced on this machine (PTB_UNENFORCED_LIMITS=pids,memory,cpu,disk): a laptop, never a runner. */
function acceptedUnenforced(env: NodeJS.ProcessEnv): Set<string> {
  return new Set(
    (env.PTB_UNENFORCED_LIMITS ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );
}

/** The limits of the agent's sandbox: the request's, else the environment's, else the definition's budget, else defaults. */
function sandboxLimits(req: CellRequest, env: NodeJS.ProcessEnv): Required<Limits> & { diskBytes: number } {
  const budget = req.definition.budget;
  const gb = (v: string | undefined) => (v ? Number(v) * 2 ** 30 : undefined);
  return {
    pids: req.limits?.pids ?? (env.PTB_PIDS_LIMIT ? Number(env.PTB_PIDS_LIMIT) : undefined) ?? budget.pids ?? DEFAULT_PIDS,
    memoryBytes:
      req.limits?.memoryBytes ??
      gb(env.PTB_MEMORY_LIMIT_GB) ??
      (budget.memoryGB ? budget.memoryGB * 2 ** 30 : undefined) ??
      defaultMemoryBytes(),
    cpus: env.PTB_CPUS ? Number(env.PTB_CPUS) : 0,
    diskBytes: req.limits?.diskBytes ?? gb(env.PTB_DISK_LIMIT_GB) ?? (budget.diskGB ?? DEFAULT_DISK_GB) * 2 ** 30,
  };
}

/**
 * A cgroup with the limits, or a PreflightError when one cannot be enforced (unless the
 * operator accepted that, which becomes a finding): a limit never silently does nothing.
 */
function limitedCgroup(name: string, limits: Limits, accepted: Set<string>, findings: IntegrityFinding[]): Cgroup | null {
  const cgroup = createCgroup(name, limits);
  const missing = unenforced(limits, cgroup).filter((l) => !accepted.has(l.split(' ')[0] as string));
  if (missing.length > 0) {
    cgroup?.remove();
    throw new PreflightError([
      `these limits of the sandbox cannot be enforced here: ${missing.join(', ')}. Run the harness as root, or give its user a delegated cgroup (PTB_CGROUP_PARENT, e.g. systemd Delegate=yes); on a development machine PTB_UNENFORCED_LIMITS=pids,memory,cpu accepts that knowingly`,
    ]);
  }
  const lost = unenforced(limits, cgroup);
  const summary = `limits not enforced on this machine (accepted by the operator): ${lost.join(', ')}`;
  // The agent's and the verifier's groups have the same limits: one finding says it for both.
  if (lost.length > 0 && !findings.some((f) => f.summary === summary))
    findings.push({ check: 'harness', severity: 'warning', summary, evidence: ['PTB_UNENFORCED_LIMITS'] });
  return cgroup;
}

/**
 * Everything before the agent starts: the request resolved, preflight, a fresh workspace
 * on a size-capped filesystem, the credential proxy, the evaluation service, the egress
 * proxy, the agent's launch, its user, seccomp program and cgroups. The returned cell owns
 * all of them; `teardownCell` stops them whatever happened. Throws InputError or
 * PreflightError before the agent can start.
 */
export async function prepareCell(req: CellRequest, onStarted: (cell: Cell) => void): Promise<Cell> {
  const jobStart = Date.now();
  const marks: Cell['marks'] = [];
  const mark = (name: string) => {
    const at = Date.now();
    marks.push({ name, afterMs: at - jobStart });
    req.onMark?.(name, at);
  };
  mark('job-start');
  const { def, baseModel, benchmark, evaluation, bundleDir, evaluatorDir, evalEnvironment, inspectOnHost } = resolveRequest(req);

  const env = process.env;
  const modelCache = req.modelCacheDir ?? defaultModelCache(env);
  const baseModelDir = modelDirIn(modelCache, baseModel.id);
  const gpuIndex = Number(env.PTB_GPU_INDEX ?? 0);
  const agentImage = req.manifest.agent.image ?? env.PTB_AGENT_IMAGE ?? null;
  const evalImage = env.PTB_EVAL_IMAGE ?? null;
  const readOnlyCache = req.readOnlyCacheDir ?? env.PTB_READONLY_CACHE ?? null;
  const user = sandboxUser(env, gpuIndex);
  const limits = sandboxLimits(req, env);
  const accepted = acceptedUnenforced(env);
  // A definition that allows no egress runs with no proxy at all: the sandbox has loopback only.
  const egressAllowed = def.network.allow.length > 0;
  const needs = [...(egressAllowed ? ['squid'] : []), ...(req.runtime === 'bwrap' ? ['socat', 'python3'] : [])];
  // The machine's and the sandbox's checks run beside the cell's setup (their slow parts are
  // nvidia-smi, a user-namespace probe and readability walks); the agent starts only after
  // both answered, and a problem found there ends the cell as a preflight error.
  const machine = preflight({
    runtime: req.runtime,
    baseModelDir,
    scratchDir: env.PTB_SCRATCH_DIR ?? tmpdir(),
    // The workspace image is sparse: the host must have room for all of it to fill up.
    minFreeDiskBytes: Math.max(Number(env.PTB_MIN_FREE_DISK_GB ?? 1) * 2 ** 30, env.PTB_SCRATCH_DIR ? 0 : limits.diskBytes),
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
          deny: def.network.deny,
        }
      : null,
  });
  machine.catch(() => {}); // awaited below, after the setup it overlaps
  // The evaluator resolves and its data are present offline, before any agent time is spent.
  const evaluatorChecks = inspectOnHost
    ? evaluatorPreflight(benchmark, baseModel.family, evalEnvironment)
    : Promise.resolve({ problems: [], reused: false });
  evaluatorChecks.catch(() => {}); // awaited below
  // A problem of the submission found here is reported after the machine's own, if any:
  // those are the runner's fault, and the cell is retried elsewhere.
  const { agentTools, sandboxChecks } = await machineFirst(machine, () => {
    if (!req.agent) {
      // The manifest's scaffold must be runnable here (right version installed, options it understands) before anything starts.
      try {
        agentLaunch(req.manifest, { prompt: '', promptPath: '', home: '' });
      } catch (e) {
        if (e instanceof AdapterError) throw new InputError(`${req.manifest.agent.scaffold}: ${e.message}`);
        throw e;
      }
      const problem = scaffoldProblem(req.manifest.agent.scaffold, req.manifest.agent.version, req.runtime, env);
      if (problem?.fault === 'input') throw new InputError(problem.message);
      if (problem) throw new PreflightError([problem.message]);
    }
    if (req.runtime !== 'bwrap' && (!agentImage || !evalImage))
      throw new InputError(
        `runtime ${req.runtime} needs images pinned by digest: set PTB_AGENT_IMAGE and PTB_EVAL_IMAGE (or agent.image in the manifest)`,
      );
    const tools = toolchain(env);
    // The scaffold CLIs and (under bwrap) a Node binary for them, read-only.
    const agentTools = req.agent ? { mounts: [], path: [] } : agentToolchain(req.runtime, env);
    const sandboxChecks = sandboxProblems({
      user,
      runtime: req.runtime,
      readable: [baseModelDir, ...(evaluatorDir ? [evaluatorDir] : [])],
      reachable: [
        ...(inspectOnHost ? [evalEnvironment.dataDir] : []),
        ...(readOnlyCache ? [readOnlyCache] : []),
        ...tools.mounts.map((m) => m.host),
        ...agentTools.mounts.map((m) => m.host),
        ...(inspectOnHost ? [...evalEnvMounts(evalEnvironment.evalEnv).map((m) => m.host), ...evalEnvironment.pythonPath] : []),
      ],
    });
    return { agentTools, sandboxChecks };
  });
  sandboxChecks.catch(() => {}); // awaited below

  let asked: Promise<Provenance> | undefined;
  const provenance = () => (asked ??= cellProvenance(ENGINE_DIR, req.runtime, { agent: agentImage, evaluation: evalImage }));
  let itemsAsked: Promise<TestItemsRead> | undefined;
  const testItems = () =>
    (itemsAsked ??= cellTestItems({ bundle: evaluation.bundle ?? null, inspectOnHost, benchmark, evalEnvironment }).then(
      (read) => {
        mark('test-items-read');
        return read;
      },
      (e: unknown): TestItemsRead => ({ kind: 'unreadable', why: e instanceof Error ? e.message : String(e) }),
    ));

  // Results and verdicts live outside anything the agent can reach; stale ones are removed first.
  const out = req.outDir;
  const logs = join(out, 'logs');
  mkdirSync(logs, { recursive: true });
  for (const name of VERDICT_NAMES) rmSync(join(out, name), { force: true });
  const scratch = mkdtempSync(join(tmpdir(), 'ptb-cell-'));
  // The sandbox user and squid (the `proxy` user) must reach folders inside; nobody may list it.
  chmodSync(scratch, 0o711);
  const budgetSeconds = req.budgetSeconds ?? def.budget.hours * 3600;
  const keys = { ...keysFromEnv(env), ...req.llmKeys };
  const redact = makeRedactor([...Object.values(keys).filter((k): k is string => Boolean(k)), ...secretsInEnv(env)]);
  const harnessFindings: IntegrityFinding[] = [];
  let evaluateCalls = 0;
  // The agent's sandbox ends when the runner cancels, or when a service fails under it.
  const abort = new AbortController();
  if (req.signal) {
    if (req.signal.aborted) abort.abort();
    else req.signal.addEventListener('abort', () => abort.abort(), { once: true });
  }
  const cell: Cell = {
    req,
    def,
    baseModel,
    benchmark,
    evaluation,
    evaluatorDir,
    inspectOnHost,
    evalEnvironment,
    jobStart,
    mark,
    marks,
    provenance,
    testItems,
    paths: {
      out,
      logs,
      scratch,
      workspace: join(scratch, 'fs', 'workspace'),
      harness: join(scratch, 'harness'),
      sockets: join(scratch, 'sock'),
      baseModel: baseModelDir,
      modelCache,
      traceFile: join(logs, 'agent-trace.jsonl'),
      evaluatorLog: join(logs, 'evaluator.log'),
      harnessLlmSocket: join(scratch, 'harness-llm.sock'),
    },
    name: `ptb-${req.manifest.id}-${req.seed}-${sha256(scratch).slice(0, 8)}`,
    gpuIndex,
    gpus: gpuDevices(gpuIndex),
    images: { agent: agentImage, evaluation: evalImage },
    budgetSeconds,
    deadlineMs: Date.now() + budgetSeconds * 1000,
    prompt: '',
    protectedBefore: new Map(),
    redact,
    launch: baselineLaunch(),
    services: { llm: null, evalService: null, egress: null },
    cgroup: null,
    verifyCgroup: null,
    user,
    scratchFs: null,
    evaluatorLog: new CappedLog(join(logs, 'evaluator.log'), EVALUATOR_LOG_CAP_BYTES),
    harnessFindings,
    stopWatchdogs: () => {},
    signal: abort.signal,
    harnessFault: null,
    egressReady: null,
    runtime: (image, name) => ({
      kind: req.runtime,
      image: image ?? '',
      name,
      dockerNetwork: null,
      user,
      seccompFile: req.runtime === 'bwrap' ? join(scratch, 'seccomp.bpf') : null,
    }),
    agentSpec: () => {
      throw new Error('the agent sandbox is not ready');
    },
    evaluateCalls: () => evaluateCalls,
  };
  // From here on, something exists on disk or runs: the caller must be able to tear it down.
  onStarted(cell);
  const { paths } = cell;
  // The harness's folders are in the scratch folder, never on the agent's filesystem.
  mkdirSync(paths.harness, { recursive: true });
  mkdirSync(paths.sockets, { mode: 0o711 });
  writeFileSync(join(scratch, 'seccomp.bpf'), seccompBytes(), { mode: 0o644 });
  const etc = identityFiles(paths.harness, user);

  // Every problem found is reported at once: the machine's, the evaluator's, the sandbox's.
  const checked = Promise.allSettled([
    machine.then(() => mark('preflight-machine')),
    evaluatorChecks.then(({ problems, reused }) => {
      mark(reused ? 'preflight-evaluator-reused' : 'preflight-evaluator');
      return problems.map((p) => `evaluator of ${benchmark.id}: ${p}`);
    }),
    sandboxChecks.finally(() => mark('preflight-sandbox')),
  ]).then((settled) => {
    const problems: string[] = [];
    for (const r of settled) {
      if (r.status === 'fulfilled') problems.push(...(r.value ?? []));
      else if (r.reason instanceof PreflightError) problems.push(...r.reason.problems);
      else throw r.reason;
    }
    if (problems.length > 0) throw new PreflightError(problems);
  });
  // The size-capped filesystem, then the workspace on it.
  const built = (async () => {
    try {
      cell.scratchFs = await makeScratchFs({
        scratch,
        capBytes: limits.diskBytes,
        env,
        allowUnenforced: accepted.has('disk'),
      });
    } catch (e) {
      if (e instanceof DiskLimitError) throw new PreflightError([e.message]);
      throw e;
    }
    if (cell.scratchFs.enforcement === 'none')
      harnessFindings.push({
        check: 'harness',
        severity: 'warning',
        summary: 'limits not enforced on this machine (accepted by the operator): disk',
        evidence: ['PTB_UNENFORCED_LIMITS', ...(cell.scratchFs.problem ? [cell.scratchFs.problem] : [])],
      });
    mark('workspace-filesystem');
    paths.workspace = join(cell.scratchFs.dir, 'workspace');
    req.onScratch?.(scratch, paths.workspace);
    mkdirSync(paths.workspace, { recursive: true });
    const gpus = cell.gpus;
    cell.prompt = taskPrompt({
      definition: def,
      baseModel,
      benchmark,
      budgetSeconds,
      gpuDescription: gpus.length > 0 ? `One ${def.budget.gpu.model} GPU` : 'No GPU in this run (a CPU-only test configuration)',
    });
    cell.protectedBefore = await buildWorkspace({
      dir: paths.workspace,
      prompt: cell.prompt,
      deadlineEpochSeconds: Math.ceil(Date.now() / 1000) + budgetSeconds,
      defaultLimit: benchmark.agentDefaultLimit,
      taskContextDir: bundleDir ? join(bundleDir, 'task') : null,
      // v1: the fixed chat templates of the families, from the evaluation data cache.
      templatesDir: bundleDir ? join(bundleDir, 'templates') : inspectOnHost ? join(evalEnvironment.dataDir, 'templates') : null,
    });
    cell.launch = launchFor(req, cell.prompt, paths.harness);
    for (const f of cell.launch.files) {
      mkdirSync(join(paths.workspace, '.home', f.path, '..'), { recursive: true });
      writeFileSync(join(paths.workspace, '.home', f.path), f.content);
    }
    mark('workspace-built');
  })();
  // The services start at once too: squid's start is most of a cell's setup. Each is recorded
  // as it comes up, so a failure anywhere still tears down what did start.
  const services = allFinished([
    startLlmProxy({
      harnessSocketPath: paths.harnessLlmSocket,
      socketPath: join(paths.sockets, 'llm.sock'),
      logPath: join(logs, 'llm-proxy.jsonl'),
      keys,
      upstreams: req.llmUpstreams,
      cap: req.llmCap,
    }).then((s) => {
      cell.services.llm = s;
    }),
    startEvalService({
      socketPath: join(paths.sockets, 'eval.sock'),
      logPath: join(logs, 'evaluate-calls.jsonl'),
      minIntervalMs: (req.evaluateMinIntervalSeconds ?? 30) * 1000,
      maxLimit: benchmark.dataset.samples,
      evaluate: (limit, drawSeed, signal) => scoreSnapshot(cell, ++evaluateCalls, limit, drawSeed, signal),
    }).then((s) => {
      cell.services.evalService = s;
    }),
    // squid is not waited for: its socket holds connections until it listens. If it never
    // does, the agent is stopped and the run is the harness's error.
    egressAllowed
      ? launchEgress(join(scratch, 'egress'), def.network.allow, def.network.deny, {
          ...(env.PTB_EGRESS_UPSTREAM_CA ? { upstreamCa: env.PTB_EGRESS_UPSTREAM_CA } : {}),
        }).then(({ egress, ready }) => {
          cell.services.egress = egress;
          cell.egressReady = ready.then(
            () => undefined,
            (e: unknown) => {
              cell.harnessFault = `the egress proxy did not start: ${e instanceof Error ? e.message : String(e)}`;
              abort.abort();
            },
          );
        })
      : null,
  ]);
  // Everything settles before anything is reported, so teardown finds each part finished. A
  // preflight problem comes first: a missing tool also fails the service that needed it.
  await allFinished([checked, built, services]);
  mark('services-up');
  // The sockets are the sandbox's only ways out: its user (and nobody else) may connect.
  const sockets = [join(paths.sockets, 'llm.sock'), join(paths.sockets, 'eval.sock'), cell.services.egress?.socketPath];
  for (const socket of sockets) if (socket) shareWith(user, socket);

  const cgroupLimits: Limits = {
    pids: limits.pids,
    memoryBytes: limits.memoryBytes,
    ...(limits.cpus ? { cpus: limits.cpus } : {}),
  };
  cell.cgroup = limitedCgroup(cell.name, cgroupLimits, accepted, harnessFindings);
  cell.verifyCgroup = limitedCgroup(`${cell.name}-verify`, cgroupLimits, accepted, harnessFindings);
  // Everything the agent may write is its user's; the harness's own files stay the harness's.
  giveTo(user, paths.workspace);
  cell.stopWatchdogs = startWatchdogs(cell);
  mark('limits-set');

  // The deadline counts from here: the agent starts next.
  cell.deadlineMs = Date.now() + budgetSeconds * 1000;
  const timer = join(paths.workspace, 'timer.sh');
  writeFileSync(timer, readFileSync(timer, 'utf8').replace(/^deadline=\d+$/m, `deadline=${Math.ceil(cell.deadlineMs / 1000)}`));
  cell.protectedBefore.set('timer.sh', await fileSha256(timer));
  cell.agentSpec = agentSandbox(cell, readOnlyCache, etc, agentTools);
  return cell;
}

/** Runs the checks of the request; when one fails, the machine's preflight is awaited first, and its failure wins. */
async function machineFirst<T>(machine: Promise<unknown>, checks: () => T): Promise<T> {
  try {
    return checks();
  } catch (e) {
    await machine;
    throw e;
  }
}

/** Waits for every part, even after one failed (none may still be starting at teardown); then the first failure, if any. */
async function allFinished(parts: readonly (Promise<unknown> | null)[]): Promise<void> {
  for (const r of await Promise.allSettled(parts)) if (r.status === 'rejected') throw r.reason;
}

/** A socket only the sandbox user (and the harness) may connect to. */
function shareWith(user: SandboxUser | null, socket: string): void {
  if (user) chownSync(socket, user.uid, user.gid);
  chmodSync(socket, 0o600);
}

/**
 * Checks that run beside the agent: the egress log may not grow past its cap (a flood of
 * requests would otherwise fill the harness's disk): at the cap, egress is stopped for the
 * rest of the run and a finding says so.
 */
function startWatchdogs(cell: Cell): () => void {
  const accessLog = join(cell.paths.scratch, 'egress', 'access.log');
  const timer = setInterval(() => {
    const egress = cell.services.egress;
    if (!egress) return;
    let size = 0;
    try {
      size = statSync(accessLog).size;
    } catch {
      return;
    }
    if (size < EGRESS_LOG_CAP_BYTES) return;
    cell.services.egress = null;
    void egress.stop();
    cell.harnessFindings.push({
      check: 'egress-flood',
      severity: 'warning',
      summary: `the egress log reached ${EGRESS_LOG_CAP_BYTES} bytes: egress was stopped for the rest of the run`,
      evidence: [],
    });
  }, 2000);
  timer.unref();
  return () => clearInterval(timer);
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
function agentSandbox(
  cell: Cell,
  readOnlyCache: string | null,
  etc: { passwd: string; group: string },
  agentTools: { mounts: Mount[]; path: string[] },
): (argv: string[]) => SandboxSpec {
  const { paths, req, gpus } = cell;
  const egress = cell.services.egress;
  const proxyUrl = `http://127.0.0.1:${PROXY_PORT}`;
  const tools = toolchain(process.env);
  return (argv) => ({
    argv,
    cwd: INSIDE.workspace,
    env: {
      PATH: [...agentTools.path, tools.path].join(':'),
      HOME: `${INSIDE.workspace}/.home`,
      USER: 'agent',
      LOGNAME: 'agent',
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
      ...agentTools.mounts,
      // The sandbox user's own passwd and group entries, in place of the host's.
      { host: etc.passwd, target: '/etc/passwd', mode: 'ro' as const },
      { host: etc.group, target: '/etc/group', mode: 'ro' as const },
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

/**
 * A copy of the workspace in the output folder, for people who asked to keep it: links
 * copied as links, no setuid or setgid bit, owned by whoever runs the harness.
 */
function keepWorkspace(cell: Cell): void {
  const dest = join(cell.paths.out, 'workspace');
  removeTree(dest);
  const copy = spawnSync('cp', ['-R', '--no-dereference', '--preserve=timestamps', cell.paths.workspace, dest], {
    encoding: 'utf8',
  });
  spawnSync('chmod', ['-R', 'u-s,g-s', dest]);
  writeFileSync(
    join(cell.paths.out, 'workspace-path.txt'),
    `${dest}\n${copy.status === 0 ? '' : `# the copy is incomplete: ${copy.stderr.trim().slice(0, 500)}\n`}`,
  );
}

/** Stops every service of the cell and removes its scratch folder; safe to call on a half-prepared cell, and twice. */
export async function teardownCell(cell: Cell): Promise<void> {
  cell.stopWatchdogs();
  const { llm, evalService, egress } = cell.services;
  cell.services = { llm: null, evalService: null, egress: null };
  await Promise.allSettled([egress?.stop(), llm?.stop(), evalService?.stop()]);
  for (const cgroup of [cell.cgroup, cell.verifyCgroup]) {
    cgroup?.killAll();
    cgroup?.remove();
  }
  cell.cgroup = null;
  cell.verifyCgroup = null;
  cell.evaluatorLog.close();
  if (cell.req.keepWorkspace) keepWorkspace(cell);
  cell.scratchFs?.release();
  cell.scratchFs = null;
  removeTree(cell.paths.scratch);
}
