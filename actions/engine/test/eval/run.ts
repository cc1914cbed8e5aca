#!/usr/bin/env node
/**
 * `npm run test:eval`: every v1 benchmark scored end to end by its real evaluator through
 * our verifier (see harness.ts), against a scripted model whose score is known in advance
 * (fixtures/eval/expected.json). One line per benchmark, then "N passed, N failed".
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, requireEvalEnv, runStack, V1 } from './harness.ts';

const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, { value: number }>;
const fmt = (x: number) => String(Math.round(x * 1e6) / 1e6);
let passed = 0;
let failed = 0;
let ready = true;
try {
  requireEvalEnv();
} catch (e) {
  ready = false;
  console.log(`evaluation environment: ${e instanceof Error ? e.message : String(e)}`);
}
const only = process.argv.slice(2);
for (const b of V1.benchmarks) {
  if (only.length && !only.includes(b.id)) continue;
  const want = expected[b.id]?.value;
  if (want === undefined) {
    console.log(`benchmark ${b.id}: FAIL no expected score in fixtures/eval/expected.json`);
    failed++;
    continue;
  }
  if (!ready) {
    console.log(`benchmark ${b.id}: FAIL evaluation environment not installed`);
    failed++;
    continue;
  }
  try {
    const run = await runStack(b.id);
    const o = run.outcome;
    if (!o.ok) {
      const tail = run.evaluatorLog.split('\n').filter(Boolean).slice(-8).join(' | ');
      console.log(`benchmark ${b.id}: FAIL ${o.fault}${o.source ? `/${o.source}` : ''}: ${o.reason}`);
      if (process.env.PTB_EVAL_VERBOSE) console.log(tail);
      failed++;
    } else if (Math.abs((o.summary.value as number) - want) > 1e-9) {
      console.log(`benchmark ${b.id}: FAIL expected ${fmt(want)} got ${fmt(o.summary.value as number)}`);
      failed++;
    } else if (run.judge && run.judge.refused.length > 0) {
      console.log(`benchmark ${b.id}: FAIL the judge refused ${run.judge.refused.length} requests: ${run.judge.refused[0]}`);
      failed++;
    } else {
      console.log(`benchmark ${b.id}: PASS expected ${fmt(want)} got ${fmt(o.summary.value as number)}`);
      passed++;
    }
  } catch (e) {
    console.log(`benchmark ${b.id}: FAIL ${e instanceof Error ? e.message : String(e)}`);
    failed++;
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
