# Helpers of the LSM scenarios (scenarios/lsm.sh and selinux.sh source it): the runtime driven
# directly, bundles of the busybox image, and what a failed start must leave (nothing).

rt() {
        "$RUNTIME_PATH" "$@"
}

# bundle NAME PY...: $STATE/NAME, the busybox rootfs with runc spec's config, changed by the
# python statements (on the dict c).
bundle() {
        dir=$STATE/$1
        shift
        rm -rf "$dir"
        mkdir -p "$dir/rootfs"
        tar -xf /payload/images/busybox.tar -C "$dir/rootfs"
        (cd "$dir" && runc spec)
        python3 - "$dir/config.json" "$@" <<'PY'
import json, sys
path = sys.argv[1]
c = json.load(open(path))
c["process"]["terminal"] = False
for statement in sys.argv[2:]:
    exec(statement)
json.dump(c, open(path, "w"), indent=1)
PY
}

# init_pid ID: the pid of the container's init, from the runtime's state.
init_pid() {
        rt state "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])'
}

# processes ID: how many processes the container has.
processes() {
        rt ps --format json "$1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}

# gone ID: the runtime has no such container, and no unit or cgroup of that name is left.
gone() {
        [ "$(status rt state "$1")" != 0 ] || fail "$RUNTIME still has container $1"
        nothing_left "*$1*"
}

# refused_run BUNDLE ID EXPECTED: run fails; nook's error is EXPECTED, one line; nothing is left.
refused_run() {
        st=$(cd "$STATE/$1" && status rt run "$2")
        out=$(cat "$STATE/status.out")
        [ "$st" != 0 ] || fail "$2 ran"
        echo "$RUNTIME said: $out"
        if [ "$RUNTIME" = nook ]; then
                has "$out" "$3" "the error"
                eq "$(echo "$out" | wc -l)" 1 "lines of the error"
        fi
        gone "$2"
}

# remove_all PATTERN: removes what an earlier failed check left, then checks nothing is.
remove_all() {
        for id in $(rt list -q 2>/dev/null); do
                echo "removing $id"
                rt delete -f "$id" || true
        done
        nothing_left "$1"
}
