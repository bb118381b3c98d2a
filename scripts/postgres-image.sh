#!/usr/bin/env bash
# Builds the PostgreSQL image the run-store tests start through Testcontainers (issue 10), with no image registry:
# debootstraps a Debian 12 rootfs with postgresql from this machine's apt mirror and `docker import`s it as
# moco/postgres:<PostgreSQL major>. Skips the build when that tag exists. Installs docker.io and debootstrap when
# missing and starts dockerd when no engine answers. Prints the tag on its last line.
set -euo pipefail
version=15                      # bookworm's PostgreSQL
tag="moco/postgres:$version"
here="$(cd "$(dirname "$0")" && pwd)"

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "missing ${need[*]}: install them with: sudo apt-get install ${need[*]}" >&2; exit 1; }
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || { echo "no Docker engine answers: start dockerd (sudo dockerd &)" >&2; exit 1; }
  log=/var/log/moco-dockerd.log
  setsid nohup dockerd >"$log" 2>&1 </dev/null &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start:" >&2; tail -20 "$log" >&2; exit 1; }
fi

if docker image inspect "$tag" >/dev/null 2>&1; then echo "$tag"; exit 0; fi

# The mirror apt already uses here: the first deb URI of the sources (deb822 or one-line format).
mirror=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list /etc/apt/sources.list 2>/dev/null \
  | grep -v security | sed -E 's/^URIs: *//; s/^deb (\[[^]]*\] )?//' | awk '{print $1}' | grep -m1 debian || true)
mirror=${mirror:-http://deb.debian.org/debian}

rootfs=$(mktemp -d /tmp/moco-postgres-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
debootstrap --variant=minbase --include=postgresql-$version bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
  || { echo "debootstrap failed:" >&2; tail -20 "$rootfs.log" >&2; exit 1; }
rm -f "$rootfs.log"
# What a server never reads: downloaded packages, apt lists, documentation and translations.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* \
  "$rootfs"/usr/share/locale/*
install -m 0755 "$here/postgres-entrypoint.sh" "$rootfs/usr/local/bin/docker-entrypoint.sh"

tar -C "$rootfs" -c . | docker import \
  -c 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
  -c 'CMD ["postgres"]' \
  -c "ENV PATH=/usr/lib/postgresql/$version/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin PGDATA=/var/lib/postgresql/data LANG=C.UTF-8" \
  -c 'EXPOSE 5432' \
  - "$tag" >/dev/null
echo "$tag"
