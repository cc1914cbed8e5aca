import {
  capacityPlan,
  type Demand,
  demandOf,
  formatDiagnostic,
  poissonArrivals,
  simulateQueue,
  validateSubmissions,
} from '@ptb/core';
import { findRepoRoot, listDefinitionVersions, loadDefinition, readSourcesForPaths } from '@ptb/core/files';
import { type Command, EXIT } from '../cli-kit.ts';
import { renderTable } from '../table.ts';

const hoursText = (h: number) => (h >= 48 ? `${(h / 24).toFixed(1)} d` : `${h.toFixed(1)} h`);

function numberList(text: string, flag: string): number[] {
  const values = text.split(',').map((s) => Number(s.trim()));
  if (values.some((v) => !Number.isFinite(v) || v <= 0))
    throw new Error(`--${flag} takes positive numbers separated by commas (got "${text}")`);
  return values;
}

export const command: Command = {
  usage: `Usage: ptb plan [submission folders...] [--gpus 8,64,256] [--price <per GPU-hour>]
                [--runs <n>] [--overhead-minutes <m>] [--definition v1] [--json]
       ptb plan --simulate [--per-week <submissions>] [--count <n>] [--seed <n>] [--gpus ...]

Without folders, plans one hypothetical submission of --runs seeds (default 3). Each cell
holds one GPU for the budget of the definition plus the overhead (preflight and
verification); all cells of a definition last the same, so the wall time on G GPUs is
ceil(cells / G) waves of one cell.

--simulate queues --count submissions arriving at random (Poisson, --per-week on average,
reproducible from --seed) first come first served, and reports the mean wait before a
submission's first cell starts, the mean time to its last result, and GPU utilisation.

Exit codes: 0 ok, 1 invalid submissions, 2 bad usage.`,
  options: {
    gpus: { type: 'string', default: '8,64,256' },
    price: { type: 'string' },
    runs: { type: 'string', default: '3' },
    'overhead-minutes': { type: 'string', default: '20' },
    definition: { type: 'string', default: 'v1' },
    simulate: { type: 'boolean', default: false },
    'per-week': { type: 'string', default: '2' },
    count: { type: 'string', default: '52' },
    seed: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
  async run({ values, positionals }, io) {
    let gpus: number[];
    let runs: number;
    let overheadHours: number;
    let price: number | undefined;
    try {
      gpus = numberList(String(values.gpus), 'gpus').map(Math.floor);
      runs = numberList(String(values.runs), 'runs')[0] ?? 3;
      overheadHours = Number(values['overhead-minutes']) / 60;
      if (!(overheadHours >= 0)) throw new Error('--overhead-minutes takes a number of minutes, 0 or more');
      price = values.price === undefined ? undefined : numberList(String(values.price), 'price')[0];
    } catch (e) {
      io.err(e instanceof Error ? e.message : String(e));
      return EXIT.usage;
    }
    const def = loadDefinition(String(values.definition));
    let demands: Demand[];
    if (positionals.length > 0) {
      const root = findRepoRoot(io.cwd);
      const check = validateSubmissions(readSourcesForPaths(positionals, root, io.cwd), listDefinitionVersions());
      if (check.diagnostics.length > 0) {
        for (const d of check.diagnostics) io.err(formatDiagnostic(d));
        return EXIT.invalid;
      }
      demands = check.submissions.flatMap((s) =>
        s.manifest.kind === 'agent' ? [demandOf(def, s.manifest.id, s.manifest.runs, overheadHours)] : [],
      );
    } else {
      demands = [demandOf(def, `hypothetical (${runs} runs)`, runs, overheadHours)];
    }

    if (values.simulate) {
      const perWeek = Number(values['per-week']);
      const count = Math.floor(Number(values.count));
      if (!(perWeek > 0) || !(count > 0)) {
        io.err('--per-week and --count take positive numbers');
        return EXIT.usage;
      }
      const template = demands[0] ?? demandOf(def, 'x', runs, overheadHours);
      const arrivals = poissonArrivals(count, perWeek, template, Number(values.seed));
      const results = gpus.map((g) => ({ gpus: g, ...simulateQueue(arrivals, Math.floor(g / template.gpusPerCell)) }));
      if (values.json) {
        io.out(
          JSON.stringify(
            results.map(({ outcomes: _o, ...r }) => r),
            null,
            2,
          ),
        );
        return EXIT.ok;
      }
      io.out(`${count} submissions of ${template.cells} cells arriving ${perWeek} per week on average (seed ${values.seed})\n`);
      io.out(
        renderTable(
          ['GPUs', 'mean wait', 'mean turnaround', 'worst turnaround', 'utilisation'],
          results.map((r) => [
            String(r.gpus),
            hoursText(r.meanWaitHours),
            hoursText(r.meanTurnaroundHours),
            hoursText(r.maxTurnaroundHours),
            `${(100 * r.utilisation).toFixed(0)}%`,
          ]),
          [true, true, true, true, true],
        ),
      );
      return EXIT.ok;
    }

    const plans = gpus.map((g) => capacityPlan(demands, g, price));
    if (values.json) {
      io.out(JSON.stringify({ definition: def.version, overheadHours, demands, plans }, null, 2));
      return EXIT.ok;
    }
    const cellHours = def.budget.hours + overheadHours;
    io.out(
      `${demands.map((d) => d.submissionId).join(', ')}: ${demands.reduce((n, d) => n + d.cells, 0)} cells of ${def.budget.hours} h on ${def.budget.gpu.count} x ${def.budget.gpu.model} (+${Math.round(overheadHours * 60)} min overhead each)\n`,
    );
    io.out(
      renderTable(
        ['GPUs', 'cells', 'GPU-hours', 'cost', 'waves', 'wall time'],
        plans.map((p) => [
          String(p.gpus),
          String(p.cells),
          p.gpuHours.toFixed(0),
          p.cost === null ? '-' : p.cost.toFixed(0),
          String(p.waves),
          hoursText(p.makespanHours),
        ]),
        [true, true, true, true, true, true],
      ),
    );
    io.out(`\nOne cell takes ${hoursText(cellHours)} of wall time; more GPUs than cells do not help.`);
    return EXIT.ok;
  },
};
