import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';

/** Pipeline settings that operators change without touching code: the fleet and its labels. */
export const PipelineConfig = z.strictObject({
  runnerLabels: z.array(z.string().min(1)).min(1),
  runnerGroup: z.string().min(1),
  fleetSize: z.number().int().min(1).max(1000),
  overheadHours: z.number().min(0),
  environment: z.string().min(1),
  cellEnvironment: z.string().min(1),
  botEnvironment: z.string().min(1),
  approveLabel: z.string().min(1),
  botLogin: z.string().min(1),
  resultsBranch: z.string().regex(/^[A-Za-z0-9._/-]+$/),
});
export type PipelineConfig = z.infer<typeof PipelineConfig>;

export const CONFIG_PATH = 'actions/pipeline/config/pipeline.yaml';

export function parseConfig(text: string, file: string): PipelineConfig {
  const result = PipelineConfig.safeParse(parse(text));
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.') || '(top level)'}: ${i.message}`).join('\n');
    throw new Error(`${file}: invalid pipeline configuration\n${problems}\nfix the file; every key is described in its comments`);
  }
  return result.data;
}

export function loadConfig(file: string): PipelineConfig {
  return parseConfig(readFileSync(file, 'utf8'), file);
}
