"""The table of bench/text-scaling/run.sh: per method and setting (batch_size, models), the run's wall time, test items
per second, generated tokens and model calls per test item (every phase: dev work and training included) and score, with ratios against the method's first setting (batch 1, 2
models) measured in the same invocation. A second folder (an independent repeat of the same invocation) adds its wall
time and items/s ratio per setting, to show the run-to-run spread."""
import glob
import json
import os
import sys

root = sys.argv[1]
repeat = sys.argv[2] if len(sys.argv) > 2 else None


def measure(folder):
    runs = glob.glob(os.path.join(folder, "logs", "moco", "*", "run.json"))
    if not runs:
        return None
    run = json.load(open(runs[0]))
    n = run["score"]["n_test"] if run.get("score") else 0
    if run.get("status") != "succeeded" or n == 0:
        return None
    # The run's own totals (the reference log's `moco` object): every call of the run, also those a method makes under
    # a site of no declared phase, which run.json's per-phase tokens leave out.
    # A limited run has no reference_log entry; its run folder still holds the summary.
    logs = [json.load(open(f)) for f in glob.glob(os.path.join(os.path.dirname(runs[0]), "*.json"))
            if os.path.basename(f) not in ("run.json", "config.json", "config.resolved.json")]
    summary = next(log["moco"] for log in logs if isinstance(log, dict) and "moco" in log)
    return {"n": n, "score": run["score"]["test"], "wall": run["wall_s"], "rate": n / max(run["wall_s"], 1e-9),
            "tokens": summary["completion_tokens"] / n, "calls": sum(summary["model_calls"].values()) / n}


def ratio(value, base):
    return f"{value / base:.2f}×" if base else ""


extra = " repeat: wall s | repeat: × items/s |" if repeat else ""
print("| method | batch_size | models | n | score | wall s | × wall | items/s | × items/s | gen. tokens / item | × tokens | calls / item |" + extra)
print("|---|---|---|---|---|---|---|---|---|---|---|---|" + ("---|---|" if repeat else ""))
# Methods and settings in the order run.sh ran them; a method's first setting is its baseline.
order = [line.split() for line in open(os.path.join(root, "order.txt")) if line.strip()]
bases = {}
repeat_bases = {}
for method, setting in order:
    batch, models = setting[1:].split("-m")
    row = measure(os.path.join(root, method, setting))
    base = bases.setdefault(method, row or {})
    if row is None:
        print(f"| {method} | {batch} | {models} | | failed | | | | | | | |" + (" | |" if repeat else ""))
        continue
    again = ""
    if repeat:
        other = measure(os.path.join(repeat, method, setting))
        other_base = repeat_bases.setdefault(method, other or {})
        again = f" {other['wall']:.1f} | {ratio(other['rate'], other_base.get('rate'))} |" if other else " failed | |"
    print(f"| {method} | {batch} | {models} | {row['n']} | {row['score']:.3f} | {row['wall']:.1f} | {ratio(row['wall'], base.get('wall'))} "
          f"| {row['rate']:.3f} | {ratio(row['rate'], base.get('rate'))} | {row['tokens']:.1f} | {ratio(row['tokens'], base.get('tokens'))} "
          f"| {row['calls']:.1f} |" + again)
