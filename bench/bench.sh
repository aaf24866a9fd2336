#!/bin/sh
# nook vs crun vs runc, side by side in one run: `run` of /bin/true in the
# default bundle of `runc spec` (terminal off), wall time with hyperfine, and
# the peak RSS of the runtime process with GNU time.
#
# Debian's crun 1.8.1 refuses this host's hybrid cgroups unless the cgroup2
# mount looks empty, so every runtime runs in one private mount namespace
# with /dev/null over cgroup.controllers: the same conditions for all three.
set -eu
cd "$(dirname "$0")/.."
runs=${RUNS:-100}
work=$(mktemp -d /tmp/nook-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
. bench/bundle.sh
bench_bundle "$work"
nook=$PWD/build/nook

cat > "$work/inner.sh" <<INNER
set -eu
if [ -e /sys/fs/cgroup/unified/cgroup.controllers ]; then
        mount --bind /dev/null /sys/fs/cgroup/unified/cgroup.controllers
fi
cd "$work"
hyperfine -N --warmup 10 --runs $runs --export-json "$work/times.json" \\
        -n nook "$nook --root $work/nook-state run b1" \\
        -n crun "crun --root $work/crun-state run b2" \\
        -n runc "runc --root $work/runc-state run b3"
for rt in nook crun runc; do
        max=0
        for i in 1 2 3 4 5 6 7 8 9 10; do
                case \$rt in nook) bin=$nook ;; *) bin=\$rt ;; esac
                kb=\$(/usr/bin/time -f %M \$bin --root $work/\$rt-state run rss\$i 2>&1 >/dev/null | tail -1)
                [ "\$kb" -gt "\$max" ] && max=\$kb
        done
        echo "\$rt \$max" >> "$work/rss.txt"
done
INNER
unshare -m sh "$work/inner.sh"
/usr/bin/python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
times = {r["command"]: r for r in json.load(open(f"{work}/times.json"))["results"]}
rss = dict(line.split() for line in open(f"{work}/rss.txt"))
print()
print(f"{'runtime':8} {'mean ms':>9} {'median ms':>10} {'peak RSS MB':>12}")
for rt in ("nook", "crun", "runc"):
    t = times[rt]
    print(f"{rt:8} {t['mean']*1000:9.2f} {t['median']*1000:10.2f} {int(rss[rt])/1024:12.2f}")
n, c = times["nook"]["median"], times["crun"]["median"]
print(f"\nnook/crun time (median): {n/c:.2f}   nook/runc: {n/times['runc']['median']:.2f}")
print(f"nook/crun peak RSS: {int(rss['nook'])/int(rss['crun']):.2f}")
PY
