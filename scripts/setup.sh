#!/bin/sh
# Installs what nook builds and tests with, from Debian's archive; quick when all is present.
set -eu
packages="build-essential libjson-c-dev libseccomp-dev libcmocka-dev busybox-static python3-pytest
          uidmap crun runc hyperfine time iproute2 procps qemu-system-x86
          podman conmon catatonit containerd scdoc man-db
          libsystemd-dev dbus-daemon python3-dbus python3-gi
          mmdebstrap e2fsprogs python3-grpc-tools
          criu libprotobuf-c-dev protobuf-c-compiler"
# make fuzz: libFuzzer comes with clang.
[ "${NOOK_FUZZ:-0}" = 1 ] && packages="$packages clang libclang-rt-14-dev"
# make deb: the Debian package's build tools.
[ "${NOOK_DEB:-0}" = 1 ] && packages="$packages debhelper lintian"
missing=""
for p in $packages; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
        echo "setup: missing packages:$missing (run as root to install them)" >&2
        exit 1
fi
echo "setup: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends $missing >/dev/null || {
        apt-get update >/dev/null && apt-get install -y --no-install-recommends $missing >/dev/null
}
