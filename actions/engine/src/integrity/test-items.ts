import { join } from 'node:path';
import { BUNDLES_DIR } from '../paths.ts';
import { readBounded } from '../safe-fs.ts';
import { benchmarkTestItems, type EvaluationEnvironment, type TestItemsRead } from '../verify/environment.ts';

const MAX_BUNDLE_ITEMS_BYTES = 256 * 2 ** 20;

/** Test items of a bundle (its evaluator's test.jsonl): the question, input or prompt of each line. */
export function bundleTestItems(evaluatorDir: string): TestItemsRead {
  const file = readBounded(join(evaluatorDir, 'test.jsonl'), MAX_BUNDLE_ITEMS_BYTES);
  if (!file) return { kind: 'none' };
  if (file.truncated) return { kind: 'unreadable', why: `test.jsonl is larger than ${MAX_BUNDLE_ITEMS_BYTES} bytes` };
  const items: { id: string; text: string }[] = [];
  const lines = file.bytes.toString('utf8').split('\n');
  for (const [i, line] of lines.entries()) {
    if (!line.trim()) continue;
    try {
      const item = JSON.parse(line) as Record<string, unknown>;
      const text = [item.question, item.input, item.prompt].find((v) => typeof v === 'string') as string | undefined;
      items.push({ id: String(item.id ?? items.length + 1), text: text ?? '' });
    } catch {
      return { kind: 'unreadable', why: `test.jsonl:${i + 1} is not valid JSON` };
    }
  }
  return { kind: 'items', items };
}

/**
 * The test items the contamination scan looks for in a cell: its bundle's, or those the
 * evaluation environment reads from the data cache (Inspect on the host). Read once the agent
 * runs, so that the cell's end does not wait for Python and the data files.
 */
export async function cellTestItems(cell: {
  bundle: string | null;
  inspectOnHost: boolean;
  benchmark: Parameters<typeof benchmarkTestItems>[0];
  evalEnvironment: EvaluationEnvironment;
}): Promise<TestItemsRead> {
  if (cell.bundle) return bundleTestItems(join(BUNDLES_DIR, cell.bundle, 'evaluator'));
  if (cell.inspectOnHost) return benchmarkTestItems(cell.benchmark, cell.evalEnvironment);
  return { kind: 'none' };
}
