#!/usr/bin/env python3
"""Turns the acceptance run's files into figures and verdicts: <out>/summary.json and
<out>/summary.md. Exit status 0 only when every check passed."""
import csv, json, os, statistics, sys
from datetime import datetime, timezone

out = sys.argv[1]
read = lambda name, default="": open(os.path.join(out, name)).read().strip() if os.path.exists(os.path.join(out, name)) else default


def result(name):
    path = os.path.join(out, name, "result.json")
    return json.load(open(path)) if os.path.exists(path) else None


def trace_lines(name):
    path = os.path.join(out, name, "logs", "agent-trace.jsonl")
    if not os.path.exists(path):
        return []
    return [json.loads(l).get("text", "") for l in open(path) if l.strip()]


def ts(iso):
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


samples = []
for row in csv.reader(open(os.path.join(out, "gpu-util.csv"))) if os.path.exists(os.path.join(out, "gpu-util.csv")) else []:
    try:
        t = datetime.strptime(row[0].strip(), "%Y/%m/%d %H:%M:%S.%f").replace(tzinfo=timezone.utc).timestamp()
        samples.append((t, float(row[1]), float(row[2])))
    except (ValueError, IndexError):
        pass


def phase(start, end):
    xs = [s for s in samples if start <= s[0] <= end]
    if not xs:
        return None
    return {"seconds": round(end - start, 1), "samples": len(xs), "util_mean": round(statistics.mean(s[1] for s in xs), 1),
            "util_max": max(s[1] for s in xs), "memory_max_mib": max(s[2] for s in xs)}


cells, checks = {}, []
for name in ["baseline", "recipe", "cutoff", "matmul"]:
    r = result(name)
    cells[name] = None if r is None else {
        "status": r["status"], "score": (r.get("score") or {}).get("value"), "stderr": (r.get("score") or {}).get("stderr"),
        "end_reason": (r.get("execution") or {}).get("endReason"), "time_used_s": r.get("timeUsedSeconds"),
        "overhead_s": (r.get("execution") or {}).get("overheadSeconds"), "gpu_hours": r.get("gpuHours"),
        "findings": [f"{f['severity']}: {f['check']}: {f['summary']}" for f in r.get("integrity", [])],
        "exit": read(f"{name}.exit"), "gpu_processes_after": read(f"{name}.gpu-after.txt"),
    }
    if r and r.get("provenance", {}).get("kind") == "verified":
        start, end = ts(r["provenance"]["startedAt"]), ts(r["provenance"]["finishedAt"])
        setup = ((r.get("execution") or {}).get("overheadSeconds") or {}).get("setup", 0)
        used = r.get("timeUsedSeconds") if isinstance(r.get("timeUsedSeconds"), (int, float)) else 0
        cells[name]["gpu_agent_phase"] = phase(start + setup, start + setup + used)
        cells[name]["gpu_evaluation_phase"] = phase(start + setup + used, end)


def check(label, ok, detail=""):
    checks.append({"check": label, "ok": bool(ok), "detail": detail})


b, rc, cut = cells["baseline"], cells["recipe"], cells["cutoff"]
check("baseline cell scored", b and b["status"] == "scored", json.dumps(b and b["score"]))
check("recipe cell scored", rc and rc["status"] == "scored", json.dumps(rc and rc["score"]))
check("recipe beats the baseline by 0.3 or more", b and rc and (rc["score"] or 0) - (b["score"] or 0) >= 0.3,
      f"{rc and rc['score']} vs {b and b['score']}")
check("the 2-minute cell was cut off by the time limit", cut and cut["end_reason"] == "time-limit", cut and cut["end_reason"])
check("nothing left on the GPU after any cell", all(c and c["gpu_processes_after"] == "" for c in cells.values()),
      "; ".join(f"{k}: {v and v['gpu_processes_after']}" for k, v in cells.items()))

sandbox = next((json.loads(l.split(" ", 1)[1]) for l in trace_lines("recipe") if l.startswith("SANDBOX-CHECK ")), None)
gpu_name = read("gpu.txt").split(",")[0]
check("GPU visible inside the sandbox (nvidia-smi and torch)", sandbox and gpu_name in sandbox["nvidia_smi"] and gpu_name in sandbox["torch_cuda"],
      json.dumps(sandbox))
check("no network inside the sandbox", sandbox and sandbox["network"].startswith("unreachable"), sandbox and sandbox["network"])
check("only the workspace (and its /tmp) writable", sandbox and set(sandbox["writable"]) <= {sandbox["cwd"], "/tmp"},
      sandbox and ", ".join(sandbox["writable"]))
def inspect_log(name):
    path = os.path.join(out, name, "logs", "inspect-seed-1.json")
    return json.load(open(path)) if os.path.exists(path) else {}


logs = {name: inspect_log(name) for name in ["baseline", "recipe"]}
check("scored through Inspect (task gpu_arith, transformers provider)",
      all((l.get("eval") or {}).get("task", "").endswith("gpu_arith") and (l.get("eval") or {}).get("model", "").startswith("hf/")
          for l in logs.values()),
      json.dumps({k: [(l.get("eval") or {}).get("task"), (l.get("eval") or {}).get("model")] for k, l in logs.items()}))
check("job-started hook passed on an idle GPU", read("hook-started.txt").endswith("hook exit 0"), read("hook-started.txt"))
check("job-completed hook passed", read("hook-completed.txt").endswith("hook exit 0"), read("hook-completed.txt"))
check("job-completed hook emptied the runner work folder", read("hook-work-after.txt", "(never listed)") == "", read("hook-work-after.txt", "(never listed)"))

outside = [json.loads(read(f))["tflops"] for f in ["matmul-outside.json", "matmul-outside-2.json"] if read(f).startswith("{")]
inside = next((json.loads(l)["tflops"] for l in trace_lines("matmul") if l.startswith("{") and "tflops" in l), None)
matmul = {"outside_tflops": [round(x, 1) for x in outside], "inside_tflops": inside and round(inside, 1),
          "inside_over_outside": inside and outside and round(inside / statistics.mean(outside), 4)}
check("the sandbox costs under 5% of bf16 matmul speed", matmul["inside_over_outside"] and matmul["inside_over_outside"] > 0.95,
      json.dumps(matmul))
overheads = [c["overhead_s"] for c in cells.values() if c and c.get("overhead_s")]
check("harness overhead under 5 s per cell each way", overheads and all(o["setup"] < 5 and o["teardown"] < 5 for o in overheads),
      json.dumps(overheads))

summary = {"date": read("date.txt"), "gpu": read("gpu.txt"), "cells": cells, "matmul": matmul, "sandbox_check": sandbox,
           "checks": checks, "passed": all(c["ok"] for c in checks)}
json.dump(summary, open(os.path.join(out, "summary.json"), "w"), indent=2)

md = [f"# Runner acceptance: {summary['gpu']} ({summary['date']})", "", "| cell | status | score | end | time used (s) | setup / teardown overhead (s) | GPU util agent (mean/max %) | GPU util eval (mean/max %) |", "|---|---|---|---|---|---|---|---|"]
for k, c in cells.items():
    if not c:
        md.append(f"| {k} | no result | | | | | | |")
        continue
    o = c.get("overhead_s") or {}
    ga, ge = c.get("gpu_agent_phase") or {}, c.get("gpu_evaluation_phase") or {}
    md.append(f"| {k} | {c['status']} | {c['score']} | {c['end_reason']} | {c['time_used_s']} | {o.get('setup')} / {o.get('teardown')} | {ga.get('util_mean')} / {ga.get('util_max')} | {ge.get('util_mean')} / {ge.get('util_max')} |")
md += ["", f"bf16 matmul: outside {matmul['outside_tflops']} TFLOP/s, inside {matmul['inside_tflops']} TFLOP/s, ratio {matmul['inside_over_outside']}", ""]
md += [f"- {'PASS' if c['ok'] else 'FAIL'}: {c['check']}" + (f" ({c['detail']})" if not c["ok"] else "") for c in checks]
open(os.path.join(out, "summary.md"), "w").write("\n".join(md) + "\n")
print("\n".join(md))
sys.exit(0 if summary["passed"] else 1)
