import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedDefinition } from '../definition.ts';
import { parseDefinition } from '../definition-source.ts';
import type { TreeCheck } from '../validation/submissions.ts';
import { validateSubmissions } from '../validation/submissions.ts';
import { DEFINITIONS_DIR, listDefinitionVersions } from './locations.ts';
import { readAllSubmissions } from './submission-files.ts';

export { DEFINITIONS_DIR, findRepoRoot, listDefinitionVersions, SetupError } from './locations.ts';

const cache = new Map<string, ResolvedDefinition>();

export function loadDefinition(version = 'v1', dir = DEFINITIONS_DIR): ResolvedDefinition {
  const file = join(dir, `${version}.yaml`);
  const hit = cache.get(file);
  if (hit) return hit;
  if (!existsSync(file))
    throw new Error(`no benchmark definition "${version}" (known: ${listDefinitionVersions(dir).join(', ')})`);
  const def = parseDefinition(readFileSync(file, 'utf8'), file);
  if (def.version !== version) throw new Error(`${file}: version "${def.version}" does not match the file name`);
  cache.set(file, def);
  return def;
}

export {
  eachSourceForPaths,
  eachSubmission,
  readAllSubmissions,
  readSourcesForPaths,
  readSubmissionFolder,
} from './submission-files.ts';

export function loadSubmissions(root: string): TreeCheck {
  return validateSubmissions(readAllSubmissions(root), listDefinitionVersions(), {
    definitionOf: (version) => loadDefinition(version),
  });
}
