import type { AgentManifest, ScaffoldId } from '@ptb/core';
import type { LlmProvider } from '../egress/llm-providers.ts';
import { PLACEHOLDER_KEY } from '../egress/llm-proxy.ts';
import { INSIDE, LLM_PORT } from '../sandbox/spec.ts';

/** How to start one agent in the sandbox, as data: argv, environment, config files, trace format. */
export interface AgentLaunch {
  /** A scaffold id, "baseline" or "script". */
  name: ScaffoldId | 'baseline' | 'script';
  argv: string[];
  env: Record<string, string>;
  /** Files written into the sandbox home before start (path relative to $HOME). */
  files: { path: string; content: string }[];
  /** jsonl: the CLI prints one JSON event per line (kept as structured trace events); text: plain lines. */
  trace: 'jsonl' | 'text';
  /** argv to continue the same session when re-prompting; null when the scaffold cannot. */
  continueArgv: string[] | null;
  /** The model the agent drives, for the trace (null for baseline and scripts). */
  model: string | null;
}

export interface AgentContext {
  prompt: string;
  /** Where the prompt file is inside the sandbox. */
  promptPath: string;
  home: string;
}

/** The manifest asks for something this scaffold cannot do; raised before anything starts. */
export class AdapterError extends Error {}

export const llmBase = (provider: LlmProvider): string => `http://127.0.0.1:${LLM_PORT}/${provider}`;
export const REPROMPT = 'Time is left in your budget. Continue improving final_model/ (run `bash timer.sh` to see how much).';
/** One shell command may run as long as the whole budget (the original sets Claude Code's limit to 10 h). */
export const SHELL_LIMIT_MS = 10 * 3600 * 1000;

type Effort = AgentManifest['agent']['reasoningEffort'];

/** Claude Code's --effort takes low, medium, high, xhigh, max; "minimal" is closest to low. */
const claudeEffort = (e: Effort): string | null => (e === 'default' ? null : e === 'minimal' ? 'low' : e);
/** Codex's model_reasoning_effort takes minimal..xhigh; "max" is its xhigh. */
const codexEffort = (e: Effort): string | null => (e === 'default' ? null : e === 'max' ? 'xhigh' : e);

/** Environment every Claude Code run gets: the proxy, the placeholder key, no telemetry or update checks, a 10 h shell. */
function claudeEnv(provider: 'anthropic' | 'qwen'): Record<string, string> {
  return {
    ANTHROPIC_BASE_URL: llmBase(provider),
    ANTHROPIC_API_KEY: PLACEHOLDER_KEY,
    BASH_MAX_TIMEOUT_MS: String(SHELL_LIMIT_MS),
    // The agent is inside our sandbox. Claude Code refuses to skip permissions as uid 0, which the
    // sandbox user never is (identity.ts); a runtime that maps its user to 0 would still start.
    IS_SANDBOX: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    DISABLE_BUG_COMMAND: '1',
    CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  };
}

/** OpenCode providers and the base URL each gets (the path mirrors the provider's own API root). */
const OPENCODE_BASES: Record<string, string> = {
  anthropic: `${llmBase('anthropic')}/v1`,
  openai: `${llmBase('openai')}/v1`,
  google: `${llmBase('google')}/v1beta`,
  openrouter: `${llmBase('openrouter')}/api/v1`,
  opencode: `${llmBase('opencode')}/v1`,
  zai: `${llmBase('zai')}/api/paas/v4`,
};

function claudeCode(manifest: AgentManifest, ctx: AgentContext): AgentLaunch {
  const a = manifest.agent;
  const provider = a.provider ?? 'anthropic';
  if (provider !== 'anthropic' && provider !== 'qwen')
    throw new AdapterError(
      `claude-code runs against provider "anthropic" or "qwen" (DashScope's Anthropic-compatible API), not "${provider}"`,
    );
  const effort = claudeEffort(a.reasoningEffort);
  // Qwen as the original ran it: the model named by ANTHROPIC_MODEL (and for side requests too), no --model.
  const model = provider === 'qwen' ? [] : ['--model', a.model];
  const base = [
    'claude',
    '--print',
    '--verbose',
    ...model,
    '--output-format',
    'stream-json',
    '--dangerously-skip-permissions',
    ...(effort ? ['--effort', effort] : []),
  ];
  const maxThinking = a.options.maxThinkingTokens;
  return {
    name: 'claude-code',
    argv: [...base, ctx.prompt],
    env: {
      ...claudeEnv(provider),
      ...(provider === 'qwen'
        ? { ANTHROPIC_MODEL: a.model, ANTHROPIC_SMALL_FAST_MODEL: a.model, ANTHROPIC_DEFAULT_HAIKU_MODEL: a.model }
        : {}),
      ...(typeof maxThinking === 'number' ? { MAX_THINKING_TOKENS: String(maxThinking) } : {}),
    },
    files: [],
    trace: 'jsonl',
    continueArgv: [...base, '--continue', REPROMPT],
    model: a.model,
  };
}

function codexCli(manifest: AgentManifest, ctx: AgentContext): AgentLaunch {
  const a = manifest.agent;
  if ((a.provider ?? 'openai') !== 'openai')
    throw new AdapterError(`codex-cli runs against provider "openai", not "${a.provider}"`);
  const effort = codexEffort(a.reasoningEffort);
  // Codex reads neither OPENAI_BASE_URL nor OPENAI_API_KEY: the base URL goes in as config, the key as CODEX_API_KEY.
  const options = [
    '--json',
    '-c',
    'model_reasoning_summary=detailed',
    '--skip-git-repo-check',
    '--yolo',
    '-c',
    `openai_base_url="${llmBase('openai')}/v1"`,
    '-m',
    a.model,
    ...(effort ? ['-c', `model_reasoning_effort="${effort}"`] : []),
  ];
  return {
    name: 'codex-cli',
    argv: ['codex', '--search', 'exec', ...options, ctx.prompt],
    env: { CODEX_API_KEY: PLACEHOLDER_KEY, CODEX_HOME: `${ctx.home}/.codex` },
    files: [{ path: '.codex/config.toml', content: CODEX_CONFIG }],
    trace: 'jsonl',
    continueArgv: ['codex', '--search', 'exec', ...options, 'resume', '--last', REPROMPT],
    model: a.model,
  };
}

/** Codex's own config: no update check, no analytics or feedback uploads, no plugin marketplace sync (GitHub, chatgpt.com). */
const CODEX_CONFIG = `# Written by the PostTrainBench harness.
check_for_update_on_startup = false

[analytics]
enabled = false

[feedback]
enabled = false

[features]
plugins = false
`;

function geminiCli(manifest: AgentManifest, ctx: AgentContext): AgentLaunch {
  const a = manifest.agent;
  if ((a.provider ?? 'google') !== 'google')
    throw new AdapterError(`gemini-cli runs against provider "google", not "${a.provider}"`);
  if (a.reasoningEffort !== 'default')
    throw new AdapterError(
      'gemini-cli takes no reasoning effort from the command line (it thinks at its own "HIGH" level on Gemini 3, as in the original); use reasoningEffort: default',
    );
  const settings = {
    // The API-key method with our base URL; without it a set GOOGLE_GEMINI_BASE_URL selects a gateway mode that fails at start-up.
    security: { auth: { selectedType: 'gemini-api-key' } },
    privacy: { usageStatisticsEnabled: false },
    telemetry: { enabled: false },
    general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
    // One quiet shell command (a training run) may last the whole budget; the default stops it after 5 silent minutes.
    tools: { shell: { inactivityTimeout: SHELL_LIMIT_MS / 1000 } },
  };
  const base = ['gemini', '--yolo', '--skip-trust', '--model', a.model, '--output-format', 'stream-json'];
  return {
    name: 'gemini-cli',
    argv: [...base, '-p', ctx.prompt],
    env: { GEMINI_API_KEY: PLACEHOLDER_KEY, GOOGLE_GEMINI_BASE_URL: llmBase('google') },
    files: [{ path: '.gemini/settings.json', content: `${JSON.stringify(settings, null, 2)}\n` }],
    trace: 'jsonl',
    continueArgv: [...base, '--resume', 'latest', '-p', REPROMPT],
    model: a.model,
  };
}

function opencode(manifest: AgentManifest, ctx: AgentContext): AgentLaunch {
  const a = manifest.agent;
  const slash = a.model.indexOf('/');
  const provider = a.provider ?? (slash > 0 ? a.model.slice(0, slash) : 'anthropic');
  if (!OPENCODE_BASES[provider])
    throw new AdapterError(
      `opencode: provider "${provider}" is not reachable; use one of ${Object.keys(OPENCODE_BASES).join(', ')}`,
    );
  const model = a.model.startsWith(`${provider}/`) ? a.model : `${provider}/${a.model}`;
  const config = {
    $schema: 'https://opencode.ai/config.json',
    autoupdate: false,
    share: 'disabled',
    // As the original: every tool call allowed without asking.
    permission: 'allow',
    provider: Object.fromEntries(
      Object.entries(OPENCODE_BASES).map(([p, baseURL]) => [p, { options: { baseURL, apiKey: PLACEHOLDER_KEY } }]),
    ),
  };
  const variant = a.reasoningEffort === 'default' ? [] : ['--variant', a.reasoningEffort];
  // Errors of its internal server go to stderr too (the trace), not only to a log file in its home.
  const base = [
    'opencode',
    'run',
    '--model',
    model,
    ...variant,
    '--format',
    'json',
    '--thinking',
    '--print-logs',
    '--log-level',
    'ERROR',
  ];
  return {
    name: 'opencode',
    argv: [...base, ctx.prompt],
    env: {
      OPENCODE_CONFIG: `${ctx.home}/.config/opencode/opencode.json`,
      OPENCODE_DISABLE_AUTOUPDATE: '1',
      // The model catalogue bundled with the pinned version, not a live fetch of models.dev.
      OPENCODE_DISABLE_MODELS_FETCH: '1',
      OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
      OPENCODE_DISABLE_SHARE: '1',
      OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
      OPENCODE_EXPERIMENTAL_BASH_DEFAULT_TIMEOUT_MS: String(SHELL_LIMIT_MS),
    },
    files: [{ path: '.config/opencode/opencode.json', content: `${JSON.stringify(config, null, 2)}\n` }],
    trace: 'jsonl',
    continueArgv: [...base, '--continue', REPROMPT],
    model,
  };
}

/** The launch of the manifest's scaffold; AdapterError when the manifest asks for what the scaffold cannot do. */
export function agentLaunch(manifest: AgentManifest, ctx: AgentContext): AgentLaunch {
  switch (manifest.agent.scaffold) {
    case 'claude-code':
      return claudeCode(manifest, ctx);
    case 'codex-cli':
      return codexCli(manifest, ctx);
    case 'gemini-cli':
      return geminiCli(manifest, ctx);
    case 'opencode':
      return opencode(manifest, ctx);
  }
}

/** Hands back the base model untouched: must reproduce the zero-shot baseline. */
export function baselineLaunch(): AgentLaunch {
  return {
    name: 'baseline',
    argv: [
      '/bin/sh',
      '-c',
      `cp -r ${INSIDE.baseModel}/. ${INSIDE.workspace}/final_model/ && echo 'baseline: copied the base model to final_model/'`,
    ],
    env: {},
    files: [],
    trace: 'text',
    continueArgv: null,
    model: null,
  };
}

/** Runs a given script (tests, reference recipes), mounted read-only from the harness. */
export function scriptLaunch(insidePath: string): AgentLaunch {
  return { name: 'script', argv: [insidePath], env: {}, files: [], trace: 'text', continueArgv: null, model: null };
}

/** Re-prompting stops when less than this is left: a new session could not finish anything useful. */
export const REPROMPT_FLOOR_SECONDS = 30 * 60;
/** At most this many re-prompts per cell: an agent that declares itself done at once is not re-asked for ten hours. */
export const MAX_REPROMPTS = 50;

export interface RepromptState {
  asked: boolean;
  timedOut: boolean;
  secondsLeft: number;
  /** Exit code of the session that just ended: one that failed (the cap, a provider outage, a crash) is not re-asked. */
  exitCode?: number | null;
  /** Re-prompts already made. */
  done?: number;
  floorSeconds?: number;
  max?: number;
}

/** The command to continue the agent's session, or null when the run is over (not asked, timed out, failed, too little time, too many, or unsupported). */
export function repromptArgv(launch: AgentLaunch, state: RepromptState): string[] | null {
  if (!state.asked || state.timedOut || !launch.continueArgv) return null;
  if (state.exitCode !== undefined && state.exitCode !== 0) return null;
  if (state.secondsLeft < (state.floorSeconds ?? REPROMPT_FLOOR_SECONDS)) return null;
  if ((state.done ?? 0) >= (state.max ?? MAX_REPROMPTS)) return null;
  return launch.continueArgv;
}
