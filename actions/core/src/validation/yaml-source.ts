import { FAILSAFE_SCHEMA, Type as JsYamlType, load as loadYaml } from 'js-yaml';
import {
  type Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  Schema,
  type YAMLError,
} from 'yaml';
import type { Diagnostic } from './diagnostics.ts';

export const MAX_MANIFEST_BYTES = 64 * 1024;

export interface Position {
  line: number;
  column: number;
}

export interface ParsedYaml {
  value: unknown;
  /** Where a field path sits in the text; the nearest existing ancestor when it is absent. */
  locate(path: readonly PropertyKey[], which?: 'key' | 'value'): Position;
  /** The value at a path as written (`2.10`, not the number 2.1), when it is a scalar. */
  sourceAt(path: readonly PropertyKey[]): string | undefined;
}

type Result = { ok: true; parsed: ParsedYaml } | { ok: false; diagnostics: Diagnostic[] };

/** Decodes bytes as strict UTF-8, or says where the first bad byte is. */
export function decodeUtf8(bytes: Uint8Array, file: string): { ok: true; text: string } | { ok: false; diagnostic: Diagnostic } {
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes) };
  } catch {
    const offset = firstInvalidUtf8Offset(bytes);
    const before = new TextDecoder('utf-8').decode(bytes.subarray(0, offset));
    const lines = before.split('\n');
    return {
      ok: false,
      diagnostic: {
        file,
        line: lines.length,
        column: (lines.at(-1)?.length ?? 0) + 1,
        field: '',
        code: 'not-utf8',
        message: `byte 0x${(bytes[offset] ?? 0).toString(16).padStart(2, '0')} at offset ${offset} is not valid UTF-8`,
        expected: 'a UTF-8 text file',
        hint: 'save the file as UTF-8 (most editors: "Save with encoding" > UTF-8)',
      },
    };
  }
}

function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (len === 0) return i;
    for (let k = 1; k < len; k++) if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(i, i + len));
    } catch {
      return i;
    }
    i += len;
  }
  return i;
}

/**
 * Anything beyond plain mappings, lists and scalars: anchors, aliases, tags, directives,
 * merge keys, explicit keys, document markers, and null keys (which the two parsers name
 * differently). Such a document takes the full parser.
 */
const NOT_PLAIN = /(?:^|[\s[{,])[&*!?]|^%|<<|^(?:---|\.\.\.)|(?:^[\s-]*|[{,]\s*)(?:~|null|Null|NULL)?\s*:(?:\s|$)/m;

/** A scalar tag of the full parser's core schema: its pattern and how it reads a match. */
interface CoreScalarTag {
  tag: string;
  test: RegExp;
  resolve: (text: string, onError: (message: string) => void, options: { intAsBigInt: boolean }) => unknown;
}

/**
 * js-yaml reading plain scalars by the full parser's own YAML 1.2 core rules (its tags'
 * patterns and resolvers, in its order), so that `0b11`, `+0x10`, `-0` or `1e3` mean the same
 * to both. js-yaml keeps one type per tag, so the int and float variants are joined.
 */
const SAME_SCALARS = (() => {
  // The scalar tags that plain text resolves to (null, bool, int, float), in the schema's order.
  const tags = new Schema({ schema: 'core' }).tags.filter(
    (t) => t.default === true && t.test instanceof RegExp && !('collection' in t && t.collection),
  ) as unknown as CoreScalarTag[];
  const byTag = new Map<string, CoreScalarTag[]>();
  for (const t of tags) byTag.set(t.tag, [...(byTag.get(t.tag) ?? []), t]);
  const read = (variants: CoreScalarTag[], text: string) => {
    const variant = variants.find((v) => v.test.test(text));
    const value = variant?.resolve(text, () => {}, { intAsBigInt: false });
    return isScalar(value) ? value.value : value;
  };
  return FAILSAFE_SCHEMA.extend({
    implicit: [...byTag].map(
      ([tag, variants]) =>
        new JsYamlType(tag, {
          kind: 'scalar',
          resolve: (text: string | null) => variants.some((v) => v.test.test(text ?? '')),
          construct: (text: string | null) => read(variants, text ?? ''),
        }),
    ),
  });
})();

/**
 * The value of a plain YAML document, read by js-yaml with the core schema's scalars, several
 * times faster than the full parser, or undefined when the document is not plain or not valid.
 * Only for the common case of a valid file: a caller that finds a problem reads the file
 * again with parseYamlSource, whose positions the diagnostics need. For plain documents both
 * parsers give the same value (a test compares them over a corpus).
 */
export function parsePlainYaml(text: string): unknown {
  if (NOT_PLAIN.test(text)) return undefined;
  try {
    return loadYaml(text, { schema: SAME_SCALARS });
  } catch {
    return undefined;
  }
}

/** Parses YAML keeping positions, so that schema errors can point at file:line:column. */
export function parseYamlSource(text: string, file: string): Result {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const indent = overIndentedLine(text, doc.errors, lineCounter);
    const errors = indent ? doc.errors.filter((e) => !indent.replaces.includes(e)) : doc.errors;
    return {
      ok: false,
      diagnostics: [
        ...(indent ? [{ file, ...indent.diagnostic }] : []),
        ...errors.map((e) => {
          const offset =
            e.code === 'MISSING_CHAR' && /quote/.test(e.message) ? (unclosedQuoteOffset(text) ?? e.pos[0]) : e.pos[0];
          const pos = lineCounter.linePos(Math.min(offset, Math.max(0, text.length - 1)));
          return {
            file,
            line: pos.line,
            column: pos.col,
            field: '',
            code: 'yaml-syntax' as const,
            message: `YAML syntax error: ${firstLine(e.message)}`,
            hint: /quote/.test(e.message) ? 'close the quote opened here, or remove it' : yamlHint(e.code, e.message),
          };
        }),
      ],
    };
  }
  const at = (offset: number | undefined): Position => {
    const pos = lineCounter.linePos(offset ?? 0);
    return { line: pos.line, column: pos.col };
  };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 50 });
  } catch (e) {
    // yaml throws (rather than reporting) for alias expansion bombs and similar.
    const start = at(doc.contents?.range?.[0]);
    return {
      ok: false,
      diagnostics: [
        {
          file,
          ...start,
          field: '',
          code: 'yaml-syntax',
          message: `YAML could not be read: ${firstLine(e instanceof Error ? e.message : String(e))}`,
          hint: /alias/i.test(String(e)) ? 'write the values out instead of using many *aliases' : 'simplify the document',
        },
      ],
    };
  }
  return {
    ok: true,
    parsed: {
      value,
      locate: (path, which = 'value') => at(offsetOf(doc, path, which)),
      sourceAt: (path) => {
        const node = doc.getIn(path as unknown[], true);
        const range = isScalar(node) ? node.range : undefined;
        return range ? text.slice(range[0], range[1]).trim() : undefined;
      },
    },
  };
}

/**
 * A key indented deeper than the key above it, when that key already has a value:
 *     version: 2.1.3
 *      model: claude-opus-4-6
 * YAML reports it on the line above, as "nested mappings are not allowed in compact mappings"
 * and "implicit keys need to be on a single line". Said instead on the line that is wrong.
 */
function overIndentedLine(
  text: string,
  errors: readonly YAMLError[],
  lineCounter: LineCounter,
): { diagnostic: Omit<Diagnostic, 'file'>; replaces: YAMLError[] } | undefined {
  const isCompact = (e: YAMLError) => e.code === 'BLOCK_AS_IMPLICIT_KEY' || e.code === 'MULTILINE_IMPLICIT_KEY';
  // Only when it is the first problem: after another one (a key indented too little) it is an echo.
  const first = [...errors].sort((a, b) => a.pos[0] - b.pos[0])[0];
  if (!first || !isCompact(first)) return undefined;
  const compact = errors.filter(isCompact);
  const lines = text.split('\n');
  const above = lineCounter.linePos(first.pos[0]).line; // 1-based: the key that has a value
  const keyAbove = /^(\s*)(?:- )?([^\s#:][^:#]*?):\s+\S/.exec(lines[above - 1] ?? '');
  if (!keyAbove) return undefined;
  let below = above + 1;
  while (below <= lines.length && /^\s*(?:#.*)?$/.test(lines[below - 1] ?? '')) below++;
  const keyBelow = /^(\s*)([^\s#:][^:#]*?):(?:\s|$)/.exec(lines[below - 1] ?? '');
  const indentAbove = (keyAbove[1] ?? '').length;
  const indentBelow = (keyBelow?.[1] ?? '').length;
  if (!keyBelow || indentBelow <= indentAbove) return undefined;
  const extra = indentBelow - indentAbove;
  return {
    diagnostic: {
      line: below,
      column: indentBelow + 1,
      field: '',
      code: 'yaml-syntax',
      message: `"${keyBelow[2]}:" is indented ${extra} space${extra === 1 ? '' : 's'} more than "${keyAbove[2]}:" on line ${above}`,
      expected: `${indentAbove} space${indentAbove === 1 ? '' : 's'} before "${keyBelow[2]}:", like the key above it`,
      hint: `remove ${extra} space${extra === 1 ? '' : 's'} at the start of line ${below}; indented deeper, it would belong to "${keyAbove[2]}", which already has a value`,
    },
    replaces: compact.filter((e) => lineCounter.linePos(e.pos[0]).line === above),
  };
}

/** Offset of a quote that opens a scalar and is never closed, scanning as YAML does for quotes. */
function unclosedQuoteOffset(text: string): number | undefined {
  let open: { char: string; at: number } | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (open) {
      if (open.char === '"' && c === '\\') i++;
      else if (c === open.char) {
        if (open.char === "'" && text[i + 1] === "'") i++;
        else open = undefined;
      }
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1] ?? ''))) {
      const eol = text.indexOf('\n', i);
      i = eol < 0 ? text.length : eol;
    } else if ((c === '"' || c === "'") && (i === 0 || /[\s:[{,-]/.test(text[i - 1] ?? ''))) {
      open = { char: c, at: i };
    }
  }
  return open?.at;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

function yamlHint(code: string, message: string): string {
  if (code === 'BAD_SCALAR_START' || /^Block scalar header includes extra characters/.test(message))
    return 'put the value in quotes: YAML gives > | @ ` % ! & * a meaning of their own at the start of a value';
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'each key may appear once in a mapping; remove or rename the repeated one';
    case 'TAB_AS_INDENT':
      return 'indent with spaces, not tabs';
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
      return 'check the indentation and the ":" after each key';
    default:
      return 'check quoting and indentation near this position; `ptb new` writes a valid example';
  }
}

/** Offset of the node at `path`, or of the deepest ancestor that exists. */
function offsetOf(doc: Document, path: readonly PropertyKey[], which: 'key' | 'value'): number | undefined {
  let node: Node | null | undefined = doc.contents as Node | null;
  let offset = node?.range?.[0];
  for (let i = 0; i < path.length; i++) {
    const part = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part));
      if (!pair) return offset;
      const isLast = i === path.length - 1;
      const keyNode = pair.key as Node;
      const valueNode = pair.value as Node | null;
      offset = isLast && which === 'key' ? keyNode.range?.[0] : (valueNode?.range?.[0] ?? keyNode.range?.[0]);
      node = valueNode;
    } else if (isSeq(node) && typeof part === 'number') {
      const item = node.items[part] as Node | undefined;
      if (!item) return offset;
      offset = item.range?.[0];
      node = item;
    } else {
      return offset;
    }
  }
  return offset;
}
