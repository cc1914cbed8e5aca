/** The maintainer commands the bot understands in a PR comment. */
export type Command =
  | { kind: 'run'; sha: string }
  | { kind: 'cancel' }
  | { kind: 'retry'; cell: string; sha: string }
  | { kind: 'none' }
  | { kind: 'invalid'; message: string };

export const COMMAND_HELP =
  '`/ptb run <head-sha>`, `/ptb retry <base-model-key>/<benchmark>/<seed> <head-sha>`, `/ptb cancel` (the full 40-character SHA the plan shows)';

/**
 * A full commit SHA: an approval names exactly the commit the maintainer reviewed. A short
 * prefix would not do: a submitter can grind a commit whose SHA starts with the same 7 or 12
 * characters and push it while the approval waits.
 */
const FULL_SHA = /^[0-9a-f]{40}$/;

/** Pure: reads the first line of a comment; anything not starting with /ptb is not for us. */
export function parseCommand(body: string | null | undefined): Command {
  const first = (body ?? '').trim().split(/\r?\n/, 1)[0]?.trim() ?? '';
  if (!/^\/ptb(\s|$)/.test(first)) return { kind: 'none' };
  const [, verb, ...args] = first.split(/\s+/);
  switch (verb) {
    case 'run':
      if (args.length === 1 && FULL_SHA.test(args[0] ?? '')) return { kind: 'run', sha: args[0] as string };
      return {
        kind: 'invalid',
        message: `\`/ptb run\` needs the full 40-character SHA of the head you reviewed (the plan shows the command to copy), got \`${args.join(' ') || 'nothing'}\``,
      };
    case 'cancel':
      return args.length === 0 ? { kind: 'cancel' } : { kind: 'invalid', message: '`/ptb cancel` takes no arguments' };
    case 'retry':
      if (args.length === 2 && args[0] && FULL_SHA.test(args[1] ?? ''))
        return { kind: 'retry', cell: args[0], sha: args[1] as string };
      return {
        kind: 'invalid',
        message: '`/ptb retry` takes one cell and the full head SHA, e.g. `/ptb retry Qwen3-4B-Base/gsm8k/1 <head-sha>`',
      };
    default:
      return { kind: 'invalid', message: `unknown command \`/ptb ${verb ?? ''}\`; known: ${COMMAND_HELP}` };
  }
}

/** Permission levels GitHub reports; maintain shows up as "write" with role_name "maintain". */
export function canApprove(permission: string): boolean {
  return permission === 'admin' || permission === 'write' || permission === 'maintain';
}

/**
 * Author associations that can hold write access. The workflow starts the approve job only
 * for these (a stranger's comment costs no job and no API call); the API's permission check
 * in the job is what decides.
 */
export const MAINTAINER_ASSOCIATIONS = ['OWNER', 'MEMBER', 'COLLABORATOR'] as const;
