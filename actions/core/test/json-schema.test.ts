import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonSchemas } from '@ptb/core';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const schemas = jsonSchemas();
const validateManifest = ajv.compile(schemas['submission.schema.json'] ?? {});
const validateResults = ajv.compile(schemas['results.schema.json'] ?? {});
const folders = readdirSync(join(root, 'submissions')).filter((f) => !f.startsWith('.'));

describe('the exported JSON Schemas agree with the zod schemas', () => {
  test('every committed manifest is valid for editors too', () => {
    for (const f of folders) {
      const value = parse(readFileSync(join(root, 'submissions', f, 'submission.yaml'), 'utf8'));
      expect(validateManifest(value), `${f}: ${ajv.errorsText(validateManifest.errors)}`).toBe(true);
    }
  });

  test('every committed results file is valid', () => {
    let n = 0;
    for (const f of folders) {
      const dir = join(root, 'submissions', f, 'results');
      let files: string[] = [];
      try {
        files = readdirSync(dir);
      } catch {
        continue;
      }
      for (const r of files) {
        const value = JSON.parse(readFileSync(join(dir, r), 'utf8'));
        expect(validateResults(value), `${f}/${r}: ${ajv.errorsText(validateResults.errors)}`).toBe(true);
        n++;
      }
    }
    expect(n).toBeGreaterThan(20);
  });

  test('unknown keys, unknown scaffolds and unpinned images are refused by the JSON Schema as well', () => {
    const good = parse(readFileSync(join(root, 'submissions', 'opus-4.6', 'submission.yaml'), 'utf8'));
    expect(validateManifest({ ...good, seeds: 3 })).toBe(false);
    expect(validateManifest({ ...good, agent: { ...good.agent, scaffold: 'cursor' } })).toBe(false);
    expect(validateManifest({ ...good, agent: { ...good.agent, image: 'ghcr.io/x/agent:latest' } })).toBe(false);
  });
});
