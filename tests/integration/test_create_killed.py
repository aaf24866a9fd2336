"""A create killed with SIGKILL at any moment leaves nothing `delete -f` cannot
remove, and an init whose creator died before the state was saved exits on its
own; a created init waiting for `start` holds nothing of nook's."""
import os
import pathlib
import shutil
import signal
import subprocess

import pytest

from conftest import NOOK, processes_in_cgroups
from support import wait_for

needs_strace = pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")


def traced_create(bundle, syscall, when):
    """`nook create` under strace, its when-th call of syscall held 8 s (only nook
    itself is traced, not its children); returns strace's Popen and nook's pid.
    (No seccomp profile: its compiled-filter cache would add a renameat.)"""
    bundle.config["linux"].pop("seccomp", None)
    bundle.write()
    cmd = ["strace", "-qq", "-o", "/dev/null", "-e", f"trace={syscall}",
           "-e", f"inject={syscall}:delay_enter=8000000:when={when}",
           str(NOOK), "--root", bundle.nook.root, "create", "--bundle", str(bundle.path), bundle.id]
    tracer = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children = pathlib.Path(f"/proc/{tracer.pid}/task/{tracer.pid}/children")
    assert wait_for(lambda: children.read_text().split() != [], timeout=10)
    return tracer, int(children.read_text().split()[0])


def kill_and_reap(tracer, pid):
    os.kill(pid, signal.SIGKILL)
    tracer.wait(timeout=30)


@needs_strace
def test_init_of_a_create_killed_before_its_state_was_saved_exits_on_its_own(bundle):
    bundle.args = ["sleep", "100"]
    # renameat: 1st the planned state, 2nd the config (while the init sets itself up, as the
    # final state is staged), 3rd the final state put in place, once the init is ready.
    tracer, pid = traced_create(bundle, "renameat", 3)
    state_dir = pathlib.Path(bundle.nook.root) / bundle.id
    pending = lambda: state_dir.is_dir() and any(f.name.startswith(".state.json.") for f in state_dir.iterdir())
    assert wait_for(pending, timeout=20)
    inits = processes_in_cgroups([bundle.id])
    assert len(inits) == 1
    kill_and_reap(tracer, pid)
    # Its creator gone without a word, the init reads EOF where COMMITTED would have come.
    assert wait_for(lambda: processes_in_cgroups([bundle.id]) == [], timeout=10)
    assert bundle.nook("state", bundle.id).returncode == 0
    bundle.delete("--force")
    assert not state_dir.exists()


@needs_strace
def test_create_killed_after_its_cgroup_exists_is_removed_by_delete_force(bundle):
    bundle.args = ["sleep", "100"]
    # clone3 comes after the planned state is saved and the cgroup made.
    tracer, pid = traced_create(bundle, "clone3", 1)
    state = pathlib.Path(bundle.nook.root) / bundle.id / "state.json"
    assert wait_for(state.exists, timeout=20)
    cgroups = [d for top, dirs, _ in os.walk("/sys/fs/cgroup") for d in dirs if d == bundle.id]
    assert cgroups, "the cgroup was made before clone3"
    # Meanwhile the container counts as being created, and only --force deletes it.
    assert "creating" in bundle.nook("state", bundle.id).stdout
    refused = bundle.nook("delete", bundle.id, check=False)
    assert refused.returncode != 0 and "creating" in refused.stderr
    kill_and_reap(tracer, pid)
    assert '"stopped"' in bundle.nook("state", bundle.id).stdout.replace(" ", "")
    bundle.delete("--force")
    # (The autouse check then finds no cgroup named after it.)


def test_created_init_holds_only_its_stdio_and_the_start_socket(bundle, tmp_path):
    bundle.args = ["sleep", "100"]
    stray = open(tmp_path / "stray", "w")
    try:
        # An fd of the caller's that nook inherits (not one of --preserve-fds).
        bundle.create(pass_fds=[stray.fileno()])
    finally:
        stray.close()
    pid = int(bundle.state()["pid"])
    fds = {int(fd): os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
    beyond_stdio = {fd: target for fd, target in fds.items() if fd > 2}
    assert len(beyond_stdio) == 1 and list(beyond_stdio.values())[0].startswith("socket:"), fds
    bundle.delete("--force")
