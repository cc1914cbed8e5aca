import type { ScaffoldId } from '@ptb/core';

/** What the publication tells us about each agent, in our terms. Names come from its file names. */
export interface PublishedAgent {
  id: string;
  displayName: string;
  scaffold: ScaffoldId;
  model: string;
  provider?: string;
  reasoningEffort?: 'low' | 'medium' | 'high';
  contextWindow?: number;
  hidden?: string;
  /** What the publication's labels leave out, said in the description (how it ran, how it was labelled). */
  note?: string;
  /** The effort label of this agent in the paper's fig5 (reasoning effort), where it appears there. */
  paperEffort?: 'Low' | 'Medium' | 'High';
}

/** Agents with three runs: per-cell mean and std files `aggregated_{avg,std}_<key>.csv`. */
export const MULTI_RUN: Record<string, PublishedAgent> = {
  'GPT-5.1-Codex-Max': {
    id: 'gpt-5.1-codex-max',
    displayName: 'GPT-5.1 Codex Max',
    scaffold: 'codex-cli',
    model: 'gpt-5.1-codex-max',
  },
  'GPT-5.2': { id: 'gpt-5.2', displayName: 'GPT-5.2', scaffold: 'codex-cli', model: 'gpt-5.2' },
  'GPT-5.2-Codex': { id: 'gpt-5.2-codex', displayName: 'GPT-5.2 Codex', scaffold: 'codex-cli', model: 'gpt-5.2-codex' },
  'GPT-5.3-Codex': {
    id: 'gpt-5.3-codex',
    displayName: 'GPT-5.3 Codex',
    scaffold: 'codex-cli',
    model: 'gpt-5.3-codex',
    hidden: 'superseded by the GPT-5.3 Codex (High) and (default effort) rows; its published grid equals the latter',
  },
  'GPT-5.3-Codex_High': {
    id: 'gpt-5.3-codex-high',
    displayName: 'GPT-5.3 Codex (High)',
    scaffold: 'codex-cli',
    model: 'gpt-5.3-codex',
    reasoningEffort: 'high',
  },
  'GPT-5.3-Codex_Med': {
    id: 'gpt-5.3-codex-med',
    displayName: 'GPT-5.3 Codex (default effort)',
    scaffold: 'codex-cli',
    model: 'gpt-5.3-codex',
    note: 'Published as "Med": the run set no reasoning effort, so Codex CLI chose its default.',
  },
  'GPT-5.4-High': {
    id: 'gpt-5.4-high',
    displayName: 'GPT-5.4 (High)',
    scaffold: 'codex-cli',
    model: 'gpt-5.4',
    reasoningEffort: 'high',
  },
  'Gemini-3-Pro': { id: 'gemini-3-pro', displayName: 'Gemini 3 Pro', scaffold: 'gemini-cli', model: 'gemini-3-pro-preview' },
  'Gemini-3.1-Pro': {
    id: 'gemini-3.1-pro',
    displayName: 'Gemini 3.1 Pro (OpenCode)',
    scaffold: 'opencode',
    provider: 'opencode',
    model: 'opencode/gemini-3.1-pro',
    note: 'The three runs replace the single run first published under the same name (`_run2`).',
  },
  'Opus-4.5': { id: 'opus-4.5', displayName: 'Opus 4.5', scaffold: 'claude-code', model: 'claude-opus-4-5' },
  'Opus-4.6': { id: 'opus-4.6', displayName: 'Opus 4.6', scaffold: 'claude-code', model: 'claude-opus-4-6' },
  'Opus-4.6-1M': {
    id: 'opus-4.6-1m',
    displayName: 'Opus 4.6 (1M context)',
    scaffold: 'claude-code',
    model: 'claude-opus-4-6[1m]',
    reasoningEffort: 'high',
    contextWindow: 1_000_000,
  },
};

/** Agents published only as a headline (avg, std, n) in `single_metrics_aggregated.csv`. */
export const HEADLINE_ONLY: Record<string, PublishedAgent> = {
  'GPT-5.1-Codex-Max High': {
    id: 'gpt-5.1-codex-max-high',
    displayName: 'GPT-5.1 Codex Max (High)',
    scaffold: 'codex-cli',
    model: 'gpt-5.1-codex-max',
    reasoningEffort: 'high',
    paperEffort: 'High',
  },
  'GPT-5.1-Codex-Max Low': {
    id: 'gpt-5.1-codex-max-low',
    displayName: 'GPT-5.1 Codex Max (Low)',
    scaffold: 'codex-cli',
    model: 'gpt-5.1-codex-max',
    reasoningEffort: 'low',
    paperEffort: 'Low',
  },
};

/** Agents with one run: `final_<config>.csv` (after penalties) and, mostly, `aggregated_<config>.csv` (raw). */
export const SINGLE_RUN: Record<string, PublishedAgent & { paperName?: string }> = {
  'claude_claude-sonnet-4-5_10h_final_v3': {
    id: 'sonnet-4.5',
    displayName: 'Sonnet 4.5',
    scaffold: 'claude-code',
    model: 'claude-sonnet-4-5',
    paperName: 'Sonnet 4.5',
  },
  'claude_non_api_claude-sonnet-4-6_10h': {
    id: 'sonnet-4.6',
    displayName: 'Sonnet 4.6',
    scaffold: 'claude-code',
    model: 'claude-sonnet-4-6',
    reasoningEffort: 'high',
  },
  'opencode_anthropic_claude-opus-4-5_10h': {
    id: 'opus-4.5-opencode',
    displayName: 'Opus 4.5 (OpenCode)',
    scaffold: 'opencode',
    provider: 'anthropic',
    model: 'anthropic/claude-opus-4-5',
  },
  'opencode_opencode_gemini-3-pro_10h': {
    id: 'gemini-3-pro-opencode',
    displayName: 'Gemini 3 Pro (OpenCode)',
    scaffold: 'opencode',
    provider: 'opencode',
    model: 'opencode/gemini-3-pro',
  },
  'opencode_opencode_glm-4.7-free_10h': {
    id: 'glm-4.7',
    displayName: 'GLM-4.7 (OpenCode)',
    scaffold: 'opencode',
    provider: 'opencode',
    model: 'opencode/glm-4.7-free',
  },
  'opencode_opencode_gpt-5.1-codex-max_10h': {
    id: 'gpt-5.1-codex-max-opencode',
    displayName: 'GPT-5.1 Codex Max (OpenCode)',
    scaffold: 'opencode',
    provider: 'opencode',
    model: 'opencode/gpt-5.1-codex-max',
  },
  'opencode_opencode_kimi-k2-thinking_10h': {
    id: 'kimi-k2',
    displayName: 'Kimi K2 Thinking (OpenCode)',
    scaffold: 'opencode',
    provider: 'opencode',
    model: 'opencode/kimi-k2-thinking',
  },
  'opencode_opencode_kimi-k2.5_10h_run2': {
    id: 'kimi-k2.5',
    displayName: 'Kimi K2.5 (OpenCode)',
    scaffold: 'opencode',
    provider: 'opencode',
    model: 'opencode/kimi-k2.5',
  },
  'opencode_opencode_minimax-m2.1-free_10h': {
    id: 'minimax-m2.1',
    displayName: 'MiniMax M2.1 (OpenCode)',
    scaffold: 'opencode',
    provider: 'opencode',
    model: 'opencode/minimax-m2.1-free',
  },
  'opencode_opencode_minimax-m2.5-free_10h_run2': {
    id: 'minimax-m2.5',
    displayName: 'MiniMax M2.5 (OpenCode)',
    scaffold: 'opencode',
    provider: 'opencode',
    model: 'opencode/minimax-m2.5-free',
  },
  'opencode_zai_glm-5_10h_run2': {
    id: 'glm-5',
    displayName: 'GLM-5 (OpenCode)',
    scaffold: 'opencode',
    provider: 'zai',
    model: 'zai/glm-5',
  },
  'qwen3max_qwen3-max-2026-01-23_10h': {
    id: 'qwen3-max',
    // The original ran Claude Code against DashScope's Anthropic-compatible API, not the Qwen CLI.
    displayName: 'Qwen3 Max (Claude Code)',
    scaffold: 'claude-code',
    provider: 'qwen',
    model: 'qwen3-max-2026-01-23',
    note: "Its endpoint was DashScope's Anthropic-compatible API serving Qwen3 Max.",
  },
};

export const REFERENCES = [
  {
    id: 'official-instruct',
    displayName: 'Official instruct models',
    of: 'official-instruct',
    description: "The base models' official instruct checkpoints, zero-shot: the post-training their makers did.",
  },
  {
    id: 'base-few-shot',
    displayName: 'Base models (few-shot)',
    of: 'base-few-shot',
    description: 'The base models untouched, prompted with a few solved examples.',
  },
  {
    id: 'base-zero-shot',
    displayName: 'Base models (zero-shot)',
    of: 'base-zero-shot',
    description: 'The base models untouched, zero-shot: what a penalised cell scores.',
  },
] as const;

export const SOURCE = { repository: 'aisa-group/posttrainbench-website', commit: '49cdae1' } as const;
