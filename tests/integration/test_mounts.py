"""mounts[]: bind and rbind with their options, propagation, filesystem data
options, the filesystem types, destinations created as needed, and
destinations that go through symlinks of the image."""
import os
import stat
import subprocess

import pytest

from support import parse_mountinfo, sh_lines, mount_tmpfs, umount


@pytest.fixture
def source(tmp_path):
    """A host directory with a file, a tiny executable and a device node, on a
    tmpfs of its own: a bind mount starts with its source mount's flags, and
    those of the filesystem that holds tmp_path (nosuid,nodev where /tmp is a
    tmpfs) are the host's choice, not the test's."""
    d = tmp_path / "source"
    d.mkdir()
    mount_tmpfs(d)
    (d / "file").write_text("content\n")
    (d / "run.sh").write_text("#!/bin/sh\necho ran\n")
    os.chmod(d / "run.sh", 0o755)
    os.mknod(d / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    yield d
    umount(d)


def add_mount(bundle, destination, source, type_="bind", options=()):
    bundle.config["mounts"].append({"destination": destination, "type": type_, "source": str(source),
                                    "options": list(options)})


def mounts_inside(bundle, script=""):
    """The container's mount table (after running script)."""
    out = sh_lines(bundle.sh(f"{script}\ncat /proc/self/mountinfo"))
    return parse_mountinfo("\n".join(line for line in out if " - " in line))


@pytest.mark.parametrize("options,flags", [
    (["bind"], {"rw"}),
    (["bind", "ro"], {"ro"}),
    (["rbind", "ro", "nosuid"], {"ro", "nosuid"}),
    (["bind", "nodev", "noexec"], {"nodev", "noexec"}),
    (["bind", "noatime"], {"noatime"}),
    (["bind", "strictatime"], set()),
    (["bind", "relatime", "nodiratime"], {"relatime", "nodiratime"}),
])
def test_bind_mount_options_show_in_mountinfo(bundle, source, options, flags):
    add_mount(bundle, "/mnt", source, options=options)
    m = mounts_inside(bundle)["/mnt"]
    assert flags <= m["options"]
    for flag in ("ro", "nosuid", "nodev", "noexec", "noatime", "nodiratime"):
        if flag not in flags:
            assert flag not in m["options"], flag
    if any("atime" in o for o in options):
        # strictatime shows as neither noatime nor relatime.
        assert {"noatime", "relatime"} & m["options"] == {"noatime", "relatime"} & flags


def test_bind_keeps_the_flags_of_its_source_mount(bundle, source):
    """Options add flags to what the source mount has; they never clear nosuid or
    nodev that the host put there (crun clears what is not named, runc does when
    a flag is named)."""
    subprocess.run(["mount", "-o", "remount,nosuid,nodev", str(source)], check=True)
    add_mount(bundle, "/mnt", source, options=["bind", "ro"])
    assert {"ro", "nosuid", "nodev"} <= mounts_inside(bundle)["/mnt"]["options"]


def test_bind_ro_refuses_writes(bundle, source):
    add_mount(bundle, "/mnt", source, options=["bind", "ro"])
    p = bundle.sh("echo x > /mnt/file")
    assert p.returncode != 0 and "Read-only file system" in p.stderr
    assert (source / "file").read_text() == "content\n"


def test_bind_rw_writes_reach_the_host(bundle, source):
    add_mount(bundle, "/mnt", source, options=["bind", "rw"])
    assert bundle.sh("echo changed > /mnt/file").returncode == 0
    assert (source / "file").read_text() == "changed\n"


def test_bind_noexec_refuses_exec(bundle, source):
    add_mount(bundle, "/exec", source, options=["bind"])
    add_mount(bundle, "/noexec", source, options=["bind", "noexec"])
    p = bundle.sh("/exec/run.sh; /noexec/run.sh")
    assert p.stdout == "ran\n"
    assert "Permission denied" in p.stderr


def test_bind_nodev_refuses_device_nodes(bundle, source):
    add_mount(bundle, "/dev-ok", source, options=["bind"])
    add_mount(bundle, "/nodev", source, options=["bind", "nodev"])
    bundle.config["linux"]["resources"]["devices"] = [{"allow": True, "access": "rwm"}]
    p = bundle.sh("echo > /dev-ok/null && echo ok; echo > /nodev/null")
    assert p.stdout == "ok\n"
    assert "Permission denied" in p.stderr


def test_bind_nosuid_shows_on_the_mount(bundle, source):
    add_mount(bundle, "/nosuid", source, options=["bind", "nosuid"])
    assert "nosuid" in mounts_inside(bundle)["/nosuid"]["options"]


@pytest.fixture
def source_with_submount(source):
    (source / "sub").mkdir()
    mount_tmpfs(source / "sub")
    (source / "sub" / "in-sub").write_text("")
    yield source
    umount(source / "sub")


def test_rbind_brings_submounts_and_bind_does_not(bundle, source_with_submount):
    add_mount(bundle, "/rbind", source_with_submount, options=["rbind"])
    add_mount(bundle, "/bind", source_with_submount, options=["bind"])
    out = sh_lines(bundle.sh("ls /rbind/sub; ls /bind/sub; echo end"))
    assert out == ["in-sub", "end"]


def test_rro_makes_submounts_read_only_too(bundle, source_with_submount):
    add_mount(bundle, "/mnt", source_with_submount, options=["rbind", "rro"])
    m = mounts_inside(bundle)
    assert "ro" in m["/mnt"]["options"] and "ro" in m["/mnt/sub"]["options"]
    # Plain ro only reaches the top mount.
    bundle.config["mounts"][-1]["options"] = ["rbind", "ro"]
    m = mounts_inside(bundle)
    assert "ro" in m["/mnt"]["options"] and "rw" in m["/mnt/sub"]["options"]


@pytest.fixture
def shared_source(source):
    subprocess.run(["mount", "--bind", str(source), str(source)], check=True)
    subprocess.run(["mount", "--make-shared", str(source)], check=True)
    yield source
    umount(source)


def peer_group(mount, kind):
    fields = [f.split(":")[1] for f in mount["optional"] if f.startswith(kind + ":")]
    return fields[0] if fields else None


def test_propagation_options_show_in_mountinfo(bundle, shared_source):
    host = parse_mountinfo(open("/proc/self/mountinfo").read())[str(shared_source)]
    # A non-recursive "shared" root leaves the copies of host mounts peers of the
    # host's, and does not override the options below.
    bundle.config["linux"]["rootfsPropagation"] = "shared"
    for name in ("private", "shared", "slave", "unbindable"):
        add_mount(bundle, f"/{name}", shared_source, options=["bind", name])
    m = mounts_inside(bundle)
    assert m["/private"]["optional"] == []
    assert m["/shared"]["optional"] == [f"shared:{peer_group(host, 'shared')}"]
    assert m["/slave"]["optional"] == [f"master:{peer_group(host, 'shared')}"]
    assert m["/unbindable"]["optional"] == ["unbindable"]


def test_recursive_propagation_reaches_submounts(bundle, source_with_submount):
    add_mount(bundle, "/mnt", source_with_submount, options=["rbind", "rshared"])
    m = mounts_inside(bundle)
    assert peer_group(m["/mnt"], "shared") and peer_group(m["/mnt/sub"], "shared")
    bundle.config["mounts"][-1]["options"] = ["rbind", "shared"]
    m = mounts_inside(bundle)
    assert peer_group(m["/mnt"], "shared") and not peer_group(m["/mnt/sub"], "shared")


def test_tmpfs_data_options_are_passed_through(bundle):
    bundle.config["mounts"].append({"destination": "/data", "type": "tmpfs", "source": "tmpfs",
                                    "options": ["nosuid", "size=1m", "mode=0710", "uid=1000", "gid=1001"]})
    m = mounts_inside(bundle)["/data"]
    assert m["fstype"] == "tmpfs" and "nosuid" in m["options"]
    assert {"size=1024k", "mode=710", "uid=1000", "gid=1001"} <= m["super"]
    out = sh_lines(bundle.sh("nook-test-helper stat /data"))
    assert out == ["d 0:0 0710 1000:1001"]


def test_unknown_data_option_fails_the_mount(bundle):
    bundle.config["mounts"].append({"destination": "/data", "type": "tmpfs", "source": "tmpfs",
                                    "options": ["no-such-option=1"]})
    p = bundle.run()
    assert p.returncode != 0
    assert "mounts[7]" in p.stderr and "/data" in p.stderr


def test_default_filesystem_types(bundle):
    m = mounts_inside(bundle)
    expected = {"/proc": "proc", "/dev": "tmpfs", "/dev/pts": "devpts", "/dev/shm": "tmpfs",
                "/dev/mqueue": "mqueue", "/sys": "sysfs"}
    assert {k: m[k]["fstype"] for k in expected} == expected
    # The cgroup type: cgroup2, or a tmpfs holding the v1 hierarchies.
    cgroup = m["/sys/fs/cgroup"]
    assert cgroup["fstype"] in ("cgroup2", "tmpfs")
    if cgroup["fstype"] == "tmpfs":
        assert m["/sys/fs/cgroup/memory"]["fstype"] == "cgroup"
        assert "ro" in m["/sys/fs/cgroup/memory"]["options"]


def test_cgroup_mount_shows_the_containers_own_cgroup(bundle):
    bundle.args = ["sh", "-c", "cat /sys/fs/cgroup/memory/cgroup.procs; true"]
    p = bundle.run()
    assert p.returncode == 0, p.stderr
    # Only the container's processes are in its cgroup: the shell (pid 1) and cat.
    assert sorted(int(x) for x in p.stdout.split()) == [1, 2]


@pytest.mark.parametrize("kind", ["file", "dir"])
def test_bind_destination_is_created_after_the_source_type(bundle, source, kind):
    src = source / "file" if kind == "file" else source
    add_mount(bundle, "/new/deep/target", src, options=["bind"])
    out = sh_lines(bundle.sh("nook-test-helper stat /new/deep/target"))
    assert out[0][0] == ("f" if kind == "file" else "d")
    created = bundle.rootfs / "new" / "deep" / "target"
    assert created.is_file() if kind == "file" else created.is_dir()


def test_filesystem_destination_is_created_as_a_directory(bundle):
    bundle.config["mounts"].append({"destination": "/made/for/tmpfs", "type": "tmpfs", "source": "tmpfs"})
    assert mounts_inside(bundle)["/made/for/tmpfs"]["fstype"] == "tmpfs"
    assert (bundle.rootfs / "made" / "for" / "tmpfs").is_dir()


@pytest.fixture
def outside(tmp_path):
    d = tmp_path / "outside"
    d.mkdir()
    return d


@pytest.mark.parametrize("link", ["absolute", "relative"])
@pytest.mark.parametrize("type_", ["tmpfs", "bind", "mqueue", "cgroup"])
def test_destination_through_a_symlink_stays_inside_the_rootfs(bundle, source, outside, link, type_):
    target = str(outside) if link == "absolute" else "../" * 12 + str(outside).lstrip("/")
    os.symlink(target, bundle.rootfs / "escape")
    if type_ == "bind":
        add_mount(bundle, "/escape/x", source, options=["bind"])
    else:
        bundle.config["mounts"].append({"destination": "/escape/x", "type": type_, "source": type_})
    m = mounts_inside(bundle)
    # The mount landed on the path the symlink names, inside the container's root...
    assert f"{outside}/x" in m
    assert (bundle.rootfs / str(outside).lstrip("/") / "x").is_dir()
    # ...and nothing was created or mounted on the host's copy of that path.
    assert list(outside.iterdir()) == []


def test_destination_that_is_a_dangling_symlink_stays_inside(bundle, source, outside):
    os.symlink(str(outside / "file"), bundle.rootfs / "escape-file")
    add_mount(bundle, "/escape-file", source / "file", options=["bind"])
    out = sh_lines(bundle.sh(f"cat {outside}/file"))
    assert out == ["content"]
    assert list(outside.iterdir()) == []


def test_proc_on_a_symlink_is_refused(bundle, outside):
    os.rmdir(bundle.rootfs / "proc")
    os.symlink(str(outside), bundle.rootfs / "proc")
    p = bundle.run()
    assert p.returncode != 0 and "symlink" in p.stderr and "/proc" in p.stderr
    assert list(outside.iterdir()) == []


def test_relative_bind_source_is_relative_to_the_bundle(bundle, tmp_path, monkeypatch):
    (bundle.path / "volume").mkdir()
    (bundle.path / "volume" / "in-volume").write_text("")
    monkeypatch.chdir(tmp_path)
    add_mount(bundle, "/volume", "volume", options=["rbind"])
    assert sh_lines(bundle.sh("ls /volume")) == ["in-volume"]
