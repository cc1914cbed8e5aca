/**
 * `npm run test:agents`: runs the end-to-end agent cells (agents.e2e.ts) and prints one line
 * per scaffold a submission may name,
 *   scaffold <name> <version>: PASS <seconds>s <tokens> tokens   (or: FAIL <reason>)
 * then "N passed, N failed". A scaffold passes when every test under its describe block
 * passed; seconds and tokens are those of its main cell. Vitest's own output goes to
 * test-output/agents/vitest.log.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCAFFOLD_IDS } from '@ptb/core';
import { CLIS_DIR, pinnedVersions } from '../../src/agents/install.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const out = join(root, 'test-output', 'agents');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const vitest = join(createRequire(import.meta.url).resolve('vitest/package.json'), '..', 'vitest.mjs');
const log = openSync(join(out, 'vitest.log'), 'w');
const run = spawnSync(
  process.execPath,
  [
    vitest,
    'run',
    '--config',
    fileURLToPath(new URL('./vitest.config.ts', import.meta.url)),
    '--reporter=default',
    '--reporter=json',
    `--outputFile=${join(out, 'vitest.json')}`,
  ],
  { cwd: root, stdio: ['ignore', log, log] },
);

interface Assertion {
  ancestorTitles: string[];
  status: string;
  failureMessages: string[];
}
let assertions: Assertion[] = [];
try {
  const report = JSON.parse(readFileSync(join(out, 'vitest.json'), 'utf8')) as {
    testResults: { assertionResults: Assertion[]; message?: string }[];
  };
  assertions = report.testResults.flatMap((f) => f.assertionResults);
} catch {
  assertions = [];
}
const oneLine = (s: string) =>
  s
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes in vitest's messages
    .replace(/\u001b\[[0-9;]*m/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)[0]
    ?.slice(0, 240) ?? 'failed';

const pins = pinnedVersions(CLIS_DIR);
let passed = 0;
let failed = 0;
for (const scaffold of SCAFFOLD_IDS) {
  const mine = assertions.filter((a) => a.ancestorTitles[0] === `scaffold ${scaffold}`);
  const bad = mine.find((a) => a.status !== 'passed');
  const summaryFile = join(out, `${scaffold}.json`);
  let line: string;
  if (mine.length === 0)
    line = `FAIL no end-to-end test ran (run ${run.status === null ? 'killed' : `exit ${run.status}`}; see test-output/agents/vitest.log)`;
  else if (bad) line = `FAIL ${oneLine(bad.failureMessages[0] ?? bad.status)}`;
  else if (!existsSync(summaryFile)) line = 'FAIL the main cell wrote no summary';
  else {
    const s = JSON.parse(readFileSync(summaryFile, 'utf8')) as { seconds: number; tokens: number };
    line = `PASS ${s.seconds.toFixed(1)}s ${s.tokens} tokens`;
  }
  if (line.startsWith('PASS')) passed++;
  else failed++;
  console.log(`scaffold ${scaffold} ${pins[scaffold] ?? 'unpinned'}: ${line}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
