import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type AgentManifest, validateManifestBytes } from '@ptb/core';
import { runFiles } from './aggregate.ts';
import { definition, sha256 } from './context.ts';
import { commitAndPush, type GitAuth } from './git.ts';
import { type ResultsStore, serialize, timelinePath } from './store.ts';

export interface PublishRequest {
  repoDir: string;
  branch: string;
  remote?: string;
  /** The GitHub App's installation token: the App is the one actor allowed past main's ruleset. */
  auth?: GitAuth;
  store: ResultsStore;
  log?: (message: string) => void;
  attempts?: number;
}

export interface PublishOutcome {
  sha: string | null;
  committed: boolean;
  published: string[];
  /** Result files removed because they were run for another version of the manifest. */
  removed: string[];
  attempts: number;
}

/**
 * The commit message of a publish. `[skip actions]`: the App's push would otherwise start
 * publish.yml again; the run that pushed builds the site from this commit itself.
 */
export const publishMessage = (ids: readonly string[], removed: readonly string[]) =>
  `Publish verified results: ${[...ids, ...removed.map((r) => `-${r}`)].join(', ') || 'none'} [skip actions]`;

/**
 * After a merge (and whenever results arrive for a merged manifest): for every agent submission
 * on the default branch, `submissions/<id>/results/` becomes exactly the verified results stored
 * for the manifest that is there now (by sha256). Result files of an earlier version of the
 * manifest are removed, never shown beside the new one. Idempotent; a push that loses a race
 * starts again from the new tip.
 */
/** Trace files published earlier (`submissions/<id>/traces/run-<seed>/*.json`), repository-relative. */
async function publishedTraces(tracesDir: string, id: string): Promise<string[]> {
  if (!existsSync(tracesDir)) return [];
  const out: string[] = [];
  for (const run of await readdir(tracesDir, { withFileTypes: true }))
    if (run.isDirectory())
      for (const f of await readdir(join(tracesDir, run.name)))
        if (f.endsWith('.json')) out.push(`submissions/${id}/traces/${run.name}/${f}`);
  return out;
}

export async function publish(req: PublishRequest): Promise<PublishOutcome> {
  let published: string[] = [];
  let removed: string[] = [];
  const outcome = await commitAndPush({
    repoDir: req.repoDir,
    ...(req.remote ? { remote: req.remote } : {}),
    ...(req.auth ? { auth: req.auth } : {}),
    branch: req.branch,
    ...(req.attempts ? { attempts: req.attempts } : {}),
    ...(req.log ? { log: req.log } : {}),
    message: () => publishMessage(published, removed),
    apply: async (dir) => {
      published = [];
      removed = [];
      const paths: string[] = [];
      const root = join(dir, 'submissions');
      for (const id of (await readdir(root, { withFileTypes: true }))
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort()) {
        const manifestPath = join(root, id, 'submission.yaml');
        if (!existsSync(manifestPath)) continue;
        const bytes = new Uint8Array(await readFile(manifestPath));
        const { manifest } = validateManifestBytes(bytes, `submissions/${id}/submission.yaml`, id);
        if (manifest?.kind !== 'agent' || manifest.imported) continue;
        const def = definition(dir, manifest.benchmarkVersion);
        const digest = sha256(bytes);
        const cells = await req.store.load(id, digest);
        const timelines = (await req.store.loadTimelines?.(id, digest)) ?? new Map();
        const wanted = new Map<string, string>();
        for (const run of runFiles(def, manifest as AgentManifest, cells).filter((r) => r.cells.length > 0)) {
          wanted.set(`submissions/${id}/results/run-${run.seed}.json`, serialize(run));
          // Each cell's timeline where the site's trace viewer and `ptb validate` look for it.
          for (const c of run.cells) {
            const timeline = timelines.get(timelinePath(id, digest, c));
            const key = def.baseModels.find((m) => m.id === c.baseModel)?.key;
            if (timeline && key)
              wanted.set(`submissions/${id}/traces/run-${c.seed}/${key}--${c.benchmark}.json`, `${JSON.stringify(timeline)}\n`);
          }
        }
        const resultsDir = join(root, id, 'results');
        const present = [
          ...(existsSync(resultsDir)
            ? (await readdir(resultsDir)).filter((f) => f.endsWith('.json')).map((f) => `submissions/${id}/results/${f}`)
            : []),
          ...(await publishedTraces(join(root, id, 'traces'), id)),
        ];
        let changed = false;
        for (const rel of present)
          if (!wanted.has(rel)) {
            await rm(join(dir, rel));
            paths.push(rel);
            removed.push(rel);
          }
        for (const [rel, text] of wanted) {
          const file = join(dir, rel);
          if (existsSync(file) && (await readFile(file, 'utf8')) === text) continue;
          await mkdir(dirname(file), { recursive: true });
          await writeFile(file, text);
          paths.push(rel);
          changed = true;
        }
        if (changed) published.push(id);
      }
      return paths;
    },
  });
  return { sha: outcome.sha, committed: outcome.committed, published, removed, attempts: outcome.attempts };
}
