/**
 * The egress policy of a benchmark definition (`network.allow` hosts, `network.deny` URL
 * patterns) turned into matchers. Pure: shared by the squid configuration and the audit.
 *
 * A deny pattern is `host[/path]` where `*` matches any run of characters; a path pattern
 * matches at a path-segment boundary, so `huggingface.co/Qwen/Qwen3-4B` denies that repo
 * and everything under it but not `Qwen/Qwen3-4B-Base`.
 */
export interface DenyRule {
  pattern: string;
  reason: string;
}

const escapeRe = (s: string): string => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

export function splitPattern(pattern: string): { host: string; path: string | null } {
  const clean = pattern.replace(/^[a-z]+:\/\//i, '');
  const slash = clean.indexOf('/');
  return slash < 0
    ? { host: clean.toLowerCase(), path: null }
    : { host: clean.slice(0, slash).toLowerCase(), path: clean.slice(slash) };
}

/** POSIX extended regular expression (squid `url_regex`, also valid in JavaScript) for a deny pattern. */
export function denyRegex(pattern: string): string {
  const { host, path } = splitPattern(pattern);
  const glob = (s: string) => s.split('*').map(escapeRe).join('[^ ]*');
  const hostRe = glob(host);
  const pathRe = path === null ? '([/?#].*)?' : `${glob(path)}([/?#].*)?`;
  return `^([a-z]+://)?${hostRe}(:[0-9]+)?${pathRe}$`;
}

/** The deny rule a URL (absolute, or `host:port` for CONNECT) falls under, if any. */
export function matchDeny(url: string, rules: readonly DenyRule[]): DenyRule | null {
  const u = url.toLowerCase();
  for (const r of rules) {
    const { path } = splitPattern(r.pattern);
    // A CONNECT target has no path: only host-wide rules can judge it.
    if (path !== null && !/^[a-z]+:\/\//.test(u)) continue;
    if (new RegExp(denyRegex(r.pattern), 'i').test(u)) return r;
  }
  return null;
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
