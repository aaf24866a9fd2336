"""Escapes that hit runc and crun, each performed against nook: the test fails if
the attack works. Paths the image controls must never lead nook out of the
rootfs; /proc must be the real procfs where nook writes; no fd or cwd of nook's
reaches the program; capabilities are exactly what the config says; and a
config that asks for what the host lacks fails before anything is set up."""
import os
import pathlib
import subprocess
import threading

import pytest


@pytest.fixture
def host_dir(tmp_path):
    """A directory of the host's that the image tries to reach, with a secret in it."""
    d = tmp_path / "host"
    d.mkdir()
    (d / "secret").write_text("host secret\n")
    return d


def host_unchanged(host_dir):
    return sorted(p.name for p in host_dir.iterdir()) == ["secret"] and \
        (host_dir / "secret").read_text() == "host secret\n"


def symlink_in_rootfs(bundle, name, target):
    link = bundle.rootfs / name
    link.symlink_to(target)
    return link


def climbing(path):
    """A relative symlink target that climbs far above the rootfs and then names path."""
    return "../" * 40 + str(path).lstrip("/")


def without_dev_mounts(bundle):
    """The image's own /dev instead of nook's tmpfs (the attacker controls what is in it)."""
    bundle.config["mounts"] = [m for m in bundle.config["mounts"] if not m["destination"].startswith("/dev")]


# ---- paths resolved inside the rootfs ----

@pytest.mark.parametrize("target", ["absolute", "relative"])
def test_mount_destination_through_a_symlink_stays_in_the_rootfs(bundle, host_dir, target):
    symlink_in_rootfs(bundle, "evil", str(host_dir) if target == "absolute" else climbing(host_dir))
    bundle.config["mounts"].append({"destination": "/evil/sub", "type": "tmpfs", "source": "tmpfs"})
    p = bundle.sh("ls /evil/")
    assert host_unchanged(host_dir)
    assert p.returncode == 0, p.stderr
    assert "secret" not in p.stdout
    # What the symlink names is created inside the rootfs, as runc does.
    assert (bundle.rootfs / str(host_dir).lstrip("/") / "sub").is_dir()


def test_bind_mount_file_destination_through_a_symlink_stays_in_the_rootfs(bundle, host_dir, tmp_path):
    source = tmp_path / "source-file"
    source.write_text("bound\n")
    symlink_in_rootfs(bundle, "evil", str(host_dir))
    bundle.config["mounts"].append({"destination": "/evil/file", "type": "bind", "source": str(source),
                                    "options": ["bind", "ro"]})
    p = bundle.sh("cat /evil/file")
    assert host_unchanged(host_dir)
    assert p.stdout == "bound\n", p.stderr


def test_a_dangling_symlink_as_mount_destination_creates_inside(bundle, host_dir):
    symlink_in_rootfs(bundle, "evil", str(host_dir / "created-by-nook"))
    bundle.config["mounts"].append({"destination": "/evil", "type": "tmpfs", "source": "tmpfs"})
    p = bundle.run()
    assert host_unchanged(host_dir)
    assert p.returncode == 0, p.stderr
    assert (bundle.rootfs / str(host_dir).lstrip("/") / "created-by-nook").is_dir()


@pytest.mark.parametrize("target", ["absolute", "relative"])
def test_cwd_through_a_symlink_stays_in_the_rootfs(bundle, host_dir, target):
    symlink_in_rootfs(bundle, "evil", str(host_dir) if target == "absolute" else climbing(host_dir))
    bundle.config["process"]["cwd"] = "/evil/newdir"
    p = bundle.sh("ls -a; ls ..")
    assert host_unchanged(host_dir)
    assert p.returncode == 0, p.stderr
    assert "secret" not in p.stdout


@pytest.mark.parametrize("cwd", [f"/proc/self/fd/{fd}" for fd in range(3, 10)] + ["/proc/self/cwd", "/proc/1/root/.."])
def test_cwd_cannot_be_a_leaked_fd(bundle, cwd):
    """CVE-2024-21626: a cwd of /proc/self/fd/N reached a host directory nook had open."""
    bundle.config["process"]["cwd"] = cwd
    p = bundle.sh("ls /proc/self/cwd/ && readlink /proc/self/cwd")
    if p.returncode == 0:
        # Allowed only when it resolves inside the container.
        assert p.stdout.splitlines()[-1] in ("/", "/proc"), p.stdout
    else:
        assert "process.cwd" in p.stderr


def test_device_path_through_a_symlink_stays_in_the_rootfs(bundle, host_dir):
    symlink_in_rootfs(bundle, "devlink", str(host_dir))
    bundle.config["linux"]["devices"] = [{"path": "/devlink/mynull", "type": "c", "major": 1, "minor": 3}]
    p = bundle.sh("ls -l /devlink/")
    assert host_unchanged(host_dir)
    assert p.returncode == 0, p.stderr
    assert "mynull" in p.stdout


def test_image_dev_symlinked_to_the_host_gets_no_nodes_there(bundle, host_dir):
    without_dev_mounts(bundle)
    (bundle.rootfs / "dev").rmdir()
    symlink_in_rootfs(bundle, "dev", str(host_dir))
    bundle.config["linux"]["devices"] = [{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3}]
    bundle.config["linux"]["maskedPaths"] = []
    p = bundle.run()
    assert host_unchanged(host_dir), p.stderr


def test_symlink_swapped_during_start_never_reaches_the_host(bundle, host_dir):
    """The image keeps swapping a path between a symlink to one of its own
    directories and one to the host while nook mounts on it (CVE-2021-30465
    style): whichever nook sees, it stays inside the rootfs."""
    bundle.config["mounts"].append({"destination": "/flip/sub", "type": "tmpfs", "source": "tmpfs"})
    (bundle.rootfs / "inside").mkdir()
    # Resolved inside the rootfs, the host's path names this directory of the image.
    (bundle.rootfs / str(host_dir).lstrip("/")).mkdir(parents=True)
    flip = bundle.rootfs / "flip"
    flip.symlink_to("/inside")
    stop = threading.Event()

    def flipper():
        i = 0
        while not stop.is_set():
            tmp = bundle.rootfs / f"flip.{i % 2}"
            tmp.symlink_to(str(host_dir) if i % 2 else "/inside")
            os.replace(tmp, flip)
            i += 1

    t = threading.Thread(target=flipper, daemon=True)
    t.start()
    try:
        for _ in range(20):
            p = bundle.run()
            assert host_unchanged(host_dir)
            # Losing the race (the path changed between creating and opening it) is a clean refusal.
            assert p.returncode == 0 or "inside the rootfs" in p.stderr, p.stderr
    finally:
        stop.set()
        t.join()


# ---- /proc and /sys are the real ones when nook writes through them ----

@pytest.mark.parametrize("fs", ["proc", "sys"])
def test_proc_or_sys_replaced_by_a_symlink_is_refused(bundle, host_dir, fs):
    """CVE-2019-16884: /proc in the image was a symlink to a fake procfs."""
    (bundle.rootfs / fs).rmdir()
    (bundle.rootfs / "fake").mkdir()
    symlink_in_rootfs(bundle, fs, "/fake")
    p = bundle.run()
    assert p.returncode != 0
    assert "symlink" in p.stderr
    assert not any((bundle.rootfs / "fake").iterdir())


def test_sysctl_through_a_bind_mount_over_proc_sys_is_refused(bundle, tmp_path):
    """A write meant for /proc/sys must not land in whatever was mounted there."""
    fake = tmp_path / "fakesys"
    (fake / "kernel").mkdir(parents=True)
    (fake / "kernel" / "domainname").write_text("untouched\n")
    bundle.config["mounts"].append({"destination": "/proc/sys", "type": "bind", "source": str(fake),
                                    "options": ["rbind"]})
    bundle.config["linux"]["readonlyPaths"] = []
    bundle.config["linux"]["sysctl"] = {"kernel.domainname": "pwned"}
    p = bundle.run()
    assert (fake / "kernel" / "domainname").read_text() == "untouched\n"
    assert p.returncode != 0 and "sysctl" in p.stderr


def test_sysctl_through_a_tmpfs_over_proc_is_refused(bundle):
    bundle.config["mounts"].insert(1, {"destination": "/proc", "type": "tmpfs", "source": "tmpfs"})
    bundle.config["linux"]["sysctl"] = {"kernel.domainname": "pwned"}
    p = bundle.run()
    assert p.returncode != 0
    assert "not the root of a procfs" in p.stderr


@pytest.mark.parametrize("key", ["../1/oom_score_adj", "kernel/../../1/oom_score_adj", "kernel.core_pattern",
                                 "vm.overcommit_memory"])
def test_sysctl_outside_a_container_namespace_is_refused(bundle, key):
    """kernel.core_pattern is the host's: writing it is running code on the host."""
    bundle.config["linux"]["sysctl"] = {key: "500"}
    p = bundle.run()
    assert p.returncode != 0
    assert "linux.sysctl" in p.stderr


def test_net_sysctl_in_the_hosts_network_namespace_is_refused(bundle):
    bundle.config["linux"]["namespaces"] = [ns for ns in bundle.config["linux"]["namespaces"]
                                            if ns["type"] != "network"]
    bundle.config["linux"]["namespaces"].append({"type": "network", "path": f"/proc/{os.getpid()}/ns/net"})
    value = pathlib.Path("/proc/sys/net/ipv4/ip_forward").read_text().strip()
    bundle.config["linux"]["sysctl"] = {"net.ipv4.ip_forward": value}
    p = bundle.run()
    assert p.returncode != 0
    assert "host" in p.stderr and "net.ipv4.ip_forward" in p.stderr


# ---- masking with nook's own /dev/null, the console from nook's own pty ----

def test_masking_uses_a_verified_dev_null_not_the_images(bundle):
    """CVE-2025-31133: the image's /dev/null was a symlink to a procfs file, which
    the runtime then bound writable over the masked paths."""
    without_dev_mounts(bundle)
    (bundle.rootfs / "dev" / "null").symlink_to("/proc/sys/kernel/core_pattern")
    bundle.config["linux"]["maskedPaths"] = ["/proc/keys", "/proc/timer_list"]
    p = bundle.sh("stat -c '%F %t:%T' /proc/keys /proc/timer_list")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["character special file 1:3"] * 2


def test_console_is_nooks_pty_not_an_image_symlink(bundle, tmp_path):
    """CVE-2025-52565: /dev/console in the image was a symlink, and the pty bind
    mount landed on its target (a procfs file there)."""
    without_dev_mounts(bundle)
    bundle.config["mounts"].append({"destination": "/dev/pts", "type": "devpts", "source": "devpts",
                                    "options": ["newinstance", "ptmxmode=0666"]})
    (bundle.rootfs / "victim").write_text("victim\n")
    (bundle.rootfs / "dev" / "console").symlink_to("/victim")
    bundle.config["process"]["terminal"] = True
    bundle.args = ["sh", "-c", "stat -c '%F' /victim; stat -c '%F' /dev/console"]
    script = pathlib.Path(tmp_path / "console.py")
    script.write_text("import os, pty, sys\n"
                      "pid, fd = pty.fork()\n"
                      "if pid == 0:\n"
                      "    os.execv(sys.argv[1], sys.argv[1:])\n"
                      "out = b''\n"
                      "while True:\n"
                      "    try:\n"
                      "        chunk = os.read(fd, 4096)\n"
                      "    except OSError:\n"
                      "        break\n"
                      "    if not chunk:\n"
                      "        break\n"
                      "    out += chunk\n"
                      "_, status = os.waitpid(pid, 0)\n"
                      "sys.stdout.write(out.decode())\n"
                      "sys.exit(os.waitstatus_to_exitcode(status))\n")
    bundle.write()
    from conftest import NOOK
    p = subprocess.run(["/usr/bin/python3", str(script), str(NOOK), "--root", bundle.nook.root, "run", "--bundle",
                        str(bundle.path), bundle.id], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    lines = [line.strip() for line in p.stdout.splitlines() if line.strip()]
    assert lines[-2:] == ["regular file", "character special file"], lines
    assert (bundle.rootfs / "victim").read_text() == "victim\n"


# ---- no fd and no cwd of nook's in the container ----

def test_only_stdio_reaches_the_program(bundle):
    bundle.args = ["nook-test-helper", "fds"]
    fds = bundle.run().stdout.split("\n")
    assert sorted(line.split()[0] for line in fds if line) == ["0", "1", "2"]


def test_only_stdio_reaches_the_program_after_create_and_start(bundle):
    bundle.args = ["nook-test-helper", "fds"]
    bundle.create()
    bundle.start()
    bundle.nook("delete", "--force", bundle.id)
    lines = [line for line in bundle.output().splitlines() if line]
    assert sorted(line.split()[0] for line in lines) == ["0", "1", "2"], lines


def test_the_programs_cwd_and_root_are_the_containers(bundle):
    bundle.config["process"]["cwd"] = "/tmp"
    p = bundle.sh("readlink /proc/self/cwd; readlink /proc/self/root; ls /proc/self/root/")
    lines = p.stdout.splitlines()
    assert lines[:2] == ["/tmp", "/"]
    assert "nook-test-helper" not in lines and "bin" in lines


# ---- capabilities exactly as asked ----

def caps_of(bundle):
    p = bundle.sh("grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb):' /proc/self/status")
    assert p.returncode == 0, p.stderr
    return {line.split(":")[0]: int(line.split()[1], 16) for line in p.stdout.splitlines()}


CAP_NET_BIND_SERVICE, CAP_CHOWN = 10, 0


@pytest.mark.parametrize("uid", [0, 1000])
def test_no_inheritable_or_ambient_capabilities_unless_asked(bundle, uid):
    """CVE-2022-29162: runc gave the process inheritable capabilities nobody asked for."""
    bundle.config["process"]["user"] = {"uid": uid, "gid": uid}
    caps = caps_of(bundle)
    assert caps["CapInh"] == 0 and caps["CapAmb"] == 0
    if uid != 0:
        assert caps["CapPrm"] == 0 and caps["CapEff"] == 0


def test_ambient_and_inheritable_capabilities_as_asked(bundle):
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    c = bundle.config["process"]["capabilities"]
    c["inheritable"] = ["CAP_NET_BIND_SERVICE"]
    c["ambient"] = ["CAP_NET_BIND_SERVICE"]
    caps = caps_of(bundle)
    assert caps["CapInh"] == 1 << CAP_NET_BIND_SERVICE
    assert caps["CapAmb"] == 1 << CAP_NET_BIND_SERVICE
    assert caps["CapEff"] == 1 << CAP_NET_BIND_SERVICE


def test_bounding_set_is_exactly_the_configs(bundle):
    bundle.config["process"]["capabilities"] = {"bounding": ["CAP_CHOWN"], "permitted": ["CAP_CHOWN"],
                                                "effective": ["CAP_CHOWN"]}
    caps = caps_of(bundle)
    assert caps == {"CapInh": 0, "CapPrm": 1, "CapEff": 1, "CapBnd": 1, "CapAmb": 0}


# ---- what the host lacks fails first, and leaves nothing ----

def fails_before_anything(bundle, expected):
    marker = bundle.rootfs / "tmp" / "ran"
    bundle.args = ["touch", "/tmp/ran"]
    bundle.config["root"]["readonly"] = False
    p = bundle.run()
    assert p.returncode != 0
    assert expected in p.stderr, p.stderr
    assert not marker.exists()
    # The state root holds nothing for it (the fixtures check mounts, cgroups, processes).
    assert bundle.nook("state", bundle.id, check=False).returncode != 0
    return p


def test_unknown_capability_is_an_error(bundle):
    bundle.config["process"]["capabilities"]["bounding"].append("CAP_NOOK_SUPERPOWER")
    fails_before_anything(bundle, "unknown capability \"CAP_NOOK_SUPERPOWER\"")


def test_unknown_namespace_is_an_error(bundle):
    bundle.config["linux"]["namespaces"].append({"type": "foo"})
    fails_before_anything(bundle, "unknown namespace \"foo\"")


def test_namespace_path_that_does_not_exist_is_an_error(bundle, tmp_path):
    bundle.config["linux"]["namespaces"] = [ns for ns in bundle.config["linux"]["namespaces"]
                                            if ns["type"] != "network"]
    bundle.config["linux"]["namespaces"].append({"type": "network", "path": str(tmp_path / "no-such-ns")})
    fails_before_anything(bundle, "no-such-ns")


def set_label(bundle, field, value):
    if field == "mountLabel":
        bundle.config["linux"][field] = value
    else:
        bundle.config["process"][field] = value
    return ("linux." if field == "mountLabel" else "process.") + field


@pytest.mark.parametrize("field,value,expected", [
    ("apparmorProfile", "nook-test", "AppArmor"),
    ("selinuxLabel", "system_u:system_r:container_t:s0:c1,c2", "SELinux"),
    ("mountLabel", "system_u:object_r:container_file_t:s0", "SELinux"),
])
def test_lsm_label_without_the_lsm_fails_as_runc_does(bundle, field, value, expected):
    lsm_on = pathlib.Path("/sys/fs/selinux/enforce").exists() if expected == "SELinux" else \
        pathlib.Path("/sys/module/apparmor/parameters/enabled").exists() and \
        pathlib.Path("/sys/module/apparmor/parameters/enabled").read_text().startswith("Y")
    if lsm_on:
        pytest.skip(f"this host runs {expected} (tests/realhost's lsm scenarios apply labels)")
    name = set_label(bundle, field, value)
    p = fails_before_anything(bundle, f'{name} "{value}": {expected} is not enabled on this host')
    assert len(p.stderr.strip().splitlines()) == 1, p.stderr


@pytest.mark.parametrize("field", ["apparmorProfile", "selinuxLabel", "mountLabel"])
def test_malformed_lsm_label_fails_before_anything(bundle, field):
    """Checked before anything is made, whatever LSM the host runs: the kernel takes a label as one
    line (a newline would end it early), and a mount label between quotes."""
    value = "system_u:object_r:tmpfs_t:s0\" ,nosuid" if field == "mountLabel" else "nook-test\nunconfined"
    name = set_label(bundle, field, value)
    p = fails_before_anything(bundle, f"{name} ")
    assert "malformed label" in p.stderr, p.stderr


def test_device_missing_on_the_host_fails_first_in_a_user_namespace(bundle):
    """In a user namespace devices are bound from the host: one the host lacks is an error up front."""
    bundle.config["linux"]["namespaces"].append({"type": "user"})
    bundle.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    bundle.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    bundle.config["linux"]["devices"] = [{"path": "/dev/nook-no-such-device", "type": "c", "major": 1, "minor": 3}]
    fails_before_anything(bundle, "/dev/nook-no-such-device")
