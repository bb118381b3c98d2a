# Sourced by the image scripts: makes sure docker.io and debootstrap are installed and a Docker engine answers
# (starting dockerd when none does), and sets $mirror to the Debian mirror apt already uses here, since no image
# registry is reachable and images are built from debootstrapped rootfs.
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

# The first deb URI of the sources (deb822 or one-line format).
mirror=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list /etc/apt/sources.list 2>/dev/null \
  | grep -v security | sed -E 's/^URIs: *//; s/^deb (\[[^]]*\] )?//' | awk '{print $1}' | grep -m1 debian || true)
mirror=${mirror:-http://deb.debian.org/debian}
