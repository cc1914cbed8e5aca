/**
 * Whose fault a failed evaluation attempt is. The model's (`broken`: it did not load, or it
 * loaded and could not be evaluated) takes the penalty; the harness's (`error`: an evaluator
 * that cannot start, a missing dataset, a judge API outage, a crash of the model server or
 * of the GPU) never does: the cell is retried and a maintainer is told. When the evidence
 * does not say, the harness is blamed: a harness failure is never silently penalised.
 */
export type ErrorSource = 'harness' | 'evaluator' | 'provider' | 'judge' | 'fleet';

export type Fault = { fault: 'model'; reason: string } | { fault: 'harness'; source: ErrorSource; reason: string };

export interface AttemptEvidence {
  /** Exit code of the evaluator (null when it was killed). */
  exitCode: number | null;
  timedOut: boolean;
  /** The Inspect log's status and error text (message and traceback), when a log was written. */
  log: { status: string; error: string | null } | null;
  /** The end of the evaluator's own output (stdout and stderr). */
  outputTail: string;
}

/** Markers our evaluators print in front of their own harness-side failures (ptb_evals.data, ptb_evals.judge). */
const DATA_MISSING = 'PTB-DATA-MISSING';
const JUDGE_UNAVAILABLE = 'PTB-JUDGE-UNAVAILABLE';

const has = (text: string, ...needles: (string | RegExp)[]) =>
  needles.some((n) => (typeof n === 'string' ? text.includes(n) : n.test(text)));

const firstLine = (text: string, marker: string): string => {
  const at = text.indexOf(marker);
  return text.slice(at, text.indexOf('\n', at) === -1 ? undefined : text.indexOf('\n', at)).trim();
};

export function classifyFailure(ev: AttemptEvidence): Fault {
  const text = `${ev.log?.error ?? ''}\n${ev.outputTail}`;
  if (has(text, DATA_MISSING))
    return { fault: 'harness', source: 'evaluator', reason: `evaluation data missing: ${firstLine(text, DATA_MISSING)}` };
  if (has(text, JUDGE_UNAVAILABLE))
    return { fault: 'harness', source: 'judge', reason: `the LLM judge did not answer: ${firstLine(text, JUDGE_UNAVAILABLE)}` };
  // Datasets the evaluator tried to fetch with the network off (not in the data cache).
  if (has(text, 'OfflineModeIsEnabled', 'LocalEntryNotFoundError', "Couldn't reach", /Couldn't find (a dataset|cache)/))
    return { fault: 'harness', source: 'evaluator', reason: 'a dataset the evaluator needs is not in the data cache' };
  // The GPU or its driver failed: not the model's doing.
  if (has(text, 'CUDA out of memory', 'CUDA error', 'NCCL error', 'No CUDA GPUs are available', 'cudaErrorNoDevice'))
    return { fault: 'harness', source: 'fleet', reason: 'the GPU failed during the evaluation (CUDA error or out of memory)' };
  // The evaluator itself could not start.
  if (!ev.log) {
    if (ev.timedOut) return { fault: 'model', reason: 'the evaluation exceeded its time limit before writing a log' };
    if (ev.exitCode === 126 || ev.exitCode === 127 || has(text, 'No module named', 'command not found', 'ModuleNotFoundError'))
      return { fault: 'harness', source: 'evaluator', reason: `the evaluator could not start (exit code ${ev.exitCode})` };
    return {
      fault: 'harness',
      source: 'evaluator',
      reason: `the evaluator wrote no Inspect log (exit code ${ev.exitCode}): ${lastLine(ev.outputTail)}`,
    };
  }
  // vLLM (or the transformers provider) could not load the final model: the model's fault.
  if (
    has(
      text,
      /Failed to start vLLM server/i,
      'Server process exited unexpectedly',
      /Error loading model|could not load the model|model did not load/i,
    )
  )
    return { fault: 'model', reason: `the model did not load in the model server: ${lastLine(ev.log.error ?? ev.outputTail)}` };
  // The model server went away after it had started: a crash of vLLM, not a property of the model.
  if (has(text, 'APIConnectionError', 'Connection refused', 'RemoteProtocolError', 'Server disconnected'))
    return { fault: 'harness', source: 'evaluator', reason: `the model server stopped answering during the evaluation (crash)` };
  if (ev.timedOut) return { fault: 'model', reason: 'the evaluation exceeded its time limit' };
  return { fault: 'harness', source: 'evaluator', reason: `the evaluation failed: ${lastLine(ev.log.error ?? ev.outputTail)}` };
}

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return (lines[lines.length - 1] ?? '(no output)').slice(0, 300);
}
