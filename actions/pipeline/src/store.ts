import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CellResult, Timeline } from '@ptb/core';
import type { SimpleGit } from 'simple-git';
import { commitAndPush, fetchBranch, type GitAuth, gitFor } from './git.ts';
import { type ApprovalRecord, type CellOutcome, parseApproval, parseOutcome, type QueueEntry } from './queue.ts';

/**
 * Durable storage of verified cell results, before any comment is posted: a branch of the
 * repository itself (default `ptb-results`), one JSON file per cell under
 * `<submission-id>/<manifest-sha256>/`. Git keeps every version; a retried cell is a new commit.
 * The same branch holds the queue the dispatcher feeds the fleet from (`queue/`).
 */
export interface ResultsStore {
  load(submissionId: string, manifestSha256: string): Promise<CellResult[]>;
  /** The timelines stored beside the cells (by cell path), for the site's trace viewer. */
  loadTimelines?(submissionId: string, manifestSha256: string): Promise<Map<string, Timeline>>;
  save(
    submissionId: string,
    manifestSha256: string,
    cells: readonly CellResult[],
    message: string,
  ): Promise<{ committed: boolean }>;
}

/** Approvals waiting for the fleet, and what became of each of their cells. */
export interface QueueStore {
  queue(): Promise<QueueEntry[]>;
  approval(id: string): Promise<QueueEntry | null>;
  /** Writes files of the queue (approvals, outcomes, cancellations) in one commit. */
  writeQueue(files: Record<string, unknown>, message: string): Promise<{ committed: boolean }>;
}

/** One file per cell; base model ids (owner/name) become owner--name. */
export const cellPath = (
  submissionId: string,
  manifestSha256: string,
  c: Pick<CellResult, 'baseModel' | 'benchmark' | 'seed'>,
): string => `${submissionId}/${manifestSha256}/${c.baseModel.replace('/', '--')}.${c.benchmark}.seed-${c.seed}.json`;

/** The cell's timeline (the readable trace) beside its result. */
export const timelinePath = (
  submissionId: string,
  manifestSha256: string,
  c: Pick<CellResult, 'baseModel' | 'benchmark' | 'seed'>,
): string => cellPath(submissionId, manifestSha256, c).replace(/\.json$/, '.timeline.json');

export const QUEUE_DIR = 'queue';
export const approvalPath = (id: string) => `${QUEUE_DIR}/${id}/approval.json`;
export const outcomePath = (id: string, artifact: string) => `${QUEUE_DIR}/${id}/outcomes/${artifact}.json`;
export const cancelPath = (id: string) => `${QUEUE_DIR}/${id}/cancelled.json`;

export const serialize = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

export class GitResultsStore implements ResultsStore, QueueStore {
  private readonly repoDir: string;
  private readonly branch: string;
  private readonly remote: string;
  private readonly auth: GitAuth | undefined;
  private readonly log: (m: string) => void;

  constructor(opts: { repoDir: string; branch: string; remote?: string; auth?: GitAuth; log?: (m: string) => void }) {
    this.repoDir = opts.repoDir;
    this.branch = opts.branch;
    this.remote = opts.remote ?? 'origin';
    this.auth = opts.auth;
    this.log = opts.log ?? (() => {});
  }

  private git(): SimpleGit {
    return gitFor(this.repoDir, this.auth);
  }

  /** The branch's files under a prefix, fetched fresh; empty when the branch does not exist yet. */
  private async files(prefix: string): Promise<{ ref: string; names: string[] } | null> {
    const git = this.git();
    if (!(await fetchBranch(git, this.remote, this.branch))) return null;
    const ref = `refs/remotes/${this.remote}/${this.branch}`;
    const names = (await git.raw(['ls-tree', '-r', '--name-only', ref, '--', prefix]))
      .split('\n')
      .filter((n) => n.endsWith('.json'));
    return { ref, names };
  }

  /** Many files of one ref through one `git cat-file --batch` (one process, not one per file). */
  private async readMany(ref: string, names: readonly string[]): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>();
    if (names.length === 0) return out;
    const raw = await new Promise<Buffer>((resolve, reject) => {
      const child = spawn('git', ['cat-file', '--batch'], { cwd: this.repoDir, stdio: ['pipe', 'pipe', 'pipe'] });
      const chunks: Buffer[] = [];
      let err = '';
      child.stdout.on('data', (b: Buffer) => chunks.push(b));
      child.stderr.on('data', (b: Buffer) => {
        err += String(b);
      });
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`git cat-file: ${err}`))));
      child.stdin.end(names.map((n) => `${ref}:${n}\n`).join(''));
    });
    let at = 0;
    for (const name of names) {
      const eol = raw.indexOf(10, at);
      const header = raw.subarray(at, eol).toString();
      const size = Number(/^\S+ blob (\d+)$/.exec(header)?.[1]);
      if (!Number.isInteger(size)) throw new Error(`${this.branch}:${name}: unexpected answer of git cat-file: ${header}`);
      out.set(name, JSON.parse(raw.subarray(eol + 1, eol + 1 + size).toString('utf8')));
      at = eol + 1 + size + 1;
    }
    return out;
  }

  async load(submissionId: string, manifestSha256: string): Promise<CellResult[]> {
    const found = await this.files(`${submissionId}/${manifestSha256}/`);
    if (!found) return [];
    const out: CellResult[] = [];
    const names = found.names.filter((n) => !n.endsWith('.timeline.json'));
    const values = await this.readMany(found.ref, names);
    for (const name of names) {
      const parsed = CellResult.safeParse(values.get(name));
      // The branch is written only by this code; a file that no longer parses is a bug to see, not to skip.
      if (!parsed.success) throw new Error(`${this.branch}:${name} is not a valid cell result: ${parsed.error.message}`);
      out.push(parsed.data);
    }
    return out;
  }

  async loadTimelines(submissionId: string, manifestSha256: string): Promise<Map<string, Timeline>> {
    const found = await this.files(`${submissionId}/${manifestSha256}/`);
    const out = new Map<string, Timeline>();
    if (!found) return out;
    const names = found.names.filter((n) => n.endsWith('.timeline.json'));
    const values = await this.readMany(found.ref, names);
    for (const name of names) {
      const parsed = Timeline.safeParse(values.get(name));
      if (!parsed.success) throw new Error(`${this.branch}:${name} is not a valid timeline: ${parsed.error.message}`);
      out.set(name, parsed.data);
    }
    return out;
  }

  async save(submissionId: string, manifestSha256: string, cells: readonly CellResult[], message: string) {
    if (cells.length === 0) return { committed: false };
    const files: Record<string, unknown> = {};
    for (const c of cells) files[cellPath(submissionId, manifestSha256, c)] = c;
    return this.write(files, message);
  }

  async queue(): Promise<QueueEntry[]> {
    const found = await this.files(`${QUEUE_DIR}/`);
    if (!found) return [];
    const byId = new Map<string, { approval?: ApprovalRecord; outcomes: CellOutcome[]; cancelled: boolean }>();
    const entry = (id: string) => {
      const found = byId.get(id);
      if (found) return found;
      const fresh = { outcomes: [] as CellOutcome[], cancelled: false } as {
        approval?: ApprovalRecord;
        outcomes: CellOutcome[];
        cancelled: boolean;
      };
      byId.set(id, fresh);
      return fresh;
    };
    const values = await this.readMany(found.ref, found.names);
    for (const name of found.names) {
      const m = /^queue\/([^/]+)\/(approval\.json|cancelled\.json|outcomes\/.+\.json)$/.exec(name);
      if (!m?.[1] || !m[2]) continue;
      const e = entry(m[1]);
      const where = `${this.branch}:${name}`;
      if (m[2] === 'approval.json') e.approval = parseApproval(values.get(name), where);
      else if (m[2] === 'cancelled.json') e.cancelled = true;
      else e.outcomes.push(parseOutcome(values.get(name), where));
    }
    return [...byId.values()]
      .filter((e): e is { approval: ApprovalRecord; outcomes: CellOutcome[]; cancelled: boolean } => Boolean(e.approval))
      .sort((a, b) => a.approval.approvedAt.localeCompare(b.approval.approvedAt) || a.approval.id.localeCompare(b.approval.id));
  }

  async approval(id: string): Promise<QueueEntry | null> {
    return (await this.queue()).find((e) => e.approval.id === id) ?? null;
  }

  async writeQueue(files: Record<string, unknown>, message: string) {
    return this.write(files, message);
  }

  private async write(files: Record<string, unknown>, message: string): Promise<{ committed: boolean }> {
    const outcome = await commitAndPush({
      repoDir: this.repoDir,
      remote: this.remote,
      branch: this.branch,
      message,
      createIfMissing: true,
      log: this.log,
      ...(this.auth ? { auth: this.auth } : {}),
      apply: async (dir) => {
        const paths: string[] = [];
        for (const [path, value] of Object.entries(files)) {
          await mkdir(dirname(join(dir, path)), { recursive: true });
          await writeFile(join(dir, path), serialize(value));
          paths.push(path);
        }
        return paths;
      },
    });
    return { committed: outcome.committed };
  }
}
