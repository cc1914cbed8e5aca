import type { ResolvedDefinition } from '../definition.ts';
import type { ResultsFile } from '../schemas/result.ts';
import { Timeline } from '../schemas/timeline.ts';
import type { Diagnostic } from './diagnostics.ts';
import { formatPath } from './diagnostics.ts';
import { decodeUtf8, parseYamlSource } from './yaml-source.ts';

/**
 * Agent traces of verified cells, stored next to the results as
 * `submissions/<id>/traces/run-<seed>/<baseModelKey>--<benchmark>.json`, one `Timeline` each.
 * This module checks them; the folder reader only hands their bytes over.
 */

/** Far above what the engine keeps (it drops events past its own cap); a guard against a wrong file. */
export const MAX_TRACE_BYTES = 32 * 1024 * 1024;

export const TRACE_PATTERN = 'traces/run-<seed>/<base model key>--<benchmark>.json';

export interface TraceLocation {
  seed: number;
  baseModelKey: string;
  benchmark: string;
}

export interface CellTrace extends TraceLocation {
  submissionId: string;
  /** The base model's id in the definition (`Qwen/Qwen3-4B-Base`); null when no definition was given. */
  baseModel: string | null;
  file: string;
  timeline: Timeline;
}

export interface TraceSource {
  path: string;
  bytes: Uint8Array;
}

export interface TraceContext {
  submissionId: string;
  /** The submission's valid results files: a trace must belong to a verified cell of one of its runs. */
  results: readonly ResultsFile[];
  /** The definition the submission names; without it, base model keys and benchmarks are not checked. */
  definition?: ResolvedDefinition;
}

const LOCATION = /(?:^|\/)traces\/run-([1-9]\d{0,3})\/([A-Za-z0-9][A-Za-z0-9._-]*)--([a-z0-9][a-z0-9-]*)\.json$/;

/** Seed, base model key and benchmark from a trace's path, or null when it is not named as traces are. */
export function traceLocation(path: string): TraceLocation | null {
  const m = LOCATION.exec(path);
  if (!m) return null;
  return { seed: Number(m[1]), baseModelKey: m[2] ?? '', benchmark: m[3] ?? '' };
}

export function validateTraceFiles(
  files: readonly TraceSource[],
  ctx: TraceContext,
): { traces: CellTrace[]; diagnostics: Diagnostic[] } {
  const traces: CellTrace[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const file of files) {
    const check = validateTraceFile(file, ctx);
    diagnostics.push(...check.diagnostics);
    if (check.trace) traces.push(check.trace);
  }
  return { traces, diagnostics };
}

function validateTraceFile(file: TraceSource, ctx: TraceContext): { trace: CellTrace | null; diagnostics: Diagnostic[] } {
  const fail = (d: Omit<Diagnostic, 'file'>) => ({ trace: null, diagnostics: [{ file: file.path, ...d }] });
  const where = traceLocation(file.path);
  if (!where)
    return fail({
      line: 0,
      column: 0,
      field: '',
      code: 'unexpected-file',
      message: 'a file under traces/ that is not named as a trace',
      expected: TRACE_PATTERN,
      hint: 'traces are written by the evaluate workflow; remove the file or give it the name of its cell, e.g. traces/run-1/Qwen3-4B-Base--gsm8k.json',
    });
  if (file.bytes.length > MAX_TRACE_BYTES)
    return fail({
      line: 0,
      column: 0,
      field: '',
      code: 'file-too-large',
      message: `the trace is ${file.bytes.length} bytes`,
      expected: `at most ${MAX_TRACE_BYTES} bytes`,
      hint: 'the engine drops events past its size cap and sets "truncated": regenerate the trace with the engine',
    });

  const cell = cellProblem(where, ctx);
  if (cell.problem) return fail({ line: 0, column: 0, ...cell.problem });

  const decoded = decodeUtf8(file.bytes, file.path);
  if (!decoded.ok) return { trace: null, diagnostics: [decoded.diagnostic] };
  const text = decoded.text;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return fail({
      ...syntaxErrorAt(text, file.path, message),
      field: '',
      code: 'invalid-json',
      message: `not valid JSON: ${message}`,
      hint: 'traces are written by the engine; regenerate rather than edit',
    });
  }
  const parsed = Timeline.safeParse(value);
  if (!parsed.success) {
    // Positions only when needed: a trace can be megabytes, and JSON is YAML to the position-keeping parser.
    const source = parseYamlSource(text, file.path);
    return {
      trace: null,
      diagnostics: parsed.error.issues.slice(0, 20).map((issue) => {
        const path = issue.path as PropertyKey[];
        const at = source.ok ? source.parsed.locate(path) : { line: 1, column: 1 };
        return {
          file: file.path,
          ...at,
          field: formatPath(path),
          code: 'invalid-value' as const,
          message: issue.message,
          expected: 'a Timeline, as actions/core/schemas/timeline.schema.json describes',
        };
      }),
    };
  }
  return {
    trace: { ...where, submissionId: ctx.submissionId, baseModel: cell.baseModel, file: file.path, timeline: parsed.data },
    diagnostics: [],
  };
}

/** Where JSON.parse stopped: its message gives the offset for most errors; the YAML parser finds the rest. */
function syntaxErrorAt(text: string, file: string, message: string): { line: number; column: number } {
  const offset = /position (\d+)/.exec(message)?.[1];
  if (offset !== undefined) {
    const before = text.slice(0, Number(offset)).split('\n');
    return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
  }
  const yaml = parseYamlSource(text, file);
  const first = yaml.ok ? undefined : yaml.diagnostics[0];
  return first ? { line: first.line, column: first.column } : { line: 1, column: 1 };
}

/** The trace must name a benchmark and base model of the definition and a verified cell of that run. */
function cellProblem(
  where: TraceLocation,
  ctx: TraceContext,
): { baseModel: string | null; problem?: Omit<Diagnostic, 'file' | 'line' | 'column'> } {
  const def = ctx.definition;
  let baseModel: string | null = null;
  if (def) {
    const model = def.baseModels.find((m) => m.key === where.baseModelKey);
    if (!model)
      return {
        baseModel,
        problem: {
          field: '',
          code: 'results-mismatch',
          message: `"${where.baseModelKey}" is not a base model key of definition ${def.version}`,
          expected: `one of ${def.baseModels.map((m) => m.key).join(', ')}`,
          hint: `name the file ${TRACE_PATTERN}`,
        },
      };
    if (!def.benchmarks.some((b) => b.id === where.benchmark))
      return {
        baseModel,
        problem: {
          field: '',
          code: 'results-mismatch',
          message: `"${where.benchmark}" is not a benchmark of definition ${def.version}`,
          expected: `one of ${def.benchmarks.map((b) => b.id).join(', ')}`,
          hint: `name the file ${TRACE_PATTERN}`,
        },
      };
    baseModel = model.id;
  }
  const run = ctx.results.find((r) => r.kind === 'run' && r.seed === where.seed);
  if (run?.kind !== 'run')
    return {
      baseModel,
      problem: {
        field: '',
        code: 'results-mismatch',
        message: `a trace of run ${where.seed}, but the submission has no results/run-${where.seed}.json`,
        hint: 'traces are stored with the results of their run; commit both, or remove the trace',
      },
    };
  if (baseModel !== null) {
    const cell = run.cells.find((c) => c.baseModel === baseModel && c.benchmark === where.benchmark);
    if (!cell)
      return {
        baseModel,
        problem: {
          field: '',
          code: 'results-mismatch',
          message: `results/run-${where.seed}.json has no cell ${baseModel} / ${where.benchmark} for this trace`,
          hint: 'a trace belongs to a cell of its run; check the file name',
        },
      };
    if (cell.provenance.kind !== 'verified')
      return {
        baseModel,
        problem: {
          field: '',
          code: 'results-mismatch',
          message: `the cell ${baseModel} / ${where.benchmark} of run ${where.seed} is imported; only verified cells have traces`,
          hint: 'remove the trace',
        },
      };
  }
  return { baseModel };
}
