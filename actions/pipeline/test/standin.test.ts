import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHub } from '../src/github.ts';
import { createOctokit } from '../src/octokit.ts';
import { STICKY_MARKER } from '../src/sticky.ts';
import { BOT, GitHubStandIn } from './support/github-standin.ts';
import { openApi } from './support/openapi.ts';

// The stand-in is only worth something if it catches what GitHub would reject or never send.
let gh: GitHubStandIn;
beforeAll(async () => {
  gh = await GitHubStandIn.start();
  gh.push(1, 'ada', { 'submissions/a/submission.yaml': 'id: a\n' });
});
afterAll(() => gh.close());

const call = (method: string, path: string, body?: unknown, auth = true) =>
  fetch(`${gh.url}${path}`, {
    method,
    headers: { ...(auth ? { authorization: 'token x' } : {}), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

describe('the GitHub stand-in checks requests and responses against the OpenAPI description', () => {
  it('records a request body that breaks the schema', async () => {
    gh.violations.length = 0;
    await call('POST', '/repos/ptb-org/leaderboard/issues/1/comments', { text: 'no body field' });
    expect(gh.violations.join('\n')).toMatch(/request issues\/create-comment: \/ must have required property 'body'/);
  });
  it('records an undeclared or mistyped query parameter', async () => {
    gh.violations.length = 0;
    await call('GET', '/repos/ptb-org/leaderboard/issues/1/comments?per_page=lots&colour=red');
    expect(gh.violations.join('\n')).toMatch(/per_page=lots is not a integer/);
    expect(gh.violations.join('\n')).toMatch(/query parameter "colour" is not declared/);
  });
  it('records an operation GitHub does not have, and a request without a token', async () => {
    gh.violations.length = 0;
    await call('POST', '/repos/ptb-org/leaderboard/pulls/1/approve', {});
    await call('GET', '/repos/ptb-org/leaderboard/pulls/1', undefined, false);
    expect(gh.violations.join('\n')).toMatch(/no such operation/);
    expect(gh.violations.join('\n')).toMatch(/pulls\/get: request without a token/);
  });
  it('the response check rejects a response missing required fields, and an undeclared success status', () => {
    const api = openApi();
    const route = api.match('GET', '/repos/o/r/pulls/1')?.route;
    expect(route?.operationId).toBe('pulls/get');
    if (!route) return;
    expect(api.checkResponse(route, 200, { number: 1 }).join('\n')).toMatch(/must have required property/);
    expect(api.checkResponse(route, 201, {})).toEqual(['pulls/get does not declare a 201 response']);
    expect(api.checkResponse(route, 502, { message: 'Server Error' })).toEqual([]);
  });
  it('finding the sticky comment under a long discussion takes one call, not one per hundred comments', async () => {
    gh.violations.length = 0;
    gh.addComment(5, BOT, `${STICKY_MARKER}\nthe bot's comment`);
    for (let i = 0; i < 250; i++) gh.addComment(5, `user${i % 7}`, `comment ${i}`);
    const github = new GitHub(createOctokit({ token: 't', baseUrl: gh.url, retryBaseMs: 5 }), { owner: gh.owner, repo: gh.repo });
    const before = gh.requests.filter((r) => r.operationId === 'issues/list-comments').length;
    expect((await github.stickyBody(5, BOT))?.body).toContain("the bot's comment");
    expect(gh.requests.filter((r) => r.operationId === 'issues/list-comments').length - before).toBe(1);
    // Without a sticky comment every page is read (and nothing is found): three pages of 100.
    const pagesBefore = gh.requests.filter((r) => r.operationId === 'issues/list-comments').length;
    for (let i = 0; i < 250; i++) gh.addComment(6, 'user', `comment ${i}`);
    expect(await github.stickyBody(6, BOT)).toBeNull();
    expect(gh.requests.filter((r) => r.operationId === 'issues/list-comments').length - pagesBefore).toBe(3);
    expect(gh.violations).toEqual([]);
  });

  it('well-formed calls leave no violation', async () => {
    gh.violations.length = 0;
    const res = await call('GET', '/repos/ptb-org/leaderboard/contents/submissions%2Fa%2Fsubmission.yaml?ref=main');
    expect(res.status).toBe(404); // not on main, only at the PR head
    const pr = (await (await call('GET', '/repos/ptb-org/leaderboard/pulls/1')).json()) as { head: { sha: string } };
    const file = await call('GET', `/repos/ptb-org/leaderboard/contents/submissions/a/submission.yaml?ref=${pr.head.sha}`);
    expect(Buffer.from(((await file.json()) as { content: string }).content, 'base64').toString()).toBe('id: a\n');
    expect(gh.violations).toEqual([]);
  });
});
