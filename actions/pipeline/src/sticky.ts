/**
 * The one comment the bot keeps per pull request. A hidden marker finds it again; hidden
 * section markers let the submission check and the evaluation report each replace only
 * their own part.
 */
export const STICKY_MARKER = '<!-- ptb-bot:sticky -->';
export const COMMENT_LIMIT = 65_000;

export type SectionName = 'validation' | 'status' | 'scores';
const ORDER: readonly SectionName[] = ['validation', 'status', 'scores'];

const open = (name: SectionName) => `<!-- ptb:section:${name} -->`;
const close = (name: SectionName) => `<!-- ptb:end:${name} -->`;

export function readSections(body: string): Partial<Record<SectionName, string>> {
  const out: Partial<Record<SectionName, string>> = {};
  for (const name of ORDER) {
    const start = body.indexOf(open(name));
    const end = body.indexOf(close(name));
    if (start >= 0 && end > start) out[name] = body.slice(start + open(name).length, end).trim();
  }
  return out;
}

/** Pure: the sticky body with one section replaced (or removed when content is null). */
export function withSection(previous: string | null, name: SectionName, content: string | null): string {
  const sections = readSections(previous ?? '');
  if (content === null) delete sections[name];
  else sections[name] = content.trim();
  const parts = ORDER.filter((n) => sections[n] !== undefined).map((n) => `${open(n)}\n${sections[n]}\n${close(n)}`);
  return `${STICKY_MARKER}\n${parts.join('\n\n')}\n`;
}

/**
 * Pure: keeps a comment under GitHub's limit, cutting at a line boundary and pointing to the
 * job summary, where the full text is written.
 */
export function fitComment(body: string, summaryUrl: string, limit = COMMENT_LIMIT): string {
  if (body.length <= limit) return body;
  const note = `\n\n…truncated: the comment limit is ${limit} characters. [Read the full report in the job summary](${summaryUrl}).\n`;
  const room = limit - note.length;
  let cut = body.lastIndexOf('\n', room);
  if (cut < room / 2) cut = room;
  let kept = body.slice(0, cut);
  // An unclosed code fence would swallow the note.
  if ((kept.match(/^```/gm) ?? []).length % 2 === 1) kept += '\n```';
  return `${kept}${note}`;
}

export interface CommentLike {
  id: number;
  body?: string | null | undefined;
  user: { login: string } | null;
}

/** Pure: the bot's own sticky comment; a comment by anyone else that copies the marker is ignored. */
export function findSticky<C extends CommentLike>(comments: readonly C[], botLogin: string): C | undefined {
  return comments.find((c) => c.user?.login === botLogin && (c.body ?? '').startsWith(STICKY_MARKER));
}
