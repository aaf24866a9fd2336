"""Namespaces: created when listed, shared with the host when absent, joined by
path; time offsets; a rootful user namespace with id maps."""
import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest

from conftest import Bundle
from support import host_ns, sh_lines

# config.json's name → the name under /proc/<pid>/ns/.
PROC_NAMES = {"mount": "mnt", "pid": "pid", "network": "net", "ipc": "ipc", "uts": "uts",
              "user": "user", "cgroup": "cgroup", "time": "time"}

UID_MAP = [{"containerID": 0, "hostID": 100000, "size": 65536}]
GID_MAP = [{"containerID": 0, "hostID": 200000, "size": 65536}]


def set_namespaces(bundle, types):
    bundle.config["linux"]["namespaces"] = [{"type": t} for t in types]


def add_namespace(bundle, kind):
    set_namespaces(bundle, [ns["type"] for ns in bundle.config["linux"]["namespaces"]] + [kind])
    if kind == "user":
        bundle.config["linux"]["uidMappings"] = UID_MAP
        bundle.config["linux"]["gidMappings"] = GID_MAP


@pytest.fixture
def userns_bundle(nook, rootfs_template, default_config):
    """A bundle the container's root, an unprivileged id on the host, can reach (the
    test's own tmp_path sits below a 0700 directory), with a rootfs it owns."""
    path = pathlib.Path(tempfile.mkdtemp(prefix="nook-userns-", dir="/tmp"))
    os.chmod(path, 0o711)
    (path / "bundle").mkdir(mode=0o711)
    shutil.copytree(rootfs_template, path / "bundle" / "rootfs", symlinks=True)
    subprocess.run(["chown", "-R", "-h", "100000:200000", str(path / "bundle" / "rootfs")], check=True)
    yield Bundle(path / "bundle", nook, default_config)
    with open("/proc/self/mountinfo") as f:
        assert [line for line in f if str(path) in line] == [], "mounts left behind"
    shutil.rmtree(path)


def ns_inside(bundle):
    """Each namespace of the container's process, as it reads them itself."""
    names = " ".join(PROC_NAMES.values())
    out = sh_lines(bundle.sh(f"for n in {names}; do echo $n $(readlink /proc/self/ns/$n); done"))
    return dict(line.split() for line in out)


@pytest.mark.parametrize("kind", ["mount", "pid", "network", "ipc", "uts", "cgroup"])
def test_listed_namespace_is_new(bundle, kind):
    assert kind in [ns["type"] for ns in bundle.config["linux"]["namespaces"]]
    inside = ns_inside(bundle)
    assert inside[PROC_NAMES[kind]] != host_ns(PROC_NAMES[kind])


def test_sysfs_shows_the_containers_own_network(bundle):
    # sysfs shows the network namespace of whoever mounted it: the init must be in
    # its new one (which nook makes and hands over) before it mounts /sys.
    assert sh_lines(bundle.sh("ls /sys/class/net")) == ["lo"]
    assert len(os.listdir("/sys/class/net")) > 1


@pytest.mark.parametrize("kind", ["user", "time"])
def test_added_namespace_is_new(userns_bundle, kind):
    bundle = userns_bundle
    add_namespace(bundle, kind)
    inside = ns_inside(bundle)
    assert inside[PROC_NAMES[kind]] != host_ns(PROC_NAMES[kind])
    # A user or time namespace changes nothing about the others.
    assert inside["net"] != host_ns("net")


@pytest.mark.parametrize("kind", ["pid", "network", "ipc", "uts", "cgroup"])
def test_absent_namespace_is_the_hosts(bundle, kind):
    set_namespaces(bundle, [ns["type"] for ns in bundle.config["linux"]["namespaces"] if ns["type"] != kind])
    if kind == "uts":
        del bundle.config["hostname"]
    inside = ns_inside(bundle)
    assert inside[PROC_NAMES[kind]] == host_ns(PROC_NAMES[kind])
    others = [k for k in ("pid", "network", "ipc", "uts", "cgroup") if k != kind]
    assert all(inside[PROC_NAMES[k]] != host_ns(PROC_NAMES[k]) for k in others)
    assert inside["user"] == host_ns("user") and inside["time"] == host_ns("time")


def test_absent_mount_namespace_is_the_hosts(bundle):
    # Without a mount namespace of its own nothing can be mounted for the container.
    set_namespaces(bundle, ["pid", "ipc", "uts"])
    bundle.config["mounts"] = []
    bundle.config["linux"]["maskedPaths"] = []
    bundle.config["linux"]["readonlyPaths"] = []
    bundle.config["root"]["readonly"] = False
    bundle.args = ["sleep", "30"]
    bundle.create()
    pid = bundle.state()["pid"]
    assert host_ns("mnt", pid) == host_ns("mnt")
    assert host_ns("uts", pid) != host_ns("uts")
    assert os.readlink(f"/proc/{pid}/root") == str(bundle.rootfs)
    bundle.delete()


def test_created_namespaces_are_seen_from_the_host(bundle):
    add_namespace(bundle, "time")
    bundle.args = ["sleep", "30"]
    bundle.create()
    pid = bundle.state()["pid"]
    for kind in ("mount", "pid", "network", "ipc", "uts", "cgroup", "time"):
        assert host_ns(PROC_NAMES[kind], pid) != host_ns(PROC_NAMES[kind]), kind
    assert host_ns("user", pid) == host_ns("user")
    bundle.delete()


@pytest.fixture
def second_bundle(tmp_path, nook, rootfs_template, default_config):
    path = tmp_path / "bundle2"
    path.mkdir()
    shutil.copytree(rootfs_template, path / "rootfs", symlinks=True)
    return Bundle(path, nook, default_config)


def test_second_container_joins_the_firsts_namespaces_by_path(bundle, second_bundle):
    bundle.config["hostname"] = "first"
    add_namespace(bundle, "time")
    bundle.args = ["sleep", "30"]
    bundle.create()
    first = bundle.state()["pid"]
    joined = ("pid", "network", "ipc", "uts", "cgroup", "time")
    second_bundle.config["linux"]["namespaces"].append({"type": "time"})
    for ns in second_bundle.config["linux"]["namespaces"]:
        if ns["type"] in joined:
            ns["path"] = f"/proc/{first}/ns/{PROC_NAMES[ns['type']]}"
    del second_bundle.config["hostname"]
    inside = ns_inside(second_bundle)
    for kind in joined:
        assert inside[PROC_NAMES[kind]] == host_ns(PROC_NAMES[kind], first), kind
    assert inside["mnt"] != host_ns("mnt", first)
    # In the first container's pid namespace, its init is pid 1 and its sleep is visible.
    bundle.start()
    out = second_bundle.sh("hostname; cat /proc/1/cmdline | tr '\\0' ' '").stdout.splitlines()
    assert out == ["first", "sleep 30 "]
    bundle.delete("--force")


def test_network_namespace_made_by_ip_netns_is_joined(bundle, netns):
    path = f"/run/netns/{netns}"
    subprocess.run(["ip", "-n", netns, "addr", "add", "192.0.2.77/32", "dev", "lo"], check=True)
    for ns in bundle.config["linux"]["namespaces"]:
        if ns["type"] == "network":
            ns["path"] = path
    inside = ns_inside(bundle)
    assert inside["net"] == f"net:[{os.stat(path).st_ino}]"
    assert "192.0.2.77/32" in bundle.sh("ip addr show lo").stdout


def test_joining_a_namespace_path_that_does_not_exist_fails(bundle):
    bundle.config["linux"]["namespaces"].append({"type": "user", "path": "/proc/self/ns/nope"})
    p = bundle.run()
    assert p.returncode != 0
    assert "linux.namespaces[6].path" in p.stderr and "/proc/self/ns/nope" in p.stderr


def test_time_offsets_shift_the_clocks_inside(bundle):
    add_namespace(bundle, "time")
    day, year = 86400, 365 * 86400
    bundle.config["linux"]["timeOffsets"] = {"monotonic": {"secs": year, "nanosecs": 0},
                                             "boottime": {"secs": day, "nanosecs": 0}}
    monotonic = int(subprocess.run([str(bundle.rootfs / "bin/nook-test-helper"), "monotonic"],
                                   capture_output=True, text=True).stdout)
    boottime = int(subprocess.run([str(bundle.rootfs / "bin/nook-test-helper"), "boottime"],
                                  capture_output=True, text=True).stdout)
    out = sh_lines(bundle.sh("nook-test-helper monotonic; nook-test-helper boottime; cat /proc/self/timens_offsets"))
    assert monotonic + year <= int(out[0]) < monotonic + year + 30
    assert boottime + day <= int(out[1]) < boottime + day + 30
    assert sorted(line.split() for line in out[2:]) == [["boottime", str(day), "0"], ["monotonic", str(year), "0"]]


def test_user_namespace_maps_ids(userns_bundle, tmp_path):
    bundle = userns_bundle
    add_namespace(bundle, "user")
    shared = bundle.path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    bundle.config["mounts"].append({"destination": "/shared", "type": "bind", "source": str(shared),
                                    "options": ["rbind", "rw"]})
    out = sh_lines(bundle.sh("cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; touch /shared/made"))
    assert [line.split() for line in out[:2]] == [["0", "100000", "65536"], ["0", "200000", "65536"]]
    assert out[2:] == ["0", "0"]
    st = os.stat(shared / "made")
    assert (st.st_uid, st.st_gid) == (100000, 200000)


def test_user_namespace_is_seen_from_the_host(userns_bundle):
    bundle = userns_bundle
    add_namespace(bundle, "user")
    bundle.args = ["sleep", "30"]
    bundle.create()
    pid = bundle.state()["pid"]
    assert host_ns("user", pid) != host_ns("user")
    assert open(f"/proc/{pid}/uid_map").read().split() == ["0", "100000", "65536"]
    status = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status"))
    assert status["Uid"].split()[0] == "100000"
    bundle.delete()


@pytest.fixture
def second_userns_bundle(userns_bundle, nook, rootfs_template, default_config):
    path = userns_bundle.path.parent / "bundle2"
    path.mkdir(mode=0o711)
    shutil.copytree(rootfs_template, path / "rootfs", symlinks=True)
    subprocess.run(["chown", "-R", "-h", "100000:200000", str(path / "rootfs")], check=True)
    return Bundle(path, nook, default_config)


def test_second_container_joins_the_firsts_user_namespace(userns_bundle, second_userns_bundle):
    first_bundle, second = userns_bundle, second_userns_bundle
    add_namespace(first_bundle, "user")
    first_bundle.args = ["sleep", "30"]
    first_bundle.create()
    first = first_bundle.state()["pid"]
    for ns in second.config["linux"]["namespaces"]:
        if ns["type"] == "network":
            ns["path"] = f"/proc/{first}/ns/net"
    second.config["linux"]["namespaces"].append({"type": "user", "path": f"/proc/{first}/ns/user"})
    second.config["root"]["readonly"] = False
    out = sh_lines(second.sh("readlink /proc/self/ns/user; readlink /proc/self/ns/net; cat /proc/self/uid_map; "
                             "id -u; touch /tmp/made; nook-test-helper stat /tmp/made"))
    assert out[:2] == [host_ns("user", first), host_ns("net", first)]
    assert out[2].split() == ["0", "100000", "65536"]
    assert out[3] == "0"
    assert out[4].endswith(" 0:0")
    st = os.stat(second.rootfs / "tmp" / "made")
    assert (st.st_uid, st.st_gid) == (100000, 200000)
    first_bundle.delete()
