import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, describe, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';
import { jitConfigRequest, runnerGroupRequest } from '../src/github-runners.ts';
import { checkManifest, checkScaleSetValues } from '../src/kubernetes.ts';

const DIR = fileURLToPath(new URL('../kubernetes/', import.meta.url));
const HOOKS = readdirSync(fileURLToPath(new URL('../hooks/', import.meta.url)));
const VALUES = join(DIR, 'gpu-h100.values.yaml');

// biome-ignore lint/suspicious/noExplicitAny: the edits reach into arbitrary parsed YAML
type Values = Record<string, any>;

const folders: string[] = [];
afterAll(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A file in a fresh temporary folder, removed after the tests. */
function tempFile(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ptb-k8s-'));
  folders.push(dir);
  return join(dir, name);
}

function variant(edit: (v: Values) => void): string {
  const v = parse(readFileSync(VALUES, 'utf8'));
  edit(v);
  const file = tempFile('values.yaml');
  writeFileSync(file, stringify(v));
  return file;
}
const runner = (v: Values) => v.template.spec.containers[0];

describe('the committed fleet configuration', () => {
  test('the GPU scale set values pass the Kubernetes schema and our rules', () => {
    expect(checkScaleSetValues(VALUES, 'gpu-h100', HOOKS)).toEqual([]);
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
      'a label the workflow does not ask for',
      (v: Values) => {
        v.runnerScaleSetName = 'gpu';
        v.runnerScaleSetLabels = ['gpu'];
      },
      /asks for "gpu-h100"/,
    ],
    [
      'a typo in a values key',
      (v: Values) => {
        v.maxRunner = 3;
      },
      /Unrecognized key/,
    ],
    [
      'an invalid pod field value',
      (v: Values) => {
        runner(v).imagePullPolicy = 'Sometimes';
      },
      /imagePullPolicy/,
    ],
    [
      'min above max',
      (v: Values) => {
        v.minRunners = 9;
      },
      /must not exceed maxRunners/,
    ],
  ])('%s', (_name, edit, message) => {
    const problems = checkScaleSetValues(variant(edit), 'gpu-h100', HOOKS);
    expect(problems.map((p) => `${p.path}: ${p.message}`).join('\n')).toMatch(message);
  });

  test('a broken manifest is reported', () => {
    const file = tempFile('pvc.yaml');
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
    expect(generated.selected_workflows).toEqual(['posttrainbench/leaderboard/.github/workflows/evaluate.yml@refs/heads/main']);
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
