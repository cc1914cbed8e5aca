import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { IntegrityFinding } from '@ptb/core';
import { parseAccessLog } from '../egress/access-log.ts';
import { scanContamination } from '../integrity/contamination.ts';
import { egressFindings, prewrittenVerdictFindings, protectedFileFindings } from '../integrity/findings.ts';
import { judgePrompt, llmJudgeFindings, proxyJudge } from '../integrity/llm-judge.ts';
import { modelIdentityFindings, tokenizerVocab } from '../integrity/model-identity.ts';
import { parsePythonJson } from '../integrity/python-json.ts';
import { emptyCoverage, type ScanCoverage, type TextSource, textSources, workspaceFiles } from '../integrity/text-sources.ts';
import { instructCopyFindings, modelTensors, tensorFindings } from '../integrity/weights.ts';
import { modelDirIn } from '../paths.ts';
import { readBounded, safeFileSha256, walkTree } from '../safe-fs.ts';
import type { AgentOutcome } from './agent.ts';
import type { Collected } from './collect.ts';
import type { Cell } from './context.ts';

/** What the egress audit read from squid's log, for the result's counters. */
export interface EgressAudit {
  requests: number;
  denied: number;
}

const MAX_CONFIG_BYTES = 16 * 2 ** 20;
const MAX_TOKENIZER_BYTES = 64 * 2 ** 20;
const MAX_ACCESS_LOG_BYTES = 64 * 2 ** 20;

type JsonRead = { ok: true; value: Record<string, unknown> | null } | { ok: false; why: string };

/** A JSON file of a model folder read as Python reads it; absent is null, anything unreadable says why. */
function readModelJson(dir: string, name: string, maxBytes: number): JsonRead {
  const file = readBounded(join(dir, name), maxBytes);
  if (!file) return { ok: true, value: null };
  if (file.truncated) return { ok: false, why: `${name} is larger than ${maxBytes} bytes` };
  try {
    const value = parsePythonJson(file.bytes.toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return { ok: false, why: `${name} is not a JSON object` };
    return { ok: true, value: value as Record<string, unknown> };
  } catch (e) {
    return { ok: false, why: `${name} is not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
}

const unreadable = (why: string): IntegrityFinding => ({
  check: 'model-identity',
  severity: 'violation',
  summary: 'the final model could not be read by the harness, so its identity could not be checked',
  evidence: [why.slice(0, 500)],
});

/** Architecture, tokenizer and weight tables of the final model's snapshot against the base model (and the instruct checkpoint, when the harness has it). */
export async function modelFindings(cell: Cell, snapshotDir: string): Promise<IntegrityFinding[]> {
  const findings: IntegrityFinding[] = [];
  const base = cell.paths.baseModel;
  try {
    findings.push(...tensorFindings(modelTensors(base), modelTensors(snapshotDir)));
  } catch (e) {
    findings.push(unreadable(`weights: ${e instanceof Error ? e.message.replace(snapshotDir, 'final_model') : String(e)}`));
  }
  findings.push(
    ...(await instructCopyFindings(
      modelDirIn(cell.paths.modelCache, cell.baseModel.instruct.id),
      snapshotDir,
      cell.baseModel.instruct.id,
    )),
  );
  const baseConfig = readModelJson(base, 'config.json', MAX_CONFIG_BYTES);
  const baseTokenizer = readModelJson(base, 'tokenizer.json', MAX_TOKENIZER_BYTES);
  const config = readModelJson(snapshotDir, 'config.json', MAX_CONFIG_BYTES);
  const tokenizer = readModelJson(snapshotDir, 'tokenizer.json', MAX_TOKENIZER_BYTES);
  if (!config.ok) findings.push(unreadable(config.why));
  else if (config.value === null) findings.push(unreadable('config.json is missing'));
  if (!tokenizer.ok) findings.push(unreadable(tokenizer.why));
  if (config.ok && config.value && baseConfig.ok && baseConfig.value)
    findings.push(
      ...modelIdentityFindings(
        { config: baseConfig.value, vocab: baseTokenizer.ok ? tokenizerVocab(baseTokenizer.value) : null },
        { config: config.value, vocab: tokenizer.ok ? tokenizerVocab(tokenizer.value) : null },
      ),
    );
  return findings;
}

/** The strings of the agent's trace (its commands, tool inputs, outputs): files it wrote and deleted show up here. */
export function traceText(traceFile: string): TextSource | null {
  const read = readBounded(traceFile, 64 * 2 ** 20);
  if (!read) return null;
  const strings: string[] = [];
  const collect = (v: unknown): void => {
    if (typeof v === 'string') strings.push(v);
    else if (Array.isArray(v)) for (const x of v) collect(x);
    else if (v && typeof v === 'object') for (const x of Object.values(v)) collect(x);
  };
  for (const line of read.bytes.toString('utf8').split('\n')) {
    if (!line) continue;
    try {
      collect(JSON.parse(line));
    } catch {
      strings.push(line);
    }
  }
  return { path: 'the agent trace', text: strings.join('\n') };
}

/**
 * Everything the agent left, decoded, and its trace: where test items are looked for. The
 * event loop gets a turn after each piece: the scan runs while the harness starts and
 * serves the verification.
 */
async function* contaminationSources(cell: Cell, coverage: ScanCoverage): AsyncGenerator<TextSource> {
  for await (const source of textSources(workspaceFiles(cell.paths.workspace, undefined, coverage), undefined, coverage)) {
    yield source;
    await nextTurn();
  }
  const trace = traceText(cell.paths.traceFile);
  if (trace) yield trace;
}

/** Scripts the agent left (for the optional LLM judge), bounded in size. */
function codeFiles(workspace: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  let budget = 100_000;
  for (const f of walkTree(workspace).entries) {
    if (
      f.kind !== 'file' ||
      f.rel.startsWith('final_model/') ||
      f.rel.startsWith('.home/') ||
      !/\.(py|sh|ipynb|ya?ml|toml)$/.test(f.rel)
    )
      continue;
    const read = readBounded(join(workspace, f.rel), 20_000);
    if (!read) continue;
    const text = read.bytes.toString('utf8');
    if (text.length > budget) break;
    budget -= text.length;
    out.push({ path: f.rel, text });
  }
  return out;
}

/** The optional LLM judge over the trace tail and the scripts, through the credential proxy's harness socket. */
export async function llmJudge(cell: Cell): Promise<IntegrityFinding[]> {
  const judge = cell.req.judge;
  if (!judge) return [];
  const trace = readBounded(cell.paths.traceFile, 8 * 2 ** 20);
  const tail = trace ? trace.bytes.toString('utf8').slice(-60_000) : '';
  return llmJudgeFindings(
    proxyJudge(cell.paths.harnessLlmSocket, judge),
    judgePrompt(tail, codeFiles(cell.paths.workspace)),
    judge.votes,
  );
}

/** Squid's access log, read in a bounded piece, without the start-up probe; kept redacted in the cell's logs. */
export function readEgressLog(cell: Cell): ReturnType<typeof parseAccessLog> {
  const log = readBounded(join(cell.paths.scratch, 'egress', 'access.log'), MAX_ACCESS_LOG_BYTES);
  // Connections that closed before sending a request (e.g. the start-up probe) are not requests.
  const access = parseAccessLog(log ? log.bytes.toString('utf8') : '').filter(
    (e) => !e.url.startsWith('error:transaction-end-before-headers'),
  );
  const note = log?.truncated ? `# access log cut at ${MAX_ACCESS_LOG_BYTES} of ${log.size} bytes\n` : '';
  writeFileSync(
    join(cell.paths.logs, 'proxy-access.log'),
    note + cell.redact(access.map((e) => e.raw).join('\n')) + (access.length ? '\n' : ''),
  );
  return access;
}

/**
 * The checks of what the agent left on disk: protected files, verdicts written in advance, the
 * final model's snapshot against the base model, test items in its files and trace. Nothing
 * they read changes once the agent is gone, so they run while the verifier scores the model.
 */
export async function fileFindings(cell: Cell, collected: Collected): Promise<IntegrityFinding[]> {
  const ws = cell.paths.workspace;
  const findings: IntegrityFinding[] = [];
  const after = new Map<string, string | null>();
  for (const rel of cell.protectedBefore.keys()) after.set(rel, await safeFileSha256(join(ws, rel)));
  findings.push(...protectedFileFindings(cell.protectedBefore, after));
  findings.push(...prewrittenVerdictFindings(walkTree(ws).entries.map((f) => f.rel)));
  if (collected.kind !== 'missing') findings.push(...collected.findings);
  if (collected.kind === 'snapshot') findings.push(...(await modelFindings(cell, collected.dir)));
  cell.mark('model-checked');
  // Read while the agent ran: by now it is (nearly always) already there.
  const items = await cell.testItems();
  if (items.kind === 'items') {
    const coverage = emptyCoverage();
    findings.push(...(await scanContamination(contaminationSources(cell, coverage), items.items)));
    findings.push(...coverageFindings(coverage));
  } else if (items.kind === 'unreadable')
    findings.push({
      check: 'harness',
      severity: 'warning',
      summary: "the benchmark's test items could not be read, so the contamination scan did not run",
      evidence: [cell.redact(items.why).slice(0, 2000)],
    });
  cell.mark('contamination-scanned');
  return findings;
}

/**
 * A scan that could not read everything says so: what it left out may be where the test set
 * is. Information, not a warning: honest runs reach the limits too (checkpoints, dataset caches).
 */
function coverageFindings(coverage: ScanCoverage): IntegrityFinding[] {
  if (coverage.filesUnread === 0 && coverage.filesCut === 0) return [];
  return [
    {
      check: 'contamination',
      severity: 'info',
      summary: `the contamination scan did not read everything the agent left: ${coverage.filesUnread} file(s) unread, ${coverage.filesCut} read in part (its limits bound its time; look at these by hand)`,
      evidence: coverage.examples,
    },
  ];
}

/** Every integrity check of the cell, with evidence: those of the files (`fileFindings`, run earlier), then the run's own. */
export function integrityFindings(
  cell: Cell,
  agent: AgentOutcome,
  files: readonly IntegrityFinding[],
  access: ReturnType<typeof parseAccessLog>,
  gpuLeft: number[],
): IntegrityFinding[] {
  const findings: IntegrityFinding[] = [...files];
  findings.push(...egressFindings(access, cell.def.network.deny, { allow: cell.def.network.allow }));
  if (agent.leftovers.length > 0)
    findings.push({
      check: 'sandbox-escape',
      severity: 'violation',
      summary: 'processes of the sandbox outlived it and were killed',
      evidence: agent.leftovers.map(String),
    });
  if (gpuLeft.length > 0)
    findings.push({
      check: 'harness',
      severity: 'warning',
      summary: `processes still hold GPU ${cell.gpuIndex} after the run`,
      evidence: gpuLeft.map(String),
    });
  // What the harness saw during the run: limits not enforced, egress stopped at its log cap...
  findings.push(...cell.harnessFindings);
  if (agent.last.exitCode === 97)
    findings.push({
      check: 'harness',
      severity: 'info',
      summary: 'the egress bridges did not start inside the sandbox',
      evidence: [],
    });
  return findings;
}
