"""Config fields honoured or refused before anything is set up: each error names
the field, and nothing is left behind (the fixtures check)."""
import json
import os
import pathlib

import pytest


def refused(bundle, *words):
    p = bundle.run()
    assert p.returncode != 0
    for word in words:
        assert word in p.stderr, p.stderr
    assert bundle.nook.list_ids() == []
    return p


def test_deadline_scheduler_runtime_above_deadline_is_refused_before_clone(bundle):
    bundle.config["process"]["scheduler"] = {"policy": "SCHED_DEADLINE", "runtime": 30000000,
                                             "deadline": 20000000, "period": 40000000}
    refused(bundle, "process.scheduler.deadline: must not be less than the runtime")


def test_deadline_scheduler_without_runtime_is_refused(bundle):
    bundle.config["process"]["scheduler"] = {"policy": "SCHED_DEADLINE", "deadline": 20000000}
    refused(bundle, "process.scheduler.runtime")


@pytest.mark.parametrize("field", ["hostname", "domainname"])
def test_kernel_name_sysctl_beside_its_field_is_refused(bundle, field):
    bundle.config[field] = "from-the-field"
    bundle.config["linux"]["sysctl"] = {f"kernel.{field}": "from-the-sysctl"}
    refused(bundle, f'"kernel.{field}" conflicts with the "{field}" field')


def numa_maps_policy(text):
    """The memory policy /proc/PID/numa_maps shows on its first mapping."""
    return text.splitlines()[0].split()[1]


@pytest.fixture
def numa():
    if not os.path.exists("/proc/self/numa_maps"):
        pytest.skip("this kernel has no NUMA support (/proc/self/numa_maps)")


def test_memory_policy_is_the_programs_and_exec_processes(bundle, numa):
    bundle.config["linux"]["memoryPolicy"] = {"mode": "MPOL_INTERLEAVE", "nodes": "0",
                                              "flags": ["MPOL_F_STATIC_NODES"]}
    bundle.args = ["sleep", "300"]
    bundle.run("-d", check=True)
    init = bundle.state()["pid"]
    assert numa_maps_policy(pathlib.Path(f"/proc/{init}/numa_maps").read_text()) == "interleave=static:0"
    p = bundle.nook("exec", bundle.id, "cat", "/proc/self/numa_maps")
    assert numa_maps_policy(p.stdout) == "interleave=static:0"


def test_memory_policy_on_a_node_the_host_lacks_names_the_field(bundle, numa):
    bundle.config["linux"]["memoryPolicy"] = {"mode": "MPOL_BIND", "nodes": "4000"}
    p = refused(bundle, "linux.memoryPolicy: set_mempolicy mode 2")
    assert "invalid argument" in p.stderr


def test_memory_policy_with_a_bad_mode_is_refused(bundle):
    bundle.config["linux"]["memoryPolicy"] = {"mode": "MPOL_LOCAL", "nodes": "0"}
    refused(bundle, "linux.memoryPolicy.nodes: must be empty with MPOL_LOCAL")


def allowed_cpus(status_text):
    return [line.split(":")[1].strip() for line in status_text.splitlines()
            if line.startswith("Cpus_allowed_list:")][0]


@pytest.fixture
def two_cpus():
    if not {0, 1} <= os.sched_getaffinity(0):
        pytest.skip("needs CPUs 0 and 1")


def test_exec_cpu_affinity_final_is_the_exec_processes_not_the_inits(bundle, two_cpus):
    bundle.config["process"]["execCPUAffinity"] = {"initial": "0", "final": "1"}
    bundle.args = ["sleep", "300"]
    bundle.run("-d", check=True)
    # "This setting is not applicable to the container's init process."
    init_cpus = allowed_cpus(pathlib.Path(f"/proc/{bundle.state()['pid']}/status").read_text())
    assert init_cpus == allowed_cpus(pathlib.Path("/proc/self/status").read_text())
    p = bundle.nook("exec", bundle.id, "cat", "/proc/self/status")
    assert allowed_cpus(p.stdout) == "1"


def test_exec_cpu_affinity_initial_alone_is_kept_once_in_the_cgroup(bundle, tmp_path, two_cpus):
    if tuple(int(x) for x in os.uname().release.split(".")[:2]) < (6, 2):
        pytest.skip("before Linux 6.2 entering a cpuset cgroup resets the affinity")
    bundle.args = ["sleep", "300"]
    bundle.run("-d", check=True)
    process = {"cwd": "/", "args": ["cat", "/proc/self/status"], "execCPUAffinity": {"initial": "0"}}
    (tmp_path / "process.json").write_text(json.dumps(process))
    p = bundle.nook("exec", "--process", tmp_path / "process.json", bundle.id)
    assert allowed_cpus(p.stdout) == "0"
    # nook took its own affinity back: the next exec, without the field, is not pinned.
    assert allowed_cpus(bundle.nook("exec", bundle.id, "cat", "/proc/self/status").stdout) != "0"


def test_exec_cpu_affinity_with_a_bad_list_names_the_field(bundle):
    bundle.config["process"]["execCPUAffinity"] = {"final": "1-0"}
    refused(bundle, "process.execCPUAffinity.final: \"1-0\": invalid range 1-0")


def resctrl_mounted():
    with open("/proc/self/mountinfo") as f:
        return any(line.split(" - ")[1].split()[0] == "resctrl" for line in f)


@pytest.mark.parametrize("rdt", [{"closID": "gold"}, {"l3CacheSchema": "L3:0=ff"}, {"enableMonitoring": True}])
def test_intel_rdt_is_refused_where_no_resctrl_is_mounted(bundle, rdt):
    if resctrl_mounted():
        pytest.skip("this host has a resctrl mount")
    bundle.config["linux"]["intelRdt"] = rdt
    refused(bundle, "linux.intelRdt: no resctrl filesystem is mounted in nook's mount namespace")
