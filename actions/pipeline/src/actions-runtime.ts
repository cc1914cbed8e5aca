import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as core from '@actions/core';
import { findRepoRoot } from '@ptb/core/files';
import { CONFIG_PATH, loadConfig } from './config.ts';
import { type FlowContext, Refusal } from './context.ts';
import { GitHub } from './github.ts';
import { createOctokit } from './octokit.ts';

/** The GitHub Actions side of every action: environment, event payload, inputs, failure. */

export function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; this runs inside a GitHub Actions job (or a test that sets it)`);
  return value;
}

export function readEvent<T = Record<string, unknown>>(): T {
  return JSON.parse(readFileSync(env('GITHUB_EVENT_PATH'), 'utf8')) as T;
}

export function runUrl(): string {
  return `${process.env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env('GITHUB_REPOSITORY')}/actions/runs/${env('GITHUB_RUN_ID')}`;
}

/** The trusted checkout: the default branch the workflow checked out, never the PR. */
export function workspace(): string {
  return findRepoRoot(process.env.GITHUB_WORKSPACE ?? process.cwd());
}

export function contextFromEnv(): FlowContext {
  const [owner = '', repo = ''] = env('GITHUB_REPOSITORY').split('/');
  const root = workspace();
  const octokit = createOctokit({
    token: core.getInput('token', { required: true }),
    baseUrl: process.env.GITHUB_API_URL ?? 'https://api.github.com',
    // Tests shorten GitHub's retry-after waits; production keeps seconds.
    retryBaseMs: Number(process.env.PTB_GITHUB_RETRY_BASE_MS ?? 1000),
    log: (m) => core.warning(m),
  });
  return {
    gh: new GitHub(octokit, { owner, repo }),
    config: loadConfig(join(root, CONFIG_PATH)),
    root,
    runUrl: runUrl(),
    runId: Number(env('GITHUB_RUN_ID')),
    log: (m) => core.info(m),
  };
}

export async function writeSummary(markdown: string): Promise<void> {
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(markdown, true).write();
}

/** Runs an action's body; a Refusal is a person-readable failure, anything else keeps its stack. */
export async function runAction(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    if (e instanceof Refusal) core.setFailed(e.message);
    else core.setFailed(e instanceof Error ? (e.stack ?? e.message) : String(e));
  }
}

export function requiredNumber(name: string): number {
  const raw = core.getInput(name, { required: true });
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`input ${name} must be a positive integer, got "${raw}"`);
  return n;
}
