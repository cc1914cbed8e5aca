// Runs one job of a workflow the way the runner would, from what GitHub's parser and evaluator
// make of it (workflow-model.ts): each step's `if:` decides, our actions' bundles get exactly the
// evaluated `with:` and `env:`, the artifact steps move folders in a local artifact store that,
// like upload-artifact v4, refuses a second artifact of the same name in one run, and the App
// token step hands out a stand-in token. Checkout, setup-node, npm ci and bundle steps are what
// the test set up before (the repository and the bundles).
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type ActionRun, runBundled, tempDir } from './harness.ts';
import { type EventInput, type JobPlan, planJob, type WorkflowModel } from './workflow-model.ts';

export const APP_TOKEN = 'ghs_app_installation_token';

export class ArtifactStore {
  readonly root = tempDir('artifacts');
  upload(runId: number, name: string, path: string): void {
    const dest = join(this.root, String(runId), name);
    if (existsSync(dest))
      throw new Error(`an artifact named ${name} already exists in run ${runId} (upload-artifact refuses it)`);
    mkdirSync(dest, { recursive: true });
    if (existsSync(path)) cpSync(path, dest, { recursive: true });
  }
  download(runId: number, name: string, path: string): boolean {
    const src = join(this.root, String(runId), name);
    if (!existsSync(src)) return false;
    cpSync(src, path, { recursive: true });
    return true;
  }
  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

export interface JobRun {
  ran: boolean;
  result: 'success' | 'failure' | 'skipped';
  outputs: Record<string, string>;
  plan: JobPlan;
  actions: { name: string; inputs: Record<string, string>; run: ActionRun }[];
}

export interface RunJobOptions {
  bundles: Record<string, string>;
  api: string;
  workspace: string;
  artifacts: ArtifactStore;
  needs?: Record<string, { result: string; outputs: Record<string, string> }>;
  /** The one substitution a test makes: the engine's command line (a `ptb run` stand-in). */
  ptbCommand?: string;
  /** Variables of the runner machine itself (not of the workflow). */
  machineEnv?: Record<string, string>;
}

export async function runJob(wf: WorkflowModel, jobId: string, ev: EventInput, o: RunJobOptions): Promise<JobRun> {
  const runnerTemp = tempDir('runner-temp');
  const plan = planJob(wf, jobId, ev, o.needs ?? {}, runnerTemp);
  const actions: JobRun['actions'] = [];
  if (!plan.runs) {
    rmSync(runnerTemp, { recursive: true, force: true });
    return { ran: false, result: 'skipped', outputs: {}, plan, actions };
  }
  const steps: Record<string, Record<string, string>> = {};
  let failed = false;
  try {
    for (const [i, step] of plan.steps.entries()) {
      if (!plan.stepRuns(i, { success: !failed, failed, cancelled: false })) continue;
      const uses = step.uses ?? '';
      const withValues = plan.stepWith(i, steps, { success: !failed, failed, cancelled: false });
      const local = /^\.\/actions\/(.+)$/.exec(uses)?.[1];
      if (local) {
        const inputs = { ...withValues };
        if (local === 'evaluate' && o.ptbCommand) inputs['ptb-command'] = o.ptbCommand;
        const env = plan.actions.find((a) => a.name === local)?.env ?? {};
        const run = await runBundled(o.bundles[local] ?? '', {
          eventName: ev.name,
          event: ev.payload,
          inputs,
          api: o.api,
          workspace: o.workspace,
          env: {
            ...o.machineEnv,
            ...env,
            GITHUB_RUN_ID: String(ev.runId ?? 4242),
            GITHUB_RUN_ATTEMPT: String(ev.runAttempt ?? 1),
            RUNNER_TEMP: runnerTemp,
          },
        });
        actions.push({ name: local, inputs, run });
        if (step.id) steps[step.id] = run.outputs;
        if (run.code !== 0) failed = true;
      } else if (uses.startsWith('actions/upload-artifact')) {
        o.artifacts.upload(ev.runId ?? 4242, withValues.name ?? '', withValues.path ?? '');
      } else if (uses.startsWith('actions/download-artifact')) {
        o.artifacts.download(ev.runId ?? 4242, withValues.name ?? '', withValues.path ?? '');
      } else if (uses.startsWith('actions/create-github-app-token')) {
        if (step.id) steps[step.id] = { token: APP_TOKEN };
      }
    }
    return { ran: true, result: failed ? 'failure' : 'success', outputs: plan.outputs(steps), plan, actions };
  } finally {
    rmSync(runnerTemp, { recursive: true, force: true });
  }
}
