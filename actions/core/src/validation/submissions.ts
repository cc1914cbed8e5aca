import type { ResolvedDefinition } from '../definition.ts';
import type { Submission } from '../scoring.ts';
import type { Diagnostic } from './diagnostics.ts';
import { validateManifestBytes } from './manifest.ts';
import { validateResultsText } from './results.ts';
import { type CellTrace, validateTraceFiles } from './traces.ts';
import { decodeUtf8 } from './yaml-source.ts';

export interface SourceFile {
  /** Path as shown to people, e.g. `submissions/opus-4-6/submission.yaml`. */
  path: string;
  bytes: Uint8Array;
}

/** The files of one manifest to check: a submission folder, or a lone manifest file. */
export interface SubmissionSource {
  manifest: SourceFile | null;
  /** Folder name the id must match; undefined for a lone file outside a submission folder. */
  folderId?: string;
  folderPath?: string;
  /** The path given on the command line does not exist. */
  notFound?: boolean;
  results: SourceFile[];
  /** Files under `traces/`: agent timelines of verified cells (see traces.ts). */
  traces?: SourceFile[];
  /** Files in the folder that are neither the manifest, results, nor a README. */
  strayFiles: string[];
}

export interface TreeCheck {
  submissions: Submission[];
  /** The valid traces of those submissions. */
  traces: CellTrace[];
  diagnostics: Diagnostic[];
  /** Files checked, for the summary line. */
  checked: number;
}

export interface ValidateOptions {
  /**
   * Keep the parsed results in `submissions` (default true). A pure check passes false, so a
   * thousand submissions' results are checked and dropped one file at a time.
   */
  keepResults?: boolean;
  /** With it, traces are also checked against the definition's base models and benchmarks. */
  definitionOf?: (version: string) => ResolvedDefinition;
}

/** Validates many submissions at once; one bad file never stops the others being checked. */
export function validateSubmissions(
  sources: Iterable<SubmissionSource>,
  knownDefinitions: readonly string[],
  options: ValidateOptions = {},
): TreeCheck {
  const keepResults = options.keepResults ?? true;
  const definitionOf = options.definitionOf;
  const diagnostics: Diagnostic[] = [];
  const submissions: Submission[] = [];
  const traces: CellTrace[] = [];
  const firstSeen = new Map<string, string>();
  let checked = 0;
  for (const source of sources) {
    for (const stray of source.strayFiles) {
      diagnostics.push({
        file: stray,
        line: 0,
        column: 0,
        field: '',
        code: 'unexpected-file',
        message: 'unexpected file in a submission folder',
        expected: 'only submission.yaml, README.md, results/*.json and traces/run-<seed>/*.json',
        hint: 'remove it; a submission is data, and code in it is never run',
      });
    }
    if (source.notFound) {
      diagnostics.push({
        file: source.folderPath ?? '(unknown path)',
        line: 0,
        column: 0,
        field: '',
        code: 'path-not-found',
        message: 'no such file or folder',
        hint: 'give a submission folder, a submission.yaml, or the submissions/ folder',
      });
      continue;
    }
    if (!source.manifest) {
      diagnostics.push({
        file: source.folderPath ?? '(unknown folder)',
        line: 0,
        column: 0,
        field: '',
        code: 'missing-manifest',
        message: 'the folder has no submission.yaml',
        hint: 'run `npx ptb new` to write one',
      });
      continue;
    }
    checked++;
    const { manifest, diagnostics: manifestErrors } = validateManifestBytes(
      source.manifest.bytes,
      source.manifest.path,
      source.folderId,
    );
    diagnostics.push(...manifestErrors);
    if (!manifest) continue;
    if (!knownDefinitions.includes(manifest.benchmarkVersion)) {
      diagnostics.push({
        file: source.manifest.path,
        line: 0,
        column: 0,
        field: 'benchmarkVersion',
        code: 'unknown-definition',
        message: `benchmark definition "${manifest.benchmarkVersion}" does not exist`,
        expected: `one of ${knownDefinitions.join(', ')}`,
        hint: 'leave benchmarkVersion out to use the current definition',
      });
      continue;
    }
    const earlier = firstSeen.get(manifest.id);
    if (earlier) {
      diagnostics.push({
        file: source.manifest.path,
        line: 0,
        column: 0,
        field: 'id',
        code: 'duplicate-id',
        message: `id "${manifest.id}" is already used by ${earlier}`,
        hint: 'ids are unique across the leaderboard; choose another slug',
      });
      continue;
    }
    firstSeen.set(manifest.id, source.manifest.path);
    const results = [];
    for (const file of source.results) {
      checked++;
      const decoded = decodeUtf8(file.bytes, file.path);
      if (!decoded.ok) {
        diagnostics.push(decoded.diagnostic);
        continue;
      }
      const check = validateResultsText(decoded.text, file.path, manifest.id);
      diagnostics.push(...check.diagnostics);
      // Kept while this submission's traces are checked against them; dropped afterwards unless asked for.
      if (check.results) results.push(check.results);
    }
    if (source.traces && source.traces.length > 0) {
      checked += source.traces.length;
      const traceCheck = validateTraceFiles(source.traces, {
        submissionId: manifest.id,
        results,
        ...(definitionOf ? { definition: definitionOf(manifest.benchmarkVersion) } : {}),
      });
      diagnostics.push(...traceCheck.diagnostics);
      traces.push(...traceCheck.traces);
    }
    submissions.push({ manifest, results: keepResults ? results : [] });
  }
  return { submissions, traces, diagnostics, checked };
}
