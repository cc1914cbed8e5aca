#!/usr/bin/env python3
"""Reference recipe (the `script` agent): fine-tunes the base model on generated training
pairs of gpu-arith for a few minutes on the GPU and saves final_model/. Plain PyTorch and
transformers; never touches the held-out pairs."""
import argparse, os, random, sys, time
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import arith  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--base", default=os.environ.get("PTB_BASE_MODEL", "/models/base"))
p.add_argument("--out", default="final_model")
p.add_argument("--minutes", type=float, default=3.0)
p.add_argument("--batch-size", type=int, default=512)
p.add_argument("--lr", type=float, default=1e-3)
p.add_argument("--seed", type=int, default=1)
a = p.parse_args()

device = "cuda"
torch.manual_seed(a.seed)
tok = AutoTokenizer.from_pretrained(a.base)
# fp32 master weights, bf16 compute: plain bf16 weights would round small Adam updates away.
model = AutoModelForCausalLM.from_pretrained(a.base, dtype=torch.float32).to(device)
model.train()
opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.0, betas=(0.9, 0.98))
rng = random.Random(a.seed)


def encode(x: int, y: int) -> tuple[list[int], int]:
    """<bos> A+B= digits <eos>, and where the answer starts (only the answer is learnt)."""
    prompt = [tok.bos_token_id] + tok.convert_tokens_to_ids(list(arith.prompt(x, y)))
    answer = tok.convert_tokens_to_ids(list(str(x + y))) + [tok.eos_token_id]
    return prompt + answer, len(prompt)


def batch():
    rows = [encode(x, y) for x, y in arith.training_pairs(rng, a.batch_size)]
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
