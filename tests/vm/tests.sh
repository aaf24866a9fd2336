#!/bin/sh
# cgroup tests, run by tests/vm/init inside the VM (busybox sh): on a cgroup2
# boot every function named vmtest_* is a test, on a pure v1 boot every
# v1test_*. A test runs in a subshell with `set -e`, in its own directory $T
# with its own state root; it fails when a command fails or `fail` is called,
# and afterwards no container or cgroup of it may be left.
# Output: "VMTEST ok NAME" or "VMTEST not ok NAME" and the log.
#   tests.sh v2|v1 all|NAME,NAME
MB=1048576
CG=/sys/fs/cgroup
NS_DEFAULT='[{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"cgroup"}]'
NS_SHARED_PID='[{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"cgroup"}]'
CGROUP_RO='["nosuid","noexec","nodev","relatime","ro"]'
CGROUP_RW='["nosuid","noexec","nodev","relatime","rw"]'
RAM0='[{"path":"/dev/ram0","type":"b","major":1,"minor":0}]'
DENY_ALL='{"allow":false,"access":"rwm"}'

# ---- helpers ----

fail() {
        echo "FAIL: $*"
        exit 1
}

# eq ACTUAL EXPECTED [WHAT]
eq() {
        [ "$1" = "$2" ] || fail "${3:-value}: expected \"$2\", got \"$1\""
}

# has TEXT PART
has() {
        case "$1" in *"$2"*) ;; *) fail "expected \"$2\" in: $1" ;; esac
}

n() {
        nook --root "$T/state" "$@"
}

id_of() {
        echo "vm-$TN-$1"
}

# bundle NAME ARGS RESOURCES [NAMESPACES] [DEVICES] [CGROUP_OPTIONS]: $T/NAME/config.json
bundle() {
        mkdir -p "$T/$1"
        awk -v args="$2" -v res="$3" -v ns="${4:-$NS_DEFAULT}" -v dev="${5:-[]}" -v cgo="${6:-$CGROUP_RO}" '
                function put(key, value,   i) {
                        i = index($0, "\"@" key "@\"")
                        if (i) $0 = substr($0, 1, i - 1) value substr($0, i + length(key) + 4)
                }
                { put("ARGS", args); put("RESOURCES", res); put("NAMESPACES", ns); put("DEVICES", dev)
                  put("CGROUP_OPTIONS", cgo); print }' /vm/base.json > "$T/$1/config.json"
}

# create NAME: `nook create`; the container's stdout/stderr go to $T/NAME.out/.err.
create() {
        n create --bundle "$T/$1" "$(id_of "$1")" < /dev/null > "$T/$1.out" 2> "$T/$1.err" || {
                cat "$T/$1.err"
                return 1
        }
}

# detach NAME: `nook run -d`, output as for create.
detach() {
        n run -d --bundle "$T/$1" "$(id_of "$1")" < /dev/null > "$T/$1.out" 2> "$T/$1.err" || {
                cat "$T/$1.err"
                return 1
        }
}

# run NAME: `nook run` in the foreground; prints what it printed, returns its status.
run() {
        n run --bundle "$T/$1" "$(id_of "$1")" < /dev/null 2>&1
}

status_of() {
        n state "$(id_of "$1")" | sed -n 's/.*"status": "\([a-z]*\)".*/\1/p'
}

pid_of() {
        n state "$(id_of "$1")" | sed -n 's/.*"pid": \([0-9]*\).*/\1/p'
}

# The container's cgroup on the host.
cgdir() {
        echo "$CG/$(id_of "$1")"
}

# until_true CMD...: polls a state for up to 10 s.
until_true() {
        i=0
        while ! "$@"; do
                i=$((i + 1))
                [ $i -lt 1000 ] || fail "timed out waiting for: $*"
                sleep 0.01
        done
}

stopped() {
        [ "$(status_of "$1")" = stopped ]
}

gone() {
        ! [ -e "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status" 2> /dev/null
}

output_starts() {
        case "$(cat "$T/$1.out")" in "$2"*) return 0 ;; esac
        return 1
}

# start NAME: start a created container and wait for it to end.
start_and_wait() {
        n start "$(id_of "$1")"
        until_true stopped "$1"
}

# ---- resources ----

vmtest_memory_limits_reach_cgroup2_files() {
        bundle c '["sh","-c","cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory.swap.max /sys/fs/cgroup/memory.low"]' \
                "{\"devices\":[$DENY_ALL],\"memory\":{\"limit\":$((64 * MB)),\"swap\":$((96 * MB)),\"reservation\":$((32 * MB))}}"
        create c
        eq "$(cat "$(cgdir c)/memory.max")" $((64 * MB)) memory.max
        eq "$(cat "$(cgdir c)/memory.swap.max")" $((32 * MB)) "memory.swap.max (swap - limit)"
        eq "$(cat "$(cgdir c)/memory.low")" $((32 * MB)) memory.low
        start_and_wait c
        eq "$(cat "$T/c.out" | tr '\n' ' ')" "$((64 * MB)) $((32 * MB)) $((32 * MB)) " "inside"
        n delete "$(id_of c)"
}

vmtest_memory_limit_oom_kills_and_events_report_it() {
        bundle c '["nook-test-helper","alloc","200"]' \
                "{\"devices\":[$DENY_ALL],\"memory\":{\"limit\":$((32 * MB)),\"swap\":$((32 * MB))}}"
        create c
        eq "$(cat "$(cgdir c)/memory.swap.max")" 0 "no swap when swap == limit"
        n events --interval 1h "$(id_of c)" > "$T/events" 2>&1 &
        events=$!
        until_true grep -q '"type":"stats"' "$T/events"
        n start "$(id_of c)"
        wait $events || fail "events failed: $(cat "$T/events")"
        has "$(cat "$T/events")" "{\"type\":\"oom\",\"id\":\"$(id_of c)\"}"
        eq "$(cat "$T/c.out")" "" "the helper was killed before it printed"
        has "$(grep oom_kill "$(cgdir c)/memory.events")" "oom_kill 1"
        n delete "$(id_of c)"
        bundle small '["true"]' '{"memory":{"limit":4096}}'
        has "$(run small)" "linux.resources.memory: the OOM killer ended the container process"
}

vmtest_cpu_shares_become_a_weight_and_quota_cpu_max() {
        bundle c '["sh","-c","grep Cpus_allowed_list /proc/self/status; cat /sys/fs/cgroup/cpu.weight"]' \
                "{\"devices\":[$DENY_ALL],\"cpu\":{\"shares\":1024,\"quota\":50000,\"period\":100000,\"burst\":1000,\"cpus\":\"0\",\"mems\":\"0\"}}"
        create c
        eq "$(cat "$(cgdir c)/cpu.weight")" 100 "cpu.weight of 1024 shares"
        eq "$(cat "$(cgdir c)/cpu.max")" "50000 100000" cpu.max
        eq "$(cat "$(cgdir c)/cpu.max.burst")" 1000 cpu.max.burst
        eq "$(cat "$(cgdir c)/cpuset.cpus")" 0 cpuset.cpus
        start_and_wait c
        eq "$(cat "$T/c.out" | tr -s '\t\n' '  ')" "Cpus_allowed_list: 0 100 " inside
        n delete "$(id_of c)"
        bundle idle '["true"]' "{\"devices\":[$DENY_ALL],\"cpu\":{\"idle\":1}}"
        create idle
        eq "$(cat "$(cgdir idle)/cpu.idle")" 1 cpu.idle
        n delete -f "$(id_of idle)"
}

vmtest_pids_limit_stops_forks() {
        bundle c '["nook-test-helper","forks","20"]' "{\"devices\":[$DENY_ALL],\"pids\":{\"limit\":5}}"
        create c
        eq "$(cat "$(cgdir c)/pids.max")" 5 pids.max
        start_and_wait c
        eq "$(cat "$T/c.out")" "forked 4 EAGAIN" inside
        n delete "$(id_of c)"
}

vmtest_blkio_weight_becomes_io_weight_and_throttles_io_max() {
        bundle c '["true"]' "{\"devices\":[$DENY_ALL],\"blockIO\":{\"weight\":500,\"throttleReadBpsDevice\":[{\"major\":1,\"minor\":0,\"rate\":$MB}],\"throttleWriteIOPSDevice\":[{\"major\":1,\"minor\":0,\"rate\":100}]}}"
        create c
        eq "$(cat "$(cgdir c)/io.weight")" "default 4950" "io.weight of blkio weight 500"
        eq "$(cat "$(cgdir c)/io.max")" "1:0 rbps=$MB wbps=max riops=max wiops=100" io.max
        n delete -f "$(id_of c)"
        # iocost is off on /dev/ram0 (and bfq not loaded): a device weight cannot be honoured.
        bundle d '["true"]' '{"blockIO":{"weightDevice":[{"major":1,"minor":0,"weight":300}]}}'
        has "$(run d)" "linux.resources.blockIO.weightDevice[0]: write \`io.weight\` (io controller"
}

vmtest_hugetlb_limits_reach_cgroup2_files() {
        bundle c '["cat","/sys/fs/cgroup/hugetlb.2MB.max"]' \
                "{\"devices\":[$DENY_ALL],\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":$((4 * MB))}]}"
        create c
        eq "$(cat "$(cgdir c)/hugetlb.2MB.max")" $((4 * MB)) hugetlb.2MB.max
        eq "$(cat "$(cgdir c)/hugetlb.2MB.rsvd.max")" $((4 * MB)) hugetlb.2MB.rsvd.max
        start_and_wait c
        eq "$(cat "$T/c.out")" $((4 * MB)) inside
        n delete "$(id_of c)"
}

vmtest_unified_keys_are_written_as_is() {
        bundle c '["true"]' "{\"devices\":[$DENY_ALL],\"memory\":{\"limit\":$((64 * MB))},\"unified\":{\"memory.high\":\"$((50 * MB))\",\"pids.max\":\"9\",\"memory.max\":\"$((70 * MB))\"}}"
        create c
        eq "$(cat "$(cgdir c)/memory.high")" $((50 * MB)) memory.high
        eq "$(cat "$(cgdir c)/pids.max")" 9 pids.max
        eq "$(cat "$(cgdir c)/memory.max")" $((70 * MB)) "memory.max: unified wins"
        n delete -f "$(id_of c)"
        bundle bad '["true"]' '{"unified":{"memory.nonsense":"1"}}'
        has "$(run bad)" "the memory controller has no file \`memory.nonsense\`"
        bundle escape '["true"]' '{"unified":{"../cgroup.procs":"1"}}'
        has "$(run escape)" "not a cgroup2 file name"
}

vmtest_devices_are_decided_by_an_ebpf_program() {
        bundle denied '["nook-test-helper","open-read","/dev/ram0"]' "{\"devices\":[$DENY_ALL]}" "" "$RAM0"
        create denied
        eq "$(nook-test-helper bpf-progs "$(cgdir denied)")" 1 "device programs attached"
        start_and_wait denied
        eq "$(cat "$T/denied.out")" "open: EPERM" "without a rule"
        n delete "$(id_of denied)"
        bundle null '["nook-test-helper","open-write","/dev/null"]' "{\"devices\":[$DENY_ALL]}"
        eq "$(run null)" ok "a default device"
        bundle allowed '["nook-test-helper","open-read","/dev/ram0"]' \
                "{\"devices\":[$DENY_ALL,{\"allow\":true,\"type\":\"b\",\"major\":1,\"minor\":0,\"access\":\"r\"}]}" "" "$RAM0"
        eq "$(run allowed)" ok "with an allow rule"
        bundle write '["nook-test-helper","open-write","/dev/ram0"]' \
                "{\"devices\":[$DENY_ALL,{\"allow\":true,\"type\":\"b\",\"major\":1,\"minor\":0,\"access\":\"r\"}]}" "" "$RAM0"
        eq "$(run write)" "open: EPERM" "write with a read-only rule"
}

vmtest_update_replaces_the_device_program() {
        bundle c '["sh","-c","until [ -e /tmp/go ]; do sleep 0.01; done; nook-test-helper open-read /dev/ram0"]' \
                "{\"devices\":[$DENY_ALL]}" "" "$RAM0"
        detach c
        echo "{\"devices\":[$DENY_ALL,{\"allow\":true,\"type\":\"b\",\"major\":1,\"minor\":0,\"access\":\"r\"}]}" > "$T/r.json"
        n update --resources "$T/r.json" "$(id_of c)"
        eq "$(nook-test-helper bpf-progs "$(cgdir c)")" 1 "device programs attached after update"
        touch "/proc/$(pid_of c)/root/tmp/go"
        until_true stopped c
        eq "$(cat "$T/c.out")" ok "open after the update"
        n delete "$(id_of c)"
}

vmtest_v1_only_settings_are_refused_naming_the_file() {
        bundle a '["true"]' '{"memory":{"limit":67108864,"swappiness":10}}'
        has "$(run a)" "linux.resources.memory.swappiness: cgroup2 has no per-cgroup swappiness"
        bundle b '["true"]' '{"memory":{"disableOOMKiller":true}}'
        has "$(run b)" "memory.oom_control"
        bundle c '["true"]' '{"network":{"classID":1048577}}'
        has "$(run c)" "linux.resources.network.classID: the net_cls controller is not available"
        bundle d '["true"]' '{"cpu":{"realtimeRuntime":1000}}'
        has "$(run d)" "cgroup2 has no realtime"
        bundle e '["true"]' '{"blockIO":{"leafWeight":300}}'
        has "$(run e)" "cgroup2 has no leaf weights"
        bundle f '["true"]' "{\"memory\":{\"swap\":$((96 * MB))}}"
        has "$(run f)" "a swap limit needs a memory limit"
        [ -z "$(n list -q)" ] || fail "containers left: $(n list -q)"
}

vmtest_pause_freezes_until_resume() {
        bundle c '["nook-test-helper","wait-signal"]' "{\"devices\":[$DENY_ALL]}"
        detach c
        until_true output_starts c ready
        pid=$(pid_of c)
        n pause "$(id_of c)"
        eq "$(status_of c)" paused state
        eq "$(cat "$(cgdir c)/cgroup.freeze")" 1 cgroup.freeze
        has "$(cat "$(cgdir c)/cgroup.events")" "frozen 1"
        has "$(n list)" paused
        n kill "$(id_of c)" USR1
        sleep 0.3
        [ -e "/proc/$pid" ] || fail "a frozen process acted on a signal"
        n resume "$(id_of c)"
        until_true gone "$pid"
        eq "$(cat "$T/c.out" | tr '\n' ' ')" "ready signal 10 " "inside"
        n delete "$(id_of c)"
}

vmtest_update_changes_the_running_limits() {
        bundle c '["sleep","1000"]' "{\"devices\":[$DENY_ALL]}"
        detach c
        d=$(cgdir c)
        n update --memory 100m --memory-swap 200m --cpu-shares 1024 --cpu-quota 20000 --pids-limit 50 \
                --blkio-weight 1000 --cpuset-cpus 0 "$(id_of c)"
        eq "$(cat $d/memory.max)" $((100 * MB)) memory.max
        eq "$(cat $d/memory.swap.max)" $((100 * MB)) memory.swap.max
        eq "$(cat $d/cpu.weight)" 100 cpu.weight
        eq "$(cat $d/cpu.max)" "20000 100000" "cpu.max keeps its period"
        eq "$(cat $d/pids.max)" 50 pids.max
        eq "$(cat $d/io.weight)" "default 10000" io.weight
        eq "$(cat $d/cpuset.cpus)" 0 cpuset.cpus
        n update --cpu-period 50000 "$(id_of c)"
        eq "$(cat $d/cpu.max)" "20000 50000" "cpu.max keeps its quota"
        n update --memory-swap 300m "$(id_of c)"
        eq "$(cat $d/memory.swap.max)" $((200 * MB)) "swap against the current memory.max"
        n update --cpu-quota -1 "$(id_of c)"
        eq "$(cat $d/cpu.max)" "max 50000" "no quota"
        echo '{"pids":{"limit":7}}' | n update -r - "$(id_of c)"
        eq "$(cat $d/pids.max)" 7 "pids.max from stdin"
        n delete -f "$(id_of c)"
}

vmtest_update_check_before_update_refuses_a_limit_below_usage() {
        bundle c '["nook-test-helper","alloc","20","hold"]' "{\"devices\":[$DENY_ALL]}"
        detach c
        until_true output_starts c ok
        out=$(echo "{\"memory\":{\"limit\":$((4 * MB)),\"checkBeforeUpdate\":true}}" | n update -r - "$(id_of c)" 2>&1) &&
                fail "update succeeded: $out"
        has "$out" "checkBeforeUpdate: the new limit $((4 * MB)) is below the current usage"
        eq "$(cat "$(cgdir c)/memory.max")" max "memory.max unchanged"
        eq "$(status_of c)" running
        n delete -f "$(id_of c)"
}

vmtest_events_stats_reports_cgroup2_usage() {
        bundle c '["sleep","1000"]' "{\"devices\":[$DENY_ALL],\"memory\":{\"limit\":$((64 * MB))},\"pids\":{\"limit\":30}}"
        detach c
        out=$(n events --stats "$(id_of c)")
        has "$out" "{\"type\":\"stats\",\"id\":\"$(id_of c)\",\"data\":{\"cpu\":{\"usage\":{\"total\":"
        has "$out" "\"limit\":$((64 * MB))"
        has "$out" '"pids":{"current":1,"limit":30}'
        has "$out" '"ioServiceBytesRecursive":['
        has "$out" '"2MB":{"usage":0,"failcnt":0}'
        n delete -f "$(id_of c)"
}

vmtest_kill_all_reaches_processes_that_left_the_init() {
        bundle c '["sh","-c","(setsid sleep 1000 & echo $! > /tmp/daemon.pid); exec sleep 1000"]' \
                "{\"devices\":[$DENY_ALL]}" "$NS_SHARED_PID"
        detach c
        init=$(pid_of c)
        until_true test -s "/proc/$init/root/tmp/daemon.pid"
        daemon=$(cat "/proc/$init/root/tmp/daemon.pid")
        grep -qx "$daemon" "$(cgdir c)/cgroup.procs" || fail "the daemon is not in the cgroup"
        n kill --all "$(id_of c)" KILL
        until_true gone "$init"
        until_true gone "$daemon"
        n delete "$(id_of c)"
}

vmtest_delete_of_a_container_whose_init_died_kills_its_children() {
        bundle c '["sh","-c","sleep 1000 & exit 0"]' "{\"devices\":[$DENY_ALL]}" "$NS_SHARED_PID"
        detach c
        until_true stopped c
        child=$(cat "$(cgdir c)/cgroup.procs")
        [ -n "$child" ] || fail "no child left in the cgroup"
        n delete "$(id_of c)"
        until_true gone "$child"
        [ ! -e "$(cgdir c)" ] || fail "cgroup left"
}

vmtest_delete_removes_cgroups_the_container_made() {
        bundle c '["sh","-c","mkdir /sys/fs/cgroup/sub; sleep 1000 & echo $! > /sys/fs/cgroup/sub/cgroup.procs && echo moved; exec sleep 1000"]' \
                "{\"devices\":[$DENY_ALL]}" "" "" "$CGROUP_RW"
        detach c
        until_true output_starts c moved
        [ -n "$(cat "$(cgdir c)/sub/cgroup.procs")" ] || fail "nothing in the sub-cgroup"
        n delete -f "$(id_of c)"
        [ ! -e "$(cgdir c)" ] || fail "cgroup left"
}

vmtest_relative_cgroups_path_is_beside_the_callers_cgroup() {
        # cgroup2 keeps processes out of inner cgroups: a relative path goes beside the caller's.
        read -r self rest < /proc/self/stat
        mkdir "$CG/vm-$TN-caller"
        echo "$self" > "$CG/vm-$TN-caller/cgroup.procs"
        bundle c '["cat","/proc/self/cgroup"]' "{\"devices\":[$DENY_ALL]}"
        sed -i "s|\"linux\":{|\"linux\":{\"cgroupsPath\":\"nested/$(id_of c)\",|" "$T/c/config.json"
        create c
        echo "$self" > "$CG/cgroup.procs"
        rmdir "$CG/vm-$TN-caller"
        [ -d "$CG/nested/$(id_of c)" ] || fail "not created beside the caller: $(ls $CG)"
        start_and_wait c
        eq "$(cat "$T/c.out")" "0::/" "inside its cgroup namespace"
        n delete "$(id_of c)"
        [ ! -e "$CG/nested" ] || fail "the parent nook made is left"
}

# ---- a pure v1 host (nook.cgroup=v1) ----

# The container's directory in the v1 hierarchy of a controller.
v1dir() {
        echo "$CG/$1/$(id_of "$2")"
}

v1test_limits_reach_v1_files_including_co_mounted_ones() {
        bundle c '["sh","-c","cat /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us /sys/fs/cgroup/memory/memory.limit_in_bytes"]' \
                "{\"devices\":[$DENY_ALL],\"cpu\":{\"shares\":512,\"quota\":30000},\"memory\":{\"limit\":$((64 * MB))},\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":$((4 * MB))}]}"
        create c
        eq "$(cat "$(v1dir cpu,cpuacct c)/cpu.shares")" 512 cpu.shares
        eq "$(cat "$(v1dir memory c)/memory.limit_in_bytes")" $((64 * MB)) memory.limit_in_bytes
        eq "$(cat "$(v1dir hugetlb c)/hugetlb.2MB.limit_in_bytes")" $((4 * MB)) hugetlb.2MB.limit_in_bytes
        eq "$(cat "$(v1dir hugetlb c)/hugetlb.2MB.rsvd.limit_in_bytes")" $((4 * MB)) hugetlb.2MB.rsvd.limit_in_bytes
        has "$(cat "$(v1dir devices c)/devices.list")" "c 1:3 rwm"
        start_and_wait c
        eq "$(cat "$T/c.out" | tr '\n' ' ')" "512 30000 $((64 * MB)) " "inside, through the links"
        n delete "$(id_of c)"
}

v1test_network_class_and_priorities() {
        bundle c '["cat","/sys/fs/cgroup/net_cls/net_cls.classid"]' \
                "{\"devices\":[$DENY_ALL],\"network\":{\"classID\":1048577,\"priorities\":[{\"name\":\"lo\",\"priority\":5}]}}"
        create c
        eq "$(cat "$(v1dir net_cls,net_prio c)/net_cls.classid")" 1048577 net_cls.classid
        has "$(cat "$(v1dir net_cls,net_prio c)/net_prio.ifpriomap")" "lo 5"
        start_and_wait c
        eq "$(cat "$T/c.out")" 1048577 inside
        n delete "$(id_of c)"
}

v1test_unified_is_refused_without_cgroup2() {
        bundle c '["true"]' '{"unified":{"memory.high":"1"}}'
        has "$(run c)" "linux.resources.unified: this host has no cgroup2 hierarchy"
}

v1test_kill_all_of_a_paused_container_without_cgroup_kill() {
        bundle c '["sh","-c","(setsid sleep 1000 & echo $! > /tmp/daemon.pid); exec sleep 1000"]' \
                "{\"devices\":[$DENY_ALL]}" "$NS_SHARED_PID"
        detach c
        init=$(pid_of c)
        until_true test -s "/proc/$init/root/tmp/daemon.pid"
        daemon=$(cat "/proc/$init/root/tmp/daemon.pid")
        n pause "$(id_of c)"
        eq "$(cat "$(v1dir freezer c)/freezer.state")" FROZEN freezer.state
        eq "$(status_of c)" paused
        # Every process, found through the cgroup, killed; the freezer thawed so that they die.
        n kill --all "$(id_of c)" KILL
        until_true gone "$init"
        until_true gone "$daemon"
        n delete "$(id_of c)"
}

v1test_events_report_v1_stats_and_oom() {
        bundle c '["nook-test-helper","alloc","200"]' \
                "{\"devices\":[$DENY_ALL],\"memory\":{\"limit\":$((32 * MB)),\"swap\":$((32 * MB))}}"
        create c
        n events --interval 1h "$(id_of c)" > "$T/events" 2>&1 &
        events=$!
        until_true grep -q '"type":"stats"' "$T/events"
        has "$(cat "$T/events")" "\"limit\":$((32 * MB))"
        n start "$(id_of c)"
        wait $events || fail "events failed: $(cat "$T/events")"
        has "$(cat "$T/events")" "{\"type\":\"oom\",\"id\":\"$(id_of c)\"}"
        n delete "$(id_of c)"
}

# ---- runner ----

leftovers() {
        find $CG -type d -name "vm-$TN-*"
        [ -e $CG/nested ] && echo $CG/nested
}

run_one() {
        TN=$2
        T=/tmp/$1
        mkdir -p "$T"
        (
                set -e
                cd "$T"
                $1
        ) > "$T/log" 2>&1
        status=$?
        for id in $(n list -q 2> /dev/null); do
                n delete -f "$id" >> "$T/log" 2>&1
                [ $status -ne 0 ] || echo "FAIL: container $id left behind" >> "$T/log"
                status=1
        done
        left=$(leftovers)
        if [ -n "$left" ]; then
                echo "FAIL: cgroups left behind: $left" >> "$T/log"
                status=1
        fi
        if [ $status -eq 0 ]; then
                echo "VMTEST ok $1"
        else
                echo "VMTEST not ok $1"
                sed 's/^/VMTEST# /' "$T/log"
        fi
}

prefix=vmtest_
[ "$1" = v1 ] && prefix=v1test_
tn=0
for t in $(grep -o "^${prefix}[a-z0-9_]*" /vm/tests.sh); do
        tn=$((tn + 1))
        case ",$2," in ",all," | *",$t,"*) run_one "$t" "$tn" ;; esac
done
