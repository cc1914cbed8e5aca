import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SITE_DIR = fileURLToPath(new URL('../', import.meta.url));
const BIN = fileURLToPath(new URL('../../node_modules/.bin/', import.meta.url));

/** Builds the site (astro + pagefind) into a fresh folder under `base`; throws with the build log on failure. */
export function buildSite(base: string, env: Record<string, string> = {}): string {
  const outDir = mkdtempSync(join(tmpdir(), 'ptb-site-'));
  // Vite lets an inherited BASE_URL (vitest sets one) override Astro's `base`: drop it and its kin.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'BASE_URL' && !k.startsWith('VITE')));
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(join(BIN, cmd), args, {
      cwd: SITE_DIR,
      encoding: 'utf8',
      env: {
        ...inherited,
        NODE_ENV: 'production',
        PATH: `${BIN}:${process.env.PATH}`,
        PTB_SITE_BASE: base,
        ASTRO_TELEMETRY_DISABLED: '1',
        ...env,
      },
    });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  };
  try {
    run('astro', ['build', '--outDir', outDir]);
    run('pagefind', ['--site', outDir, '--output-subdir', 'pagefind']);
  } catch (e) {
    rmSync(outDir, { recursive: true, force: true });
    throw e;
  }
  return outDir;
}
