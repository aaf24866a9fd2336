"""podman (Debian's, with conmon) driving nook, unchanged: `podman --runtime <build/nook>`
with a private storage and an image imported from the busybox rootfs (engines.py)."""
import os
import stat

from engines import (IMAGE, NOOK_DEFAULT_ROOT, read_argv_log, run_in_pty, understand_argv, wait_catching,
                     write_argv_logger)
from engines import podman, podman_session  # noqa: F401 (fixtures)
from support import wait_gone


def cap_set(status, name):
    """A capability set of /proc/<pid>/status, as an int."""
    line = next(line for line in status.splitlines() if line.startswith(name + ":"))
    return int(line.split()[1], 16)


CAP_CHOWN = 0
CAP_SYS_ADMIN = 21


def test_run_rm_returns_the_exit_code_and_the_output(podman):
    p = podman.run("--rm", IMAGE, "sh", "-c", "echo out; echo err >&2; exit 3", check=False)
    assert p.returncode == 3, p.stderr
    assert p.stdout == "out\n"
    assert "err" in p.stderr
    assert podman("ps", "-aq").stdout == ""


def test_run_sets_env_workdir_and_user(podman):
    p = podman.run("--rm", "-e", "GREETING=hello there", "-w", "/tmp", "-u", "65534:65534", IMAGE,
                   "sh", "-c", 'echo "$GREETING|$(pwd)|$(id -u):$(id -g)"')
    assert p.stdout == "hello there|/tmp|65534:65534\n"


def test_bind_volume_rw_and_ro(podman, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "from-host").write_text("host data\n")
    p = podman.run("--rm", "-v", f"{shared}:/data", IMAGE, "sh", "-c", "cat /data/from-host; echo c > /data/from-ctr")
    assert p.stdout == "host data\n"
    assert (shared / "from-ctr").read_text() == "c\n"

    p = podman.run("--rm", "-v", f"{shared}:/data:ro", IMAGE, "sh", "-c", "cat /data/from-host; echo x > /data/no",
                   check=False)
    assert p.returncode != 0
    assert p.stdout == "host data\n" and "Read-only file system" in p.stderr
    assert not (shared / "no").exists()


def test_tmpfs_is_a_fresh_tmpfs(podman):
    p = podman.run("--rm", "--tmpfs", "/scratch:size=1m", IMAGE, "sh", "-c",
                   "grep ' /scratch ' /proc/mounts; echo x > /scratch/f && ls /scratch")
    mount, listing = p.stdout.splitlines()[0], p.stdout.splitlines()[1:]
    assert mount.split()[:3] == ["tmpfs", "/scratch", "tmpfs"] and "size=1024k" in mount
    assert listing == ["f"]


def test_read_only_root_keeps_tmp_writable(podman):
    p = podman.run("--rm", "--read-only", IMAGE, "sh", "-c", "touch /x; echo t > /tmp/t && cat /tmp/t", check=False)
    assert "touch: /x: Read-only file system" in p.stderr
    assert p.stdout == "t\n"


def test_hostname(podman):
    assert podman.run("--rm", "--hostname", "nook-box", IMAGE, "hostname").stdout == "nook-box\n"


def test_cap_drop(podman):
    status = podman.run("--rm", "--cap-drop", "CHOWN", IMAGE, "cat", "/proc/self/status").stdout
    assert not cap_set(status, "CapEff") & (1 << CAP_CHOWN)
    assert not cap_set(status, "CapBnd") & (1 << CAP_CHOWN)
    p = podman.run("--rm", "--cap-drop", "all", IMAGE, "sh", "-c", "grep Cap /proc/self/status; chown 1 /tmp",
                   check=False)
    assert all(cap_set(p.stdout, s) == 0 for s in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"))
    assert "Operation not permitted" in p.stderr


def test_no_new_privileges(podman):
    default = podman.run("--rm", IMAGE, "grep", "NoNewPrivs", "/proc/self/status").stdout
    asked = podman.run("--rm", "--security-opt", "no-new-privileges", IMAGE, "grep", "NoNewPrivs",
                       "/proc/self/status").stdout
    assert default.split() == ["NoNewPrivs:", "0"]
    assert asked.split() == ["NoNewPrivs:", "1"]


def host_devices():
    """The device nodes directly in the host's /dev."""
    return {d for d in os.listdir("/dev")
            if stat.S_ISCHR(os.lstat(f"/dev/{d}").st_mode) or stat.S_ISBLK(os.lstat(f"/dev/{d}").st_mode)}


def test_privileged_has_every_capability_and_the_host_devices(podman):
    p = podman.run("--rm", "--privileged", IMAGE, "sh", "-c", "cat /proc/self/status; grep ' /sys ' /proc/mounts")
    with open("/proc/self/status") as f:
        assert cap_set(p.stdout, "CapEff") == cap_set(f.read(), "CapBnd")
    assert " /sys sysfs rw," in p.stdout
    before = host_devices()
    devices = set(podman.run("--rm", "--privileged", IMAGE, "ls", "/dev").stdout.split())
    plain = set(podman.run("--rm", IMAGE, "ls", "/dev").stdout.split())
    # Devices that stayed during the test; /dev/console is the container's own (a pty, or none).
    host = before & host_devices() - {"console"}
    assert host <= devices
    assert host - plain, "the host has no device a plain container lacks"
    status = podman.run("--rm", IMAGE, "cat", "/proc/self/status").stdout
    assert not cap_set(status, "CapEff") & (1 << CAP_SYS_ADMIN)


DAEMON = 'echo started; trap "echo got-term; exit 7" TERM; while :; do sleep 0.1; done'


def pid_of(podman, cid):
    return int(podman("inspect", "--format", "{{.State.Pid}}", cid).stdout)


def start_daemon(podman, *options):
    """`podman run -d` of DAEMON; returns once its trap for SIGTERM is set."""
    cid = podman.run_detached(*options, IMAGE, "sh", "-c", DAEMON)
    wait_catching(pid_of(podman, cid))
    return cid


def test_detached_container_exec_top_logs_stop(podman):
    cid = start_daemon(podman)
    try:
        p = podman("exec", cid, "sh", "-c", "echo in-exec; exit 5", check=False)
        assert (p.returncode, p.stdout) == (5, "in-exec\n")
        p = podman("exec", "-e", "A=b", "-w", "/tmp", "-u", "65534", cid, "sh", "-c", 'echo "$A $(pwd) $(id -u)"')
        assert p.stdout == "b /tmp 65534\n"
        p = podman("exec", "-t", cid, "sh", "-c", "tty; test -t 1 && echo is-a-tty")
        assert p.stdout.replace("\r", "").splitlines() == ["/dev/pts/0", "is-a-tty"]
        top = podman("top", cid, "pid", "args").stdout
        assert "trap" in top and "got-term" in top
        podman("stop", "--time", "20", cid)
        assert podman("inspect", "--format", "{{.State.ExitCode}}", cid).stdout.strip() == "7"
        assert podman("logs", cid).stdout == "started\ngot-term\n"
    finally:
        podman("rm", "--force", "--time", "0", cid)


def test_kill_and_wait(podman):
    cid = start_daemon(podman)
    podman("kill", "--signal", "TERM", cid)
    assert podman("wait", cid).stdout.strip() == "7"
    podman("rm", cid)

    cid = podman.run_detached(IMAGE, "sleep", "300")
    podman("kill", cid)  # SIGKILL
    assert podman("wait", cid).stdout.strip() == "137"
    podman("rm", cid)


def test_rm_force_removes_a_running_container(podman):
    cid = podman.run_detached(IMAGE, "sleep", "300")
    pid = pid_of(podman, cid)
    podman("rm", "--force", "--time", "0", cid)
    assert wait_gone(pid), "the container process is still alive"
    assert podman("ps", "-aq").stdout == ""
    assert not (NOOK_DEFAULT_ROOT / cid).exists()


def test_restart_creates_the_container_again(podman):
    cid = start_daemon(podman)
    podman("restart", "--time", "20", cid)
    wait_catching(pid_of(podman, cid))
    podman("stop", "--time", "20", cid)
    assert podman("logs", cid).stdout == "started\ngot-term\n" * 2
    podman("rm", cid)


def test_exec_failures_give_podman_its_exit_codes(podman):
    # podman reads the runtime's error: "not found" / "no such file" is 127, "permission denied" 126.
    p = podman.run("--rm", IMAGE, "no-such-program", check=False)
    assert p.returncode == 127 and "executable file not found" in p.stderr
    p = podman.run("--rm", IMAGE, "/etc/passwd", check=False)
    assert p.returncode == 126 and "ermission denied" in p.stderr
    cid = podman.run_detached(IMAGE, "sleep", "300")
    try:
        assert podman("exec", cid, "no-such-program", check=False).returncode == 127
        assert podman("exec", cid, "/no/such/path", check=False).returncode == 127
        assert podman("exec", cid, "/etc/passwd", check=False).returncode == 126
    finally:
        podman("rm", "--force", "--time", "0", cid)


def test_interactive_tty(podman):
    argv = podman.argv("run", "--rm", "-it", "--cgroup-parent", podman.cgroup_parent, IMAGE, "sh", "-c",
                       "stty size; tty; read line; echo got:$line; exit 5")
    out, code = run_in_pty(argv, podman.env, [("/dev/pts/0", "hello\r")], rows=33, cols=111)
    assert code == 5, out
    lines = out.replace("\r", "").splitlines()
    assert lines[:2] == ["33 111", "/dev/pts/0"]
    assert "got:hello" in lines


def podman_with_fd_3(podman, text, *args):
    """Runs podman with a pipe holding text as its fd 3."""
    read_end, write_end = os.pipe()
    os.write(write_end, text.encode())
    os.close(write_end)
    try:
        return podman(*args, pass_fds=(read_end, 3), preexec_fn=lambda: os.dup2(read_end, 3))
    finally:
        os.close(read_end)


def test_stdin_and_preserved_fds(podman):
    assert podman.run("--rm", "-i", IMAGE, "cat", input="through stdin\n").stdout == "through stdin\n"
    p = podman_with_fd_3(podman, "to run\n", "run", "--rm", "--cgroup-parent", podman.cgroup_parent,
                         "--preserve-fds", "1", IMAGE, "cat", "/proc/self/fd/3")
    assert p.stdout == "to run\n"
    cid = podman.run_detached(IMAGE, "sleep", "300")
    try:
        p = podman_with_fd_3(podman, "to exec\n", "exec", "--preserve-fds", "1", cid, "cat", "/proc/self/fd/3")
        assert p.stdout == "to exec\n"
    finally:
        podman("rm", "--force", "--time", "0", cid)


def test_default_seccomp_profile_is_loaded(podman):
    confined = podman.run("--rm", IMAGE, "grep", "^Seccomp:", "/proc/self/status").stdout
    unconfined = podman.run("--rm", "--security-opt", "seccomp=unconfined", IMAGE, "grep", "^Seccomp:",
                            "/proc/self/status").stdout
    assert confined.split() == ["Seccomp:", "2"]
    assert unconfined.split() == ["Seccomp:", "0"]
    # The profile refuses what it does not list (io_uring) with ENOSYS.
    syscall = ["nook-test-helper", "syscall", "io_uring_setup", "1", "0"]
    p = podman.run("--rm", IMAGE, *syscall, check=False)
    assert p.stdout == "syscall: ENOSYS\n"
    p = podman.run("--rm", "--security-opt", "seccomp=unconfined", IMAGE, *syscall, check=False)
    assert p.stdout.startswith("syscall: ") and p.stdout != "syscall: ENOSYS\n"


def cgroup_file(pid, controller, name):
    """A cgroup v1 file of a process, read from the host."""
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            if controller in controllers.split(","):
                with open(f"/sys/fs/cgroup/{controllers}{path}/{name}") as value:
                    return value.read().strip()
    raise AssertionError(f"no {controller} hierarchy for {pid}")


def test_resource_limits_and_pause(podman):
    cid = podman.run_detached("--memory", "64m", "--pids-limit", "100", "--cpu-shares", "512", IMAGE, "sleep", "300")
    try:
        pid = pid_of(podman, cid)
        assert cgroup_file(pid, "memory", "memory.limit_in_bytes") == str(64 << 20)
        assert cgroup_file(pid, "pids", "pids.max") == "100"
        assert cgroup_file(pid, "cpu", "cpu.shares") == "512"
        podman("pause", cid)
        assert podman("inspect", "--format", "{{.State.Status}}", cid).stdout.strip() == "paused"
        assert cgroup_file(pid, "freezer", "freezer.state") == "FROZEN"
        podman("unpause", cid)
        assert cgroup_file(pid, "freezer", "freezer.state") == "THAWED"
        assert podman("exec", cid, "true", check=False).returncode == 0
    finally:
        podman("rm", "--force", "--time", "0", cid)
    # podman's default: 2048 pids.
    p = podman.run("--rm", IMAGE, "sh", "-c", "cat /sys/fs/cgroup/pids/pids.max")
    assert p.stdout.strip() == "2048"


def test_init_runs_catatonit_as_pid_1(podman):
    p = podman.run("--rm", "--init", IMAGE, "sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline; echo; echo $PPID")
    cmdline, ppid = p.stdout.splitlines()
    assert cmdline.split()[:2] == ["/run/podman-init", "--"]
    assert ppid == "1"


def test_host_namespaces(podman):
    namespaces = "for n in pid ipc uts; do readlink /proc/self/ns/$n; done"
    script = f"{namespaces}; hostname; test -d /proc/{os.getpid()}"
    p = podman.run("--rm", "--pid=host", "--ipc=host", "--uts=host", IMAGE, "sh", "-c", script)
    host = [os.readlink(f"/proc/self/ns/{kind}") for kind in ("pid", "ipc", "uts")]
    assert p.stdout.splitlines() == host + [os.uname().nodename]
    own = podman.run("--rm", IMAGE, "sh", "-c", namespaces)
    assert not set(own.stdout.splitlines()) & set(host)


def test_timeout_ends_the_container(podman):
    # conmon kills its own process group at --timeout: the container, in a session of its
    # own as with runc, lives on until podman deletes it through nook.
    p = podman.run("--rm", "--timeout", "1", IMAGE, "sleep", "300", check=False, timeout=60)
    assert p.returncode != 0
    assert podman("ps", "-aq").stdout == ""


def test_everything_podman_passes_nook_understands(podman, tmp_path):
    log = tmp_path / "argv.log"
    logged = podman.with_runtime(write_argv_logger(tmp_path / "nook", log))
    logged.run("--rm", IMAGE, "true")
    logged.run("--rm", "-t", IMAGE, "true")
    cid = start_daemon(logged)
    logged("exec", cid, "true")
    logged("exec", "-t", cid, "true")
    logged("pause", cid)
    logged("unpause", cid)
    logged("stop", "--time", "20", cid)
    logged("rm", cid)
    cid = logged.run_detached("--pid=host", IMAGE, "sleep", "300")
    logged("rm", "--force", "--time", "0", cid)

    seen = {}
    for argv in read_argv_log(log):
        global_flags, command, options = understand_argv(argv)
        seen.setdefault(command, set()).update(global_flags + options)
    # podman's shapes: no --root; JSON logs as `--log-format=json --log FILE`.
    assert all("--root" not in flags for flags in seen.values())
    assert {"create", "start", "exec", "pause", "resume", "kill", "delete"} <= set(seen)
    assert {"--log-format", "--log", "--bundle", "--pid-file", "--console-socket"} <= seen["create"]
    assert {"--process", "--detach", "--pid-file", "--tty", "--console-socket"} <= seen["exec"]
    assert "--all" in seen["kill"] and "--force" in seen["delete"]
    assert any(a.startswith("--log-format=json") for a in read_argv_log(log)[0])
