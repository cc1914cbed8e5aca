import type { Octokit } from 'octokit';
import type { PipelineConfig } from './config.ts';
import type { Repo } from './github.ts';

/**
 * The repository settings the pipeline relies on, read through the API and judged against the
 * configuration, in the order MAINTAINERS.md sets them up. `ptb doctor` prints the findings.
 */
export type SettingVerdict = 'ok' | 'missing' | 'unknown';

export interface Finding {
  step: number;
  what: string;
  verdict: SettingVerdict;
  /** What is wrong, or why it cannot be told, and what to do. */
  detail: string;
}

type Json = Record<string, unknown>;

export interface Settings {
  defaultBranch: string;
  workflowPermissions: Json | null;
  pages: Json | null;
  rulesets: Json[] | null;
  environments: Record<string, { environment: Json | null; secrets: string[] | null }>;
  variables: Record<string, boolean | null>;
  label: boolean | null;
  runnerGroups: Json[] | null;
}

const status = (e: unknown) => (e as { status?: number }).status;

async function orNull<T>(call: () => Promise<T>, absent = [404]): Promise<T | null | 'forbidden'> {
  try {
    return await call();
  } catch (e) {
    if (absent.includes(status(e) ?? 0)) return null;
    if (status(e) === 403) return 'forbidden';
    throw e;
  }
}

/** The adapter: every setting doctor judges, one read each; what the token may not read is null. */
export async function readSettings(octokit: Octokit, repo: Repo, config: PipelineConfig): Promise<Settings> {
  const r = { ...repo };
  const { data: info } = await octokit.rest.repos.get(r);
  const forbiddenToNull = <T>(v: T | null | 'forbidden') => (v === 'forbidden' ? null : v);
  const workflowPermissions = forbiddenToNull(
    await orNull(async () => (await octokit.rest.actions.getGithubActionsDefaultWorkflowPermissionsRepository(r)).data as Json),
  );
  const pages = await orNull(async () => (await octokit.rest.repos.getPages(r)).data as Json);
  const rulesetList = await orNull(async () => (await octokit.rest.repos.getRepoRulesets({ ...r, per_page: 100 })).data);
  let rulesets: Json[] | null = null;
  if (Array.isArray(rulesetList)) {
    rulesets = [];
    for (const rs of rulesetList)
      rulesets.push((await octokit.rest.repos.getRepoRuleset({ ...r, ruleset_id: rs.id })).data as unknown as Json);
  }
  const environments: Settings['environments'] = {};
  for (const name of [config.environment, config.cellEnvironment, config.botEnvironment]) {
    const environment = await orNull(
      async () => (await octokit.rest.repos.getEnvironment({ ...r, environment_name: name })).data as Json,
    );
    const secrets = await orNull(async () =>
      (await octokit.rest.actions.listEnvironmentSecrets({ ...r, environment_name: name, per_page: 100 })).data.secrets.map(
        (s) => s.name,
      ),
    );
    environments[name] = {
      environment: environment === 'forbidden' ? null : environment,
      secrets: secrets === 'forbidden' ? null : secrets,
    };
  }
  const variable = await orNull(async () => (await octokit.rest.actions.getRepoVariable({ ...r, name: APP_CLIENT_ID })).data);
  const label = await orNull(async () => (await octokit.rest.issues.getLabel({ ...r, name: config.approveLabel })).data);
  const groups = await orNull(
    async () =>
      // Not in Octokit's generated methods (an organisation's runner groups): the route itself.
      (await octokit.request('GET /orgs/{org}/actions/runner-groups', { org: repo.owner, per_page: 100 })).data
        .runner_groups as unknown as Json[],
  );
  return {
    defaultBranch: info.default_branch,
    workflowPermissions,
    pages: pages === 'forbidden' ? null : pages,
    rulesets,
    environments,
    variables: { [APP_CLIENT_ID]: variable === 'forbidden' ? null : variable !== null },
    label: label === 'forbidden' ? null : label !== null,
    runnerGroups: groups === 'forbidden' || groups === null ? null : groups,
  };
}

export const APP_CLIENT_ID = 'PTB_APP_CLIENT_ID';
export const APP_PRIVATE_KEY = 'PTB_APP_PRIVATE_KEY';
export const PROVIDER_KEYS = 'PTB_PROVIDER_KEYS';

const matchesRef = (patterns: unknown, ref: string, defaultBranch: string) =>
  Array.isArray(patterns) &&
  patterns.some(
    (p) =>
      p === '~ALL' ||
      p === ref ||
      (p === '~DEFAULT_BRANCH' && ref === `refs/heads/${defaultBranch}`) ||
      (typeof p === 'string' && p.endsWith('*') && ref.startsWith(p.slice(0, -1))),
  );

/** Pure: the findings, in MAINTAINERS.md's order. */
export function judgeSettings(s: Settings, config: PipelineConfig, repo: Repo, opts: { appId?: number } = {}): Finding[] {
  const out: Finding[] = [];
  const add = (step: number, what: string, verdict: SettingVerdict, detail: string) => out.push({ step, what, verdict, detail });

  // 1. Actions: the workflow token reads by default and never approves pull requests.
  const wp = s.workflowPermissions;
  if (!wp) add(1, 'Workflow permissions', 'unknown', 'the token may not read Settings → Actions (needs admin)');
  else
    add(
      1,
      'Workflow permissions',
      wp.default_workflow_permissions === 'read' && wp.can_approve_pull_request_reviews === false ? 'ok' : 'missing',
      'Settings → Actions → General → Workflow permissions: "Read repository contents", and do not allow GitHub Actions to approve pull requests',
    );

  // 2. Pages from GitHub Actions.
  add(
    2,
    'Pages source',
    s.pages?.build_type === 'workflow' ? 'ok' : 'missing',
    s.pages
      ? `Settings → Pages → Source is "${String(s.pages.build_type)}"; choose "GitHub Actions" (publish.yml deploys)`
      : 'Pages is not enabled: Settings → Pages → Source: "GitHub Actions"',
  );

  // 3. The GitHub App: its client id as a variable, its key in the bot environment.
  const bot = s.environments[config.botEnvironment];
  add(
    3,
    'GitHub App',
    s.variables[APP_CLIENT_ID] === true && bot?.secrets?.includes(APP_PRIVATE_KEY)
      ? 'ok'
      : s.variables[APP_CLIENT_ID] === null
        ? 'unknown'
        : 'missing',
    `create the App (Contents: read and write), install it on ${repo.owner}/${repo.repo}, set the repository variable ${APP_CLIENT_ID} to its client id and the ${config.botEnvironment} environment secret ${APP_PRIVATE_KEY} to its private key`,
  );

  // 4. Rulesets: main through pull requests, the results branch written by the App only.
  const appBypass = (rs: Json) =>
    Array.isArray(rs.bypass_actors) &&
    (rs.bypass_actors as Json[]).some(
      (a) => a.actor_type === 'Integration' && (opts.appId === undefined || a.actor_id === opts.appId),
    );
  const ruleTypes = (rs: Json) => new Set((Array.isArray(rs.rules) ? (rs.rules as Json[]) : []).map((r) => String(r.type)));
  const covering = (ref: string) =>
    (s.rulesets ?? []).filter(
      (rs) =>
        rs.target === 'branch' &&
        rs.enforcement === 'active' &&
        matchesRef(((rs.conditions as Json | undefined)?.ref_name as Json | undefined)?.include, ref, s.defaultBranch),
    );
  const ruleset = (step: number, what: string, ref: string, need: string[], how: string) => {
    if (s.rulesets === null) return add(step, what, 'unknown', 'the token may not read rulesets');
    const found = covering(ref);
    const types = new Set(found.flatMap((rs) => [...ruleTypes(rs)]));
    const lacking = need.filter((t) => !types.has(t));
    const bypass = found.some(appBypass);
    add(
      step,
      what,
      lacking.length === 0 && bypass ? 'ok' : 'missing',
      `${how}${lacking.length > 0 ? ` (missing: ${lacking.join(', ')})` : ''}${bypass ? '' : '; add the App as a bypass actor'}`,
    );
  };
  ruleset(
    4,
    `Ruleset on ${s.defaultBranch}`,
    `refs/heads/${s.defaultBranch}`,
    ['pull_request', 'non_fast_forward', 'deletion'],
    'Settings → Rules → Rulesets: a branch ruleset on the default branch, active, requiring pull requests, blocking force pushes and deletion, the App in its bypass list (publish pushes results through it)',
  );
  ruleset(
    4,
    `Ruleset on ${config.resultsBranch}`,
    `refs/heads/${config.resultsBranch}`,
    ['update', 'non_fast_forward', 'deletion'],
    `a second branch ruleset on ${config.resultsBranch}, active, restricting updates, blocking force pushes and deletion, the App its only bypass actor (the results and the queue)`,
  );

  // 5. Environments.
  const env = (name: string) => s.environments[name]?.environment ?? null;
  const reviewers = (e: Json | null) =>
    ((e?.protection_rules as Json[] | undefined) ?? []).find((r) => r.type === 'required_reviewers') as Json | undefined;
  const mainOnly = (e: Json | null) => e?.deployment_branch_policy != null;
  const review = env(config.environment);
  const rr = reviewers(review);
  add(
    5,
    `Environment ${config.environment}`,
    review && rr && ((rr.reviewers as unknown[]) ?? []).length > 0 && rr.prevent_self_review === true && mainOnly(review)
      ? 'ok'
      : 'missing',
    'required reviewers (maintainers), "Prevent self-review", deployment branches: the default branch only; one review per approved submission',
  );
  const cells = env(config.cellEnvironment);
  add(
    5,
    `Environment ${config.cellEnvironment}`,
    cells && !reviewers(cells) && mainOnly(cells) && s.environments[config.cellEnvironment]?.secrets?.includes(PROVIDER_KEYS)
      ? 'ok'
      : 'missing',
    `no required reviewers (each cell would ask again), deployment branches: the default branch only, secret ${PROVIDER_KEYS} (NAME=value lines of provider keys)`,
  );
  const botEnv = env(config.botEnvironment);
  add(
    5,
    `Environment ${config.botEnvironment}`,
    botEnv && !reviewers(botEnv) && mainOnly(botEnv) && s.environments[config.botEnvironment]?.secrets?.includes(APP_PRIVATE_KEY)
      ? 'ok'
      : 'missing',
    `no required reviewers, deployment branches: the default branch only, secret ${APP_PRIVATE_KEY}`,
  );

  // 6. The approve label.
  add(
    6,
    `Label ${config.approveLabel}`,
    s.label === true ? 'ok' : s.label === null ? 'unknown' : 'missing',
    `create the label "${config.approveLabel}" (Issues → Labels)`,
  );

  // 7. The runner group, restricted to this repository's cell.yml.
  const workflow = `${repo.owner}/${repo.repo}/.github/workflows/cell.yml@refs/heads/${s.defaultBranch}`;
  if (s.runnerGroups === null)
    add(
      7,
      `Runner group ${config.runnerGroup}`,
      'unknown',
      `needs an organisation owner's token to read; it must be restricted to ${workflow}`,
    );
  else {
    const g = s.runnerGroups.find((x) => x.name === config.runnerGroup);
    add(
      7,
      `Runner group ${config.runnerGroup}`,
      g &&
        g.visibility === 'selected' &&
        g.restricted_to_workflows === true &&
        (g.selected_workflows as string[] | undefined)?.includes(workflow)
        ? 'ok'
        : 'missing',
      `an organisation runner group "${config.runnerGroup}" for selected repositories (this one), restricted to the workflow ${workflow}`,
    );
  }
  return out;
}
