"""cgroup behaviours runc's own suite (v1.1.5) expects: a pre-existing frozen
cgroup, a pod parent with an empty cpuset, and the orders in which `update`
takes cpu period/quota and realtime period/runtime (on this host's v1
hierarchies; cgroup2 hosts run test_cgroups_vm.py)."""
import os
import pathlib
import subprocess

import pytest

from test_cgroups import CGROUP, host_cgroup, read

pytestmark = pytest.mark.skipif(
    (CGROUP / "cgroup.controllers").exists(), reason="a cgroup2 host: tests/vm covers it")


def own_cgroup(controller):
    """The test's own v1 cgroup directory for a controller (relative cgroupsPaths go below it)."""
    for line in pathlib.Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return CGROUP / controllers / path.lstrip("/")
    pytest.skip(f"no v1 {controller} hierarchy")


@pytest.fixture
def pod(bundle):
    """A pod cgroup made outside nook (as a kubelet would): the container goes below it."""
    name = f"{bundle.id}-pod"
    made = []

    def make(controller):
        d = own_cgroup(controller) / name
        d.mkdir()
        made.append(d)
        return d

    bundle.config["linux"]["cgroupsPath"] = f"{name}/{bundle.id}"
    yield make
    bundle.nook("delete", "--force", bundle.id, check=False)
    for d in reversed(made):
        d.rmdir()


def test_a_pre_existing_frozen_cgroup_is_refused_not_waited_on(bundle):
    freezer = own_cgroup("freezer") / bundle.id
    freezer.mkdir()
    try:
        (freezer / "freezer.state").write_text("FROZEN")
        bundle.args = ["true"]
        for command in ("run", "create"):
            bundle.write()
            p = bundle.nook(command, "--bundle", bundle.path, bundle.id, check=False, timeout=20)
            assert p.returncode != 0
            assert "frozen" in p.stderr and str(freezer) in p.stderr, p.stderr
            assert bundle.nook.list_ids() == []
        assert freezer.is_dir(), "a cgroup nook did not make is left alone"
    finally:
        (freezer / "freezer.state").write_text("THAWED")
        freezer.rmdir()


def test_a_pod_cgroup_with_an_empty_cpuset_gets_its_parents(bundle, pod):
    parent = pod("cpuset")
    assert read(parent / "cpuset.cpus") == ""  # as mkdir leaves it
    bundle.args = ["sh", "-c", "cat /proc/self/cgroup"]
    p = bundle.run()
    assert p.returncode == 0, p.stderr
    assert read(parent / "cpuset.cpus") == read(parent.parent / "cpuset.cpus")
    assert read(parent / "cpuset.mems") == read(parent.parent / "cpuset.mems")


def test_the_containers_own_pre_existing_empty_cpuset_is_filled(bundle):
    cpuset = own_cgroup("cpuset") / bundle.id
    cpuset.mkdir()
    try:
        bundle.args = ["true"]
        p = bundle.run()
        assert p.returncode == 0, p.stderr
    finally:
        cpuset.rmdir()


# ---- update: cpu period and quota ----

def cpu_values(pid):
    cpu = host_cgroup(pid, "cpu")
    return int(read(cpu / "cpu.cfs_quota_us")), int(read(cpu / "cpu.cfs_period_us"))


def start(bundle, **cpu):
    bundle.config["linux"]["resources"]["cpu"] = cpu
    bundle.args = ["sleep", "300"]
    bundle.run("-d", check=True)
    return bundle.state()["pid"]


def update(bundle, *flags, check=True, stdin=None):
    return bundle.nook("update", *flags, bundle.id, check=check, input=stdin)


def test_update_takes_cpu_period_and_quota_in_runcs_orders(bundle):
    pid = start(bundle, quota=500000, period=1000000)
    update(bundle, "--cpu-period", "900000")
    assert cpu_values(pid) == (500000, 900000)
    update(bundle, "--cpu-quota", "600000")
    assert cpu_values(pid) == (600000, 900000)
    update(bundle, "--cpu-quota", "-1")
    assert cpu_values(pid) == (-1, 900000)
    update(bundle, "-r", "-", stdin='{"cpu": {"shares": 100, "quota": 500000, "period": 1000000}}')
    assert cpu_values(pid) == (500000, 1000000)
    update(bundle, "--cpu-period", "900000", "--cpu-quota", "600000", "--cpu-shares", "200")
    assert cpu_values(pid) == (600000, 900000)
    update(bundle, "--cpu-quota", "-1", "--cpu-period", "100000")
    assert cpu_values(pid) == (-1, 100000)
    bundle.delete("--force")


def test_update_of_period_or_quota_alone_with_nothing_set_before(bundle):
    pid = start(bundle)
    update(bundle, "--cpu-period", "50000")
    assert cpu_values(pid) == (-1, 50000)
    update(bundle, "--cpu-period", "100000")
    update(bundle, "--cpu-quota", "30000")
    assert cpu_values(pid) == (30000, 100000)
    bundle.delete("--force")


def test_update_in_a_pod_whose_quota_constrains_the_container(bundle, pod):
    parent = pod("cpu")
    (parent / "cpu.cfs_quota_us").write_text("50000")  # 50% of the default 100 ms period
    pid = start(bundle)
    _, period = cpu_values(pid)
    # More than the pod's 50% is the kernel's to refuse...
    assert update(bundle, "--cpu-quota", str(period * 6 // 10), check=False).returncode != 0
    # ...but 30% with a shorter period fits, whatever order the files need.
    update(bundle, "--cpu-period", "10000", "--cpu-quota", "3000")
    assert cpu_values(pid) == (3000, 10000)
    bundle.nook("delete", "--force", bundle.id)


# ---- update: realtime period and runtime ----

def rt_values(pid):
    cpu = host_cgroup(pid, "cpu")
    return int(read(cpu / "cpu.rt_period_us")), int(read(cpu / "cpu.rt_runtime_us"))


def test_update_takes_rt_period_and_runtime_in_either_order(bundle, pod):
    root = own_cgroup("cpu")
    if not (root / "cpu.rt_runtime_us").exists():
        pytest.skip("no cpu.rt_runtime_us: the kernel has no CONFIG_RT_GROUP_SCHED")
    parent = pod("cpu")
    # A cgroup gets no realtime time unless its parent hands it some (runc's test does the same):
    # 80% here (the values below need at most that), not all of it: a removed cgroup holds its
    # share until the kernel frees it, and the tests after this one need some too.
    (parent / "cpu.rt_period_us").write_text("1000000")
    (parent / "cpu.rt_runtime_us").write_text("800000")
    pid = start(bundle)
    update(bundle, "-r", "-", stdin='{"cpu": {"realtimeRuntime": 500001}}')
    assert rt_values(pid)[1] == 500001
    update(bundle, "-r", "-", stdin='{"cpu": {"realtimePeriod": 800001, "realtimeRuntime": 500001}}')
    assert rt_values(pid) == (800001, 500001)
    update(bundle, "--cpu-rt-period", "900001", "--cpu-rt-runtime", "600001")
    assert rt_values(pid) == (900001, 600001)
    # A period below the current runtime: the runtime must go first.
    update(bundle, "--cpu-rt-period", "500000", "--cpu-rt-runtime", "400000")
    assert rt_values(pid) == (500000, 400000)
    bundle.nook("delete", "--force", bundle.id)
