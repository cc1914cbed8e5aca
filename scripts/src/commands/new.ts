import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Diagnostic, REASONING_EFFORTS, SCAFFOLD_IDS, validateManifestBytes } from '@ptb/core';
import { findRepoRoot } from '@ptb/core/files';
import { stringify } from 'yaml';
import { type Command, EXIT, type Io } from '../cli-kit.ts';
import { SCHEMA_DIR } from './schemas.ts';

interface Field {
  flag: string;
  /** The manifest field it fills, as diagnostics name it. */
  field: string;
  question?: string;
  required: boolean;
  fallback?: string;
}

/** In the order they are asked; --email is a flag only. */
const FIELDS: Field[] = [
  { flag: 'id', field: 'id', question: 'Submission id (lower-case slug, e.g. my-agent-opus-4-6)', required: true },
  { flag: 'name', field: 'displayName', question: 'Display name', required: true },
  { flag: 'scaffold', field: 'agent.scaffold', question: `Scaffold (${SCAFFOLD_IDS.join(', ')})`, required: true },
  { flag: 'scaffold-version', field: 'agent.version', question: 'Exact scaffold version (e.g. 2.1.3)', required: true },
  { flag: 'model', field: 'agent.model', question: 'Model id the scaffold drives (e.g. claude-opus-4-6)', required: true },
  {
    flag: 'effort',
    field: 'agent.reasoningEffort',
    question: `Reasoning effort (${REASONING_EFFORTS.join(', ')})`,
    required: false,
    fallback: 'default',
  },
  { flag: 'runs', field: 'runs', question: 'Runs (seeds), 1 to 5', required: false, fallback: '3' },
  { flag: 'contact-name', field: 'contact.name', question: 'Your name', required: true },
  { flag: 'github', field: 'contact.github', question: 'Your GitHub user name (optional)', required: false },
  { flag: 'email', field: 'contact.email', required: false },
  { flag: 'description', field: 'description', question: 'One-paragraph description', required: true },
];

type Answers = Record<string, string | undefined>;
type Values = Record<string, string | boolean | string[] | undefined>;

export const command: Command = {
  usage: `Usage: ptb new [--id <slug>] [--name <text>] [--scaffold <id>] [--scaffold-version <x.y.z>]
               [--model <id>] [--effort <level>] [--runs <n>] [--reprompt]
               [--contact-name <text>] [--github <user>] [--email <address>]
               [--description <text>] [--dry-run] [--force]

In a terminal, asks for anything not given; an answer that does not fit is asked again,
with the reason, and the other answers are kept. Without a terminal every required flag
must be given. Nothing is written until the whole manifest is valid.

Scaffolds: ${SCAFFOLD_IDS.join(', ')}
Efforts:   ${REASONING_EFFORTS.join(', ')}

Options:
  --dry-run   print the manifest instead of writing it
  --force     overwrite an existing submissions/<id>/submission.yaml

Exit codes: 0 written, 1 the answers do not make a valid manifest, 2 bad usage, the folder
already exists, or the input ended before every answer was given.`,
  options: {
    id: { type: 'string' },
    name: { type: 'string' },
    scaffold: { type: 'string' },
    'scaffold-version': { type: 'string' },
    model: { type: 'string' },
    effort: { type: 'string' },
    runs: { type: 'string' },
    reprompt: { type: 'boolean', default: false },
    'contact-name': { type: 'string' },
    github: { type: 'string' },
    email: { type: 'string' },
    description: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    force: { type: 'boolean', default: false },
  },
  async run({ values }, io) {
    const answers: Answers = {};
    for (const f of FIELDS) answers[f.flag] = typeof values[f.flag] === 'string' ? (values[f.flag] as string) : undefined;
    const repoRoot = findRepoRoot(io.cwd);
    const interactive = io.isTTY && io.ask !== undefined;
    if (!interactive) {
      for (const f of FIELDS) answers[f.flag] ??= f.fallback;
      const missing = FIELDS.filter((f) => f.required && answers[f.flag] === undefined).map((f) => `--${f.flag}`);
      if (missing.length > 0) {
        io.err(`missing: ${missing.join(', ')} (not a terminal, so nothing can be asked)\n\n${command.usage}`);
        return EXIT.usage;
      }
      const problems = check(answers, values);
      if (problems.length > 0) {
        for (const p of problems) io.err(describe(p, answers));
        io.err('nothing written: fix the values above and run again');
        return EXIT.invalid;
      }
      const taken = takenBy(answers.id, repoRoot, values);
      if (taken) {
        io.err(taken);
        return EXIT.usage;
      }
      return write(answers, values, repoRoot, io);
    }
    const complete = await askUntilValid(answers, values, repoRoot, io);
    if (complete === 'ended') {
      io.err('\ninput ended before every answer was given: nothing written');
      return EXIT.usage;
    }
    if (complete.length > 0) {
      // Problems no question can fix (there are none today; a new rule could add one).
      for (const p of complete) io.err(describe(p, answers));
      io.err('nothing written');
      return EXIT.invalid;
    }
    return write(answers, values, repoRoot, io);
  },
};

/**
 * Asks each missing or refused field until its answer fits, then checks the manifest as a
 * whole and asks again for any field a cross-field rule refuses. Returns the problems left
 * that belong to no question, or 'ended' when the input ran out.
 */
async function askUntilValid(answers: Answers, values: Values, repoRoot: string, io: Io): Promise<Diagnostic[] | 'ended'> {
  const ask = io.ask as NonNullable<Io['ask']>;
  const askField = async (f: Field, reason: string | undefined): Promise<boolean> => {
    let why = reason;
    for (;;) {
      if (why) io.err(`  not accepted: ${why}`);
      const raw = await ask(`${f.question}${f.fallback ? ` [${f.fallback}]` : ''}: `);
      if (raw === undefined) return false;
      const answer = raw.trim();
      if (answer === '' && f.fallback === undefined && f.required) {
        why = 'an answer is required here';
        continue;
      }
      answers[f.flag] = answer === '' ? f.fallback : answer;
      why = reasonFor(f, answers, values, repoRoot);
      if (!why) return true;
    }
  };
  for (const f of FIELDS) {
    if (answers[f.flag] !== undefined) {
      // Given as a flag: asked only when it does not fit.
      const why = reasonFor(f, answers, values, repoRoot);
      if (why && f.question && !(await askField(f, why))) return 'ended';
      continue;
    }
    if (!f.question) continue;
    if (!(await askField(f, undefined))) return 'ended';
  }
  // Rules that look at several fields at once are checked on the whole manifest.
  for (let round = 0; round < 10; round++) {
    const problems = check(answers, values);
    const refused = FIELDS.filter((f) => f.question && problems.some((p) => belongsTo(p, f)));
    if (refused.length === 0) return problems;
    for (const f of refused) if (!(await askField(f, reasonFor(f, answers, values, repoRoot)))) return 'ended';
  }
  return check(answers, values);
}

/** Why the answer to one field is refused, checked with the others given so far. */
function reasonFor(f: Field, answers: Answers, values: Values, repoRoot: string): string | undefined {
  if (f.flag === 'id') {
    const taken = takenBy(answers.id, repoRoot, values);
    if (taken) return taken;
  }
  const problem = check(answers, values).find((p) => belongsTo(p, f) && p.code !== 'missing-field');
  return problem ? explain(problem) : undefined;
}

function belongsTo(p: Diagnostic, f: Field): boolean {
  return p.field === f.field || p.field.startsWith(`${f.field}.`);
}

/** The manifest the answers make, validated as `ptb validate` would. */
function check(answers: Answers, values: Values): Diagnostic[] {
  const id = answers.id ?? 'id-not-given';
  return validateManifestBytes(new TextEncoder().encode(manifestText(answers, values)), `submissions/${id}/submission.yaml`, id)
    .diagnostics;
}

function manifestText(answers: Answers, values: Values): string {
  const runs = Number(answers.runs);
  const manifest = {
    id: answers.id,
    displayName: answers.name,
    benchmarkVersion: 'v1',
    description: answers.description,
    contact: {
      name: answers['contact-name'],
      ...(answers.github ? { github: answers.github } : {}),
      ...(answers.email ? { email: answers.email } : {}),
    },
    links: [],
    agent: {
      scaffold: answers.scaffold,
      version: answers['scaffold-version'],
      model: answers.model,
      reasoningEffort: answers.effort,
      reprompt: values.reprompt === true,
      options: {},
    },
    runs: answers.runs !== undefined && Number.isInteger(runs) ? runs : answers.runs,
  };
  return `# yaml-language-server: $schema=../../${SCHEMA_DIR}/submission.schema.json\n${stringify(manifest)}`;
}

function explain(p: Diagnostic): string {
  return `${p.message}${p.expected ? ` (expected ${p.expected})` : ''}${p.hint ? `; ${p.hint}` : ''}`;
}

/** A problem named by the flag and value it came from: the manifest has not been written. */
function describe(p: Diagnostic, answers: Answers): string {
  const f = FIELDS.find((x) => belongsTo(p, x));
  const given = f && answers[f.flag] !== undefined ? ` ${JSON.stringify(answers[f.flag])}` : '';
  return `${f ? `--${f.flag}${given}` : p.field || 'manifest'}: ${explain(p)}`;
}

function takenBy(id: string | undefined, repoRoot: string, values: Values): string | undefined {
  if (id === undefined || values.force || values['dry-run']) return undefined;
  return existsSync(join(repoRoot, 'submissions', id, 'submission.yaml'))
    ? `submissions/${id}/submission.yaml already exists; choose another id, or pass --force to overwrite it`
    : undefined;
}

function write(answers: Answers, values: Values, repoRoot: string, io: Io): number {
  const text = manifestText(answers, values);
  if (values['dry-run']) {
    io.out(text.trimEnd());
    return EXIT.ok;
  }
  const id = String(answers.id);
  const folder = join(repoRoot, 'submissions', id);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'submission.yaml'), text);
  io.err(`wrote submissions/${id}/submission.yaml; next: npx ptb validate submissions/${id}, then open a pull request`);
  return EXIT.ok;
}
