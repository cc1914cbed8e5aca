import { join } from 'node:path';
import type { CellResult, IntegrityFinding } from '@ptb/core';
import { capFinding, type HarnessSideEnd, providerOutage, proxyRefusalFindings, startupCrash } from './agents/outcome.ts';
import { type AgentOutcome, runAgent } from './cell/agent.ts';
import { type Collected, collectFinalModel } from './cell/collect.ts';
import type { Cell } from './cell/context.ts';
import { type EgressAudit, fileFindings, integrityFindings, llmJudge, readEgressLog } from './cell/judge.ts';
import { prepareCell, teardownCell } from './cell/prepare.ts';
import { recordResult, type Verdict } from './cell/record.ts';
import { verifyFinalModel } from './cell/verify.ts';
import { isDenied } from './egress/access-log.ts';
import type { LlmUsage } from './egress/llm-proxy.ts';
import { treeSha256 } from './hash.ts';
import { gpuComputePids } from './preflight.ts';
import { writeTimeline } from './trace/collect.ts';
import type { CellRequest } from './types.ts';

export { InputError } from './cell/context.ts';

/**
 * Runs one cell from a fresh workspace to a verified result: prepare (preflight, workspace,
 * proxies), the agent in its sandbox under the hard time limit, collect (final model into a
 * harness-owned snapshot), verify (a second, clean sandbox), judge (integrity checks) and
 * record (`<outDir>/result.json`). Once the agent has started, every phase ends in a
 * result: a failure of the harness itself is recorded as status `error`, never as the
 * agent's failure, and every service is stopped whatever happened.
 */
export async function runCell(req: CellRequest): Promise<CellResult> {
  let cell: Cell | null = null;
  try {
    const prepared = await prepareCell(req, (started) => {
      cell = started;
    });
    return await runPhases(prepared);
  } finally {
    if (cell) await teardownCell(cell);
  }
}

/** The runner cancelled the cell (SIGTERM to `ptb run`, a cancelled job). */
class CellCancelled extends Error {}

/** The readable trace, `logs/timeline.json`: the CLI's own stream and the harness's logs in one timeline. */
function timelineOf(cell: Cell, agent: AgentOutcome, access: ReturnType<typeof readEgressLog>): IntegrityFinding[] {
  try {
    writeTimeline({
      scaffold: cell.launch.name,
      model: cell.launch.model ?? null,
      agentStartMs: agent.startedAt,
      budgetSeconds: cell.budgetSeconds,
      traceFile: cell.paths.traceFile,
      evaluateLog: join(cell.paths.logs, 'evaluate-calls.jsonl'),
      llmLog: join(cell.paths.logs, 'llm-proxy.jsonl'),
      access,
      deny: cell.def.network.deny,
      harness: agent.harnessEvents,
      redact: cell.redact,
      out: join(cell.paths.logs, 'timeline.json'),
    });
    return [];
  } catch (e) {
    return [
      {
        check: 'harness',
        severity: 'warning',
        summary: 'the timeline of this cell could not be built',
        evidence: [cell.redact(reason(e)).slice(0, 2000)],
      },
    ];
  }
}

const reason = (e: unknown): string => (e instanceof Error ? e.message : String(e));

async function runPhases(cell: Cell): Promise<CellResult> {
  const findings: IntegrityFinding[] = [];
  let agent: AgentOutcome | null = null;
  let collected: Collected | null = null;
  let filesChecked: Promise<IntegrityFinding[]> = Promise.resolve([]);
  let modelHashed: Promise<string | null> = Promise.resolve(null);
  let usage: LlmUsage | null = null;
  let egress: EgressAudit = { requests: 0, denied: 0 };
  let verifySeconds = 0;
  let phase = 'agent';
  const cancelled = () => {
    if (cell.req.signal?.aborted) throw new CellCancelled();
  };
  try {
    cancelled();
    agent = await runAgent(cell);
    cancelled();
    // A service of the harness failed under the agent (it was stopped): not the agent's failure.
    await cell.egressReady;
    if (cell.harnessFault) throw new Error(cell.harnessFault);

    phase = 'collect';
    // The agent is gone: nothing may reach the services it used. squid's shutdown runs beside the rest.
    const egressStopped = cell.services.egress?.stop();
    cell.services.egress = null;
    await cell.services.evalService?.stop();
    cell.services.evalService = null;
    // nvidia-smi answers while the final model is copied.
    const gpuAsked = cell.gpus.length > 0 ? gpuComputePids(cell.gpuIndex) : Promise.resolve([]);
    collected = collectFinalModel(cell);
    cell.mark('final-model-collected');
    // The provider failing under the agent, or a CLI that never started, is not the agent's failure.
    const agentUsage = cell.services.llm?.usage() ?? null;
    const endState = {
      scaffold: cell.launch.name,
      exitCode: agent.last.exitCode,
      timedOut: agent.timedOut,
      outcomes: cell.services.llm?.outcomes() ?? [],
      tail: agent.tail,
      agentStartMs: agent.startedAt,
    };
    const harnessEnd: HarnessSideEnd | null =
      providerOutage(endState) ??
      (cell.launch.name === 'baseline' || cell.launch.name === 'script' ? null : startupCrash(endState));
    if (harnessEnd) agent.harnessEvents.push({ atMs: agent.endedAt, text: harnessEnd.detail });
    if (agentUsage?.capReached)
      agent.harnessEvents.push({
        atMs: Date.now(),
        text: 'the LLM budget of this run is used up: the proxy refused further requests',
      });
    // squid's log is complete once it is down, the trace and the agent's LLM calls once the
    // agent is: the egress audit and the timeline are made while the verifier scores.
    const ended = agent;
    const audited = Promise.resolve(egressStopped).then(() => {
      const access = readEgressLog(cell);
      return { access, timeline: timelineOf(cell, ended, access) };
    });
    audited.catch(() => {}); // awaited in the judge phase
    // The checks of the files left read only what no one writes any more. With a model to
    // verify they start once the verifier has, so that they never hold it up; without one,
    // at once, while nvidia-smi answers.
    const checkFiles = (left: Collected) => {
      filesChecked = fileFindings(cell, left);
      filesChecked.catch(() => {}); // awaited in the judge phase
      if (left.kind === 'snapshot') modelHashed = treeSha256(left.dir).catch(() => null);
    };
    const toVerify = !harnessEnd && collected.kind === 'snapshot';
    if (!toVerify) checkFiles(collected);
    const gpuLeft = await gpuAsked;

    phase = 'verify';
    let verdict: Omit<Verdict, 'findings'>;
    if (harnessEnd) {
      // Not scored: the cell is retried, so a verification would only spend time.
      verdict = { status: 'error', errorSource: harnessEnd.errorSource, statusDetail: harnessEnd.detail, score: null };
      findings.push(...harnessEnd.findings);
    } else if (collected.kind === 'missing')
      verdict = {
        status: 'missing',
        statusDetail:
          (agent.timedOut
            ? `the time limit ended the run and ${collected.detail}`
            : `the agent exited (code ${agent.last.exitCode}) and ${collected.detail}`) +
          (agentUsage?.capReached ? '; the LLM budget of this run was used up before' : ''),
        score: null,
      };
    else if (collected.kind === 'refused') verdict = { status: 'broken', statusDetail: collected.detail, score: null };
    else {
      const verifying = verifyFinalModel(cell, collected.dir);
      checkFiles(collected);
      const verified = await verifying;
      cancelled();
      verifySeconds = verified.seconds;
      verdict =
        verified.kind === 'scored'
          ? { status: 'scored', score: verified.score, evaluation: verified.evaluation }
          : verified.kind === 'error'
            ? { status: 'error', errorSource: verified.source, statusDetail: verified.detail, score: null }
            : { status: 'broken', statusDetail: verified.detail, score: null };
    }

    phase = 'judge';
    findings.push(...(await llmJudge(cell)));
    usage = cell.services.llm?.usage() ?? null;
    await cell.services.llm?.stop();
    cell.services.llm = null;
    const { access, timeline } = await audited;
    egress = { requests: access.length, denied: access.filter(isDenied).length };
    findings.unshift(...integrityFindings(cell, agent, await filesChecked, access, gpuLeft));
    cell.mark('integrity-checked');
    if (usage) findings.push(...capFinding(usage, cell.req.llmCap), ...proxyRefusalFindings(usage));
    findings.push(...timeline);

    // A run cancelled while it ended (the runner's signal can reach the agent before the
    // harness) is recorded as cancelled, never scored or penalised.
    cancelled();
    phase = 'record';
    return await recordResult(cell, {
      verdict: { ...verdict, findings },
      agent,
      finalModelSha256: modelHashed,
      usage,
      egress,
      verifySeconds,
    });
  } catch (e) {
    // The harness failed, or the run was cancelled, not the agent: an error (retried, never penalised).
    const cancel = e instanceof CellCancelled || cell.req.signal?.aborted;
    return recordResult(cell, {
      verdict: {
        status: 'error',
        errorSource: cancel ? 'fleet' : 'harness',
        statusDetail: cancel
          ? `the run was cancelled in its ${phase} phase (the runner stopped it)`
          : `the harness failed in its ${phase} phase: ${cell.redact(reason(e)).slice(0, 2000)}`,
        score: null,
        findings,
      },
      agent,
      finalModelSha256: modelHashed,
      usage: usage ?? cell.services.llm?.usage() ?? null,
      egress,
      verifySeconds,
    });
  }
}
