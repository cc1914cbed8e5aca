import { type Manifest, manifestSchemaFor } from '../schemas/manifest.ts';
import type { Diagnostic } from './diagnostics.ts';
import { issuesToDiagnostics } from './schema-issues.ts';
import { decodeUtf8, MAX_MANIFEST_BYTES, parsePlainYaml, parseYamlSource } from './yaml-source.ts';

export interface ManifestCheck {
  manifest: Manifest | null;
  diagnostics: Diagnostic[];
}

const whole = (file: string, code: Diagnostic['code'], message: string, hint: string, expected?: string): Diagnostic => ({
  file,
  line: 0,
  column: 0,
  field: '',
  code,
  message,
  hint,
  ...(expected ? { expected } : {}),
});

/**
 * Validates the bytes of one `submission.yaml`. Pure: the caller reads the file. When
 * `folderId` is given, the manifest id must equal it.
 */
export function validateManifestBytes(bytes: Uint8Array, file: string, folderId?: string): ManifestCheck {
  if (bytes.length > MAX_MANIFEST_BYTES)
    return fail(
      whole(
        file,
        'file-too-large',
        `file is ${bytes.length} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`,
        'a manifest names an agent and its options; move long text to a linked page',
      ),
    );
  const decoded = decodeUtf8(bytes, file);
  if (!decoded.ok) return fail(decoded.diagnostic);
  const text = decoded.text.replace(/^\uFEFF/, '');
  if (text.trim() === '' || text.split('\n').every((l) => l.trim() === '' || l.trim().startsWith('#')))
    return fail(whole(file, 'file-empty', 'file is empty', 'run `npx ptb new` to write a complete manifest', 'a YAML mapping'));
  // Nearly every file is valid: a fast read and the schema say so; a problem sends the file to
  // the full parser below, which knows where each value sits.
  const quick = parsePlainYaml(text);
  if (quick !== null && typeof quick === 'object' && !Array.isArray(quick)) {
    const result = manifestSchemaFor(quick).safeParse(quick);
    if (result.success && (folderId === undefined || result.data.id === folderId))
      return { manifest: result.data, diagnostics: [] };
  }
  const parsed = parseYamlSource(text, file);
  if (!parsed.ok) return { manifest: null, diagnostics: parsed.diagnostics };
  const value = parsed.parsed.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const found = Array.isArray(value) ? 'a list' : value === null ? 'nothing' : `a single ${typeof value}`;
    return fail({
      ...whole(
        file,
        'not-a-mapping',
        `the document is ${found}`,
        Array.isArray(value) ? 'remove the leading "- " so the fields form one mapping' : 'write key: value lines',
        'a mapping of fields (id, displayName, agent, ...)',
      ),
      ...parsed.parsed.locate([]),
    });
  }
  const schema = manifestSchemaFor(value);
  const result = schema.safeParse(value);
  if (!result.success) {
    return { manifest: null, diagnostics: issuesToDiagnostics(file, parsed.parsed, schema, result.error.issues) };
  }
  const manifest = result.data;
  if (folderId !== undefined && manifest.id !== folderId) {
    return fail({
      file,
      ...parsed.parsed.locate(['id']),
      field: 'id',
      code: 'id-mismatch',
      message: `id "${manifest.id}" does not match its folder "submissions/${folderId}/"`,
      expected: `"${folderId}"`,
      hint: `set id: ${folderId}, or rename the folder to submissions/${manifest.id}/`,
    });
  }
  return { manifest, diagnostics: [] };
}

function fail(d: Diagnostic): ManifestCheck {
  return { manifest: null, diagnostics: [d] };
}
