import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AgentManifest, validateManifestBytes } from '@ptb/core';
import { runFiles } from './aggregate.ts';
import { definition, sha256 } from './context.ts';
import { commitAndPush } from './git.ts';
import { type ResultsStore, serialize } from './store.ts';

export interface PublishRequest {
  repoDir: string;
  branch: string;
  remote?: string;
  store: ResultsStore;
  log?: (message: string) => void;
  attempts?: number;
}

export interface PublishOutcome {
  sha: string | null;
  committed: boolean;
  published: string[];
  attempts: number;
}

/**
 * After a merge: for every agent submission on the default branch, the verified results stored
 * for exactly its manifest (by sha256) are written to `submissions/<id>/results/run-<seed>.json`
 * and committed by the bot. Idempotent: unchanged files make no commit. A push that loses a
 * race starts again from the new tip.
 */
export async function publish(req: PublishRequest): Promise<PublishOutcome> {
  let published: string[] = [];
  const outcome = await commitAndPush({
    repoDir: req.repoDir,
    ...(req.remote ? { remote: req.remote } : {}),
    branch: req.branch,
    ...(req.attempts ? { attempts: req.attempts } : {}),
    ...(req.log ? { log: req.log } : {}),
    message: () => `Publish verified results: ${published.join(', ')}`,
    apply: async (dir) => {
      published = [];
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
        const cells = await req.store.load(id, sha256(bytes));
        if (cells.length === 0) continue;
        let changed = false;
        for (const run of runFiles(def, manifest as AgentManifest, cells).filter((r) => r.cells.length > 0)) {
          const rel = `submissions/${id}/results/run-${run.seed}.json`;
          const text = serialize(run);
          const file = join(dir, rel);
          if (existsSync(file) && (await readFile(file, 'utf8')) === text) continue;
          await mkdir(join(root, id, 'results'), { recursive: true });
          await writeFile(file, text);
          paths.push(rel);
          changed = true;
        }
        if (changed) published.push(id);
      }
      return paths;
    },
  });
  return { sha: outcome.sha, committed: outcome.committed, published, attempts: outcome.attempts };
}
