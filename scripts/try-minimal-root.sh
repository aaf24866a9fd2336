#!/bin/sh
# Runs the README's two commands (or COMMAND) in a minimal Debian 12 root, from a
# fresh clone of this checkout's HEAD at /root/project (mode 0700), as a newcomer
# would on a small machine:
#
#   scripts/try-minimal-root.sh                  # make demo && make check
#   scripts/try-minimal-root.sh 'make check'     # or any command, run in /root/project
#
# The root is made once with debootstrap (only build-essential, git and python3;
# scripts/setup.sh installs the rest inside it, as it would on a new machine) under
# build/minroot, or $NOOK_MINROOT. It is entered by pivot_root in mount and pid
# namespaces of its own, not by chroot: the kernel refuses user namespaces to a
# chrooted process, which would fail the rootless tests for a reason no machine
# has, and pid 1 (the host that `nook inspect` compares with) must see the same
# mounts as the tests, as on a booted machine. /sys (with the cgroup mounts) and
# /dev are the host's, /proc is the new pid namespace's; /run is an empty tmpfs;
# /tmp is a tmpfs mounted nosuid,nodev as Debian 13 does ($NOOK_MINROOT_TMP=disk
# keeps the root's own directory). NOOK_MINROOT_DIRTY=1 adds uncommitted changes.
# Needs root, debootstrap and Debian's archive. Leaves nothing mounted.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
root=${NOOK_MINROOT:-$repo/build/minroot}
mirror=${NOOK_MIRROR:-http://deb.debian.org/debian}
command=${1:-make demo && make check}

if [ "$(id -u)" -ne 0 ]; then
        echo "try-minimal-root: needs root" >&2
        exit 1
fi
if [ ! -x "$root/usr/bin/python3" ]; then
        command -v debootstrap >/dev/null || { echo "try-minimal-root: needs debootstrap" >&2; exit 1; }
        rm -rf "$root.new"
        debootstrap --variant=minbase --include=build-essential,git,python3 bookworm "$root.new" "$mirror"
        # As in any chroot: package scripts do not start services (they would outlive it).
        printf '#!/bin/sh\nexit 101\n' > "$root.new/usr/sbin/policy-rc.d"
        chmod 755 "$root.new/usr/sbin/policy-rc.d"
        rm -f "$root.new/etc/hostname"
        mv "$root.new" "$root"
fi

# A fresh clone at /root/project, as a newcomer makes it; root's home is 0700.
rm -rf "$root/root/project"
git clone -q --no-hardlinks "$repo" "$root/root/project"
git -C "$root/root/project" checkout -q --detach "$(git -C "$repo" rev-parse HEAD)"
if [ "${NOOK_MINROOT_DIRTY:-0}" = 1 ]; then
        git -C "$repo" diff --binary HEAD | git -C "$root/root/project" apply --index
fi
chmod 700 "$root/root" "$root/root/project"
cp /etc/resolv.conf "$root/etc/resolv.conf"

# pivot_root into the root in a private mount namespace; the old root is dropped.
exec unshare --mount --propagation private --pid --fork sh -eu -c '
        root=$1 tmp=$2 command=$3
        mount --bind "$root" "$root"
        mount -t proc proc "$root/proc"
        mount --rbind /sys "$root/sys"
        mount --rbind /dev "$root/dev"
        mount -t tmpfs -o mode=0755,nosuid,nodev run "$root/run"
        [ "$tmp" = disk ] || mount -t tmpfs -o mode=1777,nosuid,nodev tmp "$root/tmp"
        cd "$root"
        mkdir -p mnt
        pivot_root . mnt
        exec /usr/sbin/chroot . /usr/bin/env -i HOME=/root TERM=dumb \
                PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
                /bin/sh -c "umount -l /mnt && cd /root/project && $command"
' sh "$root" "${NOOK_MINROOT_TMP:-tmpfs}" "$command"
