import { existsSync, readdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { decideEgress } from './egress/decide.ts';
import type { EgressDenyRule } from './egress/policy.ts';
import { onPath, runCommand } from './host-command.ts';
import { type SandboxUser, sandboxAccessProblems } from './sandbox/identity.ts';
import type { RuntimeKind } from './types.ts';

/** The machine cannot run this cell (not the submission's fault): no result is written. */
export class PreflightError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`preflight failed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

export const hasCommand = (cmd: string): boolean => onPath(cmd);

/** GPU device nodes to bind for GPU `index`: its own node plus the shared control nodes; empty without a GPU. */
export function gpuDevices(index: number, dev = '/dev'): string[] {
  let names: string[] = [];
  try {
    names = readdirSync(dev).filter((n) => n.startsWith('nvidia'));
  } catch {
    return [];
  }
  if (!names.includes(`nvidia${index}`)) return [];
  const shared = names.filter((n) => !/^nvidia\d+$/.test(n) && !n.startsWith('nvidia-caps'));
  return [`${dev}/nvidia${index}`, ...shared.map((n) => `${dev}/${n}`)];
}

/**
 * Paths under a read-only cache that hold something the agent must not read: an instruct
 * checkpoint of the definition, or a repository the egress rules refuse (any family variant,
 * any copy of a test set; all of a data set whose held-out split the rules refuse, since a
 * cache holds every split), in the plain `<org>/<name>` or the Hugging Face hub layout
 * (`models--org--name`, `datasets--org--name`, also under `hub/` or `datasets/`). Asks the
 * same decision as the egress proxy, about the URL each folder would come from.
 */
export function forbiddenInCache(cacheDir: string, instructIds: readonly string[], deny: readonly EgressDenyRule[]): string[] {
  const found = new Set<string>();
  for (const id of instructIds) {
    const [org, name] = id.split('/');
    if (!org || !name) continue;
    for (const c of [
      join(cacheDir, org, name),
      join(cacheDir, `models--${org}--${name}`),
      join(cacheDir, 'hub', `models--${org}--${name}`),
    ])
      if (existsSync(c)) found.add(c);
  }
  const policy = { allow: ['huggingface.co'], deny, tlsInspected: true };
  const heldSplits = deny.flatMap((r) => (r.artefact === 'test-set' ? (r.splitsOnly?.splits ?? []) : []));
  const refused = (path: string) =>
    ['', ...heldSplits.map((s) => `/${s}`)].some(
      (tail) => decideEgress({ method: 'GET', url: `https://huggingface.co/${path}${tail}` }, policy).rule?.id !== undefined,
    );
  const list = (dir: string) => {
    try {
      return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory());
    } catch {
      return [];
    }
  };
  for (const base of [cacheDir, join(cacheDir, 'hub'), join(cacheDir, 'datasets')]) {
    for (const e of list(base)) {
      const hub = /^(models|datasets)--([^/]+?)--(.+)$/.exec(e.name);
      if (hub) {
        const path = `${hub[1] === 'datasets' ? 'datasets/' : ''}${hub[2]}/${hub[3]}`;
        if (refused(path)) found.add(join(base, e.name));
        continue;
      }
      if (base === join(cacheDir, 'hub') || ['hub', 'datasets'].includes(e.name)) continue;
      for (const inner of list(join(base, e.name))) {
        const path = `${base === cacheDir ? '' : 'datasets/'}${e.name}/${inner.name}`;
        if (refused(path)) found.add(join(base, e.name, inner.name));
      }
    }
  }
  return [...found];
}

export interface PreflightInput {
  runtime: RuntimeKind;
  baseModelDir: string;
  scratchDir: string;
  minFreeDiskBytes: number;
  gpuIndex: number;
  requireGpu: boolean;
  expectedGpuModel: string;
  /** Further GPU models the definition accepts. */
  acceptedGpuModels?: string[];
  images: string[];
  needs: string[];
  /** A cache mounted read-only into the sandbox, checked for forbidden content. */
  readOnlyCache?: { dir: string; instructIds: string[]; deny: readonly EgressDenyRule[] } | null;
}

export interface PreflightReport {
  gpu: { name: string; memoryUsedMiB: number; utilization: number } | null;
  freeDiskBytes: number;
}

/**
 * Checks the machine before anything starts: runtime and tools, base model in the cache, disk,
 * GPU idle, images present. The slow questions (nvidia-smi, docker) do not block the harness:
 * the cell's setup goes on meanwhile, and nothing is started for the agent before this answers.
 */
export async function preflight(input: PreflightInput): Promise<PreflightReport> {
  const problems: string[] = [];
  const tools = [input.runtime, ...input.needs];
  for (const t of new Set(tools)) if (!hasCommand(t)) problems.push(`\`${t}\` is not installed or not on PATH`);
  if (!existsSync(join(input.baseModelDir, 'config.json')))
    problems.push(
      `base model not in the cache: ${join(input.baseModelDir, 'config.json')} is missing (download it before the run)`,
    );
  let freeDiskBytes = 0;
  try {
    const s = statfsSync(input.scratchDir);
    freeDiskBytes = s.bavail * s.bsize;
    if (freeDiskBytes < input.minFreeDiskBytes)
      problems.push(
        `only ${(freeDiskBytes / 2 ** 30).toFixed(1)} GiB free in ${input.scratchDir}; need ${(input.minFreeDiskBytes / 2 ** 30).toFixed(1)} GiB`,
      );
  } catch (e) {
    problems.push(`cannot read free disk space of ${input.scratchDir}: ${e instanceof Error ? e.message : String(e)}`);
  }
  let gpu: PreflightReport['gpu'] = null;
  const images = input.images.map(async (image) => {
    const present =
      input.runtime === 'docker' ? (await runCommand('docker', ['image', 'inspect', image])).status === 0 : existsSync(image);
    if (!present) problems.push(`image not present on this machine: ${image}`);
  });
  if (hasCommand('nvidia-smi')) {
    const smi = await runCommand(
      'nvidia-smi',
      ['-i', String(input.gpuIndex), '--query-gpu=name,memory.used,utilization.gpu', '--format=csv,noheader,nounits'],
      { timeoutMs: 15_000 },
    );
    if (smi.status !== 0) problems.push(`nvidia-smi failed: ${(smi.stderr || smi.error || `exit ${smi.status}`).trim()}`);
    else {
      const line = smi.stdout.trim();
      const [name = '', used = '0', util = '0'] = line.split(',').map((s) => s.trim());
      gpu = { name, memoryUsedMiB: Number(used), utilization: Number(util) };
      // "NVIDIA H100 80GB" -> "h100": the family must appear in the name nvidia-smi reports.
      const family = (model: string) =>
        model
          .toLowerCase()
          .replace(/nvidia\s*/, '')
          .split(/\s+/)[0] ?? '';
      const models = [input.expectedGpuModel, ...(input.acceptedGpuModels ?? [])];
      const wanted = models.map(family).filter(Boolean);
      if (wanted.length > 0 && !wanted.some((w) => name.toLowerCase().includes(w)))
        problems.push(`GPU ${input.gpuIndex} is a ${name}; the definition needs ${models.join(' or ')}`);
      if (gpu.memoryUsedMiB > 1024 || gpu.utilization > 5)
        problems.push(`GPU ${input.gpuIndex} is busy (${gpu.memoryUsedMiB} MiB used, ${gpu.utilization}% utilisation)`);
    }
  } else if (input.requireGpu)
    problems.push('no GPU: nvidia-smi is not available (set PTB_REQUIRE_GPU=0 for CPU-only test runs)');
  await Promise.all(images);
  if (input.readOnlyCache) {
    const { dir, instructIds, deny } = input.readOnlyCache;
    if (!existsSync(dir)) problems.push(`read-only cache ${dir} does not exist`);
    for (const hit of forbiddenInCache(dir, instructIds, deny))
      problems.push(`the read-only cache holds something the agent must not read: ${hit} (remove it or use another cache)`);
  }
  if (problems.length > 0) throw new PreflightError(problems);
  return { gpu, freeDiskBytes };
}

/** Pids of compute processes on a GPU (nvidia-smi), to check that a run left it clean. */
export async function gpuComputePids(index: number): Promise<number[]> {
  if (!hasCommand('nvidia-smi')) return [];
  const r = await runCommand('nvidia-smi', ['-i', String(index), '--query-compute-apps=pid', '--format=csv,noheader'], {
    timeoutMs: 15_000,
  });
  if (r.status !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => n > 0);
}

/**
 * What the sandbox itself needs before any agent starts: `setpriv` to drop to the sandbox
 * user, user namespaces for that user (bwrap), and every folder bound into the sandbox
 * readable by it. Each problem says how to fix it. The checks run at once, and beside the
 * rest of the cell's setup: none of them blocks the harness.
 */
export async function sandboxProblems(input: {
  user: SandboxUser | null;
  runtime: RuntimeKind;
  /** Folders whose every file the sandbox reads (the base model, the evaluator, its data). */
  readable: string[];
  /** Large folders checked at their top only (toolchains, the evaluation environment, caches). */
  reachable?: string[];
}): Promise<string[]> {
  const problems: string[] = [];
  if (process.getuid?.() === 0 && !input.user) problems.push('the sandbox would run as host root: set PTB_SANDBOX_UID');
  const setpriv = hasCommand('setpriv');
  if (!setpriv) problems.push('`setpriv` (util-linux) is not installed: it drops the sandbox to its user');
  const found = await sandboxAccessProblems(input.user, {
    probeUserNamespace: input.runtime === 'bwrap' && hasCommand('bwrap') && setpriv,
    folders: [
      ...input.readable.map((dir) => ({ dir, deep: true })),
      ...(input.reachable ?? []).map((dir) => ({ dir, deep: false })),
    ],
    setpriv,
  });
  const uid = input.user?.uid ?? process.getuid?.();
  for (const p of found)
    problems.push(
      p.kind === 'userns'
        ? `bwrap cannot make a user namespace as uid ${uid}: ${p.message} (enable unprivileged user namespaces: sysctl kernel.unprivileged_userns_clone=1, or on Ubuntu an AppArmor profile for bwrap)`
        : `the sandbox user (uid ${uid}) cannot read ${p.blocked}${p.blocked === p.dir ? '' : ` (under ${p.dir})`}: make it, what is under it and every folder above it readable by others (chmod -R o+rX, and o+x on the parents)`,
    );
  return problems;
}
