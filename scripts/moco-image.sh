#!/usr/bin/env bash
# Builds the image the Helm chart runs (deploy/helm/moco: `moco serve <service>`), with no image registry: a
# debootstrapped Debian 12 rootfs, the moco CLI published with the libmoco of the native build folder
# (MOCO_NATIVE_BUILD_DIR, default artifacts/native/Release: a CUDA build there makes a GPU image), and the .NET runtime
# of this machine's SDK, `docker import`ed as moco:<the chart's appVersion>. Skips the build when that tag was built
# from the same commit (label moco.build), unless --force. Installs docker.io and debootstrap when missing and starts dockerd when no engine answers. Needs the
# native build (scripts/test or cmake) first. Prints the tag on its last line.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
version=$(sed -nE 's/^appVersion: *"?([^"]*)"?.*/\1/p' "$root/deploy/helm/moco/Chart.yaml")
tag="moco:$version"
native=${MOCO_NATIVE_BUILD_DIR:-$root/artifacts/native/Release}
[ -f "$native/bin/libmoco.so" ] || { echo "no libmoco in $native/bin: build it first (scripts/test, or cmake as the native README says)" >&2; exit 1; }

. "$here/docker-engine.sh"

# The commit it is built from; a tree with uncommitted changes always builds anew.
stamp=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
git -C "$root" diff --quiet HEAD 2>/dev/null || stamp="$stamp-dirty-$(date +%s)"
built=$(docker image inspect -f '{{ index .Config.Labels "moco.build" }}' "$tag" 2>/dev/null || true)
if [ "${1:-}" != --force ] && [ "$built" = "$stamp" ]; then echo "$tag"; exit 0; fi

rootfs=$(mktemp -d /tmp/moco-image-rootfs.XXXXXX)
trap 'rm -rf "$rootfs" "$rootfs.log"' EXIT
# libicu for .NET globalisation, OpenBLAS for libmoco's CPU GEMMs (used when found), Python 3 with its standard library
# for the evaluator's code sandbox (coding tasks run their tests in it; evaluation.md §4).
debootstrap --variant=minbase --include=libicu72,libopenblas0-pthread,ca-certificates,python3 bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
  || { echo "debootstrap failed:" >&2; tail -20 "$rootfs.log" >&2; exit 1; }
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* \
  "$rootfs"/usr/share/locale/*

dotnet publish "$root/cli/MoCo.Cli" -c Release -o "$rootfs/opt/moco" -nologo -v:q \
  -p:MocoSkipNativeBuild=true -p:MocoNativeBuildDir="$native" >"$rootfs.log" 2>&1 \
  || { echo "dotnet publish failed:" >&2; grep -E "error" "$rootfs.log" | sort -u | head -20 >&2; exit 1; }
[ -f "$rootfs/opt/moco/libmoco.so" ] || { echo "the published CLI lacks libmoco.so" >&2; exit 1; }
# What a source checkout bundles beside the CLI (its install folder): the zoo models, the zoo task, the examples.
cp -a "$root/models" "$root/data" "$root/examples" "$rootfs/opt/moco/"

# The runtimes the CLI runs on (framework-dependent publish): the host and the shared frameworks, not the SDK.
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
mkdir -p "$rootfs/usr/share/dotnet/shared" "$rootfs/var/lib/moco" "$rootfs/models" "$rootfs/data"
cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$rootfs/usr/share/dotnet/"
cp -a "$dotnet_root/shared/Microsoft.NETCore.App" "$dotnet_root/shared/Microsoft.AspNetCore.App" "$rootfs/usr/share/dotnet/shared/"

tar -C "$rootfs" -c . | docker import \
  -c 'ENTRYPOINT ["/usr/share/dotnet/dotnet", "/opt/moco/moco.dll"]' \
  -c 'CMD ["serve", "all"]' \
  -c 'ENV DOTNET_ROOT=/usr/share/dotnet MOCO_HOME=/var/lib/moco MOCO_MODELS_DIR=/models MOCO_DATA_DIR=/data DOTNET_CLI_TELEMETRY_OPTOUT=1 LANG=C.UTF-8' \
  -c 'WORKDIR /opt/moco' \
  -c "LABEL moco.build=$stamp" \
  -c 'EXPOSE 50050 50051 50052 50053 50054 9050 9051 9052 9053 9054' \
  - "$tag" >/dev/null
echo "$tag"
