import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GitHubStandIn } from '../../actions/pipeline/test/support/github-standin.ts';
import { runPtb } from './helpers.ts';

// `ptb doctor` against the GitHub stand-in, which checks every request and every answer against
// GitHub's OpenAPI description: a bare repository, one set up as MAINTAINERS.md says, and the
// mistakes that would break the pipeline.
let gh: GitHubStandIn;
const saved = { token: process.env.GITHUB_TOKEN, api: process.env.GITHUB_API_URL };
const APP_ID = 123456;
const doctor = (...args: string[]) => runPtb(['doctor', '--repo', 'ptb-org/leaderboard', ...args]);

beforeAll(async () => {
  gh = await GitHubStandIn.start();
  process.env.GITHUB_TOKEN = 'ghp_admin';
  process.env.GITHUB_API_URL = gh.url;
});
afterAll(async () => {
  await gh.close();
  for (const [k, v] of [
    ['GITHUB_TOKEN', saved.token],
    ['GITHUB_API_URL', saved.api],
  ] as const)
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
});
afterEach(() => {
  expect(gh.violations.splice(0)).toEqual([]);
});

const ruleset = (id: number, ref: string, rules: string[], bypass: { actor_id: number; actor_type: string }[]) => ({
  id,
  name: `rules of ${ref}`,
  target: 'branch',
  enforcement: 'active',
  conditions: { ref_name: { include: [ref], exclude: [] } },
  rules: rules.map((type) => ({ type })),
  bypass_actors: bypass.map((b) => ({ ...b, bypass_mode: 'always' })),
});

/** Everything MAINTAINERS.md asks for. */
function setUpAsDocumented() {
  const s = gh.settings;
  s.workflowPermissions = { default_workflow_permissions: 'read', can_approve_pull_request_reviews: false };
  s.pages = { buildType: 'workflow' };
  s.variables.set('PTB_APP_CLIENT_ID', 'Iv23abc');
  const app = [{ actor_id: APP_ID, actor_type: 'Integration' }];
  s.rulesets = [
    ruleset(1, '~DEFAULT_BRANCH', ['pull_request', 'non_fast_forward', 'deletion'], app),
    ruleset(2, 'refs/heads/ptb-results', ['update', 'non_fast_forward', 'deletion'], app),
  ];
  s.environments.set('gpu-evaluation', {
    reviewers: ['maintainer'],
    preventSelfReview: true,
    branchPolicy: 'protected',
    secrets: [],
  });
  s.environments.set('gpu-cells', {
    reviewers: [],
    preventSelfReview: false,
    branchPolicy: 'protected',
    secrets: ['PTB_PROVIDER_KEYS'],
  });
  s.environments.set('ptb-bot', {
    reviewers: [],
    preventSelfReview: false,
    branchPolicy: 'custom',
    secrets: ['PTB_APP_PRIVATE_KEY'],
  });
  s.repoLabels.add('run-approved');
  s.runnerGroups = [
    {
      id: 3,
      name: 'ptb-evaluate',
      visibility: 'selected',
      restricted_to_workflows: true,
      selected_workflows: ['ptb-org/leaderboard/.github/workflows/cell.yml@refs/heads/main'],
    },
  ];
}

describe('ptb doctor', { timeout: 60_000 }, () => {
  beforeEach(() => {
    const s = gh.settings;
    s.pages = null;
    s.rulesets = [];
    s.environments.clear();
    s.variables.clear();
    s.repoLabels.clear();
    s.runnerGroups = null;
    s.workflowPermissions = { default_workflow_permissions: 'write', can_approve_pull_request_reviews: true };
  });

  it('a repository with nothing set up: every step missing, the runner group unknown to this token', async () => {
    const r = await doctor();
    expect(r.code, r.err).toBe(1);
    for (const what of [
      '✗ 1. Workflow permissions',
      '✗ 2. Pages source',
      '✗ 3. GitHub App',
      '✗ 4. Ruleset on main',
      '✗ 4. Ruleset on ptb-results',
      '✗ 5. Environment gpu-evaluation',
      '✗ 5. Environment gpu-cells',
      '✗ 5. Environment ptb-bot',
      '✗ 6. Label run-approved',
      "? 7. Runner group ptb-evaluate\n    cannot tell: needs an organisation owner's token",
    ])
      expect(r.out).toContain(what);
    expect(r.out).toContain('Pages is not enabled: Settings → Pages → Source: "GitHub Actions"');
  });

  it('set up as MAINTAINERS.md says: everything in place', async () => {
    setUpAsDocumented();
    const r = await doctor('--app-id', String(APP_ID));
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('Everything the pipeline needs is in place.');
    expect(r.out).not.toMatch(/[✗?] /);
    const json = JSON.parse((await doctor('--json')).out) as { verdict: string }[];
    expect(json.every((f) => f.verdict === 'ok')).toBe(true);
  });

  it.each([
    [
      'reviewers on the cell environment (a review per cell)',
      () => {
        const e = gh.settings.environments.get('gpu-cells');
        if (e) e.reviewers = ['maintainer'];
      },
      '✗ 5. Environment gpu-cells',
    ],
    [
      'self-review allowed on the review environment',
      () => {
        const e = gh.settings.environments.get('gpu-evaluation');
        if (e) e.preventSelfReview = false;
      },
      '✗ 5. Environment gpu-evaluation',
    ],
    [
      'the results branch without the App as bypass actor',
      () => {
        gh.settings.rulesets = [
          gh.settings.rulesets[0] ?? {},
          ruleset(2, 'refs/heads/ptb-results', ['update', 'non_fast_forward', 'deletion'], []),
        ];
      },
      '✗ 4. Ruleset on ptb-results',
    ],
    [
      'main without a pull-request rule',
      () => {
        gh.settings.rulesets = [
          ruleset(1, 'refs/heads/main', ['deletion'], [{ actor_id: APP_ID, actor_type: 'Integration' }]),
          gh.settings.rulesets[1] ?? {},
        ];
      },
      '(missing: pull_request, non_fast_forward)',
    ],
    [
      'Pages built from a branch',
      () => {
        gh.settings.pages = { buildType: 'legacy' };
      },
      'Source is "legacy"; choose "GitHub Actions"',
    ],
    [
      'a runner group open to every workflow',
      () => {
        gh.settings.runnerGroups = [
          { id: 3, name: 'ptb-evaluate', visibility: 'all', restricted_to_workflows: false, selected_workflows: [] },
        ];
      },
      '✗ 7. Runner group ptb-evaluate',
    ],
    [
      'the provider keys missing',
      () => {
        const e = gh.settings.environments.get('gpu-cells');
        if (e) e.secrets = [];
      },
      'secret PTB_PROVIDER_KEYS',
    ],
  ])('finds %s', async (_name, breakIt, message) => {
    setUpAsDocumented();
    breakIt();
    const r = await doctor('--app-id', String(APP_ID));
    expect(r.code).toBe(1);
    expect(r.out).toContain(message);
  });

  it('another App as bypass actor is not ours', async () => {
    setUpAsDocumented();
    const r = await doctor('--app-id', '999');
    expect(r.code).toBe(1);
    expect(r.out).toContain('add the App as a bypass actor');
  });

  it('without a token it says which variable to set', async () => {
    const r = await runPtb(['doctor', '--repo', 'ptb-org/leaderboard', '--token-env', 'PTB_NO_SUCH_TOKEN']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('set PTB_NO_SUCH_TOKEN');
  });
});
