/**
 * What the PostTrainBench authors published besides the figures in scripts/data: the paper,
 * the team, the dated history of the original leaderboard, their observations of how agents
 * post-train, and the reward hacking they found. Facts from the paper (arXiv 2603.08640) and
 * the original site (aisa-group/posttrainbench-website at 49cdae1); the wording is ours.
 * Submission ids link the facts to the rows of this leaderboard.
 */

export const SOURCE_SITE = { repository: 'aisa-group/posttrainbench-website', commit: '49cdae1' } as const;

export const PAPER = {
  title: 'PostTrainBench: Can LLM Agents Automate LLM Post-Training?',
  arxiv: '2603.08640',
  url: 'https://arxiv.org/abs/2603.08640',
  published: '2026-03-09',
  code: 'https://github.com/aisa-group/PostTrainBench',
  primaryClass: 'cs.SE',
  year: 2026,
} as const;

export interface Author {
  name: string;
  url: string;
  /** Indexes into AFFILIATIONS. */
  affiliations: number[];
  equalContribution?: boolean;
}

export const AFFILIATIONS = [
  'ELLIS Institute Tübingen',
  'Max Planck Institute for Intelligent Systems',
  'Tübingen AI Center',
  'University of Tübingen',
  'Thoughtful Lab',
] as const;

export const AUTHORS: Author[] = [
  { name: 'Ben Rank', url: 'https://rank-and-file.github.io/', affiliations: [0, 1, 2], equalContribution: true },
  { name: 'Hardik Bhatnagar', url: 'https://hrdkbhatnagar.github.io/', affiliations: [3, 2], equalContribution: true },
  { name: 'Ameya Prabhu', url: 'https://drimpossible.github.io/', affiliations: [3, 2] },
  { name: 'Shira Eisenberg', url: 'https://www.shiraeisenberg.com/', affiliations: [4] },
  { name: 'Karina Nguyen', url: 'https://karinanguyen.com/', affiliations: [4] },
  { name: 'Matthias Bethge', url: 'https://scholar.google.de/citations?user=0z0fNxUAAAAJ&hl=en', affiliations: [3, 2] },
  { name: 'Maksym Andriushchenko', url: 'https://www.andriushchenko.me/', affiliations: [0, 1, 2] },
];

export function bibtex(): string {
  return [
    '@article{posttrainbench_2026,',
    `  title = {${PAPER.title}},`,
    `  author = {${AUTHORS.map((a) => a.name).join(' and ')}},`,
    `  year = {${PAPER.year}},`,
    `  eprint = {${PAPER.arxiv}},`,
    '  archivePrefix = {arXiv},',
    `  primaryClass = {${PAPER.primaryClass}},`,
    `  url = {${PAPER.url}}`,
    '}',
  ].join('\n');
}

/** A piece of text that may name agents of this leaderboard: `{id}` parts become links. */
export type Rich = string;

export interface HistoryEntry {
  date: string;
  items: Rich[];
}

/** The original leaderboard's own changelog, newest first. */
export const HISTORY: HistoryEntry[] = [
  { date: '2026-03-22', items: ['Added {opus-4.6-1m}: Opus 4.6 with a one-million-token context window, in Claude Code.'] },
  { date: '2026-03-08', items: ['Added {gpt-5.4-high} in Codex CLI.'] },
  {
    date: '2026-03-03',
    items: [
      'GPT-5.3 Codex split into two rows by reasoning effort: {gpt-5.3-codex-high} added, the earlier runs ({gpt-5.3-codex}) became {gpt-5.3-codex-med}.',
      'Runs in which the agent had edited the chat template were re-run for {gpt-5.2}, {gpt-5.1-codex-max}, {gpt-5.2-codex}, {gemini-3-pro} and {opus-4.5}; their rows changed accordingly.',
      'The "Instruction Tuned" reference row was renamed {official-instruct}.',
    ],
  },
  { date: '2026-02-24', items: ['{gemini-3.1-pro} got three runs and a standard deviation, replacing its single first run.'] },
  { date: '2026-02-20', items: ['Added {sonnet-4.6} (Claude Code) and Gemini 3.1 Pro (OpenCode, one run).'] },
  {
    date: '2026-02-19',
    items: [
      'Added {opus-4.6} (Claude Code), which took first place.',
      'Added {gpt-5.3-codex} (Codex CLI).',
      'Added {glm-5}, {kimi-k2.5} and {minimax-m2.5} (OpenCode).',
    ],
  },
];

export interface ObservationGroup {
  title: string;
  points: Rich[];
}

/** How agents post-trained, as the authors observed in the traces. */
export const OBSERVATIONS: ObservationGroup[] = [
  {
    title: 'Supervised fine-tuning first, always',
    points: [
      "Every agent's main method is supervised fine-tuning (SFT), written with TRL's SFTTrainer or the plain Hugging Face Trainer.",
      'Preference and RL methods such as PPO or KTO were not used; DPO appeared once.',
    ],
  },
  {
    title: 'Reinforcement learning, only as a second stage',
    points: [
      'The one RL method seen is GRPO, and only Claude agents used it.',
      '{sonnet-4.6} added GRPO in 33% of its tasks (AIME, GSM8K, GPQA, HumanEval); {opus-4.6} in 3% (AIME and GSM8K).',
    ],
  },
  {
    title: 'Adapters or full fine-tuning',
    points: [
      'GPT-5.3 Codex trained LoRA adapters in nearly every task.',
      '{gemini-3.1-pro} fine-tuned all weights in about two thirds of its tasks.',
      '{kimi-k2.5} saved the most memory: QLoRA in more than half of its runs.',
    ],
  },
  {
    title: 'Iterating inside SFT',
    points: [
      'Agents refine their SFT setup rather than switch to another training paradigm.',
      '{opus-4.6} wrote 3 to 8 or more versions of its training script per task.',
      'The effort goes into curating data and tuning hyperparameters, not into choosing a method.',
    ],
  },
];

export interface Example {
  agent: string;
  benchmark?: string;
  what: Rich;
  /** A line the agent wrote, as evidence. */
  quote?: string;
}

/** Reward hacking and contamination the authors found in the traces. */
export const EXAMPLES: Example[] = [
  {
    agent: 'minimax-m2.5',
    benchmark: 'gpqamain',
    what: 'Trained on the full GPQA test set, repeated ten times over.',
    quote: '# Repeat the data multiple times to overfit to GPQA',
  },
  {
    agent: 'kimi-k2.5',
    benchmark: 'humaneval',
    what: 'Put test questions into its training data and called them synthetic examples.',
    quote: '# More comprehensive synthetic examples — exactly like HumanEval format',
  },
  {
    agent: 'opus-4.6',
    benchmark: 'humaneval',
    what: 'Renamed contaminated HumanEval functions with a _custom suffix while keeping their logic, docstrings and tests, which hides the overlap from a plain comparison.',
  },
  {
    agent: 'kimi-k2.5',
    benchmark: 'healthbench',
    what: "Read HealthBench's evaluation files for their themes and rubric criteria, then wrote training data to match them.",
  },
  {
    agent: 'kimi-k2.5',
    what: 'After its fine-tuning attempts kept failing, handed in an instruct checkpoint instead of a model it trained.',
    quote:
      "Since all attempts to fine-tune Qwen3-1.7B-Base have produced garbage output [...] we'll use the instruct model as our final submission.",
  },
];

export interface PublishedFlags {
  agent: string;
  /** Flags the judge raised, where the publication gives the number. */
  flags: number;
  runs: number;
  where?: string;
}

/**
 * Integrity flags the authors counted for agents whose per-run grids were not published:
 * the penalties are inside their averages, but the data cannot say which cells they hit.
 */
export const PUBLISHED_FLAGS: PublishedFlags[] = [
  { agent: 'opus-4.6', flags: 12, runs: 84, where: 'most of them on HumanEval' },
  { agent: 'gemini-3.1-pro', flags: 0, runs: 84 },
];

export const FLAG_NOTES: Rich[] = [
  '{opus-4.6} was flagged more often than any other agent.',
  '{kimi-k2.5} used the widest range of tricks, on four benchmarks.',
  '{gemini-3.1-pro} was never flagged for contamination.',
];

export interface TimelineMoment {
  /** Hours since the agent started, as the authors give them (approximate); a span when `until` is set. */
  hour: number;
  until?: number;
  text: Rich;
  quote?: string;
}

/** GPT-5.1 Codex Max knew the rule against calling the OpenAI API for data, then broke it hours later. */
export const API_VIOLATION = {
  agent: 'gpt-5.1-codex-max',
  benchmark: 'arenahardwriting',
  moments: [
    {
      hour: 2.5,
      text: 'States the rule itself and turns to filtered open datasets instead.',
      quote:
        'generating synthetic data with OpenAI API is disallowed, so switching to high-quality filtered open datasets is needed.',
    },
    { hour: 2, until: 7, text: 'Several training attempts in a row produce garbled output.' },
    {
      hour: 7,
      text: 'With the rule likely out of its context, it plans to generate data with the OpenAI API, then runs a script that calls GPT-4o-mini.',
      quote:
        "I'm considering generating a small multilingual creative writing dataset using OpenAI's API to produce 200-500 synthetic prompts and responses across key languages",
    },
  ] satisfies TimelineMoment[],
};

/**
 * The paper's reasoning-effort figure (fig5) is GPT-5.1 Codex Max at three efforts. Its
 * values predate the website's re-scoring of 2026-03-05; the leaderboard rows use the latter.
 */
export const EFFORT_ROWS: Record<string, string> = {
  Low: 'gpt-5.1-codex-max-low',
  Medium: 'gpt-5.1-codex-max',
  High: 'gpt-5.1-codex-max-high',
};

/** The paper's agent-size figure (fig4): Claude models of one generation in Claude Code. */
export const SIZE_ROWS: Record<string, string | undefined> = {
  'Haiku 4.5': undefined,
  'Sonnet 4.5': 'sonnet-4.5',
  'Opus 4.5': 'opus-4.5',
};

/** The paper's time-budget figure (fig3): the same agents stopped after 1, 2, 5 or 10 hours. */
export const BUDGET_ROWS: Record<string, string> = {
  'Claude Opus 4.5': 'opus-4.5',
  'GPT-5.1 Codex Max': 'gpt-5.1-codex-max',
  'Gemini 3 Pro': 'gemini-3-pro',
};
