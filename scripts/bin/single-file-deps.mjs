// zod and yaml are about 170 module files; finding, reading and linking them costs some 80 ms
// of every `ptb` start, more than checking the whole repository. This serves each as one file
// instead: an esbuild bundle of the installed version, made on first use and kept in
// node_modules/.cache/ptb (its name carries the version, so an upgrade makes a new one).
// Only imports from the project's own code are redirected; with esbuild or the cache folder
// missing, everything loads from node_modules as usual.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire, registerHooks } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const PACKAGES = ['zod', 'yaml'];

/** Installs the resolve hook; returns the packages it serves from single files. */
export async function serveSingleFileDeps(cacheDir) {
  const require = createRequire(import.meta.url);
  const urls = {};
  for (const name of PACKAGES) {
    try {
      const { version } = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8'));
      const file = join(cacheDir, `${name}-${version}.mjs`);
      if (!existsSync(file)) await build(require, name, file);
      urls[name] = pathToFileURL(file).href;
    } catch {
      // No esbuild, a read-only cache: this package loads from node_modules.
    }
  }
  registerHooks({
    resolve(specifier, context, next) {
      const url = urls[specifier];
      if (url && !context.parentURL?.includes('/node_modules/')) return { url, format: 'module', shortCircuit: true };
      return next(specifier, context);
    },
  });
  return Object.keys(urls);
}

async function build(require, name, file) {
  const esbuild = require('esbuild');
  // Every export by name, whether the package is ESM (zod) or CommonJS (yaml); some names
  // (null, enum, ...) are reserved words, so each is exported through a local alias.
  const names = Object.keys(await import(name)).filter((n) => n !== 'default' && /^[A-Za-z_$][\w$]*$/.test(n));
  const contents = [
    `import * as ns from ${JSON.stringify(name)};`,
    ...names.map((n, i) => `const e${i} = ns[${JSON.stringify(n)}];`),
    `export { ${names.map((n, i) => `e${i} as ${n}`).join(', ')} };`,
    'export default ns.default;',
  ].join('\n');
  const result = await esbuild.build({
    stdin: { contents, resolveDir: dirname(require.resolve(`${name}/package.json`)), loader: 'js' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    write: false,
    logLevel: 'silent',
    // CommonJS inside an ES module still needs a require (yaml asks for "process").
    banner: { js: "import { createRequire as __ptbRequire } from 'node:module'; const require = __ptbRequire(import.meta.url);" },
  });
  mkdirSync(dirname(file), { recursive: true });
  // Written whole, then renamed: two first runs at once never read half a file.
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, result.outputFiles[0].contents);
  renameSync(partial, file);
}
