/**
 * Removes secrets from text bound for logs and traces: the exact values the harness holds
 * (provider keys, tokens) and anything shaped like a well-known key format.
 */
// Written `X{n}X*`, never `X{n,}`: V8 runs the latter on a stack that a run of a few
// megabytes overflows (a RangeError an agent could trigger with its output).
const KEY_SHAPES: RegExp[] = [
  /sk-ant-[A-Za-z0-9_-]{10}[A-Za-z0-9_-]*/g,
  /sk-(?:proj-|or-v1-)?[A-Za-z0-9_-]{20}[A-Za-z0-9_-]*/g,
  /AIza[0-9A-Za-z_-]{30}[0-9A-Za-z_-]*/g,
  /hf_[A-Za-z0-9]{20}[A-Za-z0-9]*/g,
  /gh[pousr]_[A-Za-z0-9]{30}[A-Za-z0-9]*/g,
  /github_pat_[A-Za-z0-9_]{30}[A-Za-z0-9_]*/g,
];

export const REDACTED = '[REDACTED]';

export function makeRedactor(secrets: readonly string[]): (text: string) => string {
  const exact = [...new Set(secrets.filter((s) => s.length >= 8))].sort((a, b) => b.length - a.length);
  return (text: string) => {
    let out = text;
    for (const s of exact) if (out.includes(s)) out = out.split(s).join(REDACTED);
    for (const re of KEY_SHAPES) out = out.replace(re, REDACTED);
    return out;
  };
}

/** Secret values in an environment: variables whose names say key, token, secret or password. */
export function secretsInEnv(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([k, v]) => v && /(KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL)/i.test(k))
    .map(([, v]) => v as string);
}
