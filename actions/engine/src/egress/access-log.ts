/** One line of squid's native access log. */
export interface AccessEntry {
  time: number;
  client: string;
  result: string;
  status: number;
  bytes: number;
  method: string;
  url: string;
  /** The decision helper's verdict (`%ea`): `allow`, a rule id, or null when squid did not ask it. */
  tag: string | null;
  raw: string;
}

/**
 * The request the harness makes to squid as it stops it (to a name that resolves nowhere,
 * refused, never forwarded): once it is logged, everything before it is. Not the agent's.
 */
export const logBarrierHost = (token: string): string => `ptb-log-barrier-${token}.invalid`;
const LOG_BARRIER = /^http:\/\/ptb-log-barrier-[0-9a-f]{32}\.invalid\//;

/**
 * Parses squid's native log format, `time elapsed client result/status bytes method url user
 * hierarchy type`, and the helper's verdict after it (squid-config.ts ACCESS_LOG_FORMAT);
 * the harness's own barrier request is left out.
 */
export function parseAccessLog(text: string): AccessEntry[] {
  const out: AccessEntry[] = [];
  for (const raw of text.split('\n')) {
    const f = raw.trim().split(/\s+/);
    if (f.length < 7) continue;
    const [time, , client, codeStatus, bytes, method, url] = f as [string, string, string, string, string, string, string];
    const [result, status] = codeStatus.split('/');
    if (!result || Number.isNaN(Number(time)) || LOG_BARRIER.test(url)) continue;
    const ea = f[10];
    let tag: string | null = null;
    if (ea && ea !== '-')
      try {
        tag = decodeURIComponent(ea);
      } catch {
        tag = ea;
      }
    out.push({
      time: Number(time),
      client,
      result,
      status: Number(status),
      bytes: Number(bytes),
      method,
      url,
      tag,
      raw: raw.trim(),
    });
  }
  return out;
}

export const isDenied = (e: AccessEntry): boolean => e.result === 'TCP_DENIED' || e.status === 403;
