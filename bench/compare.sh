#!/bin/sh
# Two builds of nook side by side, interleaved by hyperfine in one run: `run` of
# /bin/true, `exec` of /bin/true into a running container, and `create` +
# `delete` — the paths a change to the start must not slow down.
#
#   bench/compare.sh OLD_NOOK [NEW_NOOK]     (NEW_NOOK: build/nook)
#
# Same bundle and conditions as bench.sh (runc spec's default config); RUNS
# (default 200) per command and build. STATE (default: the work directory, under
# /tmp) is where both builds keep their state: a host's runtimes keep theirs in
# /run, a tmpfs wherever systemd runs, and file creation there costs a fraction
# of what it costs on a disk's filesystem (try STATE=/dev/shm).
set -eu
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 OLD_NOOK [NEW_NOOK]" >&2; exit 2; }
old=$(realpath "$1")
new=$(realpath "${2:-build/nook}")
runs=${RUNS:-200}
work=$(mktemp -d /tmp/nook-compare.XXXXXX)
state=$(mktemp -d "${STATE:-$work}/nook-compare-state.XXXXXX")
trap 'for b in old new; do "$new" --root "$state/$b" delete -f long 2>/dev/null || true; done; rm -rf "$state" "$work"' EXIT
. bench/bundle.sh
bench_bundle "$work"
mkdir -p "$work/long"
ln -s ../rootfs "$work/long/rootfs"
sed 's/"\/bin\/true"/"sleep", "1000"/' "$work/config.json" > "$work/long/config.json"
cd "$work"
for b in old new; do
        eval bin=\$$b
        "$bin" --root "$state/$b" run -d --bundle "$work/long" long < /dev/null > /dev/null 2>&1
done
hyperfine -N --warmup 10 --runs "$runs" --export-json "$work/times.json" \
        -n "run old" "$old --root $state/old run r" -n "run new" "$new --root $state/new run r" \
        -n "exec old" "$old --root $state/old exec long /bin/true" -n "exec new" "$new --root $state/new exec long /bin/true" \
        -n "create+delete old" "sh -c '$old --root $state/old create c </dev/null >/dev/null && $old --root $state/old delete c'" \
        -n "create+delete new" "sh -c '$new --root $state/new create c </dev/null >/dev/null && $new --root $state/new delete c'" \
        > /dev/null
/usr/bin/python3 - "$work/times.json" <<'PY'
import json, sys
t = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
print(f"{'':16} {'old median':>11} {'new median':>11} {'new/old':>8}")
for what in ("run", "exec", "create+delete"):
    o, n = t[f"{what} old"]["median"], t[f"{what} new"]["median"]
    print(f"{what:16} {o*1000:9.2f}ms {n*1000:9.2f}ms {n/o:8.2f}")
PY
