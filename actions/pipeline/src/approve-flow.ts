import { type AgentManifest, validateSubmissions } from '@ptb/core';
import { allCells, type CellSpec, cellOf, findCell } from './cells.ts';
import { type Command, canApprove, parseCommand } from './commands.ts';
import { definition, type FlowContext, knownDefinitions, Refusal, sha256 } from './context.ts';
import { type ApprovalRecord, approvalId } from './queue.ts';
import { readValidated, renderStatus, text } from './render.ts';
import { checkScope } from './scope.ts';
import { readSections } from './sticky.ts';
import type { ResultsStore } from './store.ts';

export type Trigger =
  | { kind: 'comment'; prNumber: number; actor: string; body: string }
  /** The label event carries the head it was added on: that is what the maintainer approved. */
  | { kind: 'label'; prNumber: number; actor: string; label: string; headSha: string };

export type ApproveOutcome =
  | { action: 'ignore' }
  | { action: 'refuse'; reason: string }
  | { action: 'cancel'; actor: string }
  | { action: 'run'; approval: ApprovalRecord };

export const EVALUATE_WORKFLOW = 'evaluate.yml';

/**
 * Turns a maintainer's `/ptb run <sha>`, `/ptb retry <cell> <sha>`, `/ptb cancel` or approve
 * label into an approval of exactly one commit. Checks the actor's permission through the API
 * first (someone without it costs one call and gets no answer in the PR), and refuses unless the
 * PR head is still the commit the comment names or the label was added on, and its manifest is
 * the one the bot validated and showed in its plan.
 */
export async function approve(
  ctx: FlowContext,
  trigger: Trigger,
  summaryUrl: string,
  store: ResultsStore,
  now: () => Date = () => new Date(),
): Promise<ApproveOutcome> {
  const { gh, config } = ctx;
  const command: Command =
    trigger.kind === 'label'
      ? trigger.label === config.approveLabel
        ? { kind: 'run', sha: trigger.headSha }
        : { kind: 'none' }
      : parseCommand(trigger.body);
  if (command.kind === 'none') return { action: 'ignore' };
  // The label is a one-shot request: take it off so that adding it again asks again.
  if (trigger.kind === 'label') await gh.removeLabel(trigger.prNumber, trigger.label);
  const permission = await gh.permission(trigger.actor);
  if (!canApprove(permission)) {
    const reason = `@${trigger.actor} asked for \`/ptb ${command.kind === 'invalid' ? '…' : command.kind}\`, but only maintainers with write access can start, retry or cancel runs (their permission: ${permission}). Nothing was run.`;
    return { action: 'refuse', reason };
  }
  const status = (lines: string[]) =>
    gh.updateSticky(trigger.prNumber, config.botLogin, 'status', renderStatus(lines), summaryUrl);
  if (command.kind === 'invalid') {
    await status([`⚠️ ${text(command.message)}`]);
    return { action: 'refuse', reason: command.message };
  }
  if (command.kind === 'cancel') return { action: 'cancel', actor: trigger.actor };
  try {
    const { alreadyStored, ...pinned } = await pin(
      ctx,
      trigger.prNumber,
      command.sha,
      store,
      command.kind === 'retry' ? command.cell : undefined,
    );
    const approval: ApprovalRecord = {
      ...pinned,
      id: approvalId(trigger.prNumber, ctx.runId),
      approvedBy: trigger.actor,
      approvedAt: now().toISOString(),
      reviewedInRun: ctx.runId,
    };
    const todo = approval.cells.length;
    await status([
      `▶️ Approved by @${trigger.actor} for head \`${approval.headSha.slice(0, 7)}\` (manifest sha256 \`${approval.manifestSha256.slice(0, 12)}\`).`,
      todo === 0
        ? `All cells already have stored results for this manifest; nothing to run.`
        : `${todo} cell${todo === 1 ? '' : 's'} to run${alreadyStored > 0 ? ` (${alreadyStored} already stored)` : ''}, after one review in the \`${config.environment}\` environment; the dispatcher then feeds them to the fleet, at most ${config.fleetSize} cells at once over all pull requests.`,
      'A push that changes the manifest from now on stops the remaining cells; a maintainer then approves the new head.',
    ]);
    return { action: 'run', approval };
  } catch (e) {
    if (!(e instanceof Refusal)) throw e;
    await status([`🚫 Not started: ${e.message}`]);
    return { action: 'refuse', reason: e.message };
  }
}

type Pinned = Omit<ApprovalRecord, 'id' | 'approvedBy' | 'approvedAt' | 'reviewedInRun'> & { alreadyStored: number };

async function pin(
  ctx: FlowContext,
  prNumber: number,
  sha: string,
  store: ResultsStore,
  retry: string | undefined,
): Promise<Pinned> {
  const { gh, config } = ctx;
  const pull = await gh.pull(prNumber);
  if (pull.state !== 'open') throw new Refusal(`pull request #${prNumber} is ${pull.state}`);
  if (pull.headSha !== sha)
    throw new Refusal(
      `the PR head is now \`${pull.headSha.slice(0, 7)}\`, not the approved \`${sha.slice(0, 7)}\`: it moved after the approval; read the new plan and approve its head`,
    );
  const scope = checkScope(await gh.changedFiles(prNumber));
  if (!scope.ok) throw new Refusal(`the pull request is not a submission: ${scope.problems.join('; ')}`);
  const bytes = await gh.fileAt(scope.manifestPath, pull.headSha);
  if (!bytes) throw new Refusal(`\`${scope.manifestPath}\` does not exist at \`${pull.headSha.slice(0, 7)}\``);
  const manifestSha256 = sha256(bytes);
  const check = validateSubmissions(
    [{ manifest: { path: scope.manifestPath, bytes }, folderId: scope.submissionId, results: [], strayFiles: [] }],
    knownDefinitions(ctx.root),
  );
  const manifest = check.submissions[0]?.manifest;
  if (manifest?.kind !== 'agent' || check.diagnostics.length > 0)
    throw new Refusal('the manifest at the PR head is not valid; see the check above');
  const sticky = await gh.stickyBody(prNumber, config.botLogin);
  const validated = readValidated(readSections(sticky?.body ?? '').validation);
  if (!validated) throw new Refusal('the bot has not validated this PR yet; wait for its run plan, then approve');
  if (validated.manifest !== manifestSha256)
    throw new Refusal(
      `the manifest changed after the plan shown here (validated at \`${validated.head.slice(0, 7)}\`, head now \`${pull.headSha.slice(0, 7)}\`); wait for the new plan and approve again`,
    );
  const agent = manifest as AgentManifest;
  const def = definition(ctx.root, agent.benchmarkVersion);
  if (def.status !== 'current')
    throw new Refusal(`benchmark definition ${def.version} is ${def.status}; only current definitions are run`);
  const stored = await store.load(agent.id, manifestSha256);
  const storedIds = new Set(stored.map((c) => cellOf(def, c).id));
  let cells: CellSpec[];
  if (retry) {
    try {
      cells = [findCell(def, agent.runs, retry)];
    } catch (e) {
      throw new Refusal((e as Error).message);
    }
  } else cells = allCells(def, agent.runs).filter((c) => !storedIds.has(c.id));
  return {
    prNumber,
    submissionId: agent.id,
    headSha: pull.headSha,
    manifestSha256,
    definitionVersion: def.version,
    cells,
    alreadyStored: storedIds.size,
  };
}
