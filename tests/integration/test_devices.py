"""/dev: a tmpfs with the default devices, the standard links, /dev/pts,
/dev/shm, /dev/mqueue, and the config's linux.devices."""
import os

import pytest

from support import parse_mountinfo, sh_lines

DEFAULT_DEVICES = {"null": "1:3", "zero": "1:5", "full": "1:7", "random": "1:8", "urandom": "1:9", "tty": "5:0"}


def stat_inside(bundle, paths):
    out = sh_lines(bundle.sh("; ".join(f"nook-test-helper stat {p}" for p in paths)))
    return dict(zip(paths, out))


def test_default_devices_have_their_type_numbers_and_mode(bundle):
    paths = [f"/dev/{name}" for name in DEFAULT_DEVICES]
    seen = stat_inside(bundle, paths)
    for name, numbers in DEFAULT_DEVICES.items():
        assert seen[f"/dev/{name}"] == f"c {numbers} 0666 0:0", name


def test_default_devices_work(bundle):
    p = bundle.sh("echo hidden > /dev/null; head -c 4 /dev/zero | od -An -tx1; "
                  "head -c 16 /dev/urandom | wc -c; echo x > /dev/full")
    assert p.stdout.split() == ["00", "00", "00", "00", "16"]
    assert "No space left on device" in p.stderr


def test_dev_is_a_tmpfs_of_the_containers_own(bundle):
    (bundle.rootfs / "dev" / "from-image").write_text("")
    m = parse_mountinfo(bundle.sh("cat /proc/self/mountinfo").stdout)
    assert m["/dev"]["fstype"] == "tmpfs" and "nosuid" in m["/dev"]["options"]
    out = sh_lines(bundle.sh("ls /dev"))
    assert "from-image" not in out
    # The nodes live in the container's tmpfs, not in the image on the host.
    assert sorted(os.listdir(bundle.rootfs / "dev")) == ["from-image"]


def test_standard_links(bundle):
    links = {"/dev/ptmx": "pts/ptmx", "/dev/fd": "/proc/self/fd", "/dev/stdin": "/proc/self/fd/0",
             "/dev/stdout": "/proc/self/fd/1", "/dev/stderr": "/proc/self/fd/2"}
    out = sh_lines(bundle.sh("; ".join(f"readlink {link}" for link in links)))
    assert out == list(links.values())
    assert sh_lines(bundle.sh("echo through-stdout > /dev/stdout; ls /dev/fd/ | head -3")) == \
        ["through-stdout", "0", "1", "2"]


def test_dev_pts_shm_and_mqueue_are_mounted(bundle):
    m = parse_mountinfo(bundle.sh("cat /proc/self/mountinfo").stdout)
    assert m["/dev/pts"]["fstype"] == "devpts"
    assert {"ptmxmode=666", "mode=620", "gid=5"} <= m["/dev/pts"]["super"]
    assert m["/dev/shm"]["fstype"] == "tmpfs" and {"nosuid", "nodev", "noexec"} <= m["/dev/shm"]["options"]
    assert m["/dev/mqueue"]["fstype"] == "mqueue"


def test_a_pty_can_be_opened_through_dev_ptmx(bundle):
    # busybox script-less check: opening /dev/ptmx gives a new pts in the container's devpts.
    p = bundle.sh("exec 3<>/dev/ptmx && ls /dev/pts")
    assert p.returncode == 0, p.stderr
    assert "0" in p.stdout.split() and "ptmx" in p.stdout.split()


def test_linux_devices_are_made_as_configured(bundle):
    bundle.config["linux"]["devices"] = [
        {"path": "/dev/mychar", "type": "c", "major": 1, "minor": 3, "fileMode": 0o640, "uid": 1000, "gid": 1001},
        {"path": "/dev/myblock", "type": "b", "major": 7, "minor": 200, "fileMode": 0o600},
        {"path": "/dev/myfifo", "type": "p", "fileMode": 0o620, "uid": 5},
        {"path": "/dev/sub/dir/unbuffered", "type": "u", "major": 1, "minor": 5},
    ]
    bundle.config["linux"]["resources"]["devices"] = [{"allow": True, "access": "rwm"}]
    seen = stat_inside(bundle, ["/dev/mychar", "/dev/myblock", "/dev/myfifo", "/dev/sub/dir/unbuffered"])
    assert seen == {
        "/dev/mychar": "c 1:3 0640 1000:1001",
        "/dev/myblock": "b 7:200 0600 0:0",
        "/dev/myfifo": "p 0:0 0620 5:0",
        "/dev/sub/dir/unbuffered": "c 1:5 0666 0:0",
    }


def test_a_linux_device_replaces_a_default_one(bundle):
    bundle.config["linux"]["devices"] = [{"path": "/dev/null", "type": "c", "major": 1, "minor": 3,
                                          "fileMode": 0o600}]
    assert stat_inside(bundle, ["/dev/null"])["/dev/null"] == "c 1:3 0600 0:0"


def test_a_linux_device_outside_dev_lands_in_the_rootfs(bundle, tmp_path):
    os.symlink(str(tmp_path), bundle.rootfs / "devlink")
    bundle.config["root"]["readonly"] = False
    bundle.config["linux"]["devices"] = [{"path": "/devlink/zero", "type": "c", "major": 1, "minor": 5}]
    assert stat_inside(bundle, [f"{tmp_path}/zero"])[f"{tmp_path}/zero"] == "c 1:5 0666 0:0"
    assert not (tmp_path / "zero").exists()


@pytest.mark.parametrize("path", ["/dev/", "/dev/.."])
def test_a_device_path_that_names_no_file_is_refused(bundle, path):
    bundle.config["linux"]["devices"] = [{"path": path, "type": "c", "major": 1, "minor": 3}]
    p = bundle.run()
    assert p.returncode != 0 and "linux.devices" in p.stderr and path in p.stderr
