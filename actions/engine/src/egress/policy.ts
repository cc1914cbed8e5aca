/**
 * The egress policy of a benchmark definition (`network.allow` hosts, `network.deny` rules) as
 * the decision uses it, plus the pieces a deployment adds. Pure: loaded by the squid helper on
 * its own, so it imports types only.
 */
import type { EgressDenyRule } from '@ptb/core';

export type { EgressDenyRule };

export interface EgressPolicy {
  /** Hosts the agent may reach (`*.example.com` or `.example.com` also allow subdomains). */
  allow: readonly string[];
  /** Rules refusing URLs even on an allowed host, in the definition's order (the first that refuses names the finding). */
  deny: readonly EgressDenyRule[];
  /**
   * Whether squid decrypts HTTPS. Without it a CONNECT hides the path, so no path rule could
   * hold: CONNECT is then refused wherever a path rule might apply.
   */
  tlsInspected: boolean;
}

export function splitPattern(pattern: string): { host: string; path: string | null } {
  const clean = pattern.replace(/^[a-z]+:\/\//i, '');
  const slash = clean.indexOf('/');
  return slash < 0
    ? { host: clean.toLowerCase(), path: null }
    : { host: clean.slice(0, slash).toLowerCase(), path: clean.slice(slash) };
}

const escapeRe = (s: string): string => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
const glob = (s: string): string => s.split('*').map(escapeRe).join('.*');

/**
 * Whether a URL pattern (`host[:port][/path]`, `*` any run of characters) covers a host and a
 * normalised path. The path matches at a segment boundary, so `huggingface.co/Qwen/Qwen3-4B`
 * covers that repository and everything under it but not `Qwen/Qwen3-4B-Base`. Without a
 * path, `segments` null (a CONNECT) is covered too.
 */
export function patternCovers(pattern: string, host: string, segments: readonly string[] | null): boolean {
  const { host: hostGlob, path } = splitPattern(pattern);
  const bareHost = hostGlob.replace(/:[0-9]+$/, '');
  if (!new RegExp(`^${glob(bareHost)}$`, 'i').test(host)) return false;
  if (path === null) return true;
  if (segments === null) return false;
  return new RegExp(`^${glob(path.replace(/\/+$/, ''))}(/.*)?$`, 'is').test(`/${segments.join('/')}`);
}

/** Whether a host is on the allow list (`*.example.com` or `.example.com` also allow subdomains). */
export function hostAllowed(host: string, allow: readonly string[]): boolean {
  const h = host.toLowerCase();
  return allow.some((a) => {
    const p = a.toLowerCase();
    if (p.startsWith('*.') || p.startsWith('.')) {
      const base = p.replace(/^\*?\./, '');
      return h === base || h.endsWith(`.${base}`);
    }
    return h === p;
  });
}

/**
 * The repositories a deployment names as its own (the leaderboard's data), which a definition
 * cannot know: `PTB_LEADERBOARD_REPOSITORIES` (comma-separated owner/name), else GitHub
 * Actions' `GITHUB_REPOSITORY`.
 */
export function deploymentRepositories(env: Readonly<Record<string, string | undefined>>): string[] {
  const named = env.PTB_LEADERBOARD_REPOSITORIES ?? env.GITHUB_REPOSITORY ?? '';
  return named
    .split(',')
    .map((s) => s.trim())
    .filter((s) => /^[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9._-]+$/.test(s));
}

/** The deny rules with the deployment's repositories added to every leaderboard-data rule that asks for them. */
export function withDeployment(deny: readonly EgressDenyRule[], repositories: readonly string[]): EgressDenyRule[] {
  return deny.map((r) =>
    r.artefact === 'leaderboard-data' && r.deployment && repositories.length > 0
      ? { ...r, github: [...new Set([...(r.github ?? []), ...repositories])] }
      : r,
  );
}
