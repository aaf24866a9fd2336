"""cgroups on a v1 or hybrid host (this machine: v1 controllers, and a cgroup2
mount offering hugetlb only): limits seen from the host's cgroup files and from
inside the container, errors for what the host cannot honour, pause/resume,
update, events, kill --all and delete of every process of the cgroup.

The cgroup2 side runs in a VM: see test_cgroups_vm.py and tests/vm/.
"""
import json
import os
import pathlib
import subprocess
import time

import pytest

from support import wait_gone

CGROUP = pathlib.Path("/sys/fs/cgroup")
NOOK = pathlib.Path(__file__).resolve().parents[2] / "build" / "nook"
MB = 1 << 20

pytestmark = pytest.mark.skipif(
    (CGROUP / "cgroup.controllers").exists(), reason="a cgroup2 host: tests/vm covers it")


def host_cgroup(pid, controller):
    """The host directory of pid's cgroup for a v1 controller ("" for cgroup2)."""
    for line in pathlib.Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller == "" and controllers == "":
            return CGROUP / "unified" / path.lstrip("/")
        if controller and controller in controllers.split(","):
            return CGROUP / controllers / path.lstrip("/")
    raise AssertionError(f"no {controller or 'cgroup2'} cgroup for pid {pid}")


def read(path):
    return pathlib.Path(path).read_text().strip()


def wait_for(predicate, timeout=10, what="condition"):
    """Polls a kernel state until it holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def alive(pid):
    try:
        state = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def resources(bundle, **values):
    bundle.config["linux"].setdefault("resources", {}).update(values)


def run_and_look(bundle, script, **values):
    """Creates a container with the resources running script (a shell script or
    an argument list); yields the init pid, then what the container printed
    once it ran to its end."""
    resources(bundle, **values)
    bundle.args = ["sh", "-c", script] if isinstance(script, str) else script
    bundle.create()
    look = {"pid": bundle.state()["pid"]}
    yield look
    bundle.start()
    wait_for(lambda: bundle.state()["status"] == "stopped", what="the container to stop")
    look["inside"] = bundle.output()
    yield look


# ---- resources, from the host and from inside ----

def test_memory_limits_reach_the_v1_files(bundle):
    steps = run_and_look(bundle, "cd /sys/fs/cgroup/memory && cat memory.limit_in_bytes "
                         "memory.memsw.limit_in_bytes memory.soft_limit_in_bytes memory.swappiness",
                         memory={"limit": 64 * MB, "swap": 96 * MB, "reservation": 32 * MB, "swappiness": 10,
                                 "disableOOMKiller": True, "kernelTCP": 16 * MB})
    look = next(steps)
    host = host_cgroup(look["pid"], "memory")
    assert "oom_kill_disable 1" in read(host / "memory.oom_control")
    assert read(host / "memory.kmem.tcp.limit_in_bytes") == str(16 * MB)
    assert read(host / "memory.limit_in_bytes") == str(64 * MB)
    assert read(host / "memory.memsw.limit_in_bytes") == str(96 * MB)
    assert read(host / "memory.soft_limit_in_bytes") == str(32 * MB)
    assert read(host / "memory.swappiness") == "10"
    look = next(steps)
    assert look["inside"].split() == [str(64 * MB), str(96 * MB), str(32 * MB), "10"]
    bundle.delete()


def events(bundle, *options):
    """`nook events` of the bundle's container, started in the background."""
    return subprocess.Popen([str(NOOK), "--root", bundle.nook.root, "events", *options, bundle.id],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_memory_limit_kills_what_exceeds_it_and_events_report_the_oom(bundle):
    resources(bundle, memory={"limit": 32 * MB, "swap": 32 * MB})
    bundle.args = ["nook-test-helper", "alloc", "200"]
    bundle.create()
    watcher = events(bundle, "--interval", "1h")
    try:
        # The first line (stats at once) says OOM kills are watched from now on.
        assert json.loads(watcher.stdout.readline())["type"] == "stats"
        bundle.start()
        out, err = watcher.communicate(timeout=30)
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.communicate()
    assert watcher.returncode == 0, err
    assert [json.loads(line) for line in out.splitlines()] == [{"type": "oom", "id": bundle.id}]
    assert bundle.state()["status"] == "stopped"
    assert bundle.output() == ""
    bundle.delete()


def test_a_memory_limit_too_small_for_the_set_up_is_named(bundle):
    resources(bundle, memory={"limit": 4096})
    proc = bundle.run()
    assert proc.returncode != 0
    assert "linux.resources.memory: the OOM killer ended the container process" in proc.stderr
    assert bundle.nook.list_ids() == []


def test_cpu_values_reach_the_v1_files(bundle):
    steps = run_and_look(bundle, "grep Cpus_allowed_list /proc/self/status; cat /sys/fs/cgroup/cpu/cpu.shares",
                         cpu={"shares": 512, "quota": 50000, "period": 100000, "burst": 1000, "idle": 0,
                              "realtimeRuntime": 1000, "realtimePeriod": 1000000, "cpus": "0", "mems": "0"})
    look = next(steps)
    cpu, cpuset = host_cgroup(look["pid"], "cpu"), host_cgroup(look["pid"], "cpuset")
    assert read(cpu / "cpu.shares") == "512"
    assert read(cpu / "cpu.cfs_quota_us") == "50000"
    assert read(cpu / "cpu.cfs_period_us") == "100000"
    assert read(cpu / "cpu.cfs_burst_us") == "1000"
    assert read(cpu / "cpu.rt_runtime_us") == "1000"
    assert read(cpu / "cpu.rt_period_us") == "1000000"
    assert read(cpuset / "cpuset.cpus") == "0"
    look = next(steps)
    assert look["inside"].split() == ["Cpus_allowed_list:", "0", "512"]
    bundle.delete()


def test_pids_limit_stops_forks_inside(bundle):
    steps = run_and_look(bundle, ["nook-test-helper", "forks", "20"], pids={"limit": 5})
    look = next(steps)
    assert read(host_cgroup(look["pid"], "pids") / "pids.max") == "5"
    look = next(steps)
    # The helper counts too: four more fit.
    assert look["inside"].strip() == "forked 4 EAGAIN"
    bundle.delete()


def blkio_weight_file():
    """The blkio weight file of this host (bfq's or the old one), or None without BFQ."""
    for name in ("blkio.bfq.weight", "blkio.weight"):
        if (CGROUP / "blkio" / name).exists():
            return name
    return None


def block_device():
    """major:minor of a block device of this machine."""
    for dev in sorted(pathlib.Path("/sys/block").iterdir()):
        if not dev.name.startswith(("loop", "ram", "nbd")):
            major, minor = read(dev / "dev").split(":")
            return int(major), int(minor)
    pytest.skip("no block device")


def test_blkio_weight_and_throttles_reach_the_v1_files(bundle):
    weight_file = blkio_weight_file()
    if weight_file is None:
        pytest.skip("no blkio weight file: the kernel has no BFQ scheduler")
    major, minor = block_device()
    steps = run_and_look(bundle, "true", blockIO={
        "weight": 300,
        "throttleReadBpsDevice": [{"major": major, "minor": minor, "rate": MB}],
        "throttleWriteIOPSDevice": [{"major": major, "minor": minor, "rate": 100}]})
    look = next(steps)
    blkio = host_cgroup(look["pid"], "blkio")
    assert read(blkio / weight_file).split()[-1] == "300"
    assert read(blkio / "blkio.throttle.read_bps_device") == f"{major}:{minor} {MB}"
    assert read(blkio / "blkio.throttle.write_iops_device") == f"{major}:{minor} 100"
    next(steps)
    bundle.delete()


def test_blkio_throttles_reach_the_v1_files_without_a_weight(bundle):
    major, minor = block_device()
    steps = run_and_look(bundle, "true", blockIO={
        "throttleWriteBpsDevice": [{"major": major, "minor": minor, "rate": 2 * MB}],
        "throttleReadIOPSDevice": [{"major": major, "minor": minor, "rate": 50}]})
    look = next(steps)
    blkio = host_cgroup(look["pid"], "blkio")
    assert read(blkio / "blkio.throttle.write_bps_device") == f"{major}:{minor} {2 * MB}"
    assert read(blkio / "blkio.throttle.read_iops_device") == f"{major}:{minor} 50"
    next(steps)
    bundle.delete()


def test_hugetlb_limit_goes_to_the_cgroup2_mount_of_a_hybrid_host(bundle):
    if "hugetlb" not in read(CGROUP / "unified" / "cgroup.controllers").split():
        pytest.skip("the cgroup2 mount offers no hugetlb")
    steps = run_and_look(bundle, "cat /sys/fs/cgroup/unified/hugetlb.2MB.max",
                         hugepageLimits=[{"pageSize": "2MB", "limit": 4 * MB}])
    look = next(steps)
    assert read(host_cgroup(look["pid"], "") / "hugetlb.2MB.max") == str(4 * MB)
    look = next(steps)
    assert look["inside"].strip() == str(4 * MB)
    bundle.delete()


def test_unified_keys_are_written_as_is_to_the_cgroup2_mount(bundle):
    if "hugetlb" not in read(CGROUP / "unified" / "cgroup.controllers").split():
        pytest.skip("the cgroup2 mount offers no hugetlb")
    steps = run_and_look(bundle, "true", unified={"hugetlb.2MB.max": str(2 * MB)})
    look = next(steps)
    assert read(host_cgroup(look["pid"], "") / "hugetlb.2MB.max") == str(2 * MB)
    next(steps)
    bundle.delete()


def test_devices_are_denied_unless_allowed(bundle):
    bundle.config["linux"]["devices"] = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}]
    bundle.args = ["nook-test-helper", "open-read", "/dev/fuse"]
    denied = bundle.run()
    assert denied.stdout.strip() == "open: EPERM"
    bundle.config["linux"]["resources"]["devices"].append(
        {"allow": True, "type": "c", "major": 10, "minor": 229, "access": "rw"})
    bundle.create()
    assert "c 10:229 rw" in read(host_cgroup(bundle.state()["pid"], "devices") / "devices.list").splitlines()
    bundle.start()
    wait_for(lambda: bundle.state()["status"] == "stopped", what="the container to stop")
    assert bundle.output().strip() == "ok"
    bundle.delete()


# ---- what the host cannot honour ----

@pytest.mark.parametrize("values, message", [
    ({"network": {"classID": 1048577}}, "linux.resources.network.classID: the net_cls controller is not available"),
    ({"blockIO": {"leafWeight": 500}}, "the blkio controller has no file `blkio.leaf_weight`"),
    # Without BFQ the file is absent, and the error says so.
    ({"blockIO": {"weightDevice": [{"major": 7, "minor": 250, "weight": 500}]}},
     "linux.resources.blockIO.weightDevice[0]: write `blkio." if blkio_weight_file() else
     "linux.resources.blockIO.weightDevice[0]: the blkio controller has no file `blkio.weight_device`"),
    ({"memory": {"swappiness": 200}}, "linux.resources.memory.swappiness: 200 is not in 0-100"),
    ({"memory": {"useHierarchy": False}}, "write `memory.use_hierarchy` (memory controller"),
    ({"cpu": {"shares": 1}}, "linux.resources.cpu.shares: 1 is out of range"),
    ({"hugepageLimits": [{"pageSize": "../2MB", "limit": 1}]}, "is not a page size"),
    ({"unified": {"memory.high": "1"}}, "the memory controller has no file `memory.high`"),
])
def test_a_resource_the_host_cannot_honour_is_an_error_naming_it(bundle, values, message):
    resources(bundle, **values)
    proc = bundle.run()
    assert proc.returncode != 0
    assert message in proc.stderr
    assert bundle.nook.list_ids() == []


def test_delete_removes_the_parents_nook_made_and_keeps_the_others(bundle):
    parent = f"{bundle.id}-parent"
    bundle.config["linux"]["cgroupsPath"] = f"{parent}/{bundle.id}"
    bundle.args = ["true"]
    own = pathlib.Path(f"/proc/{os.getpid()}/cgroup").read_text()
    pids_parent = CGROUP / "pids" / [l.split(":", 2)[2] for l in own.splitlines()
                                     if l.split(":")[1] == "pids"][0].lstrip("/") / parent
    pids_parent.mkdir()
    try:
        bundle.create()
        pid = bundle.state()["pid"]
        memory = host_cgroup(pid, "memory")
        assert host_cgroup(pid, "pids") == pids_parent / bundle.id
        assert memory.parent.name == parent
        bundle.delete()
        assert not memory.parent.exists(), "a parent nook made is left"
        assert pids_parent.exists() and not (pids_parent / bundle.id).exists()
    finally:
        pids_parent.rmdir()


# ---- pause and resume ----

def test_pause_freezes_every_process_until_resume(bundle):
    bundle.args = ["nook-test-helper", "wait-signal"]
    bundle.run("-d", check=True)
    pid = bundle.state()["pid"]
    wait_for(lambda: bundle.output().startswith("ready"), what="the helper to be ready")
    bundle.nook("pause", bundle.id)
    assert bundle.state()["status"] == "paused"
    assert read(host_cgroup(pid, "freezer") / "freezer.state") == "FROZEN"
    listed = json.loads(bundle.nook("list", "--format", "json").stdout)
    assert [c["status"] for c in listed] == ["paused"]
    bundle.kill("USR1")
    # A frozen process cannot act on the signal: it must still be there.
    assert not wait_gone(pid, timeout=0.3)
    bundle.nook("resume", bundle.id)
    assert wait_gone(pid)
    assert bundle.output().splitlines() == ["ready", "signal 10"]
    assert bundle.state()["status"] == "stopped"
    bundle.delete()


def test_pause_and_resume_refuse_the_wrong_status(bundle):
    bundle.args = ["sleep", "100"]
    bundle.create()
    proc = bundle.nook("pause", bundle.id, check=False)
    assert proc.returncode != 0 and "it is created, not running" in proc.stderr
    bundle.start()
    proc = bundle.nook("resume", bundle.id, check=False)
    assert proc.returncode != 0 and "it is running, not paused" in proc.stderr
    bundle.delete("--force")


def test_delete_force_of_a_paused_container_kills_it(bundle):
    bundle.args = ["sleep", "100"]
    bundle.run("-d", check=True)
    pid = bundle.state()["pid"]
    bundle.nook("pause", bundle.id)
    bundle.delete("--force")
    assert wait_gone(pid)


# ---- update ----

def test_update_flags_change_the_running_limits(bundle):
    weight_file = blkio_weight_file()  # None without BFQ: --blkio-weight is then left out
    bundle.args = ["sleep", "100"]
    bundle.run("-d", check=True)
    pid = bundle.state()["pid"]
    bundle.nook("update", "--memory", "100m", "--memory-swap", "200M", "--memory-reservation", "50m",
                "--cpu-quota", "20000", "--cpu-period", "100000", "--cpu-shares", "300", "--cpuset-cpus", "0",
                "--pids-limit", "50", *(["--blkio-weight", "400"] if weight_file else []), bundle.id)
    memory, cpu = host_cgroup(pid, "memory"), host_cgroup(pid, "cpu")
    assert read(memory / "memory.limit_in_bytes") == str(100 * MB)
    assert read(memory / "memory.memsw.limit_in_bytes") == str(200 * MB)
    assert read(memory / "memory.soft_limit_in_bytes") == str(50 * MB)
    assert (read(cpu / "cpu.cfs_quota_us"), read(cpu / "cpu.cfs_period_us")) == ("20000", "100000")
    assert read(cpu / "cpu.shares") == "300"
    assert read(host_cgroup(pid, "cpuset") / "cpuset.cpus") == "0"
    assert read(host_cgroup(pid, "pids") / "pids.max") == "50"
    if weight_file:
        assert read(host_cgroup(pid, "blkio") / weight_file).split()[-1] == "400"
    # Raising memory above the current memory+swap limit needs memsw first: both orders work.
    bundle.nook("update", "--memory", "300m", "--memory-swap", "400m", bundle.id)
    assert read(memory / "memory.limit_in_bytes") == str(300 * MB)
    bundle.nook("update", "--memory", "10m", "--memory-swap", "20m", bundle.id)
    assert read(memory / "memory.memsw.limit_in_bytes") == str(20 * MB)
    bundle.delete("--force")


def test_update_reads_resources_from_a_file_or_stdin(bundle, tmp_path):
    bundle.args = ["sleep", "100"]
    bundle.run("-d", check=True)
    pid = bundle.state()["pid"]
    path = tmp_path / "resources.json"
    path.write_text(json.dumps({"pids": {"limit": 7}, "memory": {"limit": 80 * MB}}))
    bundle.nook("update", "--resources", path, bundle.id)
    assert read(host_cgroup(pid, "pids") / "pids.max") == "7"
    assert read(host_cgroup(pid, "memory") / "memory.limit_in_bytes") == str(80 * MB)
    # A flag wins over the file.
    bundle.nook("update", "-r", "-", "--pids-limit", "9", bundle.id, input=json.dumps({"pids": {"limit": 8}}))
    assert read(host_cgroup(pid, "pids") / "pids.max") == "9"
    bad = bundle.nook("update", "-r", "-", bundle.id, input='{"pids": {"limit": "x"}}', check=False)
    assert bad.returncode != 0 and "pids.limit" in bad.stderr
    bundle.delete("--force")


def test_update_check_before_update_refuses_a_limit_below_the_usage(bundle):
    bundle.args = ["nook-test-helper", "alloc", "20", "hold"]
    bundle.run("-d", check=True)
    wait_for(lambda: bundle.output().startswith("ok"), what="the memory to be touched")
    proc = bundle.nook("update", "-r", "-", bundle.id, check=False,
                       input=json.dumps({"memory": {"limit": 4 * MB, "checkBeforeUpdate": True}}))
    assert proc.returncode != 0
    assert "checkBeforeUpdate: the new limit 4194304 is below the current usage" in proc.stderr
    assert read(host_cgroup(bundle.state()["pid"], "memory") / "memory.limit_in_bytes") != str(4 * MB)
    bundle.delete("--force")


def test_update_of_a_stopped_container_is_refused(bundle):
    bundle.run("--keep", check=True)
    proc = bundle.nook("update", "--pids-limit", "5", bundle.id, check=False)
    assert proc.returncode != 0 and "it is stopped" in proc.stderr
    bundle.delete()


# ---- events ----

def test_events_stats_reports_cpu_memory_pids_and_blkio(bundle):
    resources(bundle, memory={"limit": 64 * MB}, pids={"limit": 30})
    bundle.args = ["sleep", "100"]
    bundle.run("-d", check=True)
    event = json.loads(bundle.nook("events", "--stats", bundle.id).stdout)
    assert event["type"] == "stats" and event["id"] == bundle.id
    data = event["data"]
    assert data["memory"]["usage"]["limit"] == 64 * MB
    assert data["memory"]["usage"]["usage"] > 0
    assert data["pids"] == {"current": 1, "limit": 30}
    assert data["cpu"]["usage"]["total"] > 0
    assert set(data["blkio"]) >= {"ioServiceBytesRecursive", "ioServicedRecursive"}
    bundle.delete("--force")


def test_events_streams_stats_until_the_container_stops(bundle):
    bundle.args = ["nook-test-helper", "wait-signal"]
    bundle.run("-d", check=True)
    wait_for(lambda: bundle.output().startswith("ready"), what="the helper to be ready")
    proc = events(bundle, "--interval", "50ms")
    first = json.loads(proc.stdout.readline())
    assert first["type"] == "stats"
    bundle.kill("TERM")
    rest, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert all(json.loads(line)["type"] == "stats" for line in rest.splitlines())
    bundle.delete()


# ---- kill --all and delete: every process of the cgroup ----

def shared_pid_namespace(bundle):
    """No pid namespace of its own, and a writable rootfs to leave pid files in."""
    bundle.config["root"]["readonly"] = False
    bundle.config["linux"]["namespaces"] = [
        ns for ns in bundle.config["linux"]["namespaces"] if ns["type"] != "pid"]


def test_kill_all_reaches_processes_that_left_the_init(bundle):
    """Without a pid namespace of its own, a daemonized child is nobody's child
    in the container: only the cgroup knows it."""
    shared_pid_namespace(bundle)
    bundle.args = ["sh", "-c", "(setsid sleep 1000 & echo $! > /tmp/daemon.pid); exec sleep 1000"]
    bundle.run("-d", check=True)
    init = bundle.state()["pid"]
    pidfile = bundle.rootfs / "tmp" / "daemon.pid"
    daemon = int(wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), what="the daemon"))
    assert alive(daemon)
    bundle.kill("KILL", "--all")
    assert wait_gone(init) and wait_gone(daemon)
    bundle.delete()


def test_delete_of_a_container_whose_init_died_kills_its_children(bundle):
    shared_pid_namespace(bundle)
    bundle.args = ["sh", "-c", "sleep 1000 & echo $! > /tmp/child.pid"]
    bundle.run("-d", check=True)
    pidfile = bundle.rootfs / "tmp" / "child.pid"
    child = int(wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), what="the child"))
    wait_for(lambda: bundle.state()["status"] == "stopped", what="the init to end")
    assert alive(child)
    cgroup = host_cgroup(child, "pids")
    # kill --all still reaches the cgroup of a stopped container.
    bundle.kill("TERM", "--all")
    assert wait_gone(child)
    bundle.delete()
    assert not cgroup.exists()


def test_delete_force_removes_cgroups_the_container_made(bundle):
    for m in bundle.config["mounts"]:
        if m["type"] == "cgroup":
            m["options"] = [o for o in m["options"] if o != "ro"] + ["rw"]
    bundle.args = ["sh", "-c", "mkdir /sys/fs/cgroup/pids/sub; sleep 1000 & "
                   "echo $! > /sys/fs/cgroup/pids/sub/cgroup.procs && echo moved; exec sleep 1000"]
    bundle.run("-d", check=True)
    pid = bundle.state()["pid"]
    wait_for(lambda: bundle.output().startswith("moved"), what="the child to move")
    sub = host_cgroup(pid, "pids") / "sub"
    assert read(sub / "cgroup.procs") != ""
    bundle.delete("--force")
    assert not sub.exists() and not sub.parent.exists()


# ---- systemd ----

@pytest.mark.parametrize("path, message", [
    ("system.slice:nook:{id}", "--systemd-cgroup: systemd is not running on this host"),
    ("", "--systemd-cgroup: systemd is not running on this host"),
    ("/nook/{id}", "with --systemd-cgroup it must be \"slice:prefix:name\""),
    ("user:nook:{id}", "linux.cgroupsPath: slice \"user\" is not a slice name"),
    ("a--b.slice:nook:{id}", "may not lead, trail or double"),
])
def test_systemd_cgroup_is_refused_clearly_without_systemd(bundle, path, message):
    if pathlib.Path("/run/systemd/system").is_dir():
        pytest.skip("systemd runs here")
    bundle.config["linux"]["cgroupsPath"] = path.format(id=bundle.id)
    bundle.write()
    proc = bundle.nook("--systemd-cgroup", "run", "--bundle", bundle.path, bundle.id, check=False)
    assert proc.returncode != 0
    assert message in proc.stderr
    assert bundle.nook.list_ids() == []


@pytest.mark.parametrize("annotation, message", [
    ("org.systemd.property.Slice", "org.systemd.property.Slice"),
    ("org.systemd.property.TimeoutStopUSec", "org.systemd.property.TimeoutStopUSec"),
])
def test_a_bad_systemd_annotation_is_refused_before_anything_is_made(bundle, annotation, message):
    """Refused (nook owns Slice; a value that does not parse), naming it, on any host:
    the config's errors come before the host's."""
    value = "'other.slice'" if annotation.endswith("Slice") else "uint64 not-a-number"
    bundle.config["annotations"] = {annotation: value}
    bundle.config["linux"]["cgroupsPath"] = f"system.slice:nook:{bundle.id}"
    bundle.write()
    proc = bundle.nook("--systemd-cgroup", "run", "--bundle", bundle.path, bundle.id, check=False)
    assert proc.returncode != 0 and message in proc.stderr, proc.stderr
    assert len(proc.stderr.splitlines()) == 1
    assert bundle.nook.list_ids() == []


def test_init_sits_in_its_cgroup_in_every_hierarchy_before_start(bundle):
    # The init moves itself into each v1 hierarchy (and comes into cgroup2 with clone3)
    # before any of the container's code may run: check it while it waits for start.
    bundle.args = ["true"]
    bundle.create()
    pid = bundle.state()["pid"]
    lines = pathlib.Path(f"/proc/{pid}/cgroup").read_text().splitlines()
    assert len(lines) == len(pathlib.Path("/proc/self/cgroup").read_text().splitlines())
    for line in lines:
        assert line.endswith("/" + bundle.id), line
    bundle.delete()
