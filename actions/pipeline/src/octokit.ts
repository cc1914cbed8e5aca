import Bottleneck from 'bottleneck';
import { Octokit } from 'octokit';

export interface OctokitOptions {
  token: string;
  baseUrl?: string;
  /** Milliseconds per unit of GitHub's retry-after; 1000 in production, small in tests. */
  retryBaseMs?: number;
  log?: (message: string) => void;
}

/**
 * Octokit with retry (5xx, network) and throttling (primary and secondary rate limits): a
 * transient API failure must delay a comment, never lose it.
 */
export function createOctokit(opts: OctokitOptions): Octokit {
  const base = opts.retryBaseMs ?? 1000;
  const log = opts.log ?? (() => {});
  // GitHub asks for a second between mutating requests (secondary rate limits); tests scale it down with the rest.
  const write = new Bottleneck.Group({ id: 'ptb-octokit-write', maxConcurrent: 1, minTime: base });
  return new Octokit({
    auth: opts.token,
    ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}),
    retry: { retries: 4, retryAfterBaseValue: base },
    throttle: {
      write,
      retryAfterBaseValue: base,
      fallbackSecondaryRateRetryAfter: 60,
      onRateLimit: (retryAfter: number, options: { method: string; url: string }, _o: unknown, retryCount: number) => {
        log(`rate limit on ${options.method} ${options.url}; retry ${retryCount + 1} after ${retryAfter}s`);
        return retryCount < 3;
      },
      onSecondaryRateLimit: (retryAfter: number, options: { method: string; url: string }, _o: unknown, retryCount: number) => {
        log(`secondary rate limit on ${options.method} ${options.url}; retry ${retryCount + 1} after ${retryAfter}s`);
        return retryCount < 3;
      },
    },
    log: { debug: () => {}, info: () => {}, warn: log, error: log },
  });
}
