import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Namespace, PersistentVolumeClaim, PodTemplateSpec } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';

export interface Problem {
  file: string;
  path: string;
  message: string;
}

const KINDS: Record<string, (o: unknown) => { validate(): void }> = {
  Namespace: (o) => new Namespace(o as never),
  PersistentVolumeClaim: (o) => new PersistentVolumeClaim(o as never),
};

/** Every Kubernetes object of a manifest file, against the Kubernetes API schema. */
export function checkManifest(file: string): Problem[] {
  const problems: Problem[] = [];
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const obj = doc.toJS() as { kind?: string } | null;
    if (!obj) continue;
    const make = KINDS[obj.kind ?? ''];
    if (!make) {
      problems.push({ file, path: 'kind', message: `no schema known for kind "${obj.kind}"` });
      continue;
    }
    try {
      make(obj).validate();
    } catch (e) {
      problems.push({ file, path: '', message: e instanceof Error ? e.message : String(e) });
    }
  }
  return problems;
}

interface Container {
  name?: string;
  image?: string;
  env?: { name: string; value?: string }[];
  resources?: { limits?: Record<string, string | number>; requests?: Record<string, string | number> };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
    privileged?: boolean;
  };
}

/** Where the pinned chart and helm are (.ci/install-tools.sh puts them there). */
export const CHART = {
  name: 'gha-runner-scale-set',
  version: '0.6.1',
  module: 'github.com/actions/actions-runner-controller@v0.27.6',
};

/**
 * The top-level values the chart reads: the keys of its values.yaml (commented-out ones
 * included: they are documented options) and every `.Values.<key>` its templates use. A key of
 * ours outside this set is silently ignored by helm, which is how a label can go missing.
 */
export function chartKeys(chartDir: string): Set<string> {
  const keys = new Set<string>();
  for (const m of readFileSync(join(chartDir, 'values.yaml'), 'utf8').matchAll(/^#?\s?([A-Za-z][A-Za-z0-9]*):/gm))
    if (m[1]) keys.add(m[1]);
  for (const f of readdirSync(join(chartDir, 'templates')))
    for (const m of readFileSync(join(chartDir, 'templates', f), 'utf8').matchAll(/\.Values\.([A-Za-z][A-Za-z0-9]*)/g))
      if (m[1]) keys.add(m[1]);
  return keys;
}

/** `helm template` of a values file over the chart: the objects a cluster would get. */
export function renderChart(
  helm: string,
  chartDir: string,
  valuesFile: string,
  release = 'gpu-h100',
  namespace = 'ptb-runners',
): Record<string, unknown>[] {
  const run = spawnSync(helm, ['template', release, chartDir, '--namespace', namespace, '-f', valuesFile], {
    encoding: 'utf8',
  });
  if (run.error) throw new Error(`${helm}: ${run.error.message} (run .ci/install-tools.sh)`);
  if (run.status !== 0) throw new Error(`helm template failed: ${run.stderr.trim()}`);
  return parseAllDocuments(run.stdout)
    .map((d) => d.toJS() as Record<string, unknown> | null)
    .filter((d): d is Record<string, unknown> => d !== null);
}

/**
 * The labels a rendered scale set registers with GitHub, as the controller does: the scale
 * set's name, plus `runnerScaleSetLabels` on charts that render it (0.14 and later).
 */
export function registeredLabels(objects: readonly Record<string, unknown>[]): string[] {
  const ars = objects.find((o) => o.kind === 'AutoscalingRunnerSet');
  const spec = (ars?.spec ?? {}) as { runnerScaleSetName?: string; runnerScaleSetLabels?: string[] };
  const name = spec.runnerScaleSetName ?? ((ars?.metadata ?? {}) as { name?: string }).name;
  return [...new Set([name, ...(spec.runnerScaleSetLabels ?? [])].filter((l): l is string => Boolean(l)))];
}

/**
 * A runner scale set's values, checked on what the chart makes of them: every key one the
 * chart reads, then the rendered runner pod against Kubernetes' schema and the rules a GPU
 * runner must follow here (one GPU, pinned image, cleanup hooks, no privilege), each with the
 * path to fix.
 */
export function checkScaleSetValues(
  file: string,
  opts: { helm: string; chartDir: string; hookFiles: readonly string[] },
): { problems: Problem[]; labels: string[] } {
  const problems: Problem[] = [];
  const add = (path: string, message: string) => problems.push({ file, path, message });
  const values = (parseAllDocuments(readFileSync(file, 'utf8'))[0]?.toJS() ?? {}) as Record<string, unknown>;
  const known = chartKeys(opts.chartDir);
  for (const key of Object.keys(values))
    if (!known.has(key)) add(key, `the ${CHART.name} chart ${CHART.version} does not read "${key}" (helm ignores it silently)`);
  let objects: Record<string, unknown>[];
  try {
    objects = renderChart(opts.helm, opts.chartDir, file);
  } catch (e) {
    add('', (e as Error).message);
    return { problems, labels: [] };
  }
  const ars = objects.find((o) => o.kind === 'AutoscalingRunnerSet');
  if (!ars) {
    add('', 'the chart rendered no AutoscalingRunnerSet');
    return { problems, labels: [] };
  }
  const spec = ars.spec as { template?: unknown; minRunners?: number; maxRunners?: number };
  try {
    new PodTemplateSpec(spec.template as never).validate();
  } catch (e) {
    add('template', e instanceof Error ? e.message : String(e));
  }
  const pod = (spec.template as { spec?: { containers?: Container[] } } | undefined)?.spec;
  const runner = pod?.containers?.find((c) => c.name === 'runner');
  if (!runner) {
    add('template.spec.containers', 'needs a container named "runner"');
    return { problems, labels: registeredLabels(objects) };
  }
  const gpuLimit = runner.resources?.limits?.['nvidia.com/gpu'];
  if (String(gpuLimit) !== '1')
    add(
      'template.spec.containers[runner].resources.limits.nvidia.com/gpu',
      `must be 1 (one GPU per cell), is ${gpuLimit ?? 'unset'}`,
    );
  if (!/@sha256:[a-f0-9]{64}$/.test(runner.image ?? ''))
    add('template.spec.containers[runner].image', 'must be pinned by digest (@sha256:...)');
  const env = new Map((runner.env ?? []).map((e) => [e.name, e.value ?? '']));
  for (const [name, hook] of [
    ['ACTIONS_RUNNER_HOOK_JOB_STARTED', 'job-started.sh'],
    ['ACTIONS_RUNNER_HOOK_JOB_COMPLETED', 'job-completed.sh'],
  ] as const) {
    const value = env.get(name);
    if (!value) add(`template.spec.containers[runner].env.${name}`, `must point at the ${hook} hook`);
    else if (!value.endsWith(`/${hook}`) || !opts.hookFiles.includes(hook))
      add(`template.spec.containers[runner].env.${name}`, `points at ${value}, expected .../${hook}`);
  }
  const sc = runner.securityContext;
  if (sc?.privileged) add('template.spec.containers[runner].securityContext.privileged', 'must not be privileged');
  if (sc?.allowPrivilegeEscalation !== false)
    add('template.spec.containers[runner].securityContext.allowPrivilegeEscalation', 'must be false');
  if (!sc?.capabilities?.drop?.includes('ALL'))
    add('template.spec.containers[runner].securityContext.capabilities.drop', 'must drop ALL');
  if ((sc?.capabilities?.add ?? []).length > 0)
    add('template.spec.containers[runner].securityContext.capabilities.add', 'must add none');
  return { problems, labels: registeredLabels(objects) };
}
