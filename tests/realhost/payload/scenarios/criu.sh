# Checkpoint and restore with criu (Debian 12's 3.17), driven by $RUNTIME_PATH directly and by
# podman at its defaults (systemd cgroup manager): a container counting in a loop is
# checkpointed and restored and counts on from where it was; --leave-running; a pre-dump then
# a dump; a container with a bind mount and the default masks; stdio pipes handed to the
# restored process; `podman container checkpoint` and `restore`; nothing left after delete: no
# criu process, no criu mount, no state, no cgroup. The containers' stdio are never the serial
# console (criu cannot dump a process holding a file of a mount outside the container unless
# the runtime says so).

RT="$RUNTIME_PATH"
# The containers of this runtime's run (runs of several runtimes share a boot).
P=ck-$RUNTIME

# The counter: a file replaced atomically (never read half-written), and a line on stdout.
COUNTER='i=0; while true; do echo $i > /tmp/c.new; mv /tmp/c.new /tmp/count; echo tick $i; i=$((i+1)); sleep 0.2; done'

# bundle DIR ARGS_JSON [EXTRA_PYTHON]: a busybox bundle from the runtime's own `spec`.
bundle() {
        mkdir -p "$1/rootfs"
        tar -C "$1/rootfs" -xf /payload/images/busybox.tar
        (cd "$1" && "$RT" spec)
        python3 - "$1/config.json" "$2" "${3:-}" <<'PY'
import json, sys
path, args, extra = sys.argv[1:]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = json.loads(args)
c["root"]["readonly"] = False
exec(extra)
json.dump(c, open(path, "w"), indent=1)
PY
}

count_of() {
        "$RT" exec "$1" cat "${2:-/tmp/count}"
}

# count_reaches ID N [FILE]: the container has counted to N (read anew at each try of until_true).
count_reaches() {
        n=$(count_of "$1" "${3:-/tmp/count}" 2> /dev/null) && [ -n "$n" ] && [ "$n" -ge "$2" ]
}

# counting ID [FILE]: the container counts on (twice, a moment apart).
counting() {
        a=$(count_of "$@")
        sleep 1
        b=$(count_of "$@")
        [ "$b" -gt "$a" ] || fail "$1 does not count: $a then $b"
}

# resumed ID BEFORE [FILE]: the restored container counts on from BEFORE (the last value seen
# before the checkpoint), not from 0.
resumed() {
        now=$(count_of "$1" "${3:-}")
        [ "$now" -ge "$2" ] || fail "$1 restarted: $2 before the checkpoint, $now after the restore"
        counting "$1" ${3:+"$3"}
}

state_of() {
        "$RT" state "$1" | python3 -c 'import json, sys; s = json.load(sys.stdin); print(s["status"], s["pid"])'
}

stopped() {
        [ "$(state_of "$1" | cut -d' ' -f1)" = stopped ]
}

gone() {
        ! "$RT" state "$1" > /dev/null 2>&1
}

# dump_errors DIR: criu's errors in a log, for the failure message.
dump_errors() {
        grep -h -B4 Error "$1"/*.log 2>/dev/null | tail -20
}

# start_detached DIR ID [FILE]: run -d, once it has counted.
start_detached() {
        (cd "$1" && "$RT" run -d "$2" < /dev/null > /dev/null 2>&1) || fail "run -d $2 exited $?"
        until_true count_reaches "$2" 0 "${3:-}"
}

# The options of the host's cgroup2 mount (its superblock's: nsdelegate, memory_recursiveprot).
cgroup2_options() {
        awk '$9 == "cgroup2" { print $11 }' /proc/self/mountinfo | sort -u
}

# systemd's options of the cgroup2 mount.
SYSTEMD_CGROUP2_OPTIONS=rw,nsdelegate,memory_recursiveprot

check_criu_works_here() {
        has "$(criu check 2>&1)" "Looks good" "criu check"
        "$RT" checkpoint --help > /dev/null || fail "checkpoint --help exited $?"
        # A run before this one in the boot may have changed them (see below): systemd's again.
        if [ "$(cgroup2_options)" != $SYSTEMD_CGROUP2_OPTIONS ]; then
                echo "the host's cgroup2 options were $(cgroup2_options): remounted with systemd's"
                mount -o remount,nsdelegate,memory_recursiveprot -t cgroup2 none /sys/fs/cgroup
        fi
        eq "$(cgroup2_options)" $SYSTEMD_CGROUP2_OPTIONS "the host's cgroup2 options"
        save cgroup2_options "$(cgroup2_options)"
}

check_counting_container_resumes_where_it_was() {
        B=$STATE/count
        bundle "$B" "[\"sh\", \"-c\", \"$COUNTER\"]"
        start_detached "$B" $P-count
        until_true count_reaches $P-count 3
        "$RT" checkpoint --image-path "$STATE/count.img" --work-path "$STATE/count.work" $P-count ||
                fail "checkpoint exited $?: $(dump_errors "$STATE/count.work")"
        before=$(cat "$B/rootfs/tmp/count")
        until_true gone $P-count
        (cd "$B" && "$RT" restore -d --image-path "$STATE/count.img" --work-path "$STATE/count.work" $P-count \
                < /dev/null > /dev/null 2>&1) || fail "restore exited $?: $(dump_errors "$STATE/count.work")"
        resumed $P-count "$before"
        read -r status pid <<< "$(state_of $P-count)"
        eq "$status" running "status after restore"
        has "$(cgroup_of "$pid")" $P-count "the restored container's cgroup"
        has "$("$RT" ps $P-count)" "sleep" "ps of the restored container"
        "$RT" pause $P-count
        eq "$(state_of $P-count | cut -d' ' -f1)" paused "status when paused"
        "$RT" resume $P-count
        "$RT" kill $P-count KILL
        until_true stopped $P-count
        "$RT" delete $P-count
        gone $P-count || fail "$P-count is still there after delete"
}

check_leave_running() {
        B=$STATE/leave
        bundle "$B" "[\"sh\", \"-c\", \"$COUNTER\"]"
        start_detached "$B" $P-leave
        "$RT" checkpoint --leave-running --image-path "$STATE/leave.img" $P-leave ||
                fail "checkpoint exited $?: $(dump_errors "$STATE/leave.img")"
        eq "$(state_of $P-leave | cut -d' ' -f1)" running "status after checkpoint --leave-running"
        counting $P-leave
        "$RT" delete -f $P-leave
        (cd "$B" && "$RT" restore -d --image-path "$STATE/leave.img" $P-leave < /dev/null > /dev/null 2>&1) ||
                fail "restore exited $?: $(dump_errors "$STATE/leave.img")"
        # The restored process counts from the image, older than what the container that
        # ran on left in the rootfs (which is no part of the image): once it has written.
        sleep 1
        counting $P-leave
        "$RT" delete -f $P-leave
}

check_pre_dump_then_dump() {
        B=$STATE/pre
        bundle "$B" "[\"sh\", \"-c\", \"$COUNTER\"]"
        start_detached "$B" $P-pre
        mkdir -p "$STATE/pre.img"
        "$RT" checkpoint --pre-dump --image-path "$STATE/pre.img/1" $P-pre ||
                fail "pre-dump exited $?: $(dump_errors "$STATE/pre.img/1")"
        counting $P-pre
        "$RT" checkpoint --image-path "$STATE/pre.img/2" --parent-path ../1 $P-pre ||
                fail "dump exited $?: $(dump_errors "$STATE/pre.img/2")"
        [ -e "$STATE/pre.img/2/parent" ] || fail "the dump has no parent image"
        before=$(cat "$B/rootfs/tmp/count")
        (cd "$B" && "$RT" restore -d --image-path "$STATE/pre.img/2" $P-pre < /dev/null > /dev/null 2>&1) ||
                fail "restore exited $?: $(dump_errors "$STATE/pre.img/2")"
        resumed $P-pre "$before"
        # A bad parent fails clearly, before anything.
        out=$("$RT" checkpoint --pre-dump --image-path "$STATE/pre.img/3" --parent-path ../nothing $P-pre 2>&1) &&
                fail "a pre-dump with a missing parent succeeded"
        has "$out" "parent-path" "the error of a missing parent"
        "$RT" delete -f $P-pre
}

check_bind_mount_and_masks() {
        B=$STATE/bind
        mkdir -p "$STATE/data"
        bundle "$B" "[\"sh\", \"-c\", \"i=0; while true; do echo \$i > /data/c.new; mv /data/c.new /data/count; i=\$((i+1)); sleep 0.2; done\"]" \
                "c['mounts'].append({'destination': '/data', 'type': 'bind', 'source': '$STATE/data', 'options': ['rbind', 'rw']})"
        start_detached "$B" $P-bind /data/count
        until_true test -s "$STATE/data/count"
        "$RT" checkpoint --image-path "$STATE/bind.img" $P-bind || fail "checkpoint exited $?: $(dump_errors "$STATE/bind.img")"
        before=$(cat "$STATE/data/count")
        (cd "$B" && "$RT" restore -d --image-path "$STATE/bind.img" $P-bind < /dev/null > /dev/null 2>&1) ||
                fail "restore exited $?: $(dump_errors "$STATE/bind.img")"
        resumed $P-bind "$before" /data/count
        # The host sees it count on: the bind is the host's directory again.
        a=$(cat "$STATE/data/count"); sleep 1; b=$(cat "$STATE/data/count")
        [ "$b" -gt "$a" ] || fail "the bound directory does not change on the host: $a then $b"
        # The masks are back: a file is the null device, a directory an empty tmpfs.
        eq "$("$RT" exec $P-bind stat -c %t:%T /proc/kcore)" "1:3" "/proc/kcore after restore"
        eq "$("$RT" exec $P-bind ls -A /proc/acpi)" "" "/proc/acpi after restore"
        "$RT" delete -f $P-bind
}

check_stdio_pipes_go_to_the_restorer() {
        B=$STATE/pipe
        bundle "$B" "[\"sh\", \"-c\", \"$COUNTER\"]"
        (cd "$B" && "$RT" run -d $P-pipe < /dev/null 2>&1 | cat > "$STATE/pipe.before") &
        until_true grep -q "tick 3" "$STATE/pipe.before"
        "$RT" checkpoint --image-path "$STATE/pipe.img" $P-pipe || fail "checkpoint exited $?: $(dump_errors "$STATE/pipe.img")"
        wait
        last=$(tail -1 "$STATE/pipe.before" | cut -d' ' -f2)
        (cd "$B" && "$RT" restore -d --image-path "$STATE/pipe.img" $P-pipe < /dev/null 2>&1 | cat > "$STATE/pipe.after") &
        until_true test -s "$STATE/pipe.after"
        first=$(head -1 "$STATE/pipe.after" | cut -d' ' -f2)
        [ "$first" -gt "$last" ] || fail "the restored process writes 'tick $first' after 'tick $last'"
        "$RT" delete -f $P-pipe
        wait
}

podman_count_reaches() {
        n=$(podman exec "$1" cat /tmp/count 2> /dev/null) && [ -n "$n" ] && [ "$n" -ge "$2" ]
}

check_lazy_pages_into_a_new_container() {
        # A migration's shape: the checkpoint serves the memory (criu's page server) until a
        # restore elsewhere, under another id, has taken it through criu's lazy-pages daemon.
        B=$STATE/lazy
        bundle "$B" "[\"sh\", \"-c\", \"$COUNTER\"]"
        start_detached "$B" $P-lazy
        until_true count_reaches $P-lazy 3
        mkdir -p "$STATE/lazy.img"
        exec {status}> "$STATE/lazy.status"
        ("$RT" checkpoint --lazy-pages --page-server 127.0.0.1:27277 --status-fd $status \
                --image-path "$STATE/lazy.img" $P-lazy > "$STATE/lazy.out" 2>&1; echo $? > "$STATE/lazy.rc") &
        exec {status}>&-
        until_true test -s "$STATE/lazy.status"
        before=$(cat "$B/rootfs/tmp/count")
        criu lazy-pages --page-server --address 127.0.0.1 --port 27277 -D "$STATE/lazy.img" > /dev/null 2>&1 &
        (cd "$B" && "$RT" restore -d --lazy-pages --image-path "$STATE/lazy.img" $P-lazy2 < /dev/null > /dev/null 2>&1) ||
                fail "restore --lazy-pages exited $?: $(dump_errors "$STATE/lazy.img")"
        wait
        eq "$(cat "$STATE/lazy.rc")" 0 "checkpoint --lazy-pages ($(cat "$STATE/lazy.out"))"
        gone $P-lazy || fail "$P-lazy is still there after its checkpoint"
        sleep 1
        resumed $P-lazy2 "$before"
        "$RT" delete -f $P-lazy2
}

check_podman_checkpoint_and_restore() {
        podman image exists $IMAGE || podman import --change CMD=/bin/sh /payload/images/busybox.tar $IMAGE > /dev/null
        id=$(podman --runtime "$RT" run -d --network none $(lsm_opts) $IMAGE sh -c "$COUNTER")
        save podman "$id"
        until_true podman_count_reaches "$id" 3
        podman --runtime "$RT" container checkpoint "$id" > /dev/null || fail "podman container checkpoint exited $?"
        eq "$(podman inspect --format '{{.State.Status}}' "$id")" exited "status after checkpoint"
        before=$(podman inspect --format '{{.State.CheckpointedAt}}' "$id")
        [ -n "$before" ] || fail "podman recorded no checkpoint"
        podman --runtime "$RT" container restore "$id" > /dev/null || fail "podman container restore exited $?"
        eq "$(podman inspect --format '{{.State.Status}}' "$id")" running "status after restore"
        now=$(podman exec "$id" cat /tmp/count)
        [ "$now" -ge 3 ] || fail "the restored container restarted its count: $now"
        a=$now; sleep 1; b=$(podman exec "$id" cat /tmp/count)
        [ "$b" -gt "$a" ] || fail "the restored container does not count: $a then $b"
        pid=$(podman inspect --format '{{.State.Pid}}' "$id")
        has "$(cgroup_of "$pid")" "libpod-$id.scope" "the restored container's cgroup"
        podman --runtime "$RT" rm -f "$id" > /dev/null
        until_true gone_unit "libpod-$id.scope"
}

check_host_cgroup2_options_unchanged() {
        # criu mounting cgroup2 anew resets them for the whole host (criu issue 3029); nook
        # gives criu the host's hierarchies, bound, instead.
        need cgroup2_options
        eq "$(cgroup2_options)" "$(load cgroup2_options)" "the host's cgroup2 options after the checkpoints"
}

check_nothing_left() {
        left=""
        for c in $P-count $P-leave $P-pre $P-bind $P-pipe $P-lazy $P-lazy2; do
                "$RT" state "$c" > /dev/null 2>&1 && { left="$left container $c;"; "$RT" delete -f "$c"; }
        done
        pgrep -x criu > /dev/null && left="$left criu processes: $(pgrep -a -x criu | tr '\n' ' ');"
        grep -q criu /proc/self/mountinfo && left="$left mounts: $(grep criu /proc/self/mountinfo | tr '\n' ' ');"
        yards=$(find "$STATE" -maxdepth 3 -name '.criu.*' | tr '\n' ' ')
        [ -z "$yards" ] || left="$left criu's work files: $yards;"
        [ -z "$left" ] || fail "left behind:$left"
        nothing_left "$P-*" 'libpod-*'
}
