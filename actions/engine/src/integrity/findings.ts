import type { IntegrityFinding } from '@ptb/core';
import { type AccessEntry, isDenied } from '../egress/access-log.ts';
import { BUILT_IN_RULES, decideEgress, ruleId } from '../egress/decide.ts';
import { deploymentRepositories, type EgressDenyRule, withDeployment } from '../egress/policy.ts';

export interface EgressAuditOptions {
  /** The allow list, to tell "not on the allow list" from other refusals (default: none known). */
  allow?: readonly string[];
  /** The deployment's own repositories (default: from the environment, as the proxy had them). */
  deploymentRepositories?: readonly string[];
}

/** squid refused the request: its 403, or an error it made itself without forwarding (`NONE_NONE/503`). */
const refusedBySquid = (e: AccessEntry): boolean => isDenied(e) || (e.result.startsWith('NONE') && e.status >= 400);

/**
 * Requests the proxy refused, grouped by the rule that refused them, with the log lines as
 * evidence. The rule is found again by the decision squid asked (decide.ts) on the logged
 * method and URL; the helper's own verdict in the log wins where it names a rule (it also saw
 * the Host header and TLS server name). Requests squid refused on its own account (a forged
 * Host inside a TLS tunnel is answered with an error before any rule is asked) count when the
 * rules refuse them too. A request that reached its destination although the rules refuse it
 * means the proxy let something through: a violation.
 */
export function egressFindings(
  entries: readonly AccessEntry[],
  deny: readonly EgressDenyRule[],
  options: EgressAuditOptions = {},
): IntegrityFinding[] {
  const rules = withDeployment(deny, options.deploymentRepositories ?? deploymentRepositories(process.env));
  const reasons = new Map<string, string>([
    ...Object.entries(BUILT_IN_RULES),
    ...rules.map((r) => [ruleId(r), r.reason] as const),
  ]);
  const policy = { allow: options.allow ?? [], deny: rules, tlsInspected: true };
  const groups = new Map<string, { id: string; reason: string; leaked: boolean; lines: string[] }>();
  for (const e of entries) {
    const d = decideEgress({ method: e.method, url: e.url }, policy);
    const refused = refusedBySquid(e);
    // Without the allow list, "not on the allow list" is no evidence against a request squid let through.
    const rulesRefuse = !d.allow && (d.rule?.id !== 'not-allowed' || options.allow !== undefined);
    if (!refused && !rulesRefuse) continue;
    const leaked = !refused;
    let id = d.allow ? null : (d.rule?.id ?? null);
    let detail = d.detail;
    if (e.tag && e.tag !== 'allow' && e.tag !== id && reasons.has(e.tag)) {
      id = e.tag;
      detail = null;
    }
    const reason =
      id === null
        ? 'refused by squid itself although the egress rules allow it (its port or host checks, or a helper that did not answer)'
        : (reasons.get(id) ?? id);
    const key = `${leaked ? 'leak:' : ''}${id ?? 'squid'}`;
    const g = groups.get(key) ?? { id: id ?? 'squid', reason, leaked, lines: [] };
    g.lines.push(detail ? `${e.raw}  [${detail}]` : e.raw);
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => ({
    check: 'egress-denied',
    severity: g.leaked ? ('violation' as const) : ('warning' as const),
    summary: g.leaked
      ? `${g.lines.length} request(s) reached their destination although the egress rules refuse them: ${g.reason} (rule ${g.id})`
      : `the agent tried ${g.lines.length} request(s) the egress proxy refused: ${g.reason} (rule ${g.id})`,
    evidence: g.lines.slice(0, 20),
  }));
}

/** Protected workspace files (evaluate client, timer, templates, prompt) changed or removed by the agent. */
export function protectedFileFindings(
  before: ReadonlyMap<string, string>,
  after: ReadonlyMap<string, string | null>,
): IntegrityFinding[] {
  const changed: string[] = [];
  for (const [rel, digest] of before) {
    const now = after.get(rel) ?? null;
    if (now !== digest)
      changed.push(now === null ? `${rel}: removed` : `${rel}: sha256 ${digest.slice(0, 12)} -> ${now.slice(0, 12)}`);
  }
  if (changed.length === 0) return [];
  return [
    {
      check: 'protected-file-modified',
      severity: 'warning',
      summary: `${changed.length} protected file(s) were modified; verification used the harness's pristine copies`,
      evidence: changed,
    },
  ];
}

/** Files in the workspace that look like verdicts or results: they are never read, and we say so. */
export function prewrittenVerdictFindings(paths: readonly string[]): IntegrityFinding[] {
  const suspicious = paths.filter((p) => /(^|\/)[^/]*(verdict|judg(e)?ment|result|score)[^/]*\.(json|txt|md|ya?ml)$/i.test(p));
  if (suspicious.length === 0) return [];
  return [
    {
      check: 'prewritten-verdict',
      severity: 'info',
      summary:
        'the workspace holds files that look like verdicts or results; the harness ignores them (its own are written outside the sandbox)',
      evidence: suspicious.slice(0, 20),
    },
  ];
}
