import { createHash } from 'node:crypto';
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

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A refusal a person must act on; the flows turn it into a comment rather than a crash. */
export class Refusal extends Error {}
