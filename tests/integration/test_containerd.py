"""containerd (Debian's, with its runc shim) driving nook, unchanged: a containerd of the
test's own and `ctr run --runc-binary <build/nook>` with an image imported from an OCI
archive made from the busybox rootfs (engines.py)."""
import os
import re

from engines import (CGROUP_ROOT, IMAGE, read_argv_log, run_in_pty, understand_argv, unique, wait_catching,
                     write_argv_logger)
from engines import containerd, containerd_session  # noqa: F401 (fixtures)
from support import wait_for, wait_gone

DAEMON = 'trap "exit 7" TERM; while :; do sleep 0.1; done'


def start_task(containerd, *command, runtime=None):
    """`ctr run -d` of a new container; returns its id and the host pid of its init (for
    DAEMON, once its trap for SIGTERM is set)."""
    cid = unique("nt")
    containerd.run("--detach", "--null-io", IMAGE, cid, *command, runtime=runtime)
    pid = containerd.tasks()[cid][0]
    if command[-1] == DAEMON:
        wait_catching(pid)
    return cid, pid


def wait_stopped(containerd, cid, pid):
    """Waits for the init to end (a pidfd), then for the shim to have seen it."""
    assert wait_gone(pid, 30), "the task did not end"
    assert wait_for(lambda: containerd.tasks()[cid][1] == "STOPPED"), containerd.tasks()


def delete_task(containerd, cid):
    """`ctr task delete`, then the container; returns the task's exit code (ctr warns of a
    non-zero one)."""
    p = containerd.ctr("task", "delete", cid)
    containerd.ctr("container", "delete", cid)
    match = re.search(r"exit with non-zero exit code (\d+)", p.stderr)
    return int(match.group(1)) if match else 0


def test_run_rm_returns_the_exit_code_and_the_output(containerd):
    p = containerd.run("--rm", IMAGE, unique("nt"), "sh", "-c", "echo out; exit 3", check=False)
    assert (p.returncode, p.stdout) == (3, "out\n"), p.stderr
    assert containerd.ctr("container", "ls", "--quiet").stdout == ""


def test_detached_task_exec_ps_kill_delete(containerd):
    cid, pid = start_task(containerd, "sh", "-c", DAEMON)
    assert containerd.tasks()[cid] == (pid, "RUNNING")

    p = containerd.exec("--exec-id", "e1", cid, "sh", "-c", "echo in-exec $(id -u); exit 4", check=False)
    assert (p.returncode, p.stdout) == (4, "in-exec 0\n"), p.stderr
    p = containerd.exec("--exec-id", "e2", "--cwd", "/tmp", "--user", "65534", cid, "sh", "-c", 'echo "$(pwd) $(id -u)"')
    assert p.stdout == "/tmp 65534\n"

    ps = containerd.ctr("task", "ps", cid).stdout.split()
    assert ps[:2] == ["PID", "INFO"] and str(pid) in ps[2:]

    containerd.ctr("task", "kill", cid)  # SIGTERM, trapped: exit 7
    wait_stopped(containerd, cid, pid)
    assert delete_task(containerd, cid) == 7


def test_kill_all_reaches_every_process(containerd):
    cid, pid = start_task(containerd, "sh", "-c", "sleep 300 & sleep 300 & wait")
    containerd.ctr("task", "kill", "--all", "--signal", "KILL", cid)
    wait_stopped(containerd, cid, pid)
    assert delete_task(containerd, cid) == 137


def test_task_delete_force_of_a_running_task(containerd):
    cid, pid = start_task(containerd, "sleep", "300")
    containerd.ctr("task", "delete", "--force", cid)
    containerd.ctr("container", "delete", cid)
    assert not os.path.exists(f"/proc/{pid}/cgroup")


def cgroup_file(containerd, cid, controller, name):
    return (CGROUP_ROOT / controller / containerd.cgroup(cid).lstrip("/") / name).read_text().strip()


def test_limits_pause_and_resume(containerd):
    cid = unique("nt")
    containerd.run("--detach", "--null-io", "--memory-limit", str(64 << 20), IMAGE, cid, "sleep", "300")
    pid = containerd.tasks()[cid][0]
    assert cgroup_file(containerd, cid, "memory", "memory.limit_in_bytes") == str(64 << 20)
    assert cgroup_file(containerd, cid, "cpu", "cpu.shares") == "1024"  # ctr's default
    containerd.ctr("task", "pause", cid)
    assert containerd.tasks()[cid][1] == "PAUSED"
    assert cgroup_file(containerd, cid, "freezer", "freezer.state") == "FROZEN"
    containerd.ctr("task", "resume", cid)
    assert containerd.tasks()[cid][1] == "RUNNING"
    assert cgroup_file(containerd, cid, "freezer", "freezer.state") == "THAWED"
    containerd.ctr("task", "kill", "--signal", "KILL", cid)
    wait_stopped(containerd, cid, pid)
    assert delete_task(containerd, cid) == 137


def test_errors_come_back_through_the_json_log(containerd):
    # The shim reports the last {"level":"error"} line nook wrote to --log.
    p = containerd.run("--rm", IMAGE, unique("nt"), "no-such-program", check=False)
    assert p.returncode != 0
    assert 'OCI runtime create failed: exec: "no-such-program": executable file not found in $PATH' in p.stderr
    cid, pid = start_task(containerd, "sleep", "300")
    p = containerd.exec("--exec-id", "bad", cid, "/no/such/program", check=False)
    assert p.returncode != 0
    assert "OCI runtime exec failed" in p.stderr and "no such file or directory" in p.stderr.lower()
    containerd.ctr("task", "kill", "--signal", "KILL", cid)
    wait_stopped(containerd, cid, pid)
    assert delete_task(containerd, cid) == 137


def test_tty_for_run_and_exec(containerd):
    # ctr sets the window size only once the task runs, so the program may see 0x0 first.
    out, code = run_in_pty(containerd.run_argv("--rm", "--tty", IMAGE, unique("nt"), "sh", "-c", "tty; exit 4"),
                           os.environ, [])
    assert code == 4, out
    assert out.replace("\r", "").splitlines() == ["/dev/pts/0"]

    cid, pid = start_task(containerd, "sleep", "300")
    argv = containerd.ctr_argv("task", "exec", "--fifo-dir", containerd.fifo_dir, "--tty", "--exec-id", "t", cid,
                               "sh", "-c", "tty; read line; echo got:$line")
    out, code = run_in_pty(argv, os.environ, [("/dev/pts/", "hello\r")])
    assert code == 0, out
    assert "got:hello" in out.replace("\r", "")
    containerd.ctr("task", "kill", "--signal", "KILL", cid)
    wait_stopped(containerd, cid, pid)
    assert delete_task(containerd, cid) == 137


def test_everything_the_shim_passes_nook_understands(containerd, tmp_path):
    log = tmp_path / "argv.log"
    runtime = write_argv_logger(tmp_path / "nook", log)
    containerd.run("--rm", IMAGE, unique("nt"), "true", runtime=runtime)
    cid, pid = start_task(containerd, "sh", "-c", DAEMON, runtime=runtime)
    containerd.exec("--exec-id", "e", cid, "true")
    containerd.ctr("task", "ps", cid)
    containerd.ctr("task", "pause", cid)
    containerd.ctr("task", "resume", cid)
    containerd.ctr("task", "kill", "--all", cid)
    wait_stopped(containerd, cid, pid)
    assert delete_task(containerd, cid) == 7

    argvs = read_argv_log(log)
    seen = {}
    for argv in argvs:
        global_flags, command, options = understand_argv(argv)
        seen.setdefault(command, set()).update(global_flags + options)
    # The shim's shapes: its own --root, and `--log FILE --log-format json` in two words.
    assert all({"--root", "--log", "--log-format"} <= flags for flags in seen.values())
    assert all(argv[argv.index("--log-format") + 1] == "json" for argv in argvs)
    assert {"create", "start", "exec", "ps", "pause", "resume", "kill", "delete"} <= set(seen)
    assert {"--bundle", "--pid-file"} <= seen["create"]
    assert {"--process", "--detach", "--pid-file"} <= seen["exec"]
    assert "--format" in seen["ps"] and "--all" in seen["kill"] and "--force" in seen["delete"]
