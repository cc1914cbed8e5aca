#!/usr/bin/env python3
"""Reference recipe of the GPU smoke benchmark, run as the `script` agent inside the sandbox.

First it records what the sandbox looks like from inside (GPU visible, network not, only the
workspace writable) as one JSON line in the trace; then it fine-tunes the base model on
generated gpu-arith training pairs for a few minutes on the GPU (plain PyTorch and
transformers) and saves final_model/. It never touches the held-out pairs.
"""
import argparse, json, os, random, socket, subprocess, time
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

p = argparse.ArgumentParser()
p.add_argument("--base", default=os.environ.get("PTB_BASE_MODEL", "/models/base"))
p.add_argument("--out", default="final_model")
p.add_argument("--minutes", type=float, default=float(os.environ.get("PTB_RECIPE_MINUTES", "2")))
p.add_argument("--batch-size", type=int, default=512)
p.add_argument("--lr", type=float, default=1e-3)
p.add_argument("--seed", type=int, default=1)
a = p.parse_args()


def held_out(x: int, y: int) -> bool:
    # The task's rule (task/README.md): these pairs are the test split.
    return (31 * x + y) % 10 == 0


def sandbox_check() -> dict:
    def run(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=20).stdout.strip().splitlines()[0]
        except Exception as e:  # noqa: BLE001 - the check reports, it does not fail
            return f"unavailable: {type(e).__name__}"

    try:
        socket.create_connection(("1.1.1.1", 443), timeout=3).close()
        network = "reachable"
    except OSError as e:
        network = f"unreachable: {type(e).__name__}"
    writable = []
    for d in ["/", "/usr", "/opt", "/models", "/models/base", "/tmp", os.getcwd()]:
        probe = os.path.join(d, ".ptb-write-probe")
        try:
            open(probe, "w").close()
            os.remove(probe)
            writable.append(d)
        except OSError:
            pass
    return {
        "nvidia_smi": run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"]),
        "torch_cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else "no CUDA device",
        "network": network,
        "writable": writable,
        "cwd": os.getcwd(),
    }


print("SANDBOX-CHECK " + json.dumps(sandbox_check()), flush=True)

device = "cuda"
torch.manual_seed(a.seed)
rng = random.Random(a.seed)
tok = AutoTokenizer.from_pretrained(a.base)
# fp32 master weights, bf16 compute: plain bf16 weights would round small Adam updates away.
model = AutoModelForCausalLM.from_pretrained(a.base, dtype=torch.float32).to(device)
model.train()
opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.0, betas=(0.9, 0.98))


def encode(x: int, y: int):
    """<bos> A+B= digits <eos>, and where the answer starts (only the answer is learnt)."""
    prompt = [tok.bos_token_id] + tok.convert_tokens_to_ids(list(f"{x}+{y}="))
    answer = tok.convert_tokens_to_ids(list(str(x + y))) + [tok.eos_token_id]
    return prompt + answer, len(prompt)


def batch():
    rows = []
    while len(rows) < a.batch_size:
        x, y = rng.randint(100, 999), rng.randint(100, 999)
        if not held_out(x, y):
            rows.append(encode(x, y))
    width = max(len(r) for r, _ in rows)
    ids = torch.full((len(rows), width), tok.pad_token_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    labels = torch.full((len(rows), width), -100, dtype=torch.long)
    for i, (r, start) in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r)
        mask[i, : len(r)] = 1
        labels[i, start : len(r)] = torch.tensor(r[start:])
    return ids.to(device), mask.to(device), labels.to(device)


deadline = time.time() + a.minutes * 60
warmup, step, last = 200, 0, time.time()
while time.time() < deadline:
    for g in opt.param_groups:
        g["lr"] = a.lr * min(1.0, (step + 1) / warmup)
    ids, mask, labels = batch()
    with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    opt.zero_grad(set_to_none=True)
    step += 1
    if time.time() - last > 20:
        print(f"step {step} loss {loss.item():.4f}", flush=True)
        last = time.time()

os.makedirs(a.out, exist_ok=True)
model.eval()
model.save_pretrained(a.out)
tok.save_pretrained(a.out)
print(f"trained {step} steps in {a.minutes} min; saved {a.out}", flush=True)
