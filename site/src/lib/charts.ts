import * as Plot from '@observablehq/plot';
import type { Leaderboard, ResolvedDefinition } from '@ptb/core';
import { parseHTML } from 'linkedom';
import { ranked } from './figures.ts';
import type { BudgetPoint } from './paper-data.ts';

/**
 * SVG charts laid out by Observable Plot on the server (a DOM from linkedom): no charting
 * code reaches the browser. Each chart comes in two sizes, shown by CSS: a wide one and one
 * drawn for a phone, so that text is never scaled below the size it was drawn at.
 */

export type Variant = 'wide' | 'narrow';

export const SIZES: Record<Variant, { width: number; font: number }> = {
  wide: { width: 760, font: 12 },
  narrow: { width: 340, font: 13 },
};

function render(options: Plot.PlotOptions, label: string, font: number): string {
  const { document } = parseHTML('<!doctype html><html><body></body></html>');
  const chart = Plot.plot({
    ...options,
    document: document as unknown as Document,
    ariaLabel: label,
    style: { background: 'transparent', color: 'currentColor', fontSize: `${font}px`, overflow: 'visible' },
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

/** Colours that read on light and dark backgrounds, one per scaffold (and per series of the paper's figures). */
export const PALETTE = ['#4e79a7', '#e8762b', '#d6404b', '#3f9f98', '#59a14f', '#b9971b', '#af7aa1'];

export function scaffoldColours(board: Leaderboard): Map<string, string> {
  const scaffolds = [...new Set(ranked(board).flatMap((r) => (r.scaffold ? [r.scaffold] : [])))].sort();
  return new Map(scaffolds.map((s, i) => [s, PALETTE[i % PALETTE.length] ?? '#888']));
}

export interface Placed {
  x: number;
  y: number;
  text: string;
  anchor: 'start' | 'end' | 'middle';
  /** Placed away from its point: drawn with a leader line. */
  far?: boolean;
}

/**
 * Greedy label placement: each point (in pixels) tries right, left, above and below, then
 * farther out, and takes the first spot that overlaps no placed label, no point and stays
 * inside the plot. Labels that find no spot are left out; the table under the chart lists all.
 */
export function placeLabels(
  points: { px: number; py: number; text: string }[],
  area: { left: number; right: number; top: number; bottom: number },
  font: number,
  radius = 5,
): (Placed | null)[] {
  const boxes: { x0: number; x1: number; y0: number; y1: number }[] = points.map((p) => ({
    x0: p.px - radius,
    x1: p.px + radius,
    y0: p.py - radius,
    y1: p.py + radius,
  }));
  const width = (text: string) => text.length * font * 0.58;
  const h = font * 1.15;
  const overlaps = (b: { x0: number; x1: number; y0: number; y1: number }) =>
    boxes.some((o) => b.x0 < o.x1 && b.x1 > o.x0 && b.y0 < o.y1 && b.y1 > o.y0);
  return points.map((p) => {
    const w = width(p.text);
    const gap = radius + 3;
    for (const far of [0, 6, 14, 24, 36]) {
      const d = gap + far;
      const up = p.py - h / 2 - 2 - far;
      const down = p.py + h / 2 + 2 + far;
      const candidates: Placed[] = [
        { x: p.px + d, y: p.py, text: p.text, anchor: 'start' },
        { x: p.px - d, y: p.py, text: p.text, anchor: 'end' },
        { x: p.px, y: up, text: p.text, anchor: 'middle' },
        { x: p.px, y: down, text: p.text, anchor: 'middle' },
        { x: p.px + radius, y: up, text: p.text, anchor: 'start' },
        { x: p.px + radius, y: down, text: p.text, anchor: 'start' },
        { x: p.px - radius, y: up, text: p.text, anchor: 'end' },
        { x: p.px - radius, y: down, text: p.text, anchor: 'end' },
      ];
      for (const c of candidates) {
        const x0 = c.anchor === 'start' ? c.x : c.anchor === 'end' ? c.x - w : c.x - w / 2;
        const box = { x0, x1: x0 + w, y0: c.y - h / 2, y1: c.y + h / 2 };
        const inside = box.x0 >= area.left && box.x1 <= area.right && box.y0 >= area.top && box.y1 <= area.bottom;
        if (inside && !overlaps(box)) {
          boxes.push(box);
          return { ...c, far: far > 0 };
        }
      }
    }
    return null;
  });
}

export interface ScatterPoint {
  id: string;
  agent: string;
  rank: number;
  hours: number;
  score: number;
  scaffold: string;
}

export function timeScoreData(board: Leaderboard): ScatterPoint[] {
  return ranked(board)
    .filter((r) => r.timeUsed)
    .map((r) => ({
      id: r.submissionId,
      agent: r.displayName,
      rank: r.rank ?? 0,
      hours: r.timeUsed?.meanHours ?? 0,
      score: 100 * (r.score?.mean ?? 0),
      scaffold: r.scaffold ?? '',
    }));
}

/** Time used against score, one dot per agent coloured by scaffold; names (wide) or ranks (narrow) as labels. */
export function timeVsScoreChart(board: Leaderboard, def: ResolvedDefinition, variant: Variant): string {
  const { width, font } = SIZES[variant];
  const data = timeScoreData(board);
  const colours = scaffoldColours(board);
  const height = variant === 'wide' ? 540 : 400;
  const margin = { left: 44, right: 12, top: 16, bottom: 40 };
  const yMax = Math.ceil((Math.max(10, ...data.map((d) => d.score)) + 1) / 5) * 5;
  const yMin = Math.max(0, Math.floor((Math.min(...data.map((d) => d.score)) - 1) / 5) * 5);
  const xMax = def.budget.hours;
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const px = (h: number) => margin.left + (h / xMax) * plotW;
  const py = (s: number) => height - margin.bottom - ((s - yMin) / (yMax - yMin)) * plotH;
  const placed = placeLabels(
    data.map((d) => ({ px: px(d.hours), py: py(d.score), text: variant === 'wide' ? d.agent : String(d.rank) })),
    { left: margin.left, right: width - margin.right, top: margin.top, bottom: height - margin.bottom },
    variant === 'wide' ? 11 : font,
  );
  const labels = placed.flatMap((p, i) => {
    const d = data[i];
    if (!p || !d) return [];
    const hours = ((p.x - margin.left) / plotW) * xMax;
    const score = yMin + ((height - margin.bottom - p.y) / plotH) * (yMax - yMin);
    return [{ ...p, hours, score, from: d }];
  });
  const textMarks = (['start', 'end', 'middle'] as const).map((anchor) =>
    Plot.text(
      labels.filter((l) => l.anchor === anchor),
      {
        x: 'hours',
        y: 'score',
        text: 'text',
        textAnchor: anchor,
        fontSize: variant === 'wide' ? 11 : font,
        fill: 'currentColor',
      },
    ),
  );
  return render(
    {
      width,
      height,
      marginLeft: margin.left,
      marginRight: margin.right,
      marginTop: margin.top,
      marginBottom: margin.bottom,
      x: { label: `Time used (hours of ${xMax})`, domain: [0, xMax], grid: true, labelAnchor: 'center', labelArrow: 'none' },
      // The y title is HTML above the chart: inside, it would sit on the top tick.
      y: { label: null, domain: [yMin, yMax], grid: true },
      marks: [
        Plot.link(
          labels.filter((l) => l.far),
          {
            x1: (l: (typeof labels)[number]) => l.from.hours,
            y1: (l: (typeof labels)[number]) => l.from.score,
            x2: 'hours',
            y2: 'score',
            stroke: 'currentColor',
            strokeOpacity: 0.45,
          },
        ),
        Plot.dot(data, {
          x: 'hours',
          y: 'score',
          r: 5,
          fill: (d: ScatterPoint) => colours.get(d.scaffold) ?? '#888',
          stroke: 'currentColor',
          strokeWidth: 0.5,
        }),
        ...textMarks,
      ],
    } as Plot.PlotOptions,
    'Scatter plot of the time each agent used against its weighted score, one dot per agent, coloured by scaffold.',
    font,
  );
}

/** The paper's time-budget ablation: score after 1, 2, 5 and 10 hours, one line per agent. */
export function budgetChart(points: BudgetPoint[], variant: Variant, colours: Map<string, string>): string {
  const { width, font } = SIZES[variant];
  const yMax = Math.ceil((Math.max(...points.map((p) => p.score)) + 2) / 5) * 5;
  return render(
    {
      width,
      height: variant === 'wide' ? 320 : 280,
      marginLeft: 44,
      marginRight: 16,
      marginBottom: 40,
      x: {
        label: 'Time budget (hours)',
        domain: [0, 10],
        ticks: [1, 2, 5, 10],
        grid: true,
        labelAnchor: 'center',
        labelArrow: 'none',
      },
      y: { label: null, domain: [0, yMax], grid: true },
      marks: [
        Plot.line(points, {
          x: 'hours',
          y: 'score',
          z: 'agent',
          stroke: (d: BudgetPoint) => colours.get(d.agent) ?? '#888',
          strokeWidth: 2,
        }),
        Plot.dot(points, { x: 'hours', y: 'score', fill: (d: BudgetPoint) => colours.get(d.agent) ?? '#888', r: 4 }),
      ],
    } as Plot.PlotOptions,
    'Line chart of the score three agents reach with a budget of 1, 2, 5 and 10 hours.',
    font,
  );
}
