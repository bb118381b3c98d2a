#!/usr/bin/env bash
# One-shot check of libmoco's CUDA backend on the GPU machine (CUDA 13 nvcc, CMake, ninja, PyTorch
# and transformers; no .NET, no internet). Run from the repository root of the copied tree:
#
#   bash services/inference-native/native/tools/cuda/device_check.sh     (carry: [".cuda-deps"])
#
# after tools/cuda/pack_deps.sh has filled .cuda-deps here (the image has no nlohmann/json or
# GoogleTest). It configures a CUDA build for the lent GPUs only (MOCO_CUDA_ARCHS, default 90: H100 and
# H200), half of nvcc's work for the default 80;90 (which a CPU machine's nvcc 11.8 compile-checks), builds libmoco, the test programs
# and the benchmarks with -j16 (the CUDA tests first), runs the CUDA tests, the golden HF fixtures
# on cuda:0, the benchmark, the transformers baselines (generate; a training step) and the public-API
# suite of the CUDA build, and writes at most 8 files under $OUT:
#   summary.txt      one line per step with its exit status and seconds (read this first)
#   env.txt          nvidia-smi, nvcc, cmake versions
#   build.log        configure + build output (the last 400 lines)
#   cuda_tests.log   moco_cuda_tests (kernels vs CPU, cuda:0 vs cpu, errors)
#   golden.log       moco_tests *Golden* with MOCO_GOLDEN_DEVICE=cuda:0
#   bench.md         moco_cuda_bench and the transformers baselines (generate, training steps)
#   api_tests.log    all of moco_tests (the public API, devices and contexts with a real GPU)
# Steps share one budget (MOCO_DEVICE_BUDGET_S, default 540 s, inside run's 600 s limit): a step
# gets at most what is left and is skipped below 20 s, in the order above.
set -uo pipefail
native=$(cd "$(dirname "$0")/../.." && pwd)
repo=$(cd "$native/../../.." && pwd)
out=${OUT:-/tmp/moco-cuda-out}
build=${MOCO_CUDA_BUILD_DIR:-/tmp/moco-cuda-build}
mkdir -p "$out"
summary="$out/summary.txt"
: >"$summary"

budget=${MOCO_DEVICE_BUDGET_S:-540}

step() {  # step NAME LOG TIMEOUT_S COMMAND...: runs, appends to LOG, records status and time
    local name=$1 log=$2 limit=$3
    shift 3
    local left=$((budget - SECONDS))
    if [ "$left" -lt 20 ]; then
        echo "$name skipped: ${left}s of the budget left" | tee -a "$summary"
        return 124
    fi
    [ "$limit" -gt "$left" ] && limit=$left
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
if [ ! -f "$build/CMakeCache.txt" ] && command -v ninja >/dev/null; then
    generator=(-G Ninja)
fi
if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
    export PATH="/usr/local/cuda/bin:$PATH"
fi

# MOCO_WERROR=OFF: this image's compilers are newer than CI's, and a warning they add must not
# cost the one GPU run (CI's build keeps -Werror). The CUDA tests are built and run first, then
# the rest, so that a slow build of moco_tests cannot leave the GPU untested.
blog="$out/build.full.log"
bin="$build/bin"
step configure "$blog" 120 cmake -S "$native" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DMOCO_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="${MOCO_CUDA_ARCHS:-90}" -DMOCO_WERROR=OFF \
    -DCMAKE_POLICY_VERSION_MINIMUM=3.5 "${deps[@]}"
configured=$?
if [ "$configured" -eq 0 ]; then
    step build_cuda_tests "$blog" 300 cmake --build "$build" -j16 --target moco_cuda_tests
fi
if [ -x "$bin/moco_cuda_tests" ]; then
    step cuda_tests "$out/cuda_tests.log" 240 "$bin/moco_cuda_tests" --gtest_color=no
fi
if [ "$configured" -eq 0 ]; then
    step build "$blog" 240 cmake --build "$build" -j16 --target moco moco_tests moco_cuda_bench
fi
tail -n 400 "$blog" >"$out/build.log"
rm -f "$blog"

if [ -x "$bin/moco_tests" ]; then
    step golden_cuda "$out/golden.log" 120 env MOCO_GOLDEN_DEVICE=cuda:0 "$bin/moco_tests" \
        --gtest_filter='*Golden*' --gtest_color=no
fi
if [ -x "$bin/moco_cuda_bench" ]; then
    step cuda_bench "$out/bench.md" 240 "$bin/moco_cuda_bench" cuda:0
fi
step hf_baseline "$out/bench.md" 120 python3 "$native/tools/cuda/hf_generate_bench.py"
step torch_train_baseline "$out/bench.md" 90 python3 "$native/tools/cuda/torch_train_bench.py"
if [ -x "$bin/moco_tests" ]; then
    step api_tests "$out/api_tests.log" 180 "$bin/moco_tests" --gtest_color=no --gtest_brief=1
fi
echo "done; results in $out" | tee -a "$summary"
