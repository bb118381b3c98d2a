#!/usr/bin/env bash
# Builds the PostgreSQL image the run-store tests start through Testcontainers (issue 10), with no image registry:
# debootstraps a Debian 12 rootfs with postgresql from this machine's apt mirror and `docker import`s it as
# moco/postgres:<PostgreSQL major>. Skips the build when that tag exists. Installs docker.io and debootstrap when
# missing and starts dockerd when no engine answers. Prints the tag on its last line.
set -euo pipefail
version=15                      # bookworm's PostgreSQL
tag="moco/postgres:$version"
here="$(cd "$(dirname "$0")" && pwd)"

. "$here/docker-engine.sh"

if docker image inspect "$tag" >/dev/null 2>&1; then echo "$tag"; exit 0; fi

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
