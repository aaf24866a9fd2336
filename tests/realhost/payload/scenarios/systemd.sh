# The runtime itself with --systemd-cgroup, no engine in between ($RUNTIME_PATH, runc as the
# reference): the scope systemd reports (active, delegated, in its slice, with the limits and an
# annotation's property); later commands without the flag find it; delete leaves no unit and no
# cgroup; bad input (a malformed cgroupsPath, a bus that does not answer, a property systemd
# refuses, a unit that exists already) fails with one line and leaves nothing.

rt() {
        "$RUNTIME_PATH" --root "$STATE/root" "$@"
}

# bundle DIR UNIT_NAME ARGS_JSON [EXTRA_PYTHON]: busybox, runc spec's config, the unit
# system.slice:rh:<UNIT_NAME> (unit rh-<UNIT_NAME>.scope), 64 MiB and 50 pids.
bundle() {
        dir=$1
        mkdir -p "$dir/rootfs"
        [ -e "$dir/rootfs/bin/busybox" ] || tar -xf /payload/images/busybox.tar -C "$dir/rootfs"
        (cd "$dir" && rm -f config.json && runc spec)
        python3 - "$dir/config.json" "$2" "$3" "${4:-}" <<'PY'
import json, sys
path, name, args, extra = sys.argv[1:5]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = json.loads(args)
c["linux"]["cgroupsPath"] = f"system.slice:rh:{name}"
c["linux"]["resources"] = {"memory": {"limit": 64 << 20}, "pids": {"limit": 50}}
c["annotations"] = {"org.systemd.property.TimeoutStopUSec": "uint64 5000000"}
exec(extra)
json.dump(c, open(path, "w"))
PY
}

unit_gone_and_cgroup_gone() {
        until_true gone_unit "rh-$1.scope"
        [ -z "$(find /sys/fs/cgroup -type d -name "rh-$1.scope")" ] || fail "the cgroup of rh-$1.scope is left"
}

# refused WHAT CMD...: CMD fails with one line of error; nothing of c-bad is left.
refused() {
        what=$1
        shift
        set +e
        out=$("$@" 2>&1 < /dev/null)
        code=$?
        set -e
        [ $code -ne 0 ] || fail "$what: accepted"
        echo "$what: $out"
        case "$RUNTIME" in nook) [ "$(echo "$out" | wc -l)" -eq 1 ] || fail "$what: more than one line: $out" ;; esac
        [ -z "$(rt list -q 2>/dev/null | grep c-bad)" ] || fail "$what: a container is left"
        [ ! -e "$STATE/root/c-bad" ] || fail "$what: a state dir is left"
        unit_gone_and_cgroup_gone bad
}

check_scope_is_active_delegated_in_its_slice_with_the_limits() {
        bundle "$STATE/b1" c1 '["sleep","1000"]'
        rt --systemd-cgroup run -d --bundle "$STATE/b1" c1 < /dev/null > /dev/null 2>&1 || fail "run -d: $(rt --systemd-cgroup run -d --bundle "$STATE/b1" c1b 2>&1 < /dev/null)"
        unit_is rh-c1.scope ActiveState active
        unit_is rh-c1.scope Delegate yes
        unit_is rh-c1.scope Slice system.slice
        unit_is rh-c1.scope MemoryMax $((64 * MB))
        unit_is rh-c1.scope TasksMax 50
        # The annotation's property reached the unit.
        unit_is rh-c1.scope TimeoutStopUSec 5s
        pid=$(rt state c1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
        save pid "$pid"
        case "$(cgroup_of "$pid")" in
        /system.slice/rh-c1.scope | /system.slice/rh-c1.scope/*) ;;
        *) fail "the init is in $(cgroup_of "$pid"), not in rh-c1.scope" ;;
        esac
        limits_in_cgroup "$pid" $((64 * MB)) 50
}

check_later_commands_need_no_flag() {
        need pid
        pid=$(load pid)
        has "$(rt ps --format json c1)" "$pid" "ps"
        rt pause c1
        has "$(rt state c1)" '"paused"' "state after pause"
        rt resume c1
        has "$(rt state c1)" '"running"' "state after resume"
        rt update --memory 134217728 c1
        eq "$(cat "/sys/fs/cgroup$(cgroup_of "$pid")/memory.max")" 134217728 "memory.max after update"
        unit_is rh-c1.scope MemoryMax 134217728
        eq "$(rt exec c1 echo exec works)" "exec works" "exec output"
        rt kill c1 KILL
        until_true sh -c "! kill -0 $pid 2>/dev/null"
}

check_delete_leaves_no_unit_and_no_cgroup() {
        rt delete c1
        unit_gone_and_cgroup_gone c1
        [ -z "$(rt list -q)" ] || fail "containers left: $(rt list -q)"
}

check_a_malformed_cgroups_path_is_refused() {
        bundle "$STATE/bad" bad '["true"]' 'c["linux"]["cgroupsPath"] = "/not/a/slice:path"'
        refused "malformed cgroupsPath" rt --systemd-cgroup run --bundle "$STATE/bad" c-bad
}

# nook_only WHAT: runc 1.1.5 is no reference here (it says so and the check ends).
nook_only() {
        [ "$RUNTIME" = nook ] && return 1
        echo "$RUNTIME: not checked: $1"
}

check_a_bus_that_does_not_answer_is_refused() {
        # (runc 1.1.5 ignores DBUS_SYSTEM_BUS_ADDRESS as root: it reaches systemd anyway.)
        nook_only "runc does not use the address given" && return 0
        bundle "$STATE/bad" bad '["true"]'
        # A socket that accepts and never answers.
        python3 -c 'import socket,time; s=socket.socket(socket.AF_UNIX); s.bind("/run/rh-mute.sock"); s.listen(8); time.sleep(120)' &
        mute=$!
        until_true test -S /run/rh-mute.sock
        refused "a mute bus" env DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/rh-mute.sock "$RUNTIME_PATH" --root "$STATE/root" \
                --systemd-cgroup run --bundle "$STATE/bad" c-bad
        kill $mute
        rm -f /run/rh-mute.sock
}

check_a_property_systemd_refuses_is_refused() {
        bundle "$STATE/bad" bad '["true"]' 'c["annotations"]["org.systemd.property.NoSuchProperty"] = "true"'
        refused "an unknown property" rt --systemd-cgroup run --bundle "$STATE/bad" c-bad
}

check_a_unit_that_exists_is_refused() {
        # (runc 1.1.5 waits without end for a unit that exists.)
        nook_only "runc hangs" && return 0
        bundle "$STATE/b2" twin '["sleep","1000"]'
        rt --systemd-cgroup run -d --bundle "$STATE/b2" c2 < /dev/null > /dev/null 2>&1 || fail "run -d c2"
        set +e
        out=$(rt --systemd-cgroup run --bundle "$STATE/b2" c3 2>&1 < /dev/null)
        code=$?
        set -e
        [ $code -ne 0 ] || fail "a second container in rh-twin.scope was accepted"
        echo "same unit: $out"
        [ ! -e "$STATE/root/c3" ] || fail "a state dir is left"
        unit_is rh-twin.scope ActiveState active
        rt delete -f c2
        unit_gone_and_cgroup_gone twin
}

check_nothing_left() {
        [ -z "$(rt list -q 2>/dev/null)" ] || fail "containers left: $(rt list -q)"
        nothing_left 'rh-*'
}
