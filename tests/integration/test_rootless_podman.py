"""Rootless podman runs its containers with nook: `podman --runtime <nook>` as
the tests' ordinary user, with storage, run and config directories of the
test's own (vfs storage, cgroupfs manager, file events), and a local image
imported from a tarball of the busybox rootfs. Podman runs nook as root of its
own user namespace, so nook must see that it is rootless all the same."""
import json
import os
import pathlib
import shutil
import signal
import subprocess
import tarfile
import uuid

import pytest

from rootless_support import rootless_area, rootless_user  # noqa: F401 (fixtures)
from support import wait_gone


class Podman:
    def __init__(self, user, base):
        self.user = user
        self.base = base
        self.xdg = base / "xdg"
        self.env = {"HOME": str(base / "home"), "XDG_RUNTIME_DIR": str(self.xdg),
                    "XDG_CONFIG_HOME": str(base / "config"), "XDG_DATA_HOME": str(base / "data"),
                    "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        self.cmd = ["podman", "--root", str(base / "storage"), "--runroot", str(base / "run"),
                    "--tmpdir", str(base / "tmp"), "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs",
                    "--events-backend", "file", "--runtime", str(user.nook)]

    def __call__(self, *args, check=True, timeout=120):
        p = self.user.run(self.cmd + list(args), env=self.env, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(f"podman {' '.join(args)} exited {p.returncode}:\n{p.stdout}\n{p.stderr}")
        return p

    def nook(self, *args):
        """nook as the user, on podman's runtime root."""
        return self.user.run([self.user.nook, "--root", self.xdg / "nook"] + list(args), env=self.env)

    def pause_pids(self):
        pids = []
        for pidfile in self.base.rglob("pause.pid"):
            try:
                pids.append(int(pidfile.read_text()))
            except ValueError:
                pass
        return pids

    def wind_down(self):
        """Waits for what podman still runs (conmon, and the `podman container cleanup`
        conmon starts when a container exits), then ends the pause process rootless
        podman leaves to hold its user namespace: ours to end."""
        for _ in range(20):
            pause = self.pause_pids()
            busy = [p for p in self.user.processes() if p not in pause]
            if not busy:
                break
            wait_all_gone(busy)
        for pid in self.pause_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
            wait_gone(pid, 30)


def wait_all_gone(pids):
    for pid in pids:
        wait_gone(pid, 30)


@pytest.fixture
def podman(rootless_user, rootless_area, rootfs_template):
    if shutil.which("podman") is None:
        pytest.skip("podman is not installed (scripts/setup.sh installs it)")
    base = rootless_area.mkdir("podman", 0o700)
    for d in ("home", "xdg", "config", "data"):
        (base / d).mkdir(mode=0o700)
    tarball = base / "busybox.tar"
    with tarfile.open(tarball, "w") as tar:
        tar.add(rootfs_template, arcname=".")
    rootless_area.chown(base)
    p = Podman(rootless_user, base)
    p.image = "localhost/nook-busybox-" + uuid.uuid4().hex[:8]
    p("import", str(tarball), p.image)
    yield p
    p("rm", "--all", "--force", "--time", "0", check=False)
    p.wind_down()


def test_podman_runs_a_container_with_nook(podman, rootless_user):
    p = podman("run", "--rm", "--network", "none", podman.image, "sh", "-c",
               "id -u; cat /proc/self/uid_map; hostname; echo hello > /tmp/x; cat /tmp/x")
    lines = p.stdout.splitlines()
    assert lines[0] == "0"
    sub_uid, n_uid = rootless_user.subuid
    assert [line.split() for line in lines[1:3]] == [["0", str(rootless_user.uid), "1"],
                                                    ["1", str(sub_uid), str(n_uid)]]
    assert lines[-1] == "hello"


def test_podman_detached_exec_ps_stop_use_nook(podman):
    cid = podman("run", "-d", "--network", "none", podman.image, "sleep", "1000").stdout.strip()
    # nook holds the container's state under podman's runtime root, as the user.
    listed = podman.nook("list", "-q")
    assert listed.returncode == 0, listed.stderr
    assert cid in listed.stdout.split()
    state = json.loads(podman.nook("state", cid).stdout)
    assert state["status"] == "running"
    conmon = open(f"/proc/{state['pid']}/stat").read().rsplit(")", 1)[1].split()[1]
    assert "conmon" in open(f"/proc/{conmon}/comm").read()
    assert podman("exec", cid, "sh", "-c", "echo from-exec; cat /proc/1/cmdline | tr '\\0' ' '").stdout.split() == \
        ["from-exec", "sleep", "1000"]
    assert cid[:12] in podman("ps").stdout
    podman("stop", "--time", "1", cid)
    assert podman("inspect", "--format", "{{.State.Status}}", cid).stdout.strip() == "exited"
    podman("rm", cid)
    assert cid not in podman.nook("list", "-q").stdout.split()


def test_podman_with_a_user_namespace_gets_locked_mounts(podman):
    """--userns=auto gives the container a user namespace of its own: nook's
    mounts are then locked in it (test_rootless_locked.py)."""
    p = podman("run", "--rm", "--network", "none", "--userns=auto", "--cap-add", "SYS_ADMIN",
               "--security-opt", "seccomp=unconfined", podman.image, "sh", "-c",
               "nook-test-helper umount /proc/keys; nook-test-helper remount-rw /proc/sys; wc -c < /proc/keys")
    assert p.stdout.splitlines() == ["umount: EINVAL", "remount: EPERM", "0"]
