import type { z } from 'zod';
import { type Diagnostic, formatPath } from './diagnostics.ts';
import type { ParsedYaml } from './yaml-source.ts';

type Issue = z.core.$ZodIssue;

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the text ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  return `${typeof v} ${String(v)}`;
}

const typeNames: Record<string, string> = {
  object: 'a mapping (key: value lines)',
  array: 'a list',
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};

/** Closest allowed key by edit distance, to turn a typo into a one-word fix. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d <= Math.max(2, Math.floor(c.length / 3)) && (!best || d < best.d)) best = { c, d };
  }
  return best?.c;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] ?? 0;
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] ?? 0;
}

/** Keys a strict object at `path` accepts, read from the schema itself. */
function allowedKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s: unknown = schema;
  const unwrap = (x: unknown): unknown => {
    let cur = x as { def?: { type?: string; innerType?: unknown; in?: unknown; element?: unknown; shape?: unknown } };
    for (let guard = 0; guard < 10 && cur?.def; guard++) {
      const t = cur.def.type;
      if (t === 'optional' || t === 'default' || t === 'nullable' || t === 'prefault') cur = cur.def.innerType as typeof cur;
      else if (t === 'pipe') cur = cur.def.in as typeof cur;
      else break;
    }
    return cur;
  };
  for (const p of path) {
    const cur = unwrap(s) as { def?: { type?: string; shape?: Record<string, unknown>; element?: unknown } };
    if (cur?.def?.type === 'object' && typeof p === 'string') s = cur.def.shape?.[p];
    else if (cur?.def?.type === 'array') s = cur.def.element;
    else return [];
  }
  const obj = unwrap(s) as { def?: { type?: string; shape?: Record<string, unknown> } };
  return obj?.def?.type === 'object' ? Object.keys(obj.def.shape ?? {}) : [];
}

/** Turns zod issues into diagnostics with positions, expectations and hints. */
export function issuesToDiagnostics(file: string, parsed: ParsedYaml, schema: z.ZodType, issues: readonly Issue[]): Diagnostic[] {
  return issues.flatMap((issue): Diagnostic[] => {
    const path = issue.path as PropertyKey[];
    const base = { file, field: formatPath(path) };
    switch (issue.code) {
      case 'unrecognized_keys': {
        const allowed = allowedKeys(schema, path);
        return issue.keys.map((key) => {
          const pos = parsed.locate([...path, key], 'key');
          const guess = closest(key, allowed);
          return {
            ...base,
            ...pos,
            field: formatPath([...path, key]),
            code: 'unknown-key' as const,
            message: `unknown key "${key}"`,
            expected: allowed.length > 0 ? `one of: ${allowed.join(', ')}` : undefined,
            hint: guess
              ? `did you mean "${guess}"?`
              : 'remove it; unknown keys are refused so that typos are not silently ignored',
          };
        });
      }
      case 'invalid_type': {
        const actual = valueAt(parsed.value, path);
        const wanted = typeNames[issue.expected] ?? issue.expected;
        if (actual === undefined) {
          const parentPos = parsed.locate(path.slice(0, -1), 'value');
          return [
            {
              ...base,
              ...parentPos,
              code: 'missing-field',
              message: `required field "${String(path.at(-1) ?? '')}" is missing`,
              expected: wanted,
              hint: `add "${String(path.at(-1) ?? '')}:" here; \`ptb new\` writes a complete example`,
            },
          ];
        }
        return [
          {
            ...base,
            ...parsed.locate(path),
            code: 'wrong-type',
            message: `found ${describeType(actual)}`,
            expected: wanted,
            hint:
              issue.expected === 'string' && typeof actual !== 'string'
                ? 'put the value in quotes to make it text'
                : issue.expected === 'object' && Array.isArray(actual)
                  ? 'write key: value lines instead of "- item" lines'
                  : undefined,
          },
        ];
      }
      case 'invalid_value': {
        const actual = valueAt(parsed.value, path);
        const choices = issue.values.map((v) => JSON.stringify(v));
        const guess = typeof actual === 'string' ? closest(actual, issue.values.map(String)) : undefined;
        return [
          {
            ...base,
            ...parsed.locate(path),
            code: 'invalid-value',
            message: `${describeType(actual)} is not allowed`,
            expected: `one of ${choices.join(', ')}`,
            hint: guess ? `did you mean "${guess}"?` : undefined,
          },
        ];
      }
      default: {
        const actual = valueAt(parsed.value, path);
        return [
          {
            ...base,
            ...parsed.locate(path),
            code: 'invalid-value',
            message: `${describeType(actual)} is not valid: ${issue.message}`,
            hint: hintFor(issue),
          },
        ];
      }
    }
  });
}

function hintFor(issue: Issue): string | undefined {
  if (issue.code === 'too_big' && issue.origin === 'number') return `use at most ${String(issue.maximum)}`;
  if (issue.code === 'too_small' && issue.origin === 'number') return `use at least ${String(issue.minimum)}`;
  if (issue.code === 'too_small' && issue.origin === 'string') return 'fill in a value';
  if (issue.code === 'invalid_format' && issue.format === 'email') return 'write an address like name@example.org';
  if (issue.code === 'invalid_format' && issue.format === 'url') return 'write a full https:// address';
  return undefined;
}
