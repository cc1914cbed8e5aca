import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedDefinition } from '@ptb/core';
import { eachSourceForPaths, eachSubmission } from '@ptb/core/submission-files';
import { formatDiagnostic, sortDiagnostics, validateSubmissions } from '@ptb/core/validation';
import { EXIT, type Io } from './cli-kit.ts';

/**
 * Traces are checked against their definition's base models and benchmarks; the definitions
 * (a parser and the largest schema) are loaded only where a trace may need them: named paths,
 * or a submission with a traces/ folder.
 */
async function definitionsIfTraces(
  root: string,
  positionals: readonly string[],
): Promise<((version: string) => ResolvedDefinition) | undefined> {
  const dir = join(root, 'submissions');
  const traced =
    positionals.length > 0 ||
    readdirSync(dir, { withFileTypes: true }).some((e) => e.isDirectory() && existsSync(join(dir, e.name, 'traces')));
  if (!traced) return undefined;
  const { loadDefinition } = await import('@ptb/core/files');
  return (version) => loadDefinition(version);
}

/**
 * Checks submissions (all of `root`'s, or those the paths name) and prints the problems in
 * the chosen format; returns the exit code. The parsers and schemas load with this module.
 */
export async function validateAndReport(
  root: string,
  positionals: readonly string[],
  definitions: readonly string[],
  format: string,
  io: Io,
): Promise<number> {
  const definitionOf = await definitionsIfTraces(root, positionals);
  let submissions = 0;
  function* counted() {
    for (const source of positionals.length > 0 ? eachSourceForPaths(positionals, root, io.cwd) : eachSubmission(root)) {
      submissions++;
      yield source;
    }
  }
  // Read, checked and dropped one submission at a time: memory stays flat however many there are.
  const { diagnostics, checked } = validateSubmissions(counted(), definitions, {
    keepResults: false,
    ...(definitionOf ? { definitionOf } : {}),
  });
  const sorted = sortDiagnostics(diagnostics);
  const problemFiles = new Set(sorted.map((d) => d.file)).size;
  if (format === 'json') {
    io.out(JSON.stringify({ ok: sorted.length === 0, checked, diagnostics: sorted }, null, 2));
  } else if (format === 'github') {
    for (const d of sorted) {
      const msg = `${d.field ? `${d.field}: ` : ''}${d.message}${d.expected ? ` (expected ${d.expected})` : ''}${d.hint ? `. ${d.hint}` : ''}`;
      io.out(`::error file=${d.file},line=${Math.max(1, d.line)},col=${Math.max(1, d.column)}::${msg.replace(/\n/g, '%0A')}`);
    }
  } else {
    for (const d of sorted) io.err(formatDiagnostic(d));
    io.err(
      sorted.length === 0
        ? `ok: ${checked} file(s) in ${submissions} submission(s) valid`
        : `${sorted.length} problem(s) in ${problemFiles} file(s); ${checked} file(s) checked`,
    );
  }
  return sorted.length === 0 ? EXIT.ok : EXIT.invalid;
}
