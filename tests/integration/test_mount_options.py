"""mounts[].options beyond the basics: recursive options on every mount type,
every option checked when config.json is read, crun's symlink options, the
mode a tmpfs keeps, a tmpfs on "/", read-only /dev and kernel trees."""
import os
import stat

import pytest

from support import parse_mountinfo, sh_lines, mount_tmpfs, umount


def mounts_inside(bundle, script=""):
    out = sh_lines(bundle.sh(f"{script}\ncat /proc/self/mountinfo"))
    return parse_mountinfo("\n".join(line for line in out if " - " in line))


def add(bundle, destination, type_, source=None, options=()):
    bundle.config["mounts"].append({"destination": destination, "type": type_, "source": str(source or type_),
                                    "options": list(options)})


# ---- recursive options on every type ----

@pytest.mark.parametrize("type_", ["tmpfs", "mqueue", "proc"])
def test_rro_makes_a_filesystem_mount_read_only(bundle, type_):
    add(bundle, "/data", type_, options=["rro"])
    m = mounts_inside(bundle)["/data"]
    assert m["fstype"] == type_ and "ro" in m["options"]


def test_rro_tmpfs_refuses_writes_and_reaches_the_mounts_below(bundle):
    add(bundle, "/data", "tmpfs", options=["rro", "size=1m"])
    add(bundle, "/data/sub", "tmpfs")
    p = bundle.sh("touch /data/x || echo refused; touch /data/sub/y || echo refused; cat /proc/self/mountinfo")
    lines = sh_lines(p)
    assert lines[:2] == ["refused", "refused"]
    m = parse_mountinfo("\n".join(lines[2:]))
    assert "ro" in m["/data"]["options"] and "ro" in m["/data/sub"]["options"]


def test_recursive_flags_other_than_rro_apply_to_a_tmpfs(bundle):
    add(bundle, "/data", "tmpfs", options=["rnoexec", "rnosuid", "rnodev", "rnoatime"])
    m = mounts_inside(bundle)["/data"]
    assert {"noexec", "nosuid", "nodev", "noatime"} <= m["options"]


def test_rrw_leaves_a_tmpfs_writable(bundle):
    add(bundle, "/data", "tmpfs", options=["rro", "rrw"])
    assert sh_lines(bundle.sh("touch /data/x && echo written")) == ["written"]


def test_rro_cgroup_mount_is_read_only_all_through(bundle):
    bundle.config["mounts"] = [m for m in bundle.config["mounts"] if m["destination"] != "/sys/fs/cgroup"]
    add(bundle, "/sys/fs/cgroup", "cgroup", options=["nosuid", "noexec", "nodev", "rro"])
    m = mounts_inside(bundle)
    below = [p for p in m if p.startswith("/sys/fs/cgroup")]
    assert below and all("ro" in m[p]["options"] for p in below), {p: m[p]["options"] for p in below}


# ---- every option is checked when config.json is read ----

@pytest.mark.parametrize("mount, index, message", [
    ({"type": "tmpfs", "options": ["nosuid", "sise=1m"]}, 1, 'unknown tmpfs option "sise=1m"'),
    ({"type": "bind", "source": "/tmp", "options": ["rbind", "rrro"]}, 1, 'unknown option "rrro"'),
    ({"type": "bind", "source": "/tmp", "options": ["rbind", "mode=755"]}, 1,
     "a bind mount takes no filesystem options"),
    ({"type": "sysfs", "options": ["ro", "size=1"]}, 1, 'unknown sysfs option "size=1"'),
    ({"type": "proc", "options": ["tmpcopyup"]}, 0, '"tmpcopyup": only for tmpfs'),
    ({"type": "tmpfs", "options": ["copy-symlink"]}, 0, '"copy-symlink": only for bind mounts'),
])
def test_a_bad_mount_option_is_refused_before_anything_runs(bundle, tmp_path, mount, index, message):
    marker = tmp_path / "hook-ran"
    bundle.config["hooks"] = {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", f"touch {marker}"]}]}
    bundle.config["mounts"].append({"destination": "/data", "source": "none", **mount})
    p = bundle.run()
    assert p.returncode != 0
    lines = p.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"nook: config.json: mounts[7].options[{index}]: ") and message in lines[0], lines[0]
    assert "`/data`" in lines[0]
    assert not marker.exists()
    assert bundle.nook.list_ids() == []


def test_filesystem_data_of_other_types_goes_to_the_kernel(bundle, tmp_path):
    """overlay's options are the kernel's to judge: nook passes them as they are."""
    for d in ("lower", "upper", "work"):
        (tmp_path / d).mkdir()
    (tmp_path / "lower" / "from-lower").write_text("")
    add(bundle, "/data", "overlay", source="overlay",
        options=[f"lowerdir={tmp_path}/lower", f"upperdir={tmp_path}/upper", f"workdir={tmp_path}/work"])
    assert sh_lines(bundle.sh("ls /data; touch /data/new")) == ["from-lower"]
    assert (tmp_path / "upper" / "new").exists()


# ---- crun's symlink options for binds ----

@pytest.fixture
def linked(tmp_path):
    """A host directory with a file and a symlink to it."""
    d = tmp_path / "linked"
    d.mkdir()
    (d / "file").write_text("content\n")
    os.symlink("file", d / "link")
    return d


def test_copy_symlink_makes_the_symlink_at_the_destination(bundle, linked):
    add(bundle, "/etc/link", "bind", source=linked / "link", options=["rbind", "copy-symlink"])
    assert sh_lines(bundle.sh("readlink /etc/link; grep -c ' /etc/link ' /proc/self/mountinfo || true")) == \
        ["file", "0"]
    assert os.readlink(bundle.rootfs / "etc" / "link") == "file"


def test_copy_symlink_of_a_file_binds_it(bundle, linked):
    add(bundle, "/etc/file", "bind", source=linked / "file", options=["rbind", "copy-symlink"])
    assert sh_lines(bundle.sh("cat /etc/file")) == ["content"]


def test_copy_symlink_refuses_a_different_destination(bundle, linked):
    (bundle.rootfs / "etc" / "link").write_text("mine\n")
    add(bundle, "/etc/link", "bind", source=linked / "link", options=["rbind", "copy-symlink"])
    p = bundle.run()
    assert p.returncode != 0 and "is not a symlink to `file`" in p.stderr and "mounts[7]" in p.stderr


def test_src_nofollow_binds_the_symlink_itself(bundle, linked):
    add(bundle, "/etc/link", "bind", source=linked / "link", options=["bind", "src-nofollow"])
    assert sh_lines(bundle.sh("nook-test-helper stat /etc/link; readlink /etc/link")) == ["l 0:0 0777 0:0", "file"]
    # Without it the bind follows the link: the file's content is there.
    bundle.config["mounts"][-1]["options"] = ["bind"]
    assert sh_lines(bundle.sh("cat /etc/link")) == ["content"]


def test_dest_nofollow_mounts_on_the_symlink_not_its_target(bundle, linked):
    (bundle.rootfs / "target").write_text("image\n")
    os.symlink("/target", bundle.rootfs / "dest-link")
    add(bundle, "/dest-link", "bind", source=linked / "file", options=["bind", "dest-nofollow"])
    assert sh_lines(bundle.sh("cat /target; grep -c ' /dest-link ' /proc/self/mountinfo")) == ["image", "1"]
    # Followed (the default), the bind lands on the target.
    bundle.config["mounts"][-1]["options"] = ["bind"]
    assert sh_lines(bundle.sh("cat /target")) == ["content"]


# ---- tmpfs ----

@pytest.mark.parametrize("mode", [0o700, 0o1750])
def test_tmpfs_without_mode_keeps_the_mode_of_the_directory_it_covers(bundle, mode):
    (bundle.rootfs / "data").mkdir()
    os.chmod(bundle.rootfs / "data", mode)
    add(bundle, "/data", "tmpfs", options=["nosuid"])
    assert sh_lines(bundle.sh("nook-test-helper stat /data")) == [f"d 0:0 {mode:04o} 0:0"]


def test_tmpfs_mode_option_wins_and_a_new_directory_gets_the_tmpfs_default(bundle):
    (bundle.rootfs / "data").mkdir()
    os.chmod(bundle.rootfs / "data", 0o700)
    add(bundle, "/data", "tmpfs", options=["mode=0750"])
    add(bundle, "/made", "tmpfs")
    assert sh_lines(bundle.sh("nook-test-helper stat /data; nook-test-helper stat /made")) == \
        ["d 0:0 0750 0:0", "d 0:0 1777 0:0"]


def test_tmpfs_on_the_root_with_tmpcopyup(bundle):
    (bundle.rootfs / "marker").write_text("from the image\n")
    os.symlink("not-existing", bundle.rootfs / "dangling")
    bundle.config["root"]["readonly"] = False
    bundle.config["mounts"].insert(0, {"destination": "/", "type": "tmpfs", "source": "tmpfs",
                                       "options": ["tmpcopyup"]})
    p = bundle.sh("cat /marker; readlink /dangling; touch /new; cat /proc/self/mountinfo")
    lines = sh_lines(p)
    assert lines[:2] == ["from the image", "not-existing"]
    m = parse_mountinfo("\n".join(lines[2:]))
    assert m["/"]["fstype"] == "tmpfs" and m["/proc"]["fstype"] == "proc"
    # The copy is the container's: the image is untouched.
    assert not (bundle.rootfs / "new").exists()


def test_tmpfs_ro_is_read_only_once_its_mount_points_exist(bundle):
    """A read-only tmpfs gets the mount points of the mounts below it first (runc's order)."""
    add(bundle, "/run", "tmpfs", options=["ro"])
    add(bundle, "/run/inner", "tmpfs")
    m = mounts_inside(bundle)
    assert "ro" in m["/run"]["options"] and "rw" in m["/run/inner"]["options"]


# ---- /dev read-only ----

def test_dev_ro_is_made_read_only_after_its_devices(bundle):
    dev = next(m for m in bundle.config["mounts"] if m["destination"] == "/dev")
    dev["options"].append("ro")
    p = bundle.sh("touch /dev/x 2>/dev/null || echo refused; echo ok > /dev/null; ls /dev/null /dev/zero /dev/pts/ptmx; "
                  "grep ' /dev ' /proc/self/mountinfo")
    lines = sh_lines(p)
    assert lines[:4] == ["refused", "/dev/null", "/dev/pts/ptmx", "/dev/zero"]
    assert "ro" in parse_mountinfo(lines[4])["/dev"]["options"]


# ---- kernel trees bound read-only ----

def test_a_read_only_rbind_of_sys_is_read_only_all_through(bundle):
    """Without a user namespace, root in the container could write the host's
    cgroup files through a writable submount of a read-only /sys bind."""
    bundle.config["mounts"] = [m for m in bundle.config["mounts"] if not m["destination"].startswith("/sys")]
    add(bundle, "/sys", "bind", source="/sys", options=["rbind", "ro", "nosuid", "nodev", "noexec"])
    target = next(p for p in ("/sys/fs/cgroup/pids/cgroup.procs", "/sys/fs/cgroup/cgroup.procs")
                  if os.path.exists(p))
    bundle.args = ["nook-test-helper", "open-write", target]
    assert bundle.run().stdout == "open: EROFS\n"


def test_a_read_only_rbind_of_the_cgroup_tree_is_read_only_all_through(bundle):
    bundle.config["mounts"] = [m for m in bundle.config["mounts"] if m["destination"] != "/sys/fs/cgroup"]
    add(bundle, "/sys/fs/cgroup", "bind", source="/sys/fs/cgroup", options=["rbind", "ro"])
    target = next(p for p in ("/sys/fs/cgroup/pids/cgroup.procs", "/sys/fs/cgroup/cgroup.procs")
                  if os.path.exists(p))
    bundle.args = ["nook-test-helper", "open-write", target]
    assert bundle.run().stdout == "open: EROFS\n"


def test_a_read_only_rbind_of_another_tree_keeps_its_submounts_as_they_are(bundle, tmp_path):
    """Plain ro reaches the top mount only, as with runc: rro is there for the rest."""
    source = tmp_path / "source"
    (source / "sub").mkdir(parents=True)
    mount_tmpfs(source / "sub")
    try:
        add(bundle, "/mnt", "bind", source=source, options=["rbind", "ro"])
        m = mounts_inside(bundle)
        assert "ro" in m["/mnt"]["options"] and "rw" in m["/mnt/sub"]["options"]
    finally:
        umount(source / "sub")


# ---- linux.devices paths ----

def test_device_path_with_a_trailing_slash_is_normalised(bundle):
    bundle.config["linux"]["devices"] = [{"path": "/dev/fuse/", "type": "c", "major": 10, "minor": 229,
                                          "fileMode": 0o600},
                                         {"path": "//dev/./net//tun", "type": "c", "major": 10, "minor": 200}]
    assert sh_lines(bundle.sh("nook-test-helper stat /dev/fuse; nook-test-helper stat /dev/net/tun")) == \
        ["c 10:229 0600 0:0", "c 10:200 0666 0:0"]


def test_device_path_that_cleans_to_no_name_is_refused(bundle):
    bundle.config["linux"]["devices"] = [{"path": "/dev/..", "type": "c", "major": 1, "minor": 3}]
    p = bundle.run()
    assert p.returncode != 0 and "linux.devices[0].path" in p.stderr
    assert bundle.nook.list_ids() == []
