import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, describe, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadWorkflow, planJob } from '../../pipeline/test/support/workflow-model.ts';
import { jitConfigRequest, runnerGroupRequest } from '../src/github-runners.ts';
import { CHART, checkManifest, checkScaleSetValues } from '../src/kubernetes.ts';

const DIR = fileURLToPath(new URL('../kubernetes/', import.meta.url));
const HOOKS = readdirSync(fileURLToPath(new URL('../hooks/', import.meta.url)));
const VALUES = join(DIR, 'gpu-h100.values.yaml');
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
// The real chart at a pinned release and helm, both from the Go module proxy (.ci/install-tools.sh).
const HELM = join(ROOT, '.cache/tools/bin/helm');
const CHART_DIR = join(ROOT, `.cache/tools/charts/${CHART.name}-${CHART.version}`);
for (const [what, path] of [
  ['helm', HELM],
  [`the ${CHART.name} chart ${CHART.version}`, join(CHART_DIR, 'Chart.yaml')],
] as const)
  if (!existsSync(path)) throw new Error(`${what} is missing at ${path}: run .ci/install-tools.sh`);
const check = (file: string) => checkScaleSetValues(file, { helm: HELM, chartDir: CHART_DIR, hookFiles: HOOKS });

/** What cell.yml's GPU job asks for, as GitHub's parser and evaluator read it. */
async function runsOn(): Promise<string[]> {
  const wf = await loadWorkflow('cell.yml', readFileSync(join(ROOT, '.github/workflows/cell.yml'), 'utf8'));
  const plan = planJob(wf, 'cell', { name: 'workflow_dispatch', payload: {}, inputs: {} });
  return [plan.runsOn].flat().map(String);
}

// biome-ignore lint/suspicious/noExplicitAny: the edits reach into arbitrary parsed YAML
type Values = Record<string, any>;

const scratch = mkdtempSync(join(tmpdir(), 'ptb-k8s-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let variants = 0;
function variant(edit: (v: Values) => void): string {
  const v = parse(readFileSync(VALUES, 'utf8'));
  edit(v);
  const file = join(scratch, `values-${variants++}.yaml`);
  writeFileSync(file, stringify(v));
  return file;
}
const runner = (v: Values) => v.template.spec.containers[0];

describe('the committed fleet configuration, rendered by the real chart', () => {
  test('the GPU scale set values: every key read by the chart, the rendered pod passes the Kubernetes schema and our rules', () => {
    expect(check(VALUES).problems).toEqual([]);
  });

  test("the label the rendered scale set registers is what cell.yml's runs-on asks for", async () => {
    const { labels } = check(VALUES);
    const wanted = await runsOn();
    expect(wanted.length).toBeGreaterThan(0);
    for (const l of wanted) expect(labels, `runs-on asks for ${l}`).toContain(l);
  });

  test('the values of before (labels under a key the chart does not read) are caught, and match no job', async () => {
    const old = variant((v) => {
      v.runnerScaleSetLabels = ['linux', 'x64', 'gpu-h100'];
    });
    expect(
      check(old)
        .problems.map((p) => p.message)
        .join('\n'),
    ).toMatch(/does not read "runnerScaleSetLabels"/);
    const registered = check(old).labels;
    expect(['self-hosted', 'linux', 'x64', 'gpu-h100'].every((l) => registered.includes(l))).toBe(false);
  });

  test('every Kubernetes manifest passes the Kubernetes schema', () => {
    const manifests = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && !f.endsWith('.values.yaml'));
    expect(manifests.length).toBeGreaterThanOrEqual(2);
    for (const f of manifests) expect(checkManifest(join(DIR, f)), f).toEqual([]);
  });
});

describe('the checks catch what must not ship', () => {
  test.each([
    [
      'two GPUs per runner',
      (v: Values) => {
        runner(v).resources.limits['nvidia.com/gpu'] = '2';
      },
      /must be 1/,
    ],
    [
      'an image by tag',
      (v: Values) => {
        runner(v).image = 'ghcr.io/x/runner:latest';
      },
      /pinned by digest/,
    ],
    [
      'no cleanup hook',
      (v: Values) => {
        runner(v).env = runner(v).env.filter((e: { name: string }) => e.name !== 'ACTIONS_RUNNER_HOOK_JOB_COMPLETED');
      },
      /job-completed/,
    ],
    [
      'privilege escalation',
      (v: Values) => {
        runner(v).securityContext.allowPrivilegeEscalation = true;
      },
      /must be false/,
    ],
    [
      'an added capability',
      (v: Values) => {
        runner(v).securityContext.capabilities.add = ['SYS_ADMIN'];
      },
      /must add none/,
    ],
    [
      'a typo in a values key',
      (v: Values) => {
        v.maxRunner = 3;
      },
      /does not read "maxRunner"/,
    ],
    [
      'an invalid pod field value',
      (v: Values) => {
        runner(v).imagePullPolicy = 'Sometimes';
      },
      /imagePullPolicy/,
    ],
    [
      'min above max (the chart itself refuses it)',
      (v: Values) => {
        v.minRunners = 9;
      },
      /maxRunners has to be greater or equal to minRunners/,
    ],
  ])('%s', (_name, edit, message) => {
    const { problems } = check(variant(edit));
    expect(problems.map((p) => `${p.path}: ${p.message}`).join('\n')).toMatch(message);
  });

  test('a scale set under another name registers a label no job asks for', async () => {
    const { labels } = check(
      variant((v) => {
        v.runnerScaleSetName = 'gpu';
      }),
    );
    expect((await runsOn()).every((l) => labels.includes(l))).toBe(false);
  });

  test('a broken manifest is reported', () => {
    const file = join(scratch, 'pvc.yaml');
    copyFileSync(join(DIR, 'model-cache.pvc.yaml'), file);
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('ReadOnlyMany', 'ReadSometimes').replace('storage: 500Gi', 'storage: lots'),
    );
    expect(checkManifest(file).length).toBeGreaterThan(0);
  });
});

describe("GitHub's runner APIs, checked against the official OpenAPI description", () => {
  const api = JSON.parse(
    readFileSync(
      fileURLToPath(new URL('../../../node_modules/@octokit/openapi/generated/api.github.com.deref.json', import.meta.url)),
      'utf8',
    ),
  );
  const ajv = new Ajv({ strict: false, allErrors: true });
  (addFormatsModule as unknown as (a: Ajv) => void)(ajv);
  const body = (path: string) => api.paths[path].post.requestBody.content['application/json'].schema;

  test('the committed runner group request and the generated one are valid bodies', () => {
    const validate = ajv.compile(body('/orgs/{org}/actions/runner-groups'));
    const committed = JSON.parse(readFileSync(join(DIR, 'runner-group.json'), 'utf8'));
    expect(validate(committed), ajv.errorsText(validate.errors)).toBe(true);
    const generated = runnerGroupRequest('posttrainbench/leaderboard', 123);
    expect(validate(generated), ajv.errorsText(validate.errors)).toBe(true);
    expect(generated.selected_workflows).toEqual(['posttrainbench/leaderboard/.github/workflows/cell.yml@refs/heads/main']);
    expect(validate({ ...generated, visibility: 'everyone-please' })).toBe(false);
  });

  test('a just-in-time runner request is a valid body', () => {
    const validate = ajv.compile(body('/repos/{owner}/{repo}/actions/runners/generate-jitconfig'));
    const request = jitConfigRequest('gpu-box-1', 3, 7, ['self-hosted', 'linux', 'x64', 'gpu-h100']);
    expect(validate(request), ajv.errorsText(validate.errors)).toBe(true);
    expect(request.name).toMatch(/^gpu-box-1-gpu3-/);
    expect(validate({ name: 'x' })).toBe(false);
  });
});
