import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findRepoRoot, loadDefinition } from '@ptb/core/files';
import { type Command, EXIT } from '../cli-kit.ts';
import { buildImport, GENERATED_MARK } from '../import-v1/build-import.ts';
import { readPublishedData } from '../import-v1/published-data.ts';

/** The copy of the published data kept in this repository, so the import is reproducible offline. */
export const VENDORED_V1 = fileURLToPath(new URL('../../data/posttrainbench-v1/', import.meta.url));

/**
 * Folders an earlier import wrote (their manifest carries the generated mark) that a fresh
 * import no longer produces: an agent the publication superseded. Hand-written folders are never touched.
 */
function staleImports(root: string, written: ReadonlySet<string>): string[] {
  const dir = join(root, 'submissions');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !written.has(e.name))
    .map((e) => e.name)
    .filter((name) => {
      const manifest = join(dir, name, 'submission.yaml');
      return existsSync(manifest) && readFileSync(manifest, 'utf8').includes(GENERATED_MARK);
    })
    .sort();
}

export const command: Command = {
  usage: `Usage: ptb import-v1 [--from <folder>] [--check]

Reads the published PostTrainBench v1 figures (website-data/*.csv, paper-plots-data/*.csv)
and writes one folder per published agent under submissions/, plus the reference rows,
all marked as imported with their source repository and commit. Checks on the way that
the v1 penalty policy turns each raw single-run grid into its published final grid.
Folders an earlier import wrote that the data no longer produces are removed.

Options:
  --from <folder>  the published data (default: scripts/data/posttrainbench-v1)
  --check          write nothing; exit 1 if submissions/ differs from a fresh import

Exit codes: 0 ok, 1 --check found differences, 2 bad usage, 3 the data did not import.`,
  options: { from: { type: 'string' }, check: { type: 'boolean', default: false } },
  async run({ values }, io) {
    const root = findRepoRoot(io.cwd);
    const from = typeof values.from === 'string' ? resolve(io.cwd, values.from) : VENDORED_V1;
    if (!existsSync(from)) {
      io.err(`no published data at ${from}`);
      return EXIT.usage;
    }
    const files = buildImport(loadDefinition('v1'), readPublishedData(from));
    const folders = new Set(files.map((f) => f.path.split('/')[1] ?? ''));
    const leftOver = staleImports(root, folders);
    if (values.check) {
      const stale = files.filter((f) => {
        const path = join(root, f.path);
        return !existsSync(path) || readFileSync(path, 'utf8') !== f.content;
      });
      for (const f of stale) io.err(`differs from a fresh import: ${f.path}`);
      for (const name of leftOver) io.err(`no longer imported: submissions/${name}/`);
      const problems = stale.length + leftOver.length;
      io.err(
        problems === 0
          ? `ok: ${files.length} imported files are current`
          : `${stale.length} file(s) out of date, ${leftOver.length} folder(s) left over; run \`npx ptb import-v1\``,
      );
      return problems === 0 ? EXIT.ok : EXIT.invalid;
    }
    for (const f of files) {
      const path = join(root, f.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, f.content);
    }
    for (const name of leftOver) rmSync(join(root, 'submissions', name), { recursive: true, force: true });
    io.err(
      `wrote ${files.length} files in ${folders.size} submission folders${leftOver.length > 0 ? `; removed ${leftOver.map((n) => `submissions/${n}/`).join(', ')}` : ''}`,
    );
    return EXIT.ok;
  },
};
