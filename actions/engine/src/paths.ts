import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The engine package folder (bundles, images) and the harness's default model cache. */
// PTB_ENGINE_DIR: for a single-file bundle of ptb, whose own location is not the package's.
export const ENGINE_DIR = process.env.PTB_ENGINE_DIR ?? fileURLToPath(new URL('../', import.meta.url));
export const BUNDLES_DIR = join(ENGINE_DIR, 'bundles');

export const defaultModelCache = (env: NodeJS.ProcessEnv = process.env): string =>
  env.PTB_MODEL_CACHE ?? join(homedir(), '.cache', 'ptb', 'models');

/** `<cache>/<org>/<name>`: the layout the harness downloads base models into. */
export const modelDirIn = (cache: string, hfId: string): string => join(cache, ...hfId.split('/'));
