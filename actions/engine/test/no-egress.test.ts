import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { toolchain } from '../src/sandbox/spec.ts';
import { CI_DEFINITION, cleanupTempDirs, HONEST_MODEL, runScriptCell, tempDir } from './helpers.ts';

afterAll(cleanupTempDirs);

test('toolchain folders are bound read-only at their own path, their bin/ first on PATH', () => {
  const t = toolchain({ PTB_SANDBOX_TOOLCHAIN: '/opt/torch/.venv:relative/ignored:/usr/local/nvidia' });
  expect(t.mounts).toEqual([
    { host: '/opt/torch/.venv', target: '/opt/torch/.venv', mode: 'ro' },
    { host: '/usr/local/nvidia', target: '/usr/local/nvidia', mode: 'ro' },
  ]);
  expect(t.path).toBe('/opt/torch/.venv/bin:/usr/local/nvidia/bin:/usr/local/bin:/usr/bin:/bin');
  expect(toolchain({}).path).toBe('/usr/local/bin:/usr/bin:/bin');
});

test('a definition that allows no egress runs without a proxy: no proxy variables, nothing listening, a toolchain on PATH', async () => {
  const tools = tempDir('toolchain');
  mkdirSync(join(tools, 'bin'));
  writeFileSync(join(tools, 'bin', 'ptb-tool'), '#!/bin/sh\necho TOOLCHAIN-OK\n', { mode: 0o755 });
  const definition = { ...CI_DEFINITION, network: { allow: [], deny: [] } };
  const previous = process.env.PTB_SANDBOX_TOOLCHAIN;
  process.env.PTB_SANDBOX_TOOLCHAIN = tools;
  try {
    const { result, traceText } = await runScriptCell(
      `echo "PROXY=[\${HTTPS_PROXY:-}\${HTTP_PROXY:-}]"
ptb-tool
python3 -c "
import socket
try:
    socket.create_connection(('127.0.0.1', 3128), timeout=2); print('PROXY-PORT-OPEN')
except OSError: print('PROXY-PORT-CLOSED')
"
touch ${tools}/written 2>/dev/null && echo TOOLCHAIN-WRITABLE || echo TOOLCHAIN-READ-ONLY
${HONEST_MODEL}`,
      { definition },
    );
    expect(traceText).toContain('PROXY=[]');
    expect(traceText).toContain('TOOLCHAIN-OK');
    expect(traceText).toContain('PROXY-PORT-CLOSED');
    expect(traceText).toContain('TOOLCHAIN-READ-ONLY');
    expect(result.status).toBe('scored');
    expect(result.score?.value).toBe(1);
    expect(result.execution?.proxy.requests).toBe(0);
  } finally {
    if (previous === undefined) delete process.env.PTB_SANDBOX_TOOLCHAIN;
    else process.env.PTB_SANDBOX_TOOLCHAIN = previous;
  }
}, 120_000);
