/**
 * Runs one real cell of the CI definition with a real scaffold CLI (the pinned version from
 * images/agent/clis) in the bwrap sandbox, through squid and the credential proxy, against
 * the model stand-in. Shared by the end-to-end tests and `npm run test:agents`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentManifest, type CellResult, type ScaffoldId, type Timeline } from '@ptb/core';
import { CLIS_DIR, pinnedVersions } from '../../src/agents/install.ts';
import { parseAccessLog } from '../../src/egress/access-log.ts';
import type { LlmProvider } from '../../src/egress/llm-providers.ts';
import { type CellRequest, runCell } from '../../src/index.ts';
import { CI_DEFINITION, MODEL_CACHE, submissionDir, tempDir } from '../helpers.ts';
import type { Scenario } from '../standin/script.ts';
import { type Standin, startStandin } from '../standin/server.ts';

/** A distinct real key per provider: the stand-in accepts only these, the agent must never see them. */
export const REAL_KEYS: Record<LlmProvider, string> = {
  anthropic: 'sk-ant-api03-e2eREALanthropicKEY-0123456789abcdefghij',
  openai: 'sk-proj-e2eREALopenaiKEY0123456789abcdefghij',
  google: 'AIzaSyE2EREALgoogleKEY0123456789abcdefgh',
  openrouter: 'sk-or-v1-e2eREALopenrouterKEY0123456789abcdef',
  opencode: 'sk-e2eREALopencodeZenKEY0123456789abcdefgh',
  zai: 'e2eREALzaiKEY.0123456789abcdefghijklmnop',
  qwen: 'sk-e2eREALdashscopeKEY0123456789abcdefghij',
};

export interface AgentCellOptions {
  scaffold: ScaffoldId;
  model: string;
  provider?: string;
  reasoningEffort?: AgentManifest['agent']['reasoningEffort'];
  reprompt?: boolean;
  scenario?: Scenario;
  budgetSeconds?: number;
  llmCap?: CellRequest['llmCap'];
  /** Re-prompting limits of the harness (tests: a short floor and one re-prompt). */
  repromptLimits?: CellRequest['reprompt'];
  /** Set up faults on the stand-in before the cell starts. */
  arrange?: (standin: Standin) => void;
  /** Overrides of the environment the harness reads (PTB_AGENT_CLIS, ...). */
  env?: Record<string, string>;
}

export interface AgentCellRun {
  result: CellResult;
  outDir: string;
  standin: Standin;
  timeline: Timeline | null;
  /** Squid's log as the harness kept it (`logs/proxy-access.log`), one request per line. */
  egress: ReturnType<typeof parseAccessLog>;
  llmLog: Record<string, unknown>[];
  trace: string;
  seconds: number;
}

export const pinnedVersion = (scaffold: ScaffoldId): string => {
  const v = pinnedVersions(CLIS_DIR)[scaffold];
  if (!v) throw new Error(`${scaffold} is not pinned in images/agent/clis/package.json`);
  return v;
};

export async function runAgentCell(o: AgentCellOptions): Promise<AgentCellRun> {
  const standin = await startStandin({ keys: REAL_KEYS, scenario: o.scenario ?? 'train' });
  o.arrange?.(standin);
  const outDir = join(tempDir('agent-out'), 'cell');
  const manifest = AgentManifest.parse({
    id: 'test-agent',
    displayName: 'E2E agent',
    benchmarkVersion: 'v0-ci',
    description: 'A real scaffold CLI driven by the model stand-in.',
    contact: { name: 'Test' },
    agent: {
      scaffold: o.scaffold,
      version: pinnedVersion(o.scaffold),
      model: o.model,
      ...(o.provider ? { provider: o.provider } : {}),
      reasoningEffort: o.reasoningEffort ?? 'default',
      reprompt: o.reprompt ?? false,
    },
    runs: 1,
  });
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(o.env ?? {})) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  const started = Date.now();
  try {
    const result = await runCell({
      submissionDir: submissionDir(),
      manifest,
      definition: CI_DEFINITION,
      baseModel: 'ptb-ci/adder-base',
      benchmark: 'ci-add',
      seed: 1,
      runtime: 'bwrap',
      outDir,
      budgetSeconds: o.budgetSeconds ?? 240,
      graceSeconds: 2,
      modelCacheDir: MODEL_CACHE,
      evaluateMinIntervalSeconds: 0,
      llmKeys: REAL_KEYS,
      llmUpstreams: standin.upstreams,
      ...(o.llmCap ? { llmCap: o.llmCap } : {}),
      ...(o.repromptLimits ? { reprompt: o.repromptLimits } : {}),
    });
    const logs = join(outDir, 'logs');
    const read = (f: string) => (existsSync(join(logs, f)) ? readFileSync(join(logs, f), 'utf8') : '');
    return {
      result,
      outDir,
      standin,
      timeline: existsSync(join(logs, 'timeline.json')) ? (JSON.parse(read('timeline.json')) as Timeline) : null,
      egress: parseAccessLog(read('proxy-access.log')),
      llmLog: read('llm-proxy.jsonl')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
      trace: read('agent-trace.jsonl'),
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await standin.close();
  }
}
