import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentManifest, SCAFFOLD_IDS, SCAFFOLDS } from '@ptb/core';
import { describe, expect, test } from 'vitest';
import { AdapterError, agentLaunch, REPROMPT, repromptArgv, SHELL_LIMIT_MS } from '../src/agents/adapters.ts';
import { agentToolchain, CLIS_DIR, CLIS_INSIDE, NODE_INSIDE, pinnedVersions, scaffoldProblem } from '../src/agents/install.ts';
import { PLACEHOLDER_KEY } from '../src/egress/llm-proxy.ts';

const manifest = (agent: Record<string, unknown>) =>
  AgentManifest.parse({
    id: 'some-agent',
    displayName: 'x',
    description: 'x',
    contact: { name: 'x' },
    agent: { version: '1.2.3', ...agent },
    runs: 1,
  });
const ctx = { prompt: 'THE PROMPT', promptPath: '/workspace/TASK.md', home: '/workspace/.home' };
const launch = (agent: Record<string, unknown>) => agentLaunch(manifest(agent), ctx);

describe('adapters pass the original benchmark’s flags (UPSTREAM.md, "The agent")', () => {
  test('claude-code: --print --verbose --model --output-format stream-json --dangerously-skip-permissions, --effort, a 10 h shell', () => {
    const l = launch({ scaffold: 'claude-code', model: 'claude-opus-4-6', reasoningEffort: 'high' });
    expect(l.argv).toEqual([
      'claude',
      '--print',
      '--verbose',
      '--model',
      'claude-opus-4-6',
      '--output-format',
      'stream-json',
      '--dangerously-skip-permissions',
      '--effort',
      'high',
      'THE PROMPT',
    ]);
    expect(l.env).toMatchObject({
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:4000/anthropic',
      ANTHROPIC_API_KEY: PLACEHOLDER_KEY,
      BASH_MAX_TIMEOUT_MS: '36000000',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_TELEMETRY: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    });
    expect(l.continueArgv?.slice(-2)).toEqual(['--continue', REPROMPT]);
    expect(launch({ scaffold: 'claude-code', model: 'm', reasoningEffort: 'minimal' }).argv).toContain('low');
    expect(launch({ scaffold: 'claude-code', model: 'm' }).argv).not.toContain('--effort');
  });

  test('Qwen3 Max: Claude Code against DashScope’s Anthropic-compatible endpoint, the model named by ANTHROPIC_MODEL', () => {
    const l = launch({ scaffold: 'claude-code', provider: 'qwen', model: 'qwen3-max-2026-01-23' });
    expect(l.argv).not.toContain('--model');
    expect(l.env).toMatchObject({
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:4000/qwen',
      ANTHROPIC_API_KEY: PLACEHOLDER_KEY,
      ANTHROPIC_MODEL: 'qwen3-max-2026-01-23',
      ANTHROPIC_SMALL_FAST_MODEL: 'qwen3-max-2026-01-23',
    });
    expect(() => launch({ scaffold: 'claude-code', provider: 'openai', model: 'm' })).toThrow(AdapterError);
  });

  test('codex-cli: --search exec --json -c model_reasoning_summary=detailed --skip-git-repo-check --yolo, effort, CODEX_API_KEY and openai_base_url', () => {
    const l = launch({ scaffold: 'codex-cli', model: 'gpt-5.3-codex', reasoningEffort: 'max' });
    expect(l.argv).toEqual([
      'codex',
      '--search',
      'exec',
      '--json',
      '-c',
      'model_reasoning_summary=detailed',
      '--skip-git-repo-check',
      '--yolo',
      '-c',
      'openai_base_url="http://127.0.0.1:4000/openai/v1"',
      '-m',
      'gpt-5.3-codex',
      '-c',
      'model_reasoning_effort="xhigh"',
      'THE PROMPT',
    ]);
    // Codex 0.171 reads neither OPENAI_BASE_URL nor OPENAI_API_KEY.
    expect(l.env).toEqual({ CODEX_API_KEY: PLACEHOLDER_KEY, CODEX_HOME: '/workspace/.home/.codex' });
    const config = l.files.find((f) => f.path === '.codex/config.toml')?.content ?? '';
    expect(config).toMatch(/check_for_update_on_startup = false/);
    expect(config).toMatch(/\[features\]\nplugins = false/);
    expect(l.continueArgv?.slice(-3)).toEqual(['resume', '--last', REPROMPT]);
  });

  test('gemini-cli: --yolo --model --output-format stream-json -p, the API-key auth method with our base URL, trusted folder, a 10 h shell', () => {
    const l = launch({ scaffold: 'gemini-cli', model: 'gemini-3-pro-preview' });
    expect(l.argv).toEqual([
      'gemini',
      '--yolo',
      '--skip-trust',
      '--model',
      'gemini-3-pro-preview',
      '--output-format',
      'stream-json',
      '-p',
      'THE PROMPT',
    ]);
    expect(l.env).toEqual({ GEMINI_API_KEY: PLACEHOLDER_KEY, GOOGLE_GEMINI_BASE_URL: 'http://127.0.0.1:4000/google' });
    const settings = JSON.parse(l.files.find((f) => f.path === '.gemini/settings.json')?.content ?? '{}');
    expect(settings.security.auth.selectedType).toBe('gemini-api-key');
    expect(settings.privacy.usageStatisticsEnabled).toBe(false);
    expect(settings.general.enableAutoUpdate).toBe(false);
    expect(settings.tools.shell.inactivityTimeout).toBe(SHELL_LIMIT_MS / 1000);
    expect(() => launch({ scaffold: 'gemini-cli', model: 'g', reasoningEffort: 'high' })).toThrow(/takes no reasoning effort/);
  });

  test('opencode: an opencode.json with "permission": "allow" and every provider behind the proxy; the model named once', () => {
    const l = launch({ scaffold: 'opencode', provider: 'opencode', model: 'opencode/kimi-k2.5', reasoningEffort: 'high' });
    expect(l.argv.slice(0, 6)).toEqual(['opencode', 'run', '--model', 'opencode/kimi-k2.5', '--variant', 'high']);
    expect(l.argv.at(-1)).toBe('THE PROMPT');
    const config = JSON.parse(l.files[0]?.content ?? '{}');
    expect(config.permission).toBe('allow');
    expect(config.autoupdate).toBe(false);
    expect(
      Object.fromEntries(
        Object.entries(config.provider).map(([p, v]) => [p, (v as { options: { baseURL: string } }).options.baseURL]),
      ),
    ).toEqual({
      anthropic: 'http://127.0.0.1:4000/anthropic/v1',
      openai: 'http://127.0.0.1:4000/openai/v1',
      google: 'http://127.0.0.1:4000/google/v1beta',
      openrouter: 'http://127.0.0.1:4000/openrouter/api/v1',
      opencode: 'http://127.0.0.1:4000/opencode/v1',
      zai: 'http://127.0.0.1:4000/zai/api/paas/v4',
    });
    expect(l.env).toMatchObject({
      OPENCODE_DISABLE_MODELS_FETCH: '1',
      OPENCODE_EXPERIMENTAL_BASH_DEFAULT_TIMEOUT_MS: '36000000',
    });
    expect(launch({ scaffold: 'opencode', provider: 'zai', model: 'glm-5' }).argv[3]).toBe('zai/glm-5');
    expect(() => launch({ scaffold: 'opencode', provider: 'elsewhere', model: 'x' })).toThrow(AdapterError);
  });

  test('no adapter ever hands the agent anything but the placeholder key and the proxy', () => {
    for (const scaffold of SCAFFOLD_IDS) {
      const all = JSON.stringify(launch({ scaffold, model: 'm-1' }));
      expect(all).toContain(PLACEHOLDER_KEY);
      expect(all).not.toMatch(/https?:\/\/(?!127\.0\.0\.1:4000\/|opencode\.ai\/config\.json)/);
    }
  });

  test('re-prompting continues the session only when asked, not timed out, and at least 30 minutes remain', () => {
    const claude = launch({ scaffold: 'claude-code', model: 'm', reprompt: true });
    expect(repromptArgv(claude, { asked: true, timedOut: false, secondsLeft: 3600 })).toContain('--continue');
    expect(repromptArgv(claude, { asked: true, timedOut: false, secondsLeft: 1799 })).toBeNull();
    expect(repromptArgv(claude, { asked: false, timedOut: false, secondsLeft: 3600 })).toBeNull();
    expect(repromptArgv(claude, { asked: true, timedOut: true, secondsLeft: 3600 })).toBeNull();
    // A session that failed (the cap, an outage, a crash) is not re-asked, nor one past the re-prompt limit.
    expect(repromptArgv(claude, { asked: true, timedOut: false, secondsLeft: 3600, exitCode: 1 })).toBeNull();
    expect(repromptArgv(claude, { asked: true, timedOut: false, secondsLeft: 3600, exitCode: 0, done: 50 })).toBeNull();
    expect(repromptArgv(claude, { asked: true, timedOut: false, secondsLeft: 100, floorSeconds: 60, max: 1 })).not.toBeNull();
    const gemini = launch({ scaffold: 'gemini-cli', model: 'g' });
    expect(repromptArgv(gemini, { asked: true, timedOut: false, secondsLeft: 3600 })?.join(' ')).toContain('--resume latest -p');
    const oc = launch({ scaffold: 'opencode', model: 'anthropic/x' });
    expect(repromptArgv(oc, { asked: true, timedOut: false, secondsLeft: 3600 })).toContain('--continue');
  });
});

describe('the CLIs the project installs', () => {
  const pkg = JSON.parse(readFileSync(join(CLIS_DIR, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const lock = JSON.parse(readFileSync(join(CLIS_DIR, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string; dependencies?: Record<string, string> }>;
  };

  test('every scaffold a submission may name is pinned exactly, and the lockfile resolves exactly those versions', () => {
    const pins = pinnedVersions();
    for (const id of SCAFFOLD_IDS) {
      const name = SCAFFOLDS[id].npmPackage;
      expect(pins[id], id).toMatch(/^\d+\.\d+\.\d+$/);
      expect(lock.packages[`node_modules/${name}`]?.version, name).toBe(pins[id]);
      expect(lock.packages['']?.dependencies?.[name]).toBe(pins[id]);
    }
    expect(Object.keys(pkg.dependencies).sort()).toEqual(SCAFFOLD_IDS.map((id) => SCAFFOLDS[id].npmPackage).sort());
  });

  test('the agent image installs the same package.json and lockfile (no versions of its own)', () => {
    const dockerfile = readFileSync(join(CLIS_DIR, '..', 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^COPY clis\/package\.json clis\/package-lock\.json \/opt\/ptb-clis\/$/m);
    expect(dockerfile).toMatch(/cd \/opt\/ptb-clis/);
    for (const id of SCAFFOLD_IDS) expect(dockerfile).not.toContain(`${SCAFFOLDS[id].npmPackage}@`);
    expect(agentToolchain('docker', {}).path).toEqual([`${CLIS_INSIDE}/node_modules/.bin`]);
  });

  test('under bwrap the CLIs folder and a Node binary are bound read-only; a wrong or missing version is refused up front', () => {
    const t = agentToolchain('bwrap', { PTB_AGENT_NODE: process.execPath });
    expect(t.mounts.every((m) => m.mode === 'ro')).toBe(true);
    expect(t.mounts.map((m) => m.target)).toContain(`${NODE_INSIDE}/bin/node`);
    expect(t.path).toEqual([`${CLIS_INSIDE}/node_modules/.bin`, `${NODE_INSIDE}/bin`]);
    // A version we do not pin is the submission's problem; a pinned one missing here is the runner's.
    expect(scaffoldProblem('claude-code', '0.0.1', 'bwrap', { PTB_AGENT_CLIS: '/nonexistent' })).toMatchObject({
      fault: 'input',
      message: expect.stringMatching(/pins version 0\.0\.1; accepted: /),
    });
    const pinned = pinnedVersions(CLIS_DIR)['claude-code'] as string;
    expect(scaffoldProblem('claude-code', pinned, 'bwrap', { PTB_AGENT_CLIS: '/nonexistent' })).toMatchObject({
      fault: 'runner',
      message: expect.stringMatching(/is not installed in \/nonexistent; provision the runner/),
    });
    const other = mkdtempSync(join(tmpdir(), 'ptb-clis-'));
    try {
      mkdirSync(join(other, 'node_modules', '@anthropic-ai', 'claude-code'), { recursive: true });
      writeFileSync(join(other, 'node_modules', '@anthropic-ai', 'claude-code', 'package.json'), '{"version":"2.0.0"}');
      expect(scaffoldProblem('claude-code', pinned, 'bwrap', { PTB_AGENT_CLIS: other })).toMatchObject({
        fault: 'runner',
        message: expect.stringMatching(/this runner has @anthropic-ai\/claude-code@2\.0\.0/),
      });
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
    expect(scaffoldProblem('claude-code', '0.0.1', 'docker', {})).toBeNull();
  });

  test('README and CONTRIBUTING name each accepted scaffold with its pinned version', () => {
    const root = join(CLIS_DIR, '..', '..', '..', '..', '..');
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const contributing = readFileSync(join(root, 'CONTRIBUTING.md'), 'utf8');
    for (const id of SCAFFOLD_IDS) {
      const row = new RegExp(
        `\\|\\s*\`${id}\`\\s*\\|\\s*\`${SCAFFOLDS[id].npmPackage}\`\\s*\\|\\s*\`${pinnedVersions()[id]}\`\\s*\\|`,
      );
      expect(readme, id).toMatch(row);
    }
    expect(contributing).toMatch(/actions\/engine\/images\/agent\/clis/);
  });
});
