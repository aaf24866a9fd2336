"""Behaviours of runc 1.1.5 that scripts and engines written for runc rely on
(found by running runc's own integration suite against nook): options after
the container id, exec's exit codes and states, signal 0, exec's sub-cgroups,
and the seccomp filter's answer to system calls newer than the profile."""
import json
import subprocess

import pytest


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
