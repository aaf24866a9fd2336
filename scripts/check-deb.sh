#!/bin/bash
# make deb-check: installs the .deb that `make deb` built, checks it as a user
# would meet it, and purges it: `nook --version`, its man pages, bash completion,
# and `podman --runtime nook run` by name with podman's own configuration plus
# the package's drop-in (storage and run root in a directory of this script's
# own; the flags are those this kind of host needs: no systemd, no
# CAP_SYS_RESOURCE, no network plugins). Needs root; refuses to run where a nook
# package is installed already, so as never to purge one it did not install.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
deb=$(ls "$repo"/build/deb/nook_*_"$(dpkg --print-architecture)".deb)
if dpkg-query -W -f='${Status}' nook 2>/dev/null | grep -q "installed"; then
        echo "check-deb: a nook package is installed already; not touching it" >&2
        exit 1
fi
work=$(mktemp -d /tmp/nook-deb-check.XXXXXX)
cgroup_parent=/$(basename "$work")
image=localhost/nook-deb-check
podman() {
        command podman --root "$work/storage" --runroot "$work/run" --tmpdir "$work/tmp" --storage-driver vfs \
                --cgroup-manager cgroupfs --events-backend none "$@"
}
cleanup() {
        podman rm --all --force >/dev/null 2>&1 || true
        podman system reset --force >/dev/null 2>&1 || true
        # The cgroups podman made under our parent (conmon's too), deepest first.
        for top in /sys/fs/cgroup/*/ /sys/fs/cgroup/unified/; do
                if [ -d "$top$cgroup_parent" ]; then
                        find "$top$cgroup_parent" -depth -type d -exec rmdir {} + 2>/dev/null || true
                fi
        done
        dpkg --purge nook >/dev/null
        rm -rf "$work"
}
trap cleanup EXIT

echo "== dpkg -i $deb"
dpkg -i "$deb" >/dev/null
echo "== nook --version"
/usr/bin/nook --version
echo "== man pages"
for page in nook nook-run nook-exec; do
        man -w "$page" | grep -q "^/usr/share/man/man8/$page.8.gz$"
        MANWIDTH=80 man "$page" 2>&1 >/dev/null | { ! grep .; }
done
echo "== bash completion"
bash -c '. /usr/share/bash-completion/completions/nook; COMP_WORDS=(nook ex); COMP_CWORD=1; _nook
        [ "${COMPREPLY[*]}" = exec ]'
echo "== podman --runtime nook run"
test "$(podman --runtime nook info --format '{{.Host.OCIRuntime.Path}}')" = /usr/bin/nook
mkdir -p "$work/rootfs/bin"
cp /bin/busybox "$work/rootfs/bin/"
ln -s busybox "$work/rootfs/bin/sh"
ln -s busybox "$work/rootfs/bin/echo"
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
podman import "$work/rootfs.tar" "$image" >/dev/null
# podman raises nofile and nproc by default, which root without CAP_SYS_RESOURCE may not: ours
# (podman lowers its own nproc to 32768, and the container can have no more).
nproc() { [ "$1" = unlimited ] || [ "$1" -gt 32768 ] && echo 32768 || echo "$1"; }
out=$(podman --runtime nook run --rm --cgroup-parent "$cgroup_parent" --network none --ulimit "nofile=$(ulimit -Sn):$(ulimit -Hn)" \
        --ulimit "nproc=$(nproc "$(ulimit -Su)"):$(nproc "$(ulimit -Hu)")" "$image" echo hello from the package)
test "$out" = "hello from the package"
echo "$out"
echo "== purge"
cleanup
trap - EXIT
! dpkg-query -W nook >/dev/null 2>&1 || ! dpkg-query -W -f='${Status}' nook | grep -q installed
test ! -e /usr/bin/nook && test ! -e /etc/containers/containers.conf.d/nook.conf
echo "check-deb: ok"
