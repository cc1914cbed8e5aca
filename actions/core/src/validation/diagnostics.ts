/** One problem in one file, said so that a person can fix it without reading our code. */
export interface Diagnostic {
  file: string;
  /** 1-based; 0 when the problem is the file as a whole. */
  line: number;
  column: number;
  /** Dotted field path such as `agent.scaffold`, or '' for the whole document. */
  field: string;
  /** What is wrong. */
  message: string;
  /** What was expected, when there is a clear answer. */
  expected?: string;
  /** How to fix it. */
  hint?: string;
  code: DiagnosticCode;
}

export type DiagnosticCode =
  | 'file-empty'
  | 'file-too-large'
  | 'not-utf8'
  | 'yaml-syntax'
  | 'not-a-mapping'
  | 'unknown-key'
  | 'missing-field'
  | 'wrong-type'
  | 'invalid-value'
  | 'id-mismatch'
  | 'duplicate-id'
  | 'missing-manifest'
  | 'unexpected-file'
  | 'invalid-json'
  | 'results-mismatch'
  | 'unknown-definition'
  | 'path-not-found'
  | 'internal-error';

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, part) => {
    if (typeof part === 'number') return `${acc}[${part}]`;
    const key = String(part);
    return acc === '' ? key : `${acc}.${key}`;
  }, '');
}

/** `file:line:column: field: message (expected ...) hint: ...` on one or two lines. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file;
  const field = d.field ? ` ${d.field}:` : '';
  const expected = d.expected ? ` (expected ${d.expected})` : '';
  const hint = d.hint ? `\n    hint: ${d.hint}` : '';
  return `${where}:${field} ${d.message}${expected}${hint}`;
}

export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}
