/**
 * Site figures: build time from the repository's data and from 1,000 generated
 * submissions with 3 runs each (goal: < 60 s), and the bytes a visitor transfers for the
 * home page, gzip-compressed as served, split into HTML, CSS and JS (goal: < 30 KB, JS < 20 KB).
 *   npm run bench:site
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadDefinition } from '@ptb/core/files';
import { chromium } from 'playwright-core';
import { generateSubmissions } from '../../scripts/bench/generate.ts';
import { buildSite } from '../test/build.ts';
import { CHROME, CHROME_FLAGS } from './chrome.ts';
import { startServer } from './serve.ts';

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

function timedBuild(label: string, env: Record<string, string> = {}): string {
  const start = performance.now();
  const dir = buildSite('/', env);
  console.log(`build (astro + pagefind), ${label}: ${((performance.now() - start) / 1000).toFixed(1)} s`);
  return dir;
}

async function homeBytes(dir: string): Promise<void> {
  const { server, url } = await startServer({ dir, base: '/' });
  const browser = await chromium.launch({ executablePath: CHROME, args: CHROME_FLAGS });
  try {
    const page = await browser.newPage();
    const sizes: { type: string; url: string; bytes: number }[] = [];
    page.on('requestfinished', async (request) => {
      const s = await request.sizes();
      sizes.push({ type: request.resourceType(), url: request.url(), bytes: s.responseBodySize + s.responseHeadersSize });
    });
    await page.goto(url, { waitUntil: 'networkidle' });
    const html = await page.content();
    const inline = (re: RegExp) => [...html.matchAll(re)].map((m) => m[1] ?? '').join('');
    const inlineCss = gzipSync(inline(/<style[^>]*>([\s\S]*?)<\/style>/g)).length;
    const inlineJs = gzipSync(inline(/<script[^>]*>([\s\S]*?)<\/script>/g)).length;
    const by = (t: string) => sizes.filter((s) => s.type === t).reduce((a, s) => a + s.bytes, 0);
    const total = sizes.reduce((a, s) => a + s.bytes, 0);
    const doc = by('document');
    console.log(`home page transferred (gzip, with headers): ${kb(total)} in ${sizes.length} request(s)`);
    console.log(
      `  HTML document: ${kb(doc)} (of which inline CSS ~${kb(inlineCss)}, inline JS ~${kb(inlineJs)} compressed alone)`,
    );
    console.log(
      `  CSS files: ${kb(by('stylesheet'))}, JS files: ${kb(by('script'))}, other: ${kb(total - doc - by('stylesheet') - by('script'))}`,
    );
    console.log(`  JS in total: ~${kb(by('script') + inlineJs)}`);
  } finally {
    await browser.close();
    server.close();
  }
}

const repoBuild = timedBuild('repository data');
await homeBytes(repoBuild);
rmSync(repoBuild, { recursive: true, force: true });

const root = mkdtempSync(join(tmpdir(), 'ptb-site-bench-'));
try {
  generateSubmissions(root, loadDefinition('v1'), 1000, 3);
  const big = timedBuild('1,000 generated submissions x 3 runs', { PTB_DATA_ROOT: root });
  rmSync(big, { recursive: true, force: true });
} finally {
  rmSync(root, { recursive: true, force: true });
}
