/**
 * JSON as Python's `json` module reads it (what transformers and vLLM use for config.json
 * and tokenizer.json): standard JSON plus the bare constants NaN, Infinity and -Infinity.
 * A file Python accepts must never be "unreadable" to the harness, or an agent could turn
 * the identity checks into no-ops. The constants become null (they equal no real value).
 */
export function parsePythonJson(text: string): unknown {
  const body = text.replace(/^\uFEFF/, '');
  let out = '';
  let i = 0;
  while (i < body.length) {
    const c = body[i] as string;
    if (c === '"') {
      // Copy a string literal verbatim, escapes included.
      let j = i + 1;
      while (j < body.length && body[j] !== '"') j += body[j] === '\\' ? 2 : 1;
      out += body.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const constant = /^(-?Infinity|NaN)/.exec(body.slice(i, i + 9));
    if (constant) {
      out += 'null';
      i += (constant[1] as string).length;
      continue;
    }
    out += c;
    i++;
  }
  return JSON.parse(out);
}
