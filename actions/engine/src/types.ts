import type { AgentManifest, ResolvedDefinition } from '@ptb/core';
import type { LlmProvider } from './egress/llm-providers.ts';

export type RuntimeKind = 'bwrap' | 'docker' | 'apptainer';

/** Runs a given script instead of the manifest's scaffold (tests, reference recipes), or hands back the base model. */
export type AgentOverride = { kind: 'baseline' } | { kind: 'script'; path: string };

/** One cell to run: the contract between the pipeline (or `ptb run`) and the engine. */
export interface CellRequest {
  submissionDir: string;
  manifest: AgentManifest;
  definition: ResolvedDefinition;
  baseModel: string;
  benchmark: string;
  seed: number;
  runtime: RuntimeKind;
  outDir: string;
  budgetSeconds?: number;
  /** Where base models live: `<dir>/<org>/<name>/` (default: $PTB_MODEL_CACHE or ~/.cache/ptb/models). */
  modelCacheDir?: string;
  agent?: AgentOverride;
  /** A cache (pip wheels, Hugging Face hub) mounted read-only at /cache (default: $PTB_READONLY_CACHE); refused if it holds instruct checkpoints or denied datasets. */
  readOnlyCacheDir?: string;
  /** Keep the workspace after the run (default: removed). */
  keepWorkspace?: boolean;
  /** Seconds between SIGTERM and SIGKILL at the time limit (default 10). */
  graceSeconds?: number;
  /** Provider base URLs for the credential proxy (tests point these at a local server). */
  llmUpstreams?: Partial<Record<LlmProvider, string>>;
  /** Real provider keys; default: read from the harness environment. Never enter the sandbox. */
  llmKeys?: Partial<Record<LlmProvider, string>>;
  /** Per-run cap of LLM proxy use. */
  llmCap?: { maxRequests?: number; maxTokens?: number };
  /** Minimum seconds between two calls of the agent-facing evaluate entry point (default 30). */
  evaluateMinIntervalSeconds?: number;
  /** Optional LLM judge over the trace and code (off by default), called through the credential proxy. */
  judge?: { provider: 'anthropic' | 'openai'; model: string; votes: number };
  /** Limits of the agent's sandbox, overriding the definition's budget and the environment (tests use small ones). */
  limits?: { diskBytes?: number; memoryBytes?: number; pids?: number };
  /** Aborting cancels the cell (the runner is shutting down): everything is killed, an `error` result is written. */
  signal?: AbortSignal;
  /** Called with the cell's scratch folder and the agent's workspace once they exist (tests check that nothing of them survives). */
  onScratch?: (scratch: string, workspace: string) => void;
  /** Re-prompting limits (default: stop with 30 minutes left, at most 50 re-prompts); tests shorten them. */
  reprompt?: { floorSeconds?: number; max?: number };
  /** Called with timing marks; used by the overhead benchmark. */
  onMark?: (name: string, atMs: number) => void;
}

export type { LlmProvider } from './egress/llm-providers.ts';
