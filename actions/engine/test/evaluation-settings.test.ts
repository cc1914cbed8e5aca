import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDefinition } from '@ptb/core/files';
import { describe, expect, test } from 'vitest';
import { evaluationArgv, evaluationOf, retryLadder } from '../src/verify/evaluation.ts';
import { classifyFailure } from '../src/verify/failure.ts';
import { samplingOf } from '../src/verify/sampling.ts';

const V1 = loadDefinition('v1');
const bench = (id: string) => {
  const b = V1.benchmarks.find((x) => x.id === id);
  if (!b) throw new Error(`no ${id}`);
  return b;
};

/**
 * How the original benchmark evaluates each v1 benchmark, transcribed from the facts of the
 * original's evaluation scripts at commit 9082063 (the project's UPSTREAM notes): the task,
 * max tokens, the reduced max tokens of the retry ladder (4, 3 and 2 attempts), vLLM's
 * gpu_memory_utilization and max_connections, the tool-call parser and the templates.
 */
const UPSTREAM = {
  aime2025: { task: 'inspect_evals/aime2025', ladder: [16000, 12000, 8000], gmu: 0.8, conn: 6, parser: null, samples: 30 },
  bfcl: { task: 'inspect_evals/bfcl', ladder: [16000, 12000, 8000], gmu: 0.8, conn: 6, parser: 'hermes', samples: 100 },
  gpqamain: { task: 'ptb_evals/gpqamain', ladder: [16000, 12000, 8000], gmu: 0.8, conn: 6, parser: null, samples: 448 },
  gsm8k: { task: 'inspect_evals/gsm8k', ladder: [4000, 3000, 2000], gmu: 0.3, conn: 2, parser: null, samples: 1319 },
  humaneval: { task: 'inspect_evals/humaneval', ladder: [4000, 3000, 2000], gmu: 0.3, conn: 1, parser: null, samples: 164 },
  arenahardwriting: {
    task: 'ptb_evals/arenahardwriting',
    ladder: [16384, 12288, 8192],
    gmu: null,
    conn: null,
    parser: null,
    samples: 250,
  },
  healthbench: { task: 'ptb_evals/healthbench', ladder: [16384, 12288, 8192], gmu: null, conn: null, parser: null, samples: 245 },
} as const;
const TEMPLATES = { qwen3: 'qwen3.jinja', smollm3: 'smollm.jinja', gemma3: 'gemma3.jinja' };

describe('v1 evaluation settings match the original', () => {
  for (const [id, up] of Object.entries(UPSTREAM)) {
    test(id, () => {
      const b = bench(id);
      const spec = evaluationOf(b);
      expect(spec.runner).toBe('inspect');
      expect(spec.task).toBe(up.task);
      expect(b.dataset.samples).toBe(up.samples);
      expect(b.eval.maxTokens).toBe(up.ladder[0]);
      expect(b.eval.temperature).toBeUndefined();
      expect(b.eval.topP).toBeUndefined();
      expect(spec.retries).toEqual(up.ladder.map((maxTokens, i) => ({ maxTokens, attempts: [4, 3, 2][i] })));
      expect(retryLadder(b)).toEqual([
        ...Array(4).fill(up.ladder[0]),
        ...Array(3).fill(up.ladder[1]),
        ...Array(2).fill(up.ladder[2]),
      ]);
      expect(spec.toolCallParser ?? null).toBe(up.parser);
      if (up.conn !== null) expect(spec.maxConnections).toBe(up.conn);
      expect(spec.gpuMemoryUtilization ?? null).toBe(up.gmu);
      // bfcl on Gemma: the tool-calling variant of the gemma3 template.
      expect(spec.chatTemplates).toEqual(id === 'bfcl' ? { ...TEMPLATES, gemma3: 'gemma3_tool_calling.jinja' } : TEMPLATES);
      for (const m of V1.baseModels) {
        const argv = evaluationArgv(b, { limit: null, seed: 1, shuffleSeed: null, family: m.family }).join(' ');
        expect(argv).toContain(`-M chat_template=/data/templates/${spec.chatTemplates?.[m.family]}`);
        expect(argv).not.toMatch(/--temperature|--top-p|generation_config/);
        if (up.parser) expect(argv).toContain(`-M enable_auto_tool_choice=true -M tool_call_parser=${up.parser}`);
      }
    });
  }
  test('judged benchmarks name the judge of the original and their headline metric', () => {
    expect(evaluationOf(bench('arenahardwriting')).judge).toEqual({ model: 'gpt-5-mini', reasoningEffort: 'medium' });
    expect(evaluationOf(bench('arenahardwriting')).metric).toBe('pairwise_judge/win_rate');
    expect(evaluationOf(bench('healthbench')).judge).toEqual({ model: 'gpt-5-mini' });
    expect(evaluationOf(bench('healthbench')).metric).toBe('rubric_grader/clipped_mean');
  });
  test('humaneval runs its tests locally (inside the verification sandbox), not in docker', () => {
    expect(evaluationArgv(bench('humaneval'), { limit: null, seed: 1, shuffleSeed: null, family: 'qwen3' }).join(' ')).toContain(
      '-T sandbox=local',
    );
  });
  test('our own tasks are run from the evaluator mount', () => {
    const argv = evaluationArgv(bench('gpqamain'), { limit: null, seed: 1, shuffleSeed: null, family: 'qwen3' });
    expect(argv[2]).toBe('/evaluator/ptb_evals/gpqamain/gpqamain.py@gpqamain');
  });
  test('a family without a template is refused with the families known', () => {
    expect(() => evaluationArgv(bench('gsm8k'), { limit: null, seed: 1, shuffleSeed: null, family: 'llama' })).toThrow(
      /no chat template for model family "llama" \(known: qwen3, smollm3, gemma3\)/,
    );
  });
});

describe('the evaluation image and the bwrap environment install the same pins', () => {
  const dir = join(import.meta.dirname, '..', 'images', 'evaluation');
  const lock = readFileSync(join(dir, 'requirements.lock'), 'utf8');
  const input = readFileSync(join(dir, 'requirements.in'), 'utf8');
  const dockerfile = readFileSync(join(dir, 'Dockerfile'), 'utf8');
  test('every direct pin is in the lock, with hashes', () => {
    const direct = [...input.matchAll(/^([a-z0-9-]+)==([^\s]+)/gm)].map((m) => [m[1] ?? '', m[2] ?? ''] as const);
    expect(direct.map(([n]) => n)).toEqual(['inspect-ai', 'inspect-evals', 'openai']);
    for (const [name, version] of direct)
      expect(lock).toMatch(new RegExp(`^${name}==${version.replace(/\./g, '\\.')} \\\\\\n\\s+--hash=sha256:[0-9a-f]{64}`, 'm'));
    for (const line of lock.split('\n').filter((l) => /^[a-z0-9]/i.test(l))) expect(line).toMatch(/^[A-Za-z0-9_.-]+==\S+ \\$/);
  });
  test('the Dockerfile installs that lock with --require-hashes, on the vLLM of the original', () => {
    expect(dockerfile).toMatch(/COPY \S*requirements\.lock \/opt\/ptb\/requirements\.lock/);
    expect(dockerfile).toMatch(/pip install [^\n]*--require-hashes[^\n]*-r \/opt\/ptb\/requirements\.lock/);
    expect(dockerfile).toMatch(/vllm-openai:v0\.11\.0/);
    expect(dockerfile).not.toMatch(/pip install[^\n]*(inspect-ai|inspect-evals)==/);
  });
  test('install.sh installs the same lock with --require-hashes', () => {
    const install = readFileSync(join(dir, 'install.sh'), 'utf8');
    expect(install).toContain('--require-hashes');
    expect(install).toContain('requirements.lock');
  });
});

describe('whose fault a failed evaluation is', () => {
  const log = (error: string) => ({ status: 'error', error });
  test.each([
    [
      {
        exitCode: 1,
        timedOut: false,
        log: log('RuntimeError: PTB-DATA-MISSING: math-ai/aime25/test.jsonl is not in the evaluation data cache'),
        outputTail: '',
      },
      'harness',
      'evaluator',
    ],
    [
      {
        exitCode: 1,
        timedOut: false,
        log: log('ptb_evals.judge.JudgeUnavailable: PTB-JUDGE-UNAVAILABLE: gpt-5-mini did not answer'),
        outputTail: '',
      },
      'harness',
      'judge',
    ],
    [
      {
        exitCode: 1,
        timedOut: false,
        log: log("ConnectionError: Couldn't reach 'x/y' on the Hub (OfflineModeIsEnabled)"),
        outputTail: '',
      },
      'harness',
      'evaluator',
    ],
    [
      {
        exitCode: 1,
        timedOut: false,
        log: log('RuntimeError: Failed to start vLLM server: Server process exited unexpectedly with code 1.'),
        outputTail: '',
      },
      'model',
      undefined,
    ],
    [
      {
        exitCode: 1,
        timedOut: false,
        log: log('Failed to start vLLM server'),
        outputTail: 'torch.OutOfMemoryError: CUDA out of memory.',
      },
      'harness',
      'fleet',
    ],
    [
      { exitCode: 1, timedOut: false, log: log('openai.APIConnectionError: Connection error.'), outputTail: '' },
      'harness',
      'evaluator',
    ],
    [{ exitCode: 127, timedOut: false, log: null, outputTail: 'inspect: command not found' }, 'harness', 'evaluator'],
    [
      { exitCode: 1, timedOut: false, log: null, outputTail: "ModuleNotFoundError: No module named 'inspect_ai'" },
      'harness',
      'evaluator',
    ],
    [{ exitCode: null, timedOut: true, log: null, outputTail: '' }, 'model', undefined],
    [{ exitCode: 1, timedOut: false, log: log('KeyError: something nobody foresaw'), outputTail: '' }, 'harness', 'evaluator'],
  ])('%#', (ev, fault, source) => {
    const f = classifyFailure(ev);
    expect(f.fault).toBe(fault);
    if (f.fault === 'harness') expect(f.source).toBe(source);
  });
});

describe('effective sampling parameters', () => {
  const dir = join(import.meta.dirname, 'fixtures', 'eval', 'models', 'scripted');
  test("vLLM's defaults with the model's generation_config.json, as the original", () => {
    expect(samplingOf(bench('gsm8k'), dir)).toEqual({
      source: 'generation_config.json',
      temperature: 0.6,
      topP: 0.95,
      topK: 20,
      minP: 0,
      repetitionPenalty: 1,
    });
    expect(samplingOf(bench('gsm8k'), join(dir, 'nowhere'))).toEqual({
      source: 'server',
      temperature: 1,
      topP: 1,
      topK: 0,
      minP: 0,
      repetitionPenalty: 1,
    });
  });
  test('a temperature of the definition wins over the model', () => {
    const b = { ...bench('gsm8k'), eval: { ...bench('gsm8k').eval, temperature: 0 } };
    expect(samplingOf(b, dir)).toMatchObject({ source: 'definition', temperature: 0, topP: 0.95 });
  });
});
