"""Behaviours of runc 1.1.5 that scripts and engines written for runc rely on
(found by running runc's own integration suite against nook): options after
the container id, exec's exit codes and states, signal 0, exec's sub-cgroups,
and the seccomp filter's answer to system calls newer than the profile."""
import json
import os
import pathlib
import subprocess

import pytest

from conftest import NOOK
from rootless_support import (  # noqa: F401 (fixtures)
    rbundle, rootless_area, rootless_config, rootless_nook, rootless_user)
from support import wait_for


# ---- options after the container id (urfave/cli moves them to the front) ----

def test_update_takes_options_after_the_id(bundle):
    bundle.args = ["sleep", "300"]
    bundle.run("-d", check=True)
    p = bundle.nook("update", bundle.id, "--pids-limit", "42", check=False)
    assert p.returncode == 0, p.stderr
    out = bundle.nook("exec", bundle.id, "cat", "/sys/fs/cgroup/pids/pids.max", check=False).stdout
    assert out.strip() == "42"


def test_delete_takes_force_after_the_id(bundle):
    bundle.args = ["sleep", "300"]
    bundle.run("-d", check=True)
    p = bundle.nook("delete", bundle.id, "--force", check=False)
    assert p.returncode == 0, p.stderr
    assert bundle.id not in bundle.nook.list_ids()


def test_kill_takes_all_after_the_signal(bundle):
    bundle.args = ["sleep", "300"]
    bundle.run("-d", check=True)
    p = bundle.nook("kill", bundle.id, "KILL", "--all", check=False)
    assert p.returncode == 0, p.stderr
    bundle.nook("delete", bundle.id, "-f")


@pytest.mark.parametrize("command", ["create", "run"])
def test_create_and_run_take_options_after_the_id(bundle, command):
    bundle.args = ["sleep", "300"]
    bundle.write()
    options = ["--bundle", bundle.path] + (["-d"] if command == "run" else [])
    with open(bundle.path / "out", "w") as out:
        p = bundle.nook(command, bundle.id, *options, check=False, capture_output=False,
                        stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    assert p.returncode == 0, (bundle.path / "out").read_text()
    assert bundle.state()["status"] == ("created" if command == "create" else "running")
    bundle.nook("delete", bundle.id, "--force")


def test_exec_arguments_after_the_id_stay_the_programs(bundle):
    # runc's exec does not reorder (SkipArgReorder): `exec ID echo --cwd /x` runs echo.
    bundle.args = ["sleep", "300"]
    bundle.run("-d", check=True)
    p = bundle.nook("exec", bundle.id, "echo", "--cwd", "/x", "-t", check=False)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "--cwd /x -t\n"


# ---- exec: exit codes and the states it accepts ----

def running(bundle):
    bundle.args = ["sleep", "300"]
    bundle.run("-d", check=True)
    return bundle.state()["pid"]


@pytest.mark.parametrize("case", ["missing program", "missing container", "bad pid file", "paused container"])
def test_exec_failures_of_nook_exit_255(bundle, tmp_path, case):
    # runc exits 255 when exec itself fails, so that callers tell it from the program's codes.
    running(bundle)
    cid, options, program = bundle.id, [], ["true"]
    if case == "missing program":
        program = ["no-such-program"]
    elif case == "missing container":
        cid = "no-such-container"
    elif case == "bad pid file":
        options = ["--pid-file", tmp_path / "missing-dir" / "pid"]
    else:
        bundle.nook("pause", bundle.id)
    p = bundle.nook("exec", *options, cid, *program, check=False)
    assert p.returncode == 255, p.stderr
    assert len(p.stderr.splitlines()) == 1
    if case == "paused container":
        assert "paused" in p.stderr
        bundle.nook("resume", bundle.id)


def test_exec_returns_the_programs_code_and_1_for_bad_usage(bundle):
    running(bundle)
    assert bundle.nook("exec", bundle.id, "sh", "-c", "exit 7", check=False).returncode == 7
    assert bundle.nook("exec", bundle.id, "sh", "-c", "exit 255", check=False).returncode == 255
    assert bundle.nook("exec", "--no-such-option", bundle.id, "true", check=False).returncode == 1


def test_exec_into_a_created_container_joins_its_namespaces_and_cgroup(bundle):
    bundle.args = ["sh", "-c", "echo started"]
    bundle.create()
    init = bundle.state()["pid"]
    p = bundle.nook("exec", bundle.id, "sh", "-c", "echo $$; readlink /proc/self/ns/pid; readlink /proc/self/ns/mnt; "
                    "cat /proc/self/cgroup; echo --; cat /proc/1/cgroup", check=False)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert int(lines[0]) > 1  # pid 1 of the container is the waiting init
    assert lines[1:3] == [os.readlink(f"/proc/{init}/ns/{kind}") for kind in ("pid", "mnt")]
    mine, theirs = "\n".join(lines[3:]).split("\n--\n")
    assert mine == theirs
    # The container still starts as it would have.
    assert bundle.state()["status"] == "created"
    bundle.start()
    assert wait_for(lambda: "started" in bundle.output())


def test_exec_into_a_created_rootless_container_says_why_it_cannot(rbundle):
    # runc's waiting init is dumpable, nook's is not until its execve (it is nook's own
    # process until then): an unprivileged caller cannot join it before start, and is told so.
    rbundle.args = ["sh", "-c", "echo started"]
    rbundle.create()
    p = rbundle.nook("exec", rbundle.id, "true", check=False)
    assert p.returncode == 255
    assert "before start" in p.stderr and "CAP_SYS_PTRACE" in p.stderr
    rbundle.start()
    assert wait_for(lambda: "started" in rbundle.output())
    rbundle.delete("--force")


def test_exec_ignore_paused_runs_once_resumed(bundle):
    init = running(bundle)
    bundle.nook("pause", bundle.id)
    cgroup_procs = pids_cgroup_procs(init)
    proc = subprocess.Popen([str(NOOK), "--root", bundle.nook.root, "exec", "--ignore-paused", bundle.id,
                             "echo", "ran"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # The exec's process joins the frozen cgroup and waits there, as with runc.
        assert wait_for(lambda: len(cgroup_procs.read_text().split()) > 1 or proc.poll() is not None)
        assert proc.poll() is None, proc.stderr.read()
    finally:
        bundle.nook("resume", bundle.id)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out == "ran\n"


def pids_cgroup_procs(pid):
    line = next(line for line in pathlib.Path(f"/proc/{pid}/cgroup").read_text().splitlines()
                if line.split(":")[1] == "pids")
    return pathlib.Path("/sys/fs/cgroup/pids") / line.split(":", 2)[2].lstrip("/") / "cgroup.procs"


# ---- kill ----

def test_kill_0_says_whether_the_container_is_alive(bundle):
    running(bundle)
    p = bundle.nook("kill", bundle.id, "0", check=False)
    assert p.returncode == 0, p.stderr
    assert bundle.state()["status"] == "running"
    bundle.nook("kill", bundle.id, "KILL")
    assert wait_for(lambda: bundle.state()["status"] == "stopped")
    p = bundle.nook("kill", bundle.id, "0", check=False)
    assert p.returncode != 0 and "not running" in p.stderr


# ---- exec --cgroup ----

@pytest.mark.parametrize("where", ["/", "pids:/", "cpu,pids:/"])
def test_exec_cgroup_slash_is_the_containers_own(bundle, where):
    running(bundle)
    own = bundle.nook("exec", bundle.id, "cat", "/proc/self/cgroup").stdout
    p = bundle.nook("exec", "--cgroup", where, bundle.id, "cat", "/proc/self/cgroup", check=False)
    assert p.returncode == 0, p.stderr
    assert p.stdout == own


def test_exec_cgroup_path_with_a_leading_slash_is_below_the_containers(bundle):
    init = running(bundle)
    sub = pids_cgroup_procs(init).parent / "sub"
    sub.mkdir()
    try:
        p = bundle.nook("exec", "--cgroup", "pids:/sub", bundle.id, "cat", "/proc/self/cgroup", check=False)
        assert p.returncode == 0, p.stderr
        assert [line.split(":", 2)[2] for line in p.stdout.splitlines() if line.split(":")[1] == "pids"] == ["/sub"]
    finally:
        sub.rmdir()


# ---- seccomp: calls newer than the profile answer ENOSYS ----

@pytest.fixture(scope="module")
def default_profile(tmp_path_factory):
    d = tmp_path_factory.mktemp("spec")
    subprocess.run([str(NOOK), "spec", "--bundle", str(d)], check=True)
    return json.loads((d / "config.json").read_text())["linux"]["seccomp"]


# 467 (open_tree_attr, Linux 6.15) is newer than every call nook's profile names that
# libseccomp knows; 1000 is no call at all. kexec_load is old, and the profile denies it.
@pytest.mark.parametrize("call,answer", [("467", "ENOSYS"), ("1000", "ENOSYS"), ("kexec_load", "EPERM"),
                                         ("getppid", "ok")])
def test_default_profile_answers_enosys_for_calls_newer_than_it(bundle, default_profile, call, answer):
    # Docker's and podman's profiles (nook spec's is alike) deny with EPERM what they do not
    # name; glibc falls back from a new call (clone3 → clone …) only on ENOSYS.
    bundle.config["linux"]["seccomp"] = default_profile
    bundle.args = ["nook-test-helper", "syscall", call]
    p = bundle.run()
    assert p.stdout.strip() == ("ok" if answer == "ok" else f"syscall: {answer}"), p.stderr


def test_start_container_hooks_run_under_the_containers_seccomp_filter(bundle):
    # runc runs them from its init once the filter is loaded: a hook in the container gets
    # no call the container's program is denied.
    bundle.config["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW",
                                         "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO"}]}
    bundle.config["hooks"] = {"startContainer": [
        {"path": "/bin/sh", "args": ["sh", "-c", "nook-test-helper syscall getcwd; true"], "env": ["PATH=/bin"]}]}
    p = bundle.run()
    assert p.returncode == 0, p.stderr
    assert "syscall: EPERM" in p.stderr
