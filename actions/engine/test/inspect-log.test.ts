import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { readInspectLog, summariseLog } from '../src/index.ts';
import { readZip } from '../src/verify/zip.ts';
import { BUNDLE, cleanupTempDirs, MODEL_CACHE, tempDir } from './helpers.ts';

afterAll(cleanupTempDirs);

/**
 * The parts of Inspect's published log schema (src/inspect_ai/_view/www/log-schema.json in
 * UKGovernmentBEIS/inspect_ai) that verification relies on, transcribed with their required
 * keys and `additionalProperties: false`, so the evaluator's logs are checked for the real shape.
 */
const nullable = <T extends z.ZodType>(t: T) => t.nullable();
const obj = z.record(z.string(), z.unknown());
const GENERATE_KEYS = [
  'max_retries',
  'timeout',
  'max_connections',
  'system_message',
  'max_tokens',
  'top_p',
  'temperature',
  'stop_seqs',
  'best_of',
  'frequency_penalty',
  'presence_penalty',
  'logit_bias',
  'seed',
  'top_k',
  'num_choices',
  'logprobs',
  'top_logprobs',
  'parallel_tool_calls',
  'internal_tools',
  'max_tool_output',
  'cache_prompt',
  'reasoning_effort',
  'reasoning_tokens',
  'reasoning_summary',
  'reasoning_history',
  'response_schema',
  'extra_body',
  'batch',
] as const;
const CONFIG_KEYS = [
  'limit',
  'sample_id',
  'sample_shuffle',
  'epochs',
  'epochs_reducer',
  'approval',
  'fail_on_error',
  'continue_on_fail',
  'retry_on_error',
  'message_limit',
  'token_limit',
  'time_limit',
  'working_limit',
  'max_samples',
  'max_tasks',
  'max_subprocesses',
  'max_sandboxes',
  'sandbox_cleanup',
  'log_samples',
  'log_realtime',
  'log_images',
  'log_buffer',
  'log_shared',
  'score_display',
] as const;
const allKeys = (keys: readonly string[]) => z.strictObject(Object.fromEntries(keys.map((k) => [k, z.unknown()])));
const GenerateConfig = allKeys(GENERATE_KEYS).superRefine((v, ctx) => {
  for (const k of GENERATE_KEYS) if (!(k in v)) ctx.addIssue({ code: 'custom', message: `missing ${k}` });
});
const EvalConfig = allKeys(CONFIG_KEYS).superRefine((v, ctx) => {
  for (const k of CONFIG_KEYS) if (!(k in v)) ctx.addIssue({ code: 'custom', message: `missing ${k}` });
});
const EvalMetric = z.strictObject({ name: z.string(), value: z.number(), params: obj, metadata: nullable(obj) });
const EvalScore = z.strictObject({
  name: z.string(),
  scorer: z.string(),
  reducer: nullable(z.string()),
  scored_samples: nullable(z.number().int()),
  unscored_samples: nullable(z.number().int()),
  params: obj,
  metrics: z.record(z.string(), EvalMetric),
  metadata: nullable(obj),
});
const EvalSpec = z.strictObject({
  eval_set_id: nullable(z.string()),
  eval_id: z.string(),
  run_id: z.string(),
  created: z.string(),
  task: z.string(),
  task_id: z.string(),
  task_version: z.union([z.number().int(), z.string()]),
  task_file: nullable(z.string()),
  task_display_name: nullable(z.string()),
  task_registry_name: nullable(z.string()),
  task_attribs: obj,
  task_args: obj,
  task_args_passed: obj,
  solver: nullable(z.string()),
  solver_args: nullable(obj),
  tags: nullable(z.array(z.string())),
  dataset: z.strictObject({
    name: nullable(z.string()),
    location: nullable(z.string()),
    samples: nullable(z.number().int()),
    sample_ids: nullable(z.array(z.union([z.string(), z.number().int()]))),
    shuffled: nullable(z.boolean()),
  }),
  sandbox: z.null(),
  model: z.string(),
  model_generate_config: GenerateConfig,
  model_base_url: nullable(z.string()),
  model_args: obj,
  model_roles: nullable(obj),
  config: EvalConfig,
  revision: z.null(),
  packages: z.record(z.string(), z.string()),
  metadata: nullable(obj),
  scorers: z.null(),
  metrics: z.null(),
});
const EvalLog = z.strictObject({
  version: z.literal(2),
  status: z.enum(['started', 'success', 'cancelled', 'error']),
  eval: EvalSpec,
  plan: z.strictObject({
    name: z.string(),
    steps: z.array(z.strictObject({ solver: z.string(), params: obj })),
    finish: z.null(),
    config: GenerateConfig,
  }),
  results: nullable(
    z.strictObject({
      total_samples: z.number().int(),
      completed_samples: z.number().int(),
      scores: z.array(EvalScore),
      metadata: nullable(obj),
    }),
  ),
  stats: z.strictObject({ started_at: z.string(), completed_at: z.string(), model_usage: obj }),
  error: nullable(z.strictObject({ message: z.string(), traceback: z.string(), traceback_ansi: z.string() })),
});

function evaluate(model: string, format: 'json' | 'eval', limit = -1): string {
  const dir = tempDir('inspect');
  const r = spawnSync(
    'python3',
    [
      join(BUNDLE, 'evaluator', 'score.py'),
      '--model',
      model,
      '--data',
      join(BUNDLE, 'evaluator', 'test.jsonl'),
      '--log-dir',
      dir,
      '--limit',
      String(limit),
      '--seed',
      '7',
      '--log-format',
      format,
    ],
    { encoding: 'utf8' },
  );
  expect(r.error).toBeUndefined();
  const [name] = readdirSync(dir);
  if (!name) throw new Error(`no log written: ${r.stderr}`);
  return join(dir, name);
}

describe('Inspect logs', () => {
  test("the CI evaluator writes version-2 .json logs in Inspect's published shape; they parse into metrics with stderr", () => {
    const path = evaluate(join(MODEL_CACHE, 'ptb-ci', 'adder-instruct'), 'json', 10);
    const raw = JSON.parse(readFileSync(path, 'utf8'));
    expect(EvalLog.safeParse(raw).error).toBeUndefined();
    const s = readInspectLog(path);
    expect(s).toMatchObject({ status: 'success', task: 'ci_add', value: 1, stderr: 0, samples: 10 });
    expect(s.metrics['match/accuracy']).toBe(1);
  });

  test('.eval archives (zip) are read from header.json', () => {
    const path = evaluate(join(MODEL_CACHE, 'ptb-ci', 'adder-base'), 'eval');
    const members = readZip(readFileSync(path));
    expect([...members.keys()]).toEqual(expect.arrayContaining(['header.json', '_journal/start.json']));
    expect(EvalLog.safeParse(JSON.parse(String(members.get('header.json')))).error).toBeUndefined();
    expect(readInspectLog(path)).toMatchObject({ status: 'success', value: 0, samples: 40 });
  });

  test('an error log of a broken model reports the error and no value', () => {
    const dir = tempDir('broken-model');
    writeFileSync(join(dir, 'config.json'), '{"model_type": "llama"}');
    writeFileSync(join(dir, 'model.json'), '{}');
    const path = evaluate(dir, 'json');
    expect(EvalLog.safeParse(JSON.parse(readFileSync(path, 'utf8'))).error).toBeUndefined();
    expect(readInspectLog(path)).toMatchObject({
      status: 'error',
      value: null,
      error: expect.stringMatching(/unsupported model_type/),
    });
  });

  test('stderr and the headline metric come from results.scores[].metrics; other names fall back to the first metric', () => {
    const s = summariseLog({
      version: 2,
      status: 'success',
      eval: { task: 'x', model: 'vllm/m' },
      results: {
        total_samples: 3,
        completed_samples: 3,
        scores: [{ name: 'judge', metrics: { win_rate: { value: 0.25 }, stderr: { value: 0.1 } } }],
      },
    });
    expect(s).toMatchObject({ value: 0.25, stderr: 0.1, samples: 3 });
    expect(summariseLog({ eval: {}, results: { scores: [{ name: 'r', metrics: { rubric: { value: 0.4 } } }] } }).value).toBe(0.4);
  });

  test('refuses what is not an Inspect log, a version-1 log, and a truncated archive', () => {
    expect(() => summariseLog({ results: {} })).toThrow(/no "eval" field/);
    expect(() => summariseLog({ version: 1, eval: {} })).toThrow(/version 1/);
    expect(() => readZip(Buffer.from('PK not really'))).toThrow(/not a zip/);
  });

  test('the zip reader handles stored and deflated members written by hand', () => {
    const entries = [
      { name: 'a.txt', data: Buffer.from('stored'), method: 0 },
      { name: 'b.json', data: Buffer.from('{"deflated": true}'), method: 8 },
    ];
    const locals: Buffer[] = [];
    const centrals: Buffer[] = [];
    let offset = 0;
    for (const e of entries) {
      const body = e.method === 8 ? deflateRawSync(e.data) : e.data;
      const name = Buffer.from(e.name);
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(e.method, 8);
      local.writeUInt32LE(body.length, 18);
      local.writeUInt32LE(e.data.length, 22);
      local.writeUInt16LE(name.length, 26);
      const central = Buffer.alloc(46);
      central.writeUInt32LE(0x02014b50, 0);
      central.writeUInt16LE(e.method, 10);
      central.writeUInt32LE(body.length, 20);
      central.writeUInt32LE(e.data.length, 24);
      central.writeUInt16LE(name.length, 28);
      central.writeUInt32LE(offset, 42);
      locals.push(local, name, body);
      centrals.push(central, name);
      offset += 30 + name.length + body.length;
    }
    const cd = Buffer.concat(centrals);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(entries.length, 10);
    end.writeUInt32LE(cd.length, 12);
    end.writeUInt32LE(offset, 16);
    const zip = readZip(Buffer.concat([...locals, cd, end]));
    expect(String(zip.get('a.txt'))).toBe('stored');
    expect(JSON.parse(String(zip.get('b.json')))).toEqual({ deflated: true });
  });
});
