import type { RuntimeKind } from '../types.ts';
import { apptainerArgs } from './apptainer.ts';
import { bwrapArgs } from './bwrap.ts';
import { dockerArgs } from './docker.ts';
import type { SandboxSpec } from './spec.ts';

export interface RuntimeContext {
  kind: RuntimeKind;
  /** Image for docker/apptainer (pinned by digest); unused by bwrap, which uses the host's OS read-only. */
  image: string;
  /** Container name (docker) so the harness can kill it by name. */
  name: string;
  dockerNetwork: string | null;
}

/** One interface over the three runtimes: a spec in, the command line that realises it out. */
export function sandboxArgv(spec: SandboxSpec, ctx: RuntimeContext): string[] {
  switch (ctx.kind) {
    case 'bwrap':
      return bwrapArgs(spec);
    case 'docker':
      return dockerArgs(spec, { image: ctx.image, name: ctx.name, network: ctx.dockerNetwork, gpuMode: 'cdi' });
    case 'apptainer':
      return apptainerArgs(spec, { image: ctx.image });
  }
}
