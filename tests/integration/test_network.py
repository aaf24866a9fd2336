"""Networking: `lo` is up in every network namespace nook makes (as runc and crun
bring it up), before any hook and on every launch path; a namespace joined by
path is left as it is."""
import subprocess
import uuid

import pytest

from support import sh_lines
from test_namespaces import add_namespace, userns_bundle  # noqa: F401 (a fixture)

IFF_UP = 0x1


def lo_flags(bundle):
    return int(sh_lines(bundle.sh("cat /sys/class/net/lo/flags"))[0], 16)


def assert_loopback_works(bundle):
    assert lo_flags(bundle) & IFF_UP
    bundle.args = ["nook-test-helper", "loopback"]
    p = bundle.run()
    assert (p.returncode, p.stdout) == (0, "ok\n"), p.stderr


@pytest.fixture
def netns():
    """A network namespace of the test's own (`ip netns`), its `lo` down."""
    name = "nt-" + uuid.uuid4().hex[:10]
    subprocess.run(["ip", "netns", "add", name], check=True)
    yield name
    subprocess.run(["ip", "netns", "del", name], check=False)


def test_loopback_is_up_in_a_new_network_namespace(bundle):
    # The common path: nook makes the namespace while the init mounts.
    assert_loopback_works(bundle)


def test_loopback_is_up_with_a_user_namespace(userns_bundle):  # noqa: F811
    # The init gets its network namespace from the outer stage (locked mounts).
    add_namespace(userns_bundle, "user")
    assert_loopback_works(userns_bundle)


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
