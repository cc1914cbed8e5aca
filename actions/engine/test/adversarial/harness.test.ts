import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { EVALUATE_LOG_CAP_BYTES } from '../../src/eval-service.ts';
import { cleanupTempDirs, HONEST_MODEL } from '../helpers.ts';
import { attack, SMALL_DISK, T } from './support.ts';

afterAll(cleanupTempDirs);

// Threat model: "Crash or hang the harness" (a crash would be a free re-roll that erases the findings).
describe('the harness never dies for the agent', () => {
  test(
    '20,000 idle connections to the evaluation socket, and thousands to the LLM and egress sockets: the run ends with a result, squid and the proxies are gone',
    async () => {
      const { traceText, result } = await attack(`${HONEST_MODEL}
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
python3 - <<'PY'
import socket, sys
held, errors = [], {}
def hold(family, address, count):
    for _ in range(count):
        try:
            s = socket.socket(family, socket.SOCK_STREAM)
        except OSError as e:
            errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
            continue
        try:
            s.connect(address); held.append(s)
        except OSError as e:
            errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
            s.close()
hold(socket.AF_UNIX, "/run/ptb/eval.sock", 20000)
print("EVAL-HELD", len(held), errors)
hold(socket.AF_INET, ("127.0.0.1", 4000), 3000)
hold(socket.AF_INET, ("127.0.0.1", 3128), 3000)
print("TOTAL-HELD", len(held), errors)
sys.stdout.flush()
for s in held:
    s.close()
PY
sleep 1
python3 evaluate.py --limit 3 && echo EVAL-STILL-WORKS`);
      expect(
        traceText.find((l) => l.startsWith('TOTAL-HELD')),
        traceText.slice(-20).join('\n'),
      ).toBeTruthy();
      expect(traceText).toContain('EVAL-STILL-WORKS');
      expect(result.status).toBe('scored');
      expect(result.score?.value).toBe(1);
    },
    T,
  );

  test(
    'a flood of refused evaluate requests: the calls log stays under its cap, the run goes on',
    async () => {
      const { outDir, result } = await attack(`${HONEST_MODEL}
python3 - <<'PY'
import socket
for i in range(30000):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect("/run/ptb/eval.sock")
    s.sendall(b'{"limit": "x' + b"y" * 3000 + b'"}\\n')
    s.recv(100)
    s.close()
print("FLOOD-DONE")
PY`);
      const size = statSync(join(outDir, 'logs', 'evaluate-calls.jsonl')).size;
      expect(size).toBeLessThanOrEqual(EVALUATE_LOG_CAP_BYTES + 200);
      expect(readFileSync(join(outDir, 'logs', 'evaluate-calls.jsonl'), 'utf8')).toMatch(
        /log capped at \d+ bytes: \d+ more line/,
      );
      expect(result.status).toBe('scored');
    },
    T,
  );

  test(
    'filling the disk: the agent meets its own ENOSPC at the cap, the harness writes its result',
    async () => {
      const { traceText, result } = await attack(
        `${HONEST_MODEL}
dd if=/dev/zero of=fill.bin bs=1M count=4096 2>&1 | tail -1 | sed 's/^/DD /'
df -B1 --output=size /workspace | tail -1 | sed 's/^ */SIZE /'
dd if=/dev/zero of=/tmp/fill2.bin bs=1M count=64 2>/dev/null || echo TMP-FULL-TOO`,
        { limits: { diskBytes: SMALL_DISK } },
      );
      expect(traceText.find((l) => l.startsWith('DD'))).toMatch(/No space left|copied/);
      expect(Number(traceText.find((l) => l.startsWith('SIZE'))?.split(' ')[1])).toBeLessThanOrEqual(SMALL_DISK);
      expect(traceText).toContain('TMP-FULL-TOO');
      // final_model/ was written before the disk filled: it is scored.
      expect(result.status).toBe('scored');
    },
    T,
  );

  test(
    'a fork bomb meets the pids limit, a memory hog the memory limit, /dev/shm cannot take the host memory; the harness survives',
    async () => {
      const { traceText, result } = await attack(
        `${HONEST_MODEL}
python3 - <<'PY'
import os, time
n = 0
pids = []
try:
    for _ in range(5000):
        pid = os.fork()
        if pid == 0:
            time.sleep(5); os._exit(0)
        pids.append(pid); n += 1
except OSError as e:
    print("FORK-STOPPED", n, type(e).__name__)
for p in pids:
    os.kill(p, 9)
PY
python3 -c "
x = []
try:
    while True: x.append(bytearray(64 * 2**20))
except MemoryError:
    print('MEMORY-ERROR', len(x) * 64, 'MiB')
" ; echo "HOG-EXIT $?"
dd if=/dev/zero of=/dev/shm/fill bs=1M count=8192 2>&1 | tail -1 | sed 's/^/SHM /'; rm -f /dev/shm/fill
echo AFTER-HOG`,
        { limits: { pids: 256, memoryBytes: 512 * 2 ** 20 } },
      );
      const fork = traceText.find((l) => l.startsWith('FORK-STOPPED'));
      expect(Number(fork?.split(' ')[1])).toBeLessThan(256);
      // The hog is stopped well below the host's memory: a MemoryError, or the kernel's OOM kill (137).
      const hog = traceText.find((l) => l.startsWith('MEMORY-ERROR')) ?? traceText.find((l) => l.startsWith('HOG-EXIT'));
      expect(hog).toMatch(/MEMORY-ERROR [0-9]{1,3} MiB|HOG-EXIT 137/);
      expect(traceText).toContain('AFTER-HOG');
      expect(result.status).toBe('scored');
    },
    T,
  );
});
