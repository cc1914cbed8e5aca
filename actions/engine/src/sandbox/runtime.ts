import type { RuntimeKind } from '../types.ts';
import { apptainerArgs } from './apptainer.ts';
import { bwrapArgs } from './bwrap.ts';
import { dockerArgs } from './docker.ts';
import type { SandboxUser } from './identity.ts';
import type { SandboxSpec } from './spec.ts';

export interface RuntimeContext {
  kind: RuntimeKind;
  /** Image for docker/apptainer (pinned by digest); unused by bwrap, which uses the host's OS read-only. */
  image: string;
  /** Container name (docker) so the harness can kill it by name. */
  name: string;
  dockerNetwork: string | null;
  /** The unprivileged host user the sandbox runs as; null: the harness's own (already unprivileged) user. */
  user?: SandboxUser | null;
  /** The seccomp program (BPF) bwrap installs before the sandbox's first process. */
  seccompFile?: string | null;
}

/** The descriptor on which bwrap reads the seccomp program. */
export const SECCOMP_FD = 3;

/** One interface over the three runtimes: a spec in, the command line that realises it out. */
export function sandboxArgv(spec: SandboxSpec, ctx: RuntimeContext): string[] {
  switch (ctx.kind) {
    case 'bwrap':
      return confine(ctx, bwrapArgs(spec, { seccompFd: ctx.seccompFile ? SECCOMP_FD : null }));
    case 'docker':
      return dockerArgs(spec, {
        image: ctx.image,
        name: ctx.name,
        network: ctx.dockerNetwork,
        gpuMode: 'cdi',
        user: ctx.user ?? null,
      });
    case 'apptainer':
      return confine({ ...ctx, seccompFile: null }, apptainerArgs(spec, { image: ctx.image }));
  }
}

/**
 * Whoever starts the harness, the sandbox never runs as host root: `setpriv` drops to the
 * sandbox user (no supplementary groups) and sets no_new_privs, so no setuid or file
 * capability inside can raise privileges. A shell opens the seccomp program on fd 3 first
 * (as the harness, which can read it) and execs; nothing else stays in between.
 */
export function confine(ctx: RuntimeContext, argv: string[]): string[] {
  const user = ctx.user ? [`--reuid=${ctx.user.uid}`, `--regid=${ctx.user.gid}`, '--clear-groups'] : [];
  const inner = ['setpriv', ...user, '--no-new-privs', '--', ...argv];
  return ctx.seccompFile ? ['/bin/sh', '-c', `exec ${SECCOMP_FD}<"$0" && exec "$@"`, ctx.seccompFile, ...inner] : inner;
}
