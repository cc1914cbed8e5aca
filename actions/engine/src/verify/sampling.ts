import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Benchmark } from '@ptb/core';

/** The sampling parameters a verification ran with, and where each came from. */
export interface SamplingRecord {
  /** definition: set by the benchmark definition; generation_config.json: the model's own defaults, which vLLM applies; server: the server's built-in defaults. */
  source: 'definition' | 'generation_config.json' | 'server';
  temperature: number;
  topP: number;
  topK: number;
  minP: number;
  repetitionPenalty: number;
}

/** vLLM's built-in sampling defaults (used for what the model's generation_config.json does not set). */
export const VLLM_DEFAULTS = { temperature: 1, topP: 1, topK: 0, minP: 0, repetitionPenalty: 1 } as const;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * The effective sampling parameters of a verification. As in the original, no temperature
 * or top-p is passed: vLLM starts from its defaults and applies the model's
 * generation_config.json (`--generation-config auto`), so they are read from the same file.
 */
export function samplingOf(benchmark: Benchmark, modelDir: string): SamplingRecord {
  const e = benchmark.eval;
  let cfg: Record<string, unknown> = {};
  try {
    cfg = JSON.parse(readFileSync(join(modelDir, 'generation_config.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    cfg = {};
  }
  const r: SamplingRecord = {
    source: e.temperature !== undefined ? 'definition' : 'server',
    temperature: e.temperature ?? VLLM_DEFAULTS.temperature,
    topP: e.topP ?? VLLM_DEFAULTS.topP,
    topK: VLLM_DEFAULTS.topK,
    minP: VLLM_DEFAULTS.minP,
    repetitionPenalty: VLLM_DEFAULTS.repetitionPenalty,
  };
  const model = {
    temperature: num(cfg.temperature),
    topP: num(cfg.top_p),
    topK: num(cfg.top_k),
    minP: num(cfg.min_p),
    repetitionPenalty: num(cfg.repetition_penalty),
  };
  let used = false;
  for (const [k, v] of Object.entries(model) as [keyof typeof model, number | undefined][]) {
    if (v === undefined) continue;
    if ((k === 'temperature' && e.temperature !== undefined) || (k === 'topP' && e.topP !== undefined)) continue;
    r[k] = v;
    used = true;
  }
  if (used && r.source === 'server') r.source = 'generation_config.json';
  return r;
}
