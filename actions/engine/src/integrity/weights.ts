import { closeSync, existsSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { IntegrityFinding } from '@ptb/core';
import { fileSha256 } from '../hash.ts';

export interface TensorInfo {
  dtype: string;
  shape: number[];
}

const MAX_HEADER = 100 * 2 ** 20;

/** The tensor table of a .safetensors file: an 8-byte little-endian length, then a JSON header (the weights are not read). */
export function safetensorsHeader(path: string): Record<string, TensorInfo> {
  const fd = openSync(path, 'r');
  try {
    const len = Buffer.alloc(8);
    if (readSync(fd, len, 0, 8, 0) !== 8) throw new Error(`${path}: too short for a safetensors file`);
    const size = Number(len.readBigUInt64LE(0));
    if (size <= 0 || size > MAX_HEADER) throw new Error(`${path}: implausible safetensors header length ${size}`);
    const buf = Buffer.alloc(size);
    if (readSync(fd, buf, 0, size, 8) !== size) throw new Error(`${path}: truncated safetensors header`);
    const header = JSON.parse(buf.toString('utf8')) as Record<string, unknown>;
    const out: Record<string, TensorInfo> = {};
    for (const [name, v] of Object.entries(header)) {
      if (name === '__metadata__' || typeof v !== 'object' || v === null) continue;
      const t = v as { dtype?: unknown; shape?: unknown };
      out[name] = { dtype: String(t.dtype), shape: Array.isArray(t.shape) ? t.shape.map(Number) : [] };
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

const safetensorsFiles = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.safetensors'))
        .sort()
    : [];

/** Every tensor of a model folder (all its .safetensors shards). */
export function modelTensors(dir: string): Record<string, TensorInfo> {
  const out: Record<string, TensorInfo> = {};
  for (const f of safetensorsFiles(dir)) Object.assign(out, safetensorsHeader(join(dir, f)));
  return out;
}

/**
 * A fine-tune keeps the base model's tensors: same names, same shapes (dtype may change).
 * Missing, extra or reshaped tensors mean another model. Pure over the two tensor tables.
 */
export function tensorFindings(base: Record<string, TensorInfo>, final: Record<string, TensorInfo>): IntegrityFinding[] {
  const baseNames = Object.keys(base);
  if (baseNames.length === 0 || Object.keys(final).length === 0) return [];
  const diffs: string[] = [];
  for (const name of baseNames) {
    const f = final[name];
    if (!f) diffs.push(`missing tensor ${name}`);
    else if (JSON.stringify(f.shape) !== JSON.stringify(base[name]?.shape))
      diffs.push(`tensor ${name}: base shape [${base[name]?.shape}], final [${f.shape}]`);
  }
  for (const name of Object.keys(final)) if (!(name in base)) diffs.push(`extra tensor ${name}`);
  if (diffs.length === 0) return [];
  return [
    {
      check: 'model-identity',
      severity: 'violation',
      summary: `the final model's weights do not have the base model's tensors (${diffs.length} difference(s))`,
      evidence: diffs.slice(0, 30),
    },
  ];
}

/**
 * The final model ships a weights file byte-identical to the instruct checkpoint's (when the
 * harness has that checkpoint in its own cache, which the agent never sees).
 */
export async function instructCopyFindings(
  instructDir: string | null,
  finalDir: string,
  instructId: string,
): Promise<IntegrityFinding[]> {
  if (!instructDir || !existsSync(instructDir)) return [];
  const instruct = new Map<string, string>();
  for (const f of safetensorsFiles(instructDir)) instruct.set(await fileSha256(join(instructDir, f)), f);
  const same: string[] = [];
  for (const f of safetensorsFiles(finalDir)) {
    const match = instruct.get(await fileSha256(join(finalDir, f)));
    if (match) same.push(`final_model/${f} is byte-identical to ${instructId}/${match}`);
  }
  if (same.length === 0) return [];
  return [
    {
      check: 'model-identity',
      severity: 'violation',
      summary: `the final model contains the instruct checkpoint ${instructId} unchanged`,
      evidence: same,
    },
  ];
}
