import { arch } from 'node:process';

/**
 * The seccomp filter of every sandbox (bwrap `--seccomp FD`): classic BPF that denies the
 * system calls an agent never needs and that widen the attack surface of the host kernel
 * (keyrings, tracing other processes, mounting, kernel modules, eBPF, new namespaces,
 * io_uring, the clock, the swap, reboot...). Everything else is allowed. Written here as
 * data, because the rules are short and a dependency (libseccomp) would have to exist on
 * every runner; the tests run each denied call inside a real sandbox.
 */

/** Denied system calls by name; each gets EPERM. */
export const DENIED_SYSCALLS = [
  // Kernel keyrings: shared across the host's users, a classic container escape path.
  'keyctl',
  'add_key',
  'request_key',
  // Reading or steering other processes.
  'ptrace',
  'process_vm_readv',
  'process_vm_writev',
  'kcmp',
  'pidfd_getfd',
  // Mounts and namespaces: the sandbox's view of the file system and network is fixed.
  'mount',
  'umount2',
  'pivot_root',
  'chroot',
  'unshare',
  'setns',
  'fsopen',
  'fsconfig',
  'fsmount',
  'fspick',
  'move_mount',
  'open_tree',
  'mount_setattr',
  'open_by_handle_at',
  'name_to_handle_at',
  // The kernel itself.
  'init_module',
  'finit_module',
  'delete_module',
  'kexec_load',
  'kexec_file_load',
  'bpf',
  'perf_event_open',
  'userfaultfd',
  'io_uring_setup',
  'io_uring_enter',
  'io_uring_register',
  'syslog',
  'lookup_dcookie',
  'quotactl',
  'quotactl_fd',
  'acct',
  'reboot',
  'swapon',
  'swapoff',
  'vhangup',
  // The host's clock.
  'settimeofday',
  'clock_settime',
  'clock_adjtime',
  'adjtimex',
  // x86 port I/O.
  'iopl',
  'ioperm',
] as const;

type Syscall = (typeof DENIED_SYSCALLS)[number] | 'clone' | 'clone3';

/** System call numbers (from the kernel's unistd headers); a name absent on an architecture does not exist there. */
const NUMBERS: Record<'x64' | 'arm64', Partial<Record<Syscall, number>>> = {
  x64: {
    keyctl: 250,
    add_key: 248,
    request_key: 249,
    ptrace: 101,
    process_vm_readv: 310,
    process_vm_writev: 311,
    kcmp: 312,
    pidfd_getfd: 438,
    mount: 165,
    umount2: 166,
    pivot_root: 155,
    chroot: 161,
    unshare: 272,
    setns: 308,
    fsopen: 430,
    fsconfig: 431,
    fsmount: 432,
    fspick: 433,
    move_mount: 429,
    open_tree: 428,
    mount_setattr: 442,
    open_by_handle_at: 304,
    name_to_handle_at: 303,
    init_module: 175,
    finit_module: 313,
    delete_module: 176,
    kexec_load: 246,
    kexec_file_load: 320,
    bpf: 321,
    perf_event_open: 298,
    userfaultfd: 323,
    io_uring_setup: 425,
    io_uring_enter: 426,
    io_uring_register: 427,
    syslog: 103,
    lookup_dcookie: 212,
    quotactl: 179,
    quotactl_fd: 443,
    acct: 163,
    reboot: 169,
    swapon: 167,
    swapoff: 168,
    vhangup: 153,
    settimeofday: 164,
    clock_settime: 227,
    clock_adjtime: 305,
    adjtimex: 159,
    iopl: 172,
    ioperm: 173,
    clone: 56,
    clone3: 435,
  },
  arm64: {
    keyctl: 219,
    add_key: 217,
    request_key: 218,
    ptrace: 117,
    process_vm_readv: 270,
    process_vm_writev: 271,
    kcmp: 272,
    pidfd_getfd: 438,
    mount: 40,
    umount2: 39,
    pivot_root: 41,
    chroot: 51,
    unshare: 97,
    setns: 268,
    fsopen: 430,
    fsconfig: 431,
    fsmount: 432,
    fspick: 433,
    move_mount: 429,
    open_tree: 428,
    mount_setattr: 442,
    open_by_handle_at: 265,
    name_to_handle_at: 264,
    init_module: 105,
    finit_module: 273,
    delete_module: 106,
    kexec_load: 104,
    kexec_file_load: 294,
    bpf: 280,
    perf_event_open: 241,
    userfaultfd: 282,
    io_uring_setup: 425,
    io_uring_enter: 426,
    io_uring_register: 427,
    syslog: 116,
    lookup_dcookie: 18,
    quotactl: 60,
    quotactl_fd: 443,
    acct: 89,
    reboot: 142,
    swapon: 224,
    swapoff: 225,
    vhangup: 58,
    settimeofday: 170,
    clock_settime: 112,
    clock_adjtime: 266,
    adjtimex: 171,
    clone: 220,
    clone3: 435,
  },
};

const AUDIT_ARCH = { x64: 0xc000003e, arm64: 0xc00000b7 } as const;

// Classic BPF opcodes and seccomp return values (linux/filter.h, linux/seccomp.h).
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const JSET_K = 0x45;
const RET_K = 0x06;
const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;
const EPERM = 1;
const ENOSYS = 38;
/** Offsets in struct seccomp_data. */
const NR = 0;
const ARCH = 4;
const ARG0_LOW = 16;
/** x32 system calls carry this bit on x86-64; they would bypass a filter written for x86-64 numbers. */
const X32_SYSCALL_BIT = 0x40000000;
/** clone() flags that make a namespace: CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET. */
export const CLONE_NAMESPACE_FLAGS = 0x7e020000;

interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

export type SeccompArch = keyof typeof AUDIT_ARCH;

export function hostSeccompArch(): SeccompArch {
  if (arch === 'x64' || arch === 'arm64') return arch;
  throw new Error(`no seccomp filter for the ${arch} architecture: the sandbox supports x86-64 and arm64 hosts`);
}

/**
 * The filter as BPF instructions: a foreign architecture gets ENOSYS for everything; each
 * denied call EPERM; clone() with a namespace flag EPERM; clone3() ENOSYS (its flags are in
 * memory a filter cannot read, and C libraries then fall back to clone()); the rest allowed.
 */
export function seccompProgram(target: SeccompArch = hostSeccompArch()): Insn[] {
  const numbers = NUMBERS[target];
  const denied = [...new Set(DENIED_SYSCALLS.map((s) => numbers[s]).filter((n): n is number => n !== undefined))];
  const clone = numbers.clone as number;
  const clone3 = numbers.clone3 as number;
  const p: Insn[] = [];
  const ins = (code: number, k: number, jt = 0, jf = 0) => p.push({ code, jt, jf, k });
  // Jump offsets below count instructions forward from the next one.
  ins(LD_W_ABS, ARCH);
  ins(JEQ_K, AUDIT_ARCH[target], 1, 0);
  ins(RET_K, RET_ERRNO | ENOSYS);
  ins(LD_W_ABS, NR);
  if (target === 'x64') {
    ins(JGE_K, X32_SYSCALL_BIT, 0, 1);
    ins(RET_K, RET_ERRNO | ENOSYS);
  }
  for (const n of denied) {
    ins(JEQ_K, n, 0, 1);
    ins(RET_K, RET_ERRNO | EPERM);
  }
  ins(JEQ_K, clone3, 0, 1);
  ins(RET_K, RET_ERRNO | ENOSYS);
  ins(JEQ_K, clone, 0, 3);
  ins(LD_W_ABS, ARG0_LOW);
  ins(JSET_K, CLONE_NAMESPACE_FLAGS, 0, 1);
  ins(RET_K, RET_ERRNO | EPERM);
  ins(RET_K, RET_ALLOW);
  return p;
}

/** The program as the kernel reads it: struct sock_filter[] in the host's byte order (little-endian on both). */
export function seccompBytes(target: SeccompArch = hostSeccompArch()): Buffer {
  const program = seccompProgram(target);
  const buf = Buffer.alloc(program.length * 8);
  program.forEach((insn, i) => {
    buf.writeUInt16LE(insn.code, i * 8);
    buf.writeUInt8(insn.jt, i * 8 + 2);
    buf.writeUInt8(insn.jf, i * 8 + 3);
    buf.writeUInt32LE(insn.k >>> 0, i * 8 + 4);
  });
  return buf;
}

/** Number of a denied call on an architecture (tests use it to call each one for real). */
export const syscallNumber = (name: Syscall, target: SeccompArch = hostSeccompArch()): number | undefined =>
  NUMBERS[target][name];
