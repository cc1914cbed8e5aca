import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { cleanupTempDirs, HONEST_MODEL, tempDir } from '../helpers.ts';
import { AS_ROOT, attack, T } from './support.ts';

afterAll(cleanupTempDirs);

// Threat model: "Escape to the host or gain privileges".
describe('host escape and privileges', () => {
  test(
    'the sandbox never runs as host root: the processes and files it makes belong to an unprivileged host uid',
    async () => {
      let workspace = '';
      let owner: number | null = null;
      const { result } = await attack(
        `${HONEST_MODEL}
touch made-by-agent
sleep 1 & echo started`,
        {
          onScratch: (_scratch, ws) => {
            workspace = ws;
          },
          // Looked at from the host while the workspace still exists.
          onMark: (name) => {
            if (name !== 'agent-end') return;
            owner = statSync(join(workspace, 'made-by-agent')).uid;
          },
        },
      );
      expect(owner).not.toBeNull();
      expect(owner).not.toBe(0);
      if (AS_ROOT) expect(owner).toBeGreaterThanOrEqual(64000);
      else expect(owner).toBe(process.getuid?.());
      expect(result.status).toBe('scored');
    },
    T,
  );

  test(
    'kernel.core_pattern and other sysctls cannot be written; a crashing process runs nothing on the host',
    async () => {
      const before = readFileSync('/proc/sys/kernel/core_pattern', 'utf8');
      const marker = join(tempDir('core'), 'pwned');
      const { traceText } = await attack(`${HONEST_MODEL}
printf '#!/bin/sh\\ntouch ${marker}\\n' > /workspace/hook.sh; chmod +x /workspace/hook.sh
echo '|/workspace/hook.sh' > /proc/sys/kernel/core_pattern 2>/dev/null && echo CORE-PATTERN-WRITTEN || echo CORE-PATTERN-REFUSED
echo 1 > /proc/sys/vm/drop_caches 2>/dev/null && echo SYSCTL-WRITTEN || echo SYSCTL-REFUSED
echo b > /proc/sysrq-trigger 2>/dev/null && echo SYSRQ-WRITTEN || echo SYSRQ-REFUSED
ulimit -c unlimited 2>/dev/null; sh -c 'kill -SEGV $$' ; echo crashed`);
      expect(traceText).toContain('CORE-PATTERN-REFUSED');
      expect(traceText).toContain('SYSCTL-REFUSED');
      expect(traceText).toContain('SYSRQ-REFUSED');
      expect(readFileSync('/proc/sys/kernel/core_pattern', 'utf8')).toBe(before);
      expect(() => statSync(marker)).toThrow();
    },
    T,
  );

  test(
    'a setuid binary made in the workspace raises nothing inside and leaves no setuid-root file on the host',
    async () => {
      const { traceText, result } = await attack(
        `${HONEST_MODEL}
cp /usr/bin/id ./myid && chmod u+s,g+s ./myid 2>/dev/null
ls -ln ./myid | awk '{print "MODE", $1, "OWNER", $3}'
./myid -u | sed 's/^/EUID-VIA-SETUID /'
python3 -c "import os; print('NO_NEW_PRIVS', open('/proc/self/status').read().split('NoNewPrivs:')[1].split()[0])"`,
        { keepWorkspace: false },
      );
      const owner = Number(traceText.find((l) => l.startsWith('MODE'))?.split(' ')[3]);
      const euid = Number(traceText.find((l) => l.startsWith('EUID-VIA-SETUID'))?.split(' ')[1]);
      // Inside the sandbox the owner is the sandbox's own uid: a setuid bit can only give back the same user.
      expect(euid).toBe(owner);
      expect(traceText).toContain('NO_NEW_PRIVS 1');
      expect(result.status).toBe('scored');
    },
    T,
  );

  test(
    'a kept workspace is a copy in the output folder without setuid or setgid bits',
    async () => {
      const outDir = join(tempDir('kept'), 'cell');
      const { result } = await attack(
        `${HONEST_MODEL}
cp /usr/bin/id ./myid && chmod 6755 ./myid`,
        { keepWorkspace: true, outDir },
      );
      expect(result.status).toBe('scored');
      // A kept workspace is a copy in the output folder; the cell's own filesystem is gone.
      const kept = readFileSync(join(outDir, 'workspace-path.txt'), 'utf8').trim();
      expect(kept).toBe(join(outDir, 'workspace'));
      const st = statSync(join(kept, 'myid'));
      expect(st.mode & 0o6000).toBe(0);
    },
    T,
  );

  test(
    'every system call of the seccomp deny list fails with EPERM inside; fork, threads and plain clone still work',
    async () => {
      const { traceText, result } = await attack(`${HONEST_MODEL}
python3 - <<'PY'
import ctypes, errno, os, threading
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def call(nr, *args):
    ctypes.set_errno(0)
    r = libc.syscall(nr, *[ctypes.c_long(a) for a in (list(args) + [0] * 6)[:6]])
    return r, ctypes.get_errno()
import platform
table = {"x86_64": {"keyctl": 250, "add_key": 248, "ptrace": 101, "mount": 165, "umount2": 166, "bpf": 321, "unshare": 272,
  "setns": 308, "perf_event_open": 298, "userfaultfd": 323, "io_uring_setup": 425, "init_module": 175, "kexec_load": 246,
  "open_by_handle_at": 304, "pivot_root": 155, "fsopen": 430, "open_tree": 428, "process_vm_readv": 310, "syslog": 103,
  "settimeofday": 164, "swapon": 167, "reboot": 169}}.get(platform.machine(), {})
for name, nr in table.items():
    r, e = call(nr)
    print("SYSCALL", name, "EPERM" if (r == -1 and e == errno.EPERM) else f"r={r} errno={e}")
r, e = call(56, 0x10000000 | 17)  # clone(CLONE_NEWUSER | SIGCHLD)
print("CLONE-NEWUSER", "EPERM" if (r == -1 and e == errno.EPERM) else f"r={r} errno={e}")
pid = os.fork()
if pid == 0:
    os._exit(7)
print("FORK", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
t = threading.Thread(target=lambda: print("THREAD ok")); t.start(); t.join()
PY
unshare -U true 2>/dev/null && echo UNSHARE-WORKED || echo UNSHARE-REFUSED`);
      const calls = traceText.filter((l) => l.startsWith('SYSCALL'));
      if (process.arch === 'x64') expect(calls.length).toBeGreaterThanOrEqual(20);
      for (const line of calls) expect(line).toMatch(/ EPERM$/);
      expect(traceText).toContain('CLONE-NEWUSER EPERM');
      expect(traceText).toContain('FORK 7');
      expect(traceText).toContain('THREAD ok');
      expect(traceText).toContain('UNSHARE-REFUSED');
      expect(result.status).toBe('scored');
    },
    T,
  );

  test(
    'nothing of the host is visible: no harness processes, no host home, no device beyond the basic ones',
    async () => {
      const { traceText } = await attack(`${HONEST_MODEL}
echo "PIDS $(ls /proc | grep -c '^[0-9]')"
ls /root /home /work /sys 2>/dev/null | head -1 | sed 's/^/HOSTDIR /'
ls /dev | tr '\\n' ' ' | sed 's/^/DEVS /'; echo
mknod /workspace/sda b 8 0 2>/dev/null && echo MKNOD-WORKED || echo MKNOD-REFUSED
cat /etc/shadow 2>/dev/null | head -1 | sed 's/^/SHADOW /'
grep -c . /etc/passwd | sed 's/^/PASSWD-LINES /'`);
      // The sandbox's own init, the bridges, the shell and the few commands above.
      expect(Number(traceText.find((l) => l.startsWith('PIDS'))?.split(' ')[1])).toBeLessThan(20);
      expect(traceText.some((l) => l.startsWith('HOSTDIR'))).toBe(false);
      expect(traceText).toContain('MKNOD-REFUSED');
      expect(traceText.some((l) => l.startsWith('SHADOW'))).toBe(false);
      // The sandbox's passwd names root, the agent and nobody: no host accounts.
      expect(traceText).toContain('PASSWD-LINES 3');
      const devs =
        traceText
          .find((l) => l.startsWith('DEVS'))
          ?.split(' ')
          .slice(1)
          .filter(Boolean) ?? [];
      expect(
        devs.filter(
          (d) =>
            ![
              'console',
              'core',
              'fd',
              'full',
              'null',
              'ptmx',
              'pts',
              'random',
              'shm',
              'stderr',
              'stdin',
              'stdout',
              'tty',
              'urandom',
              'zero',
            ].includes(d),
        ),
      ).toEqual([]);
    },
    T,
  );
});
