import { z } from 'zod';
import { DefinitionVersion, HfRepoId, PenaltyReason, Slug } from './common.ts';

export const AppliedPenalty = z.strictObject({
  seed: z.number().int().min(1),
  reason: PenaltyReason,
  detail: z.string().min(1),
  measured: z.number().nullable().describe('What the final model scored, if anything'),
  applied: z.number().describe('What counts instead (the policy replacement)'),
});

export const LeaderboardCell = z.strictObject({
  baseModel: HfRepoId,
  benchmark: Slug,
  mean: z.number(),
  std: z.number().nullable().describe('Sample std over runs; null with one run'),
  runs: z.number().int().min(1),
  penalties: z.array(AppliedPenalty),
  penaltiesKnown: z.boolean().describe('False where the publication applied penalties without saying which'),
});

export const LeaderboardRow = z.strictObject({
  rank: z.number().int().min(1).nullable().describe('Competition rank (1, 2, 2, 4); null for references and hidden rows'),
  tied: z.boolean(),
  kind: z.enum(['agent', 'reference']),
  submissionId: Slug,
  displayName: z.string(),
  scaffold: z.string().nullable(),
  scaffoldVersion: z.string().nullable(),
  model: z.string().nullable(),
  reasoningEffort: z.string().nullable(),
  hidden: z.boolean(),
  provenance: z.enum(['verified', 'imported', 'definition']),
  score: z
    .strictObject({
      mean: z.number(),
      std: z.number().nullable(),
      runs: z.number().int().min(1),
      stdSource: z.enum(['computed', 'published', 'none']),
    })
    .nullable()
    .describe('Null when the view has no data for this row'),
  benchmarks: z.record(Slug, z.number().nullable()).describe('Mean over the view’s base models, per benchmark'),
  cells: z.array(LeaderboardCell),
  timeUsed: z.strictObject({ meanHours: z.number(), stdHours: z.number().nullable() }).nullable(),
  integrityFindings: z.number().int().min(0),
  penalisedCells: z.number().int().min(0),
});

export const Leaderboard = z.strictObject({
  definitionVersion: DefinitionVersion,
  view: z.union([z.literal('all'), HfRepoId]).describe('"all": mean over base models; else one base model'),
  weights: z.record(Slug, z.number()),
  rows: z.array(LeaderboardRow),
});

export type AppliedPenalty = z.infer<typeof AppliedPenalty>;
export type LeaderboardCell = z.infer<typeof LeaderboardCell>;
export type LeaderboardRow = z.infer<typeof LeaderboardRow>;
export type Leaderboard = z.infer<typeof Leaderboard>;
