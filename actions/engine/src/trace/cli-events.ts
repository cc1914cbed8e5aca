import type { TimelineEvent } from '@ptb/core';

/**
 * Each scaffold's own JSON stream, turned into timeline events: messages, thinking, tool
 * calls with their commands, tool results with their output, files written. One function
 * per CLI, for the event shapes the pinned versions print; an event a converter does not
 * know is skipped (the raw trace keeps it).
 */
export type CliConverter = (event: unknown, t: number) => TimelineEvent[];

export const TEXT_MAX = 20_000;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Bounded text; long texts keep their head and tail. */
export function bound(text: string, max = TEXT_MAX): { text: string; truncated: boolean } {
  if (text.length <= max) return { text, truncated: false };
  const marker = `\n[... ${text.length - max + 40} characters cut ...]\n`;
  const keep = max - marker.length;
  return {
    text: text.slice(0, Math.ceil(keep * 0.7)) + marker + text.slice(text.length - Math.floor(keep * 0.3)),
    truncated: true,
  };
}
const b = (text: string): string => bound(text).text;

const message = (t: number, role: 'assistant' | 'user' | 'system' | 'thinking', text: string): TimelineEvent => ({
  kind: 'message',
  t,
  role,
  text: b(text),
});

function toolCall(t: number, id: string | undefined, tool: string, input: Json, commandKeys: string[]): TimelineEvent {
  const raw = commandKeys.map((k) => input[k]).find((v) => v !== undefined);
  const command = Array.isArray(raw) ? raw.map(String).join(' ') : str(raw);
  const rest = Object.fromEntries(Object.entries(input).filter(([k]) => !commandKeys.includes(k)));
  return {
    kind: 'tool-call',
    t,
    ...(id ? { id: id.slice(0, 200) } : {}),
    tool: (tool || 'tool').slice(0, 200),
    ...(command !== undefined ? { command: b(command) } : {}),
    ...(Object.keys(rest).length > 0 ? { input: b(JSON.stringify(rest)) } : {}),
  };
}

function toolResult(
  t: number,
  id: string | undefined,
  output: string,
  extra: { exitCode?: number | null; isError?: boolean } = {},
) {
  const { text, truncated } = bound(output);
  return {
    kind: 'tool-result' as const,
    t,
    ...(id ? { id: id.slice(0, 200) } : {}),
    output: text,
    ...(extra.exitCode !== undefined ? { exitCode: extra.exitCode } : {}),
    ...(extra.isError !== undefined ? { isError: extra.isError } : {}),
    ...(truncated ? { truncated } : {}),
  };
}

function fileEvent(t: number, path: unknown, action: 'write' | 'edit' | 'delete', content?: unknown): TimelineEvent[] {
  const p = str(path);
  if (!p) return [];
  return [
    {
      kind: 'file',
      t,
      path: p.slice(0, 1000),
      action,
      ...(typeof content === 'string' ? { bytes: Buffer.byteLength(content) } : {}),
    },
  ];
}

const contentText = (v: unknown): string =>
  typeof v === 'string'
    ? v
    : arr(v)
        .map((c) => str(obj(c).text) ?? JSON.stringify(c))
        .join('\n');

/** Claude Code `--output-format stream-json --verbose`. */
export const claudeCodeEvents: CliConverter = (event, t) => {
  const e = obj(event);
  if (e.type === 'system' && e.subtype === 'init')
    return [
      message(
        t,
        'system',
        `Claude Code ${str(e.claude_code_version) ?? ''} started: model ${str(e.model) ?? '?'}, cwd ${str(e.cwd) ?? '?'}`,
      ),
    ];
  if (e.type === 'system' && e.subtype === 'api_retry')
    return [
      message(
        t,
        'system',
        `API retry ${String(e.attempt)}/${String(e.max_retries)} after ${String(e.error_status ?? e.error)} (waiting ${String(e.retry_delay_ms)} ms)`,
      ),
    ];
  if (e.type === 'result')
    return e.is_error === true || e.subtype !== 'success'
      ? [message(t, 'system', `Claude Code ended: ${str(e.subtype) ?? ''} ${str(e.result) ?? ''}`.trim())]
      : [];
  const m = obj(e.message);
  const out: TimelineEvent[] = [];
  for (const block of arr(m.content)) {
    const c = obj(block);
    if (e.type === 'assistant' && c.type === 'text' && str(c.text)) out.push(message(t, 'assistant', c.text as string));
    else if (e.type === 'assistant' && c.type === 'thinking' && str(c.thinking))
      out.push(message(t, 'thinking', c.thinking as string));
    else if (e.type === 'assistant' && c.type === 'tool_use') {
      const input = obj(c.input);
      const name = str(c.name) ?? 'tool';
      out.push(toolCall(t, str(c.id), name, input, name === 'Bash' ? ['command'] : []));
      if (name === 'Write') out.push(...fileEvent(t, input.file_path, 'write', input.content));
      if (name === 'Edit' || name === 'MultiEdit' || name === 'NotebookEdit')
        out.push(...fileEvent(t, input.file_path ?? input.notebook_path, 'edit'));
    } else if (e.type === 'user' && c.type === 'tool_result')
      out.push(toolResult(t, str(c.tool_use_id), contentText(c.content), { isError: c.is_error === true }));
    else if (e.type === 'user' && c.type === 'text' && str(c.text)) out.push(message(t, 'user', c.text as string));
  }
  if (e.type === 'user' && typeof m.content === 'string') out.push(message(t, 'user', m.content));
  return out;
};

/** Codex `exec --json`. */
export const codexEvents: CliConverter = (event, t) => {
  const e = obj(event);
  if (e.type === 'thread.started') return [message(t, 'system', `Codex session ${str(e.thread_id) ?? ''} started`)];
  if (e.type === 'error') return [message(t, 'system', str(e.message) ?? 'error')];
  if (e.type === 'turn.failed') return [message(t, 'system', `turn failed: ${str(obj(e.error).message) ?? ''}`)];
  if (e.type !== 'item.started' && e.type !== 'item.completed') return [];
  const item = obj(e.item);
  const id = str(item.id);
  const done = e.type === 'item.completed';
  switch (item.type) {
    case 'command_execution':
      return done
        ? [
            toolResult(t, id, str(item.aggregated_output) ?? '', {
              exitCode: typeof item.exit_code === 'number' ? item.exit_code : null,
              isError: item.status === 'failed' || (typeof item.exit_code === 'number' && item.exit_code !== 0),
            }),
          ]
        : [toolCall(t, id, 'shell', { command: item.command }, ['command'])];
    case 'agent_message':
      return done && str(item.text) ? [message(t, 'assistant', item.text as string)] : [];
    case 'reasoning':
      return done && str(item.text) ? [message(t, 'thinking', item.text as string)] : [];
    case 'file_change':
      return done
        ? arr(item.changes).flatMap((c) => {
            const kind = str(obj(c).kind);
            return fileEvent(t, obj(c).path, kind === 'delete' ? 'delete' : kind === 'add' ? 'write' : 'edit');
          })
        : [];
    case 'web_search':
      return done ? [toolCall(t, id, 'web_search', { query: item.query }, [])] : [];
    case 'mcp_tool_call':
      return done ? [toolCall(t, id, `${str(item.server) ?? 'mcp'}:${str(item.tool) ?? ''}`, obj(item.arguments), [])] : [];
    case 'error':
      return done ? [message(t, 'system', str(item.message) ?? 'error')] : [];
    default:
      return [];
  }
};

/** Gemini CLI `--output-format stream-json` (assistant text arrives in deltas; the timeline merges them). */
export const geminiEvents: CliConverter = (event, t) => {
  const e = obj(event);
  switch (e.type) {
    case 'init':
      return [message(t, 'system', `Gemini CLI session ${str(e.session_id) ?? ''} started: model ${str(e.model) ?? '?'}`)];
    case 'message':
      return str(e.content) ? [message(t, e.role === 'user' ? 'user' : 'assistant', e.content as string)] : [];
    case 'tool_use': {
      const input = obj(e.parameters);
      const name = str(e.tool_name) ?? 'tool';
      return [
        toolCall(t, str(e.tool_id), name, input, name === 'run_shell_command' ? ['command'] : []),
        ...(name === 'write_file' ? fileEvent(t, input.file_path, 'write', input.content) : []),
        ...(name === 'replace' ? fileEvent(t, input.file_path, 'edit') : []),
      ];
    }
    case 'tool_result':
      return [
        toolResult(t, str(e.tool_id), str(e.output) ?? str(obj(e.error).message) ?? '', { isError: e.status !== 'success' }),
      ];
    case 'error':
      return [message(t, 'system', str(e.message) ?? JSON.stringify(e).slice(0, 500))];
    case 'result':
      return e.status === 'success'
        ? []
        : [message(t, 'system', `Gemini CLI ended: ${str(e.status) ?? ''} ${str(obj(e.error).message) ?? ''}`.trim())];
    default:
      return [];
  }
};

/** OpenCode `run --format json`. */
export const opencodeEvents: CliConverter = (event, t) => {
  const e = obj(event);
  const part = obj(e.part);
  switch (e.type) {
    case 'text':
      return str(part.text) ? [message(t, 'assistant', part.text as string)] : [];
    case 'reasoning':
      return str(part.text) ? [message(t, 'thinking', part.text as string)] : [];
    case 'tool_use': {
      const state = obj(part.state);
      const input = obj(state.input);
      const tool = str(part.tool) ?? 'tool';
      const id = str(part.callID);
      const exit = obj(state.metadata).exit;
      const failed = state.status === 'error';
      return [
        toolCall(t, id, tool, input, tool === 'bash' ? ['command'] : []),
        ...(tool === 'write' ? fileEvent(t, input.filePath, 'write', input.content) : []),
        ...(tool === 'edit' ? fileEvent(t, input.filePath, 'edit') : []),
        ...(state.status === 'completed' || failed
          ? [
              toolResult(t, id, str(state.output) ?? str(state.error) ?? '', {
                ...(typeof exit === 'number' ? { exitCode: exit } : {}),
                isError: failed || (typeof exit === 'number' && exit !== 0),
              }),
            ]
          : []),
      ];
    }
    case 'error':
      return [message(t, 'system', `error: ${str(obj(obj(e.error).data).message) ?? str(obj(e.error).name) ?? 'unknown'}`)];
    default:
      return [];
  }
};

export const CLI_CONVERTERS: Record<string, CliConverter> = {
  'claude-code': claudeCodeEvents,
  'codex-cli': codexEvents,
  'gemini-cli': geminiEvents,
  opencode: opencodeEvents,
};
