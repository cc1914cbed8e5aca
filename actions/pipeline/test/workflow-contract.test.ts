// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflow expressions are GitHub's ${{ }}, not template literals
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { contractProblems } from './support/contract.ts';
import { REPO_ROOT } from './support/harness.ts';

// The workflows as GitHub reads them (its own parser and expression evaluator), against real
// webhook payloads: the contract holds, and each of ten ways to break it is caught.
const dir = join(REPO_ROOT, '.github', 'workflows');
const texts = Object.fromEntries(
  readdirSync(dir)
    .filter((f) => f.endsWith('.yml'))
    .map((f) => [f, readFileSync(join(dir, f), 'utf8')]),
);
const config = loadConfig(join(REPO_ROOT, 'actions/pipeline/config/pipeline.yaml'));

/** A mutation: one edit of one workflow's text, which must change it. */
type Mutation = [name: string, file: string, from: string | RegExp, to: string];

const MUTATIONS: Mutation[] = [
  [
    '`if: true` on approve (any comment starts a job)',
    'evaluate.yml',
    / {4}if: >-\n {6}\(github\.event_name == 'issue_comment'[\s\S]*?'run-approved'\)\n/,
    '    if: true\n',
  ],
  [
    'approve without the author-association filter (a stranger costs API calls)',
    'evaluate.yml',
    `\n      && contains(fromJSON('["OWNER","MEMBER","COLLABORATOR"]'), github.event.comment.author_association))`,
    ')',
  ],
  [
    "dropping always() from the store job's if (a failed cell is never recorded)",
    'cell.yml',
    "    if: always() && needs.cell.outputs.ran != 'false'",
    "    if: needs.cell.outputs.ran != 'false'",
  ],
  ['the review job without its environment (no review at all)', 'evaluate.yml', '    environment: gpu-evaluation\n', ''],
  ['enqueue no longer waiting for the review', 'evaluate.yml', '    needs: [approve, review]', '    needs: [approve]'],
  [
    'the GPU job in the review environment (a review per wave)',
    'cell.yml',
    '    environment: gpu-cells',
    '    environment: gpu-evaluation',
  ],
  [
    'the GPU job on labels ARC never registers',
    'cell.yml',
    '    runs-on: gpu-h100',
    '    runs-on: [self-hosted, linux, x64, gpu-h100]',
  ],
  [
    'one concurrency group per PR for every comment (a stranger cancels a waiting run)',
    'evaluate.yml',
    'permissions: {}\njobs:',
    'permissions: {}\nconcurrency:\n  group: ptb-evaluate-${{ github.event.issue.number || github.event.pull_request.number }}\n  cancel-in-progress: false\njobs:',
  ],
  [
    'an artifact name without the run attempt (a re-run from the UI conflicts)',
    'cell.yml',
    '          name: cell-${{ github.run_id }}-attempt-${{ github.run_attempt }}\n          path: ${{ runner.temp }}/ptb-cell',
    '          name: cell-${{ github.run_id }}\n          path: ${{ runner.temp }}/ptb-cell',
  ],
  [
    'the store job holding a write permission it does not need',
    'cell.yml',
    '      issues: write\n      checks: write\n      actions: write',
    '      issues: write\n      checks: write\n      actions: write\n      pull-requests: write',
  ],
  ['pull_request_target without a branch filter', 'submission.yml', '    branches: [main]\n', ''],
  [
    "publishing with the workflow token (refused by main's ruleset)",
    'publish.yml',
    '          token: ${{ steps.app.outputs.token }}',
    '          token: ${{ github.token }}',
  ],
  [
    'a checkout that persists the workflow token',
    'cell.yml',
    '          ref: ${{ github.event.repository.default_branch }}\n          persist-credentials: false\n      - uses: actions/setup-node@a0853c24544627f65ddf259abe73b1d18a591444 # v5.0.0\n        with:\n          node-version-file: .nvmrc\n      - run: npm ci',
    '          ref: ${{ github.event.repository.default_branch }}\n      - uses: actions/setup-node@a0853c24544627f65ddf259abe73b1d18a591444 # v5.0.0\n        with:\n          node-version-file: .nvmrc\n      - run: npm ci',
  ],
];

describe('the workflows as GitHub reads them', () => {
  it('keep the contract for real payloads (fork PR, stranger, maintainer, label, push after approval, dispatch)', async () => {
    expect(await contractProblems(texts, config)).toEqual([]);
  });

  it.each(MUTATIONS)('catches: %s', async (_name, file, from, to) => {
    const original = texts[file] ?? '';
    const mutated = original.replace(from, to);
    expect(mutated, 'the mutation must change the workflow').not.toBe(original);
    const problems = await contractProblems({ ...texts, [file]: mutated }, config);
    expect(problems.length).toBeGreaterThan(0);
  });

  it('has at least ten mutations, each of a different rule', () => {
    expect(MUTATIONS.length).toBeGreaterThanOrEqual(10);
  });
});
