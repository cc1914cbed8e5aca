import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { SourceFile, SubmissionSource } from '../validation/submissions.ts';

// Reading submission folders into sources for the validator: files only, no parser, no schema
// and no benchmark definition (`ptb validate` loads those only when a file needs them).

const display = (path: string, root: string): string => {
  const rel = relative(root, path);
  return rel.startsWith('..') ? path : rel.split(sep).join('/');
};

const read = (path: string, root: string): SourceFile => ({ path: display(path, root), bytes: readFileSync(path) });

/** Regular files of traces/<run folder>/; anything deeper, or not a plain file, is stray. */
function readTraces(dir: string, root: string, strayFiles: string[]): SourceFile[] {
  const traces: SourceFile[] = [];
  for (const run of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const runDir = join(dir, run.name);
    if (!run.isDirectory()) {
      // A file straight under traces/: the trace validator says how it should be named.
      if (run.isFile()) traces.push(read(runDir, root));
      else strayFiles.push(display(runDir, root));
      continue;
    }
    for (const f of readdirSync(runDir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (f.isFile()) traces.push(read(join(runDir, f.name), root));
      else strayFiles.push(display(join(runDir, f.name), root));
    }
  }
  return traces;
}

/** Reads one submission folder: its manifest, results/*.json, traces/, and anything that should not be there. */
export function readSubmissionFolder(folder: string, root: string): SubmissionSource {
  const manifestPath = join(folder, 'submission.yaml');
  const results: SourceFile[] = [];
  const strayFiles: string[] = [];
  let traces: SourceFile[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const full = join(folder, entry.name);
    if (entry.name === 'submission.yaml' || entry.name === 'README.md') continue;
    if (entry.name === 'traces' && entry.isDirectory()) {
      traces = readTraces(full, root, strayFiles);
      continue;
    }
    if (entry.name === 'results' && entry.isDirectory()) {
      for (const r of readdirSync(full, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        if (r.isFile() && r.name.endsWith('.json')) results.push(read(join(full, r.name), root));
        else strayFiles.push(display(join(full, r.name), root));
      }
      continue;
    }
    strayFiles.push(display(full, root));
  }
  return {
    manifest: existsSync(manifestPath) ? read(manifestPath, root) : null,
    folderId: basename(folder),
    folderPath: display(folder, root),
    results,
    traces,
    strayFiles,
  };
}

/** Every folder under `submissions/`, in a stable order. */
export function readAllSubmissions(root: string): SubmissionSource[] {
  return [...eachSubmission(root)];
}

/**
 * The same, one folder at a time: a caller that checks and drops each (`ptb validate`) never
 * holds every results file in memory at once.
 */
export function* eachSubmission(root: string): Generator<SubmissionSource> {
  const dir = join(root, 'submissions');
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  for (const name of names) yield readSubmissionFolder(join(dir, name), root);
}

/**
 * Turns command-line paths into sources: a submissions/ folder means all of it, a folder
 * with a submission.yaml is one submission, a file is a lone manifest.
 */
export function readSourcesForPaths(paths: readonly string[], root: string, cwd = process.cwd()): SubmissionSource[] {
  return [...eachSourceForPaths(paths, root, cwd)];
}

/** The same, read one submission at a time. */
export function* eachSourceForPaths(paths: readonly string[], root: string, cwd = process.cwd()): Generator<SubmissionSource> {
  // The same folder named twice (e.g. `submissions submissions/x`) is checked once.
  const seen = new Set<string>();
  const once = (key: string) => !seen.has(key) && Boolean(seen.add(key));
  for (const p of paths) {
    const full = resolve(cwd, p);
    if (!existsSync(full)) {
      if (once(p)) yield { manifest: null, folderPath: p, notFound: true, results: [], strayFiles: [] };
      continue;
    }
    if (statSync(full).isDirectory()) {
      const folders = existsSync(join(full, 'submission.yaml'))
        ? [full]
        : readdirSync(full, { withFileTypes: true })
            .filter((e) => e.isDirectory())
            .map((e) => e.name)
            .sort()
            .map((name) => join(full, name));
      for (const folder of folders)
        if (once(display(join(folder, 'submission.yaml'), root))) yield readSubmissionFolder(folder, root);
      continue;
    }
    const lone = basename(full) === 'submission.yaml';
    if (once(display(full, root)))
      yield { manifest: read(full, root), ...(lone ? { folderId: basename(dirname(full)) } : {}), results: [], strayFiles: [] };
  }
}
