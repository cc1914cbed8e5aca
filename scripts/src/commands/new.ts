import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatDiagnostic, REASONING_EFFORTS, SCAFFOLD_IDS, validateManifestBytes } from '@ptb/core';
import { findRepoRoot } from '@ptb/core/files';
import { stringify } from 'yaml';
import { type Command, EXIT } from '../cli-kit.ts';
import { SCHEMA_DIR } from './schemas.ts';

interface Field {
  flag: string;
  question: string;
  required: boolean;
  fallback?: string;
}

const FIELDS: Field[] = [
  { flag: 'id', question: 'Submission id (lower-case slug, e.g. my-agent-opus-4-6)', required: true },
  { flag: 'name', question: 'Display name', required: true },
  { flag: 'scaffold', question: `Scaffold (${SCAFFOLD_IDS.join(', ')})`, required: true },
  { flag: 'scaffold-version', question: 'Exact scaffold version (e.g. 2.1.3)', required: true },
  { flag: 'model', question: 'Model id the scaffold drives (e.g. claude-opus-4-6)', required: true },
  { flag: 'effort', question: `Reasoning effort (${REASONING_EFFORTS.join(', ')})`, required: false, fallback: 'default' },
  { flag: 'runs', question: 'Runs (seeds), 1 to 5', required: false, fallback: '3' },
  { flag: 'contact-name', question: 'Your name', required: true },
  { flag: 'github', question: 'Your GitHub user name (optional)', required: false },
  { flag: 'description', question: 'One-paragraph description', required: true },
];

export const command: Command = {
  usage: `Usage: ptb new [--id <slug>] [--name <text>] [--scaffold <id>] [--scaffold-version <x.y.z>]
               [--model <id>] [--effort <level>] [--runs <n>] [--reprompt]
               [--contact-name <text>] [--github <user>] [--email <address>]
               [--description <text>] [--dry-run] [--force]

Asks for anything not given when run in a terminal; otherwise every required flag must be
given. The manifest is validated before it is written.

Scaffolds: ${SCAFFOLD_IDS.join(', ')}
Efforts:   ${REASONING_EFFORTS.join(', ')}

Options:
  --dry-run   print the manifest instead of writing it
  --force     overwrite an existing submissions/<id>/submission.yaml

Exit codes: 0 written, 1 the answers do not make a valid manifest, 2 bad usage or the
folder already exists.`,
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
    const answers: Record<string, string | undefined> = {};
    const missing: string[] = [];
    for (const f of FIELDS) {
      let v = typeof values[f.flag] === 'string' ? (values[f.flag] as string) : undefined;
      if (v === undefined && io.isTTY && io.ask) {
        const a = (await io.ask(`${f.question}${f.fallback ? ` [${f.fallback}]` : ''}: `)).trim();
        v = a === '' ? undefined : a;
      }
      v ??= f.fallback;
      if (v === undefined && f.required) missing.push(`--${f.flag}`);
      answers[f.flag] = v;
    }
    if (missing.length > 0) {
      io.err(`missing: ${missing.join(', ')} (not a terminal, so nothing can be asked)\n\n${command.usage}`);
      return EXIT.usage;
    }
    const runs = Number(answers.runs);
    const manifest = {
      id: answers.id,
      displayName: answers.name,
      benchmarkVersion: 'v1',
      description: answers.description,
      contact: {
        name: answers['contact-name'],
        ...(answers.github ? { github: answers.github } : {}),
        ...(typeof values.email === 'string' ? { email: values.email } : {}),
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
      runs: Number.isInteger(runs) ? runs : answers.runs,
    };
    const text = `# yaml-language-server: $schema=../../${SCHEMA_DIR}/submission.schema.json\n${stringify(manifest)}`;
    const id = String(answers.id);
    const check = validateManifestBytes(new TextEncoder().encode(text), `submissions/${id}/submission.yaml`, id);
    if (!check.manifest) {
      for (const d of check.diagnostics) io.err(formatDiagnostic(d));
      io.err('nothing written: fix the values above and run again');
      return EXIT.invalid;
    }
    if (values['dry-run']) {
      io.out(text.trimEnd());
      return EXIT.ok;
    }
    const folder = join(findRepoRoot(io.cwd), 'submissions', id);
    const path = join(folder, 'submission.yaml');
    if (existsSync(path) && !values.force) {
      io.err(`submissions/${id}/submission.yaml already exists; choose another id or pass --force`);
      return EXIT.usage;
    }
    mkdirSync(folder, { recursive: true });
    writeFileSync(path, text);
    io.err(`wrote submissions/${id}/submission.yaml; next: npx ptb validate submissions/${id}, then open a pull request`);
    return EXIT.ok;
  },
};
