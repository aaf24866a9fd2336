"""Idmapped mounts (OCI mounts[].uidMappings/gidMappings, options idmap and
ridmap): a host directory bound into a user-namespaced container shows its
owners through the mount's maps (mount_setattr MOUNT_ATTR_IDMAP), without a
chown. They need CAP_SYS_ADMIN over the host filesystem: rootful only."""
import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest

from conftest import Bundle, new_id
from rootless_support import (  # noqa: F401 (fixtures)
    rbundle, rootless_area, rootless_config, rootless_nook, rootless_user)
from support import sh_lines

MAPS = [{"containerID": 0, "hostID": 300000, "size": 65536}]


@pytest.fixture
def area():
    path = pathlib.Path(tempfile.mkdtemp(prefix="nook-idmap-", dir="/tmp"))
    os.chmod(path, 0o711)
    yield path
    subprocess.run(["umount", "-R", "-l", str(path / "shared" / "sub")], capture_output=True)
    shutil.rmtree(path)


@pytest.fixture
def ubundle(area, nook, rootfs_template, default_config):
    """Rootful, with a user namespace: container root is host 300000."""
    (area / "bundle").mkdir(mode=0o711)
    shutil.copytree(rootfs_template, area / "bundle" / "rootfs", symlinks=True)
    subprocess.run(["chown", "-R", "-h", "300000:300000", str(area / "bundle" / "rootfs")], check=True)
    b = Bundle(area / "bundle", nook, default_config)
    b.config["linux"]["namespaces"].append({"type": "user"})
    b.config["linux"]["uidMappings"] = MAPS
    b.config["linux"]["gidMappings"] = MAPS
    yield b
    for cid in nook.list_ids():
        nook("delete", "--force", cid, check=False)


@pytest.fixture
def shared(area):
    """A host directory as root made it: a root-owned file and one of uid 1000."""
    d = area / "shared"
    d.mkdir(mode=0o755)
    (d / "root-file").write_text("r\n")
    (d / "user-file").write_text("u\n")
    os.chown(d / "user-file", 1000, 1000)
    return d


def bind(bundle, source, options=("rbind",), maps=True):
    m = {"destination": "/shared", "type": "bind", "source": str(source), "options": list(options)}
    if maps:
        m["uidMappings"] = MAPS
        m["gidMappings"] = MAPS
    bundle.config["mounts"].append(m)


STAT = "nook-test-helper stat /shared/root-file; nook-test-helper stat /shared/user-file"


def owners(lines):
    return [line.split()[-1] for line in lines]


def test_without_idmap_host_owners_are_unmapped(ubundle, shared):
    bind(ubundle, shared, maps=False)
    assert owners(sh_lines(ubundle.sh(STAT))) == ["65534:65534", "65534:65534"]


def test_idmapped_mount_shows_the_host_owners_as_container_ids(ubundle, shared):
    bind(ubundle, shared)
    p = ubundle.sh(STAT + "; touch /shared/made; nook-test-helper stat /shared/made; grep ' /shared ' "
                   "/proc/self/mountinfo")
    lines = sh_lines(p)
    assert owners(lines[:3]) == ["0:0", "1000:1000", "0:0"]
    assert "idmapped" in lines[3]
    # Written by the container's root (host 300000), it lands on the disk as what
    # the mount maps it from: 0.
    st = os.stat(shared / "made")
    assert (st.st_uid, st.st_gid) == (0, 0)


def test_idmap_option_alone_takes_the_containers_maps(ubundle, shared):
    bind(ubundle, shared, options=("rbind", "idmap"), maps=False)
    assert owners(sh_lines(ubundle.sh(STAT))) == ["0:0", "1000:1000"]


def test_ridmap_maps_the_mounts_below_too(ubundle, shared, area):
    sub = shared / "sub"
    sub.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "sub", str(sub)], check=True)
    (sub / "file").write_text("s\n")
    bind(ubundle, shared, options=("rbind", "ridmap"))
    assert sh_lines(ubundle.sh("nook-test-helper stat /shared/sub/file"))[0].endswith(" 0:0")
    ubundle.config["mounts"][-1]["options"] = ["rbind", "idmap"]
    ubundle.id = new_id()
    assert sh_lines(ubundle.sh("nook-test-helper stat /shared/sub/file"))[0].endswith(" 65534:65534")


def test_idmapped_mounts_are_binds_only(ubundle):
    ubundle.config["mounts"].append({"destination": "/data", "type": "tmpfs", "source": "tmpfs",
                                     "options": ["idmap"], "uidMappings": MAPS, "gidMappings": MAPS})
    p = ubundle.run()
    assert p.returncode != 0
    assert "mounts[7]" in p.stderr and "bind mounts only" in p.stderr


def test_rootless_idmapped_mount_is_refused_clearly(rbundle, rootless_area):
    shared = rootless_area.mkdir("shared")
    bind(rbundle, shared)
    p = rbundle.run()
    assert p.returncode != 0
    assert "idmapped mount" in p.stderr and str(shared) in p.stderr
    assert rbundle.nook.list_ids() == []
