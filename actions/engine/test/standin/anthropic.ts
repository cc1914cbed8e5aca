/** Anthropic Messages, as Claude Code and OpenCode call it: JSON or server-sent events, with tool use. */
import type { ModelRequest, Reply } from './script.ts';
import { asArr, asObj, id, type Json, type Rendered, replyTokens, sse, textOf, toolSpec } from './wire.ts';

export function parseMessages(body: Json): ModelRequest & { stream: boolean } {
  const toolResults: string[] = [];
  for (const m of asArr(body.messages)) {
    for (const block of asArr(asObj(m).content)) {
      const b = asObj(block);
      if (b.type === 'tool_result') toolResults.push(textOf(b.content));
    }
  }
  return {
    model: String(body.model ?? ''),
    tools: asArr(body.tools).map((t) => toolSpec(asObj(t).name, asObj(t).input_schema)),
    toolResults,
    stream: body.stream === true,
  };
}

export function renderMessages(reply: Reply, model: string, inputTokens: number): Rendered {
  const outputTokens = replyTokens(reply);
  const text = reply.kind === 'text' ? reply.text : reply.kind === 'json' ? JSON.stringify(reply.value) : reply.preamble;
  const content: Json[] = [{ type: 'text', text }];
  if (reply.kind === 'tool') content.push({ type: 'tool_use', id: id('toolu_'), name: reply.name, input: reply.args });
  const stopReason = reply.kind === 'tool' ? 'tool_use' : 'end_turn';
  const messageId = id('msg_');
  const usage = {
    input_tokens: inputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: outputTokens,
  };
  const events: string[] = [
    sse(
      {
        type: 'message_start',
        message: {
          id: messageId,
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...usage, output_tokens: 1 },
        },
      },
      'message_start',
    ),
    sse({ type: 'ping' }, 'ping'),
  ];
  content.forEach((block, index) => {
    if (block.type === 'text') {
      events.push(sse({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } }, 'content_block_start'));
      // Two deltas, so that a stream cut in the middle leaves half a text behind.
      const half = Math.ceil(text.length / 2);
      for (const part of [text.slice(0, half), text.slice(half)])
        events.push(
          sse({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: part } }, 'content_block_delta'),
        );
    } else {
      events.push(
        sse({ type: 'content_block_start', index, content_block: { ...block, input: {} } }, 'content_block_start'),
        sse(
          { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) } },
          'content_block_delta',
        ),
      );
    }
    events.push(sse({ type: 'content_block_stop', index }, 'content_block_stop'));
  });
  events.push(
    sse(
      { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens } },
      'message_delta',
    ),
    sse({ type: 'message_stop' }, 'message_stop'),
  );
  return {
    events,
    body: {
      id: messageId,
      type: 'message',
      role: 'assistant',
      model,
      content,
      stop_reason: stopReason,
      stop_sequence: null,
      usage,
    },
  };
}

const ANTHROPIC_ERRORS: Record<number, [string, string]> = {
  400: ['invalid_request_error', 'messages: invalid request'],
  401: ['authentication_error', 'invalid x-api-key'],
  429: ['rate_limit_error', 'Rate limited'],
  529: ['overloaded_error', 'Overloaded'],
};

export function anthropicError(status: number): Json {
  const [type, message] = ANTHROPIC_ERRORS[status] ?? ['api_error', 'Internal server error'];
  return { type: 'error', error: { type, message } };
}
