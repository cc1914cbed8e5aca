import type { AgentManifest } from '@ptb/core';
import { PLACEHOLDER_KEY } from '../egress/llm-proxy.ts';
import { INSIDE, LLM_PORT } from '../sandbox/spec.ts';

/** How to start one agent in the sandbox, as data: argv, environment, config files, trace format. */
export interface AgentLaunch {
  name: string;
  argv: string[];
  env: Record<string, string>;
  /** Files written into the sandbox home before start (path relative to $HOME). */
  files: { path: string; content: string }[];
  /** jsonl: the CLI prints one JSON event per line (kept as structured trace events); text: plain lines. */
  trace: 'jsonl' | 'text';
  /** argv to continue the same session when re-prompting; null when the scaffold cannot. */
  continueArgv: string[] | null;
}

export interface AgentContext {
  prompt: string;
  /** Where the prompt file is inside the sandbox. */
  promptPath: string;
  home: string;
}

const llmBase = (provider: string) => `http://127.0.0.1:${LLM_PORT}/${provider}`;
const REPROMPT = 'Time is left in your budget. Continue improving final_model/ (run `bash timer.sh` to see how much).';

/** Reasoning effort names of the manifest mapped to what each CLI understands ('default' sets nothing). */
const effort = (m: AgentManifest['agent']): string | null => (m.reasoningEffort === 'default' ? null : m.reasoningEffort);

export function agentLaunch(manifest: AgentManifest, ctx: AgentContext): AgentLaunch {
  const a = manifest.agent;
  const opt = (k: string) => a.options[k];
  switch (a.scaffold) {
    case 'claude-code': {
      const base = [
        'claude',
        '--print',
        '--output-format',
        'stream-json',
        '--verbose',
        '--model',
        a.model,
        '--dangerously-skip-permissions',
      ];
      return {
        name: 'claude-code',
        argv: [...base, ctx.prompt],
        env: {
          ANTHROPIC_BASE_URL: llmBase('anthropic'),
          ANTHROPIC_API_KEY: PLACEHOLDER_KEY,
          DISABLE_AUTOUPDATER: '1',
          DISABLE_TELEMETRY: '1',
          DISABLE_ERROR_REPORTING: '1',
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
          ...(typeof opt('maxThinkingTokens') === 'number' ? { MAX_THINKING_TOKENS: String(opt('maxThinkingTokens')) } : {}),
        },
        files: [],
        trace: 'jsonl',
        continueArgv: [...base, '--continue', REPROMPT],
      };
    }
    case 'codex-cli': {
      const e = effort(a);
      const base = [
        'codex',
        'exec',
        '--json',
        '--skip-git-repo-check',
        '--dangerously-bypass-approvals-and-sandbox',
        '--model',
        a.model,
      ];
      if (e) base.push('-c', `model_reasoning_effort="${e === 'max' ? 'xhigh' : e}"`);
      return {
        name: 'codex-cli',
        argv: [...base, ctx.prompt],
        env: { OPENAI_API_KEY: PLACEHOLDER_KEY, OPENAI_BASE_URL: `${llmBase('openai')}/v1`, CODEX_HOME: `${ctx.home}/.codex` },
        files: [],
        trace: 'jsonl',
        continueArgv: [...base.slice(0, 2), 'resume', '--last', ...base.slice(2), REPROMPT],
      };
    }
    case 'gemini-cli':
      return {
        name: 'gemini-cli',
        argv: ['gemini', '--yolo', '--output-format', 'stream-json', '--model', a.model, '--prompt', ctx.prompt],
        env: { GEMINI_API_KEY: PLACEHOLDER_KEY, GOOGLE_GEMINI_BASE_URL: llmBase('google') },
        files: [{ path: '.gemini/settings.json', content: `${JSON.stringify({ telemetry: { enabled: false } }, null, 2)}\n` }],
        trace: 'jsonl',
        continueArgv: null,
      };
    case 'opencode': {
      const provider = a.provider ?? 'anthropic';
      const baseURL =
        provider === 'anthropic'
          ? `${llmBase('anthropic')}/v1`
          : provider === 'openai'
            ? `${llmBase('openai')}/v1`
            : `${llmBase('openrouter')}/api/v1`;
      const config = {
        $schema: 'https://opencode.ai/config.json',
        autoupdate: false,
        share: 'disabled',
        provider: { [provider]: { options: { baseURL, apiKey: PLACEHOLDER_KEY } } },
      };
      return {
        name: 'opencode',
        argv: ['opencode', 'run', '--model', `${provider}/${a.model}`, '--format', 'json', ctx.prompt],
        env: { OPENCODE_CONFIG: `${ctx.home}/.config/opencode/opencode.json` },
        files: [{ path: '.config/opencode/opencode.json', content: `${JSON.stringify(config, null, 2)}\n` }],
        trace: 'jsonl',
        continueArgv: ['opencode', 'run', '--continue', '--model', `${provider}/${a.model}`, '--format', 'json', REPROMPT],
      };
    }
    case 'qwen-code':
      return {
        name: 'qwen-code',
        argv: ['qwen', '--yolo', '--model', a.model, '--prompt', ctx.prompt],
        env: { OPENAI_API_KEY: PLACEHOLDER_KEY, OPENAI_BASE_URL: `${llmBase('openrouter')}/api/v1`, OPENAI_MODEL: a.model },
        files: [],
        trace: 'text',
        continueArgv: null,
      };
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
  };
}

/** Runs a given script (tests, reference recipes), mounted read-only from the harness. */
export function scriptLaunch(insidePath: string): AgentLaunch {
  return { name: 'script', argv: [insidePath], env: {}, files: [], trace: 'text', continueArgv: null };
}

/** Re-prompting stops when less than this is left: a new session could not finish anything useful. */
export const REPROMPT_FLOOR_SECONDS = 30 * 60;

/** The command to continue the agent's session, or null when the run is over (not asked, timed out, too little time, or unsupported). */
export function repromptArgv(
  launch: AgentLaunch,
  state: { asked: boolean; timedOut: boolean; secondsLeft: number },
): string[] | null {
  if (!state.asked || state.timedOut || !launch.continueArgv || state.secondsLeft < REPROMPT_FLOOR_SECONDS) return null;
  return launch.continueArgv;
}
