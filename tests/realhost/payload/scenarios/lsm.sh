# AppArmor applied by the runtime itself ($RUNTIME_PATH run, create, exec: no engine), on the
# AppArmor boot: a profile of the test's own that allows everything but one read, loaded with
# apparmor_parser; the init and exec'd processes run under it (enforce), the denied read fails and
# others work; exec --apparmor and a process file; a runtime that is itself confined with
# no_new_privs asked (crun and nook stack the profile); an image whose /proc is fake (CVE-2019-16884)
# never turns the label into a no-op; a profile that is not loaded is refused, nothing left. runc is
# the reference: where it differs, the check says what runc does.

PROFILE=nook-lsm-test
OTHER=nook-lsm-other
OUTER=nook-lsm-outer

. /payload/lsmlib.sh

# profile NAME RULES: loads an AppArmor profile that allows everything, plus RULES.
profile() {
        cat > "$STATE/$1.profile" <<EOF
abi <abi/3.0>,
profile $1 flags=(attach_disconnected,mediate_deleted) {
  file,
  capability,
  network,
  mount,
  remount,
  umount,
  pivot_root,
  ptrace,
  signal,
  unix,
  dbus,
  change_profile,
  $2
}
EOF
        apparmor_parser -r -K "$STATE/$1.profile"
}

# What the probe program of these checks prints: its label, then whether the denied read and
# an allowed one worked.
PROBE='cat /proc/self/attr/current; cat /proc/version > /dev/null 2>&1 && echo version-read || echo version-denied; head -c1 /proc/cpuinfo > /dev/null && echo cpuinfo-read'

expect_probe() {
        has "$1" "$2 (enforce)" label
        has "$1" version-denied "the denied read"
        has "$1" cpuinfo-read "an allowed read"
}

check_profiles_load() {
        eq "$(cat /sys/module/apparmor/parameters/enabled)" Y "AppArmor enabled"
        profile $PROFILE "deny /proc/version r,"
        profile $OTHER "deny /proc/cpuinfo r,"
        profile $OUTER ""
        has "$(cat /sys/kernel/security/apparmor/profiles)" "$PROFILE (enforce)" "loaded profiles"
}

check_run_confines_the_container() {
        bundle run "c['process']['args'] = ['sh', '-c', r'''$PROBE''']" "c['process']['apparmorProfile'] = '$PROFILE'"
        out=$(cd "$STATE/run" && rt run lsm-run-$RUNTIME 2>&1) || fail "run exited $?: $out"
        expect_probe "$out" $PROFILE
        gone lsm-run-$RUNTIME
}

check_exec_confines_the_process() {
        id=lsm-exec-$RUNTIME
        bundle exec "c['process']['args'] = ['sleep', '1000']" "c['process']['apparmorProfile'] = '$PROFILE'"
        rt create --bundle "$STATE/exec" $id > "$STATE/create.out" 2>&1 < /dev/null || fail "create: $(cat "$STATE/create.out")"
        save exec_id $id
        rt start $id
        pid=$(init_pid $id)
        has "$(cat /proc/$pid/attr/current)" "$PROFILE (enforce)" "the init's label, seen from the host"
        # The exec'd process is forked by the runtime after it wrote the label: the fork keeps it.
        expect_probe "$(rt exec $id sh -c "$PROBE" 2>&1)" $PROFILE
        # --apparmor: another profile, which denies another read.
        out=$(rt exec --apparmor $OTHER $id sh -c "$PROBE" 2>&1) || true
        has "$out" "$OTHER (enforce)" "the label --apparmor asked for"
        has "$out" version-read "a read $OTHER allows"
        eq "$(status rt exec --apparmor $OTHER $id head -c1 /proc/cpuinfo)" 1 "a read $OTHER denies"
}

check_process_file_without_a_profile_gets_the_containers() {
        need exec_id
        python3 -c 'import json; print(json.dumps({"args": ["cat", "/proc/self/attr/current"], "cwd": "/", "user": {"uid": 0, "gid": 0}, "env": ["PATH=/bin"]}))' > "$STATE/process.json"
        out=$(rt exec --process "$STATE/process.json" "$(load exec_id)" 2>&1)
        if [ "$RUNTIME" = runc ]; then
                # runc 1.1.5 runs it unconfined; crun and nook give it the container's profile.
                eq "$out" unconfined "the label runc (the reference) gives a process file without a profile"
        else
                has "$out" "$PROFILE (enforce)" "a process file's label"
        fi
}

check_inspect_shows_the_label() {
        [ "$RUNTIME" = nook ] || { echo "nook inspect only"; return 0; }
        need exec_id
        r=$(rt inspect --format json "$(load exec_id)")
        python3 - "$r" <<'EOF'
import json, sys
lsm = json.loads(sys.argv[1])["privilege"]["lsm"]["apparmor"]
assert lsm == {"enabled": True, "asked": "nook-lsm-test", "label": "nook-lsm-test (enforce)"}, lsm
EOF
        id=lsm-bare-$RUNTIME
        bundle bare "c['process']['args'] = ['sleep', '1000']"
        rt create --bundle "$STATE/bare" $id > /dev/null 2>&1 < /dev/null || fail "create without a profile"
        r=$(rt inspect --format json $id)
        rt delete -f $id
        python3 - "$r" <<'EOF'
import json, sys
r = json.loads(sys.argv[1])
assert r["privilege"]["lsm"]["apparmor"]["label"] == "unconfined", r["privilege"]["lsm"]
assert any(v["what"] == "no AppArmor label" and v["severity"] == "warning" for v in r["verdict"]), r["verdict"]
EOF
        has "$(rt check)" "lsm.apparmor" "nook check"
        rt check --format json | python3 -c 'import json,sys; c = {x["name"]: x for x in json.load(sys.stdin)["checks"]}; a = c["lsm.apparmor"]; assert a["status"] == "ok" and a["value"].startswith("enabled ("), a'
}

check_exec_with_an_unknown_profile_is_refused() {
        need exec_id
        id=$(load exec_id)
        st=$(status rt exec --apparmor nook-no-such-profile $id true)
        out=$(cat "$STATE/status.out")
        [ "$st" != 0 ] || fail "exec under a profile that is not loaded ran"
        echo "$RUNTIME said: $out"
        [ "$RUNTIME" != nook ] || has "$out" '--apparmor "nook-no-such-profile": no AppArmor profile of that name is loaded' "the error"
        # Nothing of the failed exec stays in the container: its init alone.
        eq "$(processes $id)" 1 "processes left"
        rt delete -f $id
        gone $id
}

check_confined_runtime_stacks_under_no_new_privs() {
        # The runtime runs under $OUTER; the config asks for no_new_privs: AppArmor then allows
        # only a stack (crun writes "stack"; runc 1.1.5 writes "exec", which the exec refuses).
        bundle nnp "c['process']['args'] = ['sh', '-c', r'''$PROBE''']" "c['process']['apparmorProfile'] = '$PROFILE'" \
                "c['process']['noNewPrivileges'] = True"
        id=lsm-nnp-$RUNTIME
        st=$(cd "$STATE/nnp" && status sh -c "printf 'exec $OUTER' > /proc/self/attr/apparmor/exec && exec \"$RUNTIME_PATH\" run $id")
        out=$(cat "$STATE/status.out")
        if [ "$RUNTIME" = runc ]; then
                [ "$st" != 0 ] || fail "runc 1.1.5 ran a confined exec transition under no_new_privs: $out"
                echo "runc (the reference) refuses, as expected: $out"
        else
                eq "$st" 0 "run exited: $out"
                has "$out" "$OUTER//&$PROFILE (enforce)" "the stacked label"
                has "$out" version-denied "the denied read (the inner profile)"
                has "$out" cpuinfo-read "an allowed read"
        fi
        rt delete -f $id > /dev/null 2>&1 || true
        gone $id
}

# fake_proc BUNDLE: the image's /proc holds files that look like the attr files.
fake_proc() {
        for d in self thread-self 1 1/task/1; do
                mkdir -p "$STATE/$1/rootfs/proc/$d/attr/apparmor"
                : > "$STATE/$1/rootfs/proc/$d/attr/apparmor/exec"
                : > "$STATE/$1/rootfs/proc/$d/attr/exec"
        done
}

# fake_proc_outcome BUNDLE ID: the container either runs under the profile (the write went to the
# real procfs) or did not start; the image's fake files are untouched either way.
fake_proc_outcome() {
        st=$(status rt create --bundle "$STATE/$1" $2 < /dev/null)
        out=$(cat "$STATE/status.out")
        if [ "$st" = 0 ]; then
                rt start $2
                pid=$(init_pid $2)
                has "$(cat /proc/$pid/attr/current)" "$PROFILE (enforce)" "the label of a container whose image fakes /proc"
                echo "started, under $(cat /proc/$pid/attr/current)"
                # What the container sees at /proc (the image's directory, or the tmpfs copy of it).
                for f in $(find /proc/$pid/root/proc -type f); do
                        [ ! -s "$f" ] || fail "the container's fake $f was written: $(cat "$f")"
                done
        else
                echo "refused: $out"
                [ "$RUNTIME" != nook ] || fail "nook refused the fake /proc instead of labelling through its own procfs: $out"
        fi
        for f in $(find "$STATE/$1/rootfs/proc" -type f); do
                [ ! -s "$f" ] || fail "the image's fake $f was written: $(cat "$f")"
        done
        rt delete -f $2 > /dev/null 2>&1 || true
        gone $2
}

check_image_with_a_fake_proc_directory_gets_the_label() {
        # No procfs mounted: /proc is the image's directory.
        bundle fakedir "c['process']['args'] = ['sleep', '1000']" "c['process']['apparmorProfile'] = '$PROFILE'" \
                "c['mounts'] = [m for m in c['mounts'] if m['destination'] != '/proc']" \
                "c['linux']['maskedPaths'] = []" "c['linux']['readonlyPaths'] = []"
        fake_proc fakedir
        fake_proc_outcome fakedir lsm-fakedir-$RUNTIME
}

check_image_with_a_fake_proc_tmpfs_gets_the_label() {
        # A tmpfs on /proc holding a copy of the image's fake files (tmpcopyup).
        bundle faketmpfs "c['process']['args'] = ['sleep', '1000']" "c['process']['apparmorProfile'] = '$PROFILE'" \
                "c['mounts'] = [m for m in c['mounts'] if m['destination'] != '/proc'] + [{'destination': '/proc', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['tmpcopyup']}]" \
                "c['linux']['maskedPaths'] = []" "c['linux']['readonlyPaths'] = []"
        fake_proc faketmpfs
        fake_proc_outcome faketmpfs lsm-faketmpfs-$RUNTIME
}

check_unknown_profile_is_refused_leaving_nothing() {
        bundle unknown "c['process']['args'] = ['true']" "c['process']['apparmorProfile'] = 'nook-no-such-profile'"
        refused_run unknown lsm-unknown-$RUNTIME \
                'process.apparmorProfile "nook-no-such-profile": no AppArmor profile of that name is loaded'
}

check_nothing_left() {
        remove_all "lsm-*"
}
