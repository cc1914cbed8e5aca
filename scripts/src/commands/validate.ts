import { eachSourceForPaths, eachSubmission, findRepoRoot, listDefinitionVersions, loadDefinition } from '@ptb/core/files';
import { formatDiagnostic, sortDiagnostics, validateSubmissions } from '@ptb/core/validation';
import { type Command, EXIT } from '../cli-kit.ts';

export const command: Command = {
  usage: `Usage: ptb validate [paths...] [--format text|json|github]

Checks each submission.yaml (and the results next to it) against the schema and the
repository rules. Paths may be submission folders, manifest files, or submissions/ itself.
Every file is checked even when an earlier one fails.

Options:
  --format text    one line per problem: file:line:column: field: message (default)
  --format json    {"ok", "checked", "diagnostics": [...]} on stdout
  --format github  GitHub Actions annotations (::error file=...,line=...)

Exit codes: 0 all valid, 1 problems found, 2 bad usage.`,
  options: { format: { type: 'string', default: 'text' } },
  async run({ values, positionals }, io) {
    const format = String(values.format);
    if (!['text', 'json', 'github'].includes(format)) {
      io.err(`unknown --format "${format}" (expected text, json or github)`);
      return EXIT.usage;
    }
    const root = findRepoRoot(io.cwd);
    const definitions = listDefinitionVersions();
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
  },
};
