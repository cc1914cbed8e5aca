/** The maintainer commands the bot understands in a PR comment. */
export type Command =
  | { kind: 'run'; sha?: string }
  | { kind: 'cancel' }
  | { kind: 'retry'; cell: string }
  | { kind: 'none' }
  | { kind: 'invalid'; message: string };

export const COMMAND_HELP = '`/ptb run [head-sha]`, `/ptb cancel`, `/ptb retry <base-model-key>/<benchmark>/<seed>`';

/** Pure: reads the first line of a comment; anything not starting with /ptb is not for us. */
export function parseCommand(body: string | null | undefined): Command {
  const first = (body ?? '').trim().split(/\r?\n/, 1)[0]?.trim() ?? '';
  if (!/^\/ptb(\s|$)/.test(first)) return { kind: 'none' };
  const [, verb, ...args] = first.split(/\s+/);
  switch (verb) {
    case 'run':
      if (args.length === 0) return { kind: 'run' };
      if (args.length === 1 && /^[0-9a-f]{7,40}$/.test(args[0] ?? '')) return { kind: 'run', sha: args[0] as string };
      return { kind: 'invalid', message: `\`/ptb run\` takes at most a commit SHA of the PR head, got \`${args.join(' ')}\`` };
    case 'cancel':
      return args.length === 0 ? { kind: 'cancel' } : { kind: 'invalid', message: '`/ptb cancel` takes no arguments' };
    case 'retry':
      if (args.length === 1 && args[0]) return { kind: 'retry', cell: args[0] };
      return { kind: 'invalid', message: '`/ptb retry` takes one cell, e.g. `/ptb retry Qwen3-4B-Base/gsm8k/1`' };
    default:
      return { kind: 'invalid', message: `unknown command \`/ptb ${verb ?? ''}\`; known: ${COMMAND_HELP}` };
  }
}

/** Permission levels GitHub reports; maintain shows up as "write" with role_name "maintain". */
export function canApprove(permission: string): boolean {
  return permission === 'admin' || permission === 'write' || permission === 'maintain';
}
