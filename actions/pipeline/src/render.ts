import { type CellResult, type Diagnostic, findBaseModel, percent as pct, type ResolvedDefinition } from '@ptb/core';
import type { Evaluation } from './aggregate.ts';
import { cellOf } from './cells.ts';
import { COMMAND_HELP } from './commands.ts';
import type { RunPlan } from './plan.ts';

/**
 * Markdown for the sticky comment and the job summary. Anything that came from a PR (file
 * names, YAML keys, values) goes through `text` or `code` so that it cannot inject HTML
 * comments, mentions or markup into the bot's comment.
 */
export function text(s: string): string {
  return s.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c] ?? c).replace(/@(?=\w)/g, '@\u200b');
}

export function code(s: string): string {
  return `\`${s.replace(/`/g, "'").replace(/<!--/g, '<!- -').replace(/\r?\n/g, ' ')}\``;
}

const short = (sha: string) => sha.slice(0, 7);

export function renderDiagnostics(diagnostics: readonly Diagnostic[], headSha: string): string {
  const lines = [
    `### ❌ The submission has ${diagnostics.length} problem${diagnostics.length === 1 ? '' : 's'} (head ${short(headSha)})`,
    '',
  ];
  for (const d of diagnostics) {
    const where = d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file;
    const field = d.field ? ` field ${code(d.field)}` : '';
    const expected = d.expected ? ` (expected ${text(d.expected)})` : '';
    lines.push(`- ${code(where)}${field}: ${text(d.message)}${expected}`);
    if (d.hint) lines.push(`  - hint: ${text(d.hint)}`);
  }
  lines.push(
    '',
    'Fix these and push again; this comment updates itself. `npx ptb validate submissions/<id>` shows the same locally.',
  );
  return lines.join('\n');
}

export function renderRefusal(problems: readonly string[], headSha: string): string {
  return [
    `### 🚫 This pull request cannot be evaluated (head ${short(headSha)})`,
    '',
    ...problems.map((p) => `- ${p}`),
    '',
    'A submission pull request changes exactly one `submissions/<id>/` folder: its `submission.yaml` (and optionally a `README.md`).',
  ].join('\n');
}

const hours = (h: number) => (h >= 48 ? `${h} h (${(h / 24).toFixed(1)} days)` : `${h} h`);

export function renderPlan(plan: RunPlan, headSha: string, manifestSha256: string, approveLabel: string): string {
  return [
    `### ✅ \`submissions/${plan.submissionId}/submission.yaml\` is valid (head ${short(headSha)})`,
    '',
    '**Run plan**',
    '',
    '| | |',
    '|---|---|',
    `| benchmark definition | ${plan.definitionVersion} |`,
    `| cells | ${plan.cells} = ${plan.seeds} seed${plan.seeds === 1 ? '' : 's'} × ${plan.baseModels} base models × ${plan.benchmarks} benchmarks |`,
    `| budget per cell | ${plan.budgetHours} h on ${plan.gpusPerCell} GPU |`,
    `| GPU-hours | ${plan.gpuHours} |`,
    `| runner labels | ${plan.runnerLabels.map((l) => `\`${l}\``).join(', ')} |`,
    `| expected wall time | ${hours(plan.wallHours)}: ${plan.waves} wave${plan.waves === 1 ? '' : 's'} of up to ${plan.concurrent} cells on a fleet of ${plan.fleetSize} |`,
    `| environment | \`${plan.environment}\` (required reviewers) |`,
    '',
    `A maintainer starts the runs of exactly this head with the \`${approveLabel}\` label or by commenting`,
    '',
    `    /ptb run ${headSha}`,
    '',
    'Pushing a changed manifest afterwards stops the approval; the new head needs a new one.',
    `<!-- ptb:validated head=${headSha} manifest=${manifestSha256} -->`,
  ].join('\n');
}

export function readValidated(section: string | undefined): { head: string; manifest: string } | null {
  const m = /<!-- ptb:validated head=([0-9a-f]{40}) manifest=([0-9a-f]{64}) -->/.exec(section ?? '');
  return m?.[1] && m[2] ? { head: m[1], manifest: m[2] } : null;
}

export function renderStatus(lines: readonly string[]): string {
  return ['### Evaluation', '', ...lines, '', `Commands for maintainers: ${COMMAND_HELP}.`].join('\n');
}

export interface ReportContext {
  headSha: string;
  manifestSha256: string;
  runUrl: string;
  /** Cells whose job ended without a usable result, with why. */
  failed: readonly { id: string; reason: string }[];
}

/** The scores: per base model x benchmark grid, weighted score, baselines, rank, flags, links. */
export function renderScores(def: ResolvedDefinition, ev: Evaluation, cells: readonly CellResult[], ctx: ReportContext): string {
  const { row } = ev;
  const out: string[] = [`### Scores (head ${short(ctx.headSha)}, manifest sha256 ${ctx.manifestSha256.slice(0, 12)})`, ''];
  const score = row.score ? `${pct(row.score.mean)}${row.score.std !== null ? ` ± ${pct(row.score.std)}` : ''}` : 'n/a';
  const complete = ev.pending.length === 0;
  out.push(
    `**Weighted score: ${score}** over ${row.score?.runs ?? 0} run${row.score?.runs === 1 ? '' : 's'}` +
      (row.rank !== null ? ` — would rank **#${row.rank}${row.tied ? ' (tied)' : ''} of ${ev.rankedAgents}**` : '') +
      (complete
        ? ''
        : ` — provisional: ${ev.pending.length} cell${ev.pending.length === 1 ? '' : 's'} without a result count as missing`),
    '',
  );
  const benchmarks = def.benchmarks.map((b) => b.id);
  out.push(`| base model | ${benchmarks.join(' | ')} |`, `|---|${benchmarks.map(() => '---:').join('|')}|`);
  for (const m of def.baseModels) {
    const values = benchmarks.map((b) => {
      const cell = row.cells.find((c) => c.baseModel === m.id && c.benchmark === b);
      if (!cell) return '–';
      return `${pct(cell.mean)}${cell.penalties.length > 0 ? ' ⚠' : ''}`;
    });
    out.push(`| ${m.key} | ${values.join(' | ')} |`);
  }
  out.push(
    `| **mean** | ${benchmarks.map((b) => (row.benchmarks[b] == null ? '–' : `**${pct(row.benchmarks[b] ?? 0)}**`)).join(' | ')} |`,
  );
  out.push(`| weight | ${benchmarks.map((b) => (def.weights.values[b] ?? 0).toFixed(3)).join(' | ')} |`, '');
  out.push(
    'Values in %, mean over seeds. ⚠ marks a penalised cell (the penalty replaces it with the base model’s zero-shot score).',
    '',
  );

  const refs = ev.leaderboard.rows.filter((r) => r.kind === 'reference' && r.score);
  if (refs.length > 0)
    out.push(`**Baselines:** ${refs.map((r) => `${text(r.displayName)} ${pct(r.score?.mean ?? 0)}`).join(' · ')}`, '');

  const penalties = row.cells.flatMap((c) => c.penalties.map((p) => ({ c, p })));
  if (penalties.length > 0) {
    out.push('**Penalised cells**', '');
    for (const { c, p } of penalties) {
      const key = findBaseModel(def, c.baseModel)?.key ?? c.baseModel;
      out.push(`- ${key}/${c.benchmark}/${p.seed}: ${p.reason} — ${text(p.detail)}`);
    }
    out.push('');
  }
  const findings = cells.flatMap((c) => c.integrity.map((f) => ({ c, f })));
  if (findings.length > 0) {
    out.push('**Integrity findings**', '');
    for (const { c, f } of findings) {
      out.push(`- ${cellOf(def, c).id}: **${f.severity}** ${code(f.check)}: ${text(f.summary)}`);
      for (const e of f.evidence.slice(0, 5)) out.push(`  - ${code(e)}`);
    }
    out.push('');
  }
  if (ctx.failed.length > 0) {
    out.push(
      '**Cells that did not finish** (infrastructure failures: they count as missing until a maintainer retries them)',
      '',
    );
    for (const f of ctx.failed) out.push(`- ${f.id}: ${text(f.reason)} — retry with \`/ptb retry ${f.id} ${ctx.headSha}\``);
    out.push('');
  }
  const links = cells.flatMap((c) =>
    c.provenance.kind === 'verified'
      ? c.provenance.links.map((l) => `[${text(cellOf(def, c).id)} ${text(l.label)}](${l.url})`)
      : [],
  );
  out.push(`Links: [workflow run and logs](${ctx.runUrl})${links.length > 0 ? ` · ${links.join(' · ')}` : ''}`);
  return out.join('\n');
}
