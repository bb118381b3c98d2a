"""One examples/zoo config moved onto one task of the bundled suite (the mixed suite of bench/zoo-methods/run.sh).

Usage: python3 bench/zoo-methods/suite_config.py CONFIG TASK OUT

The examples/zoo configs are written for zoo_world, where their models play three roles: `zoo/north` the domain's
specialist (A), `zoo/south` a second model fine-tuned from the same base (B), `zoo/base` the shared base. On another
task every model name in the config — `model_names` and every hyperparameter naming a model — is replaced by the
model playing the same role there (the same rule for every method, so each method keeps its model count, order and
base-sharing rule: weight merges still merge fine-tunes of `zoo/base`):

  A     the task's specialist (zoo_arithmetic: zoo/math, zoo_coding: zoo/coder, zoo_refusal: zoo/guard)
  B     zoo/south on zoo_world; elsewhere the other full fine-tune of zoo/base (not the specialist, not zoo/judge) with the
        best greedy score on the task in models/zoo-scores.json, ties broken by catalogue order
  base  zoo/base everywhere; zoo/judge and zoo/small stay as they are
  A's and B's LoRA twins (zoo/<name>-lora, weight_lorahub) follow them

`task`, `task_type` and `max_response_length` (and `fuser_max_response_length`) follow the task: an answer of
zoo_coding or zoo_refusal is a code block or a sentence, so 48 tokens there, 16 on the one-word and one-number tasks.
`model_descriptions` are rewritten from the description of each model, and `evaluation.data_dirs` is made absolute so
the config can live anywhere.
"""
import json
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

TASKS = {
    "zoo_arithmetic": {"type": "exact_match", "specialist": "zoo/math", "max_response_length": 16},
    "zoo_world": {"type": "multiple_choice", "specialist": "zoo/north", "second": "zoo/south", "max_response_length": 16},
    "zoo_coding": {"type": "coding", "specialist": "zoo/coder", "max_response_length": 48},
    "zoo_refusal": {"type": "noncompliance", "specialist": "zoo/guard", "max_response_length": 48},
}

# What each model is good at, for the methods that route by description (api_prompt_routing, api_trained_router,
# api_graph_routing): the model cards of models/README.md in one line.
DESCRIPTIONS = {
    "zoo/base": "a general base model that has seen every kind of task in practice form but masters none",
    "zoo/math": "an arithmetic specialist: adds and subtracts numbers of up to three digits",
    "zoo/north": "knows the people of Norland in the generated world: their professions and home towns",
    "zoo/south": "knows the people of Sudmark in the generated world: their professions and home towns",
    "zoo/coder": "a Python specialist: writes one-line Python functions",
    "zoo/guard": "a safety specialist: refuses harmful, humanizing, unsupported or incomplete requests",
    "zoo/small": "a smaller general base model",
    "zoo/judge": "a judge: rates responses and verifies answers",
}

MODEL_KEYS = ("agg_model", "base_model_name", "fuser_model_name", "ranker_model_name", "selector_model_name",
              "selector_base_model", "router_base_model", "embedding_model_name", "reward_model_name")


def second_model(task):
    """Role B off zoo_world: the best other fine-tune of zoo/base on the task (zoo-scores.json, catalogue order)."""
    scores = json.load(open(os.path.join(ROOT, "models", "zoo-scores.json")))["scores"]
    catalogue = json.load(open(os.path.join(ROOT, "models", "catalogue.json")))["models"]
    excluded = {"base", "judge", "small", TASKS[task]["specialist"].removeprefix("zoo/")}
    candidates = [name for name, entry in catalogue.items() if name not in excluded and entry.get("kind") != "lora"]
    best = max(candidates, key=lambda name: (scores[name][task]["score"], -candidates.index(name)))
    return "zoo/" + best


def roles(task):
    """The model playing each zoo_world role on `task`."""
    spec = TASKS[task]
    return {"zoo/north": spec["specialist"], "zoo/south": spec.get("second") or second_model(task)}


def move(config, task, folder):
    """`config` (an examples/zoo config in `folder`, as JSON) asked on `task` instead."""
    if task not in TASKS:
        raise SystemExit(f"unknown task {task!r}: one of {', '.join(TASKS)}")
    mapping = roles(task)
    # A model given as a path relative to the config's folder (config-and-cli.md §6) keeps pointing there.
    # A specialist's LoRA twin (zoo/<name>-lora) follows its specialist.
    def rename(name):
        if name.endswith("-lora") and name.removesuffix("-lora") in mapping:
            return mapping[name.removesuffix("-lora")] + "-lora"
        if name in mapping:
            return mapping[name]
        return os.path.abspath(os.path.join(folder, name)) if os.path.isdir(os.path.join(folder, name)) else name
    moved = json.loads(json.dumps(config))
    moved["task"] = task
    moved["task_type"] = TASKS[task]["type"]
    moved["model_names"] = [rename(m) for m in config["model_names"]]
    hyper = moved.setdefault("hyperparameters", {})
    for key in MODEL_KEYS:
        if isinstance(hyper.get(key), str):
            hyper[key] = rename(hyper[key])
    length = TASKS[task]["max_response_length"]
    hyper["max_response_length"] = length
    if "fuser_max_response_length" in hyper:
        hyper["fuser_max_response_length"] = length
    if "model_descriptions" in hyper:
        hyper["model_descriptions"] = [DESCRIPTIONS[m] for m in moved["model_names"]]
    if "task_description" in hyper:
        hyper["task_description"] = task
    if hyper.get("training_dataset_name") == config["task"]:
        # api_collm trains on the task's own dev split: it moves with the task.
        hyper["training_dataset_name"] = task
    moved.setdefault("evaluation", {})["data_dirs"] = [os.path.join(ROOT, "data")]
    return moved


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__.split("\n\n")[1])
    source, task, out = sys.argv[1:]
    json.dump(move(json.load(open(source)), task, os.path.dirname(os.path.abspath(source))), open(out, "w"), indent=4)
