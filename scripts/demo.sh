#!/bin/sh
# A container from a busybox bundle, showing from inside what isolates it.
set -eu
cd "$(dirname "$0")/.."
nook=$PWD/build/nook
demo=$PWD/build/demo
rm -rf "$demo"
mkdir -p "$demo"
scripts/make-rootfs.sh "$demo/rootfs"
"$nook" spec --bundle "$demo"
# Non-interactive: no terminal, and a script instead of a shell.
sed -i 's/"terminal": true/"terminal": false/' "$demo/config.json"
cat > "$demo/rootfs/demo.sh" <<'SCRIPT'
echo "== inside the container: hostname $(hostname), I am pid $$"
echo "== namespaces (inside)             (host)"
for ns in cgroup ipc mnt net pid time user uts; do
        printf '   %-6s %-24s %s\n' $ns "$(readlink /proc/self/ns/$ns)" "$(cat /host-ns/$ns)"
done
echo "== mount table with propagation (mountinfo: 'shared:N' would mean events cross to the host)"
awk '{ prop = "private"; for (i = 7; $i != "-"; i++) if ($i ~ /^(shared|master|propagate_from|unbindable)/) prop = $i;
       printf "   %-28s %-10s %-4s %s\n", $5, $(i+1), substr($6, 1, 2), prop }' /proc/self/mountinfo
echo "== masked paths"
for p in /proc/asound /proc/kcore /proc/keys /sys/firmware; do
        [ -e $p ] || { echo "   $p: absent on this host"; continue; }
        if [ -d $p ]; then echo "   $p: directory with $(ls -A $p | wc -l) entries ($(stat -f -c %T $p))"
        else echo "   $p: $(stat -c '%F, %s bytes' $p) — reading gives $(head -c 16 $p | wc -c) bytes"; fi
done
echo "== capabilities: $(grep CapEff /proc/self/status)"
SCRIPT
mkdir -p "$demo/rootfs/host-ns"
for ns in cgroup ipc mnt net pid time user uts; do readlink /proc/self/ns/$ns > "$demo/rootfs/host-ns/$ns"; done
sed -i 's|"sh"|"sh", "/demo.sh"|' "$demo/config.json"
echo "$ $nook run --bundle $demo demo"
"$nook" run --bundle "$demo" "demo-$$"
