import { readFileSync } from 'node:fs';
import { Namespace, PersistentVolumeClaim, PodTemplateSpec } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';

/**
 * The part of the gha-runner-scale-set chart's values we set. The chart publishes no values
 * schema on the registries we can reach, so this is our own, strict so that a typo is an
 * error; the pod template inside is checked against Kubernetes' own schema.
 */
export const ScaleSetValues = z.strictObject({
  githubConfigUrl: z.url(),
  githubConfigSecret: z.string().min(1).describe('Name of a secret in the namespace; never an inline token'),
  runnerScaleSetName: z.string().regex(/^[a-z0-9][a-z0-9-]{0,44}$/),
  runnerScaleSetLabels: z.array(z.string().min(1)).optional(),
  runnerGroup: z.string().min(1),
  minRunners: z.number().int().min(0),
  maxRunners: z.number().int().min(1),
  template: z.record(z.string(), z.unknown()),
});
export type ScaleSetValues = z.infer<typeof ScaleSetValues>;

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

/**
 * A runner scale set's values: schema first, then the rules a GPU runner must follow here
 * (one GPU, pinned image, cleanup hooks, no privilege), each with the path to fix.
 */
export function checkScaleSetValues(file: string, requiredLabel: string, hookFiles: readonly string[]): Problem[] {
  const raw = parseAllDocuments(readFileSync(file, 'utf8'))[0]?.toJS();
  const parsed = ScaleSetValues.safeParse(raw);
  if (!parsed.success) return parsed.error.issues.map((i) => ({ file, path: i.path.join('.'), message: i.message }));
  const values = parsed.data;
  const problems: Problem[] = [];
  const add = (path: string, message: string) => problems.push({ file, path, message });
  try {
    new PodTemplateSpec(values.template as never).validate();
  } catch (e) {
    add('template', e instanceof Error ? e.message : String(e));
  }
  const labels = new Set([values.runnerScaleSetName, ...(values.runnerScaleSetLabels ?? [])]);
  if (!labels.has(requiredLabel)) add('runnerScaleSetLabels', `the evaluate workflow asks for "${requiredLabel}"; add it`);
  if (values.minRunners > values.maxRunners) add('minRunners', 'must not exceed maxRunners');
  const spec = (values.template as { spec?: { containers?: Container[] } }).spec;
  const runner = spec?.containers?.find((c) => c.name === 'runner');
  if (!runner) {
    add('template.spec.containers', 'needs a container named "runner"');
    return problems;
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
    else if (!value.endsWith(`/${hook}`) || !hookFiles.includes(hook))
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
  return problems;
}
