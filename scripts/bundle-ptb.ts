/**
 * Bundles the `ptb` command line into one ESM file that needs no node_modules: for GPU
 * machines that receive only the repository and a Node binary (docs/runner-acceptance.md).
 *   node scripts/bundle-ptb.ts [outfile]    (default dist/ptb.mjs)
 * Data folders are found through PTB_DEFINITIONS_DIR and PTB_ENGINE_DIR at run time.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));
const outfile = resolve(process.argv[2] ?? `${root}dist/ptb.mjs`);
const result = await build({
  entryPoints: [`${root}scripts/src/ptb.ts`],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  // Some dependencies still call require(); ESM output needs one defined.
  banner: {
    js: "import { createRequire as __ptbCreateRequire } from 'node:module'; const require = __ptbCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
  metafile: true,
});
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`bundled ptb into ${outfile} (${(bytes / 1024).toFixed(0)} KiB)`);
