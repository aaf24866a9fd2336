"""Networking: `lo` is up in every network namespace nook makes (as runc and crun
bring it up), before any hook and on every launch path; a namespace joined by
path is left as it is. linux.netDevices: an interface of the runtime's network
namespace moved into the container's, renamed, with its addresses, up; never
moved back (the spec forbids it: the kernel takes it when the namespace goes).
Interfaces are veth pairs in a network namespace of the test's own, never the
host's."""
import subprocess
import uuid

import pytest

from conftest import Nook
from rootless_support import rbundle, rootless_area, rootless_config, rootless_nook, rootless_user  # noqa: F401
from support import sh_lines, wait_for
from test_namespaces import add_namespace, userns_bundle  # noqa: F401 (fixtures)

IFF_UP = 0x1


def lo_flags(bundle):
    return int(sh_lines(bundle.sh("cat /sys/class/net/lo/flags"))[0], 16)


def assert_loopback_works(bundle):
    assert lo_flags(bundle) & IFF_UP
    bundle.args = ["nook-test-helper", "loopback"]
    p = bundle.run()
    assert (p.returncode, p.stdout) == (0, "ok\n"), p.stderr


def test_loopback_is_up_in_a_new_network_namespace(bundle):
    # The common path: nook makes the namespace while the init mounts.
    assert_loopback_works(bundle)


def test_loopback_is_up_with_a_user_namespace(userns_bundle):  # noqa: F811
    # The init gets its network namespace from the outer stage (locked mounts).
    add_namespace(userns_bundle, "user")
    assert_loopback_works(userns_bundle)


def test_loopback_is_up_rootless(rbundle):  # noqa: F811
    # The init, root of the container's user namespace that owns its network namespace.
    assert_loopback_works(rbundle)


def test_loopback_is_up_when_a_namespace_is_joined_by_path(bundle):
    # Joining any namespace by path makes the init unshare the new ones after setns.
    namespaces = [ns for ns in bundle.config["linux"]["namespaces"] if ns["type"] != "ipc"]
    bundle.config["linux"]["namespaces"] = namespaces + [{"type": "ipc", "path": "/proc/self/ns/ipc"}]
    assert_loopback_works(bundle)


def test_loopback_is_up_before_the_first_hook(bundle):
    # createContainer hooks run in the container's namespaces, before the program.
    log = bundle.path / "lo.log"
    bundle.config["hooks"] = {"createContainer": [
        {"path": "/bin/sh", "args": ["sh", "-c", f"ip -o link show lo > {log}"]}]}
    p = bundle.run()
    assert p.returncode == 0, p.stderr
    assert "<LOOPBACK,UP" in log.read_text()


def test_joined_network_namespace_keeps_its_loopback_as_it_is(bundle, netns):
    namespaces = [ns for ns in bundle.config["linux"]["namespaces"] if ns["type"] != "network"]
    bundle.config["linux"]["namespaces"] = namespaces + [{"type": "network", "path": f"/run/netns/{netns}"}]
    out = subprocess.run(["ip", "-n", netns, "-o", "link", "show", "lo"], capture_output=True, text=True, check=True)
    assert "UP" not in out.stdout.split(">")[0]
    assert not lo_flags(bundle) & IFF_UP


def ip(netns, *args, check=True):
    return subprocess.run(["ip", "-n", netns, *args], capture_output=True, text=True, check=check)


def links(netns):
    return [line.split()[0].split("@")[0] for line in ip(netns, "-br", "link").stdout.splitlines()]


@pytest.fixture
def veth(bundle, netns):
    """A veth pair v0/v1 in the test's namespace, v1 with addresses and up, and nook run
    from that namespace (the runtime's namespace the spec speaks of)."""
    ip(netns, "link", "add", "v0", "type", "veth", "peer", "name", "v1")
    ip(netns, "addr", "add", "10.77.0.1/24", "dev", "v0")
    ip(netns, "addr", "add", "10.77.0.2/24", "dev", "v1")
    ip(netns, "addr", "add", "fd00:77::2/64", "dev", "v1", "nodad")
    ip(netns, "link", "set", "v0", "up")
    ip(netns, "link", "set", "v1", "up")
    bundle.nook = Nook(bundle.nook.root, prefix=["nsenter", f"--net=/run/netns/{netns}"])
    return netns


def test_net_device_is_moved_renamed_with_its_addresses_and_up(bundle, veth):
    bundle.config["linux"]["netDevices"] = {"v1": {"name": "eth0"}}
    out = sh_lines(bundle.sh("ip -o addr show dev eth0; ip -o link show eth0; ping -c1 -W2 10.77.0.1 >/dev/null && echo reached"))
    text = "\n".join(out)
    assert "inet 10.77.0.2/24" in text and "inet6 fd00:77::2/64" in text
    assert ",UP" in text and out[-1] == "reached"
    assert "v1" not in links(veth)


def test_net_device_is_not_moved_back_when_the_container_goes(bundle, veth):
    # The kernel destroys a virtual device with the namespace (its veth peer with it);
    # nook moving it back would leave v1 (and v0) in the test's namespace.
    bundle.config["linux"]["netDevices"] = {"v1": {}}
    assert sh_lines(bundle.sh("ip -o link show v1 | grep -c UP")) == ["1"]
    assert wait_for(lambda: "v0" not in links(veth))
    assert "v1" not in links(veth)


def test_net_device_name_template_is_numbered_by_the_kernel(bundle, veth):
    bundle.config["linux"]["netDevices"] = {"v1": {"name": "ceth%d"}}
    assert "inet 10.77.0.2/24" in bundle.sh("ip -o addr show dev ceth0").stdout


def test_missing_net_device_is_refused_before_anything(bundle, veth):
    bundle.config["linux"]["netDevices"] = {"nope0": {}}
    p = bundle.run()
    assert p.returncode != 0
    assert "linux.netDevices: interface `nope0` of nook's network namespace: no such device" in p.stderr
    assert bundle.nook.list_ids() == []


def test_net_device_whose_name_is_taken_in_the_container_stays_where_it_was(bundle, veth):
    # A network namespace joined by path that has an eth0 already.
    other = "nt-" + uuid.uuid4().hex[:10]
    subprocess.run(["ip", "netns", "add", other], check=True)
    try:
        ip(other, "link", "add", "eth0", "type", "veth", "peer", "name", "eth1")
        namespaces = [ns for ns in bundle.config["linux"]["namespaces"] if ns["type"] != "network"]
        bundle.config["linux"]["namespaces"] = namespaces + [{"type": "network", "path": f"/run/netns/{other}"}]
        bundle.config["linux"]["netDevices"] = {"v1": {"name": "eth0"}}
        p = bundle.run()
        assert p.returncode != 0
        assert "move `v1` into the container's network namespace as `eth0`: file exists" in p.stderr
        assert "v1" in links(veth) and "UP" in ip(veth, "-br", "link", "show", "v1").stdout
        assert "10.77.0.2/24" in ip(veth, "-br", "addr", "show", "v1").stdout
    finally:
        subprocess.run(["ip", "netns", "del", other], check=False)


def test_net_devices_are_refused_rootless(rbundle):  # noqa: F811
    # Moving one of the host's interfaces needs CAP_NET_ADMIN over the host's network.
    rbundle.config["linux"]["netDevices"] = {"lo": {"name": "lo2"}}
    p = rbundle.run()
    assert p.returncode != 0
    assert "linux.netDevices: not for rootless containers" in p.stderr
