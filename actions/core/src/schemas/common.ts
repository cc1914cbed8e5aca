import { z } from 'zod';

/** Lower-case slug: letters, digits and single dashes, 3 to 64 characters. */
export const Slug = z
  .string()
  .regex(/^[a-z0-9]+(?:[-.][a-z0-9]+)*$/, {
    message: 'must be a lower-case slug: letters a-z, digits, and single "-" or "." between them',
  })
  .min(3, { message: 'must be at least 3 characters' })
  .max(64, { message: 'must be at most 64 characters' });

/** A Hugging Face repository id such as `Qwen/Qwen3-4B-Base`. */
export const HfRepoId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/, {
  message: 'must be a Hugging Face repository id like "Qwen/Qwen3-4B-Base"',
});

export const Sha256Hex = z.string().regex(/^[a-f0-9]{64}$/, { message: 'must be 64 lower-case hex digits (sha256)' });

/** An OCI image reference pinned by digest: `registry/name@sha256:<64 hex>` (a tag before `@` is allowed). */
export const PinnedImage = z.string().regex(/^[a-z0-9][a-z0-9._\-/:]*(?::[A-Za-z0-9._-]+)?@sha256:[a-f0-9]{64}$/, {
  message: 'must be an image reference pinned by digest, e.g. "ghcr.io/org/agent@sha256:<64 hex digits>"',
});

export const Fraction = z.number().min(0).max(1);

/** Calendar date `YYYY-MM-DD`. */
export const IsoDate = z.iso.date();

/** The literal value `unknown`: the published data does not say, and we do not invent it. */
export const Unknown = z.literal('unknown');

/** A benchmark definition's version name: `v1`, `v2` or `v2-ci`. */
export const DefinitionVersion = z.string().regex(/^v\d+(?:-[a-z0-9]+)*$/, {
  message: 'must be a version name such as "v1" or "v2-ci"',
});

/** Why a cell's score was replaced by the penalty. */
export const PenaltyReason = z.enum(['missing', 'broken', 'flagged']);
export type PenaltyReason = z.infer<typeof PenaltyReason>;
