/**
 * Names matched word by word, so that spelling variants of one name match it: "Qwen3-1.7B",
 * "qwen3_1.7b" and "Qwen_Qwen3-1.7B-GGUF" all hold the words qwen 3 1 7 b. Pure.
 */

/** Lower-case runs of letters and of digits: "Qwen3-1.7B-GGUF" is qwen 3 1 7 b gguf. */
export const nameWords = (s: string): string[] => s.toLowerCase().match(/[a-z]+|[0-9]+/g) ?? [];

/** Every index at which `run` occurs in `words`. */
export function occurrences(words: readonly string[], run: readonly string[]): number[] {
  if (run.length === 0) return [];
  const out: number[] = [];
  for (let i = 0; i + run.length <= words.length; i++) if (run.every((w, k) => words[i + k] === w)) out.push(i);
  return out;
}

/** Whether a text holds a name (its words, contiguous). */
export const holdsName = (text: string, name: string): boolean => occurrences(nameWords(text), nameWords(name)).length > 0;

export interface Family {
  name: string;
  base: readonly string[];
}

/**
 * Whether a name (a repository, a file) names a checkpoint of the family other than its base:
 * the family's words followed by anything but a base marker ("Qwen3-4B", "Qwen3-4B-GGUF",
 * "unsloth/Qwen3-4B-bnb-4bit", "gemma-3-4b-it-qat"; not "Qwen3-4B-Base", "gemma-3-4b-pt").
 */
export function namesFamilyVariant(text: string, family: Family): boolean {
  const words = nameWords(text);
  const stem = nameWords(family.name);
  const markers = family.base.map((b) => nameWords(b)[0]);
  return occurrences(words, stem).some((i) => {
    const next = words[i + stem.length];
    return next === undefined || !markers.includes(next);
  });
}

/** PEP 503 normalised project name: lower case, runs of "-", "_", "." as one "-". */
export const pypiName = (name: string): string => name.toLowerCase().replace(/[-_.]+/g, '-');
