import type { CellResult, IntegrityFinding } from '@ptb/core';
import type { LlmOutcome, LlmUsage } from '../egress/llm-proxy.ts';

/**
 * Why an agent's run ended, where the agent is not to blame: the provider failed under it,
 * or the CLI never got going. Both end as status `error` (never penalised, retried) with a
 * detail a maintainer can act on.
 */
export interface HarnessSideEnd {
  status: 'error';
  errorSource: NonNullable<CellResult['errorSource']>;
  detail: string;
  findings: IntegrityFinding[];
}

export interface AgentEnd {
  scaffold: string;
  exitCode: number | null;
  timedOut: boolean;
  /** The agent's requests through the credential proxy, in order. */
  outcomes: readonly LlmOutcome[];
  /** The last lines the agent printed (redacted), for a start-up crash's own message. */
  tail: readonly string[];
  /** Milliseconds since the epoch when the agent started, to date the evidence. */
  agentStartMs: number;
}

const at = (o: LlmOutcome, start: number) => `t=${Math.max(0, Math.round((o.atMs - start) / 1000))}s`;

/**
 * The provider failed under the agent: its last model request (or more) ended in a provider
 * failure (5xx, 429 or 529 from the provider, a cut stream, a failure reported inside the
 * stream) and the agent stopped or ran out of time after it. A request the proxy refused
 * for the cap is the budget, not an outage.
 */
export function providerOutage(end: AgentEnd): HarnessSideEnd | null {
  const failures: LlmOutcome[] = [];
  for (let i = end.outcomes.length - 1; i >= 0; i--) {
    const o = end.outcomes[i] as LlmOutcome;
    if (o.kind !== 'provider-error') break;
    failures.unshift(o);
  }
  if (failures.length === 0) return null;
  const first = failures[0] as LlmOutcome;
  const last = failures.at(-1) as LlmOutcome;
  const how = end.timedOut ? 'the time limit ended the run' : `the agent exited with code ${end.exitCode}`;
  const detail = `the ${last.provider} provider failed under the agent: its last ${failures.length} model request(s) failed (${at(first, end.agentStartMs)} to ${at(last, end.agentStartMs)}, last: ${last.detail ?? `HTTP ${last.status}`}) and ${how}; a provider outage is not the agent's failure: the cell is retried`;
  return {
    status: 'error',
    errorSource: 'provider',
    detail,
    findings: [
      {
        check: 'provider-outage',
        severity: 'info',
        summary: `${failures.length} model request(s) in a row failed at the provider before the agent stopped`,
        evidence: failures.slice(-20).map((o) => `${at(o, end.agentStartMs)} ${o.provider}: ${o.detail ?? `HTTP ${o.status}`}`),
      },
    ],
  };
}

/** The CLI ended with an error before it made a single model request: its own message, as the reason. */
export function startupCrash(end: AgentEnd): HarnessSideEnd | null {
  if (end.timedOut || end.exitCode === 0 || end.outcomes.length > 0) return null;
  const message = end.tail
    .filter((l) => l.trim())
    .slice(-8)
    .join('\n')
    .trim();
  return {
    status: 'error',
    errorSource: 'harness',
    detail:
      `${end.scaffold} exited with code ${end.exitCode} at start-up, before any model request: ${message || '(it printed nothing)'}`.slice(
        0,
        4000,
      ),
    findings: [],
  };
}

/** What the credential proxy refused to forward for the agent: paths that are no model call of their provider. */
export function proxyRefusalFindings(usage: LlmUsage): IntegrityFinding[] {
  if (usage.refusedTargets.length === 0) return [];
  return [
    {
      check: 'llm-proxy-refused',
      severity: 'warning',
      summary: `the credential proxy refused ${usage.refusedTargets.length === 20 ? 'at least 20' : usage.refusedTargets.length} request(s) of the agent that were no model call of their provider (another host, files, fine-tuning, batches, ...)`,
      evidence: usage.refusedTargets,
    },
  ];
}

/** Says when the LLM cap stopped the agent: what was used, and how many requests were refused. */
export function capFinding(usage: LlmUsage, cap: { maxRequests?: number; maxTokens?: number } | undefined): IntegrityFinding[] {
  if (!usage.capReached) return [];
  const limits = [
    cap?.maxTokens !== undefined ? `${cap.maxTokens} tokens` : null,
    cap?.maxRequests !== undefined ? `${cap.maxRequests} requests` : null,
  ].filter(Boolean);
  return [
    {
      check: 'llm-cap',
      severity: 'info',
      summary: `the agent reached this run's LLM budget (${limits.join(', ') || 'cap'}): ${usage.inputTokens + usage.outputTokens} tokens in ${usage.requests} requests were used, and ${usage.capRefused} request(s) that could no longer fit were refused`,
      evidence: [],
    },
  ];
}
