/**
 * OpenAI Responses (server-sent events, JSON, or events over a WebSocket, as Codex calls it)
 * and Chat Completions (as OpenCode calls OpenAI-compatible providers), with function calls.
 */
import type { ModelRequest, Reply } from './script.ts';
import { asArr, asObj, id, type Json, type Rendered, replyTokens, sse, textOf, toolSpec } from './wire.ts';

function responsesTools(tools: unknown[]): ModelRequest['tools'] {
  return tools.flatMap((t) => {
    const o = asObj(t);
    if (o.type === 'function') return [toolSpec(o.name, o.parameters)];
    if (o.type === 'custom') return [{ name: String(o.name), params: [] }];
    if (o.type === 'namespace') return responsesTools(asArr(o.tools));
    return [];
  });
}

/** Input items of a Responses request; over a WebSocket the caller passes the session's whole history. */
export function parseResponses(body: Json, history: unknown[] = []): ModelRequest & { stream: boolean; input: unknown[] } {
  const input = [...history, ...asArr(body.input)];
  const toolResults = input
    .map(asObj)
    .filter((i) => i.type === 'function_call_output' || i.type === 'custom_tool_call_output')
    .map((i) => textOf(i.output));
  const format = asObj(asObj(body.text).format);
  return {
    model: String(body.model ?? ''),
    tools: responsesTools(asArr(body.tools)),
    toolResults,
    stream: body.stream === true,
    input,
    ...(format.type === 'json_schema' ? { jsonSchema: format.schema } : {}),
  };
}

/** The Responses events of one reply, in order, each with its sequence number; the last one is response.completed. */
export function responsesEvents(reply: Reply, model: string, inputTokens: number): { events: Json[]; output: Json[] } {
  const responseId = id('resp_');
  const outputTokens = replyTokens(reply);
  const text = reply.kind === 'text' ? reply.text : reply.kind === 'json' ? JSON.stringify(reply.value) : reply.preamble;
  const message: Json = {
    type: 'message',
    id: id('msg_'),
    status: 'completed',
    role: 'assistant',
    content: [{ type: 'output_text', text, annotations: [] }],
  };
  const output: Json[] = [message];
  if (reply.kind === 'tool')
    output.push({
      type: 'function_call',
      id: id('fc_'),
      call_id: id('call_'),
      name: reply.name,
      arguments: JSON.stringify(reply.args),
      status: 'completed',
    });
  const base = { id: responseId, object: 'response', created_at: Math.floor(Date.now() / 1000), model };
  const events: Json[] = [
    { type: 'response.created', response: { ...base, status: 'in_progress', output: [] } },
    { type: 'response.in_progress', response: { ...base, status: 'in_progress', output: [] } },
  ];
  output.forEach((item, outputIndex) => {
    if (item.type === 'message') {
      events.push(
        { type: 'response.output_item.added', output_index: outputIndex, item: { ...item, status: 'in_progress', content: [] } },
        {
          type: 'response.content_part.added',
          item_id: item.id,
          output_index: outputIndex,
          content_index: 0,
          part: { type: 'output_text', text: '', annotations: [] },
        },
        { type: 'response.output_text.delta', item_id: item.id, output_index: outputIndex, content_index: 0, delta: text },
        { type: 'response.output_text.done', item_id: item.id, output_index: outputIndex, content_index: 0, text },
        {
          type: 'response.content_part.done',
          item_id: item.id,
          output_index: outputIndex,
          content_index: 0,
          part: { type: 'output_text', text, annotations: [] },
        },
      );
    } else {
      events.push(
        {
          type: 'response.output_item.added',
          output_index: outputIndex,
          item: { ...item, arguments: '', status: 'in_progress' },
        },
        { type: 'response.function_call_arguments.delta', item_id: item.id, output_index: outputIndex, delta: item.arguments },
        { type: 'response.function_call_arguments.done', item_id: item.id, output_index: outputIndex, arguments: item.arguments },
      );
    }
    events.push({ type: 'response.output_item.done', output_index: outputIndex, item });
  });
  events.push({
    type: 'response.completed',
    response: {
      ...base,
      status: 'completed',
      output,
      usage: {
        input_tokens: inputTokens,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: outputTokens,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: inputTokens + outputTokens,
      },
    },
  });
  events.forEach((e, i) => {
    e.sequence_number = i;
  });
  return { events, output };
}

export function renderResponses(reply: Reply, model: string, inputTokens: number): Rendered {
  const { events } = responsesEvents(reply, model, inputTokens);
  const completed = asObj(events.at(-1)).response;
  return { events: events.map((e) => sse(e, String(e.type))), body: completed };
}

export function parseChat(body: Json): ModelRequest & { stream: boolean } {
  const toolResults = asArr(body.messages)
    .map(asObj)
    .filter((m) => m.role === 'tool')
    .map((m) => textOf(m.content));
  const format = asObj(body.response_format);
  return {
    model: String(body.model ?? ''),
    tools: asArr(body.tools).map((t) => toolSpec(asObj(asObj(t).function).name, asObj(asObj(t).function).parameters)),
    toolResults,
    stream: body.stream === true,
    ...(format.type === 'json_schema' ? { jsonSchema: asObj(format.json_schema).schema } : {}),
  };
}

export function renderChat(reply: Reply, model: string, inputTokens: number): Rendered {
  const outputTokens = replyTokens(reply);
  const text = reply.kind === 'text' ? reply.text : reply.kind === 'json' ? JSON.stringify(reply.value) : reply.preamble;
  const chatId = id('chatcmpl-');
  const created = Math.floor(Date.now() / 1000);
  const call =
    reply.kind === 'tool'
      ? { id: id('call_'), type: 'function', function: { name: reply.name, arguments: JSON.stringify(reply.args) } }
      : null;
  const finish = call ? 'tool_calls' : 'stop';
  const usage = { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens };
  const chunk = (delta: Json, finishReason: string | null) => ({
    id: chatId,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
  const events = [
    sse(chunk({ role: 'assistant', content: '' }, null)),
    sse(chunk({ content: text }, null)),
    ...(call
      ? [
          sse(
            chunk(
              {
                tool_calls: [{ index: 0, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }],
              },
              null,
            ),
          ),
          sse(chunk({ tool_calls: [{ index: 0, function: { arguments: call.function.arguments } }] }, null)),
        ]
      : []),
    sse(chunk({}, finish)),
    sse({ id: chatId, object: 'chat.completion.chunk', created, model, choices: [], usage }),
    sse('[DONE]'),
  ];
  return {
    events,
    body: {
      id: chatId,
      object: 'chat.completion',
      created,
      model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: text, ...(call ? { tool_calls: [call] } : {}) },
          finish_reason: finish,
        },
      ],
      usage,
    },
  };
}

export function openaiError(status: number): Json {
  const type = status === 429 ? 'rate_limit_exceeded' : status === 401 ? 'invalid_api_key' : 'server_error';
  const message =
    status === 429
      ? 'Rate limit reached'
      : status === 401
        ? 'Incorrect API key provided'
        : 'The server had an error while processing your request.';
  return { error: { message, type, code: type, param: null } };
}
