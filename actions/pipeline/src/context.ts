import { join } from 'node:path';
import type { ResolvedDefinition } from '@ptb/core';
import { listDefinitionVersions, loadDefinition } from '@ptb/core/files';
import type { PipelineConfig } from './config.ts';
import type { GitHub } from './github.ts';

/** What every flow needs: the API, the configuration, and the trusted checkout of the default branch. */
export interface FlowContext {
  gh: GitHub;
  config: PipelineConfig;
  /** Root of the default branch's checkout: definitions and published submissions come from here, never from the PR. */
  root: string;
  runUrl: string;
  runId: number;
  log: (message: string) => void;
}

export const definitionsDir = (root: string) => join(root, 'actions', 'core', 'definitions');
export const knownDefinitions = (root: string) => listDefinitionVersions(definitionsDir(root));
export const definition = (root: string, version: string): ResolvedDefinition => loadDefinition(version, definitionsDir(root));

/** The manifest hash as core defines it (the engine writes the same into results). */
export { manifestSha256 as sha256 } from '@ptb/core';

/** A refusal a person must act on; the flows turn it into a comment rather than a crash. */
export class Refusal extends Error {}
