"""nook ps: the container's processes, from its cgroup (json: host pids; table: the host's ps)."""
import json
import os
import subprocess

import pytest

from conftest import NOOK
from support import wait_for


@pytest.fixture
def two_processes(bundle, tmp_path):
    """A running container with a second process, exec'd by a nook that stays in the
    foreground (and so reaps it: a detached one would be left to the host's pid 1)."""
    bundle.args = ["sleep", "300"]
    bundle.run("-d", check=True)
    pid_file = tmp_path / "exec.pid"
    second = subprocess.Popen([str(NOOK), "--root", bundle.nook.root, "exec", "--pid-file", str(pid_file), bundle.id,
                               "sh", "-c", "echo ready; exec sleep 301"], stdout=subprocess.PIPE, text=True)
    assert second.stdout.readline() == "ready\n"
    # nook writes the pid file once the process runs, which may be after it printed.
    assert wait_for(pid_file.exists)
    yield bundle.state()["pid"], int(pid_file.read_text())
    bundle.kill("KILL")
    second.wait(timeout=10)


def test_ps_json_lists_the_pids_of_the_container(bundle, two_processes):
    init, second = two_processes
    pids = json.loads(bundle.nook("ps", "--format", "json", bundle.id).stdout)
    assert sorted(pids) == sorted([init, second])
    assert os.getpid() not in pids


def test_ps_table_shows_only_the_container_lines(bundle, two_processes):
    init, second = two_processes
    lines = bundle.nook("ps", bundle.id).stdout.splitlines()
    assert lines[0].split()[:3] == ["UID", "PID", "PPID"]
    assert sorted(int(line.split()[1]) for line in lines[1:]) == sorted([init, second])
    assert any(line.endswith("sleep 301") for line in lines[1:])


def test_ps_passes_its_options_to_ps(bundle, two_processes):
    init, second = two_processes
    lines = bundle.nook("ps", bundle.id, "-o", "pid,args").stdout.splitlines()
    assert lines[0].split() == ["PID", "COMMAND"]
    assert sorted(line.split(None, 1) for line in lines[1:]) == sorted([[str(init), "sleep 300"],
                                                                       [str(second), "sleep 301"]])
    p = bundle.nook("ps", bundle.id, "-o", "args", check=False)
    assert p.returncode != 0 and "PID" in p.stderr


def test_ps_of_a_stopped_container_is_empty(bundle):
    bundle.args = ["true"]
    bundle.run("--keep", check=True)
    assert json.loads(bundle.nook("ps", "-f", "json", bundle.id).stdout) == []
    bundle.delete()


@pytest.mark.parametrize("args", [["--format", "yaml"], ["--format", "json", "{id}", "-ef"]])
def test_ps_refuses_bad_arguments(bundle, args):
    bundle.args = ["sleep", "300"]
    bundle.run("-d", check=True)
    args = [a.format(id=bundle.id) for a in args] + ([bundle.id] if "{id}" not in args else [])
    assert bundle.nook("ps", *args, check=False).returncode != 0
