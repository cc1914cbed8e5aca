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
  const all = issues.flatMap((issue) => issueToDiagnostics(file, parsed, schema, issue));
  // "agent.modle: unknown key, did you mean model?" says it all; "agent.model is missing" beside it is noise.
  const typoFor = new Set(
    all
      .filter((d) => d.code === 'unknown-key' && d.hint?.startsWith('did you mean'))
      .map((d) => {
        const parent = d.field.includes('.') ? d.field.slice(0, d.field.lastIndexOf('.') + 1) : '';
        return parent + (/"([^"]+)"/.exec(d.hint ?? '')?.[1] ?? '');
      }),
  );
  return all
    .filter((d) => !(d.code === 'missing-field' && typoFor.has(d.field)))
    .sort((a, b) => a.line - b.line || a.column - b.column);
}

function issueToDiagnostics(file: string, parsed: ParsedYaml, schema: z.ZodType, issue: Issue): Diagnostic[] {
  {
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
        if (actual === null) {
          return [
            {
              ...base,
              ...parsed.locate(path, 'key'),
              code: 'wrong-type',
              message: 'found null: the field has no value',
              expected: wanted,
              hint: 'write a value after the colon, or remove the line if the field is optional',
            },
          ];
        }
        if (issue.expected === 'string' && isBareScalar(actual))
          return [{ ...base, ...parsed.locate(path), code: 'wrong-type', ...textWanted(schema, parsed, path, actual) }];
        return [
          {
            ...base,
            ...parsed.locate(path),
            code: 'wrong-type',
            message: `found ${describeType(actual)}`,
            expected: wanted,
            hint:
              issue.expected === 'object' && Array.isArray(actual)
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
        const near = nearPath(issue);
        if (actual === undefined) {
          return [
            {
              ...base,
              ...parsed.locate(near ?? path.slice(0, -1), near ? 'key' : 'value'),
              code: 'missing-field',
              message: issue.message,
              expected: wantedFor(issue),
              hint: customHint(issue) ?? `add "${String(path.at(-1) ?? '')}:"`,
            },
          ];
        }
        if (issue.code === 'invalid_union' && isBareScalar(actual) && unionWantsText(issue))
          return [{ ...base, ...parsed.locate(path), code: 'wrong-type', ...textWanted(schema, parsed, path, actual) }];
        return [{ ...base, ...parsed.locate(path), code: 'invalid-value', ...explain(issue, actual, base.field) }];
      }
    }
  }
}

function nearPath(issue: Issue): PropertyKey[] | undefined {
  const params = (issue as { params?: { near?: PropertyKey[] } }).params;
  return params?.near;
}

function customHint(issue: Issue): string | undefined {
  return (issue as { params?: { hint?: string } }).params?.hint;
}

/** The rule a value must follow, from our own "must be ..." messages or zod's issue data. */
function wantedFor(issue: Issue): string | undefined {
  const rule = /^must be (.+)$/s.exec(issue.message);
  if (rule?.[1]) return rule[1];
  if (issue.code === 'invalid_union') {
    const inner = issue.errors.flat().find((i) => /^must be /.test(i.message));
    return inner ? inner.message.replace(/^must be /, '') : undefined;
  }
  return undefined;
}

type Explanation = { message: string; expected?: string; hint?: string };

/** Each part says something new: what is wrong, what was expected, how to fix it. */
function explain(issue: Issue, actual: unknown, field: string): Explanation {
  const found = describeType(actual);
  const advice = FIELD_ADVICE[field]?.(actual);
  switch (issue.code) {
    case 'too_small': {
      if (issue.origin === 'string' && Number(issue.minimum) <= 1)
        return { message: `${found} is empty`, expected: 'a non-empty text', hint: 'fill in a value' };
      const what = issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : '';
      const bound = `${issue.inclusive === false ? 'more than' : 'at least'} ${String(issue.minimum)}${what}`;
      return { message: `${found} is too ${issue.origin === 'string' ? 'short' : 'small'}`, expected: bound };
    }
    case 'too_big': {
      const what = issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : '';
      const bound = `${issue.inclusive === false ? 'less than' : 'at most'} ${String(issue.maximum)}${what}`;
      return { message: `${found} is too ${issue.origin === 'string' ? 'long' : 'large'}`, expected: bound };
    }
    case 'invalid_format': {
      const wanted = wantedFor(issue);
      if (wanted) return { message: advice?.message ?? `${found} is not valid`, expected: wanted, hint: advice?.hint };
      const byFormat: Record<string, [string, string]> = {
        email: ['an email address', 'write an address like name@example.org'],
        url: ['a full http(s) address', 'write an address like https://example.org/page'],
        date: ['a date written YYYY-MM-DD', 'write a real calendar date, e.g. 2026-03-09'],
        datetime: ['a time stamp such as 2026-03-09T12:00:00Z', 'use ISO 8601 in UTC'],
      };
      const [expected, hint] = byFormat[issue.format] ?? [`the ${issue.format} format`, 'check the value'];
      const noun = { email: 'email address', url: 'address', date: 'date', datetime: 'time stamp' }[issue.format as string];
      return { message: noun ? `${found} is not a valid ${noun}` : `${found} is not valid`, expected, hint };
    }
    case 'invalid_union': {
      const wanted = wantedFor(issue);
      if (wanted) return { message: advice?.message ?? `${found} is not valid`, expected: wanted, hint: advice?.hint };
      return {
        message: `${found} is not allowed here`,
        expected: 'text, a number, or true/false',
        hint: 'write a single value; nested lists and mappings are not allowed',
      };
    }
    default: {
      const wanted = wantedFor(issue);
      return {
        message: wanted ? `${found} is not valid` : `${found} is not valid: ${issue.message}`,
        ...(wanted ? { expected: wanted } : {}),
        hint: customHint(issue) ?? advice?.hint ?? (wanted ? undefined : 'see the schema description of this field'),
      };
    }
  }
}

/** A number or true/false where YAML read an unquoted word the writer meant as text. */
function isBareScalar(v: unknown): v is number | boolean {
  return typeof v === 'number' || typeof v === 'boolean';
}

/** Every alternative of the union takes text (e.g. an exact version or the word "unknown"). */
function unionWantsText(issue: Issue): boolean {
  if (issue.code !== 'invalid_union') return false;
  const alternatives = issue.errors;
  return (
    alternatives.length > 0 &&
    alternatives.every((alt) =>
      alt.some(
        (i) =>
          (i.code === 'invalid_type' && i.expected === 'string') ||
          (i.code === 'invalid_value' && i.values.every((v) => typeof v === 'string')),
      ),
    )
  );
}

/**
 * `version: 2.1` is the number 2.1 to YAML. Says so, and gives the fix: the value in quotes,
 * as written (`2.10` stays `2.10`), or the rule it must follow when quoting alone is not enough.
 */
function textWanted(schema: z.ZodType, parsed: ParsedYaml, path: readonly PropertyKey[], actual: number | boolean): Explanation {
  const written = parsed.sourceAt(path) ?? String(actual);
  const key = String(path.at(-1) ?? 'value');
  const kind = typeof actual === 'number' ? 'a number' : 'true/false';
  const quoted = schemaAt(schema, path)?.safeParse(written);
  const rule = quoted && !quoted.success ? quoted.error.issues.map(wantedFor).find(Boolean) : undefined;
  const example = rule ? /such as "([^"]+)"/.exec(rule)?.[1] : undefined;
  return {
    message: `${written} is read as ${kind}, but this field is text`,
    expected: rule ? `text: ${rule}` : 'text in quotes',
    hint:
      rule && example
        ? `write it in quotes, e.g. ${key}: "${example}" (YAML reads an unquoted ${written} as ${kind})`
        : `put it in quotes: ${key}: "${written}" (YAML reads an unquoted ${written} as ${kind})`,
  };
}

/** The schema of the field at `path`, through optional, default and object wrappers. */
function schemaAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let cur: unknown = schema;
  const unwrap = (x: unknown): unknown => {
    let c = x as { def?: { type?: string; innerType?: unknown; in?: unknown } };
    for (let guard = 0; guard < 10 && c?.def; guard++) {
      const t = c.def.type;
      if (t === 'optional' || t === 'default' || t === 'nullable' || t === 'prefault') c = c.def.innerType as typeof c;
      else if (t === 'pipe') c = c.def.in as typeof c;
      else break;
    }
    return c;
  };
  for (const p of path) {
    const obj = unwrap(cur) as { def?: { type?: string; shape?: Record<string, unknown>; element?: unknown } };
    if (obj?.def?.type === 'object' && typeof p === 'string') cur = obj.def.shape?.[p];
    else if (obj?.def?.type === 'array' && typeof p === 'number') cur = obj.def.element;
    else return undefined;
  }
  const found = unwrap(cur) as z.ZodType | undefined;
  return typeof found?.safeParse === 'function' ? found : undefined;
}

/** Advice that needs to know what the field is for. */
const FIELD_ADVICE: Record<string, (actual: unknown) => { message?: string; hint?: string } | undefined> = {
  'agent.version': (actual) => {
    if (typeof actual !== 'string') return undefined;
    const pinned = actual.replace(/^\s*(?:[\^~]|[<>]=?|=)\s*v?/, '');
    const isTag = /^\s*(?:latest|next|stable|beta|canary)\s*$/i.test(actual);
    const isRange = isTag || /^\s*[\^~<>=*]|\.[x*](?:\.|$)|\|\||\s-\s/i.test(actual);
    return isRange
      ? {
          message: `the text ${JSON.stringify(actual)} ${isTag ? 'is a tag that moves' : 'is a version range'}, not one version`,
          hint: /^\d+\.\d+\.\d+$/.test(pinned)
            ? `pin the version you ran: version: "${pinned}"`
            : 'pin the exact version you ran, e.g. version: "2.1.3" (the scaffold\'s --version prints it)',
        }
      : { hint: 'write the exact version you ran, e.g. version: "2.1.3" (the scaffold\'s --version prints it)' };
  },
};
