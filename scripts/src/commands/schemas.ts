import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonSchemas } from '@ptb/core';
import { findRepoRoot } from '@ptb/core/files';
import { type Command, EXIT } from '../cli-kit.ts';

export const SCHEMA_DIR = 'actions/core/schemas';

export const command: Command = {
  usage: `Usage: ptb schemas [--check]

Writes JSON Schema files generated from the zod schemas to ${SCHEMA_DIR}/.
A manifest that starts with
  # yaml-language-server: $schema=../../${SCHEMA_DIR}/submission.schema.json
gets completion and checks in editors with the YAML language server.

Options:
  --check   write nothing; exit 1 if the committed files are out of date`,
  options: { check: { type: 'boolean', default: false } },
  async run({ values }, io) {
    const dir = join(findRepoRoot(io.cwd), SCHEMA_DIR);
    const outdated: string[] = [];
    for (const [name, schema] of Object.entries(jsonSchemas())) {
      const path = join(dir, name);
      const content = `${JSON.stringify(schema, null, 2)}\n`;
      if (values.check) {
        if (!existsSync(path) || readFileSync(path, 'utf8') !== content) outdated.push(`${SCHEMA_DIR}/${name}`);
      } else {
        mkdirSync(dir, { recursive: true });
        writeFileSync(path, content);
        io.err(`wrote ${SCHEMA_DIR}/${name}`);
      }
    }
    for (const f of outdated) io.err(`out of date: ${f} (run \`npx ptb schemas\`)`);
    return outdated.length === 0 ? EXIT.ok : EXIT.invalid;
  },
};
