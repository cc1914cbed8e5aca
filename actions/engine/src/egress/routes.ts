/**
 * Route shapes of the services the deny rules know: which hub dataset a path addresses, which
 * GitHub repository, which dataset and split a datasets-server query names. Facts about the
 * services, not about a benchmark; a rule may name stand-in hosts for them. Pure.
 */

export interface ServiceHosts {
  huggingface: readonly string[];
  datasetsServer: readonly string[];
  github: readonly string[];
}

export const DEFAULT_SERVICES: ServiceHosts = {
  huggingface: ['huggingface.co', 'www.huggingface.co', 'hf.co'],
  datasetsServer: ['datasets-server.huggingface.co'],
  github: ['github.com', 'www.github.com', 'raw.githubusercontent.com', 'codeload.github.com', 'api.github.com'],
};

export const servicesOf = (override?: Partial<Record<keyof ServiceHosts, readonly string[]>>): ServiceHosts => ({
  ...DEFAULT_SERVICES,
  ...Object.fromEntries(Object.entries(override ?? {}).filter(([, v]) => v !== undefined)),
});

const lower = (s: string) => s.toLowerCase();
const stripGit = (s: string) => s.replace(/\.git$/i, '');

/**
 * The hub dataset a path addresses and the path inside it: `/datasets/<org>/<name>/...`, the
 * hub API (`/api/datasets/<org>/<name>/...`, parquet exports included) and its resolve cache.
 */
export function hubDataset(segments: readonly string[]): { id: string; rest: string[]; wholeRepository: boolean } | null {
  const prefixes = [['datasets'], ['api', 'datasets'], ['api', 'resolve-cache', 'datasets']];
  for (const p of prefixes) {
    if (segments.length < p.length + 2 || !p.every((s, i) => lower(segments[i] ?? '') === s)) continue;
    const org = segments[p.length] as string;
    const raw = segments[p.length + 1] as string;
    const rest = segments.slice(p.length + 2);
    return {
      id: lower(`${org}/${stripGit(raw)}`),
      rest,
      wholeRepository: raw !== stripGit(raw) || WHOLE_REPOSITORY.has(lower(rest[0] ?? '')),
    };
  }
  return null;
}

/**
 * Routes that hand out a repository whole, whatever file one wants: git (smart and dumb
 * HTTP, LFS batch) and xet read tokens.
 */
const WHOLE_REPOSITORY = new Set(['info', 'git-upload-pack', 'git-receive-pack', 'objects', 'head', 'xet-read-token']);

/** GitHub repositories (`owner/name`, lower case) a path may address on a GitHub host. */
export function githubRepos(host: string, segments: readonly string[]): string[] {
  const out: string[] = [];
  const pair = (o?: string, r?: string) => {
    if (o && r) out.push(lower(`${o}/${stripGit(r)}`));
  };
  if (lower(segments[0] ?? '') === 'repos') pair(segments[1], segments[2]);
  if (host !== 'api.github.com') pair(segments[0], segments[1]);
  return out;
}

/** Dataset-viewer endpoints that describe a dataset without returning its rows. */
const METADATA_ENDPOINTS = new Set(['splits', 'info', 'size', 'is-valid', 'parquet', 'croissant-crumbs', 'compatible-libraries']);

/** What a datasets-server query asks for: the datasets and splits it names, and whether it returns rows. */
export function datasetsServerQuery(
  segments: readonly string[],
  query: ReadonlyMap<string, readonly string[]>,
): { datasets: string[]; splits: string[]; returnsRows: boolean } {
  return {
    datasets: [...new Set((query.get('dataset') ?? []).map(lower))],
    splits: [...new Set(query.get('split') ?? [])],
    returnsRows: !METADATA_ENDPOINTS.has(lower(segments[0] ?? '')),
  };
}
