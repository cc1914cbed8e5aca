import type { IntegrityFinding } from '@ptb/core';

/** config.json fields that a fine-tune keeps: a different value means a different architecture or size. */
export const IDENTITY_FIELDS = [
  'model_type',
  'architectures',
  'vocab_size',
  'hidden_size',
  'num_hidden_layers',
  'num_attention_heads',
  'num_key_value_heads',
  'intermediate_size',
  'head_dim',
] as const;

type Json = Record<string, unknown>;

const textConfig = (c: Json): Json =>
  typeof c.text_config === 'object' && c.text_config !== null ? { ...c, ...(c.text_config as Json) } : c;

/**
 * Compares the final model's config and tokenizer with the base model's. A fine-tune keeps
 * the architecture and the tokenizer (added special tokens aside); a swapped-in other model
 * does not. This cannot tell a base model from its own instruct release (same architecture):
 * the egress log and the optional judge cover that.
 */
export function modelIdentityFindings(
  base: { config: Json | null; vocab: Record<string, number> | null },
  final: { config: Json | null; vocab: Record<string, number> | null },
): IntegrityFinding[] {
  if (!final.config || !base.config) return [];
  const b = textConfig(base.config);
  const f = textConfig(final.config);
  const diffs: string[] = [];
  for (const k of IDENTITY_FIELDS) {
    if (b[k] === undefined) continue;
    if (JSON.stringify(b[k]) !== JSON.stringify(f[k]))
      diffs.push(`config.${k}: base ${JSON.stringify(b[k])}, final ${JSON.stringify(f[k])}`);
  }
  if (base.vocab && final.vocab) {
    let missing = 0;
    let changed = 0;
    for (const [tok, id] of Object.entries(base.vocab)) {
      const other = final.vocab[tok];
      if (other === undefined) missing++;
      else if (other !== id) changed++;
    }
    const total = Object.keys(base.vocab).length;
    if (missing + changed > total * 0.01)
      diffs.push(`tokenizer: ${missing} of ${total} base tokens missing and ${changed} renumbered in the final tokenizer`);
  }
  if (diffs.length === 0) return [];
  return [
    {
      check: 'model-identity',
      severity: 'violation',
      summary: 'the final model does not derive from the base model: its architecture or tokenizer differs',
      evidence: diffs,
    },
  ];
}

/** The token-to-id map of a Hugging Face tokenizer.json (model.vocab as an object), or null. */
export function tokenizerVocab(tokenizerJson: unknown): Record<string, number> | null {
  const vocab = (tokenizerJson as { model?: { vocab?: unknown } } | null)?.model?.vocab;
  if (!vocab || typeof vocab !== 'object' || Array.isArray(vocab)) return null;
  return vocab as Record<string, number>;
}
