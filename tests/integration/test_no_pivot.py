"""--no-pivot: the rootfs moved over "/" must leave none of the host's mounts
beneath it in the container's mount namespace (runc's no_pivot test)."""
import pathlib

import pytest

from support import sh_lines


def grant(bundle, *caps):
    for kind in ("bounding", "effective", "permitted"):
        bundle.config["process"]["capabilities"][kind] += list(caps)


@pytest.mark.parametrize("pivot", [True, False], ids=["pivot_root", "no-pivot"])
def test_a_nested_user_namespace_cannot_mount_a_fresh_procfs(bundle, pivot):
    """With a bare procfs of the host left in the namespace, the kernel lets a
    user namespace mount procfs (mount_too_revealing finds a full one)."""
    if pathlib.Path("/proc/sys/user/max_user_namespaces").read_text().strip() == "0":
        pytest.skip("user namespaces are disabled on this host")
    grant(bundle, "CAP_SETFCAP")
    bundle.args = ["unshare", "-mrpf", "sh", "-c", "mount -t proc none /proc && echo mounted"]
    p = bundle.run(*(() if pivot else ("--no-pivot",)))
    assert p.returncode != 0 and "mounted" not in p.stdout
    assert "permission denied" in p.stderr.lower(), p.stderr


@pytest.mark.parametrize("pivot", [True, False], ids=["pivot_root", "no-pivot"])
def test_no_host_mount_stays_beneath_the_root(bundle, pivot):
    grant(bundle, "CAP_SYS_ADMIN")
    bundle.args = ["nook-test-helper", "mounts-beside-root"]
    p = bundle.run(*(() if pivot else ("--no-pivot",)))
    if "ENOSYS" in p.stdout:
        pytest.skip("no listmount(2) in this kernel (Linux 6.8)")
    assert sh_lines(p) == ["0"]
