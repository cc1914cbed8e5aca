/// <reference lib="dom" />
/**
 * The site in a real browser (Debian's Chromium through playwright-core), built under a
 * GitHub Pages project path so that every link must respect `base`; a second build from
 * generated verified submissions with traces covers what the published data cannot.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { buildLeaderboard, Leaderboard, type LeaderboardRow, percent } from '@ptb/core';
import { findRepoRoot, loadDefinition, loadSubmissions } from '@ptb/core/files';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateSubmissions } from '../../scripts/bench/generate.ts';
import { CHROME, CHROME_FLAGS } from '../tools/chrome.ts';
import { lighthouseScores } from '../tools/lighthouse.ts';
import { startServer } from '../tools/serve.ts';
import { buildSite, SITE_DIR } from './build.ts';
import { backgroundLuminance, boxes, onFirstScreen, overlapping, sidewaysOverflow, smallText } from './page-checks.ts';

const BASE = '/ptb/';
const SHOTS = join(SITE_DIR, '..', 'test-output', 'screenshots');
const WIDTHS = [
  ['phone', 390, 844],
  ['desktop', 1366, 900],
] as const;

const def = loadDefinition('v1');
const { submissions } = loadSubmissions(findRepoRoot(SITE_DIR));
const expected = buildLeaderboard(def, submissions);
const row = (id: string): LeaderboardRow => {
  const r = expected.rows.find((x) => x.submissionId === id);
  if (!r) throw new Error(`no row ${id}`);
  return r;
};
const leader = expected.rows.find((r) => r.rank === 1) as LeaderboardRow;

let dist = '';
let server: Server;
let url = '';
let browser: Browser;
// The generated site: verified submissions with traces.
let genRoot = '';
let genDist = '';
let genServer: Server;
let genUrl = '';
const TRACED = 'generated-agent-0001';
const TRACE_PATH = `submissions/${TRACED}/traces/run-1/Qwen3-1.7B-Base--aime2025/`;

beforeAll(async () => {
  dist = buildSite(BASE);
  ({ server, url } = await startServer({ dir: dist, base: BASE }));
  genRoot = mkdtempSync(join(tmpdir(), 'ptb-site-verified-'));
  generateSubmissions(genRoot, def, 3, 2, { traces: true });
  // A finding on a traced cell, so the submission page must link it to its trace.
  const runFile = join(genRoot, 'submissions', TRACED, 'results', 'run-1.json');
  const run = JSON.parse(readFileSync(runFile, 'utf8'));
  run.cells[0].integrity = [
    {
      check: 'egress-denied',
      severity: 'warning',
      summary: 'asked for an instruct checkpoint of the family',
      evidence: ['GET https://huggingface.co/Qwen/Qwen3-4B/resolve/main/model.safetensors -> 403'],
    },
  ];
  writeFileSync(runFile, JSON.stringify(run));
  genDist = buildSite('/', { PTB_DATA_ROOT: genRoot });
  ({ server: genServer, url: genUrl } = await startServer({ dir: genDist, base: '/' }));
  browser = await chromium.launch({ executablePath: CHROME, args: CHROME_FLAGS });
  mkdirSync(SHOTS, { recursive: true });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
  genServer?.close();
  for (const d of [dist, genDist, genRoot]) if (d) rmSync(d, { recursive: true, force: true });
});

interface OpenOptions {
  js?: boolean;
  width?: number;
  height?: number;
  dark?: boolean;
  status?: number;
  site?: string;
}

async function open(path = '', options: OpenOptions = {}): Promise<Page> {
  const context = await browser.newContext({
    javaScriptEnabled: options.js ?? true,
    viewport: { width: options.width ?? 1366, height: options.height ?? 900 },
    colorScheme: options.dark ? 'dark' : 'light',
  });
  const page = await context.newPage();
  const response = await page.goto(`${options.site ?? url}${path}`);
  expect(response?.status(), `${path}`).toBe(options.status ?? 200);
  return page;
}

const close = (page: Page) => page.context().close();
const rowOf = (page: Page, id: string) => page.locator(`#leaderboard tbody.agents tr[data-id="${id}"]`);
const cellText = async (page: Page, id: string, bench: string) =>
  ((await rowOf(page, id).locator(`td[data-bench="${bench}"]`).textContent()) ?? '').trim().replace(/†.*$/s, '');
/** What a reader sees of an element (innerText: table cells apart, hidden parts left out), spaces collapsed. */
// biome-ignore lint/performance/useDomNodeTextContent: the rendered text is the point here
const text = async (page: Page, selector = 'main') => (await page.locator(selector).first().innerText()).replace(/\s+/g, ' ');

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
    await close(page);
  });

  test('the headline says who leads, by how much, and how much of the gap from base to instruct that is', async () => {
    const page = await open();
    const next = expected.rows.find((r) => r.rank === 2) as LeaderboardRow;
    const base = row('base-zero-shot').score?.mean ?? 0;
    const instruct = row('official-instruct').score?.mean ?? 0;
    const lead = Number(percent(leader.score?.mean)) - Number(percent(next.score?.mean));
    const closed = Math.round((100 * ((leader.score?.mean ?? 0) - base)) / (instruct - base));
    const headline = await text(page, '#headline');
    expect(headline).toContain(`${leader.displayName} leads with ${percent(leader.score?.mean)} ± ${percent(leader.score?.std)}`);
    expect(headline).toContain(`${lead.toFixed(1)} points ahead of ${next.displayName}`);
    expect(headline).toContain(`${closed}% of the way from the base models untouched (${percent(base)})`);
    expect(headline).toContain(`official instruct models (${percent(instruct)})`);
    await close(page);
  });

  test('the main chart shows every ranked agent between the instruct and base bars, in score order', async () => {
    const page = await open();
    const labels = await page.locator('#score-chart li .bar-label').allTextContents();
    const ranked = expected.rows.filter((r) => r.rank !== null);
    expect(labels).toHaveLength(ranked.length + 2);
    expect(labels[0]).toBe('Official instruct models');
    expect(labels).toContain('Base models (zero-shot)');
    expect(labels.slice(1, 3)).toEqual(ranked.slice(0, 2).map((r) => r.displayName));
    expect(await page.locator('#score-chart li.tone-instruct').count()).toBe(1);
    expect(await page.locator('#score-chart li.tone-base').count()).toBe(1);
    await close(page);
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
    await close(page);
  });

  test('the scaffold filter hides the other scaffolds in the table and in the chart, never the reference bars', async () => {
    const page = await open();
    await page.selectOption('#scaffold-filter', 'opencode');
    const rows = page.locator('#leaderboard tbody.agents tr:not([hidden])');
    const n = expected.rows.filter((r) => r.kind === 'agent' && !r.hidden && r.scaffold === 'opencode').length;
    expect(await rows.count()).toBe(n);
    for (const s of await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.scaffold)))
      expect(s).toBe('opencode');
    expect(await page.locator('#filter-count').textContent()).toContain(`${n} of`);
    const bars = page.locator('#score-chart li.tone-agent:visible');
    expect(await bars.count()).toBe(n);
    for (const s of await bars.evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.scaffold)))
      expect(s).toBe('opencode');
    expect(await page.locator('#score-chart li.tone-instruct').isVisible()).toBe(true);
    expect(await page.locator('#score-chart li.tone-base').isVisible()).toBe(true);
    await page.selectOption('#scaffold-filter', '');
    expect(await page.locator('#score-chart li.tone-agent:visible').count()).toBe(
      expected.rows.filter((r) => r.rank !== null).length,
    );
    await close(page);
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
    await close(page);
  });

  test('a penalised cell says why on focus and in text; Escape closes the tooltip until focus leaves', async () => {
    const page = await open();
    const mark = rowOf(page, 'sonnet-4.6').locator('td[data-bench="bfcl"] button.pen');
    const tip = rowOf(page, 'sonnet-4.6').locator('td[data-bench="bfcl"] .tip');
    await mark.focus();
    expect(await tip.isVisible()).toBe(true);
    expect(await tip.textContent()).toMatch(/flagged: original-judge/);
    await page.keyboard.press('Escape');
    expect(await tip.isVisible()).toBe(false);
    await page.locator('#scaffold-filter').focus();
    await mark.focus();
    expect(await tip.isVisible()).toBe(true);
    await page.locator('details.penalties summary').click();
    expect(await page.locator('details.penalties').textContent()).toMatch(/Sonnet 4\.6.*BFCL.*flagged/s);
    await close(page);
  });

  test('with JavaScript off the table and the chart are complete and ranked', async () => {
    const page = await open('', { js: false });
    const ids = await page
      .locator('#leaderboard tbody.agents tr')
      .evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.id));
    expect(ids).toEqual(expected.rows.filter((r) => r.kind === 'agent' && !r.hidden).map((r) => r.submissionId));
    expect(await page.locator('#leaderboard tbody.refs tr[data-id]').count()).toBe(3);
    expect(await page.locator('#score-chart li.tone-agent').count()).toBe(expected.rows.filter((r) => r.rank !== null).length);
    expect(await page.locator('#theme').isHidden()).toBe(true);
    expect(await page.locator('.controls').isHidden()).toBe(true);
    await close(page);
  });

  test('dark mode toggles and is remembered', async () => {
    const page = await open();
    await page.locator('#theme').click();
    const theme = await page.evaluate(() => document.documentElement.dataset.theme);
    expect(['dark', 'light']).toContain(theme);
    await page.reload();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(theme);
    await close(page);
  });

  test('the home page transfers under 30 KB compressed', async () => {
    const page = await (await browser.newContext()).newPage();
    const sizes: number[] = [];
    page.on('requestfinished', async (request) => {
      const s = await request.sizes();
      sizes.push(s.responseBodySize + s.responseHeadersSize);
    });
    await page.goto(url, { waitUntil: 'networkidle' });
    const total = sizes.reduce((a, b) => a + b, 0);
    console.log(`home page: ${(total / 1024).toFixed(1)} KB in ${sizes.length} requests`);
    expect(total).toBeLessThan(30 * 1024);
    await close(page);
  });
});

describe('labels follow the published facts', () => {
  test('Gemini 3.1 Pro is one row, run with OpenCode; Qwen3 Max ran with Claude Code', async () => {
    const page = await open();
    const names = await page.locator('#leaderboard tbody.agents th.agent a').allTextContents();
    expect(names.filter((n) => n.includes('Gemini 3.1 Pro'))).toEqual(['Gemini 3.1 Pro (OpenCode)']);
    expect(await rowOf(page, 'gemini-3.1-pro').getAttribute('data-scaffold')).toBe('opencode');
    expect((await rowOf(page, 'gemini-3.1-pro').locator('td').first().textContent())?.trim()).toBe('3');
    expect(await rowOf(page, 'qwen3-max').getAttribute('data-scaffold')).toBe('claude-code');
    expect(await page.locator('#leaderboard tr[data-scaffold="qwen-code"]').count()).toBe(0);
    expect(await page.locator('#scaffold-filter option[value="qwen-code"]').count()).toBe(0);
    await close(page);
  });

  test("Opus 4.6's page says what is known about its penalties: how many, where", async () => {
    const page = await open('submissions/opus-4.6/');
    const main = await text(page);
    expect(main).not.toContain('None recorded');
    expect(await text(page, '#stated-flags')).toMatch(/12 integrity flags in this agent's 84 runs .*most of them on HumanEval/);
    expect(await text(page, '#cells-at-base')).toContain('Qwen3 4B Base × HumanEval');
    await close(page);
  });

  test('a single-run page counts its penalties; a page of a run published only after penalties says it cannot', async () => {
    const sonnet = await open('submissions/sonnet-4.6/');
    expect(await text(sonnet, '#penalty-summary')).toMatch(/(\d+) cells penalised .*: 2 flagged, \d+ missing, \d+ broken/);
    await close(sonnet);
    const old = await open('submissions/sonnet-4.5/');
    expect(await text(old, '#penalty-summary')).toContain('cannot be counted');
    await close(old);
  });

  test('a base-model page counts 7 runs per seed and says its time is the all-models mean', async () => {
    const page = await open('models/gemma-3-4b-pt/');
    const lede = await text(page, '.lede');
    expect(lede).toContain(`(${def.benchmarks.length} runs per seed)`);
    expect(lede).not.toContain('28 runs');
    expect(await text(page, '#leaderboard thead th[data-key="time"]')).toContain('(all models)');
    expect(await text(page)).toContain('Time used is the mean over all 4 base models');
    await close(page);
  });

  test('GPT-5.1 Codex Max High and Low: the page says which source ranks them and shows the paper’s values beside', async () => {
    const home = await open();
    const note = await text(home, '#source-note');
    expect(note).toContain('GPT-5.1 Codex Max (High) 17.2 (paper 17.4)');
    expect(note).toContain('GPT-5.1 Codex Max (Low) 15.5 (paper 15.6)');
    expect(note).toContain('single_metrics_aggregated.csv');
    await close(home);
    const charts = await open('charts/');
    const table = await text(charts, '#effort-sources');
    expect(table).toMatch(/High 17\.4 ± 0\.3 GPT-5\.1 Codex Max \(High\) 17\.2 ± 0\.0/);
    expect(table).toMatch(/Low 15\.6 ± 0\.2 GPT-5\.1 Codex Max \(Low\) 15\.5 ± 0\.4/);
    await close(charts);
    const high = await open('submissions/gpt-5.1-codex-max-high/');
    expect(await text(high)).toContain("The score is single_metrics_aggregated.csv's; the paper's reasoning-effort figure");
    await close(high);
  });

  test('the changelog keeps the six dated entries of the published leaderboard, then this repository', async () => {
    const page = await open('changelog/');
    const dates = await page.locator('ol.history > li time').allTextContents();
    expect(dates).toEqual(['2026-03-22', '2026-03-08', '2026-03-03', '2026-02-24', '2026-02-20', '2026-02-19']);
    expect(await text(page, 'ol.history')).toMatch(/edited the chat template were re-run/);
    expect(await page.locator('ol.history a[href$="/submissions/opus-4.6-1m/"]').count()).toBe(1);
    expect(await page.locator('ol.changelog > li').count()).toBeGreaterThan(0);
    expect(await text(page)).toContain('Added:');
    await close(page);
  });
});

describe('the story beyond the table', () => {
  test('findings: observations, examples, flags per agent and the API-violation timeline', async () => {
    const page = await open('findings/');
    expect(await page.locator('#methods ~ .cards .card').count()).toBe(4);
    expect(await text(page)).toContain('GRPO');
    const flags = (id: string) => page.locator(`#flag-counts tr[data-id="${id}"] td`).nth(1).textContent();
    expect((await flags('opus-4.6'))?.trim()).toBe('12');
    expect((await flags('gemini-3.1-pro'))?.trim()).toBe('0');
    const sonnetFlags = row('sonnet-4.6')
      .cells.flatMap((c) => c.penalties)
      .filter((p) => p.reason === 'flagged').length;
    expect((await flags('sonnet-4.6'))?.trim()).toBe(String(sonnetFlags));
    expect((await flags('sonnet-4.5'))?.trim()).toBe('?');
    expect(await page.locator('ol.moments > li').count()).toBe(3);
    expect(await text(page, 'ol.moments')).toContain('about 3:00 left');
    expect(await page.locator('ul.examples blockquote').count()).toBeGreaterThanOrEqual(3);
    await close(page);
  });

  test('about: the paper, the team, and BibTeX that the button copies', async () => {
    const page = await open('about/');
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    expect(await page.locator('a[href="https://arxiv.org/abs/2603.08640"]').count()).toBeGreaterThan(0);
    expect(await page.locator('ul.team li').count()).toBe(7);
    const bib = (await page.textContent('#bibtex')) ?? '';
    expect(bib).toMatch(/^@article\{posttrainbench_2026,/);
    expect(bib).toContain('eprint = {2603.08640}');
    await page.locator('#copy-bibtex').click();
    await expect.poll(() => page.textContent('#copy-status')).toBe('Copied.');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(bib);
    await close(page);
    const noJs = await open('about/', { js: false });
    expect(await noJs.locator('#copy-bibtex').isHidden()).toBe(true);
    expect(await noJs.locator('#bibtex').isVisible()).toBe(true);
    await close(noJs);
  });

  test('methodology shows the pipeline, step by step', async () => {
    const page = await open('methodology/');
    expect(await page.locator('ol.pipeline > li').count()).toBe(4);
    expect(await text(page, 'ol.pipeline')).toContain('the cell scores as the base model');
    expect(await text(page)).toContain(`${(100 * (def.weights.values.aime2025 ?? 0)).toFixed(2)}%`);
    await close(page);
  });

  test("charts: time spent with its spread, the paper's figures with their data", async () => {
    const page = await open('charts/');
    const times = await page.locator('#time-chart li').count();
    expect(times).toBe(expected.rows.filter((r) => r.rank !== null && r.timeUsed).length);
    expect(await page.locator('#time-chart .whisker').count()).toBe(
      expected.rows.filter((r) => r.rank !== null && r.timeUsed?.stdHours).length,
    );
    // Two Plot charts (time against score, time budget), each drawn for wide screens and for phones.
    expect(await page.locator('figure.chart svg[role="img"][aria-label]').count()).toBe(4);
    expect(await page.locator('figure.chart svg[role="img"]:visible').count()).toBe(2);
    expect(await text(page, '#size + figure')).toMatch(/Haiku 4\.5 6\.2.*Sonnet 4\.5 9\.9.*Opus 4\.5 17\.1/);
    expect(await page.locator('table.heatmap tbody tr').count()).toBe(
      expected.rows.filter((r) => r.rank !== null && r.cells.length > 0).length,
    );
    await close(page);
  });

  test('a benchmark page names its best agent and ranks agents on it', async () => {
    const page = await open('benchmarks/bfcl/');
    const best = expected.rows
      .filter((r) => (r.kind === 'reference' || r.rank !== null) && r.benchmarks.bfcl !== null && r.benchmarks.bfcl !== undefined)
      .sort((a, b) => (b.benchmarks.bfcl ?? 0) - (a.benchmarks.bfcl ?? 0));
    const first = (await page.locator('main table tbody tr').first().locator('th').textContent()) ?? '';
    expect(first).toContain(best[0]?.displayName);
    const bestAgent = best.find((r) => r.kind === 'agent');
    expect(await text(page, '#headline')).toContain(
      `Best agent: ${bestAgent?.displayName} with ${percent(bestAgent?.benchmarks.bfcl)}`,
    );
    await close(page);
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
    await close(page);
  });

  test('an unknown address answers 404 with a page that leads back', async () => {
    const page = await open('no-such-page/', { status: 404 });
    expect(await page.locator('h1').textContent()).toBe('Page not found');
    await page.getByRole('link', { name: 'The leaderboard' }).click();
    await page.waitForURL(url);
    expect(await page.locator('#leaderboard').count()).toBe(1);
    await close(page);
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
    await close(page);
  });

  test('downloads: leaderboard.json equals `ptb leaderboard --json`; the CSV has every cell, the time, the headline-only rows', async () => {
    const page = await open('downloads/');
    const json = await (await page.request.get(`${url}leaderboard.json`)).json();
    const board = Leaderboard.parse(json);
    const cli = { ...expected, rows: expected.rows.filter((r) => !r.hidden) };
    expect(board).toEqual(JSON.parse(JSON.stringify(cli)));
    const csv = (await (await page.request.get(`${url}leaderboard.csv`)).text()).trim().split('\n');
    const cells = cli.rows.reduce((n, r) => n + Math.max(1, r.cells.length), 0);
    expect(csv).toHaveLength(cells + 1);
    const header = (csv[0] ?? '').split(',');
    expect(header).toContain('time_used_hours');
    expect(header).toContain('time_used_std_hours');
    const high = csv.filter((l) => l.startsWith('gpt-5.1-codex-max-high,'));
    expect(high).toHaveLength(1);
    const fields = (high[0] ?? '').split(',');
    expect(Number(fields[header.indexOf('time_used_hours')])).toBeCloseTo(
      row('gpt-5.1-codex-max-high').timeUsed?.meanHours ?? -1,
      9,
    );
    expect(fields[header.indexOf('base_model')]).toBe('');
    const schema = await (await page.request.get(`${url}schemas/leaderboard.schema.json`)).json();
    expect(schema.title).toMatch(/leaderboard/);
    await close(page);
  });

  test('search finds an agent', async () => {
    const page = await open('search/');
    const input = page.locator('#search input');
    await input.fill('Opus');
    await page.locator('#search .pagefind-ui__result').first().waitFor({ state: 'visible', timeout: 10_000 });
    expect(await page.locator('#search .pagefind-ui__result-link').first().getAttribute('href')).toMatch(/^\/ptb\//);
    await close(page);
  });
});

/** Every page type, at a phone's width and a laptop's. */
const PAGE_TYPES: [string, string, 'real' | 'generated'][] = [
  ['home', '', 'real'],
  ['base-model', 'models/qwen3-4b-base/', 'real'],
  ['submission', 'submissions/opus-4.6/', 'real'],
  ['single-run-submission', 'submissions/kimi-k2.5/', 'real'],
  ['headline-only-submission', 'submissions/gpt-5.1-codex-max-high/', 'real'],
  ['reference', 'submissions/official-instruct/', 'real'],
  ['benchmarks', 'benchmarks/', 'real'],
  ['benchmark', 'benchmarks/bfcl/', 'real'],
  ['charts', 'charts/', 'real'],
  ['findings', 'findings/', 'real'],
  ['methodology', 'methodology/', 'real'],
  ['changelog', 'changelog/', 'real'],
  ['about', 'about/', 'real'],
  ['downloads', 'downloads/', 'real'],
  ['search', 'search/', 'real'],
  ['not-found', 'no-such-page/', 'real'],
  ['verified-submission', `submissions/${TRACED}/`, 'generated'],
  ['trace', TRACE_PATH, 'generated'],
];

describe('every page type at 390 and 1366 px: no sideways scrolling, no text under 11 px; screenshots', () => {
  for (const [name, path, site] of PAGE_TYPES) {
    test(name, async () => {
      for (const [device, width, height] of WIDTHS) {
        const page = await open(path, {
          width,
          height,
          site: site === 'real' ? url : genUrl,
          status: name === 'not-found' ? 404 : 200,
        });
        if (name === 'search') await page.locator('#search input').waitFor({ state: 'visible' });
        expect(await sidewaysOverflow(page), `${name} at ${width} px scrolls sideways`).toBeLessThanOrEqual(0);
        expect(await smallText(page), `${name} at ${width} px`).toEqual([]);
        const png = await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: false });
        expect(png.length, device).toBeGreaterThan(10_000);
        await close(page);
      }
    });
  }
});

describe('the leader and its score on the first screen, at 390 and 1366 px', () => {
  const views: [string, string, () => { name: string; score: string }][] = [
    ['home', '', () => ({ name: leader.displayName, score: percent(leader.score?.mean) })],
    ...def.baseModels.map((m): [string, string, () => { name: string; score: string }] => [
      m.displayName,
      `models/${m.key.toLowerCase()}/`,
      () => {
        const top = buildLeaderboard(def, submissions, m.id).rows.find((r) => r.rank === 1) as LeaderboardRow;
        return { name: top.displayName, score: percent(top.score?.mean) };
      },
    ]),
    [
      'benchmark',
      'benchmarks/gsm8k/',
      () => {
        const top = expected.rows
          .filter((r) => r.rank !== null && r.benchmarks.gsm8k !== null && r.benchmarks.gsm8k !== undefined)
          .sort((a, b) => (b.benchmarks.gsm8k ?? 0) - (a.benchmarks.gsm8k ?? 0))[0] as LeaderboardRow;
        return { name: top.displayName, score: percent(top.benchmarks.gsm8k) };
      },
    ],
  ];
  for (const [name, path, who] of views) {
    test(name, async () => {
      const { name: leaderName, score } = who();
      for (const [, width, height] of WIDTHS) {
        const page = await open(path, { width, height });
        expect(await onFirstScreen(page, '#headline'), `${name} at ${width} px`).toBe(true);
        const headline = await text(page, '#headline');
        expect(headline).toContain(leaderName);
        expect(headline).toContain(score);
        await close(page);
      }
    });
  }

  test('charts: the top agent bar and its score', async () => {
    for (const [, width, height] of WIDTHS) {
      const page = await open('charts/', { width, height });
      const bar = '#scores-chart li.tone-agent';
      expect(await onFirstScreen(page, bar), `charts at ${width} px`).toBe(true);
      const first = await text(page, bar);
      expect(first).toContain(leader.displayName);
      expect(first).toContain(`${percent(leader.score?.mean)} ± ${percent(leader.score?.std)}`);
      await close(page);
    }
  });
});

describe('layout defects of the issue, each checked', () => {
  test('390 px: benchmark pages and single-run submission pages fit the screen', async () => {
    const singleRun = expected.rows.filter((r) => r.kind === 'agent' && r.score?.runs === 1 && r.cells.length > 0);
    expect(singleRun.length).toBeGreaterThan(5);
    const paths = [
      ...def.benchmarks.map((b) => `benchmarks/${b.id}/`),
      ...singleRun.map((r) => `submissions/${r.submissionId}/`),
    ];
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const wide: string[] = [];
    for (const path of paths) {
      await page.goto(`${url}${path}`);
      const overflow = await sidewaysOverflow(page);
      if (overflow > 0) wide.push(`${path}: ${overflow} px too wide`);
    }
    expect(wide).toEqual([]);
    await context.close();
  });

  test('390 px: chart text is drawn at 11 px or more', async () => {
    const page = await open('charts/', { width: 390, height: 844 });
    const svgText = await page.locator('figure.chart svg text:visible').count();
    expect(svgText).toBeGreaterThan(20);
    expect(await smallText(page)).toEqual([]);
    await close(page);
  });

  test('390 px: the score shows beside the sticky agent column', async () => {
    const page = await open('', { width: 390, height: 844 });
    const first = page.locator('#leaderboard tbody.agents tr').first();
    await first.scrollIntoViewIfNeeded();
    const agent = await first.locator('th.agent').boundingBox();
    const score = await first.locator('td.score').boundingBox();
    expect(agent?.width ?? 999).toBeLessThanOrEqual(0.45 * 390);
    expect((score?.x ?? 999) + (score?.width ?? 0)).toBeLessThanOrEqual(390);
    expect(await first.locator('td.score').textContent()).toContain(percent(leader.score?.mean));
    await close(page);
  });

  test('1366 px: the scatter labels every agent and no two labels overlap', async () => {
    const page = await open('charts/');
    const names = new Set(expected.rows.filter((r) => r.rank !== null && r.timeUsed).map((r) => r.displayName));
    const all = await boxes(page, '#scatter .svg-wide svg text');
    const labels = all.filter((b) => names.has(b.text));
    expect(new Set(labels.map((l) => l.text))).toEqual(names);
    expect(overlapping(all)).toEqual([]);
    await close(page);
  });

  test('390 px: the phone scatter labels every agent by rank without overlaps', async () => {
    const page = await open('charts/', { width: 390, height: 844 });
    const ranks = expected.rows.filter((r) => r.rank !== null && r.timeUsed).map((r) => String(r.rank));
    const all = await boxes(page, '#scatter .svg-narrow svg text');
    expect(all.map((b) => b.text).filter((t) => ranks.includes(t)).length).toBeGreaterThanOrEqual(ranks.length);
    expect(overlapping(all)).toEqual([]);
    await close(page);
  });

  test('the score bars are drawn to scale at 390 and 1366 px', async () => {
    for (const [, width, height] of WIDTHS) {
      const page = await open('', { width, height });
      const widthOf = async (sel: string) => (await page.locator(`#score-chart ${sel} .bar`).first().boundingBox())?.width ?? 0;
      const instruct = await widthOf('li.tone-instruct');
      const top = await widthOf('li.tone-agent');
      expect(instruct, `${width} px`).toBeGreaterThan(width < 500 ? 100 : 300);
      const ratio = (leader.score?.mean ?? 0) / (row('official-instruct').score?.mean ?? 1);
      expect(Math.abs(top / instruct - ratio), `${width} px`).toBeLessThan(0.02);
      await close(page);
    }
  });

  test('1366 px: the chart comes before the table', async () => {
    const page = await open();
    const chart = await page.locator('#score-chart').boundingBox();
    const table = await page.locator('#leaderboard').boundingBox();
    expect(chart?.y ?? 1e9).toBeLessThan(table?.y ?? 0);
    await close(page);
  });

  test('dark mode: heat-map tiles are dark, not white', async () => {
    for (const path of ['', 'charts/']) {
      const page = await open(path, { dark: true });
      const count = await page.locator('td.heat').evaluateAll((tds) => {
        tds.forEach((td, i) => {
          td.setAttribute('data-i', String(i));
        });
        return tds.length;
      });
      expect(count).toBeGreaterThan(50);
      const measured: number[] = [];
      for (let i = 0; i < count; i += 3) measured.push(await backgroundLuminance(page, `td.heat[data-i="${i}"]`));
      expect(Math.max(...measured), path || 'home').toBeLessThan(0.3);
      expect(Math.min(...measured)).toBeGreaterThanOrEqual(0);
      await close(page);
    }
  });

  test('1366 px: "Score" stays on one line on base-model pages', async () => {
    for (const m of def.baseModels) {
      const page = await open(`models/${m.key.toLowerCase()}/`);
      const lines = await page
        .locator('#leaderboard thead th[data-key="score"] button')
        .evaluate((b) => new Set(Array.from(b.getClientRects()).map((r) => Math.round(r.top))).size);
      expect(lines, m.displayName).toBe(1);
      await close(page);
    }
  });

  test('tap targets of the controls are at least 24 px', async () => {
    for (const [, width, height] of WIDTHS) {
      const page = await open('', { width, height });
      const small: string[] = [];
      for (const selector of ['button.pen', '#scaffold-filter', '#theme', '.views a']) {
        for (const box of await page
          .locator(selector)
          .evaluateAll((els) => els.map((e) => ({ w: e.getBoundingClientRect().width, h: e.getBoundingClientRect().height }))))
          if (box.w < 24 || box.h < 24) small.push(`${selector} at ${width} px: ${box.w}x${box.h}`);
      }
      expect(small).toEqual([]);
      await close(page);
    }
  });
});

describe('trace viewer (generated verified submission)', () => {
  test('the submission links each trace, and a finding links the trace of its cell', async () => {
    const page = await open(`submissions/${TRACED}/`, { site: genUrl });
    const main = await text(page);
    expect(main).toContain('Run and verified by this project');
    expect(main).toMatch(/Harness\s*commit aaaaaaaaaaaa/);
    await page.locator('summary', { hasText: 'Traces and logs' }).first().click();
    expect(await page.locator(`a[href="https://example.org/traces/${TRACED}/1"]`).count()).toBe(1);
    expect(await page.locator(`details.traces a[href="/${TRACE_PATH}"]`).count()).toBe(1);
    expect(await page.locator('details.traces a').count()).toBe(4);
    const finding = page.locator('.finding', { hasText: 'asked for an instruct checkpoint' });
    await finding.getByRole('link', { name: 'trace' }).click();
    await page.waitForURL(`${genUrl}${TRACE_PATH}`);
    expect(await page.locator('#cell-findings').textContent()).toContain('asked for an instruct checkpoint');
    await page.goto(genUrl);
    expect(await page.locator('#leaderboard tbody.agents tr').count()).toBe(3);
    expect(await page.locator('#leaderboard .badge.verified').count()).toBe(3);
    await close(page);
  });

  test('a trace page shows messages, commands with output, files, web requests allowed and denied, evaluate calls, GPU use and time left', async () => {
    const page = await open(TRACE_PATH, { site: genUrl });
    expect(await page.locator('h1').textContent()).toBe('Trace: Qwen3 1.7B Base × AIME 2025, run 1');
    const timeline = await text(page, 'ol.events');
    expect(timeline).toContain('I will start by looking at the workspace and the GPU.');
    expect(timeline).toContain('$ python train_sft.py --epochs 1 --lr 2e-5');
    expect(timeline).toContain('torch.OutOfMemoryError: CUDA out of memory');
    expect(timeline).toMatch(/0:10:40\s*9:49:20 left/);
    expect(await text(page, '#web + .table-wrap')).toMatch(
      /denied 403 GET https:\/\/huggingface\.co\/Qwen\/Qwen3-4B.*rule: instruct checkpoints/,
    );
    expect(await page.locator('#web + .table-wrap .badge.allowed').count()).toBe(1);
    expect(await page.locator('#evaluate + .table-wrap tbody tr').count()).toBe(3);
    expect(await text(page, '#evaluate + .table-wrap')).toContain('failed');
    expect(await page.locator('#files + .table-wrap tbody tr').count()).toBe(3);
    const points = await page.locator('.usage-plot polyline.util').getAttribute('points');
    expect(points?.split(' ').length).toBe(58);
    expect(await page.locator('.usage-plot line.denied').count()).toBe(1);
    expect(await page.locator('.usage-plot line.eval').count()).toBe(3);
    await close(page);
  });

  test('without JavaScript, unticking a kind of event hides it', async () => {
    const page = await open(TRACE_PATH, { site: genUrl, js: false });
    const commands = page.locator('ol.events li.ev-tool');
    expect(await commands.first().isVisible()).toBe(true);
    expect(await page.locator('ol.events li.ev-gpu').first().isVisible()).toBe(false); // off by default
    await page.locator('#show-tool').uncheck();
    expect(await commands.first().isVisible()).toBe(false);
    await page.locator('#show-gpu').check();
    expect(await page.locator('ol.events li.ev-gpu').first().isVisible()).toBe(true);
    await close(page);
  });
});

describe('accessibility (axe)', () => {
  // Every rule in the light theme; in the dark theme only colours change, so only contrast is checked again.
  for (const [name, path, site] of PAGE_TYPES) {
    test(`${name}: no violations, light and dark`, async () => {
      for (const scheme of ['light', 'dark'] as const) {
        const context = await browser.newContext({ colorScheme: scheme });
        const page = await context.newPage();
        await page.goto(`${site === 'real' ? url : genUrl}${path}`);
        const axe = new AxeBuilder({ page });
        const result = await (scheme === 'dark' ? axe.withRules(['color-contrast']) : axe).analyze();
        const summary = result.violations.map((v) => `${v.id}: ${v.nodes.length} (${v.nodes[0]?.target.join(' ')})`);
        expect(summary, `${name} (${scheme})`).toEqual([]);
        await context.close();
      }
    });
  }
});

test('Lighthouse on the home page: accessibility, best practices and SEO 100, nothing moves while it loads', async () => {
  const { scores, cls } = await lighthouseScores(url);
  console.log(`lighthouse ${JSON.stringify(scores)} layout shift ${cls}`);
  expect(scores.accessibility).toBe(100);
  expect(scores['best-practices']).toBe(100);
  expect(scores.seo).toBe(100);
  expect(cls).toBeLessThan(0.001);
  // The performance score is timed, so it depends on the machine's load: `npm run lighthouse -w @ptb/site` measures it.
}, 120_000);
