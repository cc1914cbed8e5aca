/**
 * Lighthouse on the built home page: prints performance, accessibility, best practices
 * and SEO and the layout shift, and exits 1 when a score is under the bar (100).
 *   npm run lighthouse -w @ptb/site     (after npm run build -w @ptb/site)
 */
import { mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import { CHROME, CHROME_FLAGS } from './chrome.ts';
import { startServer } from './serve.ts';

export const BAR = 100;

export interface LighthouseScores {
  performance: number;
  accessibility: number;
  'best-practices': number;
  seo: number;
}

export interface LighthouseResult {
  scores: LighthouseScores;
  /** Cumulative layout shift: how much visible content moved while loading (does not depend on speed). */
  cls: number;
}

export async function lighthouseScores(url: string): Promise<LighthouseResult> {
  const profile = mkdtempSync(join(tmpdir(), 'ptb-lh-'));
  const chrome = await chromeLauncher.launch({
    chromePath: CHROME,
    chromeFlags: [...CHROME_FLAGS, `--user-data-dir=${profile}`],
    userDataDir: profile,
  });
  try {
    const result = await lighthouse(url, {
      port: chrome.port,
      output: 'json',
      logLevel: 'error',
      onlyCategories: ['performance', 'accessibility', 'best-practices', 'seo'],
    });
    const categories = result?.lhr.categories ?? {};
    const score = (k: string) => Math.round(100 * (categories[k]?.score ?? 0));
    return {
      scores: {
        performance: score('performance'),
        accessibility: score('accessibility'),
        'best-practices': score('best-practices'),
        seo: score('seo'),
      },
      cls: result?.lhr.audits['cumulative-layout-shift']?.numericValue ?? Number.NaN,
    };
  } finally {
    await chrome.kill();
    // Killed, Chromium cannot remove the folder of its singleton socket, which it keeps in
    // the temp folder and links from the profile: remove it here.
    try {
      const socketDir = dirname(readlinkSync(join(profile, 'SingletonSocket')));
      if (/\/org\.chromium\.Chromium\.\w+$/.test(socketDir)) rmSync(socketDir, { recursive: true, force: true });
    } catch {
      // no singleton socket: nothing outside the profile
    }
    rmSync(profile, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const { server, url } = await startServer({ base: process.env.PTB_SITE_BASE ?? '/' });
  try {
    const { scores, cls } = await lighthouseScores(url);
    for (const [k, v] of Object.entries(scores)) console.log(`${k.padEnd(15)} ${v}`);
    console.log(`${'layout shift'.padEnd(15)} ${cls.toFixed(3)}`);
    const under = Object.entries(scores).filter(([, v]) => v < BAR);
    if (under.length > 0) {
      console.error(`under the bar of ${BAR}: ${under.map(([k]) => k).join(', ')}`);
      process.exitCode = 1;
    }
  } finally {
    server.close();
  }
}
