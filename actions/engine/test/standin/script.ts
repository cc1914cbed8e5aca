/**
 * The scripted agent the model stand-in plays: the tool calls a real agent makes on the CI
 * task (list the workspace, read the time left, write a training script that fits the tiny
 * adder base model to the training data, run it, call evaluate.py --limit, check
 * final_model/, stop). Whatever the wire format, a request is answered from the tools it
 * offers and the number of tool results already in its conversation, so the stand-in is
 * stateless across requests (a re-prompted or resumed session simply carries on).
 */

/** One tool the CLI offers, with the names of its parameters. */
export interface ToolSpec {
  name: string;
  params: string[];
}

/** What the stand-in needs from a request, whatever the wire format. */
export interface ModelRequest {
  model: string;
  tools: ToolSpec[];
  /** Text of every tool result in the conversation, oldest first. */
  toolResults: string[];
  /** A JSON schema the answer must follow (Gemini CLI's internal checks), if any. */
  jsonSchema?: unknown;
}

export type Reply =
  | { kind: 'text'; text: string }
  | { kind: 'tool'; name: string; args: Record<string, unknown>; preamble: string }
  | { kind: 'json'; value: unknown };

export type Scenario = 'train' | 'runaway';

/** The training script: picks the adder program that best fits task_context/train.jsonl and saves it. */
export const TRAIN_PY = `import json, os, re, shutil

base = os.environ.get("PTB_BASE_MODEL", "/models/base")
rows = [json.loads(line) for line in open("task_context/train.jsonl") if line.strip()]


def predict(program, question):
    nums = [int(n) for n in re.findall(r"-?\\d+", question)]
    return str(nums[0]) if program == "first" else str(sum(nums))


def accuracy(program):
    return sum(predict(program, r["question"]) == r["answer"] for r in rows) / len(rows)


best = max(["first", "sum"], key=accuracy)
os.makedirs("final_model", exist_ok=True)
for name in ("config.json", "tokenizer.json"):
    shutil.copy(os.path.join(base, name), os.path.join("final_model", name))
with open("final_model/model.json", "w") as f:
    json.dump({"program": best}, f)
print(f"trained: program={best} train accuracy={accuracy(best):.3f} on {len(rows)} examples")
`;

type Step = { shell: string; say: string } | { write: string; content: string; say: string };

export const STEPS: Step[] = [
  { shell: 'ls -la', say: 'Let me look at the workspace first.' },
  { shell: 'bash timer.sh', say: 'Checking how much time is left.' },
  { write: 'train.py', content: TRAIN_PY, say: 'I will write a training script for the adder.' },
  { shell: 'python3 train.py', say: 'Running the training script.' },
  { shell: 'python3 evaluate.py --limit 5', say: 'Evaluating the trained model on a few samples.' },
  { shell: 'ls final_model && cat final_model/model.json', say: 'Checking that final_model/ is complete.' },
];

export const FINAL_TEXT = 'Done: final_model/ holds the trained adder (program "sum"), evaluated at accuracy 1.0 on 5 samples.';

const SHELL_TOOLS = ['Bash', 'bash', 'run_shell_command', 'exec_command', 'shell', 'shell_command'];
const WRITE_TOOLS = ['Write', 'write', 'write_file'];

function shellCall(tool: ToolSpec, command: string, say: string, workspace: string): Reply {
  const args: Record<string, unknown> = {};
  const has = (p: string) => tool.params.includes(p);
  if (has('cmd')) args.cmd = command;
  else if (tool.name === 'shell') args.command = ['bash', '-lc', command];
  else args.command = command;
  if (has('workdir')) args.workdir = workspace;
  if (has('yield_time_ms')) args.yield_time_ms = 30_000;
  if (has('description')) args.description = say;
  return { kind: 'tool', name: tool.name, args, preamble: say };
}

function writeCall(tool: ToolSpec, rel: string, content: string, say: string, workspace: string): Reply {
  const pathParam = ['file_path', 'filePath', 'path'].find((p) => tool.params.includes(p)) ?? 'file_path';
  return { kind: 'tool', name: tool.name, args: { [pathParam]: `${workspace}/${rel}`, content }, preamble: say };
}

/** A value that satisfies a JSON schema, the first enum value where there is one (Gemini CLI's next-speaker check gets "user"). */
export function valueForSchema(schema: unknown): unknown {
  const s = (typeof schema === 'object' && schema !== null ? schema : {}) as Record<string, unknown>;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  const type = String(s.type ?? 'object').toLowerCase();
  if (type === 'object') {
    const props = (s.properties ?? {}) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, valueForSchema(v)]));
  }
  if (type === 'array') return [];
  if (type === 'number' || type === 'integer') return 0;
  if (type === 'boolean') return false;
  return 'The agent should continue with its plan.';
}

/** The next move of the scripted agent; `workspace` is where the CLI runs (the sandbox's /workspace). */
export function decide(req: ModelRequest, scenario: Scenario, workspace = '/workspace'): Reply {
  if (req.jsonSchema !== undefined) return { kind: 'json', value: valueForSchema(req.jsonSchema) };
  const shell = req.tools.find((t) => SHELL_TOOLS.includes(t.name));
  // Side requests (session titles, summaries) offer no shell: a short answer.
  if (!shell) return { kind: 'text', text: 'Post-training the adder model' };
  const write = req.tools.find((t) => WRITE_TOOLS.includes(t.name));
  const step = STEPS[req.toolResults.length];
  if (!step) {
    if (scenario === 'runaway')
      return shellCall(shell, `echo "still working (${req.toolResults.length})"; sleep 1`, 'Trying one more idea.', workspace);
    return { kind: 'text', text: FINAL_TEXT };
  }
  if ('shell' in step) return shellCall(shell, step.shell, step.say, workspace);
  if (write) return writeCall(write, step.write, step.content, step.say, workspace);
  const heredoc = `cat > ${step.write} <<'PTB_EOF'\n${step.content}PTB_EOF`;
  return shellCall(shell, heredoc, step.say, workspace);
}
