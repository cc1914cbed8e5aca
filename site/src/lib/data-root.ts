import { findRepoRoot } from '@ptb/core/files';

/** The repository whose submissions/ the site shows; PTB_DATA_ROOT points elsewhere (benchmarks). */
export function dataRoot(): string {
  return process.env.PTB_DATA_ROOT ?? findRepoRoot(process.cwd());
}
