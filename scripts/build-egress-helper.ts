/**
 * Builds the egress decision helper that squid runs (actions/engine/src/egress/acl-helper.ts
 * and the pure modules it imports) into one plain ES module, committed at
 * actions/engine/egress-helper/acl-helper.mjs: squid starts it as its own user for every run,
 * where it must load fast (no TypeScript to strip) and read nothing outside itself.
 *   node scripts/build-egress-helper.ts           write it
 *   node scripts/build-egress-helper.ts --check   fail if the committed file is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));
export const EGRESS_HELPER_FILE = `${root}actions/engine/egress-helper/acl-helper.mjs`;

/** The helper's source as esbuild makes it from the TypeScript modules. */
export async function egressHelperSource(): Promise<string> {
  const result = await build({
    entryPoints: [`${root}actions/engine/src/egress/acl-helper.ts`],
    absWorkingDir: root,
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    // Types only may come from elsewhere; a value import from a package would be a mistake.
    packages: 'external',
    legalComments: 'none',
    banner: {
      js: '// Generated from actions/engine/src/egress/*.ts by scripts/build-egress-helper.ts: do not edit.',
    },
    logLevel: 'warning',
  });
  const text = result.outputFiles[0]?.text ?? '';
  if (/^import .* from ["'](?!node:)/m.test(text)) throw new Error('the egress helper imports a package: it must stand alone');
  return text;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const source = await egressHelperSource();
  if (process.argv.includes('--check')) {
    const committed = readFileSync(EGRESS_HELPER_FILE, 'utf8');
    if (committed !== source) {
      console.error(`out of date: ${EGRESS_HELPER_FILE} (run \`npm run build:egress-helper\`)`);
      process.exit(1);
    }
    console.log('the egress helper is up to date');
  } else {
    writeFileSync(EGRESS_HELPER_FILE, source);
    console.log(`wrote ${EGRESS_HELPER_FILE} (${(source.length / 1024).toFixed(0)} KiB)`);
  }
}
