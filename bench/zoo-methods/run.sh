#!/usr/bin/env bash
# Every method config of examples/zoo on the bundled zoo and suite, one run each, then one table: method score
# against each model alone (the run's own baselines, measured in the same run), generated tokens per test item,
# and test items per second of wall time.
# Usage: bench/zoo-methods/run.sh [--tasks all|TASK[,TASK...]] [LIMIT] [CONFIG...]
#   --tasks  the mixed suite: every config once per task, moved there by suite_config.py (its docstring says which
#            models play which role on each task); the table then has one column per task and a mean
#   LIMIT    test items per run (default 50; 0 = the whole split)
#   CONFIG   configs to run (default: examples/zoo/*.json)
# MOCO_BENCH_TIMEOUT (seconds, default none) stops a run that takes longer; the table reports it as failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
tasks=()
if [ "${1:-}" = --tasks ]; then
    [ "${2:-all}" = all ] && tasks=(zoo_arithmetic zoo_world zoo_coding zoo_refusal) || IFS=, read -r -a tasks <<< "$2"
    shift 2
fi
limit="${1:-50}"
shift || true
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(examples/zoo/*.json)
out="${MOCO_BENCH_OUT:-artifacts/bench/zoo-methods}"
rm -rf "$out"
mkdir -p "$out"
cli=(dotnet cli/MoCo.Cli/bin/Release/net10.0/moco.dll)
[ -f cli/MoCo.Cli/bin/Release/net10.0/moco.dll ] || cli=(./moco)
[ -z "${MOCO_BENCH_TIMEOUT:-}" ] || cli=(timeout "$MOCO_BENCH_TIMEOUT" "${cli[@]}")
echo "$limit" > "$out/limit"

# One run of CONFIG in folder NAME, with a run store of its own: the content-addressed call cache would otherwise
# answer one config's baselines from another's run, and items/s would measure the cache.
run_one() {
    local config="$1" name="$2"
    local args=(run "$config" -l "$out/$name")
    [ "$limit" = 0 ] || args+=(--limit "$limit")
    local rc=0
    MOCO_HOME="$out/$name.home" "${cli[@]}" "${args[@]}" > "$out/$name.out" 2>&1 || rc=$?
    echo "$rc" > "$out/$name.rc"
    [ "$rc" = 0 ] || echo "$name: failed (see $out/$name.out)" >&2
    rm -rf "$out/$name.home"
}

for config in "${configs[@]}"; do
    name="$(basename "$config" .json)"
    if [ ${#tasks[@]} -eq 0 ]; then
        run_one "$config" "$name"
        continue
    fi
    for task in "${tasks[@]}"; do
        python3 bench/zoo-methods/suite_config.py "$config" "$task" "$out/$name@$task.json"
        run_one "$out/$name@$task.json" "$name@$task"
    done
done
python3 bench/zoo-methods/table.py "$out"
