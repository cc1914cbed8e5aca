// A local stand-in for api.github.com: node:http on 127.0.0.1 (port 0), an in-memory repository,
// responses built from GitHub's official examples, and every request body and every response
// checked against GitHub's official OpenAPI description. Any mismatch is recorded in
// `violations`, which the tests require to be empty.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Match, openApi } from './openapi.ts';

export const BOT = 'github-actions[bot]';

export interface Fault {
  status: number;
  kind?: 'server' | 'rate-limit' | 'secondary-rate-limit';
}

interface Pull {
  number: number;
  state: 'open' | 'closed';
  author: string;
  headSha: string;
  baseRef: string;
  merged: boolean;
  /** Paths changed by the PR: content at head, or null when removed. */
  changes: Map<string, string | null>;
}

interface Comment {
  id: number;
  issue: number;
  login: string;
  body: string;
  created: string;
  updated: string;
}

type Json = Record<string, unknown>;
type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

export const fakeSha = (seed: string) => createHash('sha1').update(seed).digest('hex');
const blobSha = (content: string) =>
  createHash('sha1')
    .update(`blob ${Buffer.byteLength(content)}\0${content}`)
    .digest('hex');

export class GitHubStandIn {
  readonly owner = 'ptb-org';
  readonly repo = 'leaderboard';
  readonly violations: string[] = [];
  readonly requests: { method: string; path: string; operationId: string; body: unknown; status: number }[] = [];
  readonly permissions = new Map<string, string>();
  readonly pulls = new Map<number, Pull>();
  /** Files by ref ('main' or a commit SHA) and path. */
  readonly trees = new Map<string, Map<string, string>>();
  readonly comments: Comment[] = [];
  readonly checkRuns: Json[] = [];
  readonly workflowRuns: { id: number; title: string; status: string; workflow?: string; inputs?: Record<string, string> }[] = [];
  /** workflow_dispatch calls; `runTitle` turns one into the run GitHub would create (its run-name). */
  readonly dispatches: { workflow: string; ref: string; inputs: Record<string, string> }[] = [];
  runTitle: (workflow: string, inputs: Record<string, string>) => string | null = () => null;
  readonly cancelled: number[] = [];
  /** Labels on each PR. */
  readonly labels = new Map<number, string[]>();
  /** The repository's settings, as `ptb doctor` reads them. */
  readonly settings = {
    defaultBranch: 'main',
    /** null: Pages not enabled (404). */
    pages: null as null | { buildType: 'workflow' | 'legacy' },
    /** Full ruleset objects (GitHub's shape: target, enforcement, conditions, rules, bypass_actors). */
    rulesets: [] as Json[],
    environments: new Map<
      string,
      { reviewers: string[]; preventSelfReview: boolean; branchPolicy: 'protected' | 'custom' | null; secrets: string[] }
    >(),
    variables: new Map<string, string>(),
    workflowPermissions: { default_workflow_permissions: 'write', can_approve_pull_request_reviews: true },
    repoLabels: new Set<string>(),
    /** null: the token may not read the organisation's runner groups (403). */
    runnerGroups: null as null | Json[],
  };
  private readonly faults = new Map<string, Fault[]>();
  private nextId = 1000;
  private server: Server | undefined;
  url = '';

  static async start(): Promise<GitHubStandIn> {
    const s = new GitHubStandIn();
    s.trees.set('main', new Map());
    s.server = createServer((req, res) => {
      s.handle(req, res).catch((e) => {
        s.violations.push(`stand-in crashed on ${req.method} ${req.url}: ${(e as Error).stack}`);
        res.statusCode = 500;
        res.end();
      });
    });
    await new Promise<void>((resolve) => s.server?.listen(0, '127.0.0.1', resolve));
    s.url = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
    return s;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.close(() => resolve());
      this.server?.closeAllConnections();
    });
  }

  // ---- state helpers for tests -------------------------------------------------------------

  setFile(ref: string, path: string, content: string): void {
    if (!this.trees.has(ref)) this.trees.set(ref, new Map(this.trees.get('main')));
    this.trees.get(ref)?.set(path, content);
  }

  /** Opens (or pushes to) a PR: `changes` are applied on top of main at a new head SHA. */
  push(number: number, author: string, changes: Record<string, string | null>): string {
    const prev = this.pulls.get(number);
    const all = new Map(prev?.changes ?? []);
    for (const [p, c] of Object.entries(changes)) all.set(p, c);
    const headSha = fakeSha(`${number}:${this.nextId++}:${JSON.stringify([...all])}`);
    const tree = new Map(this.trees.get('main'));
    for (const [p, c] of all) {
      if (c === null) tree.delete(p);
      else tree.set(p, c);
    }
    this.trees.set(headSha, tree);
    this.pulls.set(number, { number, state: 'open', author, headSha, baseRef: 'main', merged: false, changes: all });
    return headSha;
  }

  addComment(issue: number, login: string, body: string): number {
    const id = this.nextId++;
    const now = new Date().toISOString();
    this.comments.push({ id, issue, login, body, created: now, updated: now });
    return id;
  }

  /** Queues failures for the next calls of an operation (e.g. 'issues/create-comment'). */
  failNext(operationId: string, ...faults: Fault[]): void {
    this.faults.set(operationId, [...(this.faults.get(operationId) ?? []), ...faults]);
  }

  /** Faults not consumed by a test must not leak into the next. */
  clearFaults(): void {
    this.faults.clear();
  }

  botComments(issue: number): Comment[] {
    return this.comments.filter((c) => c.issue === issue && c.login === BOT);
  }

  // ---- HTTP -----------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        this.violations.push(`${method} ${url.pathname}: request body is not JSON`);
      }
    }
    const api = openApi();
    const match = api.match(method, url.pathname);
    if (!match) {
      this.violations.push(`${method} ${url.pathname}: no such operation in GitHub's OpenAPI description`);
      return this.send(
        res,
        undefined,
        { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } },
        method,
        url.pathname,
        body,
      );
    }
    for (const e of api.checkRequest(match.route, body)) this.violations.push(`request ${match.route.operationId}: ${e}`);
    for (const e of api.checkQuery(match.route, url.searchParams))
      this.violations.push(`request ${match.route.operationId}: ${e}`);
    if (!req.headers.authorization) this.violations.push(`${match.route.operationId}: request without a token`);
    const fault = this.faults.get(match.route.operationId)?.shift();
    const reply = fault ? this.faultReply(fault) : this.route(match, url.searchParams, body as Json);
    return this.send(res, match, reply, method, url.pathname, body);
  }

  private send(
    res: ServerResponse,
    match: Match | undefined,
    reply: Reply,
    method: string,
    path: string,
    reqBody: unknown,
  ): void {
    if (match) {
      for (const e of openApi().checkResponse(match.route, reply.status, reply.body))
        this.violations.push(`response ${reply.status} of ${match.route.operationId}: ${e}`);
    }
    this.requests.push({ method, path, operationId: match?.route.operationId ?? '?', body: reqBody, status: reply.status });
    res.statusCode = reply.status;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('x-github-api-version-selected', '2022-11-28');
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
    res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
  }

  private faultReply(f: Fault): Reply {
    const doc = 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api';
    if (f.kind === 'rate-limit')
      return {
        status: f.status,
        headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000)) },
        body: { message: 'API rate limit exceeded for installation ID 1.', documentation_url: doc },
      };
    if (f.kind === 'secondary-rate-limit')
      return {
        status: f.status,
        headers: { 'retry-after': '1' },
        body: { message: 'You have exceeded a secondary rate limit.', documentation_url: doc },
      };
    return { status: f.status, body: { message: 'Server Error', documentation_url: 'https://docs.github.com/rest' } };
  }

  private notFound(): Reply {
    return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
  }

  private route(m: Match, query: URLSearchParams, body: Json): Reply {
    const p = m.params;
    if ('org' in p ? p.org !== this.owner : p.owner !== this.owner || p.repo !== this.repo) return this.notFound();
    switch (m.route.operationId) {
      case 'pulls/get': {
        const pull = this.pulls.get(Number(p.pull_number));
        return pull ? { status: 200, body: this.pullJson(pull) } : this.notFound();
      }
      case 'pulls/list-files': {
        const pull = this.pulls.get(Number(p.pull_number));
        return pull ? { status: 200, body: this.diffEntries(pull) } : this.notFound();
      }
      case 'repos/get-content': {
        const ref = query.get('ref') ?? 'main';
        const content = this.trees.get(ref)?.get(p.path ?? '');
        return content === undefined ? this.notFound() : { status: 200, body: this.contentJson(p.path ?? '', content, ref) };
      }
      case 'issues/list-comments': {
        // Pages as GitHub serves them: per_page (default 30) and page, a Link header to the next.
        const all = this.comments.filter((c) => c.issue === Number(p.issue_number));
        const perPage = Number(query.get('per_page') ?? 30);
        const page = Number(query.get('page') ?? 1);
        const slice = all.slice((page - 1) * perPage, page * perPage);
        const more = page * perPage < all.length;
        const next = `${this.url}/repos/${this.owner}/${this.repo}/issues/${p.issue_number}/comments?per_page=${perPage}&page=${page + 1}`;
        return {
          status: 200,
          body: slice.map((c) => this.commentJson(c)),
          ...(more ? { headers: { link: `<${next}>; rel="next"` } } : {}),
        };
      }
      case 'issues/create-comment': {
        const id = this.addComment(Number(p.issue_number), BOT, String(body.body));
        const c = this.comments.find((x) => x.id === id) as Comment;
        return { status: 201, body: this.commentJson(c) };
      }
      case 'issues/update-comment': {
        const c = this.comments.find((x) => x.id === Number(p.comment_id));
        if (!c) return this.notFound();
        if (c.login !== BOT)
          return {
            status: 403,
            body: { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest' },
          };
        c.body = String(body.body);
        c.updated = new Date().toISOString();
        return { status: 200, body: this.commentJson(c) };
      }
      case 'repos/get-collaborator-permission-level': {
        const perm = this.permissions.get(p.username ?? '') ?? 'read';
        const ex = openApi().example<Json>('repository-collaborator-permission-response-if-user-has-admin-permissions');
        const user = { ...(ex.user as Json), login: p.username, role_name: perm };
        return { status: 200, body: { ...ex, permission: perm === 'maintain' ? 'write' : perm, role_name: perm, user } };
      }
      case 'checks/create': {
        const ex = openApi().example<Json>('check-run-example-of-completed-conclusion');
        const id = this.nextId++;
        const output = body.output as Json | undefined;
        const run = {
          ...ex,
          id,
          name: body.name,
          head_sha: body.head_sha,
          status: body.status ?? 'queued',
          conclusion: body.conclusion ?? null,
          details_url: body.details_url ?? null,
          output: { ...(ex.output as Json), title: output?.title ?? null, summary: output?.summary ?? null, text: null },
        };
        this.checkRuns.push(run);
        return { status: 201, body: run };
      }
      case 'actions/create-workflow-dispatch': {
        const inputs = (body.inputs ?? {}) as Record<string, string>;
        const workflow = String(p.workflow_id);
        this.dispatches.push({ workflow, ref: String(body.ref), inputs });
        const title = this.runTitle(workflow, inputs);
        if (title !== null) this.workflowRuns.push({ id: this.nextId++, title, status: 'queued', workflow, inputs });
        return { status: 204 };
      }
      case 'actions/list-workflow-runs': {
        const ex = openApi().example<{ workflow_runs: Json[] }>('workflow-run-paginated');
        const template = ex.workflow_runs[0] as Json;
        const status = query.get('status');
        const runs = this.workflowRuns
          .filter((r) => !status || r.status === status)
          .filter((r) => !r.workflow || r.workflow === p.workflow_id)
          .map((r) => ({ ...template, id: r.id, display_title: r.title, status: r.status, conclusion: null }));
        return { status: 200, body: { total_count: runs.length, workflow_runs: runs } };
      }
      case 'issues/remove-label': {
        const issue = Number(p.issue_number);
        const labels = this.labels.get(issue) ?? [];
        if (!labels.includes(p.name ?? '')) return this.notFound();
        const rest = labels.filter((l) => l !== p.name);
        this.labels.set(issue, rest);
        const [template] = openApi().example<Json[]>('label-items-2');
        return { status: 200, body: rest.map((name, i) => ({ ...template, id: i + 1, name })) };
      }
      case 'actions/cancel-workflow-run': {
        const run = this.workflowRuns.find((r) => r.id === Number(p.run_id));
        if (!run) return this.notFound();
        run.status = 'cancelled';
        this.cancelled.push(run.id);
        return { status: 202, body: {} };
      }
      case 'repos/get': {
        const ex = openApi().example<Json>('full-repository-default-response');
        // The official example lacks `language`, which its own schema requires (nullable).
        return {
          status: 200,
          body: {
            ...ex,
            language: null,
            source: { ...(ex.source as Json), language: null },
            name: this.repo,
            full_name: `${this.owner}/${this.repo}`,
            default_branch: this.settings.defaultBranch,
          },
        };
      }
      case 'repos/get-pages': {
        const pages = this.settings.pages;
        if (!pages) return this.notFound();
        return { status: 200, body: { ...openApi().example<Json>('page'), build_type: pages.buildType } };
      }
      case 'repos/get-repo-rulesets': {
        const [template] = openApi().example<Json[]>('repository-ruleset-items');
        return {
          status: 200,
          body: this.settings.rulesets.map((r) => ({
            ...template,
            id: r.id,
            name: r.name,
            target: r.target,
            enforcement: r.enforcement,
            source: `${this.owner}/${this.repo}`,
          })),
        };
      }
      case 'repos/get-repo-ruleset': {
        const r = this.settings.rulesets.find((x) => x.id === Number(p.ruleset_id));
        return r ? { status: 200, body: { ...openApi().example<Json>('repository-ruleset'), ...r } } : this.notFound();
      }
      case 'repos/get-environment': {
        const env = this.settings.environments.get(p.environment_name ?? '');
        if (!env) return this.notFound();
        const ex = openApi().example<Json>('environment');
        const rules = ex.protection_rules as Json[];
        const reviewersRule = rules.find((r) => r.type === 'required_reviewers') as Json;
        const template = (reviewersRule.reviewers as Json[])[0] as Json;
        const protection: Json[] = [];
        if (env.reviewers.length > 0)
          protection.push({
            ...reviewersRule,
            prevent_self_review: env.preventSelfReview,
            reviewers: env.reviewers.map((login) => ({ ...template, reviewer: { ...(template.reviewer as Json), login } })),
          });
        if (env.branchPolicy) protection.push(rules.find((r) => r.type === 'branch_policy') as Json);
        return {
          status: 200,
          body: {
            ...ex,
            name: p.environment_name,
            protection_rules: protection,
            deployment_branch_policy:
              env.branchPolicy === null
                ? null
                : { protected_branches: env.branchPolicy === 'protected', custom_branch_policies: env.branchPolicy === 'custom' },
          },
        };
      }
      case 'actions/list-environment-secrets': {
        const env = this.settings.environments.get(p.environment_name ?? '');
        if (!env) return this.notFound();
        const ex = openApi().example<{ secrets: Json[] }>('actions-secret-paginated');
        const secrets = env.secrets.map((name) => ({ ...(ex.secrets[0] as Json), name }));
        return { status: 200, body: { total_count: secrets.length, secrets } };
      }
      case 'actions/get-repo-variable': {
        const value = this.settings.variables.get(p.name ?? '');
        if (value === undefined) return this.notFound();
        return { status: 200, body: { ...openApi().example<Json>('actions-variable'), name: p.name, value } };
      }
      case 'actions/get-github-actions-default-workflow-permissions-repository':
        return { status: 200, body: { ...this.settings.workflowPermissions } };
      case 'issues/get-label': {
        if (!this.settings.repoLabels.has(p.name ?? '')) return this.notFound();
        return { status: 200, body: { ...openApi().example<Json>('label'), name: p.name } };
      }
      case 'actions/list-self-hosted-runner-groups-for-org': {
        const groups = this.settings.runnerGroups;
        if (!groups)
          return {
            status: 403,
            body: { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest' },
          };
        const template = (openApi().example<{ runner_groups: Json[] }>('runner-groups-org').runner_groups[1] ?? {}) as Json;
        const runnerGroups = groups.map((g) => ({ ...template, ...g }));
        return { status: 200, body: { total_count: runnerGroups.length, runner_groups: runnerGroups } };
      }
      default:
        this.violations.push(`the stand-in has no handler for ${m.route.operationId} (add one rather than guessing)`);
        return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
    }
  }

  private userJson(login: string): Json {
    const ex = openApi().example<Json>('issue-comment');
    return { ...(ex.user as Json), login, id: login.length * 1000 + 7, type: login.endsWith('[bot]') ? 'Bot' : 'User' };
  }

  private pullJson(pull: Pull): Json {
    const ex = openApi().example<Json>('pull-request');
    const base = ex.base as Json;
    const head = ex.head as Json;
    return {
      ...ex,
      number: pull.number,
      state: pull.state,
      merged: pull.merged,
      user: this.userJson(pull.author),
      // The official example's team lacks the 'type' its own schema requires.
      requested_teams: [],
      head: { ...head, sha: pull.headSha, ref: 'submission', user: this.userJson(pull.author) },
      base: { ...base, ref: pull.baseRef, sha: fakeSha('main') },
    };
  }

  private diffEntries(pull: Pull): Json[] {
    const [template] = openApi().example<Json[]>('diff-entry-items');
    return [...pull.changes].map(([filename, content]) => {
      const existed = this.trees.get('main')?.has(filename) ?? false;
      const status = content === null ? 'removed' : existed ? 'modified' : 'added';
      return { ...template, filename, status, sha: blobSha(content ?? ''), additions: 1, deletions: 0, changes: 1 };
    });
  }

  private contentJson(path: string, content: string, ref: string): Json {
    const ex = openApi().example<Json>('content-file-response-if-content-is-a-file');
    const name = path.split('/').at(-1) ?? path;
    return {
      ...ex,
      name,
      path,
      sha: blobSha(content),
      size: Buffer.byteLength(content),
      content: Buffer.from(content).toString('base64'),
      encoding: 'base64',
      url: `${this.url}/repos/${this.owner}/${this.repo}/contents/${path}?ref=${ref}`,
    };
  }

  private commentJson(c: Comment): Json {
    const ex = openApi().example<Json>('issue-comment');
    return {
      ...ex,
      id: c.id,
      body: c.body,
      user: this.userJson(c.login),
      created_at: c.created,
      updated_at: c.updated,
      html_url: `https://github.com/${this.owner}/${this.repo}/pull/${c.issue}#issuecomment-${c.id}`,
      issue_url: `https://api.github.com/repos/${this.owner}/${this.repo}/issues/${c.issue}`,
    };
  }
}
