# Rootless podman for the user `tester`, whose systemd user manager runs from boot (lingering),
# at podman's defaults: the systemd cgroup manager through the user manager's bus, the scope
# in the user manager's user.slice. The same core checks as podman as root (the detached
# container with the default network, slirp4netns; the others --network none).

USER_UID=1000
USER_RUN=/run/user/$USER_UID

# as_user CMD...: runs CMD as tester, in the environment a login session would give.
as_user() {
        runuser -u tester -- env -C /home/tester HOME=/home/tester XDG_RUNTIME_DIR=$USER_RUN \
                DBUS_SESSION_BUS_ADDRESS=unix:path=$USER_RUN/bus "$@"
}

upm() {
        as_user podman --runtime "$RUNTIME_PATH" "$@"
}

SYSTEMCTL="as_user systemctl --user"

logs_say() {
        as_user podman logs "$1" 2>&1 | grep -q "$2"
}

user_manager_up() {
        [ -S $USER_RUN/bus ] || return 1
        case "$($SYSTEMCTL is-system-running 2> /dev/null)" in running | degraded) return 0 ;; esac
        return 1
}

check_user_manager_and_image() {
        until_true user_manager_up
        delegated=$(cat "/sys/fs/cgroup/user.slice/user-$USER_UID.slice/user@$USER_UID.service/cgroup.subtree_control")
        has "$delegated" memory "controllers delegated to the user manager"
        has "$delegated" pids "controllers delegated to the user manager"
        as_user podman image exists $IMAGE ||
                as_user podman import --change CMD=/bin/sh /payload/images/busybox.tar $IMAGE > /dev/null
        as_user podman image exists $IMAGE || fail "no image $IMAGE"
        eq "$(as_user podman info --format '{{.Host.CgroupManager}}')" systemd "podman's cgroup manager"
        eq "$(as_user podman info --format '{{.Host.Security.Rootless}}')" true rootless
}

check_run_prints_output() {
        out=$(upm run --rm --network none $(lsm_opts) $IMAGE echo hello rootless) || fail "run exited $?: $out"
        eq "$out" "hello rootless" output
}

check_run_exit_codes() {
        eq "$(status upm run --rm --network none $(lsm_opts) $IMAGE sh -c 'exit 3')" 3 "exit 3"
        eq "$(status upm run --rm --network none $(lsm_opts) $IMAGE /no/such/program)" 127 "a missing program"
        eq "$(status upm run --rm --network none $(lsm_opts) $IMAGE /etc/passwd)" 126 "a file that is not executable"
}

check_detached_exec_logs() {
        id=$(upm run -d $(lsm_opts) $IMAGE sh -c 'echo started; exec sleep 1000')
        save detached "$id"
        until_true logs_say "$id" started
        eq "$(upm exec "$id" echo exec works)" "exec works" "exec output"
        eq "$(upm exec "$id" id -u)" 0 "uid inside"
        unit_is "libpod-$id.scope" ActiveState active
        unit_is "libpod-$id.scope" Slice user.slice
        pid=$(as_user podman inspect --format '{{.State.Pid}}' "$id")
        has "$(cgroup_of "$pid")" "/user.slice/user-$USER_UID.slice/user@$USER_UID.service/user.slice/libpod-$id.scope" \
                "the container's cgroup"
        eq "$(stat -c %u "/proc/$pid")" $USER_UID "the container's root on the host (the user)"
}

check_memory_and_pids_limits_in_the_scope() {
        id=$(upm run -d --network none $(lsm_opts) --memory 64m --pids-limit 50 $IMAGE sleep 1000)
        save limited "$id"
        unit_is "libpod-$id.scope" ActiveState active
        unit_is "libpod-$id.scope" MemoryMax $((64 * MB))
        unit_is "libpod-$id.scope" TasksMax 50
        limits_in_cgroup "$(as_user podman inspect --format '{{.State.Pid}}' "$id")" $((64 * MB)) 50
}

check_stop_and_rm() {
        need detached limited
        id=$(load detached)
        upm stop -t 2 "$id" > /dev/null
        eq "$(as_user podman inspect --format '{{.State.Status}}' "$id")" exited "state after stop"
        upm rm "$id" > /dev/null
        upm rm -f "$(load limited)" > /dev/null
        for c in "$id" "$(load limited)"; do
                until_true gone_unit "libpod-$c.scope"
        done
        eq "$(as_user podman ps -aq)" "" "containers left"
}

check_nothing_left() {
        # Containers whose start failed are the engine's to keep; what they made in systemd and
        # cgroupfs is not (stop_and_rm checks that rm removes the containers that ran).
        left=$(as_user podman ps -aq)
        [ -z "$left" ] || { echo "removing the containers left: $left"; as_user podman rm -fa > /dev/null 2>&1 || true; }
        nothing_left 'libpod-*'
}
