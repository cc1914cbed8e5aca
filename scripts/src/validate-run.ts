import { eachSourceForPaths, eachSubmission, loadDefinition } from '@ptb/core/files';
import { formatDiagnostic, sortDiagnostics, validateSubmissions } from '@ptb/core/validation';
import { EXIT, type Io } from './cli-kit.ts';

/**
 * Checks submissions (all of `root`'s, or those the paths name) and prints the problems in
 * the chosen format; returns the exit code. The parsers and schemas load with this module.
 */
export function validateAndReport(
  root: string,
  positionals: readonly string[],
  definitions: readonly string[],
  format: string,
  io: Io,
): number {
  let submissions = 0;
  function* counted() {
    for (const source of positionals.length > 0 ? eachSourceForPaths(positionals, root, io.cwd) : eachSubmission(root)) {
      submissions++;
      yield source;
    }
  }
  // Read, checked and dropped one submission at a time: memory stays flat however many there are.
  // Traces are checked against their definition's base models and benchmarks, loaded only when a trace needs one.
  const { diagnostics, checked } = validateSubmissions(counted(), definitions, {
    keepResults: false,
    definitionOf: (v) => loadDefinition(v),
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
