import { z } from 'zod';
import { REASONING_EFFORTS, SCAFFOLD_IDS } from '../scaffolds.ts';
import { DefinitionVersion, IsoDate, PinnedImage, Slug, Unknown } from './common.ts';

/** An exact version, not a range: the run must be reproducible. */
const ExactVersion = z.string().regex(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/, {
  message: 'must be an exact version such as "2.1.3", not a range like "^2" or "latest"',
});

const ImportedFrom = z.strictObject({
  repository: z.string().min(1).describe('Where the published figures come from (owner/name)'),
  commit: z.string().regex(/^[a-f0-9]{7,40}$/, { message: 'must be a git commit hash (7 to 40 hex digits)' }),
  files: z.array(z.string().min(1)).min(1).describe('The files of that repository the results were read from'),
  note: z.string().optional(),
});

const Contact = z.strictObject({
  name: z.string().min(1),
  github: z
    .string()
    .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, { message: 'must be a GitHub user name without "@"' })
    .optional(),
  email: z.email().optional(),
});

const Link = z.strictObject({ label: z.string().min(1), url: z.url({ protocol: /^https?$/ }) });

const ScaffoldOptionValue = z.union([z.string(), z.number(), z.boolean()]);

const Common = {
  $schema: z.string().optional().describe('Editor hint; ignored'),
  id: Slug.describe('Unique id; must equal the folder name under submissions/'),
  displayName: z.string().min(1).max(80),
  benchmarkVersion: DefinitionVersion.default('v1').describe('Benchmark definition the runs use'),
  description: z.string().min(1).max(4000),
  contact: Contact,
  links: z.array(Link).max(20).default([]),
  submitted: IsoDate.optional(),
  hidden: z.boolean().default(false).describe('Kept in the data but not ranked (e.g. superseded)'),
  hiddenReason: z.string().optional(),
  imported: ImportedFrom.optional().describe('Present only for results imported from a publication'),
};

export const AgentManifest = z
  .strictObject({
    ...Common,
    kind: z.literal('agent').default('agent'),
    agent: z.strictObject({
      scaffold: z.enum(SCAFFOLD_IDS, {
        message: `must be one of the allowed scaffolds: ${SCAFFOLD_IDS.join(', ')}`,
      }),
      version: z.union([ExactVersion, Unknown]).describe('Pinned scaffold version; "unknown" only for imported results'),
      model: z.string().min(1).max(120).describe('Provider model id the scaffold drives, e.g. "claude-opus-4-6"'),
      provider: z.string().min(1).optional(),
      reasoningEffort: z.enum(REASONING_EFFORTS).default('default'),
      contextWindow: z.number().int().positive().optional(),
      reprompt: z.boolean().default(false).describe('Re-prompt the agent until less than 30 minutes remain'),
      options: z.record(z.string(), ScaffoldOptionValue).default({}).describe('Scaffold-specific options'),
      image: PinnedImage.optional().describe('Agent image pinned by digest; default: the harness image'),
    }),
    runs: z.number().int().min(1).max(5).describe('Independent runs (seeds) of the whole task matrix'),
  })
  .superRefine((m, ctx) => {
    if (m.agent.version === 'unknown' && !m.imported)
      ctx.addIssue({
        code: 'custom',
        path: ['agent', 'version'],
        message: 'a new submission must pin the scaffold version ("unknown" is only for imported results)',
        params: { hint: 'write the exact version you ran, e.g. 2.1.3 (`claude --version` prints it)' },
      });
    if (m.hidden && !m.hiddenReason)
      ctx.addIssue({
        code: 'custom',
        path: ['hiddenReason'],
        message: 'a hidden submission needs a hiddenReason',
        params: { near: ['hidden'], hint: 'add "hiddenReason: <why it is not ranked>" next to "hidden: true"' },
      });
  });

/** Reference rows: base models zero-shot or few-shot, official instruct models. Never run by agents. */
export const ReferenceManifest = z.strictObject({
  ...Common,
  kind: z.literal('reference'),
  reference: z.strictObject({
    of: z.enum(['base-zero-shot', 'base-few-shot', 'official-instruct']),
  }),
});

export type AgentManifest = z.infer<typeof AgentManifest>;
export type ReferenceManifest = z.infer<typeof ReferenceManifest>;
export type Manifest = AgentManifest | ReferenceManifest;

/** Picks the schema by `kind` so that errors speak of one shape, not of a union. */
export function manifestSchemaFor(value: unknown): typeof AgentManifest | typeof ReferenceManifest {
  const kind = typeof value === 'object' && value !== null && 'kind' in value ? (value as { kind: unknown }).kind : undefined;
  return kind === 'reference' ? ReferenceManifest : AgentManifest;
}
