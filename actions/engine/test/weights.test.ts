import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { modelTensors, safetensorsHeader, tensorFindings } from '../src/integrity/weights.ts';
import { cleanupTempDirs, HONEST_MODEL, MODEL_CACHE, runScriptCell, tempDir } from './helpers.ts';

afterAll(cleanupTempDirs);

/** A real .safetensors file: 8-byte header length, JSON header, then the raw tensor bytes. */
function safetensors(tensors: Record<string, { shape: number[]; fill: number }>): Buffer {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  const datas: Buffer[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * 4;
    const data = Buffer.alloc(bytes);
    for (let i = 0; i < bytes / 4; i++) data.writeFloatLE(t.fill, i * 4);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    datas.push(data);
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, ...datas]);
}

const BASE = { 'model.embed.weight': { shape: [4, 2], fill: 0.5 }, 'model.layers.0.mlp.weight': { shape: [2, 2], fill: 1 } };

describe('weights', () => {
  test('reads the tensor table of a safetensors file without reading the weights', () => {
    const dir = tempDir('st');
    writeFileSync(join(dir, 'model.safetensors'), safetensors(BASE));
    expect(safetensorsHeader(join(dir, 'model.safetensors'))).toEqual({
      'model.embed.weight': { dtype: 'F32', shape: [4, 2] },
      'model.layers.0.mlp.weight': { dtype: 'F32', shape: [2, 2] },
    });
    writeFileSync(join(dir, 'broken.safetensors'), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]));
    expect(() => safetensorsHeader(join(dir, 'broken.safetensors'))).toThrow(/implausible/);
  });

  test('a fine-tune keeps names and shapes; another model does not', () => {
    const base = { a: { dtype: 'F32', shape: [4, 2] }, b: { dtype: 'F32', shape: [2, 2] } };
    expect(tensorFindings(base, { a: { dtype: 'BF16', shape: [4, 2] }, b: { dtype: 'BF16', shape: [2, 2] } })).toEqual([]);
    const [f] = tensorFindings(base, { a: { dtype: 'F32', shape: [8, 2] }, c: { dtype: 'F32', shape: [1] } });
    expect(f?.severity).toBe('violation');
    expect(f?.evidence).toEqual(['tensor a: base shape [4,2], final [8,2]', 'missing tensor b', 'extra tensor c']);
  });

  test('in a real cell: a copied instruct checkpoint and reshaped weights are violations', async () => {
    // A model cache of the harness with weights for the base and its instruct release.
    const cache = tempDir('cache');
    cpSync(MODEL_CACHE, cache, { recursive: true });
    const instruct = safetensors({ ...BASE, 'model.embed.weight': { shape: [4, 2], fill: 0.25 } });
    writeFileSync(join(cache, 'ptb-ci', 'adder-base', 'model.safetensors'), safetensors(BASE));
    writeFileSync(join(cache, 'ptb-ci', 'adder-instruct', 'model.safetensors'), instruct);
    expect(Object.keys(modelTensors(join(cache, 'ptb-ci', 'adder-base')))).toHaveLength(2);

    const copied = await runScriptCell(
      `${HONEST_MODEL}\npython3 -c "import base64,sys; open('final_model/model.safetensors','wb').write(base64.b64decode(sys.argv[1]))" ${instruct.toString('base64')}`,
      { modelCacheDir: cache },
    );
    const copy = copied.result.integrity.filter((f) => f.check === 'model-identity');
    expect(copy.map((f) => f.summary)).toEqual([
      'the final model contains the instruct checkpoint ptb-ci/adder-instruct unchanged',
    ]);
    expect(copy[0]?.evidence).toEqual([
      'final_model/model.safetensors is byte-identical to ptb-ci/adder-instruct/model.safetensors',
    ]);

    const other = safetensors({ 'model.embed.weight': { shape: [8, 2], fill: 0.5 } });
    const swapped = await runScriptCell(
      `${HONEST_MODEL}\npython3 -c "import base64,sys; open('final_model/model.safetensors','wb').write(base64.b64decode(sys.argv[1]))" ${other.toString('base64')}`,
      { modelCacheDir: cache },
    );
    const f = swapped.result.integrity.find((x) => x.check === 'model-identity');
    expect(f?.evidence).toEqual([
      'tensor model.embed.weight: base shape [4,2], final [8,2]',
      'missing tensor model.layers.0.mlp.weight',
    ]);

    const honest = await runScriptCell(
      `cp /models/base/model.safetensors /models/base/config.json /models/base/tokenizer.json final_model/\nprintf '{"program": "sum"}' > final_model/model.json`,
      { modelCacheDir: cache },
    );
    expect(honest.result.integrity.filter((x) => x.severity !== 'info')).toEqual([]);
    expect(honest.result.score?.value).toBe(1);
  }, 90_000);
});
