/**
 * The one egress decision: squid asks it about every request (through `acl-helper.ts`) and the
 * audit asks it again about every refused request in the log, so a finding names the rule
 * that refused it. Judged on the normalised URL; a request is refused if any reading of its
 * path is, and when it cannot be read unambiguously at all. Pure.
 */
import type { EgressDenyRule, UrlDenyRule } from '@ptb/core';
import { holdsName, namesFamilyVariant } from './names.ts';
import { type NormalisedUrl, normaliseHost, normaliseRequest } from './normalise.ts';
import { type EgressPolicy, hostAllowed, patternCovers } from './policy.ts';
import { datasetsServerQuery, githubRepos, hubDataset, servicesOf } from './routes.ts';

export interface EgressRequest {
  method: string;
  /** Absolute URL, or `host:port` for CONNECT, as squid reports it. */
  url: string;
  /** The request's Host header, when known. */
  hostHeader?: string | null;
  /** The TLS server name the client sent, when known. */
  sni?: string | null;
}

export interface EgressDecision {
  allow: boolean;
  /** The rule that refused the request (null when allowed). */
  rule: { id: string; reason: string } | null;
  /** What matched, in words (a segment, a query parameter). */
  detail: string | null;
  /** The normalised URL, when it could be read. */
  canonical: string | null;
}

/** Refusals of the proxy itself, which no definition writes. */
export const BUILT_IN_RULES = {
  'ambiguous-url': 'a URL the proxy cannot read unambiguously (encoded dots or slashes, backslashes, user info, ...)',
  'host-mismatch': 'the Host header names another host than the request URL',
  'sni-mismatch': 'the TLS server name differs from the host of the request URL',
  'connect-port': 'a tunnel (CONNECT) to a port other than 443',
  'tls-not-inspected': 'HTTPS that this proxy cannot decrypt, so the path rules could not be applied',
  'not-allowed': 'destination not on the allow list',
} as const;

export type BuiltInRule = keyof typeof BUILT_IN_RULES;

const refuse = (id: string, reason: string, detail: string | null, canonical: string | null): EgressDecision => ({
  allow: false,
  rule: { id, reason },
  detail,
  canonical,
});
const builtIn = (id: BuiltInRule, detail: string | null, canonical: string | null) =>
  refuse(id, BUILT_IN_RULES[id], detail, canonical);

const isUrlRule = (r: EgressDenyRule): r is UrlDenyRule => 'pattern' in r;

export const ruleId = (r: EgressDenyRule): string => r.id ?? (isUrlRule(r) ? r.pattern : 'unnamed');

const inHosts = (host: string, hosts: readonly string[]) => hostAllowed(host, hosts);

/** Why a rule refuses a (non-CONNECT) request, or null. */
function ruleRefuses(rule: EgressDenyRule, url: NormalisedUrl): string | null {
  if (isUrlRule(rule)) {
    const hit = url.readings.find((r) => patternCovers(rule.pattern, url.host, r));
    return hit ? `matches ${rule.pattern}` : null;
  }
  if (rule.artefact === 'model-family') {
    for (const reading of url.readings)
      for (const seg of reading)
        for (const f of rule.families)
          if (namesFamilyVariant(seg, { name: f.name, base: f.base ?? [] })) return `"${seg}" names the ${f.name} family`;
    return null;
  }
  const services = servicesOf(rule.services);
  for (const p of rule.urls ?? []) if (url.readings.some((r) => patternCovers(p, url.host, r))) return `matches ${p}`;

  const names = rule.names ?? [];
  const repos = (rule.github ?? []).map((g) => g.toLowerCase());
  const splitsOnly = rule.artefact === 'test-set' ? rule.splitsOnly : undefined;
  const ownsSplits = (id: string) => splitsOnly?.datasets.some((d) => d.toLowerCase() === id) ?? false;
  const isHub = inHosts(url.host, services.huggingface);
  const isGithub = inHosts(url.host, services.github);
  if (rule.artefact === 'test-set' && inHosts(url.host, services.datasetsServer)) {
    // Every dataset= and split= value counts: a server may read any one of several.
    const q = datasetsServerQuery(url.segments, url.query);
    for (const dataset of q.datasets) {
      if (ownsSplits(dataset)) {
        const held = q.splits.find((split) => (splitsOnly?.splits ?? []).some((s) => holdsName(split, s)));
        if (held !== undefined) return `the ${held} split of ${dataset}`;
        if (q.splits.length === 0 && q.returnsRows) return `rows of ${dataset} without a split`;
      } else if (names.some((n) => holdsName(dataset, n))) return `dataset=${dataset}`;
    }
  }
  for (const reading of url.readings) {
    const dataset = isHub ? hubDataset(reading) : null;
    if (dataset && ownsSplits(dataset.id)) {
      // The data set's own repository: only its held-out splits are refused, wherever a
      // route names them (path or query), and so is every route that hands out all of it.
      if (dataset.wholeRepository) return `all of ${dataset.id} (git, LFS or xet), its held-out splits included`;
      const inside = [...dataset.rest, ...[...url.query.values()].flat()].join('/');
      const split = splitsOnly?.splits.find((s) => holdsName(inside, s));
      if (split) return `the ${split} split of ${dataset.id}`;
      continue;
    }
    for (const seg of reading) for (const n of names) if (holdsName(seg, n)) return `"${seg}" names ${n}`;
    if (isGithub) for (const repo of githubRepos(url.host, reading)) if (repos.includes(repo)) return `GitHub repository ${repo}`;
    if (rule.artefact === 'leaderboard-data') {
      const site = repos.find((r) => {
        const [owner, name] = r.split('/') as [string, string];
        if (url.host !== `${owner}.github.io`) return false;
        return name === url.host || (reading[0] ?? '').toLowerCase() === name;
      });
      if (site) return `the GitHub Pages site of ${site}`;
    }
  }
  return null;
}

/** Whether a rule refuses a whole host (all a CONNECT shows). */
function ruleRefusesHost(rule: EgressDenyRule, host: string): boolean {
  if (isUrlRule(rule)) return patternCovers(rule.pattern, host, null);
  if (rule.artefact === 'leaderboard-data')
    return (rule.github ?? []).some((r) => r.split('/')[1]?.toLowerCase() === host && host.endsWith('.github.io'));
  return false;
}

/** Whether any rule could refuse some path on this host (then an uninspected tunnel would hide it). */
const pathRulesExist = (policy: EgressPolicy): boolean =>
  policy.deny.some((r) => !isUrlRule(r) || r.pattern.replace(/^[a-z]+:\/\//i, '').includes('/'));

export function decideEgress(req: EgressRequest, policy: EgressPolicy): EgressDecision {
  const n = normaliseRequest(req.method, req.url);
  if (!n.ok) return builtIn('ambiguous-url', n.why, null);
  const url = n.url;
  const defaultPort = url.scheme === 'http' ? 80 : 443;
  if (req.hostHeader) {
    const h = normaliseHost(req.hostHeader, defaultPort);
    if (!h || h.host !== url.host || h.port !== url.port)
      return builtIn('host-mismatch', `Host: ${req.hostHeader}`, url.canonical);
  }
  if (req.sni && url.scheme !== 'http') {
    const s = normaliseHost(req.sni, defaultPort);
    if (!s || s.host !== url.host) return builtIn('sni-mismatch', `server name ${req.sni}`, url.canonical);
  }
  if (url.scheme === null) {
    for (const rule of policy.deny)
      if (ruleRefusesHost(rule, url.host)) return refuse(ruleId(rule), rule.reason, `the host ${url.host}`, url.canonical);
    if (url.port !== 443) return builtIn('connect-port', `port ${url.port}`, url.canonical);
    if (!policy.tlsInspected && pathRulesExist(policy)) return builtIn('tls-not-inspected', null, url.canonical);
  } else {
    for (const rule of policy.deny) {
      const why = ruleRefuses(rule, url);
      if (why) return refuse(ruleId(rule), rule.reason, why, url.canonical);
    }
  }
  if (!hostAllowed(url.host, policy.allow)) return builtIn('not-allowed', url.host, url.canonical);
  return { allow: true, rule: null, detail: null, canonical: url.canonical };
}
