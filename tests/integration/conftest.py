"""Fixtures for nook's integration tests.

Each test gets a Bundle: a copy of a busybox-static rootfs (plus the
nook-test-helper binary) and a config from `nook spec`, turned into a
non-interactive one. Every test runs under its own state root, and afterwards
the suite checks that nothing was left behind: no state, no mounts, no cgroups,
no processes.
"""
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import uuid

import pytest

from support import pytest_terminal_summary  # noqa: F401 (the skip summary)

REPO = pathlib.Path(__file__).resolve().parents[2]
NOOK = REPO / "build" / "nook"
HELPER = REPO / "build" / "nook-test-helper"
BUSYBOX = pathlib.Path("/bin/busybox")
ID_PREFIX = "nt-"


def make_rootfs(path):
    """A minimal rootfs: busybox with its applets, the test helper, /etc files."""
    path = pathlib.Path(path)
    (path / "bin").mkdir(parents=True)
    shutil.copy2(BUSYBOX, path / "bin" / "busybox")
    applets = subprocess.run([str(BUSYBOX), "--list"], capture_output=True, text=True, check=True).stdout.split()
    for applet in applets:
        if applet != "busybox":
            os.symlink("busybox", path / "bin" / applet)
    shutil.copy2(HELPER, path / "bin" / "nook-test-helper")
    for d in ("proc", "sys", "dev", "etc", "root", "tmp", "usr/bin", "sbin"):
        (path / d).mkdir(parents=True, exist_ok=True)
    os.chmod(path / "tmp", 0o1777)
    (path / "etc" / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n")
    (path / "etc" / "group").write_text("root:x:0:\ntty:x:5:\nnogroup:x:65534:\n")
    return path


class Nook:
    """Runs build/nook (or the given copy of it) with a given state root."""

    def __init__(self, root, prefix=(), binary=NOOK):
        self.root = str(root)
        self.prefix = list(prefix)
        self.binary = pathlib.Path(binary)

    def __call__(self, *args, check=True, timeout=60, **kwargs):
        cmd = self.prefix + [str(self.binary), "--root", self.root] + [str(a) for a in args]
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("text", True)
        proc = subprocess.run(cmd, timeout=timeout, **kwargs)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def list_ids(self):
        out = self("list", "-q", check=False).stdout
        return [line for line in out.splitlines() if line]


# Ids of the containers the current test made, for the leftover checks.
CREATED_IDS = []


def new_id():
    cid = ID_PREFIX + uuid.uuid4().hex[:10]
    CREATED_IDS.append(cid)
    return cid


class Bundle:
    """A bundle directory with a config dict that tests change before running."""

    def __init__(self, path, nook, default_config):
        self.path = pathlib.Path(path)
        self.nook = nook
        self.id = new_id()
        self.config = json.loads(json.dumps(default_config))
        self.config["process"]["terminal"] = False
        self.config["process"]["args"] = ["true"]
        self.rootfs = self.path / "rootfs"

    @property
    def args(self):
        return self.config["process"]["args"]

    @args.setter
    def args(self, value):
        self.config["process"]["args"] = list(value)

    def write(self):
        (self.path / "config.json").write_text(json.dumps(self.config, indent=2))

    def run(self, *options, check=False, **kwargs):
        """`nook run` of this bundle; returns the CompletedProcess."""
        self.write()
        if "-d" in options or "--detach" in options:
            return self._leave_running("run", options, check, kwargs)
        return self.nook("run", "--bundle", self.path, *options, self.id, check=check, **kwargs)

    def _leave_running(self, command, options, check, kwargs):
        """create and run -d leave a process that holds nook's stdio: give it files,
        not the test's pipes (which would never reach EOF)."""
        if "stdout" in kwargs or "stderr" in kwargs:
            kwargs.setdefault("stderr", subprocess.STDOUT)
            return self.nook(command, "--bundle", self.path, *options, self.id, check=check,
                             capture_output=False, **kwargs)
        out, err = self.path / "container.out", self.path / "container.err"
        with open(out, "w") as o, open(err, "w") as e:
            p = self.nook(command, "--bundle", self.path, *options, self.id, check=False,
                          capture_output=False, stdin=subprocess.DEVNULL, stdout=o, stderr=e, **kwargs)
        p.stdout, p.stderr = out.read_text(), err.read_text()
        if check and p.returncode != 0:
            raise AssertionError(f"nook {command} exited {p.returncode}: {p.stderr}")
        return p

    def output(self):
        """What a created or detached container wrote to its stdout so far."""
        return (self.path / "container.out").read_text()

    def popen(self, command, *options, **kwargs):
        """Starts `nook COMMAND --bundle B OPTIONS ID` without waiting for it."""
        self.write()
        cmd = self.nook.prefix + [str(self.nook.binary), "--root", self.nook.root, command, "--bundle",
                                  str(self.path)]
        cmd += [str(o) for o in options] + [self.id]
        kwargs.setdefault("text", True)
        return subprocess.Popen(cmd, **kwargs)

    def sh(self, script, **kwargs):
        """Runs a shell script in a fresh container; returns the CompletedProcess."""
        self.args = ["sh", "-c", script]
        return self.run(**kwargs)

    def create(self, *options, check=True, **kwargs):
        self.write()
        return self._leave_running("create", options, check, kwargs)

    def start(self, check=True, **kwargs):
        return self.nook("start", self.id, check=check, **kwargs)

    def state(self):
        return json.loads(self.nook("state", self.id).stdout)

    def kill(self, signal="TERM", *options, check=True):
        return self.nook("kill", *options, self.id, signal, check=check)

    def delete(self, *options, check=True):
        return self.nook("delete", *options, self.id, check=check)


@pytest.fixture(scope="session")
def rootfs_template(tmp_path_factory):
    if not NOOK.exists() or not HELPER.exists():
        pytest.exit("build nook first: make all", returncode=2)
    return make_rootfs(tmp_path_factory.mktemp("rootfs") / "rootfs")


@pytest.fixture(scope="session")
def user_nook():
    """build/nook copied where any user can run it, once per session: the checkout
    may sit where only root can reach (root's home is 0700), and what an ordinary
    user runs (nook, and what podman or conmon run as that user) must not depend
    on it."""
    if not NOOK.exists():
        pytest.exit("build nook first: make all", returncode=2)
    d = pathlib.Path(tempfile.mkdtemp(prefix="nook-bin-", dir="/tmp"))
    try:
        os.chmod(d, 0o755)
        shutil.copyfile(NOOK, d / "nook")
        os.chmod(d / "nook", 0o755)
        yield d / "nook"
    finally:
        shutil.rmtree(d)


@pytest.fixture(scope="session")
def default_config(tmp_path_factory):
    d = tmp_path_factory.mktemp("spec")
    subprocess.run([str(NOOK), "spec", "--bundle", str(d)], check=True)
    config = json.loads((d / "config.json").read_text())
    # The default seccomp profile fits the default capabilities; a test that grants more
    # would need a matching profile. test_seccomp.py runs containers under it.
    config["linux"].pop("seccomp", None)
    return config


@pytest.fixture
def nook(tmp_path):
    """nook with a state root of this test's own."""
    root = tmp_path / "state"
    n = Nook(root)
    yield n
    for cid in n.list_ids():
        n("delete", "--force", cid, check=False)
    # The compiled seccomp programs nook caches under its state root are not state.
    left = [p for p in root.iterdir() if p.name != ".seccomp cache"] if root.exists() else []
    assert left == [], f"state left behind: {left}"


@pytest.fixture
def bundle(tmp_path, nook, rootfs_template, default_config):
    path = tmp_path / "bundle"
    path.mkdir()
    shutil.copytree(rootfs_template, path / "rootfs", symlinks=True)
    return Bundle(path, nook, default_config)


def cgroups_named(ids):
    """Cgroup directories anywhere in the mounted hierarchies named after one of ids."""
    found = []
    # os.walk, not rglob: other runs on the machine remove cgroups while we walk.
    for top, dirs, _ in os.walk("/sys/fs/cgroup"):
        found += [os.path.join(top, d) for d in dirs if d in ids]
    return found


PF_EXITING = 0x4


def processes_in_cgroups(ids):
    """Live pids whose cgroup path names one of ids (a zombie has ended already, and
    so has a process in exit — a pid namespace's init stays there until its members'
    parents reap them; reaping is their parents' business)."""
    pids = []
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            text = (proc / "cgroup").read_text()
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            if stat[0] in ("Z", "X") or int(stat[6]) & PF_EXITING:
                continue
        except OSError:
            continue
        if any(cid in text for cid in ids):
            pids.append(int(proc.name))
    return pids


@pytest.fixture
def netns():
    """A network namespace of the test's own (`ip netns add`), for configs that join one by path."""
    name = "nook-test-" + uuid.uuid4().hex[:8]
    subprocess.run(["ip", "netns", "add", name], check=True)
    yield name
    subprocess.run(["ip", "netns", "delete", name], check=True)


@pytest.fixture(autouse=True)
def nothing_left_behind(tmp_path):
    """After each test: no mount of the host refers to the test's files, and no
    cgroup or process of the test's containers is left (other test runs on the
    same machine are not counted)."""
    CREATED_IDS.clear()
    yield
    with open("/proc/self/mountinfo") as f:
        mounts = [line for line in f if str(tmp_path) in line]
    assert mounts == [], f"mounts left behind in the host namespace: {mounts}"
    ids = list(CREATED_IDS)
    assert processes_in_cgroups(ids) == [], "container processes left behind"
    assert cgroups_named(ids) == [], "cgroups left behind"
