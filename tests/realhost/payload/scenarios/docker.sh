# docker at its defaults (dockerd's systemd cgroup driver on cgroup v2, system.slice, its default
# seccomp and AppArmor profiles), the runtime chosen with `docker run --runtime` among those
# /etc/docker/daemon.json registers (runc, crun, nook = /payload/nook): run and exit codes,
# run -d, exec, logs, stop, rm, --memory in the container's scope; nothing left after rm.

dk() {
        docker "$@"
}

logs_say() {
        docker logs "$1" 2>&1 | grep -q "$2"
}

check_daemon_and_image() {
        systemctl start docker.service
        eq "$(docker info --format '{{.CgroupDriver}}')" systemd "docker's cgroup driver"
        eq "$(docker info --format '{{.CgroupVersion}}')" 2 "cgroup version"
        has "$(docker info --format '{{json .Runtimes}}')" "\"$RUNTIME\"" "docker's runtimes"
        docker image inspect $IMAGE > /dev/null 2>&1 ||
                docker import --change 'CMD ["/bin/sh"]' /payload/images/busybox.tar $IMAGE > /dev/null
        docker image inspect $IMAGE > /dev/null
}

check_run_prints_output() {
        out=$(dk run --rm --runtime "$RUNTIME" $(lsm_opts) $IMAGE echo hello from docker) || fail "run exited $?: $out"
        eq "$out" "hello from docker" output
}

check_run_exit_codes() {
        eq "$(status dk run --rm --runtime "$RUNTIME" $(lsm_opts) $IMAGE sh -c 'exit 3')" 3 "exit 3"
        eq "$(status dk run --rm --runtime "$RUNTIME" $(lsm_opts) $IMAGE /no/such/program)" 127 "a missing program"
        eq "$(status dk run --rm --runtime "$RUNTIME" $(lsm_opts) $IMAGE /etc/passwd)" 126 "a file that is not executable"
}

check_detached_exec_logs() {
        id=$(dk run -d --runtime "$RUNTIME" $(lsm_opts) $IMAGE sh -c 'echo started; exec sleep 1000')
        save detached "$id"
        until_true logs_say "$id" started
        eq "$(dk exec "$id" echo exec works)" "exec works" "exec output"
        eq "$(status dk exec "$id" sh -c 'exit 5')" 5 "exec exit status"
        unit_is "docker-$id.scope" ActiveState active
        unit_is "docker-$id.scope" Slice system.slice
        expect_apparmor "$(dk exec "$id" cat /proc/self/attr/current)" docker-default
        eq "$(dk exec "$id" sh -c 'grep ^Seccomp: /proc/self/status')" "Seccomp:	2" "docker's seccomp filter"
        pid=$(docker inspect --format '{{.State.Pid}}' "$id")
        has "$(cgroup_of "$pid")" "/system.slice/docker-$id.scope" "the container's cgroup"
}

check_memory_limit_in_the_scope() {
        id=$(dk run -d --runtime "$RUNTIME" $(lsm_opts) --memory 64m --pids-limit 50 $IMAGE sleep 1000)
        save limited "$id"
        unit_is "docker-$id.scope" ActiveState active
        unit_is "docker-$id.scope" MemoryMax $((64 * MB))
        unit_is "docker-$id.scope" TasksMax 50
        limits_in_cgroup "$(docker inspect --format '{{.State.Pid}}' "$id")" $((64 * MB)) 50
}

check_stop_and_rm() {
        need detached limited
        id=$(load detached)
        dk stop -t 2 "$id" > /dev/null
        eq "$(docker inspect --format '{{.State.Status}}' "$id")" exited "state after stop"
        dk rm "$id" > /dev/null
        dk rm -f "$(load limited)" > /dev/null
        for c in "$id" "$(load limited)"; do
                until_true gone_unit "docker-$c.scope"
        done
        eq "$(docker ps -aq)" "" "containers left"
}

check_nothing_left() {
        # Containers whose start failed are the engine's to keep; what they made in systemd and
        # cgroupfs is not (stop_and_rm checks that rm removes the containers that ran).
        left=$(docker ps -aq)
        [ -z "$left" ] || { echo "removing the containers left: $left"; docker rm -f $left > /dev/null 2>&1 || true; }
        nothing_left 'docker-*.scope'
}
