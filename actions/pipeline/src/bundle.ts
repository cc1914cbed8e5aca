// Bundles each GitHub Action (actions/<name>/src/main.ts) into actions/<name>/dist/main.js, the
// ESM file its action.yml runs on node24. The workflows run this on the default branch before
// `uses: ./actions/<name>`; bundles are not committed (see MAINTAINERS.md for why).
//   npx node actions/pipeline/src/bundle.ts [--out <dir>] [name ...]
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const ACTIONS = ['submission', 'approve', 'dispatch', 'evaluate', 'report', 'publish'] as const;

const actionsDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

// @actions/core 3 is ESM-only but its dependencies call require() for Node built-ins.
const banner =
  "import { createRequire as __ptbCreateRequire } from 'node:module'; const require = __ptbCreateRequire(import.meta.url);";

/** Returns the bundle paths; `outRoot` (for tests) replaces actions/ as the parent of <name>/dist/. */
export async function bundleActions(names: readonly string[] = ACTIONS, outRoot?: string): Promise<string[]> {
  return Promise.all(names.map((name) => bundleOne(name, outRoot)));
}

async function bundleOne(name: string, outRoot: string | undefined): Promise<string> {
  {
    const entry = join(actionsDir, name, 'src', 'main.ts');
    if (!existsSync(entry)) throw new Error(`no action "${name}": ${entry} does not exist (known: ${ACTIONS.join(', ')})`);
    const outfile = join(outRoot ?? actionsDir, name, 'dist', 'main.js');
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      banner: { js: banner },
      logLevel: 'warning',
      legalComments: 'none',
    });
    return outfile;
  }
}

/** Pure: `[--out <dir>] [name ...]`; no name means every action. */
export function parseBundleArgs(args: readonly string[]): { names: string[]; outRoot: string | undefined } {
  const outIndex = args.indexOf('--out');
  if (outIndex >= 0 && args[outIndex + 1] === undefined) throw new Error('--out needs a folder');
  const outRoot = outIndex >= 0 ? args[outIndex + 1] : undefined;
  const rest = outIndex >= 0 ? args.filter((_a, i) => i !== outIndex && i !== outIndex + 1) : [...args];
  return { names: rest.length > 0 ? rest : [...ACTIONS], outRoot };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { names, outRoot } = parseBundleArgs(process.argv.slice(2));
  for (const f of await bundleActions(names, outRoot ? resolve(outRoot) : undefined)) console.log(f);
}
