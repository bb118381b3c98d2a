"""The table of bench/zoo-methods/run.sh from the runs' run.json files (one folder per run).

Folders named CONFIG@TASK (run.sh --tasks) make the mixed-suite table: one row per method, one column per task and
their mean; each cell is the method's test score and, in brackets, its difference to the best model of that run alone
(the run's own baselines). The first row is the best single model per task: each pool model's baseline averaged over
every run of the grid that measured it on that task, the best of them. Other folders make the one-task table.
"""
import glob
import json
import os
import re
import sys

TASK_ORDER = ["zoo_arithmetic", "zoo_world", "zoo_coding", "zoo_refusal"]


def load(folder):
    """The run.json of a run folder, or None when the run wrote none."""
    paths = sorted(glob.glob(os.path.join(folder, "moco", "*", "run.json")))
    return json.load(open(paths[-1])) if paths else None


def failure(root, name, run):
    """Why the run of folder `name` has no score, in a few words."""
    rc_path = os.path.join(root, name + ".rc")
    rc = open(rc_path).read().strip() if os.path.exists(rc_path) else ""
    if rc in ("124", "137"):
        return "timed out"
    if run is not None and run.get("error"):
        error = run["error"]
        return (error.get("message") if isinstance(error, dict) else str(error)).splitlines()[0][:160]
    out_path = os.path.join(root, name + ".out")
    lines = [line.strip() for line in open(out_path, errors="replace")] if os.path.exists(out_path) else []
    rejected = [re.sub(r"^\S+\.json:\d+:\d+: ", "", line) for line in lines if re.search(r"\[CFG\d+\]", line)]
    ran = [re.sub(r"^run \S+ failed: ", "", line) for line in lines if re.match(r"run \S+ failed: ", line)]
    errors = [line for line in lines if re.search(r"error|exception|failed", line, re.IGNORECASE)]
    if rejected:
        # "task_type: <method> votes on ... [CFG008]" -> "config rejected [CFG008]: votes on ..."
        code = re.search(r"\[(CFG\d+)\]", rejected[0]).group(1)
        message = re.sub(r"^\w+: (\w+ )?", "", re.sub(r"\s*\[CFG\d+\]", "", rejected[0]))
        text = f"config rejected [{code}]: {message}"
    else:
        text = (ran or errors or [line for line in lines if line] or ["no output"])[-1]
    return re.sub(r"\s+", " ", text).replace("|", "/")[:160]


def scored(run):
    return run is not None and run.get("status") == "succeeded" and (run.get("score") or {}).get("n_test", 0) > 0


def one_task_table(root):
    print("| method | test score | best single model | Δ | generated tokens / item | items/s | n |")
    print("|---|---|---|---|---|---|---|")
    for folder in sorted(p for p in glob.glob(os.path.join(root, "*")) if os.path.isdir(p) and not p.endswith(".home")):
        name = os.path.basename(folder)
        run = load(folder)
        if not scored(run):
            print(f"| {name} | failed: {failure(root, name, run)} | | | | | |")
            continue
        n = run["score"]["n_test"]
        completion = sum(p.get("completion_tokens", 0) for p in run["phases"])
        best = max((b["test"] for b in run.get("baselines", [])), default=None)
        score = run["score"]["test"]
        delta = "" if best is None else f"{score - best:+.3f}"
        best_text = "" if best is None else f"{best:.3f}"
        print(f"| {run['method']} | {score:.3f} | {best_text} | {delta} | {completion / n:.1f} | "
              f"{n / max(run['wall_s'], 1e-9):.2f} | {n} |")


def mixed_table(root, folders):
    limit_path = os.path.join(root, "limit")
    limit = open(limit_path).read().strip() if os.path.exists(limit_path) else "?"
    cells = {}
    baselines = {}
    walls = {}
    for folder in folders:
        name = os.path.basename(folder)
        method, task = name.split("@", 1)
        run = load(folder)
        if not scored(run):
            cells[method, task] = "failed: " + failure(root, name, run)
            continue
        score = run["score"]["test"]
        best = max((b["test"] for b in run.get("baselines", [])), default=None)
        cells[method, task] = score if best is None else (score, score - best)
        walls[method] = walls.get(method, 0) + run["wall_s"]
        for b in run.get("baselines", []):
            baselines.setdefault(task, {}).setdefault(b["Model"] if "Model" in b else b["model"], []).append(b["test"])
    tasks = [t for t in TASK_ORDER if any(k[1] == t for k in cells)] + sorted({k[1] for k in cells} - set(TASK_ORDER))
    methods = sorted({k[0] for k in cells}, key=lambda m: (m not in ("single_model", "text_majority_vote"), m))

    def value(cell):
        return cell[0] if isinstance(cell, tuple) else cell

    print(f"Mixed suite: each method once per task, {'the whole test split' if limit == '0' else f'the first {limit} test items'}"
          " per run. Cell: test score (difference to the best model of the same run alone). The first row's"
          " mean picks the best model of each task, which no single model does.")
    print()
    print("| method | " + " | ".join(tasks) + " | mean | wall s |")
    print("|---|" + "---|" * (len(tasks) + 2))
    best_row = []
    for task in tasks:
        means = {m: sum(v) / len(v) for m, v in baselines.get(task, {}).items()}
        if means:
            model = max(means, key=means.get)
            best_row.append((means[model], model))
        else:
            best_row.append(None)
    best_mean = (f"{sum(b[0] for b in best_row) / len(best_row):.3f}" if all(best_row) else "")
    print("| best single model per task (runs' baselines) | "
          + " | ".join(f"{b[0]:.3f} {b[1]}" if b else "" for b in best_row) + f" | {best_mean} | |")
    for method in methods:
        row = [cells.get((method, task), "not run") for task in tasks]
        texts = []
        for cell in row:
            if isinstance(cell, tuple):
                texts.append(f"{cell[0]:.3f} ({cell[1]:+.3f})")
            elif isinstance(cell, float):
                texts.append(f"{cell:.3f}")
            else:
                texts.append(cell)
        numbers = [value(c) for c in row if not isinstance(c, str)]
        mean = f"{sum(numbers) / len(numbers):.3f}" if len(numbers) == len(row) else ""
        print(f"| {method} | " + " | ".join(texts) + f" | {mean} | {walls.get(method, 0):.0f} |")


def main():
    root = sys.argv[1]
    folders = sorted(p for p in glob.glob(os.path.join(root, "*@*")) if os.path.isdir(p) and not p.endswith(".home"))
    if folders:
        mixed_table(root, folders)
    else:
        one_task_table(root)


main()
