# SELinux applied by the runtime itself ($RUNTIME_PATH run, create, exec), on the SELinux boot
# (security=selinux, Debian's refpolicy "default", which has svirt_t and svirt_image_t but no
# container_t). The boot is permissive (enforcing=0; the image's files carry no labels, so an
# enforcing boot would need a relabel of the root first): what is proven is that the labels are
# applied — the init's and exec'd processes' contexts, the session keyring's, and the context of
# every filesystem the runtime mounts (the /dev tmpfs, devpts, /dev/shm, mqueue, the masks) — and
# that the policy's answer to a bad label reaches the user; in enforcing mode (one run) the policy
# refuses the transition to the label (it has no rule for this VM's kernel_t), so a container
# confined by it for its whole life is not shown.

. /payload/lsmlib.sh

# valid CONTEXT: the loaded policy knows it (what libselinux's security_check_context asks).
valid() {
        python3 -c '
import os, sys
fd = os.open("/sys/fs/selinux/context", os.O_RDWR)
try:
    os.write(fd, sys.argv[1].encode() + b"\0")
except OSError:
    sys.exit(1)' "$1"
}

# first_valid CONTEXT...: the first one the policy knows.
first_valid() {
        for c in "$@"; do
                if valid "$c"; then
                        echo "$c"
                        return 0
                fi
        done
        fail "the policy knows none of: $*"
}

label_of() {
        tr -d '\0' < "/proc/$1/attr/current"
}

check_selinux_is_on() {
        [ -e /sys/fs/selinux/enforce ] || fail "no selinuxfs: SELinux is off"
        echo "mode: $(cat /sys/fs/selinux/enforce) (0: permissive), policy version $(cat /sys/fs/selinux/policyvers)"
        echo "this shell runs as $(label_of $$)"
        save process "$(first_valid system_u:system_r:svirt_t:s0:c1,c2 system_u:system_r:svirt_t:s0)"
        save other "$(first_valid system_u:system_r:svirt_t:s0:c3,c4 system_u:system_r:svirt_tcg_t:s0 system_u:system_r:svirt_t:s0)"
        save mount "$(first_valid system_u:object_r:svirt_image_t:s0:c1,c2 system_u:object_r:svirt_image_t:s0)"
        ! valid system_u:system_r:nook_no_such_t:s0 || fail "the policy takes a type that does not exist"
        echo "labels: process $(load process), other $(load other), mount $(load mount)"
}

# The probe: its context, its session keyring's, and the context of each filesystem the runtime
# mounted (or masked with a tmpfs), one per line.
PROBE='echo "self $(tr -d "\0" < /proc/self/attr/current)"; echo "keyring $(nook-test-helper keyring-label)"; for p in /dev /dev/pts /dev/shm /dev/mqueue /sys/firmware /proc/acpi /proc/scsi; do [ -d $p ] && echo "$p $(nook-test-helper xattr $p security.selinux)"; done; true'

line() {
        echo "$1" | sed -n "s|^$2 ||p"
}

check_run_applies_the_labels() {
        need process mount
        bundle run "c['process']['args'] = ['sh', '-c', r'''$PROBE''']" "c['process']['selinuxLabel'] = '$(load process)'" \
                "c['linux']['mountLabel'] = '$(load mount)'"
        out=$(cd "$STATE/run" && rt run sel-run-$RUNTIME 2>&1) || fail "run exited $?: $out"
        echo "$out"
        eq "$(line "$out" self)" "$(load process)" "the process's context"
        eq "$(line "$out" keyring)" "$(load process)" "the session keyring's context"
        for p in /dev /dev/pts /dev/shm /dev/mqueue /sys/firmware; do
                eq "$(line "$out" $p)" "$(load mount)" "the context of $p"
        done
        [ -z "$(line "$out" /proc/acpi)" ] || eq "$(line "$out" /proc/acpi)" "$(load mount)" "the context of the /proc/acpi mask"
}

check_exec_applies_the_label() {
        need process other
        id=sel-exec-$RUNTIME
        bundle exec "c['process']['args'] = ['sleep', '1000']" "c['process']['selinuxLabel'] = '$(load process)'" \
                "c['linux']['mountLabel'] = '$(load mount)'"
        rt create --bundle "$STATE/exec" $id > "$STATE/create.out" 2>&1 < /dev/null || fail "create: $(cat "$STATE/create.out")"
        save exec_id $id
        rt start $id
        pid=$(init_pid $id)
        eq "$(label_of $pid)" "$(load process)" "the init's context, seen from the host"
        # Forked by the runtime after the exec context was written: the fork keeps it.
        eq "$(rt exec $id sh -c 'tr -d "\0" < /proc/self/attr/current')" "$(load process)" "an exec'd process's context"
        eq "$(rt exec --process-label "$(load other)" $id sh -c 'tr -d "\0" < /proc/self/attr/current')" "$(load other)" \
                "the context --process-label asked for"
        python3 -c 'import json; print(json.dumps({"args": ["sh", "-c", "tr -d \"\\\\0\" < /proc/self/attr/current"], "cwd": "/", "user": {"uid": 0, "gid": 0}, "env": ["PATH=/bin"]}))' > "$STATE/process.json"
        eq "$(rt exec --process "$STATE/process.json" $id)" "$(load process)" "a process file's context (none given)"
}

check_inspect_shows_the_label() {
        [ "$RUNTIME" = nook ] || { echo "nook inspect only"; return 0; }
        need exec_id
        rt inspect --format json "$(load exec_id)" | python3 -c "
import json, sys
lsm = json.load(sys.stdin)['privilege']['lsm']['selinux']
want = {'enabled': True, 'mode': 'permissive', 'asked': '$(load process)', 'label': '$(load process)',
        'mountLabel': '$(load mount)'}
assert lsm == want, lsm"
        rt check --format json | python3 -c 'import json,sys; c = {x["name"]: x for x in json.load(sys.stdin)["checks"]}; s = c["lsm.selinux"]; assert (s["status"], s["value"]) == ("ok", "permissive"), s'
        rt delete -f "$(load exec_id)"
}

check_bad_labels_are_refused_leaving_nothing() {
        bundle unknown "c['process']['args'] = ['true']" "c['process']['selinuxLabel'] = 'system_u:system_r:nook_no_such_t:s0'"
        refused_run unknown sel-unknown-$RUNTIME \
                'process.selinuxLabel "system_u:system_r:nook_no_such_t:s0": not a valid SELinux context in the loaded policy'
        bundle malformed "c['process']['args'] = ['true']" "c['process']['selinuxLabel'] = 'not a context'"
        refused_run malformed sel-malformed-$RUNTIME 'process.selinuxLabel "not a context": not a valid SELinux context'
        bundle mountlabel "c['process']['args'] = ['true']" "c['linux']['mountLabel'] = 'system_u:object_r:nook_no_such_t:s0'"
        refused_run mountlabel sel-mountlabel-$RUNTIME \
                'linux.mountLabel "system_u:object_r:nook_no_such_t:s0": not a valid SELinux context'
}

check_exec_with_a_bad_label_is_refused() {
        need process
        id=sel-badexec-$RUNTIME
        bundle badexec "c['process']['args'] = ['sleep', '1000']" "c['process']['selinuxLabel'] = '$(load process)'"
        rt create --bundle "$STATE/badexec" $id > /dev/null 2>&1 < /dev/null || fail "create"
        rt start $id
        st=$(status rt exec --process-label system_u:system_r:nook_no_such_t:s0 $id true)
        out=$(cat "$STATE/status.out")
        [ "$st" != 0 ] || fail "exec with a context the policy does not know ran"
        echo "$RUNTIME said: $out"
        [ "$RUNTIME" != nook ] || has "$out" '--process-label "system_u:system_r:nook_no_such_t:s0": not a valid SELinux context' "the error"
        eq "$(processes $id)" 1 "processes left"
        rt delete -f $id
}

check_enforcing_refuses_a_transition_the_policy_forbids() {
        # Debian's policy does not let kernel_t (every process of this VM, whose files carry no
        # labels) enter svirt_t: enforcing for one run, the exec under the label is refused, the
        # kernel says why, and nook's error names the label.
        need process
        bundle enforce "c['process']['args'] = ['true']" "c['process']['noNewPrivileges'] = False" \
                "c['process']['selinuxLabel'] = '$(load process)'"
        trap 'echo 0 > /sys/fs/selinux/enforce' EXIT
        dmesg -C
        echo 1 > /sys/fs/selinux/enforce
        st=$(cd "$STATE/enforce" && status rt run sel-enforce-$RUNTIME)
        echo 0 > /sys/fs/selinux/enforce
        out=$(cat "$STATE/status.out")
        echo "$RUNTIME said: $out"
        [ "$st" != 0 ] || fail "the policy let kernel_t enter $(load process)"
        has "$out" "permission denied" "the error"
        [ "$RUNTIME" != nook ] || has "$out" "under process.selinuxLabel \"$(load process)\"" "the error"
        # kauditd writes the record to the kernel log on its own time. The permission refused is
        # "transition", or "nosuid_transition" when the program's mount is nosuid (the bundle is on
        # /run, a nosuid mount, and nook's root keeps the flags of the mount it was bound from).
        denial="avc:  denied  { [a-z_]*transition } .*tcontext=$(load process) tclass=process"
        n=0
        until dmesg | grep -q "$denial"; do
                n=$((n + 1))
                [ $n -lt 100 ] || { dmesg | grep 'avc:' | tail -5; fail "no AVC denial of the transition"; }
                sleep 0.1
        done
        dmesg | grep "$denial"
        gone sel-enforce-$RUNTIME
}

check_nothing_left() {
        remove_all "sel-*"
}
