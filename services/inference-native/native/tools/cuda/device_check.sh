#!/usr/bin/env bash
# One-shot check of libmoco's CUDA backend on the GPU machine (CUDA 13 nvcc, CMake, ninja, PyTorch
# and transformers; no .NET, no internet). Run from the repository root of the copied tree:
#
#   bash services/inference-native/native/tools/cuda/device_check.sh     (carry: [".cuda-deps"])
#
# after tools/cuda/pack_deps.sh has filled .cuda-deps here (the image has no nlohmann/json or
# GoogleTest). It configures a CUDA build (architectures 80;90), builds everything with -j16, runs
# the CUDA tests, the golden HF fixtures on cuda:0, the whole ctest suite, the decode benchmark and
# the transformers baseline, and writes at most 8 files under $OUT:
#   summary.txt      one line per step with its exit status and seconds (read this first)
#   env.txt          nvidia-smi, nvcc, cmake versions
#   build.log        configure + build output (the last 400 lines)
#   cuda_tests.log   moco_cuda_tests (kernels vs CPU, cuda:0 vs cpu, errors)
#   golden.log       moco_tests *Golden* with MOCO_GOLDEN_DEVICE=cuda:0
#   ctest.log        every registered test of the CUDA build (CPU ones included)
#   bench.md         moco_cuda_bench and the transformers generate baseline
set -uo pipefail
native=$(cd "$(dirname "$0")/../.." && pwd)
repo=$(cd "$native/../../.." && pwd)
out=${OUT:-/tmp/moco-cuda-out}
build=${MOCO_CUDA_BUILD_DIR:-/tmp/moco-cuda-build}
mkdir -p "$out"
summary="$out/summary.txt"
: >"$summary"

step() {  # step NAME LOG TIMEOUT_S COMMAND...: runs, appends to LOG, records status and time
    local name=$1 log=$2 limit=$3
    shift 3
    local t0=$SECONDS
    echo "=== $name: $*" >>"$log"
    timeout "$limit" "$@" >>"$log" 2>&1
    local rc=$?
    echo "$name rc=$rc ${limit}s-limit took=$((SECONDS - t0))s" | tee -a "$summary"
    return $rc
}

{
    nvidia-smi
    nvcc --version
    cmake --version
    gcc --version | head -1
} >"$out/env.txt" 2>&1

deps=()
if [ -d "$repo/.cuda-deps/usr" ]; then
    d="$repo/.cuda-deps/usr"
    arch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
    deps=(-Dnlohmann_json_DIR="$d/share/cmake/nlohmann_json" -DGTest_DIR="$d/lib/$arch/cmake/GTest")
    [ -d "$d/lib/$arch/cmake/benchmark" ] && deps+=(-Dbenchmark_DIR="$d/lib/$arch/cmake/benchmark")
    export LD_LIBRARY_PATH="$d/lib/$arch${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

blog="$out/build.full.log"
step configure "$blog" 120 cmake -S "$native" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DMOCO_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="80;90" "${deps[@]}" &&
    step build "$blog" 420 cmake --build "$build" -j16
tail -n 400 "$blog" >"$out/build.log"
rm -f "$blog"

bin="$build/bin"
if [ -x "$bin/moco_cuda_tests" ]; then
    step cuda_tests "$out/cuda_tests.log" 240 "$bin/moco_cuda_tests" --gtest_color=no
fi
if [ -x "$bin/moco_tests" ]; then
    step golden_cuda "$out/golden.log" 120 env MOCO_GOLDEN_DEVICE=cuda:0 "$bin/moco_tests" \
        --gtest_filter='*Golden*' --gtest_color=no
fi
if [ -x "$bin/moco_cuda_bench" ]; then
    step cuda_bench "$out/bench.md" 240 "$bin/moco_cuda_bench" cuda:0
fi
step hf_baseline "$out/bench.md" 180 python3 "$native/tools/cuda/hf_generate_bench.py"
if [ -d "$build" ]; then
    step ctest "$out/ctest.log" 240 ctest --test-dir "$build" -j16 --output-on-failure --timeout 120
fi
echo "done; results in $out" | tee -a "$summary"
