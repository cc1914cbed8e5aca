#!/usr/bin/env python3
"""bf16 matrix-product throughput, to compare the GPU inside and outside the sandbox.
Prints one JSON line: {"tflops": ..., "device": ...}."""
import json, sys, time
import torch

n = int(sys.argv[1]) if len(sys.argv) > 1 else 8192
iters = int(sys.argv[2]) if len(sys.argv) > 2 else 50
torch.manual_seed(0)
a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
for _ in range(5):
    a @ b
torch.cuda.synchronize()
start = torch.cuda.Event(enable_timing=True)
end = torch.cuda.Event(enable_timing=True)
start.record()
for _ in range(iters):
    a @ b
end.record()
torch.cuda.synchronize()
seconds = start.elapsed_time(end) / 1000
print(json.dumps({"tflops": 2 * n**3 * iters / seconds / 1e12, "seconds": seconds, "device": torch.cuda.get_device_name()}))
