# Helpers of the real-host scenarios (sourced before a scenario by the driver, `run`).
# The environment: RUNTIME (runc, crun, nook), RUNTIME_PATH (its binary in the VM), STATE (a
# directory kept across the checks of one scenario and runtime), NOOK_REALHOST_LSM: how the
# runtime meets LSM labels (on: the engines' defaults; unconfined: the engines are asked for
# the unconfined profile; off: this boot has AppArmor off, the engines send no label).

IMAGE=localhost/busybox:realhost
MB=1048576
# How the scenario's systemd manager is asked (rootless: the user manager).
SYSTEMCTL=systemctl

fail() {
        echo "FAIL: $*"
        exit 1
}

eq() {
        [ "$1" = "$2" ] || fail "${3:-value}: expected '$2', got '$1'"
}

has() {
        case "$1" in *"$2"*) ;; *) fail "${3:-output} has no '$2': $1" ;; esac
}

# until_true CMD...: runs CMD until it succeeds, for up to 60 s.
until_true() {
        n=0
        until "$@"; do
                n=$((n + 1))
                [ $n -lt 300 ] || fail "still false after 60 s: $*"
                sleep 0.2
        done
}

# status CMD...: CMD's exit status, whatever it is.
status() {
        set +e
        "$@" > "$STATE/status.out" 2>&1
        echo $?
        set -e
}

save() {
        echo "$2" > "$STATE/$1"
}

load() {
        cat "$STATE/$1"
}

# need NAME...: what earlier checks saved is there.
need() {
        for name in "$@"; do
                [ -e "$STATE/$name" ] || fail "nothing saved as $name: an earlier check failed"
        done
}

# lsm_opts: the engine options (podman, docker) that ask for the unconfined profile.
lsm_opts() {
        [ "$NOOK_REALHOST_LSM" = unconfined ] && echo "--security-opt apparmor=unconfined"
        true
}

# expect_apparmor LABEL PROFILE_PREFIX: the label a container process runs under, as
# NOOK_REALHOST_LSM says.
expect_apparmor() {
        case "$NOOK_REALHOST_LSM" in
        unconfined) eq "$1" unconfined "AppArmor label (asked for unconfined)" ;;
        off)
                eq "$(cat /sys/module/apparmor/parameters/enabled)" N "AppArmor enabled (booted with it off)"
                case "$1" in *"(enforce)"*) fail "an AppArmor label with AppArmor off: $1" ;; esac
                ;;
        *)
                has "$1" "$2" "AppArmor label"
                has "$1" "(enforce)" "AppArmor mode"
                ;;
        esac
}

# cgroup_of PID: the process's cgroup2 path.
cgroup_of() {
        sed -n 's/^0:://p' "/proc/$1/cgroup"
}

# unit_is UNIT PROPERTY VALUE
unit_is() {
        eq "$($SYSTEMCTL show -P "$2" "$1")" "$3" "$1 $2"
}

# gone_unit UNIT: the unit is not loaded, or loaded but inactive.
gone_unit() {
        state=$($SYSTEMCTL show -P LoadState,ActiveState "$1" | tr '\n' ' ')
        case "$state" in "not-found inactive "* | "loaded inactive "*) return 0 ;; esac
        return 1
}

# limits_in_cgroup PID MEMORY PIDS: the limits in the process's cgroup files.
limits_in_cgroup() {
        cg=/sys/fs/cgroup$(cgroup_of "$1")
        eq "$(cat "$cg/memory.max")" "$2" "$cg/memory.max"
        eq "$(cat "$cg/pids.max")" "$3" "$cg/pids.max"
}

# nothing_left PATTERN...: no unit and no cgroup directory whose name matches a shell
# PATTERN (libpod-*, docker-*...); fails naming what is left.
nothing_left() {
        left=""
        for p in "$@"; do
                units=$($SYSTEMCTL list-units --all --plain --no-legend "$p" | awk '{print $1}' | tr '\n' ' ')
                [ -z "$units" ] || left="$left units: $units;"
                dirs=$(find /sys/fs/cgroup -type d -name "$p" | tr '\n' ' ')
                [ -z "$dirs" ] || left="$left cgroups: $dirs;"
        done
        [ -z "$left" ] || fail "left behind:$left"
}
