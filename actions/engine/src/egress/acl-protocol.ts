/**
 * squid's external ACL helper protocol, as the egress helper speaks it (squid.conf:
 * `external_acl_type ... concurrency=N %>rm %>ru %{Host}>h [%ssl::>sni] node acl-helper.mjs
 * policy.json`). Each request line is `channel method url host-header [sni]`, each value
 * URL-escaped by squid and `-` when unknown; each answer is `channel OK|ERR log=<rule>`
 * (`%ea` in the access log) with the reason as `message` (`%o` on squid's error page). Pure.
 */
import { decideEgress, type EgressDecision } from './decide.ts';
import type { EgressPolicy } from './policy.ts';

/** squid escapes whitespace and unsafe characters in each value; `-` stands for none. */
function headerValue(token: string | undefined): string | null {
  if (token === undefined || token === '-' || token === '') return null;
  try {
    return decodeURIComponent(token);
  } catch {
    return token;
  }
}

const quoted = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ')}"`;

/** The helper's answer to one request line (never throws: a line it cannot read is refused). */
export function answerLine(line: string, policy: EgressPolicy): string {
  const fields = line.trim().split(/\s+/);
  const channel = /^[0-9]+$/.test(fields[0] ?? '') ? (fields.shift() as string) : null;
  const prefix = channel === null ? '' : `${channel} `;
  const [method, url, host, sni] = fields;
  let decision: EgressDecision;
  try {
    // The URL is passed as squid has it: its own escaping leaves "%" alone, and decoding
    // here would turn %2e%2e into "..". The normaliser reads the escapes.
    decision =
      method && url
        ? decideEgress({ method, url, hostHeader: headerValue(host), sni: headerValue(sni) }, policy)
        : {
            allow: false,
            rule: { id: 'ambiguous-url', reason: 'a request line the helper cannot read' },
            detail: null,
            canonical: null,
          };
  } catch (e) {
    return `${prefix}BH log=helper-error message=${quoted(e instanceof Error ? e.message : String(e))}`;
  }
  if (decision.allow) return `${prefix}OK log=allow`;
  const rule = decision.rule ?? { id: 'unknown', reason: 'refused' };
  const message = `refused by the egress rule ${rule.id}: ${rule.reason}${decision.detail ? ` (${decision.detail})` : ''}`;
  return `${prefix}ERR log=${encodeURIComponent(rule.id)} message=${quoted(message)}`;
}
