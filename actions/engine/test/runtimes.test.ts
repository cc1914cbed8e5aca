import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDefinition } from '@ptb/core/files';
import { afterAll, describe, expect, test } from 'vitest';
import { apptainerArgs, bwrapArgs, dockerArgs, PLACEHOLDER_KEY, type SandboxSpec } from '../src/index.ts';
import { forbiddenInCache, gpuDevices, PreflightError, preflight } from '../src/preflight.ts';
import { createCgroup, detectCgroup } from '../src/sandbox/cgroup.ts';
import { sandboxArgv } from '../src/sandbox/runtime.ts';
import { bridgeInit } from '../src/sandbox/spec.ts';
import { verificationSpec } from '../src/verify/verifier.ts';
import { CI_DEFINITION, cleanupTempDirs, tempDir } from './helpers.ts';

afterAll(cleanupTempDirs);

const spec = (over: Partial<SandboxSpec> = {}): SandboxSpec => ({
  argv: ['claude', '--print', 'hi'],
  cwd: '/workspace',
  env: { PATH: '/usr/bin:/bin', HOME: '/workspace/.home' },
  mounts: [
    { host: '/scratch/ws', target: '/workspace', mode: 'rw' },
    { host: '/cache/Qwen/Qwen3-4B-Base', target: '/models/base', mode: 'ro' },
  ],
  sockets: [{ host: '/scratch/sock/proxy.sock', target: '/run/ptb/proxy.sock', mode: 'rw' }],
  bridges: [{ port: 3128, socket: '/run/ptb/proxy.sock' }],
  gpus: [],
  limits: { pids: 4096, memoryBytes: 64 * 2 ** 30, cpus: 16 },
  tmpHost: '/scratch/ws/.tmp',
  hostname: 'ptb-agent',
  ...over,
});

/** Pairs like ['--bind', a, b] found in an argv. */
const triples = (argv: string[], flag: string) => argv.flatMap((a, i) => (a === flag ? [[argv[i + 1], argv[i + 2]]] : []));

describe('bwrap', () => {
  const argv = bwrapArgs(spec());
  test('unshares every namespace, drops capabilities, dies with the harness, clears the environment', () => {
    expect(argv.slice(0, 9)).toEqual([
      'bwrap',
      '--unshare-all',
      '--unshare-user',
      '--die-with-parent',
      '--new-session',
      '--cap-drop',
      'ALL',
      '--clearenv',
      '--setenv',
    ]);
    expect(argv).not.toContain('--share-net');
  });
  test('only the workspace and its scratch /tmp are writable; the base model is read-only; root is remounted read-only', () => {
    expect(triples(argv, '--bind')).toEqual([
      ['/scratch/ws/.tmp', '/tmp'],
      ['/scratch/ws', '/workspace'],
      ['/scratch/sock/proxy.sock', '/run/ptb/proxy.sock'],
    ]);
    expect(triples(argv, '--ro-bind')).toContainEqual(['/cache/Qwen/Qwen3-4B-Base', '/models/base']);
    expect(argv.join(' ')).toContain('--remount-ro / --remount-ro /run --remount-ro /dev');
    // Nothing of the host's home, /work, /root or /tmp is visible.
    const sources = [...triples(argv, '--ro-bind'), ...triples(argv, '--ro-bind-try'), ...triples(argv, '--bind')].map(
      ([s]) => s,
    );
    for (const s of sources) expect(s).not.toMatch(/^\/(root|home|work|tmp)(\/|$)/);
  });
  test('GPU device nodes are bound only when given', () => {
    expect(argv).not.toContain('--dev-bind');
    const gpu = bwrapArgs(spec({ gpus: ['/dev/nvidia0', '/dev/nvidiactl', '/dev/nvidia-uvm'] }));
    expect(triples(gpu, '--dev-bind')).toEqual([
      ['/dev/nvidia0', '/dev/nvidia0'],
      ['/dev/nvidiactl', '/dev/nvidiactl'],
      ['/dev/nvidia-uvm', '/dev/nvidia-uvm'],
    ]);
  });
  test('the bridges start before the command, which is exec-ed with its arguments intact', () => {
    const tail = argv.slice(argv.indexOf('--') + 1);
    expect(tail[0]).toBe('/bin/sh');
    expect(tail[2]).toContain('socat TCP-LISTEN:3128,bind=127.0.0.1,reuseaddr,fork UNIX-CONNECT:/run/ptb/proxy.sock');
    expect(tail[2]).toContain(':0C38 00000000:0000 0A');
    expect(tail.slice(3)).toEqual(['ptb-init', 'claude', '--print', 'hi']);
    expect(bridgeInit([])).toEqual([]);
  });
});

describe('docker', () => {
  const argv = dockerArgs(spec({ gpus: ['0'] }), {
    image: `ghcr.io/x/agent@sha256:${'a'.repeat(64)}`,
    name: 'cell-1',
    network: 'ptb-internal-1',
    gpuMode: 'cdi',
  });
  test('no capabilities, no new privileges, read-only root, limits, one GPU by CDI, the internal network', () => {
    for (const pair of [
      ['--cap-drop', 'ALL'],
      ['--security-opt', 'no-new-privileges'],
      ['--network', 'ptb-internal-1'],
      ['--pids-limit', '4096'],
      ['--memory', String(64 * 2 ** 30)],
      ['--cpus', '16'],
      ['--device', 'nvidia.com/gpu=0'],
    ])
      expect(argv.join('\u0000')).toContain(pair.join('\u0000'));
    expect(argv).toContain('--read-only');
    expect(argv).toContain('type=bind,source=/cache/Qwen/Qwen3-4B-Base,target=/models/base,readonly');
    expect(argv).toContain('type=bind,source=/scratch/ws,target=/workspace');
  });
  test('--gpus device=N when CDI is not available; no network at all for verification', () => {
    const v = dockerArgs(spec({ gpus: ['3'], bridges: [] }), {
      image: `img@sha256:${'b'.repeat(64)}`,
      name: 'v',
      network: null,
      gpuMode: 'gpus-flag',
    });
    expect(v.join(' ')).toContain('--gpus device=3');
    expect(v.join(' ')).toContain('--network none');
  });
  test('refuses to mount the Docker socket', () => {
    expect(() =>
      dockerArgs(spec({ mounts: [{ host: '/var/run/docker.sock', target: '/var/run/docker.sock', mode: 'rw' }] }), {
        image: 'i',
        name: 'n',
        network: null,
        gpuMode: 'cdi',
      }),
    ).toThrow(/Docker socket/);
  });
});

describe('apptainer', () => {
  test('--containall, --cleanenv, no network namespace exit, --nv only with a GPU, writable tmpfs', () => {
    const argv = apptainerArgs(spec(), { image: 'agent.sif' });
    expect(argv).toEqual(expect.arrayContaining(['--containall', '--cleanenv', '--writable-tmpfs', '--no-privs']));
    expect(argv.join(' ')).toContain('--net --network none');
    expect(argv).not.toContain('--nv');
    expect(argv).toContain('/cache/Qwen/Qwen3-4B-Base:/models/base:ro');
    expect(apptainerArgs(spec({ gpus: ['/dev/nvidia0'] }), { image: 'a.sif' })).toContain('--nv');
  });
  test('one interface picks the runtime; bwrap and apptainer start through setpriv, never as root, with no new privileges', () => {
    const ctx = { image: 'a.sif', name: 'n', dockerNetwork: null, user: { uid: 64001, gid: 64001 } };
    const apptainer = sandboxArgv(spec(), { ...ctx, kind: 'apptainer' });
    expect(apptainer.slice(0, 6)).toEqual([
      'setpriv',
      '--reuid=64001',
      '--regid=64001',
      '--clear-groups',
      '--no-new-privs',
      '--',
    ]);
    expect(apptainer[6]).toBe('apptainer');
    const docker = sandboxArgv(spec(), { ...ctx, kind: 'docker' });
    expect(docker[0]).toBe('docker');
    expect(docker.join(' ')).toContain('--user 64001:64001');
    const bwrap = sandboxArgv(spec(), { ...ctx, kind: 'bwrap', seccompFile: '/scratch/seccomp.bpf' });
    // A shell opens the seccomp program on fd 3, then setpriv drops to the sandbox user and execs bwrap.
    expect(bwrap.slice(0, 4)).toEqual(['/bin/sh', '-c', 'exec 3<"$0" && exec "$@"', '/scratch/seccomp.bpf']);
    expect(bwrap.slice(4, 10)).toEqual(['setpriv', '--reuid=64001', '--regid=64001', '--clear-groups', '--no-new-privs', '--']);
    expect(bwrap[10]).toBe('bwrap');
    expect(bwrap.join(' ')).toContain('--seccomp 3 --chdir');
    // An unprivileged harness runs the sandbox as itself: setpriv only sets no_new_privs.
    expect(sandboxArgv(spec(), { ...ctx, user: null, kind: 'bwrap' }).slice(0, 4)).toEqual([
      'setpriv',
      '--no-new-privs',
      '--',
      'bwrap',
    ]);
  });
  test('kernel interfaces under /proc are bound read-only over the fresh /proc', () => {
    const argv = bwrapArgs(spec());
    const proc = argv.indexOf('--proc');
    for (const p of ['/proc/sys', '/proc/sysrq-trigger', '/proc/irq', '/proc/bus']) {
      const at = argv.findIndex((a, i) => a === '--ro-bind-try' && argv[i + 1] === p && argv[i + 2] === p);
      expect(at).toBeGreaterThan(proc);
    }
  });
});

describe('cgroups', () => {
  test('detects v2 or v1 from the mounted hierarchy, and none without one', () => {
    const v2 = tempDir('cg2');
    mkdirSync(join(v2), { recursive: true });
    expect(detectCgroup(v2)).toBeNull();
    writeFileSync(join(v2, 'cgroup.controllers'), 'cpu memory pids\n');
    expect(detectCgroup(v2)).toBe('v2');
    const v1 = tempDir('cg1');
    mkdirSync(join(v1, 'pids'));
    writeFileSync(join(v1, 'pids', 'cgroup.procs'), '');
    expect(detectCgroup(v1)).toBe('v1');
  });
  test('writes the limits of a v2 group', () => {
    const root = tempDir('cg2w');
    writeFileSync(join(root, 'cgroup.controllers'), 'cpu memory pids\n');
    const cg = createCgroup('t', { pids: 100, memoryBytes: 2 ** 30, cpus: 2 }, root);
    expect(cg?.version).toBe('v2');
    expect(readFileSync(join(root, 'ptb-t', 'pids.max'), 'utf8')).toBe('100');
    expect(readFileSync(join(root, 'ptb-t', 'memory.max'), 'utf8')).toBe(String(2 ** 30));
    expect(readFileSync(join(root, 'ptb-t', 'cpu.max'), 'utf8')).toBe('200000 100000');
  });
});

describe('GPU selection per runtime', () => {
  test('docker gets the index of the bound device node, not the control nodes', () => {
    const argv = dockerArgs(spec({ gpus: ['/dev/nvidia2', '/dev/nvidiactl', '/dev/nvidia-uvm'] }), {
      image: 'i@sha256:x',
      name: 'n',
      network: null,
      gpuMode: 'cdi',
    });
    expect(argv.filter((a) => a.startsWith('nvidia.com/'))).toEqual(['nvidia.com/gpu=2']);
  });
});

describe('preflight', () => {
  test('binds our GPU node and the shared control nodes, nothing when the GPU is absent', () => {
    const dev = tempDir('dev');
    for (const n of ['nvidia0', 'nvidia1', 'nvidiactl', 'nvidia-uvm', 'nvidia-uvm-tools', 'nvidia-caps', 'null'])
      writeFileSync(join(dev, n), '');
    const bound = gpuDevices(1, dev);
    expect(bound[0]).toBe(join(dev, 'nvidia1'));
    expect(bound.slice(1).sort()).toEqual(['nvidia-uvm', 'nvidia-uvm-tools', 'nvidiactl'].map((n) => join(dev, n)).sort());
    expect(gpuDevices(7, dev)).toEqual([]);
  });

  test('lists every problem at once: missing tool, missing base model, too little disk', async () => {
    const err = await (async () => {
      try {
        await preflight({
          runtime: 'bwrap',
          baseModelDir: join(tempDir('nomodel'), 'Qwen', 'Qwen3-4B-Base'),
          scratchDir: tempDir('scratch'),
          minFreeDiskBytes: 2 ** 60,
          gpuIndex: 0,
          requireGpu: false,
          expectedGpuModel: 'NVIDIA H100 80GB',
          images: [],
          needs: ['definitely-not-a-tool-ptb'],
        });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(PreflightError);
    const problems = (err as PreflightError).problems.join('\n');
    expect(problems).toMatch(/`definitely-not-a-tool-ptb` is not installed/);
    expect(problems).toMatch(/base model not in the cache: .*Qwen3-4B-Base\/config\.json is missing/);
    expect(problems).toMatch(/GiB free in .*; need/);
  });
});

describe('read-only caches', () => {
  const V1_DENY = loadDefinition('v1').network.deny;
  test('a cache holding an instruct checkpoint or a denied dataset is refused, in either layout', () => {
    const cache = tempDir('cache');
    mkdirSync(join(cache, 'hub', 'models--Qwen--Qwen3-4B-Base'), { recursive: true });
    mkdirSync(join(cache, 'Qwen', 'Qwen3-1.7B-Base'), { recursive: true });
    mkdirSync(join(cache, 'hub', 'datasets--meta-math--MetaMathQA'), { recursive: true });
    mkdirSync(join(cache, 'pip', 'http-v2'), { recursive: true });
    expect(forbiddenInCache(cache, ['Qwen/Qwen3-4B'], V1_DENY)).toEqual([]);
    mkdirSync(join(cache, 'hub', 'models--Qwen--Qwen3-4B'), { recursive: true });
    mkdirSync(join(cache, 'datasets--openai--gsm8k'), { recursive: true });
    mkdirSync(join(cache, 'hub', 'models--unsloth--gemma-3-4b-it-GGUF'), { recursive: true });
    mkdirSync(join(cache, 'bartowski', 'Qwen_Qwen3-1.7B-GGUF'), { recursive: true });
    mkdirSync(join(cache, 'datasets', 'someone', 'humaneval-copy'), { recursive: true });
    expect(forbiddenInCache(cache, ['Qwen/Qwen3-4B'], V1_DENY).sort()).toEqual(
      [
        join(cache, 'hub', 'models--Qwen--Qwen3-4B'),
        // A cache holds every split: a data set whose test split is refused is refused whole.
        join(cache, 'datasets--openai--gsm8k'),
        join(cache, 'hub', 'models--unsloth--gemma-3-4b-it-GGUF'),
        join(cache, 'bartowski', 'Qwen_Qwen3-1.7B-GGUF'),
        join(cache, 'datasets', 'someone', 'humaneval-copy'),
      ].sort(),
    );
  });
});

describe('the verification sandbox', () => {
  const ci = CI_DEFINITION.benchmarks[0];
  if (!ci) throw new Error('no CI benchmark');
  const input = {
    runtime: { kind: 'bwrap' as const, image: '', name: 'v', dockerNetwork: null },
    benchmark: ci,
    modelDir: '/scratch/ws/final_model',
    evaluatorDir: '/engine/bundles/ci-add/evaluator',
    workDir: '/scratch/verify',
    limit: null,
    seed: 11,
    gpus: [],
    timeoutMs: 1000,
    logFile: '/dev/null',
    redact: (s: string) => s,
    graderSocket: '/scratch/harness-llm.sock',
  };
  test('model and evaluator read-only, only the logs writable, no network for exact-match graders', () => {
    const spec = verificationSpec(input, '/scratch/verify/logs', '/scratch/verify/tmp');
    expect(spec.mounts).toEqual([
      { host: '/scratch/ws/final_model', target: '/model', mode: 'ro' },
      { host: '/scratch/verify/logs', target: '/logs', mode: 'rw' },
      { host: '/engine/bundles/ci-add/evaluator', target: '/evaluator', mode: 'ro' },
    ]);
    expect(spec.bridges).toEqual([]);
    expect(spec.sockets).toEqual([]);
  });
  test('an LLM-judge grader reaches its provider only through the credential proxy, with the placeholder key', () => {
    const judged = { ...ci, eval: { ...ci.eval, grader: 'llm-judge' as const, judgeModel: 'gpt-5-mini' } };
    const spec = verificationSpec({ ...input, benchmark: judged }, '/l', '/t');
    expect(spec.bridges).toEqual([{ port: 4000, socket: '/run/ptb/llm.sock' }]);
    expect(spec.sockets).toEqual([{ host: '/scratch/harness-llm.sock', target: '/run/ptb/llm.sock', mode: 'rw' }]);
    expect(spec.env.OPENAI_API_KEY).toBe(PLACEHOLDER_KEY);
  });
});
