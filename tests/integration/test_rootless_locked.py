"""Locked mounts (seed 002): the mounts, masks and read-only paths of a
user-namespaced container are made in a more privileged user namespace than
the container's, so the kernel locks them in the container's copy. Root in the
container, even with CAP_SYS_ADMIN, cannot unmount a mask to see what is under
it, nor make a read-only path writable. Rootless, and rootful with a user
namespace; `nook inspect`'s probe agrees with what the container sees."""
import json
import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest

from conftest import Bundle
from rootless_support import (  # noqa: F401 (fixtures)
    map_ranges, rbundle, rootless_area, rootless_config, rootless_nook, rootless_user)
from support import parse_mountinfo, sh_lines

MASKED_FILE, MASKED_DIR, READONLY = "/proc/keys", "/proc/acpi", "/proc/sys"


def privileged(bundle):
    """CAP_SYS_ADMIN in the container's user namespace, and no seccomp profile in the way:
    only the kernel's locks stand between root in the container and the masks."""
    for kind in ("bounding", "effective", "permitted"):
        bundle.config["process"]["capabilities"][kind] += ["CAP_SYS_ADMIN", "CAP_NET_ADMIN"]
    bundle.config["linux"].pop("seccomp", None)
    bundle.config["process"]["noNewPrivileges"] = True


TRIES = (f"nook-test-helper umount {MASKED_FILE}; nook-test-helper umount {MASKED_FILE} lazy; "
         f"nook-test-helper umount {MASKED_DIR} lazy; nook-test-helper umount {READONLY} lazy; "
         f"nook-test-helper remount-rw {READONLY}; nook-test-helper remount-rw /sys; "
         f"nook-test-helper umount /sys/firmware lazy; nook-test-helper umount /dev/null lazy; "
         f"nook-test-helper umount /proc lazy; "
         f"wc -c < {MASKED_FILE}; ls -A {MASKED_DIR} | wc -l; grep -c . /proc/self/mountinfo")

REFUSED = ["umount: EINVAL", "umount: EINVAL", "umount: EINVAL", "umount: EINVAL",
           "remount: EPERM", "remount: EPERM", "umount: EINVAL", "umount: EINVAL", "umount: EINVAL",
           "0", "0"]


def check_locked_inside(bundle):
    lines = sh_lines(bundle.sh(TRIES))
    assert lines[:-1] == REFUSED


def test_rootless_masks_and_read_only_paths_are_locked(rbundle, rootless_user):
    privileged(rbundle)
    check_locked_inside(rbundle)


def test_rootless_with_subordinate_ranges_is_locked_too(rbundle, rootless_user):
    privileged(rbundle)
    map_ranges(rbundle, rootless_user)
    check_locked_inside(rbundle)


def test_rootless_container_can_still_mount_its_own(rbundle):
    """Locked is not frozen: root in the container mounts over its own paths and
    unmounts what it mounted; /proc/sys stays read-only below it."""
    privileged(rbundle)
    p = rbundle.sh("nook-test-helper mount-tmpfs /tmp && touch /tmp/x && nook-test-helper umount /tmp; "
                   "nook-test-helper unshare-mount umount /proc/keys; ip link set lo up && echo lo-up; "
                   "echo 1 > /proc/sys/net/ipv4/ip_forward || echo ro")
    assert sh_lines(p) == ["ok", "ok", "umount: EINVAL", "lo-up", "ro"]


def test_inspect_reports_the_rootless_masks_locked(rbundle, rootless_user):
    privileged(rbundle)
    rbundle.args = ["sleep", "100"]
    rbundle.create()
    rbundle.start()
    r = json.loads(rbundle.nook("inspect", "--format", "json", rbundle.id).stdout)
    locked = r["lockedMounts"]
    assert locked["userNamespace"] is True and locked["checked"] is True
    paths = {p["path"]: p for p in locked["paths"]}
    assert {MASKED_FILE, MASKED_DIR, READONLY} <= set(paths)
    for path, entry in paths.items():
        assert entry["locked"] is True, entry
        assert entry["unmount"] == "refused", entry
    assert paths[READONLY]["remountWritable"] == "refused"
    assert r["users"]["rootOnHost"] == rootless_user.uid
    # An ordinary user cannot read pid 1's namespaces: nook compares with its caller's.
    assert r["reference"]["kind"] == "caller"
    assert r["cgroup"]["own"] is False
    assert not any("are not locked" in v["what"] for v in r["verdict"])
    rbundle.delete("--force")


@pytest.fixture
def userns_bundle(nook, rootfs_template, default_config):
    """A rootful bundle with a user namespace (container root = host 300000) that the
    container's root can reach."""
    path = pathlib.Path(tempfile.mkdtemp(prefix="nook-locked-", dir="/tmp"))
    os.chmod(path, 0o711)
    (path / "bundle").mkdir(mode=0o711)
    shutil.copytree(rootfs_template, path / "bundle" / "rootfs", symlinks=True)
    subprocess.run(["chown", "-R", "-h", "300000:300000", str(path / "bundle" / "rootfs")], check=True)
    b = Bundle(path / "bundle", nook, default_config)
    b.config["linux"]["namespaces"].append({"type": "user"})
    b.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 300000, "size": 65536}]
    b.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 300000, "size": 65536}]
    yield b
    for cid in nook.list_ids():
        nook("delete", "--force", cid, check=False)
    with open("/proc/self/mountinfo") as f:
        assert [line for line in f if str(path) in line] == [], "mounts left behind"
    shutil.rmtree(path)


def test_rootful_user_namespace_masks_are_locked(userns_bundle):
    privileged(userns_bundle)
    check_locked_inside(userns_bundle)


def test_rootful_user_namespace_mount_options_mean_container_ids(userns_bundle):
    """Mounts are made outside the container's user namespace, yet uid=/gid= options
    and the owners of what nook creates are the container's ids, as with runc."""
    b = userns_bundle
    b.config["mounts"].append({"destination": "/data", "type": "tmpfs", "source": "tmpfs",
                               "options": ["uid=1000", "gid=1000", "mode=700"]})
    b.config["root"]["readonly"] = False
    p = b.sh("nook-test-helper stat /data; nook-test-helper stat /dev; nook-test-helper stat /dev/shm; "
             "mkdir /made; nook-test-helper stat /made; exec 3<>/dev/ptmx; nook-test-helper stat /dev/pts/0")
    lines = sh_lines(p)
    assert lines[0].endswith(" 0700 1000:1000")
    assert lines[1].endswith(" 0:0") and lines[2].endswith(" 0:0") and lines[3].endswith(" 0:0")
    # devpts's gid=5 is the container's tty group.
    assert lines[4].startswith("c 136:0 0620 ") and lines[4].endswith(":5")
    st = os.stat(b.rootfs / "made")
    assert (st.st_uid, st.st_gid) == (300000, 300000)


def test_rootless_no_pivot_is_locked_and_jailed(rbundle):
    """--no-pivot: the rootfs is moved over "/" before the copy (a locked mount cannot
    move), and the chroot cannot be climbed out of."""
    privileged(rbundle)
    rbundle.config["root"]["readonly"] = False
    rbundle.config["process"]["capabilities"]["bounding"].append("CAP_SYS_CHROOT")
    rbundle.args = ["sh", "-c", f"nook-test-helper umount {MASKED_FILE} lazy; nook-test-helper remount-rw {READONLY}; "
                    "nook-test-helper escape-chroot /tmp/jail /etc/subuid; wc -c < /proc/keys"]
    p = rbundle.run("--no-pivot")
    assert sh_lines(p) == ["umount: EINVAL", "remount: EPERM", "hidden", "0"]


def test_read_only_root_is_locked_unless_hooks_need_it_writable(rbundle, rootless_area):
    """Without hooks before pivot_root, root.readonly is set before the copy and locked;
    with one, the hook gets a writable root (as with runc) and the init makes it
    read-only after: still read-only, though not locked."""
    privileged(rbundle)
    rbundle.config["root"]["readonly"] = True
    lines = rbundle.sh("touch /x 2>/dev/null || echo ro; nook-test-helper remount-rw /").stdout.splitlines()
    assert lines == ["ro", "remount: EPERM"]
    # A createContainer hook runs in the container's namespaces, from the bundle.
    rbundle.config["hooks"] = {"createContainer": [{"path": "/bin/sh",
                                                    "args": ["sh", "-c", "touch rootfs/made-by-hook"]}]}
    lines = sh_lines(rbundle.sh("ls /made-by-hook; touch /x 2>/dev/null || echo ro"))
    assert lines == ["/made-by-hook", "ro"]


def test_time_offsets_with_locked_mounts(userns_bundle):
    b = userns_bundle
    b.config["linux"]["namespaces"].append({"type": "time"})
    b.config["linux"]["timeOffsets"] = {"boottime": {"secs": 86400, "nanosecs": 0}}
    boottime = int(subprocess.run([str(b.rootfs / "bin/nook-test-helper"), "boottime"],
                                  capture_output=True, text=True).stdout)
    out = sh_lines(b.sh("nook-test-helper boottime; cat /proc/self/timens_offsets; wc -c < /proc/keys"))
    assert boottime + 86400 <= int(out[0]) < boottime + 86400 + 30
    assert ["boottime", "86400", "0"] in [line.split() for line in out[1:3]]
    assert out[3] == "0"


def test_joined_network_namespace_with_locked_mounts(userns_bundle):
    """A namespace joined by path is joined by the outer stage, before the container's
    own user namespace exists; the init inherits it."""
    b = userns_bundle
    name = "nook-rl-" + os.urandom(4).hex()
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "-n", name, "addr", "add", "192.0.2.78/32", "dev", "lo"], check=True)
        for ns in b.config["linux"]["namespaces"]:
            if ns["type"] == "network":
                ns["path"] = f"/run/netns/{name}"
        privileged(b)
        out = b.sh(f"ip addr show lo; nook-test-helper umount {MASKED_FILE}").stdout
        assert "192.0.2.78/32" in out and "umount: EINVAL" in out
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=True)


def test_tmpcopyup_from_outside_keeps_the_container_owners(userns_bundle):
    """tmpcopyup runs in the mount helper, on its own stack: a deep tree copies
    whole, and the copies keep the image's (container) owners."""
    b = userns_bundle
    deep = b.rootfs / "data"
    path = deep
    for i in range(40):
        path = path / f"d{i}"
    path.mkdir(parents=True)
    (path / "leaf").write_text("leaf\n")
    subprocess.run(["chown", "-R", "300000:300007", str(deep)], check=True)
    b.config["mounts"].append({"destination": "/data", "type": "tmpfs", "source": "tmpfs",
                               "options": ["tmpcopyup"]})
    leaf = "/data/" + "/".join(f"d{i}" for i in range(40)) + "/leaf"
    lines = sh_lines(b.sh(f"cat {leaf}; nook-test-helper stat {leaf}; grep -c ' /data ' /proc/self/mountinfo"))
    assert lines[0] == "leaf" and lines[1].endswith(" 0:7") and lines[2] == "1"


def test_a_mount_error_of_the_helper_reaches_the_user(rbundle):
    rbundle.config["mounts"].append({"destination": "/data", "type": "tmpfs", "source": "tmpfs",
                                     "options": ["size=lots"]})
    p = rbundle.run()
    assert p.returncode != 0
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and "mounts[7]" in lines[0] and "/data" in lines[0], p.stderr
    assert rbundle.nook.list_ids() == []
