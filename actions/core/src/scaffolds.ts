/**
 * The agent scaffolds a submission may name. Adding one is a reviewed code change here
 * plus an adapter in the run engine: a submission is data and cannot bring its own.
 */
export const SCAFFOLDS = {
  // qwen: Alibaba DashScope's Anthropic-compatible API (how the original ran Qwen3 Max).
  'claude-code': { displayName: 'Claude Code', npmPackage: '@anthropic-ai/claude-code', providers: ['anthropic', 'qwen'] },
  'codex-cli': { displayName: 'Codex CLI', npmPackage: '@openai/codex', providers: ['openai'] },
  'gemini-cli': { displayName: 'Gemini CLI', npmPackage: '@google/gemini-cli', providers: ['google'] },
  opencode: {
    displayName: 'OpenCode',
    npmPackage: 'opencode-ai',
    providers: ['anthropic', 'openai', 'google', 'openrouter', 'opencode', 'zai'],
  },
} as const satisfies Record<string, { displayName: string; npmPackage: string; providers: readonly string[] }>;

export type ScaffoldId = keyof typeof SCAFFOLDS;
export const SCAFFOLD_IDS = Object.keys(SCAFFOLDS) as [ScaffoldId, ...ScaffoldId[]];

export const REASONING_EFFORTS = ['default', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'] as const;
