#!/usr/bin/env bash
# Every method config of examples/zoo on the bundled zoo and suite, one run each, then one table: method score
# against each model alone (the run's own baselines, measured in the same run), generated tokens per test item,
# and test items per second of wall time. Usage: bench/zoo-methods/run.sh [LIMIT] [CONFIG...]
#   LIMIT    test items per run (default 50; 0 = the whole split)
#   CONFIG   configs to run (default: examples/zoo/*.json)
set -euo pipefail
cd "$(dirname "$0")/../.."
limit="${1:-50}"
shift || true
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(examples/zoo/*.json)
out="${MOCO_BENCH_OUT:-artifacts/bench/zoo-methods}"
rm -rf "$out"
mkdir -p "$out"
cli=(dotnet cli/MoCo.Cli/bin/Release/net10.0/moco.dll)
[ -f cli/MoCo.Cli/bin/Release/net10.0/moco.dll ] || cli=(./moco)
for config in "${configs[@]}"; do
    name="$(basename "$config" .json)"
    args=(run "$config" -l "$out/$name")
    [ "$limit" = 0 ] || args+=(--limit "$limit")
    # A run store of its own per config: the content-addressed call cache would otherwise answer one config's
    # baselines from another's run, and items/s would measure the cache.
    if ! MOCO_HOME="$out/$name.home" "${cli[@]}" "${args[@]}" > "$out/$name.out" 2>&1; then
        echo "$name: failed (see $out/$name.out)" >&2
    fi
done
python3 bench/zoo-methods/table.py "$out"
