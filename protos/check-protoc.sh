#!/usr/bin/env bash
# Proves that the v1 contracts build with the system protoc (Debian bookworm: protobuf-compiler
# 3.21), as third-party clients and the Python tooling build them (contracts.md §0): compiles every
# protos/moco/v1/*.proto to Python and C++ with warnings fatal; then, where the tools are present,
# compiles the generated C++ against the system protobuf headers and imports the generated Python
# modules. Prints one line and exits non-zero on failure.
#
# google/protobuf/*.proto come with the system protobuf installation; Debian's protoc lacks
# google/rpc/status.proto, so a verbatim copy (Apache-2.0, from googleapis) is vendored in
# protos/third_party/ for this script only. MoCo.Contracts takes it from Google.Api.CommonProtos.
#
# Needs: protoc (apt-get install protobuf-compiler). Optional: g++ with libprotobuf-dev headers,
# python3 with the protobuf module (python3-protobuf).
set -euo pipefail

protos_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fail() { echo "check-protoc: FAILED: $*"; exit 1; }

command -v protoc >/dev/null 2>&1 || fail "protoc not found; install it with: apt-get install -y protobuf-compiler"

wkt_include=""
for dir in /usr/include /usr/local/include; do
  if [[ -f "$dir/google/protobuf/any.proto" ]]; then wkt_include="$dir"; break; fi
done
[[ -n "$wkt_include" ]] || fail "google/protobuf/*.proto not found in /usr/include or /usr/local/include (install libprotobuf-dev)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/python" "$work/cpp"

shopt -s nullglob
sources=("$protos_dir"/moco/v1/*.proto)
[[ ${#sources[@]} -gt 0 ]] || fail "no .proto files in $protos_dir/moco/v1"
relative=()
for file in "${sources[@]}"; do relative+=("moco/v1/$(basename "$file")"); done

log="$work/protoc.log"
if ! (cd "$protos_dir" && protoc --fatal_warnings -I . -I third_party -I "$wkt_include" \
      --python_out="$work/python" --cpp_out="$work/cpp" "${relative[@]}" google/rpc/status.proto) >"$log" 2>&1; then
  fail "protoc $(protoc --version | cut -d' ' -f2): $(tr '\n' ' ' <"$log")"
fi
checks="protoc $(protoc --version | cut -d' ' -f2) python+cpp"

if command -v g++ >/dev/null 2>&1 && [[ -f "$wkt_include/google/protobuf/message.h" ]]; then
  for unit in "$work"/cpp/moco/v1/*.pb.cc; do
    if ! g++ -std=c++17 -fsyntax-only -I "$work/cpp" -I "$wkt_include" "$unit" >"$log" 2>&1; then
      fail "generated C++ $(basename "$unit") does not compile: $(head -c 2000 "$log" | tr '\n' ' ')"
    fi
  done
  checks+=", g++ syntax"
fi

if command -v python3 >/dev/null 2>&1 && python3 -c 'import google.protobuf' >/dev/null 2>&1; then
  touch "$work/python/moco/__init__.py" "$work/python/moco/v1/__init__.py"
  modules=()
  for file in "${relative[@]}"; do modules+=("moco.v1.$(basename "$file" .proto)_pb2"); done
  if ! PYTHONPATH="$work/python" python3 -c 'import importlib, sys; [importlib.import_module(m) for m in sys.argv[1:]]' \
        "${modules[@]}" >"$log" 2>&1; then
    fail "generated Python does not import: $(tail -n 5 "$log" | tr '\n' ' ')"
  fi
  checks+=", python import"
fi

echo "check-protoc: OK: ${#sources[@]} files ($checks)"
