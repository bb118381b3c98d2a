# MoCo.NET sandbox launcher. Runs as root as PID 1 of fresh mount, PID, network, IPC and UTS namespaces
# (unshare, which also makes every mount private), builds a minimal read-only root, then runs the given command in
# it; that command drops to the sandbox uid.
# Arguments: DIR TMPFS_MB UID EXPOSED_DIR... -- COMMAND...
# DIR holds solution.py and receives the exit status in DIR/status (outside the sandbox's view); DIR/root is the
# new root's mount point. Nothing of the host is visible inside but /usr (and Debian's /bin, /lib… links into it),
# the interpreter's own folders, the dynamic-linker cache and four character devices: no /proc, /tmp, /etc, /home,
# no run store, models, datasets or sockets. Every program started here costs a few milliseconds, so each step
# uses as few as it can.
set -eu
PATH=/usr/sbin:/usr/bin:/sbin:/bin
dir=$1 size=$2 uid=$3
shift 3
root=$dir/root

mount -t tmpfs -o mode=0755,size=1m,nr_inodes=1024 moco-root "$root"

links= dirs=
for p in /usr /bin /sbin /lib /lib32 /lib64 /libx32; do
  if [ -L "$p" ]; then
    links="$links $p"
  elif [ -d "$p" ]; then
    dirs="$dirs $p"
  fi
done
while [ "$1" != "--" ]; do
  dirs="$dirs $1"
  shift
done
shift

# Debian's merged /usr: /bin, /lib… are symlinks, copied as such.
if [ -n "$links" ]; then
  cp -P $links "$root/"
fi
mkdir -p "$root/dev" "$root/etc" "$root/sandbox"
for d in $dirs; do
  mkdir -p "$root$d"
done
touch "$root/dev/null" "$root/dev/zero" "$root/dev/random" "$root/dev/urandom" "$root/etc/ld.so.cache"
for d in $dirs; do
  mount --bind -o ro,nosuid,nodev "$d" "$root$d"
done
if [ -f /etc/ld.so.cache ]; then
  mount --bind -o ro /etc/ld.so.cache "$root/etc/ld.so.cache"
fi
for d in null zero random urandom; do
  mount --bind "/dev/$d" "$root/dev/$d"
done

# The program's only writable place: a fresh tmpfs, 0700, owned by the sandbox uid, bounded in size and files.
mount -t tmpfs -o "mode=0700,uid=$uid,gid=$uid,size=${size}m,nr_inodes=4096,nosuid,nodev" moco-work "$root/sandbox"
install -m 0600 -o "$uid" -g "$uid" "$dir/solution.py" "$root/sandbox/solution.py"
mount -o remount,ro "$root"

umask 077
set +e
"$@"
status=$?
echo "$status" > "$dir/status"
exit "$status"
