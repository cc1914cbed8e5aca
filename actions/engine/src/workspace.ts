import { chmodSync, cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileSha256, listTree } from './hash.ts';
import { evaluateClient, timerScript } from './prompt.ts';
import { INSIDE } from './sandbox/spec.ts';

export interface WorkspaceInput {
  dir: string;
  prompt: string;
  deadlineEpochSeconds: number;
  defaultLimit: number;
  /** Agent-visible task material (training data, README) from the benchmark's bundle. */
  taskContextDir: string | null;
  templatesDir: string | null;
}

/** Files the agent must not change; hashed when the workspace is built and checked afterwards. */
export type ProtectedHashes = Map<string, string>;

/**
 * A fresh workspace: the prompt, the evaluate client (it talks to the harness; no test data
 * here), the timer, templates, task context and an empty final_model/. Nothing the agent can
 * read holds test items, rubrics or instruct checkpoints.
 */
export async function buildWorkspace(input: WorkspaceInput): Promise<ProtectedHashes> {
  const ws = input.dir;
  mkdirSync(join(ws, 'final_model'), { recursive: true });
  mkdirSync(join(ws, '.tmp'), { recursive: true });
  mkdirSync(join(ws, '.home'), { recursive: true });
  writeFileSync(join(ws, 'TASK.md'), input.prompt);
  writeFileSync(join(ws, 'evaluate.py'), evaluateClient(`${INSIDE.run}/eval.sock`, input.defaultLimit));
  writeFileSync(join(ws, 'timer.sh'), timerScript(input.deadlineEpochSeconds));
  chmodSync(join(ws, 'evaluate.py'), 0o755);
  chmodSync(join(ws, 'timer.sh'), 0o755);
  mkdirSync(join(ws, 'templates'), { recursive: true });
  if (input.templatesDir && existsSync(input.templatesDir))
    cpSync(input.templatesDir, join(ws, 'templates'), { recursive: true });
  if (input.taskContextDir && existsSync(input.taskContextDir))
    cpSync(input.taskContextDir, join(ws, 'task_context'), { recursive: true });
  const hashes: ProtectedHashes = new Map();
  for (const rel of ['TASK.md', 'evaluate.py', 'timer.sh']) hashes.set(rel, await fileSha256(join(ws, rel)));
  for (const f of listTree(join(ws, 'templates')))
    hashes.set(`templates/${f.rel}`, await fileSha256(join(ws, 'templates', f.rel)));
  return hashes;
}
