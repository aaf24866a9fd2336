# podman as root at its defaults (the systemd cgroup manager, machine.slice), driving
# $RUNTIME_PATH: run and its exit codes, run -d, exec, logs, stop, rm; --memory and
# --pids-limit in the container's scope; nothing left after rm. The detached container has
# podman's default network (a CNI bridge); the others --network none, which halves a run's time
# under TCG.

pm() {
        podman --runtime "$RUNTIME_PATH" "$@"
}

logs_say() {
        podman logs "$1" 2>&1 | grep -q "$2"
}

check_image_and_defaults() {
        podman image exists $IMAGE || podman import --change CMD=/bin/sh /payload/images/busybox.tar $IMAGE > /dev/null
        podman image exists $IMAGE || fail "no image $IMAGE"
        eq "$(podman info --format '{{.Host.CgroupManager}}')" systemd "podman's cgroup manager"
        eq "$(podman info --format '{{.Host.CgroupsVersion}}')" v2 "cgroup version"
}

check_run_prints_output() {
        out=$(pm run --rm --network none $(lsm_opts) $IMAGE echo hello from podman) || fail "run exited $?: $out"
        eq "$out" "hello from podman" output
}

check_run_exit_codes() {
        eq "$(status pm run --rm --network none $(lsm_opts) $IMAGE sh -c 'exit 3')" 3 "exit 3"
        eq "$(status pm run --rm --network none $(lsm_opts) $IMAGE /no/such/program)" 127 "a missing program"
        eq "$(status pm run --rm --network none $(lsm_opts) $IMAGE /etc/passwd)" 126 "a file that is not executable"
}

check_detached_exec_logs() {
        id=$(pm run -d $(lsm_opts) $IMAGE sh -c 'echo started; exec sleep 1000')
        save detached "$id"
        until_true logs_say "$id" started
        eq "$(pm exec "$id" echo exec works)" "exec works" "exec output"
        eq "$(status pm exec "$id" sh -c 'exit 5')" 5 "exec exit status"
        unit_is "libpod-$id.scope" ActiveState active
        unit_is "libpod-$id.scope" Slice machine.slice
        expect_apparmor "$(pm exec "$id" cat /proc/self/attr/current)" containers-default-
        pid=$(podman inspect --format '{{.State.Pid}}' "$id")
        has "$(cgroup_of "$pid")" "/machine.slice/libpod-$id.scope" "the container's cgroup"
}

check_memory_and_pids_limits_in_the_scope() {
        id=$(pm run -d --network none $(lsm_opts) --memory 64m --pids-limit 50 $IMAGE sleep 1000)
        save limited "$id"
        unit_is "libpod-$id.scope" ActiveState active
        unit_is "libpod-$id.scope" MemoryMax $((64 * MB))
        unit_is "libpod-$id.scope" TasksMax 50
        limits_in_cgroup "$(podman inspect --format '{{.State.Pid}}' "$id")" $((64 * MB)) 50
}

check_stop_and_rm() {
        need detached limited
        id=$(load detached)
        pm stop -t 2 "$id" > /dev/null
        eq "$(podman inspect --format '{{.State.Status}}' "$id")" exited "state after stop"
        pm rm "$id" > /dev/null
        pm rm -f "$(load limited)" > /dev/null
        for c in "$id" "$(load limited)"; do
                until_true gone_unit "libpod-$c.scope"
                until_true gone_unit "libpod-conmon-$c.scope"
        done
        eq "$(podman ps -aq)" "" "containers left"
}

check_nothing_left() {
        # Containers whose start failed are the engine's to keep; what they made in systemd and
        # cgroupfs is not (stop_and_rm checks that rm removes the containers that ran).
        left=$(podman ps -aq)
        [ -z "$left" ] || { echo "removing the containers left: $left"; podman rm -fa > /dev/null 2>&1 || true; }
        nothing_left 'libpod-*'
}
