import { DEFINITIONS_DIR, findRepoRoot, listDefinitionVersions } from '@ptb/core/locations';
import { type Command, EXIT, type Io } from '../cli-kit.ts';
import { type RecordedRun, readRecordedRun, recordRun, validationKey } from '../validate-cache.ts';

export const command: Command = {
  usage: `Usage: ptb validate [paths...] [--format text|json|github] [--no-cache]

Checks each submission.yaml (and the results next to it) against the schema and the
repository rules. Paths may be submission folders, manifest files, or submissions/ itself.
Every file is checked even when an earlier one fails.

Options:
  --format text    one line per problem: file:line:column: field: message (default)
  --format json    {"ok", "checked", "diagnostics": [...]} on stdout
  --format github  GitHub Actions annotations (::error file=...,line=...)
  --no-cache       check again even if nothing changed since the last check of the
                   whole repository (its answer is kept in node_modules/.cache/ptb,
                   keyed by the contents of every file read; never used under CI)

Exit codes: 0 all valid, 1 problems found, 2 bad usage.`,
  options: { format: { type: 'string', default: 'text' }, 'no-cache': { type: 'boolean', default: false } },
  async run({ values, positionals }, io) {
    const format = String(values.format);
    if (!['text', 'json', 'github'].includes(format)) {
      io.err(`unknown --format "${format}" (expected text, json or github)`);
      return EXIT.usage;
    }
    const root = findRepoRoot(io.cwd);
    const definitions = listDefinitionVersions();
    // The whole repository, unchanged since the last check: the same answer, without loading
    // the parsers and schemas (most of the command's time).
    const key = positionals.length === 0 && !values['no-cache'] ? validationKey(root, DEFINITIONS_DIR, format) : undefined;
    const recorded = key ? readRecordedRun(root, key) : undefined;
    if (recorded) {
      for (const [stream, text] of recorded.lines) io[stream](text);
      return recorded.exit;
    }
    const run: RecordedRun = { exit: EXIT.internal, lines: [] };
    const recording: Io = {
      ...io,
      out: (text) => {
        run.lines.push(['out', text]);
        io.out(text);
      },
      err: (text) => {
        run.lines.push(['err', text]);
        io.err(text);
      },
    };
    const { validateAndReport } = await import('../validate-run.ts');
    run.exit = await validateAndReport(root, positionals, definitions, format, recording);
    if (key) recordRun(root, key, run);
    return run.exit;
  },
};
