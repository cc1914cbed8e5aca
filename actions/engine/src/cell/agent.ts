import { writeFileSync } from 'node:fs';
import { repromptArgv } from '../agents/adapters.ts';
import { sandboxArgv } from '../sandbox/runtime.ts';
import { EXEC_MARKER } from '../sandbox/spec.ts';
import { type SuperviseResult, supervise } from '../sandbox/supervise.ts';
import type { Cell } from './context.ts';

/** Bytes of agent output kept in the trace; the rest is read and dropped. */
export const TRACE_CAP_BYTES = 8 * 2 ** 20;

/** How the agent's part of the cell went. */
export interface AgentOutcome {
  runs: SuperviseResult[];
  last: SuperviseResult;
  startedAt: number;
  endedAt: number;
  firstOutputAt: number | null;
  timedOut: boolean;
  truncated: boolean;
  /** Sandbox processes that outlived it (killed; a finding). */
  leftovers: number[];
  /** The last lines printed (redacted), for a CLI that dies at start-up. */
  tail: string[];
  /** What the harness did, for the timeline. */
  harnessEvents: { atMs: number; text: string }[];
}

/**
 * The agent in its sandbox under the hard time limit, its output a redacted JSONL trace;
 * re-prompted while more than 30 minutes remain when the manifest asks for it.
 */
export async function runAgent(cell: Cell): Promise<AgentOutcome> {
  const { launch, redact, paths } = cell;
  writeFileSync(paths.traceFile, '');
  const chunks: string[] = [];
  let traceBytes = 0;
  const flush = () => {
    if (chunks.length === 0) return;
    writeFileSync(paths.traceFile, chunks.join(''), { flag: 'a' });
    chunks.length = 0;
  };
  const tail: string[] = [];
  const harnessEvents: { atMs: number; text: string }[] = [];
  const onLine = (stream: 'stdout' | 'stderr', line: string) => {
    if (line === EXEC_MARKER) return;
    const clean = redact(line);
    tail.push(clean.slice(0, 2000));
    if (tail.length > 40) tail.shift();
    let event: unknown;
    if (launch.trace === 'jsonl' && stream === 'stdout' && clean.startsWith('{')) {
      try {
        event = JSON.parse(clean);
      } catch {
        event = undefined;
      }
    }
    const record = `${JSON.stringify({ ts: new Date().toISOString(), stream, ...(event !== undefined ? { event } : { text: clean }) })}\n`;
    traceBytes += record.length;
    chunks.push(record);
    if (chunks.length > 256) flush();
  };
  // The trace on disk follows the run (a maintainer can watch a long cell), a second or two behind.
  const flusher = setInterval(flush, 1000);
  flusher.unref();
  cell.mark('agent-start');
  const startedAt = Date.now();
  let firstOutputAt: number | null = null;
  const runs: SuperviseResult[] = [];
  let argv = launch.argv;
  harnessEvents.push({ atMs: startedAt, text: `the agent (${launch.name}) started; budget ${cell.budgetSeconds} s` });
  try {
    for (;;) {
      const r = await supervise({
        argv: sandboxArgv(cell.agentSpec(argv), cell.runtime(cell.images.agent, `${cell.name}-agent-${runs.length}`)),
        timeLimitMs: Math.max(0, cell.deadlineMs - Date.now()),
        graceMs: (cell.req.graceSeconds ?? 10) * 1000,
        cgroup: cell.cgroup,
        maxOutputBytes: Math.max(0, TRACE_CAP_BYTES - traceBytes),
        onLine,
        signal: cell.signal,
        onFirstOutput: (at) => {
          firstOutputAt ??= at;
          cell.mark('agent-first-output');
          // Asked now, answered long before the result is written.
          cell.provenance().catch(() => {});
          void cell.testItems();
        },
      });
      runs.push(r);
      flush();
      harnessEvents.push({
        atMs: r.endedAtMs,
        text: r.timedOut ? 'the time limit stopped the sandbox' : `the agent exited with code ${r.exitCode}`,
      });
      if (cell.signal.aborted) break;
      const next = repromptArgv(launch, {
        asked: cell.req.manifest.agent.reprompt,
        timedOut: r.timedOut,
        secondsLeft: (cell.deadlineMs - Date.now()) / 1000,
        exitCode: r.exitCode,
        done: runs.length - 1,
        ...(cell.req.reprompt ?? {}),
      });
      if (!next) break;
      harnessEvents.push({ atMs: Date.now(), text: 're-prompted: time is left in the budget' });
      argv = next;
    }
  } finally {
    clearInterval(flusher);
    flush();
  }
  const endedAt = Date.now();
  cell.mark('agent-end');
  const truncated = runs.some((r) => r.truncated);
  if (truncated)
    writeFileSync(
      paths.traceFile,
      `${JSON.stringify({ ts: new Date().toISOString(), stream: 'harness', text: `output truncated at ${TRACE_CAP_BYTES} bytes; ${runs.reduce((a, r) => a + r.outputBytes, 0)} bytes printed in total` })}\n`,
      { flag: 'a' },
    );
  return {
    runs,
    last: runs[runs.length - 1] as SuperviseResult,
    startedAt,
    endedAt,
    firstOutputAt,
    timedOut: runs.some((r) => r.timedOut),
    truncated,
    leftovers: runs.flatMap((r) => r.leftovers),
    tail,
    harnessEvents,
  };
}
