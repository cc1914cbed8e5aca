import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Diagnostic,
  type DiagnosticCode,
  MAX_MANIFEST_BYTES,
  parsePlainYaml,
  parseYamlSource,
  type SubmissionSource,
  validateManifestBytes,
  validateSubmissions,
} from '@ptb/core';
import { listDefinitionVersions, readAllSubmissions, readSourcesForPaths } from '@ptb/core/files';
import { afterAll, describe, expect, test } from 'vitest';
import { main } from '../../../scripts/src/main.ts';

/** A corpus of broken manifests: each must fail with a diagnostic a person can act on. */

const FIXTURES = fileURLToPath(new URL('./fixtures/broken-manifests/', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Expectation {
  code: DiagnosticCode;
  line: number;
  field: string;
  messageIncludes: string;
}

const EXPECTED = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, Expectation>;
const CASES = readdirSync(FIXTURES)
  .filter((f) => /^\d\d-.*\.yaml$/.test(f))
  .sort();
const VALID = 'valid.yaml';
const VALID_TEXT = readFileSync(join(FIXTURES, VALID), 'utf8');

/** Codes that speak of a file or a folder as a whole, so line 0 is right for them. */
const WHOLE_FILE_CODES: readonly DiagnosticCode[] = [
  'file-empty',
  'file-too-large',
  'unexpected-file',
  'missing-manifest',
  'duplicate-id',
  'unknown-definition',
  'path-not-found',
];

const STACK_LINE = /^\s*at\s+\S.*(?:\(|:\d+:\d+)/m;

function check(name: string): Diagnostic[] {
  return validateManifestBytes(readFileSync(join(FIXTURES, name)), name).diagnostics;
}

/** What every diagnostic must carry, whatever the case. */
function expectActionable(d: Diagnostic): void {
  expect(d.file, JSON.stringify(d)).not.toBe('');
  expect(d.message.trim(), JSON.stringify(d)).not.toBe('');
  expect(Boolean(d.hint?.trim() || d.expected?.trim()), `no hint and no expected text: ${JSON.stringify(d)}`).toBe(true);
  if (!WHOLE_FILE_CODES.includes(d.code))
    expect(d.line, `line must point into the file: ${JSON.stringify(d)}`).toBeGreaterThan(0);
  for (const text of [d.message, d.hint ?? '', d.expected ?? '']) {
    expect(text, JSON.stringify(d)).not.toMatch(STACK_LINE);
    expect(text, JSON.stringify(d)).not.toContain('[object');
    expect(text, JSON.stringify(d)).not.toMatch(/\bundefined\b/);
  }
  // What is wrong, what was expected and the fix each say something new: no part repeats another.
  const parts = [d.message, d.expected ?? '', d.hint ?? ''];
  for (let i = 0; i < parts.length; i++)
    for (let j = i + 1; j < parts.length; j++)
      expect(longestSharedRun(parts[i] ?? '', parts[j] ?? ''), `repeats itself: ${JSON.stringify(d)}`).toBeLessThan(24);
}

/** Length of the longest stretch of text two strings share. */
function longestSharedRun(a: string, b: string): number {
  let best = 0;
  const row = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++)
    for (let j = b.length; j >= 1; j--) {
      row[j] = a[i - 1] === b[j - 1] ? (row[j - 1] ?? 0) + 1 : 0;
      best = Math.max(best, row[j] ?? 0);
    }
  return best;
}

describe('the corpus', () => {
  test('has at least 30 cases, each with an expectation, and no stale expectations', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
    expect(Object.keys(EXPECTED).sort()).toEqual(CASES);
  });

  test('the valid fixture passes', () => {
    const { manifest, diagnostics } = validateManifestBytes(readFileSync(join(FIXTURES, VALID)), VALID);
    expect(diagnostics).toEqual([]);
    expect(manifest?.id).toBe('my-agent');
  });
});

describe.each(CASES)('%s', (name) => {
  test('first diagnostic has the expected code, line, field and message', () => {
    const want = EXPECTED[name];
    const diagnostics = check(name);
    expect(diagnostics.length).toBeGreaterThan(0);
    const first = diagnostics[0];
    expect({
      code: first?.code,
      line: first?.line,
      field: first?.field,
      messageIncludes: first?.message.includes(want?.messageIncludes ?? '') ? want?.messageIncludes : first?.message,
    }).toEqual(want);
  });

  test('every diagnostic is actionable and free of internals', () => {
    const diagnostics = check(name);
    for (const d of diagnostics) {
      expect(d.file).toBe(name);
      expectActionable(d);
    }
  });
});

describe('hints for typos', () => {
  test.each([
    ['09-scaffold-typo.yaml', 'agent.scaffold', 'claude-code'],
    ['11-unknown-nested-key.yaml', 'agent.modle', 'model'],
    ['35-contact-key-typo.yaml', 'contact.emial', 'email'],
    ['32-kind-typo.yaml', 'kind', 'agent'],
  ])('%s suggests the right word', (name, field, word) => {
    const d = check(name).find((x) => x.field === field);
    expect(d?.hint).toContain(`"${word}"`);
  });

  test('an unknown scaffold with no near match lists the allowed ones', () => {
    const d = check('08-scaffold-unknown.yaml')[0];
    expect(d?.hint).toBeUndefined();
    expect(d?.expected).toContain('"claude-code"');
  });

  test('an unknown key with no near match says to remove it', () => {
    expect(check('10-unknown-top-key.yaml')[0]?.hint).toMatch(/remove it/);
  });
});

describe('what is wrong, where, and the fix', () => {
  const withVersion = (v: string) => VALID_TEXT.replace('version: 2.1.3', `version: ${v}`);
  const diagnose = (text: string) => validateManifestBytes(new TextEncoder().encode(text), 'm.yaml').diagnostics;

  test('a version YAML reads as a number says to quote it, as written', () => {
    for (const [written, kind] of [
      ['2.1', 'a number'],
      ['2.10', 'a number'],
      ['true', 'true/false'],
    ]) {
      const [d, ...rest] = diagnose(withVersion(written ?? ''));
      expect(rest).toEqual([]);
      expect(d).toMatchObject({ code: 'wrong-type', line: 11, column: 12, field: 'agent.version' });
      expect(d?.message).toBe(`${written} is read as ${kind}, but this field is text`);
      expect(d?.expected).toContain('an exact version such as "2.1.3"');
      expect(d?.hint).toMatch(/^write it in quotes, e\.g\. version: "2\.1\.3"/);
    }
  });

  test('a number where text is wanted, and quoting is all it takes: the quoted value is the fix', () => {
    const [d] = check('05-displayname-number.yaml');
    expect(d?.message).toBe('123 is read as a number, but this field is text');
    expect(d?.hint).toMatch(/^put it in quotes: displayName: "123"/);
  });

  test('a version range is said once, with the pinned version as the fix', () => {
    const [d, ...rest] = diagnose(withVersion('"^2.0.0"'));
    expect(rest).toEqual([]);
    expect(d?.message).toBe('the text "^2.0.0" is a version range, not one version');
    expect(d?.expected).toBe('an exact version such as "2.1.3", not a range like "^2" or "latest"');
    expect(d?.hint).toBe('pin the version you ran: version: "2.0.0"');
  });

  test('a key indented one space too far is reported on its own line, once', () => {
    const diagnostics = check('42-indent-one-too-far.yaml');
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ line: 12, column: 4, code: 'yaml-syntax' });
    expect(diagnostics[0]?.hint).toMatch(/^remove 1 space at the start of line 12/);
  });

  test('a key indented one space too little is reported on its own line too', () => {
    const diagnostics = diagnose(VALID_TEXT.replace('  model: ', ' model: '));
    expect(diagnostics[0]).toMatchObject({ line: 12, code: 'yaml-syntax' });
  });

  test('ptb validate prints it the same way: file:line:column, field, message, expected, hint', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ptb-messages-'));
    try {
      writeFileSync(join(root, 'package.json'), '{}\n');
      mkdirSync(join(root, 'submissions', 'my-agent'), { recursive: true });
      writeFileSync(join(root, 'submissions', 'my-agent', 'submission.yaml'), withVersion('2.1'));
      const err: string[] = [];
      const code = await main(['validate'], { out: () => {}, err: (t) => err.push(t), cwd: root, isTTY: false });
      expect(code).toBe(1);
      expect(err[0]).toBe(
        'submissions/my-agent/submission.yaml:11:12: agent.version: 2.1 is read as a number, but this field is text ' +
          '(expected text: an exact version such as "2.1.3", not a range like "^2" or "latest")\n' +
          '    hint: write it in quotes, e.g. version: "2.1.3" (YAML reads an unquoted 2.1 as a number)',
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('generated cases', () => {
  test('a file over the size limit is refused as a whole', () => {
    const huge = `${VALID_TEXT}# ${'x'.repeat(MAX_MANIFEST_BYTES)}\n`;
    const { manifest, diagnostics } = validateManifestBytes(new TextEncoder().encode(huge), 'huge.yaml');
    expect(manifest).toBeNull();
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ code: 'file-too-large', line: 0, field: '', file: 'huge.yaml' });
    expect(diagnostics[0]?.message).toContain(String(MAX_MANIFEST_BYTES));
    for (const d of diagnostics) expectActionable(d);
  });

  test('a Latin-1 byte is reported on its line', () => {
    const head = new TextEncoder().encode('id: my-agent\ndisplayName: My agent\ndescription: Caf');
    const tail = new TextEncoder().encode(
      '\ncontact:\n  name: Ada\nagent:\n  scaffold: claude-code\n  version: 2.1.3\n  model: claude-opus-4-6\nruns: 3\n',
    );
    const bytes = new Uint8Array([...head, 0xe9, ...tail]);
    const { manifest, diagnostics } = validateManifestBytes(bytes, 'latin1.yaml');
    expect(manifest).toBeNull();
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ code: 'not-utf8', line: 3, column: 17, file: 'latin1.yaml' });
    expect(diagnostics[0]?.message).toContain('0xe9');
    for (const d of diagnostics) expectActionable(d);
  });

  test('a UTF-8 byte-order mark is accepted', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(VALID_TEXT)]);
    const { manifest, diagnostics } = validateManifestBytes(bytes, 'bom.yaml');
    expect(diagnostics).toEqual([]);
    expect(manifest?.id).toBe('my-agent');
  });

  test('Windows line endings are accepted', () => {
    const { diagnostics } = validateManifestBytes(new TextEncoder().encode(VALID_TEXT.replace(/\n/g, '\r\n')), 'crlf.yaml');
    expect(diagnostics).toEqual([]);
  });

  test('an id that does not match its folder points at the id line', () => {
    const file = 'submissions/other-agent/submission.yaml';
    const { manifest, diagnostics } = validateManifestBytes(new TextEncoder().encode(VALID_TEXT), file, 'other-agent');
    expect(manifest).toBeNull();
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ code: 'id-mismatch', line: 2, field: 'id', file });
    expect(diagnostics[0]?.message).toContain('"my-agent"');
    expect(diagnostics[0]?.hint).toContain('other-agent');
    for (const d of diagnostics) expectActionable(d);
  });

  test('two lone manifests with one id: the second is a duplicate', () => {
    const bytes = new TextEncoder().encode(VALID_TEXT);
    const sources: SubmissionSource[] = [
      { manifest: { path: 'a/first.yaml', bytes }, results: [], strayFiles: [] },
      { manifest: { path: 'b/second.yaml', bytes }, results: [], strayFiles: [] },
    ];
    const { diagnostics } = validateSubmissions(sources, listDefinitionVersions());
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ code: 'duplicate-id', file: 'b/second.yaml', field: 'id' });
    expect(diagnostics[0]?.message).toContain('a/first.yaml');
    for (const d of diagnostics) expectActionable(d);
  });

  describe('in a submissions/ tree on disk', () => {
    const root = mkdtempSync(join(tmpdir(), 'ptb-broken-manifests-'));
    afterAll(() => rmSync(root, { recursive: true, force: true }));
    const put = (rel: string, text: string) => {
      const full = join(root, rel);
      mkdirSync(join(full, '..'), { recursive: true });
      writeFileSync(full, text);
    };
    writeFileSync(join(root, 'package.json'), '{}\n');
    put('submissions/my-agent/submission.yaml', VALID_TEXT);
    put('submissions/my-agent/README.md', '# My agent\n');
    put('submissions/my-agent/run.sh', 'echo hi\n');
    // A copy of the same manifest in a second folder: same id, other folder.
    put('submissions/my-agent-copy/submission.yaml', VALID_TEXT);
    put('submissions/future/submission.yaml', VALID_TEXT.replace('id: my-agent', 'id: future').replace('v1', 'v9'));
    put('submissions/empty-folder/.keep', '');

    const byFile = () => {
      const { diagnostics } = validateSubmissions(readAllSubmissions(root), listDefinitionVersions());
      return diagnostics;
    };

    test('every problem is reported and each is actionable', () => {
      const diagnostics = byFile();
      for (const d of diagnostics) expectActionable(d);
      expect(diagnostics.map((d) => [d.file, d.code]).sort()).toEqual(
        [
          ['submissions/empty-folder', 'missing-manifest'],
          ['submissions/empty-folder/.keep', 'unexpected-file'],
          ['submissions/future/submission.yaml', 'unknown-definition'],
          ['submissions/my-agent-copy/submission.yaml', 'id-mismatch'],
          ['submissions/my-agent/run.sh', 'unexpected-file'],
        ].sort(),
      );
    });

    test('an unknown benchmarkVersion names the known ones', () => {
      const d = byFile().find((x) => x.code === 'unknown-definition');
      expect(d?.message).toContain('"v9"');
      expect(d?.field).toBe('benchmarkVersion');
      expect(d?.expected).toContain('v1');
    });

    test('a stray file is reported by its path', () => {
      const d = byFile().find((x) => x.file.endsWith('run.sh'));
      expect(d).toMatchObject({ code: 'unexpected-file', line: 0 });
    });

    test('one folder named twice is not a duplicate of itself', () => {
      const folder = join(root, 'submissions/my-agent');
      const sources = readSourcesForPaths([folder, folder], root);
      const { diagnostics } = validateSubmissions(sources, listDefinitionVersions());
      expect(diagnostics.filter((d) => d.code === 'duplicate-id')).toEqual([]);
    });
  });
});

async function validateCli(paths: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t), cwd: REPO_ROOT, isTTY: false };
  const code = await main(['validate', ...paths], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('ptb validate over the whole corpus', () => {
  const expectReported = async (names: string[]) => {
    const { code, out, err } = await validateCli([...names, VALID].map((f) => join(FIXTURES, f)));
    const all = `${out}\n${err}`;
    expect(all).not.toMatch(STACK_LINE);
    expect(all).not.toContain('[object');
    expect(code).toBe(1);
    for (const name of names) expect(err, `${name} is not reported`).toContain(name);
    expect(all).not.toContain(VALID);
    expect(err).toMatch(/problem\(s\) in \d+ file\(s\)/);
  };

  test('reports every broken file, passes the valid one, and never shows a stack trace', async () => {
    await expectReported(CASES);
  });

  // The same without the alias bomb, so that a failure above caused by that one case alone is told apart.
  test('reports every broken file but the alias bomb', async () => {
    await expectReported(CASES.filter((f) => !f.startsWith('39-')));
  });

  test('the valid fixture alone passes', async () => {
    const { code, err } = await validateCli([join(FIXTURES, VALID)]);
    expect(code).toBe(0);
    expect(err).toMatch(/^ok: 1 file/m);
  });
});

describe('the fast read of plain YAML gives what the full parser gives', () => {
  // Valid files take js-yaml and the schema; anything else goes to the full parser. Wherever
  // the fast read gives a value, it must be the value the full parser gives.
  const plain = (body: string) => `id: my-agent\n${body}`;
  const crafted = [
    ...['|', '|-', '|+', '>', '>-', '>+', '|2'].map((h) =>
      plain(`description: ${h}\n  Line one\n   indented\n\n  Line two  \n\n\nruns: 3\n`),
    ),
    plain('description: one\n  two\n\n  three\nruns: 3\n'),
    plain('description: "tab\\t \\u00e9 \\x41 \\"q\\" \\\\ \\n end"\nname: \'it\'\'s\'\n'),
    plain('description: "folded\n  over lines"\n'),
    ...[
      '0x10',
      '0o17',
      '010',
      '1e3',
      '.5',
      '-0',
      '+1',
      '1_000',
      '0b11',
      '.inf',
      '-.INF',
      '.nan',
      '~',
      'null',
      'Null',
      'NULL',
      'True',
      'TRUE',
      'false',
      'yes',
      'no',
      'on',
      'off',
      'y',
      'n',
      '2026-01-01',
      '2026-01-01T10:00:00Z',
      '12:30',
      '1.0',
      '1.',
      '-.5e-3',
      '0.1.2',
      '01.5',
      '"3"',
      "'3'",
    ].map((v) => plain(`runs: ${v}\n`)),
    plain(
      'agent: {scaffold: claude-code, version: "2.1.3", options: {a: 1, b: [x, y]}}\nlinks: [ {label: a, url: "https://a.b"} ]\n',
    ),
    plain('key with spaces: 1\n"quoted key": 2\nünïcode: 3\n# comment\nempty:\nlist:\n  - a\n  -\n  - - nested\n'),
    plain('trailing: spaces   \r\ncrlf: yes\r\n'),
    plain('description: a # not a comment? it is one\nurl: http://x.org/#frag\ncolon: a:b\n'),
    // Keys are read like values and then become text.
    plain('options:\n  1: a\n  true: b\n  1.50: c\n  0x10: d\n  -0: e\n  .nan: f\n  ~: g\n'),
    plain('options: {null: 1, "": 2}\n'),
    plain('- ~: 1\n'),
    ...['"a: b"', 'a:b', '- x', '[a, "b", 3]', '{a: [1, {b: ~}]}', '"#x"', "'multi\n\n  line'", '>-\n  x\n\n  y'].map((v) =>
      plain(`description: ${v}\n`),
    ),
  ];
  const fixtures = readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => readFileSync(join(FIXTURES, f), 'utf8'));
  const repo = readAllSubmissions(REPO_ROOT).flatMap((s) => (s.manifest ? [new TextDecoder().decode(s.manifest.bytes)] : []));

  test.each([...crafted, ...fixtures, ...repo].map((text, i) => [i, text] as const))('case %i', (_i, text) => {
    const fast = parsePlainYaml(text);
    const full = parseYamlSource(text, 'm.yaml');
    if (fast === undefined) return; // the full parser decides alone
    expect(full.ok, `the fast read accepted what the full parser refuses:\n${text}`).toBe(true);
    if (full.ok) expect(fast).toEqual(full.parsed.value);
  });

  test('documents beyond plain YAML always take the full parser', () => {
    for (const text of [
      'a: &x 1\nb: *x\n',
      'a: !!str 1\n',
      '%YAML 1.2\n---\na: 1\n',
      'a:\n  <<: {b: 1}\n',
      '? a\n: 1\n',
      'a: 1\n---\nb: 2\n',
    ])
      expect(parsePlainYaml(text), text).toBeUndefined();
  });
});
