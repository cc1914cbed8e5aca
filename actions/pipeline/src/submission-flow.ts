import { type AgentManifest, type Diagnostic, validateManifestBytes, validateSubmissions } from '@ptb/core';
import { definition, type FlowContext, knownDefinitions, sha256 } from './context.ts';
import { runPlan } from './plan.ts';
import { renderDiagnostics, renderPlan, renderRefusal } from './render.ts';
import { checkOwnership, checkScope } from './scope.ts';

export interface SubmissionOutcome {
  verdict: 'valid' | 'invalid' | 'refused';
  submissionId: string | null;
  headSha: string;
  manifestSha256: string | null;
  markdown: string;
}

/**
 * The check of a submission PR: reads the PR's files through the API at its head SHA, as data
 * (nothing from the PR is checked out or run), refuses a PR outside one submission folder or in
 * someone else's, validates the manifest, and keeps the sticky comment and a check run in step.
 */
export async function checkSubmission(ctx: FlowContext, prNumber: number, summaryUrl: string): Promise<SubmissionOutcome> {
  const { gh, config } = ctx;
  const pull = await gh.pull(prNumber);
  const outcome = await judge(ctx, prNumber, pull.headSha, pull.author, pull.baseRef);
  await gh.updateSticky(prNumber, config.botLogin, 'validation', outcome.markdown, summaryUrl);
  const title = { valid: 'Submission is valid', invalid: 'Submission has problems', refused: 'Pull request refused' }[
    outcome.verdict
  ];
  await gh.checkRun({
    name: 'ptb / submission',
    headSha: pull.headSha,
    conclusion: outcome.verdict === 'valid' ? 'success' : 'failure',
    title,
    summary: outcome.markdown,
    detailsUrl: summaryUrl,
  });
  return outcome;
}

async function judge(
  ctx: FlowContext,
  prNumber: number,
  headSha: string,
  author: string,
  baseRef: string,
): Promise<SubmissionOutcome> {
  const { gh, config } = ctx;
  const refused = (problems: string[], submissionId: string | null = null): SubmissionOutcome => ({
    verdict: 'refused',
    submissionId,
    headSha,
    manifestSha256: null,
    markdown: renderRefusal(problems, headSha),
  });
  const scope = checkScope(await gh.changedFiles(prNumber));
  if (!scope.ok) return refused(scope.problems);
  const { submissionId, manifestPath } = scope;

  const base = await gh.fileAt(manifestPath, baseRef);
  const baseOwner = base ? validateManifestBytes(base, manifestPath).manifest?.contact.github : null;
  const ownership = checkOwnership({ submissionId, author, existingOwner: baseOwner, exists: base !== null });
  if (ownership) return refused([ownership], submissionId);

  const bytes = await gh.fileAt(manifestPath, headSha);
  const check = validateSubmissions(
    [
      {
        manifest: bytes ? { path: manifestPath, bytes } : null,
        folderId: submissionId,
        folderPath: `submissions/${submissionId}`,
        results: [],
        strayFiles: [],
      },
    ],
    knownDefinitions(ctx.root),
  );
  const diagnostics: Diagnostic[] = [...check.diagnostics];
  const manifest = check.submissions[0]?.manifest;
  if (manifest && manifest.kind !== 'agent')
    return refused(['reference rows (`kind: reference`) are maintained by the maintainers, not submitted'], submissionId);
  if (manifest && !base && manifest.contact.github?.toLowerCase() !== author.toLowerCase())
    diagnostics.push({
      file: manifestPath,
      line: 0,
      column: 0,
      field: 'contact.github',
      code: 'invalid-value',
      message: `must be the GitHub login of the pull request's author (@${author}): it makes you the owner of this folder`,
      expected: `"${author}"`,
      hint: `add "github: ${author}" under contact:`,
    });
  if (manifest && manifest.kind === 'agent') {
    const status = definition(ctx.root, manifest.benchmarkVersion).status;
    // Draft definitions exist for tests of the engine; retired ones are closed to new runs.
    if (status !== 'current')
      diagnostics.push({
        file: manifestPath,
        line: 0,
        column: 0,
        field: 'benchmarkVersion',
        code: 'unknown-definition',
        message: `benchmark definition "${manifest.benchmarkVersion}" is ${status}; new submissions run on the current definition`,
        hint: 'leave benchmarkVersion out to use the current definition',
      });
  }
  if (diagnostics.length > 0 || !manifest || !bytes)
    return { verdict: 'invalid', submissionId, headSha, manifestSha256: null, markdown: renderDiagnostics(diagnostics, headSha) };
  const agent = manifest as AgentManifest;
  const def = definition(ctx.root, agent.benchmarkVersion);
  const manifestSha256 = sha256(bytes);
  return {
    verdict: 'valid',
    submissionId,
    headSha,
    manifestSha256,
    markdown: renderPlan(runPlan(def, agent, config), headSha, manifestSha256, config.approveLabel),
  };
}
