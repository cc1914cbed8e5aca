/// <reference lib="dom" />
/**
 * The site in a real browser (Debian's Chromium through playwright-core), built under a
 * GitHub Pages project path so that every link must respect `base`.
 */
import { mkdirSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { buildLeaderboard, Leaderboard } from '@ptb/core';
import { findRepoRoot, loadDefinition, loadSubmissions } from '@ptb/core/files';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CHROME, CHROME_FLAGS } from '../tools/chrome.ts';
import { lighthouseScores } from '../tools/lighthouse.ts';
import { startServer } from '../tools/serve.ts';
import { buildSite, SITE_DIR } from './build.ts';

const BASE = '/ptb/';
const SHOTS = join(SITE_DIR, '..', 'test-output', 'screenshots');

const def = loadDefinition('v1');
const { submissions } = loadSubmissions(findRepoRoot(SITE_DIR));
const expected = buildLeaderboard(def, submissions);

let dist = '';
let server: Server;
let url = '';
let browser: Browser;

beforeAll(async () => {
  dist = buildSite(BASE);
  ({ server, url } = await startServer({ dir: dist, base: BASE }));
  browser = await chromium.launch({ executablePath: CHROME, args: CHROME_FLAGS });
  mkdirSync(SHOTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
  if (dist) rmSync(dist, { recursive: true, force: true });
});

async function open(path = '', options: { js?: boolean; width?: number; height?: number } = {}): Promise<Page> {
  const context = await browser.newContext({
    javaScriptEnabled: options.js ?? true,
    viewport: { width: options.width ?? 1366, height: options.height ?? 900 },
  });
  const page = await context.newPage();
  const response = await page.goto(`${url}${path}`);
  expect(response?.status(), `${path}`).toBe(200);
  return page;
}

const rowOf = (page: Page, id: string) => page.locator(`#leaderboard tbody.agents tr[data-id="${id}"]`);
const cellText = async (page: Page, id: string, bench: string) =>
  ((await rowOf(page, id).locator(`td[data-bench="${bench}"]`).textContent()) ?? '').trim().replace(/†.*$/s, '');

describe('home page', () => {
  test('shows the published ranking with every visible agent', async () => {
    const page = await open();
    const visibleAgents = expected.rows.filter((r) => r.kind === 'agent' && !r.hidden);
    expect(await page.locator('#leaderboard tbody.agents tr').count()).toBe(visibleAgents.length);
    const opus = rowOf(page, 'opus-4.6');
    expect((await opus.locator('td').first().textContent())?.trim()).toBe('2');
    expect(await opus.locator('td.score').textContent()).toMatch(/23\.2\s*±\s*1\.8/);
    const instruct = page.locator('#leaderboard tbody.refs tr[data-id="official-instruct"]');
    expect(await instruct.locator('td.score').textContent()).toContain('51.1');
    expect(await page.locator('tbody.agents tr[data-id="gpt-5.3-codex"]').count()).toBe(0); // hidden: superseded
    expect(await page.title()).toContain('PostTrainBench');
  });

  test('the base-model selector shows one base model: Opus 4.6 on Qwen3 4B Base', async () => {
    const page = await open();
    await page.getByRole('link', { name: 'Qwen3 4B Base' }).click();
    await page.waitForURL(`${url}models/qwen3-4b-base/`);
    expect(await cellText(page, 'opus-4.6', 'bfcl')).toBe('96.7');
    const single = buildLeaderboard(def, submissions, 'Qwen/Qwen3-4B-Base');
    const opus = single.rows.find((r) => r.submissionId === 'opus-4.6');
    expect((await rowOf(page, 'opus-4.6').locator('td').first().textContent())?.trim()).toBe(
      `${opus?.rank}${opus?.tied ? '=' : ''}`,
    );
    expect(await page.getByRole('link', { name: 'Qwen3 4B Base' }).getAttribute('aria-current')).toBe('page');
    // Agents published only as a headline have no per-model score.
    expect((await rowOf(page, 'gpt-5.1-codex-max-high').locator('td.score').textContent())?.trim()).toBe('n/a');
  });

  test('the scaffold filter hides the other scaffolds', async () => {
    const page = await open();
    await page.selectOption('#scaffold-filter', 'opencode');
    const rows = page.locator('#leaderboard tbody.agents tr:not([hidden])');
    const n = expected.rows.filter((r) => r.kind === 'agent' && !r.hidden && r.scaffold === 'opencode').length;
    expect(await rows.count()).toBe(n);
    for (const s of await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.scaffold)))
      expect(s).toBe('opencode');
    expect(await page.locator('#filter-count').textContent()).toContain(`${n} of`);
  });

  test('sorting by a column orders the rows by its values, both ways', async () => {
    const page = await open();
    const header = page.locator('#leaderboard thead th[data-key="bfcl"] button');
    await header.click();
    const values = async () =>
      (
        await page
          .locator('#leaderboard tbody.agents td[data-bench="bfcl"]')
          .evaluateAll((tds) => tds.map((td) => (td as HTMLElement).dataset.v ?? ''))
      )
        .filter((v) => v !== '')
        .map(Number);
    const desc = await values();
    expect(desc).toEqual([...desc].sort((a, b) => b - a));
    expect(await page.locator('#leaderboard thead th[data-key="bfcl"]').getAttribute('aria-sort')).toBe('descending');
    await header.click();
    const asc = await values();
    expect(asc).toEqual([...asc].sort((a, b) => a - b));
    // Keyboard: the sort control is a button reachable with Tab and pressed with Enter.
    await page.locator('#leaderboard thead th[data-key="name"] button').focus();
    await page.keyboard.press('Enter');
    expect(await page.locator('#leaderboard thead th[data-key="name"]').getAttribute('aria-sort')).toBe('ascending');
  });

  test('a penalised cell says why on focus and in text', async () => {
    const page = await open();
    const mark = rowOf(page, 'sonnet-4.6').locator('td[data-bench="bfcl"] button.pen');
    await mark.focus();
    const tip = rowOf(page, 'sonnet-4.6').locator('td[data-bench="bfcl"] .tip');
    expect(await tip.isVisible()).toBe(true);
    expect(await tip.textContent()).toMatch(/flagged: original-judge/);
    await page.locator('details.penalties summary').click();
    expect(await page.locator('details.penalties').textContent()).toMatch(/Sonnet 4\.6.*BFCL.*flagged/s);
  });

  test('with JavaScript off the table is complete and ranked', async () => {
    const page = await open('', { js: false });
    const ids = await page
      .locator('#leaderboard tbody.agents tr')
      .evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.id));
    expect(ids).toEqual(expected.rows.filter((r) => r.kind === 'agent' && !r.hidden).map((r) => r.submissionId));
    expect(await page.locator('#leaderboard tbody.refs tr[data-id]').count()).toBe(3);
    expect(await page.locator('#theme').isHidden()).toBe(true);
    expect(await page.locator('.controls').isHidden()).toBe(true);
  });

  test('dark mode toggles and is remembered', async () => {
    const page = await open();
    await page.locator('#theme').click();
    const theme = await page.evaluate(() => document.documentElement.dataset.theme);
    expect(['dark', 'light']).toContain(theme);
    await page.reload();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(theme);
  });
});

describe('navigation', () => {
  test('every internal link of every page resolves under the base path', async () => {
    const page = await open();
    const seen = new Set<string>();
    const queue = [url];
    const broken: string[] = [];
    while (queue.length > 0 && seen.size < 400) {
      const next = queue.shift() ?? '';
      if (seen.has(next)) continue;
      seen.add(next);
      const head = await page.request.get(next);
      if (head.status() !== 200) {
        broken.push(`${next} -> ${head.status()}`);
        continue;
      }
      if (!(head.headers()['content-type'] ?? '').includes('text/html')) continue;
      await page.goto(next);
      const hrefs = await page.locator('a[href]').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
      for (const raw of hrefs) {
        const h = raw.split('#')[0] ?? '';
        if (!h.startsWith(url.replace(/\/ptb\/$/, ''))) continue; // external
        if (!h.startsWith(url)) broken.push(`${next} links outside the base: ${h}`);
        else if (!seen.has(h)) queue.push(h);
      }
    }
    expect(broken).toEqual([]);
    expect(seen.size).toBeGreaterThan(40);
  });
});

describe('other pages', () => {
  test('a submission page shows the manifest, grid, runs, findings and provenance', async () => {
    const page = await open('submissions/sonnet-4.6/');
    expect(await page.locator('h1').textContent()).toBe('Sonnet 4.6');
    expect(await page.locator('#integrity ~ .finding').count()).toBe(2);
    expect(await page.textContent('main')).toMatch(/Imported from aisa-group\/posttrainbench-website at commit 49cdae1/);
    expect(await page.textContent('main')).toMatch(/scaffold: claude-code/);
    expect(await page.locator('main table tbody tr').count()).toBe(4);
  });

  test('benchmark pages rank agents on that benchmark', async () => {
    const page = await open('benchmarks/bfcl/');
    const first = (await page.locator('main table tbody tr').first().locator('th').textContent()) ?? '';
    const best = expected.rows
      .filter((r) => (r.kind === 'reference' || r.rank !== null) && r.benchmarks.bfcl !== null && r.benchmarks.bfcl !== undefined)
      .sort((a, b) => (b.benchmarks.bfcl ?? 0) - (a.benchmarks.bfcl ?? 0))[0];
    expect(first).toContain(best?.displayName);
  });

  test('the methodology page shows the computed weights', async () => {
    const page = await open('methodology/');
    expect(await page.textContent('main')).toContain(`${(100 * (def.weights.values.aime2025 ?? 0)).toFixed(2)}%`);
  });

  test('the changelog lists when submissions were added', async () => {
    const page = await open('changelog/');
    expect(await page.locator('ol.changelog > li').count()).toBeGreaterThan(0);
    expect(await page.textContent('main')).toContain('Added:');
  });

  test('downloads: leaderboard.json equals `ptb leaderboard --json`; the CSV has every cell', async () => {
    const page = await open('downloads/');
    const json = await (await page.request.get(`${url}leaderboard.json`)).json();
    const board = Leaderboard.parse(json);
    const cli = { ...expected, rows: expected.rows.filter((r) => !r.hidden) };
    expect(board).toEqual(JSON.parse(JSON.stringify(cli)));
    const csv = await (await page.request.get(`${url}leaderboard.csv`)).text();
    const cells = cli.rows.reduce((n, r) => n + r.cells.length, 0);
    expect(csv.trim().split('\n')).toHaveLength(cells + 1);
    const schema = await (await page.request.get(`${url}schemas/leaderboard.schema.json`)).json();
    expect(schema.title).toMatch(/leaderboard/);
  });

  test('search finds an agent', async () => {
    const page = await open('search/');
    const input = page.locator('#search input');
    await input.fill('Opus');
    await page.locator('#search .pagefind-ui__result').first().waitFor({ state: 'visible', timeout: 10_000 });
    expect(await page.locator('#search .pagefind-ui__result-link').first().getAttribute('href')).toMatch(/^\/ptb\//);
  });

  test('the charts page has three SVG charts laid out by Plot', async () => {
    const page = await open('charts/');
    expect(await page.locator('figure.chart > [role="img"][aria-label]').count()).toBe(3);
    expect(await page.locator('figure.chart svg').count()).toBeGreaterThanOrEqual(3);
  });
});

describe('accessibility (axe)', () => {
  const pages = [
    ['home', ''],
    ['one base model', 'models/gemma-3-4b-pt/'],
    ['submission', 'submissions/opus-4.6/'],
    ['single-run submission', 'submissions/kimi-k2.5/'],
    ['reference', 'submissions/official-instruct/'],
    ['benchmarks', 'benchmarks/'],
    ['benchmark', 'benchmarks/healthbench/'],
    ['methodology', 'methodology/'],
    ['charts', 'charts/'],
    ['changelog', 'changelog/'],
    ['downloads', 'downloads/'],
    ['search', 'search/'],
  ] as const;
  for (const [name, path] of pages) {
    test(`${name}: no violations, light and dark`, async () => {
      for (const scheme of ['light', 'dark'] as const) {
        const context = await browser.newContext({ colorScheme: scheme });
        const page = await context.newPage();
        await page.goto(`${url}${path}`);
        const result = await new AxeBuilder({ page }).analyze();
        const summary = result.violations.map((v) => `${v.id}: ${v.nodes.length} (${v.nodes[0]?.target.join(' ')})`);
        expect(summary, `${name} (${scheme})`).toEqual([]);
        await context.close();
      }
    });
  }
});

describe('screenshots and phones', () => {
  const shots = [
    ['home', ''],
    ['submission', 'submissions/opus-4.6/'],
    ['methodology', 'methodology/'],
  ] as const;
  for (const [name, path] of shots) {
    test(`${name} at desktop and phone widths`, async () => {
      for (const [device, width, height] of [
        ['desktop', 1366, 900],
        ['phone', 390, 844],
      ] as const) {
        const page = await open(path, { width, height });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, `${name} on ${device} scrolls sideways`).toBeLessThanOrEqual(0);
        const file = join(SHOTS, `${name}-${device}.png`);
        const png = await page.screenshot({ path: file, fullPage: false });
        expect(png.length).toBeGreaterThan(10_000);
      }
    });
  }
});

test('Lighthouse: performance, accessibility, best practices and SEO at least 95 on the home page', async () => {
  const scores = await lighthouseScores(url);
  console.log(`lighthouse ${JSON.stringify(scores)}`);
  for (const [category, score] of Object.entries(scores)) expect(score, category).toBeGreaterThanOrEqual(95);
}, 120_000);

describe('verified results (generated data)', () => {
  test('a verified submission shows its provenance, harness and trace links', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { generateSubmissions } = await import('../../scripts/bench/generate.ts');
    const root = mkdtempSync(join(tmpdir(), 'ptb-site-verified-'));
    generateSubmissions(root, def, 3, 2);
    const out = buildSite('/', { PTB_DATA_ROOT: root });
    const started = await startServer({ dir: out, base: '/' });
    try {
      const page = await browser.newPage();
      await page.goto(`${started.url}submissions/generated-agent-0001/`);
      const text = (await page.textContent('main')) ?? '';
      expect(text).toContain('Run and verified by this project');
      expect(text).toMatch(/Harness\s*commit aaaaaaaaaaaa/);
      await page.locator('summary', { hasText: 'Traces and logs' }).first().click();
      expect(await page.locator('a[href="https://example.org/traces/generated-agent-0001/1"]').count()).toBe(1);
      await page.goto(started.url);
      expect(await page.locator('#leaderboard tbody.agents tr').count()).toBe(3);
      expect(await page.locator('#leaderboard .badge.verified').count()).toBe(3);
    } finally {
      started.server.close();
      rmSync(out, { recursive: true, force: true });
      rmSync(root, { recursive: true, force: true });
    }
  }, 120_000);
});
