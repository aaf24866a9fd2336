"""The container's root: hostname and domainname, the propagation of `/`,
root.readonly, pivot_root and --no-pivot."""
import os
import socket
import subprocess

import pytest

from support import parse_mountinfo, sh_lines, mount_tmpfs, umount, wait_for


def test_hostname_and_domainname_are_set_inside_only(bundle):
    bundle.config["hostname"] = "nook-host-test"
    bundle.config["domainname"] = "nook.example"
    host_before = socket.gethostname()
    out = sh_lines(bundle.sh("hostname; cat /proc/sys/kernel/domainname"))
    assert out == ["nook-host-test", "nook.example"]
    assert socket.gethostname() == host_before
    assert open("/proc/sys/kernel/domainname").read() != "nook.example\n"


def test_hostname_is_seen_in_the_containers_uts_namespace_from_the_host(bundle):
    bundle.config["hostname"] = "nook-seen"
    bundle.args = ["sleep", "30"]
    bundle.create()
    pid = bundle.state()["pid"]
    out = subprocess.run(["nsenter", "-t", str(pid), "-u", "hostname"], capture_output=True, text=True, check=True)
    assert out.stdout == "nook-seen\n"
    bundle.delete()


def test_hostname_without_a_uts_namespace_is_refused(bundle):
    bundle.config["linux"]["namespaces"] = [ns for ns in bundle.config["linux"]["namespaces"]
                                            if ns["type"] != "uts"]
    bundle.config["hostname"] = "must-not-reach-the-host"
    host_before = socket.gethostname()
    p = bundle.run()
    assert p.returncode != 0 and "hostname" in p.stderr
    assert socket.gethostname() == host_before


@pytest.fixture
def shared_dir(tmp_path):
    """A host directory that is a shared mount of its own, with a fifo the
    container waits on while the test mounts something below it."""
    d = tmp_path / "shared"
    d.mkdir()
    subprocess.run(["mount", "--bind", str(d), str(d)], check=True)
    subprocess.run(["mount", "--make-shared", str(d)], check=True)
    (d / "sub").mkdir()
    os.mkfifo(d / "go")
    yield d
    umount(d / "sub")
    umount(d)


def container_sees_host_mount(bundle, shared_dir, propagation):
    """Runs a container that binds shared_dir at /mnt; once it runs, the host
    mounts a tmpfs at shared_dir/sub; says whether the container sees it."""
    if propagation is not None:
        bundle.config["linux"]["rootfsPropagation"] = propagation
    bundle.config["mounts"].append({"destination": "/mnt", "type": "bind", "source": str(shared_dir),
                                    "options": ["rbind"]})
    bundle.args = ["sh", "-c", "read x < /mnt/go; grep -c ' /mnt/sub ' /proc/self/mountinfo"]
    proc = bundle.popen("run", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert wait_for(lambda: bundle.nook("state", bundle.id, check=False).returncode == 0
                    and bundle.state()["status"] == "running")
    pid = bundle.state()["pid"]
    mount_tmpfs(shared_dir / "sub")
    from_host = " /mnt/sub " in open(f"/proc/{pid}/mountinfo").read()
    with open(shared_dir / "go", "w") as f:
        f.write("go\n")
    out, err = proc.communicate(timeout=10)
    inside = out.strip() == "1"
    assert inside == from_host, (out, err)
    return inside


def test_rootfs_propagation_defaults_to_private(bundle, shared_dir):
    assert not container_sees_host_mount(bundle, shared_dir, None)


def test_rootfs_propagation_rprivate(bundle, shared_dir):
    assert not container_sees_host_mount(bundle, shared_dir, "rprivate")


@pytest.mark.parametrize("propagation", ["rslave", "slave", "rshared", "shared"])
def test_rootfs_propagation_slave_and_shared_receive_host_mounts(bundle, shared_dir, propagation):
    assert container_sees_host_mount(bundle, shared_dir, propagation)


def test_rootfs_propagation_rshared_sends_mounts_to_the_host(bundle, shared_dir):
    bundle.config["linux"]["rootfsPropagation"] = "rshared"
    bundle.config["process"]["capabilities"]["effective"].append("CAP_SYS_ADMIN")
    bundle.config["process"]["capabilities"]["permitted"].append("CAP_SYS_ADMIN")
    bundle.config["process"]["capabilities"]["bounding"].append("CAP_SYS_ADMIN")
    bundle.config["mounts"].append({"destination": "/mnt", "type": "bind", "source": str(shared_dir),
                                    "options": ["rbind"]})
    bundle.args = ["sh", "-c", "mount -t tmpfs -o size=1k from-container /mnt/sub && grep ' / ' /proc/self/mountinfo"]
    out = sh_lines(bundle.run())
    assert any(field.startswith("shared:") for field in out[0].split(" - ")[0].split()[6:]), out
    host = parse_mountinfo(open("/proc/self/mountinfo").read())
    assert host[str(shared_dir / "sub")]["source"] == "from-container"


def test_root_is_a_private_mount_by_default(bundle):
    out = sh_lines(bundle.sh("cat /proc/self/mountinfo"))
    root = parse_mountinfo("\n".join(out))["/"]
    assert not [f for f in root["optional"] if f.startswith(("shared:", "master:"))]


@pytest.mark.parametrize("propagation", ["unbindable", "runbindable"])
def test_rootfs_propagation_unbindable(bundle, propagation):
    bundle.config["linux"]["rootfsPropagation"] = propagation
    m = parse_mountinfo("\n".join(sh_lines(bundle.sh("cat /proc/self/mountinfo"))))
    assert m["/"]["optional"] == ["unbindable"]
    assert m["/proc"]["optional"] == (["unbindable"] if propagation == "runbindable" else [])


def test_readonly_root_refuses_writes(bundle):
    bundle.config["root"]["readonly"] = True
    p = bundle.sh("touch /made; echo $?; grep ' / ' /proc/self/mountinfo")
    assert "Read-only file system" in p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] != "0"
    assert "ro" in parse_mountinfo(lines[1])["/"]["options"]
    assert not (bundle.rootfs / "made").exists()
    # The host's view of the rootfs is not touched.
    (bundle.rootfs / "host-can-write").write_text("yes")


def test_writable_root_when_not_readonly(bundle):
    bundle.config["root"]["readonly"] = False
    p = bundle.sh("touch /made && grep ' / ' /proc/self/mountinfo")
    assert p.returncode == 0, p.stderr
    assert "rw" in parse_mountinfo(p.stdout)["/"]["options"]
    assert (bundle.rootfs / "made").exists()


@pytest.mark.parametrize("pivot", [True, False], ids=["pivot_root", "no-pivot"])
def test_root_is_the_rootfs(bundle, pivot, tmp_path):
    (bundle.rootfs / "marker").write_text("inside\n")
    options = () if pivot else ("--no-pivot",)
    bundle.args = ["sh", "-c", f"cat /marker; ls {tmp_path} 2>&1; cat /proc/self/mountinfo"]
    p = bundle.run(*options)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "inside"
    assert "No such file or directory" in lines[1]
    mounts = parse_mountinfo("\n".join(lines[2:]))
    assert mounts["/"]["root"] == str(bundle.rootfs) or mounts["/"]["root"].endswith("/rootfs")
    assert "/proc" in mounts and "/dev" in mounts


@pytest.mark.parametrize("pivot", [True, False], ids=["pivot_root", "no-pivot"])
def test_chroot_cannot_climb_back_to_the_host(bundle, pivot, tmp_path):
    """Both pivot_root and MS_MOVE onto "/" + chroot leave no way up to the host's
    tree (a bare chroot would: CAP_SYS_CHROOT climbs out of it)."""
    (tmp_path / "host-only").write_text("")
    bundle.args = ["nook-test-helper", "escape-chroot", "/dev/shm/out", str(tmp_path / "host-only")]
    p = bundle.run(*(() if pivot else ("--no-pivot",)))
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout == "hidden\n"
