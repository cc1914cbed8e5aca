import * as Plot from '@observablehq/plot';
import type { Leaderboard, ResolvedDefinition } from '@ptb/core';
import { parseHTML } from 'linkedom';

/**
 * Charts are laid out by Observable Plot on the server (a DOM from linkedom) and shipped
 * as SVG: no charting code reaches the browser.
 */
function render(options: Plot.PlotOptions, label: string): string {
  const { document } = parseHTML('<!doctype html><html><body></body></html>');
  const chart = Plot.plot({
    ...options,
    document: document as unknown as Document,
    ariaLabel: label,
    style: { background: 'transparent', color: 'currentColor', fontSize: '12px' },
  });
  chart.setAttribute('role', 'img');
  chart.setAttribute('aria-label', label);
  // The chart is one image to assistive technology; Plot's labels on inner groups would be prohibited ARIA there.
  for (const el of Array.from(chart.querySelectorAll('[aria-label], [aria-description]'))) {
    el.removeAttribute('aria-label');
    el.removeAttribute('aria-description');
  }
  return chart.outerHTML;
}

const ranked = (board: Leaderboard) => board.rows.filter((r) => r.kind === 'agent' && r.rank !== null && r.score);

export function headlineChart(board: Leaderboard): string {
  const rows = ranked(board).map((r) => ({
    agent: r.displayName,
    score: 100 * (r.score?.mean ?? 0),
    lo: 100 * ((r.score?.mean ?? 0) - (r.score?.std ?? 0)),
    hi: 100 * ((r.score?.mean ?? 0) + (r.score?.std ?? 0)),
    runs: r.score?.runs ?? 1,
  }));
  const base = board.rows.find((r) => r.submissionId === 'base-zero-shot')?.score?.mean;
  return render(
    {
      width: 760,
      height: 28 + rows.length * 22,
      marginLeft: 210,
      x: { label: 'Weighted score (%) ± std over runs', grid: true, domain: [0, Math.max(30, ...rows.map((r) => r.hi)) + 2] },
      y: { label: null, domain: rows.map((r) => r.agent) },
      marks: [
        Plot.barX(rows, { y: 'agent', x: 'score', fill: '#4c9be8' }),
        Plot.ruleY(
          rows.filter((r) => r.hi > r.lo),
          { y: 'agent', x1: 'lo', x2: 'hi', stroke: 'currentColor', strokeWidth: 1.5 },
        ),
        Plot.text(rows, { y: 'agent', x: 'hi', text: (d: { score: number }) => d.score.toFixed(1), dx: 6, textAnchor: 'start' }),
        ...(base !== undefined ? [Plot.ruleX([100 * base], { stroke: '#b45309', strokeDasharray: '4 3' })] : []),
      ],
    },
    'Bar chart of the weighted score of each ranked agent with error bars of one standard deviation over runs; the dashed line is the base models zero-shot.',
  );
}

export function timeVsScoreChart(board: Leaderboard, def: ResolvedDefinition): string {
  const rows = ranked(board)
    .filter((r) => r.timeUsed)
    .map((r) => ({
      agent: r.displayName,
      hours: r.timeUsed?.meanHours ?? 0,
      score: 100 * (r.score?.mean ?? 0),
      scaffold: r.scaffold ?? '',
    }));
  return render(
    {
      width: 760,
      height: 420,
      marginRight: 40,
      x: { label: `Time used (hours of ${def.budget.hours})`, domain: [0, def.budget.hours], grid: true },
      y: { label: 'Weighted score (%)', grid: true },
      color: { legend: true, scheme: 'tableau10' },
      marks: [
        Plot.dot(rows, { x: 'hours', y: 'score', fill: 'scaffold', r: 5 }),
        Plot.text(rows, { x: 'hours', y: 'score', text: 'agent', dy: -9, fontSize: 10 }),
      ],
    },
    'Scatter plot of time used against weighted score, one dot per agent, coloured by scaffold.',
  );
}

export function benchmarkBreakdownChart(board: Leaderboard, def: ResolvedDefinition): string {
  const agents = ranked(board).filter((r) => r.cells.length > 0);
  const cells = agents.flatMap((r) =>
    def.benchmarks.map((b) => ({ agent: r.displayName, benchmark: b.name, score: 100 * (r.benchmarks[b.id] ?? 0) })),
  );
  return render(
    {
      width: 760,
      height: 80 + agents.length * 22,
      marginLeft: 210,
      marginTop: 80,
      x: { label: null, axis: 'top', domain: def.benchmarks.map((b) => b.name), tickRotate: -30 },
      y: { label: null, domain: agents.map((r) => r.displayName) },
      color: { scheme: 'greens', domain: [0, 100] },
      marks: [
        Plot.cell(cells, { x: 'benchmark', y: 'agent', fill: 'score', inset: 0.5 }),
        Plot.text(cells, {
          x: 'benchmark',
          y: 'agent',
          text: (d: { score: number }) => d.score.toFixed(1),
          fill: (d: { score: number }) => (d.score > 60 ? 'white' : 'black'),
        }),
      ],
    },
    'Grid of per-benchmark scores (mean over base models) for each ranked agent.',
  );
}
