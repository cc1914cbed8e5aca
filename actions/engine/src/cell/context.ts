import type { BaseModel, Benchmark, EvaluationSpec, IntegrityFinding, ResolvedDefinition } from '@ptb/core';
import type { AgentLaunch } from '../agents/adapters.ts';
import type { CappedLog } from '../capped-log.ts';
import type { LlmProxy } from '../egress/llm-proxy.ts';
import type { Egress } from '../egress/squid.ts';
import type { EvalService } from '../eval-service.ts';
import type { Provenance } from '../provenance.ts';
import type { Cgroup } from '../sandbox/cgroup.ts';
import type { SandboxUser } from '../sandbox/identity.ts';
import type { RuntimeContext } from '../sandbox/runtime.ts';
import type { ScratchFs } from '../sandbox/scratch-fs.ts';
import type { SandboxSpec } from '../sandbox/spec.ts';
import type { CellRequest } from '../types.ts';
import type { EvaluationEnvironment, TestItemsRead } from '../verify/environment.ts';
import type { ProtectedHashes } from '../workspace.ts';

/** The request itself is wrong (unknown model or benchmark, bad agent script): exit 1, no result. */
export class InputError extends Error {}

/**
 * Everything the phases of one cell share: the resolved request, the harness-side paths,
 * the services started for it, and how to build a sandbox. Made by `prepareCell`, read by
 * every later phase, torn down once by `run-cell.ts`.
 */
export interface Cell {
  req: CellRequest;
  def: ResolvedDefinition;
  baseModel: BaseModel;
  benchmark: Benchmark;
  evaluation: EvaluationSpec;
  /** Pristine evaluator files: the benchmark's bundle, or our Inspect tasks (harness side); null when the image has them. */
  evaluatorDir: string | null;
  /** Inspect evaluated on the host (bwrap): the evaluation environment and data cache bound into verification. */
  inspectOnHost: boolean;
  evalEnvironment: EvaluationEnvironment;
  jobStart: number;
  mark: (name: string) => void;
  /**
   * The harness commit and image references: asked once the agent has started (git and the
   * tools' --version then run beside it, not beside the setup), read when the result is written.
   */
  provenance: () => Promise<Provenance>;
  /** The benchmark's test items for the contamination scan: asked once the agent has started, read at its end. */
  testItems: () => Promise<TestItemsRead>;
  /** Each mark so far, in ms after the job's start (written to logs/harness-marks.json). */
  marks: { name: string; afterMs: number }[];
  paths: {
    out: string;
    logs: string;
    scratch: string;
    workspace: string;
    harness: string;
    sockets: string;
    baseModel: string;
    modelCache: string;
    traceFile: string;
    evaluatorLog: string;
    harnessLlmSocket: string;
  };
  name: string;
  gpuIndex: number;
  gpus: string[];
  images: { agent: string | null; evaluation: string | null };
  budgetSeconds: number;
  deadlineMs: number;
  prompt: string;
  protectedBefore: ProtectedHashes;
  redact: (text: string) => string;
  launch: AgentLaunch;
  services: { llm: LlmProxy | null; evalService: EvalService | null; egress: Egress | null };
  /** The agent's cgroup, and the one evaluations run in. */
  cgroup: Cgroup | null;
  verifyCgroup: Cgroup | null;
  /** The unprivileged host user of the sandboxes (null: the harness's own, unprivileged, user). */
  user: SandboxUser | null;
  /** The size-capped filesystem the workspace lives on. */
  scratchFs: ScratchFs | null;
  /** The evaluator's output, capped. */
  evaluatorLog: CappedLog;
  /** What the harness itself saw during the run (a limit reached, egress stopped...), with evidence. */
  harnessFindings: IntegrityFinding[];
  /** Stops the watchdogs of the run. */
  stopWatchdogs: () => void;
  /** Ends the agent's sandbox: the runner's cancellation, or a service of the harness that failed under it. */
  signal: AbortSignal;
  /** Why the harness stopped the agent (a service that failed), or null: the run is then the harness's error. */
  harnessFault: string | null;
  /** Settles once squid listens or has failed (never rejects); null without egress. */
  egressReady: Promise<void> | null;
  runtime: (image: string | null, name: string) => RuntimeContext;
  /** The agent's sandbox for a command line. */
  agentSpec: (argv: string[]) => SandboxSpec;
  /** Number of agent-facing evaluate calls served so far. */
  evaluateCalls: () => number;
}
