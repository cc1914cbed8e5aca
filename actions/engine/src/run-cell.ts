import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CellResult,
  CellResult as CellResultSchema,
  findBaseModel,
  type IntegrityFinding,
  manifestSha256,
  mean,
} from '@ptb/core';
import { AdapterError, type AgentLaunch, agentLaunch, baselineLaunch, repromptArgv, scriptLaunch } from './agents/adapters.ts';
import { agentToolchain, scaffoldProblem } from './agents/install.ts';
import { capFinding, type HarnessSideEnd, providerOutage, proxyRefusalFindings, startupCrash } from './agents/outcome.ts';
import { parseAccessLog } from './egress/access-log.ts';
import { keysFromEnv, type LlmProxy, PLACEHOLDER_KEY, startLlmProxy } from './egress/llm-proxy.ts';
import { type Egress, startEgress } from './egress/squid.ts';
import { type EvalService, startEvalService } from './eval-service.ts';
import { fileSha256, listTree, sha256, treeSha256 } from './hash.ts';
import { contaminationFindings } from './integrity/contamination.ts';
import { egressFindings, prewrittenVerdictFindings, protectedFileFindings } from './integrity/findings.ts';
import { judgePrompt, llmJudgeFindings, proxyJudge } from './integrity/llm-judge.ts';
import { modelIdentityFindings, tokenizerVocab } from './integrity/model-identity.ts';
import { instructCopyFindings, modelTensors, tensorFindings } from './integrity/weights.ts';
import { BUNDLES_DIR, defaultModelCache, ENGINE_DIR, modelDirIn } from './paths.ts';
import { gpuComputePids, gpuDevices, preflight } from './preflight.ts';
import { taskPrompt } from './prompt.ts';
import { harnessCommit, imageReference } from './provenance.ts';
import { makeRedactor, secretsInEnv } from './redact.ts';
import { type Cgroup, createCgroup } from './sandbox/cgroup.ts';
import { type RuntimeContext, sandboxArgv } from './sandbox/runtime.ts';
import { EXEC_MARKER, INSIDE, LLM_PORT, PROXY_PORT, type SandboxSpec, toolchain } from './sandbox/spec.ts';
import { type SuperviseResult, supervise } from './sandbox/supervise.ts';
import { writeTimeline } from './trace/collect.ts';
import type { CellRequest } from './types.ts';
import { evaluationOf, verificationSeeds } from './verify/evaluation.ts';
import { verify } from './verify/verifier.ts';
import { buildWorkspace } from './workspace.ts';

const CA_BUNDLE_INSIDE = '/etc/ptb/ca-bundle.pem';
const CA_INSIDE = '/etc/ptb/egress-ca.pem';

/** The request itself is wrong (unknown model or benchmark, bad agent script): exit 1, no result. */
export class InputError extends Error {}

const TRACE_CAP_BYTES = 8 * 2 ** 20;
const VERDICT_NAMES = ['result.json', 'verdict.json', 'integrity.json'];

const readJson = (path: string): Record<string, unknown> | null => {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
};

/** Training-like text files the agent left in the workspace (for the contamination scan), bounded in size. */
function trainingFiles(ws: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  let budget = 64 * 2 ** 20;
  for (const f of listTree(ws)) {
    // .home and .tmp are scanned too: training data hidden there still counts.
    if (f.kind !== 'file' || f.rel.startsWith('final_model/') || f.rel.startsWith('templates/')) continue;
    if (!/\.(jsonl|json|txt|csv|tsv|md)$/i.test(f.rel)) continue;
    const full = join(ws, f.rel);
    const size = statSync(full).size;
    if (size > budget) continue;
    budget -= size;
    out.push({ path: f.rel, text: readFileSync(full, 'utf8') });
  }
  return out;
}

/** Test items known to the harness (the bundle's test.jsonl), for the contamination scan. */
function testItems(evaluatorDir: string | null): { id: string; text: string }[] | null {
  const file = evaluatorDir ? join(evaluatorDir, 'test.jsonl') : null;
  if (!file || !existsSync(file)) return null;
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      const item = JSON.parse(l) as Record<string, unknown>;
      const text = [item.question, item.input, item.prompt].find((v) => typeof v === 'string') as string | undefined;
      return { id: String(item.id ?? i + 1), text: text ?? '' };
    });
}

/** Scripts the agent left (for the optional LLM judge), bounded in size. */
function codeFiles(ws: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  let budget = 100_000;
  for (const f of listTree(ws)) {
    if (
      f.kind !== 'file' ||
      f.rel.startsWith('final_model/') ||
      f.rel.startsWith('.home/') ||
      !/\.(py|sh|ipynb|ya?ml|toml)$/.test(f.rel)
    )
      continue;
    const text = readFileSync(join(ws, f.rel), 'utf8').slice(0, 20_000);
    if (text.length > budget) break;
    budget -= text.length;
    out.push({ path: f.rel, text });
  }
  return out;
}

const isEmptyDir = (dir: string): boolean => !existsSync(dir) || readdirSync(dir).length === 0;

/**
 * Runs one cell from a fresh workspace to a verified result: preflight, workspace, egress
 * and credential proxies, the agent in its sandbox under the hard time limit, verification
 * in a second sandbox, integrity checks, and the CellResult written to `<outDir>/result.json`.
 */
export async function runCell(req: CellRequest): Promise<CellResult> {
  const jobStart = Date.now();
  const mark = (name: string) => req.onMark?.(name, Date.now());
  mark('job-start');
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
  const evaluatorDir = bundleDir ? join(bundleDir, 'evaluator') : null;
  if (bundleDir && !existsSync(bundleDir))
    throw new InputError(`benchmark ${benchmark.id}: evaluator bundle "${evaluation.bundle}" is not shipped with the engine`);

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
  if (!req.agent) {
    // The manifest's scaffold must be runnable here (right version installed, options it understands) before anything starts.
    try {
      agentLaunch(req.manifest, { prompt: '', promptPath: '', home: '' });
    } catch (e) {
      if (e instanceof AdapterError) throw new InputError(`${req.manifest.agent.scaffold}: ${e.message}`);
      throw e;
    }
    const problem = scaffoldProblem(req.manifest.agent.scaffold, req.manifest.agent.version, req.runtime, process.env);
    if (problem) throw new InputError(problem);
  }
  if (req.runtime !== 'bwrap' && (!agentImage || !evalImage))
    throw new InputError(
      `runtime ${req.runtime} needs images pinned by digest: set PTB_AGENT_IMAGE and PTB_EVAL_IMAGE (or agent.image in the manifest)`,
    );

  // Results and verdicts live outside anything the agent can reach; stale ones are removed first.
  const outDir = req.outDir;
  const logs = join(outDir, 'logs');
  mkdirSync(logs, { recursive: true });
  for (const name of VERDICT_NAMES) rmSync(join(outDir, name), { force: true });
  const scratch = mkdtempSync(join(tmpdir(), 'ptb-cell-'));
  // squid runs as the `proxy` user and must reach its log folder inside.
  chmodSync(scratch, 0o711);
  let egress: Egress | null = null;
  let llm: LlmProxy | null = null;
  let evalService: EvalService | null = null;
  let cgroup: Cgroup | null = null;
  let snapshots = 0;
  const verifyLog = join(logs, 'evaluator.log');
  try {
    const ws = join(scratch, 'workspace');
    const harness = join(scratch, 'harness');
    const sock = join(scratch, 'sock');
    for (const d of [ws, harness, sock]) mkdirSync(d, { recursive: true });

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
    const deadlineGuess = Math.ceil(Date.now() / 1000) + budgetSeconds;
    const protectedBefore = await buildWorkspace({
      dir: ws,
      prompt,
      deadlineEpochSeconds: deadlineGuess,
      defaultLimit: benchmark.agentDefaultLimit,
      taskContextDir: bundleDir ? join(bundleDir, 'task') : null,
      templatesDir: bundleDir ? join(bundleDir, 'templates') : null,
    });

    const runtimeCtx = (image: string | null, name: string): RuntimeContext => ({
      kind: req.runtime,
      image: image ?? '',
      name,
      dockerNetwork: null,
    });
    const cellName = `ptb-${req.manifest.id}-${req.seed}-${sha256(scratch).slice(0, 8)}`;
    llm = await startLlmProxy({
      harnessSocketPath: join(scratch, 'harness-llm.sock'),
      socketPath: join(sock, 'llm.sock'),
      logPath: join(logs, 'llm-proxy.jsonl'),
      keys,
      upstreams: req.llmUpstreams,
      cap: req.llmCap,
    });
    evalService = await startEvalService({
      socketPath: join(sock, 'eval.sock'),
      logPath: join(logs, 'evaluate-calls.jsonl'),
      minIntervalMs: (req.evaluateMinIntervalSeconds ?? 30) * 1000,
      maxLimit: benchmark.dataset.samples,
      evaluate: async (limit, signal) => {
        // Snapshot final_model/ (links copied as links, never followed on the host) and score the copy.
        const snap = join(scratch, `snapshot-${++snapshots}`);
        try {
          cpSync(join(ws, 'final_model'), snap, { recursive: true, verbatimSymlinks: true });
        } catch (e) {
          // e.g. a FIFO or socket planted in final_model/: refused, never read by the harness.
          return { ok: false, error: `final_model/ could not be copied: ${e instanceof Error ? e.message : String(e)}` };
        }
        if (isEmptyDir(snap)) return { ok: false, error: 'final_model/ is empty' };
        const out = await verify({
          runtime: runtimeCtx(evalImage, `${cellName}-eval-${snapshots}`),
          benchmark,
          modelDir: snap,
          evaluatorDir,
          workDir: join(scratch, 'verify'),
          limit,
          seed: req.seed,
          gpus,
          timeoutMs: (evaluation.timeoutSeconds ?? 3600) * 1000,
          logFile: verifyLog,
          redact,
          signal,
          graderSocket: join(scratch, 'harness-llm.sock'),
        });
        rmSync(snap, { recursive: true, force: true });
        return out.ok
          ? { ok: true, metrics: out.summary.metrics, samples: out.summary.samples, seconds: out.seconds }
          : { ok: false, error: out.reason, seconds: out.seconds };
      },
    });
    egress = egressAllowed
      ? await startEgress(join(scratch, 'egress'), def.network.allow, def.network.deny, {
          ...(env.PTB_EGRESS_UPSTREAM_CA ? { upstreamCa: env.PTB_EGRESS_UPSTREAM_CA } : {}),
        })
      : null;

    // The agent and how to start it.
    let launch: AgentLaunch;
    if (req.agent?.kind === 'baseline') launch = baselineLaunch();
    else if (req.agent?.kind === 'script') {
      copyFileSync(req.agent.path, join(harness, 'agent-script'));
      chmodSync(join(harness, 'agent-script'), 0o755);
      launch = scriptLaunch(`${INSIDE.harness}/agent-script`);
    } else
      launch = agentLaunch(req.manifest, {
        prompt,
        promptPath: `${INSIDE.workspace}/TASK.md`,
        home: `${INSIDE.workspace}/.home`,
      });
    for (const f of launch.files) {
      mkdirSync(join(ws, '.home', f.path, '..'), { recursive: true });
      writeFileSync(join(ws, '.home', f.path), f.content);
    }

    cgroup = createCgroup(cellName, {
      pids: Number(env.PTB_PIDS_LIMIT ?? 4096),
      ...(env.PTB_MEMORY_LIMIT_GB ? { memoryBytes: Number(env.PTB_MEMORY_LIMIT_GB) * 2 ** 30 } : {}),
      ...(env.PTB_CPUS ? { cpus: Number(env.PTB_CPUS) } : {}),
    });
    const proxyUrl = `http://127.0.0.1:${PROXY_PORT}`;
    const deadlineMs = Date.now() + budgetSeconds * 1000;
    writeFileSync(
      join(ws, 'timer.sh'),
      readFileSync(join(ws, 'timer.sh'), 'utf8').replace(/^deadline=\d+$/m, `deadline=${Math.ceil(deadlineMs / 1000)}`),
    );
    protectedBefore.set('timer.sh', await fileSha256(join(ws, 'timer.sh')));
    const tools = toolchain(env);
    // The scaffold CLIs and (under bwrap) a Node binary for them, read-only.
    const agentTools = agentToolchain(req.runtime, env);
    const spec = (argv: string[]): SandboxSpec => ({
      argv,
      cwd: INSIDE.workspace,
      env: {
        PATH: [...agentTools.path, tools.path].join(':'),
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
        PTB_DEADLINE: String(Math.ceil(deadlineMs / 1000)),
        PTB_LLM_BASE_URL: `http://127.0.0.1:${LLM_PORT}`,
        // Every agent (scripts too) reaches LLM providers only through the credential proxy, with a placeholder key.
        ANTHROPIC_BASE_URL: `http://127.0.0.1:${LLM_PORT}/anthropic`,
        ANTHROPIC_API_KEY: PLACEHOLDER_KEY,
        OPENAI_BASE_URL: `http://127.0.0.1:${LLM_PORT}/openai/v1`,
        OPENAI_API_KEY: PLACEHOLDER_KEY,
        GOOGLE_GEMINI_BASE_URL: `http://127.0.0.1:${LLM_PORT}/google`,
        GEMINI_API_KEY: PLACEHOLDER_KEY,
        // apptainer --nv shows every GPU (select ours); bwrap binds and docker passes only ours (it is GPU 0).
        ...(gpus.length > 0 ? { CUDA_VISIBLE_DEVICES: req.runtime === 'apptainer' ? String(gpuIndex) : '0' } : {}),
        ...launch.env,
      },
      mounts: [
        { host: ws, target: INSIDE.workspace, mode: 'rw' },
        { host: baseModelDir, target: INSIDE.baseModel, mode: 'ro' },
        { host: harness, target: INSIDE.harness, mode: 'ro' },
        ...(readOnlyCache ? [{ host: readOnlyCache, target: INSIDE.cache, mode: 'ro' as const }] : []),
        ...tools.mounts,
        ...agentTools.mounts,
        ...(egress?.tls
          ? [
              { host: egress.tls.caBundle, target: CA_BUNDLE_INSIDE, mode: 'ro' as const },
              { host: egress.tls.caCert, target: CA_INSIDE, mode: 'ro' as const },
            ]
          : []),
      ],
      sockets: [
        ...(egress ? [{ host: egress.socketPath, target: `${INSIDE.run}/proxy.sock`, mode: 'rw' as const }] : []),
        { host: join(sock, 'llm.sock'), target: `${INSIDE.run}/llm.sock`, mode: 'rw' },
        { host: join(sock, 'eval.sock'), target: `${INSIDE.run}/eval.sock`, mode: 'rw' },
      ],
      bridges: [
        ...(egress ? [{ port: PROXY_PORT, socket: `${INSIDE.run}/proxy.sock` }] : []),
        { port: LLM_PORT, socket: `${INSIDE.run}/llm.sock` },
      ],
      gpus,
      limits: {},
      tmpHost: join(ws, '.tmp'),
      hostname: 'ptb-agent',
    });

    // The agent, under the hard limit; re-prompted while more than 30 minutes remain if asked.
    const traceFile = join(logs, 'agent-trace.jsonl');
    writeFileSync(traceFile, '');
    const traceChunks: string[] = [];
    let traceBytes = 0;
    const flushTrace = () => {
      if (traceChunks.length === 0) return;
      writeFileSync(traceFile, traceChunks.join(''), { flag: 'a' });
      traceChunks.length = 0;
    };
    // The last lines printed, for a CLI that dies at start-up; what the harness did, for the timeline.
    const tail: string[] = [];
    const harnessEvents: { atMs: number; text: string }[] = [];
    const onLine = (stream: 'stdout' | 'stderr', line: string) => {
      if (line === EXEC_MARKER) return;
      const clean = redact(line);
      tail.push(clean.slice(0, 2000));
      if (tail.length > 40) tail.shift();
      let event: unknown;
      if (launch.trace === 'jsonl' && stream === 'stdout' && clean.startsWith('{')) {
        try {
          event = JSON.parse(clean);
        } catch {
          event = undefined;
        }
      }
      const record = `${JSON.stringify({ ts: new Date().toISOString(), stream, ...(event !== undefined ? { event } : { text: clean }) })}\n`;
      traceBytes += record.length;
      traceChunks.push(record);
      if (traceChunks.length > 256) flushTrace();
    };
    mark('agent-start');
    const agentStart = Date.now();
    let firstOutputAt: number | null = null;
    const runs: SuperviseResult[] = [];
    let argv = launch.argv;
    harnessEvents.push({ atMs: agentStart, text: `the agent (${launch.name}) started; budget ${budgetSeconds} s` });
    for (;;) {
      const remaining = deadlineMs - Date.now();
      const r = await supervise({
        argv: sandboxArgv(spec(argv), runtimeCtx(agentImage, `${cellName}-agent-${runs.length}`)),
        timeLimitMs: Math.max(0, remaining),
        graceMs: (req.graceSeconds ?? 10) * 1000,
        cgroup,
        maxOutputBytes: Math.max(0, TRACE_CAP_BYTES - traceBytes),
        onLine,
        onFirstOutput: (at) => {
          firstOutputAt ??= at;
          mark('agent-first-output');
        },
      });
      runs.push(r);
      flushTrace();
      const left = (deadlineMs - Date.now()) / 1000;
      const next = repromptArgv(launch, {
        asked: req.manifest.agent.reprompt,
        timedOut: r.timedOut,
        secondsLeft: left,
        exitCode: r.exitCode,
        done: runs.length - 1,
        ...(req.reprompt ?? {}),
      });
      if (r.timedOut) harnessEvents.push({ atMs: r.endedAtMs, text: 'the time limit stopped the sandbox' });
      else harnessEvents.push({ atMs: r.endedAtMs, text: `the agent exited with code ${r.exitCode}` });
      if (!next) break;
      harnessEvents.push({ atMs: Date.now(), text: 're-prompted: time is left in the budget' });
      argv = next;
    }
    const agentEnd = Date.now();
    mark('agent-end');
    const last = runs[runs.length - 1] as SuperviseResult;
    const timedOut = runs.some((r) => r.timedOut);
    const truncated = runs.some((r) => r.truncated);
    if (truncated)
      writeFileSync(
        traceFile,
        `${JSON.stringify({ ts: new Date().toISOString(), stream: 'harness', text: `output truncated at ${TRACE_CAP_BYTES} bytes; ${runs.reduce((a, r) => a + r.outputBytes, 0)} bytes printed in total` })}\n`,
        { flag: 'a' },
      );
    const leftovers = runs.flatMap((r) => r.leftovers);

    // squid's shutdown (up to 0.3 s) runs beside the verification.
    const egressStopped = egress?.stop();
    await (evalService as EvalService).stop();
    evalService = null;
    const judged: IntegrityFinding[] = [];
    if (req.judge) {
      flushTrace();
      const trace = readFileSync(traceFile, 'utf8').slice(-60_000);
      judged.push(
        ...(await llmJudgeFindings(
          proxyJudge(join(scratch, 'harness-llm.sock'), req.judge),
          judgePrompt(trace, codeFiles(ws)),
          req.judge.votes,
        )),
      );
    }
    const gpuLeft = gpus.length > 0 ? gpuComputePids(gpuIndex) : [];
    const llmUsage = (llm as LlmProxy).usage();
    // The provider failing under the agent, or a CLI that never started, is not the agent's failure.
    const endState = {
      scaffold: launch.name,
      exitCode: last.exitCode,
      timedOut,
      outcomes: (llm as LlmProxy).outcomes(),
      tail,
      agentStartMs: agentStart,
    };
    const harnessEnd: HarnessSideEnd | null =
      providerOutage(endState) ?? (launch.name === 'baseline' || launch.name === 'script' ? null : startupCrash(endState));
    if (harnessEnd) harnessEvents.push({ atMs: agentEnd, text: harnessEnd.detail });
    if (llmUsage.capReached)
      harnessEvents.push({ atMs: Date.now(), text: 'the LLM budget of this run is used up: the proxy refused further requests' });

    // Verification: the final model, read-only, in a clean sandbox, once per seed.
    const finalModel = join(ws, 'final_model');
    const findings: IntegrityFinding[] = [];
    let status: CellResult['status'] = 'scored';
    let statusDetail: string | undefined;
    let score: CellResult['score'] = null;
    const verifyStart = Date.now();
    mark('verify-start');
    if (harnessEnd) {
      // Not scored: the cell is retried, so a verification would only spend time.
      status = harnessEnd.status;
      statusDetail = harnessEnd.detail;
      findings.push(...harnessEnd.findings);
    } else if (isEmptyDir(finalModel)) {
      status = 'missing';
      statusDetail = timedOut
        ? 'the time limit ended the run and final_model/ is empty'
        : `the agent exited (code ${last.exitCode}) and final_model/ is empty`;
      if (llmUsage.capReached) statusDetail += '; the LLM budget of this run was used up before';
    } else {
      const values: { value: number; stderr: number | null; samples: number | null }[] = [];
      for (const seed of verificationSeeds(benchmark, req.seed)) {
        const out = await verify({
          runtime: runtimeCtx(evalImage, `${cellName}-verify-${seed}`),
          benchmark,
          modelDir: finalModel,
          evaluatorDir,
          workDir: join(scratch, 'verify'),
          limit: null,
          seed,
          graderSocket: join(scratch, 'harness-llm.sock'),
          gpus,
          timeoutMs: (evaluation.timeoutSeconds ?? 6 * 3600) * 1000,
          logFile: verifyLog,
          redact,
        });
        if (out.logPath)
          copyFileSync(out.logPath, join(logs, `inspect-seed-${seed}${out.logPath.endsWith('.eval') ? '.eval' : '.json'}`));
        if (!out.ok) {
          status = 'broken';
          statusDetail = `verification (seed ${seed}) failed: ${redact(out.reason)}`;
          break;
        }
        values.push({ value: out.summary.value as number, stderr: out.summary.stderr, samples: out.summary.samples });
      }
      if (status === 'scored') {
        const errs = values.map((v) => v.stderr).filter((x): x is number => x !== null);
        score = {
          value: Math.min(1, Math.max(0, mean(values.map((v) => v.value)))),
          stderr: errs.length === values.length ? mean(errs) : null,
          samples: values[0]?.samples && values[0].samples > 0 ? values[0].samples : null,
        };
      }
    }
    const verifyWall = Date.now() - verifyStart;
    await (llm as LlmProxy).stop();
    llm = null;
    mark('verify-end');

    // Integrity checks, with evidence.
    const after = new Map<string, string | null>();
    for (const rel of protectedBefore.keys()) after.set(rel, existsSync(join(ws, rel)) ? await fileSha256(join(ws, rel)) : null);
    findings.push(...protectedFileFindings(protectedBefore, after));
    findings.push(...prewrittenVerdictFindings(listTree(ws).map((f) => f.rel)));
    if (!isEmptyDir(finalModel)) {
      try {
        findings.push(...tensorFindings(modelTensors(baseModelDir), modelTensors(finalModel)));
      } catch (e) {
        findings.push({
          check: 'model-identity',
          severity: 'warning',
          summary: "the final model's weight files could not be read",
          evidence: [String(e)],
        });
      }
      findings.push(
        ...(await instructCopyFindings(modelDirIn(modelCache, baseModel.instruct.id), finalModel, baseModel.instruct.id)),
      );
      const vocab = (dir: string) => tokenizerVocab(readJson(join(dir, 'tokenizer.json')));
      findings.push(
        ...modelIdentityFindings(
          { config: readJson(join(baseModelDir, 'config.json')), vocab: vocab(baseModelDir) },
          { config: readJson(join(finalModel, 'config.json')), vocab: vocab(finalModel) },
        ),
      );
    }
    const items = testItems(evaluatorDir);
    if (items) findings.push(...contaminationFindings(trainingFiles(ws), items));
    await egressStopped;
    egress = null;
    // Connections that closed before sending a request (e.g. the start-up probe) are not requests.
    const accessLog = join(scratch, 'egress', 'access.log');
    const access = parseAccessLog(existsSync(accessLog) ? readFileSync(accessLog, 'utf8') : '').filter(
      (e) => !e.url.startsWith('error:transaction-end-before-headers'),
    );
    writeFileSync(join(logs, 'proxy-access.log'), redact(access.map((e) => e.raw).join('\n')) + (access.length ? '\n' : ''));
    findings.push(...egressFindings(access, def.network.deny));
    findings.push(...capFinding(llmUsage, req.llmCap), ...proxyRefusalFindings(llmUsage));
    // The readable trace: the CLI's own stream and the harness's logs in one timeline.
    flushTrace();
    try {
      writeTimeline({
        scaffold: launch.name,
        model: launch.model,
        agentStartMs: agentStart,
        budgetSeconds,
        traceFile,
        evaluateLog: join(logs, 'evaluate-calls.jsonl'),
        llmLog: join(logs, 'llm-proxy.jsonl'),
        access,
        deny: def.network.deny,
        harness: harnessEvents,
        redact,
        out: join(logs, 'timeline.json'),
      });
    } catch (e) {
      findings.push({
        check: 'harness',
        severity: 'warning',
        summary: 'the timeline of this cell could not be built',
        evidence: [redact(e instanceof Error ? e.message : String(e)).slice(0, 2000)],
      });
    }
    if (leftovers.length > 0)
      findings.push({
        check: 'sandbox-escape',
        severity: 'violation',
        summary: 'processes of the sandbox outlived it and were killed',
        evidence: leftovers.map(String),
      });
    findings.push(...judged);
    if (gpuLeft.length > 0)
      findings.push({
        check: 'harness',
        severity: 'warning',
        summary: `processes still hold GPU ${gpuIndex} after the run`,
        evidence: gpuLeft.map(String),
      });
    if (last.exitCode === 97)
      findings.push({
        check: 'harness',
        severity: 'info',
        summary: 'the egress bridges did not start inside the sandbox',
        evidence: [],
      });

    const timeUsedSeconds = Math.round((agentEnd - agentStart) / 100) / 10;
    const finishedAt = new Date();
    const result: CellResult = CellResultSchema.parse({
      schemaVersion: 1,
      submissionId: req.manifest.id,
      manifestSha256: existsSync(join(req.submissionDir, 'submission.yaml'))
        ? manifestSha256(readFileSync(join(req.submissionDir, 'submission.yaml')))
        : 'unknown',
      definitionVersion: def.version,
      baseModel: baseModel.id,
      benchmark: benchmark.id,
      seed: req.seed,
      status,
      ...(statusDetail ? { statusDetail } : {}),
      ...(harnessEnd ? { errorSource: harnessEnd.errorSource } : {}),
      score,
      timeUsedSeconds,
      gpuHours: Math.round(((timeUsedSeconds * Math.min(1, gpus.length)) / 3600) * 1e4) / 1e4,
      integrity: findings,
      provenance: {
        kind: 'verified',
        harnessCommit: harnessCommit(ENGINE_DIR),
        images: { agent: imageReference(req.runtime, agentImage), evaluation: imageReference(req.runtime, evalImage) },
        finalModelSha256: await treeSha256(finalModel),
        traceSha256: await fileSha256(traceFile),
        runner: hostname(),
        startedAt: new Date(jobStart).toISOString(),
        finishedAt: finishedAt.toISOString(),
        links: [],
      },
      execution: {
        runtime: req.runtime,
        agent: launch.name,
        endReason: timedOut ? 'time-limit' : last.exitCode === 0 ? 'agent-exited' : 'agent-error',
        exitCode: last.exitCode,
        budgetSeconds,
        outputTruncated: truncated,
        evaluateCalls: snapshots,
        proxy: {
          requests: access.length,
          denied: access.filter((e) => e.result === 'TCP_DENIED' || e.status === 403).length,
          llmRequests: llmUsage.requests,
          inputTokens: llmUsage.inputTokens,
          outputTokens: llmUsage.outputTokens,
          capReached: llmUsage.capReached,
        },
        overheadSeconds: {
          setup: Math.round(((firstOutputAt ?? agentStart) - jobStart) / 10) / 100,
          teardown: Math.max(0, Math.round((finishedAt.getTime() - agentEnd - verifyWall) / 10) / 100),
        },
      },
    });
    writeFileSync(join(outDir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
    mark('result-written');
    return result;
  } finally {
    await Promise.allSettled([egress?.stop(), llm?.stop(), evalService?.stop()]);
    cgroup?.killAll();
    cgroup?.remove();
    if (!req.keepWorkspace) rmSync(scratch, { recursive: true, force: true });
    else writeFileSync(join(outDir, 'workspace-path.txt'), `${join(scratch, 'workspace')}\n`);
  }
}
