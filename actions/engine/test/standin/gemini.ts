/** Gemini generateContent and streamGenerateContent (`alt=sse`, or a JSON array without it), with function calls. */
import type { ModelRequest, Reply } from './script.ts';
import { asArr, asObj, type Json, type Rendered, replyTokens, sse, textOf, toolSpec } from './wire.ts';

export function parseGemini(body: Json, model: string): ModelRequest {
  const toolResults: string[] = [];
  for (const c of asArr(body.contents))
    for (const part of asArr(asObj(c).parts)) {
      const fr = asObj(asObj(part).functionResponse);
      if (Object.keys(fr).length > 0) toolResults.push(textOf(fr.response ?? {}));
    }
  const tools = asArr(body.tools).flatMap((t) =>
    asArr(asObj(t).functionDeclarations).map((d) =>
      toolSpec(asObj(d).name, asObj(d).parametersJsonSchema ?? asObj(d).parameters),
    ),
  );
  const gc = asObj(body.generationConfig);
  const schema = gc.responseJsonSchema ?? gc.responseSchema;
  return {
    model,
    tools,
    toolResults,
    ...(gc.responseMimeType === 'application/json' && schema !== undefined ? { jsonSchema: schema } : {}),
  };
}

export function renderGemini(reply: Reply, model: string, inputTokens: number): Rendered & { chunks: Json[] } {
  const outputTokens = replyTokens(reply);
  const text = reply.kind === 'text' ? reply.text : reply.kind === 'json' ? JSON.stringify(reply.value) : reply.preamble;
  const usage = (out: number) => ({
    promptTokenCount: inputTokens,
    candidatesTokenCount: out,
    totalTokenCount: inputTokens + out,
  });
  const chunk = (parts: Json[], finish: string | null, out: number): Json => ({
    candidates: [{ content: { role: 'model', parts }, ...(finish ? { finishReason: finish } : {}), index: 0 }],
    usageMetadata: usage(out),
    modelVersion: model,
    responseId: `standin-${Date.now()}`,
  });
  const chunks: Json[] =
    reply.kind === 'tool'
      ? [chunk([{ text }], null, 1), chunk([{ functionCall: { name: reply.name, args: reply.args } }], 'STOP', outputTokens)]
      : [
          chunk([{ text: text.slice(0, Math.ceil(text.length / 2)) }], null, 1),
          chunk([{ text: text.slice(Math.ceil(text.length / 2)) }], 'STOP', outputTokens),
        ];
  const parts = chunks.flatMap((c) => asArr(asObj(asObj(asArr(c.candidates)[0]).content).parts));
  return {
    chunks,
    events: chunks.map((c) => sse(c)),
    body: { ...chunks.at(-1), candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }] },
  };
}

export function geminiError(status: number): Json {
  const s =
    status === 429
      ? 'RESOURCE_EXHAUSTED'
      : status === 401 || status === 403
        ? 'PERMISSION_DENIED'
        : status === 503
          ? 'UNAVAILABLE'
          : 'INTERNAL';
  return { error: { code: status, message: status === 503 ? 'The model is overloaded. Please try again later.' : s, status: s } };
}
