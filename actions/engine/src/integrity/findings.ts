import type { IntegrityFinding } from '@ptb/core';
import { type AccessEntry, isDenied } from '../egress/access-log.ts';
import { type DenyRule, matchDeny } from '../egress/policy.ts';

/** Destinations the agent tried that the proxy refused, grouped by rule, with the log lines as evidence. */
export function egressFindings(entries: readonly AccessEntry[], deny: readonly DenyRule[]): IntegrityFinding[] {
  const denied = entries.filter(isDenied);
  if (denied.length === 0) return [];
  const byReason = new Map<string, AccessEntry[]>();
  for (const e of denied) {
    const rule = matchDeny(e.url, deny);
    const key = rule ? `${rule.reason} (${rule.pattern})` : 'destination not on the allow list';
    byReason.set(key, [...(byReason.get(key) ?? []), e]);
  }
  return [...byReason.entries()].map(([reason, list]) => ({
    check: 'egress-denied',
    severity: 'warning' as const,
    summary: `the agent tried ${list.length} request(s) the egress proxy refused: ${reason}`,
    evidence: list.slice(0, 20).map((e) => e.raw),
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
