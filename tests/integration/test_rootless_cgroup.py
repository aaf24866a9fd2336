"""Rootless cgroups: none without delegation (the container stays in the
user's cgroup, and a limit is then an error, as with runc); with a cgroup2
subtree root delegated to the user (the directory and its cgroup.procs chowned),
nook makes the container's cgroup there and uses it for ps, exec, kill and delete.
This host's cgroup2 (at /sys/fs/cgroup/unified) holds only hugetlb; its core
files (cgroup.procs, cgroup.freeze) work all the same."""
import json
import os
import pathlib
import subprocess
import uuid

import pytest

from conftest import NOOK
from rootless_support import (  # noqa: F401 (fixtures)
    rbundle, rootless_area, rootless_config, rootless_nook, rootless_user)
from support import sh_lines, wait_gone

UNIFIED = pathlib.Path("/sys/fs/cgroup/unified")


def procs(cgroup):
    return [int(p) for p in (cgroup / "cgroup.procs").read_text().split()]


@pytest.fixture
def delegated(rootless_user, rootless_nook):
    """A cgroup2 directory delegated to the user, with a leaf the user's nook runs in;
    nook is started there (root moves the shell that becomes it)."""
    if not (UNIFIED / "cgroup.procs").exists():
        pytest.skip("no cgroup2 hierarchy on this host")
    top = UNIFIED / ("nkr-" + uuid.uuid4().hex[:8])
    leaf = top / "caller"
    top.mkdir()
    leaf.mkdir()
    for d in (top, leaf):
        for f in ("", "cgroup.procs", "cgroup.threads", "cgroup.subtree_control"):
            os.chown(d / f if f else d, rootless_user.uid, rootless_user.gid)
    rootless_nook.prefix = ["sh", "-c", f'echo $$ > {leaf}/cgroup.procs && exec "$@"', "sh"] + rootless_nook.prefix
    yield top
    for cid in rootless_nook.list_ids():
        rootless_nook("delete", "--force", cid, check=False)
    for child in sorted(top.rglob("*"), reverse=True):
        if child.is_dir():
            child.rmdir()
    top.rmdir()


def test_delegated_cgroup_holds_the_container(rbundle, delegated):
    rbundle.args = ["sleep", "100"]
    rbundle.run("-d", check=True)
    init = rbundle.state()["pid"]
    cgroup = delegated / rbundle.id
    assert procs(cgroup) == [init]
    # Inside, its own cgroup namespace: the delegated directory is its root.
    out = sh_lines(rbundle.nook("exec", rbundle.id, "cat", "/proc/self/cgroup"))
    assert "0::/" in out
    assert "cgroup2" in rbundle.nook("exec", rbundle.id, "grep", " /sys/fs/cgroup ", "/proc/self/mountinfo").stdout
    assert json.loads(rbundle.nook("ps", "--format", "json", rbundle.id).stdout) == [init]
    rbundle.delete("--force")
    assert not cgroup.exists()


def test_exec_joins_the_delegated_cgroup(rbundle, delegated):
    rbundle.args = ["sleep", "100"]
    rbundle.run("-d", check=True)
    init = rbundle.state()["pid"]
    out = rbundle.nook("exec", rbundle.id, "cat", "/sys/fs/cgroup/cgroup.procs").stdout.split()
    # The init (pid 1 inside) and cat itself.
    assert len(out) == 2 and "1" in out
    assert init in procs(delegated / rbundle.id)
    rbundle.delete("--force")


def test_kill_all_reaches_every_process_of_the_cgroup(rbundle, delegated):
    # The init, pid 1 inside, ignores TERM (it has no handler); its child does not.
    rbundle.args = ["sh", "-c", "sleep 100 & wait; echo child-ended"]
    rbundle.run("-d", check=True)
    init = rbundle.state()["pid"]
    cgroup = delegated / rbundle.id
    assert len(procs(cgroup)) == 2
    rbundle.kill("TERM", "--all")
    assert wait_gone(init)
    assert rbundle.output() == "child-ended\n"
    rbundle.delete()
    assert not cgroup.exists()


def test_without_delegation_the_container_stays_in_the_users_cgroup(rbundle, rootless_user):
    rbundle.args = ["sleep", "100"]
    rbundle.create()
    state = json.loads(open(os.path.join(rbundle.nook.root, rbundle.id, "state.json")).read())
    assert not state.get("cgroup")
    pid = state["pid"]
    # Its cgroup on the host is the caller's (no directory named after it anywhere).
    caller = subprocess.run(rootless_user.prefix() + ["cat", "/proc/self/cgroup"], capture_output=True,
                            text=True).stdout
    assert open(f"/proc/{pid}/cgroup").read() == caller
    rbundle.delete("--force")


def test_limits_without_delegation_are_an_error(rbundle):
    rbundle.config["linux"]["resources"] = {"pids": {"limit": 10}}
    p = rbundle.run()
    assert p.returncode != 0
    assert "linux.resources" in p.stderr and "delegated" in p.stderr
    assert rbundle.nook.list_ids() == []


def test_cgroups_path_without_delegation_is_an_error(rbundle):
    rbundle.config["linux"]["cgroupsPath"] = "/nook-not-delegated"
    p = rbundle.run()
    assert p.returncode != 0
    assert "linux.cgroupsPath" in p.stderr and "/nook-not-delegated" in p.stderr
    assert not (UNIFIED / "nook-not-delegated").exists()


def test_device_rules_are_ignored_rootless(rbundle):
    rbundle.config["linux"]["resources"] = {"devices": [{"allow": False, "access": "rwm"}]}
    assert sh_lines(rbundle.sh("echo ok")) == ["ok"]


def test_a_limit_the_delegated_cgroup_cannot_hold_is_an_error(rbundle, delegated):
    """The memory controller lives in cgroup v1 here, never delegated: the limit
    cannot be applied, and nothing is left behind."""
    rbundle.config["linux"]["resources"] = {"memory": {"limit": 64 << 20}}
    p = rbundle.run()
    assert p.returncode != 0
    assert "linux.resources" in p.stderr
    assert [d for d in delegated.iterdir() if d.is_dir() and d.name != "caller"] == []


def test_pause_and_resume_freeze_the_delegated_cgroup(rbundle, delegated):
    if rbundle.nook("pause", "--help", check=False).returncode != 0:
        pytest.skip("this nook has no pause command yet")
    rbundle.args = ["sleep", "100"]
    rbundle.run("-d", check=True)
    cgroup = delegated / rbundle.id
    rbundle.nook("pause", rbundle.id)
    assert "frozen 1" in (cgroup / "cgroup.events").read_text()
    assert rbundle.state()["status"] == "paused"
    rbundle.nook("resume", rbundle.id)
    assert "frozen 0" in (cgroup / "cgroup.events").read_text()
    rbundle.delete("--force")
