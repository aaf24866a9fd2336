"""Fixtures for the rootless tests: an ordinary user of the tests' own (made
with useradd, with subordinate id ranges, removed at the end of the session),
nook run as that user (a copy it can reach: the checkout may be root's alone),
and bundles that user owns in a directory it can reach (pytest's tmp dirs are
0700 root).

After each test: no process of that user is left, no mount refers to the
test's directory, and the state root is empty.
"""
import json
import os
import pathlib
import pwd
import shutil
import subprocess
import tempfile
import uuid

import pytest

from conftest import Bundle, Nook


class User:
    def __init__(self, name, nook):
        pw = pwd.getpwnam(name)
        self.name, self.uid, self.gid, self.home = name, pw.pw_uid, pw.pw_gid, pw.pw_dir
        self.nook = nook  # the copy of nook this user can run
        self.subuid = self._range("/etc/subuid")
        self.subgid = self._range("/etc/subgid")

    def _range(self, path):
        for line in pathlib.Path(path).read_text().splitlines():
            name, start, count = line.split(":")
            if name == self.name:
                return int(start), int(count)
        return None

    def prefix(self, env=None):
        """A command prefix that runs as this user, with a clean environment (no
        XDG_RUNTIME_DIR unless given: this host has no logind)."""
        cmd = ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--init-groups", "--reset-env", "--"]
        if env:
            cmd += ["env"] + [f"{k}={v}" for k, v in env.items()]
        return cmd

    def run(self, args, env=None, **kwargs):
        if "stdout" not in kwargs and "stderr" not in kwargs:
            kwargs.setdefault("capture_output", True)
        kwargs.setdefault("text", True)
        # Not the tests' working directory, which the user may not enter (podman chdirs back to it).
        kwargs.setdefault("cwd", "/")
        return subprocess.run(self.prefix(env) + [str(a) for a in args], **kwargs)

    def processes(self):
        """Live pids whose real or effective uid is this user's (zombies excluded)."""
        pids = []
        for proc in pathlib.Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                status = dict(line.split(":", 1) for line in (proc / "status").read_text().splitlines())
            except (OSError, ValueError):
                continue
            uids = status.get("Uid", "").split()
            if str(self.uid) in uids[:2] and status.get("State", "").split()[:1] != ["Z"]:
                pids.append(int(proc.name))
        return pids


@pytest.fixture(scope="session")
def rootless_user(user_nook):
    """An ordinary user with a subordinate uid and gid range of 65536 ids each."""
    name = "nkr" + uuid.uuid4().hex[:8]
    subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", name], check=True)
    try:
        user = User(name, user_nook)
        if user.subuid is None or user.subgid is None:
            # useradd gives ranges when login.defs asks; add them by hand otherwise.
            start = 2000000 + (user.uid % 1000) * 65536
            subprocess.run(["usermod", "--add-subuids", f"{start}-{start + 65535}",
                            "--add-subgids", f"{start}-{start + 65535}", name], check=True)
            user = User(name, user_nook)
        yield user
    finally:
        for pid in User(name, user_nook).processes():
            os.kill(pid, 9)
        subprocess.run(["userdel", "--remove", name], check=False, capture_output=True)


@pytest.fixture(scope="session")
def rootless_config(rootless_user, tmp_path_factory):
    """`nook spec --rootless` as written for the user, unchanged but for the terminal."""
    d = pathlib.Path(tempfile.mkdtemp(prefix="nook-rl-spec-", dir="/tmp"))
    try:
        os.chown(d, rootless_user.uid, rootless_user.gid)
        p = rootless_user.run([rootless_user.nook, "spec", "--rootless", "--bundle", d])
        assert p.returncode == 0, p.stderr
        return json.loads((d / "config.json").read_text())
    finally:
        shutil.rmtree(d)


class RootlessArea:
    """A directory the user owns, under /tmp: bundles, state root, shared dirs."""

    def __init__(self, user):
        self.user = user
        self.path = pathlib.Path(tempfile.mkdtemp(prefix="nook-rl-", dir="/tmp"))
        os.chmod(self.path, 0o755)
        self.chown(self.path)

    def chown(self, path, uid=None, gid=None):
        subprocess.run(["chown", "-R", "-h", f"{self.user.uid if uid is None else uid}:"
                        f"{self.user.gid if gid is None else gid}", str(path)], check=True)

    def mkdir(self, name, mode=0o755):
        d = self.path / name
        d.mkdir(mode=mode)
        os.chmod(d, mode)
        self.chown(d)
        return d


@pytest.fixture
def rootless_area(rootless_user):
    area = RootlessArea(rootless_user)
    yield area
    left = rootless_user.processes()
    for pid in left:
        os.kill(pid, 9)
    with open("/proc/self/mountinfo") as f:
        mounts = [line for line in f if str(area.path) in line]
    for line in mounts:
        subprocess.run(["umount", "-l", line.split()[4]], check=False, capture_output=True)
    shutil.rmtree(area.path, ignore_errors=True)
    assert left == [], f"processes of {rootless_user.name} left behind: {left}"
    assert mounts == [], f"mounts left behind: {mounts}"


@pytest.fixture
def rootless_nook(rootless_user, rootless_area):
    """nook run as the user, with a state root of this test's own."""
    root = rootless_area.mkdir("state", 0o700)
    n = Nook(root, prefix=rootless_user.prefix(), binary=rootless_user.nook)
    yield n
    for cid in n.list_ids():
        n("delete", "--force", cid, check=False)
    # The compiled seccomp programs nook caches under its state root are not state.
    left = [p for p in root.iterdir() if p.name != ".seccomp cache"]
    assert left == [], f"state left behind: {left}"


class RootlessBundle(Bundle):
    """A Bundle the user owns; `write` keeps config.json the user's."""

    def __init__(self, path, nook, config, area):
        super().__init__(path, nook, config)
        self.area = area

    def write(self):
        super().write()
        os.chown(self.path / "config.json", self.area.user.uid, self.area.user.gid)


def make_rootless_bundle(area, nook, rootfs_template, config, name="bundle"):
    path = area.mkdir(name, 0o711)
    shutil.copytree(rootfs_template, path / "rootfs", symlinks=True)
    area.chown(path / "rootfs")
    return RootlessBundle(path, nook, config, area)


@pytest.fixture
def rbundle(rootless_area, rootless_nook, rootfs_template, rootless_config):
    """A bundle of `nook spec --rootless` (the user mapped to root, nothing else)."""
    return make_rootless_bundle(rootless_area, rootless_nook, rootfs_template, rootless_config)


def map_ranges(bundle, user):
    """Gives the bundle uid and gid maps of the user (as 0) and its subordinate range (1…),
    and the rootfs the matching owners: root-owned files belong to the user, others
    (here: /etc/secret-of-1000) to subordinate ids."""
    sub_uid, n_uid = user.subuid
    sub_gid, n_gid = user.subgid
    bundle.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": user.uid, "size": 1},
                                             {"containerID": 1, "hostID": sub_uid, "size": n_uid}]
    bundle.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": user.gid, "size": 1},
                                             {"containerID": 1, "hostID": sub_gid, "size": n_gid}]
