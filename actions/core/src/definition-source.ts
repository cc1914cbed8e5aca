import { type ResolvedDefinition, resolveDefinition } from './definition.ts';
import { BenchmarkDefinition } from './schemas/definition.ts';
import { type Diagnostic, formatDiagnostic } from './validation/diagnostics.ts';
import { issuesToDiagnostics } from './validation/schema-issues.ts';
import { parseYamlSource } from './validation/yaml-source.ts';

export class DefinitionError extends Error {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic[]) {
    super(`invalid benchmark definition:\n${diagnostics.map(formatDiagnostic).join('\n')}`);
    this.diagnostics = diagnostics;
  }
}

/** Parses and validates a benchmark definition from its YAML text, then derives its weights. */
export function parseDefinition(text: string, file: string): ResolvedDefinition {
  const parsed = parseYamlSource(text, file);
  if (!parsed.ok) throw new DefinitionError(parsed.diagnostics);
  const result = BenchmarkDefinition.safeParse(parsed.parsed.value);
  if (!result.success)
    throw new DefinitionError(issuesToDiagnostics(file, parsed.parsed, BenchmarkDefinition, result.error.issues));
  return resolveDefinition(result.data);
}
