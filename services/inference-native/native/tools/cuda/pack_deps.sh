#!/usr/bin/env bash
# Run HERE (the development machine), before a device call: copies the build dependencies the GPU
# machine's image lacks (nlohmann/json, GoogleTest, Google Benchmark: headers, static libraries,
# CMake packages) into <repo>/.cuda-deps (ignored by .gitignore) for the call to carry. device_check.sh
# uses them when they are there. Needs: apt-get install nlohmann-json3-dev libgtest-dev
# libgmock-dev libbenchmark-dev (the CPU build's own dependencies).
set -euo pipefail
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
dest="$repo/.cuda-deps/usr"
arch=$(gcc -print-multiarch)
rm -rf "$repo/.cuda-deps"
mkdir -p "$dest/include" "$dest/lib/$arch/cmake" "$dest/share/cmake"
# Relocatable CMake packages: each finds its prefix from its own path, so the same layout works.
cp -r /usr/include/nlohmann "$dest/include/"
cp -r /usr/share/cmake/nlohmann_json "$dest/share/cmake/"
cp -r /usr/include/gtest /usr/include/gmock "$dest/include/"
cp /usr/lib/"$arch"/libgtest*.a /usr/lib/"$arch"/libgmock*.a "$dest/lib/$arch/"
cp -r /usr/lib/"$arch"/cmake/GTest "$dest/lib/$arch/cmake/"
if [ -d /usr/include/benchmark ]; then
    cp -r /usr/include/benchmark "$dest/include/"
    cp -P /usr/lib/"$arch"/libbenchmark* "$dest/lib/$arch/"
    cp -r /usr/lib/"$arch"/cmake/benchmark "$dest/lib/$arch/cmake/"
fi
du -sh "$repo/.cuda-deps"
echo "carry: [\".cuda-deps\"]"
