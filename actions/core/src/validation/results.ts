import { z } from 'zod';
import { ResultsFile } from '../schemas/result.ts';
import type { Diagnostic } from './diagnostics.ts';
import { formatPath } from './diagnostics.ts';

export interface ResultsCheck {
  results: ResultsFile | null;
  diagnostics: Diagnostic[];
}

// Zod's ahead-of-time compiled parser: a valid file (nearly every one) takes a generated fast
// path, about three times faster than the regular parser, and worth its compiling even for the
// repository's few dozen files; an invalid one falls back to the regular parser, so the issues
// reported are the same. Compiled on first use.
let compiledResultsFile: typeof ResultsFile | undefined;

/** The compiled parser of results files (made on first use; a start-up snapshot makes it ahead). */
export const resultsParser = (): typeof ResultsFile => (compiledResultsFile ??= z.compile(ResultsFile));

/**
 * Validates one results JSON file. Results are written by machines, so errors point at the
 * field path; the line is found by searching the key in the text, which is enough to jump to it.
 */
export function validateResultsText(text: string, file: string, submissionId: string): ResultsCheck {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const pos = /position (\d+)/.exec(message);
    const offset = pos ? Number(pos[1]) : 0;
    const before = text.slice(0, offset).split('\n');
    return {
      results: null,
      diagnostics: [
        {
          file,
          line: before.length,
          column: (before.at(-1)?.length ?? 0) + 1,
          field: '',
          code: 'invalid-json',
          message: `not valid JSON: ${message}`,
          hint: 'results files are written by `ptb import-v1` or the evaluate workflow; regenerate rather than edit',
        },
      ],
    };
  }
  const parsed = resultsParser().safeParse(value);
  if (!parsed.success) {
    return {
      results: null,
      diagnostics: parsed.error.issues.map((issue) => {
        const field = formatPath(issue.path as PropertyKey[]);
        const lastKey = [...issue.path].reverse().find((p) => typeof p === 'string');
        return {
          file,
          ...lineOfKey(text, lastKey as string | undefined),
          field,
          code: 'invalid-value' as const,
          message: issue.message,
        };
      }),
    };
  }
  const results = parsed.data;
  const wrongIds = [results.submissionId, ...(results.kind === 'run' ? results.cells.map((c) => c.submissionId) : [])].filter(
    (id) => id !== submissionId,
  );
  if (wrongIds.length > 0)
    return {
      results: null,
      diagnostics: [
        {
          file,
          ...lineOfKey(text, 'submissionId'),
          field: 'submissionId',
          code: 'results-mismatch',
          message: `results name submission "${wrongIds[0]}" but sit in the folder of "${submissionId}"`,
          hint: 'results belong in the folder of the submission that produced them',
        },
      ],
    };
  if (results.kind === 'run') {
    const failed = results.cells.find((c) => c.status === 'error');
    if (failed)
      return {
        results: null,
        diagnostics: [
          {
            file,
            ...lineOfKey(text, 'status'),
            field: 'cells',
            code: 'results-mismatch',
            message: `a cell (${failed.baseModel} / ${failed.benchmark}) ended in a harness error (${failed.errorSource ?? 'harness'}: ${failed.statusDetail ?? 'no detail'}); harness errors are retried, never published`,
            hint: 'retry the cell (`/ptb retry <cell>` on the pull request, or `ptb run`) and store its new result',
          },
        ],
      };
    const stray = results.cells.find((c) => c.seed !== results.seed || c.definitionVersion !== results.definitionVersion);
    if (stray)
      return {
        results: null,
        diagnostics: [
          {
            file,
            ...lineOfKey(text, 'seed'),
            field: 'cells',
            code: 'results-mismatch',
            message: `a cell (${stray.baseModel} / ${stray.benchmark}) has seed ${stray.seed} and definition ${stray.definitionVersion}, the file seed ${results.seed} and definition ${results.definitionVersion}`,
            hint: 'one results file holds the cells of one run',
          },
        ],
      };
  }
  return { results, diagnostics: [] };
}

function lineOfKey(text: string, key: string | undefined): { line: number; column: number } {
  if (!key) return { line: 1, column: 1 };
  const index = text.indexOf(`"${key}"`);
  if (index < 0) return { line: 1, column: 1 };
  const before = text.slice(0, index).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}
