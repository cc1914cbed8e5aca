import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCAFFOLDS, type ScaffoldId } from '@ptb/core';
import type { Mount } from '../sandbox/spec.ts';
import type { RuntimeKind } from '../types.ts';

/**
 * Where the scaffold CLIs come from. One folder holds them, pinned exactly with its own
 * lockfile (`images/agent/clis/`): `.ci/run` installs it for the bwrap runtime and the
 * end-to-end tests, and the agent image's Dockerfile installs the same lockfile. Inside
 * every sandbox they live at /opt/ptb-clis; under bwrap the host's folder and a Node binary
 * (the CLIs' launchers and Gemini CLI are Node programs) are bound there read-only.
 */
export const CLIS_DIR = fileURLToPath(new URL('../../images/agent/clis/', import.meta.url));
export const CLIS_INSIDE = '/opt/ptb-clis';
export const NODE_INSIDE = '/opt/ptb-node';

/** The pinned version of each scaffold's npm package (null: the scaffold is not installed by the project). */
export function pinnedVersions(clisDir = CLIS_DIR): Record<ScaffoldId, string | null> {
  const pkg = JSON.parse(readFileSync(join(clisDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  return Object.fromEntries(Object.entries(SCAFFOLDS).map(([id, s]) => [id, pkg.dependencies?.[s.npmPackage] ?? null])) as Record<
    ScaffoldId,
    string | null
  >;
}

/** The version actually installed in a CLIs folder, or null. */
export function installedVersion(clisDir: string, npmPackage: string): string | null {
  const file = join(clisDir, 'node_modules', npmPackage, 'package.json');
  if (!existsSync(file)) return null;
  return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? null;
}

export const clisDirOf = (env: NodeJS.ProcessEnv): string => env.PTB_AGENT_CLIS ?? CLIS_DIR;

/**
 * Why this runner cannot run the manifest's scaffold, or null when it can: under bwrap the
 * host's CLIs folder must hold exactly the version the submission pins. Whose fault it is
 * decides what happens: a version we do not pin is the submission's (`input`); a pinned
 * version the runner lacks is the runner's (`runner`: a harness error, run again elsewhere,
 * never held against the agent).
 */
export function scaffoldProblem(
  scaffold: ScaffoldId,
  version: string,
  runtime: RuntimeKind,
  env: NodeJS.ProcessEnv,
): { fault: 'input' | 'runner'; message: string } | null {
  if (runtime !== 'bwrap') return null;
  const dir = clisDirOf(env);
  const pkg = SCAFFOLDS[scaffold].npmPackage;
  const installed = installedVersion(dir, pkg);
  const pinned = pinnedVersions(CLIS_DIR)[scaffold];
  if (version !== pinned)
    return {
      fault: 'input',
      message: `${scaffold}: the submission pins version ${version}; accepted: ${pinned ?? 'none'} (actions/engine/images/agent/clis/package.json)`,
    };
  if (!installed)
    return {
      fault: 'runner',
      message: `${scaffold}: ${pkg} is not installed in ${dir}; provision the runner with actions/fleet/install-harness-tools.sh (or \`npm install --prefix actions/engine/images/agent/clis --no-save\` in a checkout)`,
    };
  if (installed !== version)
    return {
      fault: 'runner',
      message: `${scaffold}: this runner has ${pkg}@${installed} in ${dir}, not the pinned ${version}; provision it again with actions/fleet/install-harness-tools.sh`,
    };
  return null;
}

/** Mounts and PATH entries that give an agent sandbox the CLIs (and, under bwrap, a Node binary), read-only. */
export function agentToolchain(runtime: RuntimeKind, env: NodeJS.ProcessEnv): { mounts: Mount[]; path: string[] } {
  const path = [`${CLIS_INSIDE}/node_modules/.bin`];
  if (runtime !== 'bwrap') return { mounts: [], path };
  const modules = join(clisDirOf(env), 'node_modules');
  const node = realpathSync(env.PTB_AGENT_NODE ?? process.execPath);
  return {
    mounts: [
      ...(existsSync(modules) ? [{ host: modules, target: `${CLIS_INSIDE}/node_modules`, mode: 'ro' as const }] : []),
      { host: node, target: `${NODE_INSIDE}/bin/node`, mode: 'ro' },
    ],
    path: [...path, `${NODE_INSIDE}/bin`],
  };
}
