import type { Octokit } from 'octokit';
import type { ChangedFile } from './scope.ts';
import { findSticky, fitComment, type SectionName, withSection } from './sticky.ts';

export interface Repo {
  owner: string;
  repo: string;
}

export interface PullInfo {
  number: number;
  state: string;
  merged: boolean;
  headSha: string;
  author: string;
  baseRef: string;
}

/** The few GitHub calls the pipeline makes, as a thin adapter over Octokit. */
export class GitHub {
  readonly octokit: Octokit;
  readonly repo: Repo;

  constructor(octokit: Octokit, repo: Repo) {
    this.octokit = octokit;
    this.repo = repo;
  }

  async pull(number: number): Promise<PullInfo> {
    const { data } = await this.octokit.rest.pulls.get({ ...this.repo, pull_number: number });
    return {
      number,
      state: data.state,
      merged: data.merged,
      headSha: data.head.sha,
      author: data.user.login,
      baseRef: data.base.ref,
    };
  }

  async changedFiles(number: number): Promise<ChangedFile[]> {
    const files = await this.octokit.paginate(this.octokit.rest.pulls.listFiles, {
      ...this.repo,
      pull_number: number,
      per_page: 100,
    });
    return files.map((f) => ({ filename: f.filename, status: f.status, previous_filename: f.previous_filename }));
  }

  /** A file's bytes at a ref, read as data through the API (never checked out); null if absent. */
  async fileAt(path: string, ref: string): Promise<Uint8Array | null> {
    try {
      const { data } = await this.octokit.rest.repos.getContent({ ...this.repo, path, ref });
      if (Array.isArray(data) || data.type !== 'file' || !('content' in data)) return null;
      return new Uint8Array(Buffer.from(data.content, 'base64'));
    } catch (e) {
      if ((e as { status?: number }).status === 404) return null;
      throw e;
    }
  }

  async permission(username: string): Promise<string> {
    try {
      const { data } = await this.octokit.rest.repos.getCollaboratorPermissionLevel({ ...this.repo, username });
      return data.role_name === 'maintain' ? 'maintain' : data.permission;
    } catch (e) {
      if ((e as { status?: number }).status === 404) return 'none';
      throw e;
    }
  }

  /**
   * The bot's sticky comment. Comments come oldest first and the bot writes its comment at the
   * first check of the PR, so the search stops at the page that holds it: one call, not one per
   * hundred comments, however long the discussion.
   */
  async stickyBody(issue: number, botLogin: string): Promise<{ id: number; body: string } | null> {
    const found = await this.octokit.paginate(
      this.octokit.rest.issues.listComments,
      { ...this.repo, issue_number: issue, per_page: 100 },
      (response, done) => {
        const hit = findSticky(response.data, botLogin);
        if (hit) done();
        return hit ? [hit] : [];
      },
    );
    const mine = found[0];
    return mine ? { id: mine.id, body: mine.body ?? '' } : null;
  }

  /** Replaces one section of the bot's sticky comment, creating the comment the first time. */
  async updateSticky(
    issue: number,
    botLogin: string,
    section: SectionName,
    content: string | null,
    summaryUrl: string,
  ): Promise<number> {
    const current = await this.stickyBody(issue, botLogin);
    const body = fitComment(withSection(current?.body ?? null, section, content), summaryUrl);
    if (current) {
      if (current.body === body) return current.id;
      await this.octokit.rest.issues.updateComment({ ...this.repo, comment_id: current.id, body });
      return current.id;
    }
    const { data } = await this.octokit.rest.issues.createComment({ ...this.repo, issue_number: issue, body });
    return data.id;
  }

  async checkRun(opts: {
    name: string;
    headSha: string;
    conclusion: 'success' | 'failure' | 'neutral' | 'action_required';
    title: string;
    summary: string;
    detailsUrl: string;
  }) {
    const limit = 65_000;
    const summary =
      opts.summary.length > limit ? `${opts.summary.slice(0, limit - 40)}\n\n…truncated; see the job summary.` : opts.summary;
    await this.octokit.rest.checks.create({
      ...this.repo,
      name: opts.name,
      head_sha: opts.headSha,
      status: 'completed',
      conclusion: opts.conclusion,
      details_url: opts.detailsUrl,
      output: { title: opts.title, summary },
    });
  }

  /** Takes a label off again (so that adding it later triggers a new run); absent is fine. */
  async removeLabel(issue: number, name: string): Promise<void> {
    try {
      await this.octokit.rest.issues.removeLabel({ ...this.repo, issue_number: issue, name });
    } catch (e) {
      if ((e as { status?: number }).status !== 404) throw e;
    }
  }

  /** Runs of one workflow that have not finished, with their run names. */
  async activeRuns(workflowFile: string): Promise<{ id: number; title: string; status: string }[]> {
    const out = new Map<number, { id: number; title: string; status: string }>();
    for (const status of ['queued', 'in_progress', 'waiting', 'pending', 'requested'] as const) {
      const runs = await this.octokit.paginate(this.octokit.rest.actions.listWorkflowRuns, {
        ...this.repo,
        workflow_id: workflowFile,
        status,
        per_page: 100,
      });
      for (const run of runs) out.set(run.id, { id: run.id, title: run.display_title, status: run.status ?? status });
    }
    return [...out.values()];
  }

  async cancelRun(runId: number): Promise<void> {
    await this.octokit.rest.actions.cancelWorkflowRun({ ...this.repo, run_id: runId });
  }

  /** Starts a workflow_dispatch run of a workflow of the default branch. */
  async dispatch(workflowFile: string, ref: string, inputs: Record<string, string>): Promise<void> {
    await this.octokit.rest.actions.createWorkflowDispatch({ ...this.repo, workflow_id: workflowFile, ref, inputs });
  }
}
