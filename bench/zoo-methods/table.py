"""The table of bench/zoo-methods/run.sh from the runs' run.json files (one folder per config)."""
import glob
import json
import os
import sys

root = sys.argv[1]
rows = []
for path in sorted(glob.glob(os.path.join(root, "*", "moco", "*", "run.json"))):
    run = json.load(open(path))
    n = run["score"]["n_test"] if run.get("score") else 0
    if run.get("status") != "succeeded" or n == 0:
        rows.append((run["method"], None, None, None, None, None))
        continue
    completion = sum(p.get("completion_tokens", 0) for p in run["phases"])
    best = max((b["test"] for b in run.get("baselines", [])), default=None)
    rows.append((run["method"], run["score"]["test"], best, completion / n, n / max(run["wall_s"], 1e-9), n))

print("| method | test score | best single model | Δ | generated tokens / item | items/s | n |")
print("|---|---|---|---|---|---|---|")
for method, score, best, tokens, rate, n in rows:
    if score is None:
        print(f"| {method} | failed | | | | | |")
        continue
    delta = "" if best is None else f"{score - best:+.3f}"
    best_text = "" if best is None else f"{best:.3f}"
    print(f"| {method} | {score:.3f} | {best_text} | {delta} | {tokens:.1f} | {rate:.2f} | {n} |")
