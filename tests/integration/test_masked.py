"""maskedPaths and readonlyPaths."""
import os

import pytest

from support import parse_mountinfo, sh_lines


@pytest.fixture
def image_paths(bundle):
    """A secret file and a secret directory in the image; the root stays writable
    so that only the masks stand in the way."""
    (bundle.rootfs / "etc" / "secret").write_text("secret\n")
    (bundle.rootfs / "secrets").mkdir()
    (bundle.rootfs / "secrets" / "key").write_text("key\n")
    (bundle.rootfs / "data").mkdir()
    bundle.config["root"]["readonly"] = False
    return bundle


def test_masked_file_reads_nothing_and_refuses_writes(image_paths):
    bundle = image_paths
    bundle.config["linux"]["maskedPaths"] = ["/etc/secret"]
    p = bundle.sh("cat /etc/secret | wc -c; nook-test-helper stat /etc/secret; "
                  "nook-test-helper write /etc/secret x; echo x >> /etc/secret; cat /etc/secret | wc -c")
    lines = p.stdout.split("\n")
    assert lines[0] == "0"
    assert lines[1].startswith("c 1:3 ")
    assert lines[-2] == "0"
    assert (bundle.rootfs / "etc" / "secret").read_text() == "secret\n"


def test_masked_directory_is_an_empty_read_only_tmpfs(image_paths):
    bundle = image_paths
    bundle.config["linux"]["maskedPaths"] = ["/secrets"]
    p = bundle.sh("ls -A /secrets | wc -l; touch /secrets/new; grep ' /secrets ' /proc/self/mountinfo")
    lines = p.stdout.splitlines()
    assert lines[0] == "0"
    assert "Read-only file system" in p.stderr
    m = parse_mountinfo(lines[1])["/secrets"]
    assert m["fstype"] == "tmpfs" and "ro" in m["options"]
    assert sorted(p.name for p in (bundle.rootfs / "secrets").iterdir()) == ["key"]


def test_default_masks_hide_what_exists_of_them(bundle):
    masked = [p for p in bundle.config["linux"]["maskedPaths"] if os.path.exists(p)]
    assert masked, "none of the default masked paths exists on this host"
    script = "; ".join(f"nook-test-helper stat {p}; cat {p} | wc -c; ls -A {p} | wc -l" for p in masked)
    out = sh_lines(bundle.sh(script + "; cat /proc/self/mountinfo"))
    mounts = parse_mountinfo("\n".join(out[3 * len(masked):]))
    for i, path in enumerate(masked):
        kind, _, mode, _ = out[3 * i].split()
        if os.path.isdir(path):
            assert kind == "d" and out[3 * i + 2] == "0", path
            assert mounts[path]["fstype"] == "tmpfs" and "ro" in mounts[path]["options"], path
        else:
            assert out[3 * i].startswith("c 1:3 "), path
            assert out[3 * i + 1] == "0", path
            assert path in mounts, path


def test_readonly_paths_refuse_writes(image_paths):
    bundle = image_paths
    bundle.config["linux"]["readonlyPaths"] = ["/data", "/etc/secret"]
    p = bundle.sh("touch /data/new; echo x >> /etc/secret; cat /etc/secret; touch /tmp/writable && echo ok")
    assert p.stderr.count("Read-only file system") == 2
    assert p.stdout == "secret\nok\n"
    assert not (bundle.rootfs / "data" / "new").exists()


def test_default_readonly_paths_cover_proc_sys(bundle):
    bundle.config["process"]["capabilities"]["effective"].append("CAP_SYS_ADMIN")
    bundle.config["process"]["capabilities"]["permitted"].append("CAP_SYS_ADMIN")
    bundle.config["process"]["capabilities"]["bounding"].append("CAP_SYS_ADMIN")
    p = bundle.sh("echo changed > /proc/sys/kernel/hostname; grep -E ' /proc/(sys|bus|fs|irq|sysrq-trigger) ' "
                  "/proc/self/mountinfo")
    assert "Read-only file system" in p.stderr
    m = parse_mountinfo(p.stdout)
    for path in ("/proc/sys", "/proc/sysrq-trigger", "/proc/fs", "/proc/irq", "/proc/bus"):
        if os.path.exists(path):
            assert "ro" in m[path]["options"], path


def test_readonly_path_cannot_be_remounted_writable_without_cap_sys_admin(image_paths):
    bundle = image_paths
    bundle.config["linux"]["readonlyPaths"] = ["/data"]
    p = bundle.sh("nook-test-helper remount-rw /data; touch /data/new")
    assert "EPERM" in p.stdout
    assert not (bundle.rootfs / "data" / "new").exists()


def test_paths_that_do_not_exist_are_skipped(image_paths):
    bundle = image_paths
    bundle.config["linux"]["maskedPaths"] = ["/nope/masked", "/proc/nope"]
    bundle.config["linux"]["readonlyPaths"] = ["/nope/readonly", "/proc/nope2"]
    assert bundle.sh("echo ran").stdout == "ran\n"
    assert not (bundle.rootfs / "nope").exists()


def test_masks_apply_to_the_containers_proc_not_the_hosts(bundle):
    assert "/proc/keys" in bundle.config["linux"]["maskedPaths"]
    if not os.path.exists("/proc/keys"):
        pytest.skip("no /proc/keys on this kernel")
    assert bundle.sh("cat /proc/keys | wc -c").stdout == "0\n"
    with open("/proc/self/mountinfo") as f:
        assert not [line for line in f if " /proc/keys " in line]


@pytest.mark.parametrize("field", ["linux.maskedPaths", "linux.readonlyPaths", "root.readonly"])
def test_without_a_mount_namespace_nothing_is_mounted_on_the_host(image_paths, field):
    bundle = image_paths
    bundle.config["linux"]["namespaces"] = [ns for ns in bundle.config["linux"]["namespaces"]
                                            if ns["type"] != "mount"]
    bundle.config["mounts"] = []
    bundle.config["linux"]["maskedPaths"] = []
    bundle.config["linux"]["readonlyPaths"] = []
    if field == "linux.maskedPaths":
        bundle.config["linux"]["maskedPaths"] = ["/etc/secret"]
    elif field == "linux.readonlyPaths":
        bundle.config["linux"]["readonlyPaths"] = ["/data"]
    else:
        bundle.config["root"]["readonly"] = True
    p = bundle.run()
    assert p.returncode != 0
    assert p.stderr == f"nook: config.json: {field}: need{'s' if field == 'root.readonly' else ''} " \
                       "a mount namespace\n"
    # (the autouse check finds any mount left on the host below the test's directory)
