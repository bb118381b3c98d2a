#!/usr/bin/env bash
# How each text_* method's wall time, items/s and generated tokens per item scale with batch_size (requests in flight
# per model) and the number of models, on its examples/zoo config over zoo_world's first LIMIT test items. Each setting
# is one run with its own run store (MOCO_HOME) and temp folder (trained models), so the content-addressed call cache
# answers nothing from another setting and wall time measures the work; the same seed everywhere, so every setting
# draws the same samples. Ratios are against the method's first setting (batch 1, 2 models; SPARTA 3) measured in the
# same invocation; the single-model baselines are skipped (--no-baselines). Usage:
#   bench/text-scaling/run.sh [LIMIT] [METHOD...]
#   LIMIT    test items per run (default 12)
#   METHOD   text_* methods (default: all twelve)
# MOCO_BENCH_SETTINGS overrides the settings (space-separated bBATCH-mMODELS, first = baseline) of every method;
# MOCO_BENCH_TRAIN_SETTINGS those of text_multiagent_finetuning and text_agglm (default: fewer, they train per run),
# MOCO_BENCH_SPARTA_SETTINGS text_sparta's. Results accumulate in MOCO_BENCH_OUT (default artifacts/bench/text-scaling):
# a method run again replaces only its own rows.
set -euo pipefail
cd "$(dirname "$0")/../.."
limit="${1:-12}"
shift || true
methods=("$@")
[ ${#methods[@]} -gt 0 ] || methods=(text_majority_vote text_multiagent_refine text_multiagent_feedback text_knowledge_card text_llm_blender
    text_heterogeneous_swarms text_structure text_bbmas text_slm_mux text_multiagent_finetuning text_sparta text_agglm)
settings="${MOCO_BENCH_SETTINGS:-b1-m2 b8-m2 b32-m2 b1-m3 b1-m5 b32-m5}"
train_settings="${MOCO_BENCH_TRAIN_SETTINGS:-b1-m2 b32-m2 b32-m5}"
out="${MOCO_BENCH_OUT:-artifacts/bench/text-scaling}"
mkdir -p "$out"
touch "$out/order.txt"
cli=(dotnet cli/MoCo.Cli/bin/Release/net10.0/moco.dll)
[ -f cli/MoCo.Cli/bin/Release/net10.0/moco.dll ] || cli=(./moco)
# Model sets by size: the two region specialists, then the base, then the small base and the arithmetic specialist.
zoo=(zoo/north zoo/south zoo/base zoo/small zoo/math)
for method in "${methods[@]}"; do
    case "$method" in
        # SPARTA's judges are the models outside each pair: it takes 3 models at least, so its baseline has 3.
        text_sparta) these="${MOCO_BENCH_SPARTA_SETTINGS:-b1-m3 b32-m3 b32-m5}" ;;
        text_multiagent_finetuning|text_agglm) these="$train_settings" ;;
        *) these="$settings" ;;
    esac
    # A method run again replaces its earlier rows; the other methods' stay.
    rm -rf "${out:?}/$method"
    grep -v "^$method " "$out/order.txt" > "$out/order.txt.new" || true
    mv "$out/order.txt.new" "$out/order.txt"
    for setting in $these; do
        batch="${setting#b}"; batch="${batch%%-*}"
        count="${setting##*-m}"
        dir="$out/$method/$setting"
        mkdir -p "$dir"
        models="$(printf '%s\n' "${zoo[@]:0:$count}" | jq -R . | jq -s -c .)"
        # data_dirs is relative to the config file: point it at the repository's suite from the run folder.
        jq --argjson models "$models" --argjson batch "$batch" --arg data "$PWD/data" \
            '.model_names = $models | .hyperparameters.batch_size = $batch | .evaluation.data_dirs = [$data]' \
            "examples/zoo/$method.json" > "$dir/config.json"
        mkdir -p "$dir/tmp"
        started=$(date +%s.%N)
        # TMPDIR too: the embedded inference service keeps trained models under the temp folder.
        if ! MOCO_HOME="$dir/home" TMPDIR="$dir/tmp" "${cli[@]}" run "$dir/config.json" -l "$dir/logs" --limit "$limit" --seed 7 --no-baselines \
            > "$dir/out.txt" 2>&1; then
            echo "$method $setting: failed (see $dir/out.txt)" >&2
        fi
        echo "$(date +%s.%N) - $started" | bc > "$dir/process_s"
        echo "$method $setting" >> "$out/order.txt"
        echo "$method $setting: $(cat "$dir/process_s") s" >&2
    done
done
python3 bench/text-scaling/table.py "$out"
