import { createHash } from 'node:crypto';

/**
 * The identity of a submission manifest: sha256 of the file's bytes as written. Approvals
 * pin it, the engine writes it into every result, and publishing matches results by it, so
 * all of them must compute it here.
 */
export function manifestSha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
