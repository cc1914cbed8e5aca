/**
 * `npm ci` as a newcomer runs it: with the system's npm and Node (say Debian's Node 20), not
 * the project's Node 24. A dry run resolves the same tree from the lockfile and makes the same
 * engine checks, without downloading anything.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { REPO_ROOT } from './helpers.ts';

/** PATH without node_modules: the npm and Node a person has before `npm ci`. */
function systemPath(): string {
  const path = (process.env.PATH ?? '')
    .split(':')
    .filter((d) => d && !d.includes('node_modules'))
    .join(':');
  if (spawnSync('sh', ['-c', 'command -v npm && command -v node'], { env: { PATH: path } }).status !== 0)
    throw new Error('no npm and node outside node_modules on PATH: install Node.js (20 or later) with npm');
  return path;
}

test('npm ci on the system Node is quiet: no EBADENGINE, no warning at all', () => {
  const path = systemPath();
  const dir = mkdtempSync(join(tmpdir(), 'ptb-npm-ci-'));
  try {
    const root = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
    for (const f of ['package.json', 'package-lock.json', '.npmrc']) copyFileSync(join(REPO_ROOT, f), join(dir, f));
    for (const w of root.workspaces) {
      mkdirSync(join(dir, w), { recursive: true });
      copyFileSync(join(REPO_ROOT, w, 'package.json'), join(dir, w, 'package.json'));
    }
    const r = spawnSync('npm', ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: dir,
      encoding: 'utf8',
      env: {
        PATH: path,
        HOME: process.env.HOME ?? dir,
        npm_config_cache: join(dir, '.npm-cache'),
        npm_config_update_notifier: 'false',
      },
    });
    const version = spawnSync('node', ['--version'], { encoding: 'utf8', env: { PATH: path } }).stdout.trim();
    expect(r.status, `npm ci on Node ${version}:\n${r.stderr}`).toBe(0);
    expect(`${r.stdout}${r.stderr}`, `npm ci on Node ${version}`).not.toMatch(/EBADENGINE|npm warn|npm WARN/);
    expect(r.stdout).toMatch(/^added \d+ packages/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
