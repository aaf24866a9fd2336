"""Real engines driving nook, for test_podman.py and test_containerd.py.

Each engine gets a private world under a session temp dir: podman its storage, run root,
tmp dir, network config and event log (through its own containers.conf, given by
CONTAINERS_CONF); containerd its root, state, sockets, runc root and FIFO dir (through its
own config file). The image is made here from the busybox rootfs of the other tests:
`podman import` of a tarball, and an OCI image layout written by this module for
`ctr image import`. Nothing is pulled.

The fixtures clean up after every test, failed or not: the engine's containers, the
processes it started (conmon, podman's cleanup, containerd's shims: waited for by pid,
found by their cgroup or their -address), and then check that nothing is left on the
host: nook state directories, mounts, cgroups, processes.
"""
import contextlib
import fcntl
import functools
import hashlib
import io
import json
import os
import pathlib
import platform
import pty
import resource
import select
import shutil
import signal
import struct
import subprocess
import tarfile
import termios
import threading
import time
import uuid

import pytest

from conftest import NOOK
from support import wait_for, wait_gone

# podman passes no --root, so nook keeps podman's containers in its default state root.
NOOK_DEFAULT_ROOT = pathlib.Path("/run/nook")
IMAGE = "localhost/nook-busybox:latest"
CGROUP_ROOT = pathlib.Path("/sys/fs/cgroup")

# Podman (as root) lowers its own RLIMIT_NPROC to this, and the container inherits no more.
PODMAN_NPROC = 32768


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# ---- the image ----

def rootfs_tarball(rootfs, path):
    """A tar of the rootfs, owned by root, as an image layer."""
    def as_root(info):
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info
    with tarfile.open(path, "w") as tar:
        for entry in sorted(pathlib.Path(rootfs).iterdir()):
            tar.add(entry, arcname=entry.name, filter=as_root)
    return pathlib.Path(path)


def oci_architecture():
    machine = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def write_oci_archive(layer, path, reference):
    """An OCI image layout (oci-layout, index.json, blobs: the layer, the config, the
    manifest) as a tar archive that `ctr image import` reads; reference names it."""
    blobs = {}

    def blob(data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        blobs[f"blobs/sha256/{digest[7:]}"] = data
        return {"digest": digest, "size": len(data)}

    layer_data = pathlib.Path(layer).read_bytes()
    layer_desc = blob(layer_data)
    config = {
        "architecture": oci_architecture(),
        "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": [layer_desc["digest"]]},
    }
    config_desc = blob(json.dumps(config).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config_desc},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", **layer_desc}],
    }
    manifest_desc = blob(json.dumps(manifest).encode())
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json", **manifest_desc,
            "platform": {"architecture": oci_architecture(), "os": "linux"},
            "annotations": {"io.containerd.image.name": reference,
                            "org.opencontainers.image.ref.name": reference.rsplit(":", 1)[1]},
        }],
    }
    files = {"oci-layout": json.dumps({"imageLayoutVersion": "1.0.0"}).encode(),
             "index.json": json.dumps(index).encode(), **blobs}
    with tarfile.open(path, "w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return pathlib.Path(path)


# ---- what engines pass to the runtime ----

def write_argv_logger(path, log):
    """A runtime that appends its argv to log and execs nook. Named `nook` (podman gives
    JSON-log flags by the runtime's base name)."""
    path = pathlib.Path(path)
    path.write_text(f"#!/bin/sh\nprintf '%s\\0' \"$@\" \"$(printf '\\036')\" >> '{log}'\nexec '{NOOK}' \"$@\"\n")
    path.chmod(0o755)
    return path


def read_argv_log(log):
    """The argv lists the logger recorded, in order."""
    text = pathlib.Path(log).read_text() if pathlib.Path(log).exists() else ""
    return [record.split("\0")[:-1] for record in text.split("\036\0") if record]


@functools.lru_cache(maxsize=None)
def declared_options(command=None):
    """The options `nook [COMMAND] --help` declares (the global ones without a command):
    {"--name" or "-n": whether it takes a value}."""
    argv = [str(NOOK)] + ([command] if command else []) + ["--help"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    options = {}
    for line in out.splitlines():
        words = line.replace(",", " ").split()
        if not words or not words[0].startswith("-"):
            continue
        names = [w for w in words if w.startswith("-")]
        rest = words[words.index(names[-1]) + 1:]
        # A value's name (DIR, FILE) stands in the left column, before the help text.
        takes_value = bool(rest) and rest[0].isupper() and line.index(rest[0]) < 34
        for name in names:
            options[name] = takes_value
    return options


def understand_argv(argv):
    """Parses one runtime argv as nook must: global options, the command, its options up
    to the first positional. Returns (globals, command, options); raises AssertionError
    naming anything nook does not declare."""
    def split(tokens, known):
        found, i = [], 0
        while i < len(tokens) and tokens[i].startswith("-") and tokens[i] != "--":
            name, _, value = tokens[i].partition("=")
            assert name in known, f"{argv}: nook does not know {name}"
            if known[name] and not value:
                i += 1
            found.append(name)
            i += 1
        return found, tokens[i:]

    global_flags, rest = split(argv, declared_options())
    if not rest:
        return global_flags, None, []
    command = rest[0]
    known = declared_options(command)
    options, _ = split(rest[1:], known)
    return global_flags, command, options


# ---- the host: processes, cgroups, mounts ----

def wait_pids_gone(pids, timeout=15.0):
    """Waits on pidfds for pids to end; returns those still alive at the timeout."""
    deadline = time.monotonic() + timeout
    return [pid for pid in pids if not wait_gone(pid, deadline - time.monotonic())]


def kill_pids(pids):
    """SIGKILLs processes this test run started (found by pid), and waits for them."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    wait_pids_gone(pids, timeout=10)


def live_pids(match):
    """Pids of live processes (not zombies) for which match(pid_dir) is true."""
    found = []
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                continue
            if match(proc):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def catches(pid, signum):
    """Whether a process has a handler for signum (its SigCgt mask)."""
    with open(f"/proc/{pid}/status") as f:
        mask = next(line for line in f if line.startswith("SigCgt:")).split()[1]
    return bool(int(mask, 16) & (1 << (signum - 1)))


def wait_catching(pid, signum=signal.SIGTERM):
    """Waits until a container's init handles signum: a pid-namespace init ignores signals
    it has no handler for, so a shell must have run its `trap` before the test signals it."""
    assert wait_for(lambda: catches(pid, signum)), f"process {pid} never handled signal {signum}"


def pids_in_cgroup_named(part):
    return live_pids(lambda proc: part in (proc / "cgroup").read_text())


def pids_with_argument(argument):
    return live_pids(lambda proc: argument in (proc / "cmdline").read_bytes().split(b"\0"))


def cgroup_dirs(relative):
    """The directories of a cgroup path in every mounted hierarchy."""
    dirs = []
    for top in CGROUP_ROOT.iterdir():
        d = top / relative.lstrip("/")
        if d.is_dir():
            dirs.append(d)
    return dirs


def remove_cgroup_tree(relative):
    """rmdir a cgroup and its children in every hierarchy (they must hold no process)."""
    for d in cgroup_dirs(relative):
        for top, _, _ in os.walk(d, topdown=False):
            with contextlib.suppress(FileNotFoundError):
                os.rmdir(top)


def cgroup_children(relative):
    return [str(child) for d in cgroup_dirs(relative) for child in d.iterdir() if child.is_dir()]


def mounts_under(path):
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(str(path))]


def unmount_under(path):
    for target in sorted(mounts_under(path), key=len, reverse=True):
        subprocess.run(["umount", "-l", target], capture_output=True)


class MadeOnTheHost:
    """Paths the engines make on the host on their own (they have no setting for them),
    deepest first: at the end, those that did not exist before are removed (a directory
    only when empty, so nothing another user put there goes)."""

    def __init__(self, *paths):
        self.paths = [pathlib.Path(p) for p in paths if not os.path.lexists(p)]

    def remove(self):
        for p in self.paths:
            with contextlib.suppress(OSError):
                if p.is_dir() and not p.is_symlink():
                    os.rmdir(p)
                else:
                    p.unlink()


# ---- a terminal for the engine ----

def run_in_pty(argv, env, script, rows=24, cols=80, timeout=60):
    """Runs argv on a new pty of the given size. script: (wait_for, then_write) pairs, each
    write sent once wait_for has appeared in the output. Returns (output, exit code)."""
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvpe(argv[0], argv, env)
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    output = b""
    steps = list(script)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if steps and steps[0][0].encode() in output:
                os.write(fd, steps.pop(0)[1].encode())
                continue
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            try:
                data = os.read(fd, 4096)
            except OSError:  # EIO: the other side is closed
                break
            if not data:
                break
            output += data
    finally:
        os.close(fd)
    # The terminal closes a little before the program ends.
    wait_gone(pid, deadline - time.monotonic())
    done, status = os.waitpid(pid, os.WNOHANG)
    if done == 0:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise AssertionError(f"{argv} did not finish; it wrote {output!r}")
    return output.decode(errors="replace"), os.waitstatus_to_exitcode(status)


# ---- podman ----

class Podman:
    """podman with private storage, run root, tmp dir, network config and event log, the
    runtime given by absolute path, and a cgroup parent of its own (conmon's cgroup goes
    there too)."""

    def __init__(self, base, runtime=NOOK, cgroup_parent=None):
        self.base = pathlib.Path(base)
        self.runtime = str(runtime)
        self.cgroup_parent = cgroup_parent or "/" + unique("nook-podman")
        self.conf = self.base / "containers.conf"
        self.events = self.base / "events.log"

    def write_config(self):
        for d in ("storage", "run", "tmp", "net"):
            (self.base / d).mkdir(parents=True, exist_ok=True)
        nofile = resource.getrlimit(resource.RLIMIT_NOFILE)
        nproc = [min(v, PODMAN_NPROC) for v in resource.getrlimit(resource.RLIMIT_NPROC)]
        self.conf.write_text(f"""# nook's tests (tests/integration/engines.py)
[containers]
netns = "none"
# Podman raises nofile and nproc to 1048576 by default; here root lacks CAP_SYS_RESOURCE.
default_ulimits = ["nofile={nofile[0]}:{nofile[1]}", "nproc={nproc[0]}:{nproc[1]}"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{self.events}"
tmp_dir = "{self.base / 'tmp'}"
image_copy_tmp_dir = "{self.base / 'tmp'}"
# podman passes --log-format=json and --log only to the runtimes named here (by base name).
runtime_supports_json = ["nook"]

[network]
network_config_dir = "{self.base / 'net'}"
""")

    def with_runtime(self, runtime):
        return Podman(self.base, runtime, self.cgroup_parent)

    def argv(self, *args):
        return ["podman", "--root", str(self.base / "storage"), "--runroot", str(self.base / "run"),
                "--storage-driver", "vfs", "--runtime", self.runtime] + [str(a) for a in args]

    @property
    def env(self):
        return dict(os.environ, CONTAINERS_CONF=str(self.conf))

    def __call__(self, *args, check=True, timeout=90, **kwargs):
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("text", True)
        if "input" not in kwargs:
            kwargs.setdefault("stdin", subprocess.DEVNULL)
        p = subprocess.run(self.argv(*args), env=self.env, timeout=timeout, **kwargs)
        if check and p.returncode != 0:
            raise AssertionError(f"podman {' '.join(map(str, args))} exited {p.returncode}:\n{p.stdout}\n{p.stderr}")
        return p

    def run(self, *args, **kwargs):
        """`podman run` in this podman's cgroup parent."""
        return self("run", "--cgroup-parent", self.cgroup_parent, *args, **kwargs)

    def run_detached(self, *args):
        """`podman run -d`; returns the container id."""
        return self.run("-d", *args).stdout.strip()

    def events_since(self, offset):
        if not self.events.exists():
            return []
        with open(self.events) as f:
            f.seek(offset)
            return [json.loads(line) for line in f if line.strip()]

    def events_offset(self):
        return self.events.stat().st_size if self.events.exists() else 0


@pytest.fixture(scope="session")
def podman_session(tmp_path_factory, rootfs_template):
    if shutil.which("podman") is None or shutil.which("conmon") is None:
        pytest.skip("podman is not installed (make setup installs it)")
    # podman's blob info cache (written by import) has no setting.
    made = MadeOnTheHost("/var/lib/containers/cache/blob-info-cache-v1.boltdb", "/var/lib/containers/cache",
                         "/var/lib/containers")
    base = tmp_path_factory.mktemp("podman")
    podman = Podman(base)
    podman.write_config()
    layer = rootfs_tarball(rootfs_template, base / "rootfs.tar")
    podman("import", layer, IMAGE)
    yield podman
    podman("rm", "--all", "--force", "--time", "0", check=False)
    kill_pids(pids_in_cgroup_named(podman.cgroup_parent))
    podman("system", "reset", "--force", check=False)
    unmount_under(base)
    remove_cgroup_tree(podman.cgroup_parent)
    shutil.rmtree(base / "storage", ignore_errors=True)
    made.remove()


@pytest.fixture
def podman(podman_session):
    """The session's podman; after the test, its containers are removed and what they
    left on the host is checked."""
    offset = podman_session.events_offset()
    yield podman_session
    leftovers = podman_session("ps", "--all", "--quiet", "--no-trunc", check=False).stdout.split()
    for cid in leftovers:
        podman_session("rm", "--force", "--time", "0", cid, check=False)
    # conmon and its exit command (podman container cleanup) end on their own, soon after.
    stuck = wait_pids_gone(pids_in_cgroup_named(podman_session.cgroup_parent))
    kill_pids(stuck)
    ids = {e["ID"] for e in podman_session.events_since(offset) if e.get("Type") == "container"}
    state = [cid for cid in ids if (NOOK_DEFAULT_ROOT / cid).exists()]
    cgroups = [str(d) for cid in ids for d in cgroup_dirs(f"{podman_session.cgroup_parent}/libpod-{cid}")]
    mounts = [m for m in mounts_under(podman_session.base) if any(cid in m for cid in ids)]
    for cid in state:
        subprocess.run([str(NOOK), "delete", "--force", cid], capture_output=True)
    assert leftovers == [], f"containers left behind: {leftovers}"
    assert stuck == [], f"conmon or podman processes did not end: {stuck}"
    assert state == [], f"nook state left behind: {state}"
    assert cgroups == [], f"cgroups left behind: {cgroups}"
    assert mounts == [], f"mounts left behind: {mounts}"


# ---- containerd ----

class Containerd:
    """A containerd of its own: config, root, state, sockets, plugin dir; its tasks run by
    the runc shim with nook as the runc binary, a private runc root and FIFO dir."""

    def __init__(self, base, runtime=NOOK):
        self.base = pathlib.Path(base)
        self.runtime = str(runtime)
        self.address = str(self.base / "containerd.sock")
        self.namespace = unique("nook")
        self.runc_root = self.base / "runc"
        self.fifo_dir = self.base / "fifo"
        self.config = self.base / "config.toml"
        self.log = self.base / "containerd.log"
        self.process = None

    def write_config(self):
        for d in ("root", "state", "opt", "fifo", "runc"):
            (self.base / d).mkdir(parents=True, exist_ok=True)
        self.config.write_text(f"""# nook's tests (tests/integration/engines.py)
version = 2
root = "{self.base / 'root'}"
state = "{self.base / 'state'}"
# No CRI (it wants CNI and a sandbox image), no snapshotters this host cannot have.
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs",
                    "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "{self.address}"
[ttrpc]
  address = "{self.address}.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "{self.base / 'opt'}"
""")

    def start(self):
        """Starts containerd; returns once it says it serves (its log, read from a pipe)."""
        ready = threading.Event()
        self.process = subprocess.Popen(["containerd", "--config", str(self.config)], stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        def drain(stream, log):
            with open(log, "ab") as out:
                for line in stream:
                    out.write(line)
                    out.flush()
                    if b"containerd successfully booted" in line:
                        ready.set()
            ready.set()  # it ended: let start() see that

        threading.Thread(target=drain, args=(self.process.stderr, self.log), daemon=True).start()
        if not ready.wait(60) or self.process.poll() is not None:
            self.stop()
            raise AssertionError(f"containerd did not start:\n{self.log.read_text()[-3000:]}")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def ctr(self, *args, check=True, timeout=90, **kwargs):
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("text", True)
        if "input" not in kwargs:
            kwargs.setdefault("stdin", subprocess.DEVNULL)
        p = subprocess.run(self.ctr_argv(*args), timeout=timeout, **kwargs)
        if check and p.returncode != 0:
            raise AssertionError(f"ctr {' '.join(map(str, args))} exited {p.returncode}:\n{p.stdout}\n{p.stderr}")
        return p

    def ctr_argv(self, *args):
        return ["ctr", "--address", self.address, "--namespace", self.namespace] + [str(a) for a in args]

    def run_argv(self, *args, runtime=None):
        """`ctr run` with nook as the runc binary (its own root and FIFO dir)."""
        return self.ctr_argv("run", "--runc-binary", runtime or self.runtime, "--runc-root", self.runc_root,
                             "--fifo-dir", self.fifo_dir, *args)

    def run(self, *args, check=True, timeout=90, runtime=None, **kwargs):
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("text", True)
        if "input" not in kwargs:
            kwargs.setdefault("stdin", subprocess.DEVNULL)
        p = subprocess.run(self.run_argv(*args, runtime=runtime), timeout=timeout, **kwargs)
        if check and p.returncode != 0:
            raise AssertionError(f"ctr run {' '.join(map(str, args))} exited {p.returncode}:\n{p.stdout}\n{p.stderr}")
        return p

    def exec(self, *args, **kwargs):
        return self.ctr("task", "exec", "--fifo-dir", self.fifo_dir, *args, **kwargs)

    def tasks(self):
        """{container id: (pid, status)} of the namespace's tasks."""
        out = self.ctr("task", "ls").stdout.splitlines()[1:]
        return {f[0]: (int(f[1]), f[2]) for f in (line.split() for line in out)}

    def shim_pids(self):
        return pids_with_argument(self.address.encode())

    def cgroup(self, cid):
        return f"/{self.namespace}/{cid}"


@pytest.fixture(scope="session")
def containerd_session(tmp_path_factory, rootfs_template):
    if shutil.which("containerd") is None or shutil.which("containerd-shim-runc-v2") is None:
        pytest.skip("containerd is not installed (make setup installs it)")
    # The shim's socket dir is fixed (/run/containerd/s); nothing else goes outside base.
    made = MadeOnTheHost("/run/containerd/s", "/run/containerd")
    base = tmp_path_factory.mktemp("containerd")
    containerd = Containerd(base)
    containerd.write_config()
    layer = rootfs_tarball(rootfs_template, base / "rootfs.tar")
    archive = write_oci_archive(layer, base / "image.tar", IMAGE)
    containerd.start()
    try:
        containerd.ctr("image", "import", archive)
        yield containerd
    finally:
        for cid in containerd.tasks() if containerd.process.poll() is None else {}:
            containerd.ctr("task", "delete", "--force", cid, check=False)
        kill_pids(containerd.shim_pids())
        containerd.stop()
        unmount_under(base)
        remove_cgroup_tree(f"/{containerd.namespace}")
        shutil.rmtree(base / "root", ignore_errors=True)
        made.remove()


@pytest.fixture
def containerd(containerd_session):
    """The session's containerd; after the test its tasks and containers are removed and
    what they left on the host is checked."""
    yield containerd_session
    c = containerd_session
    tasks = list(c.tasks())
    for cid in tasks:
        c.ctr("task", "delete", "--force", cid, check=False)
    containers = c.ctr("container", "ls", "--quiet").stdout.split()
    for cid in containers:
        c.ctr("container", "delete", cid, check=False)
    # A shim ends once its task is deleted.
    stuck = wait_pids_gone(c.shim_pids())
    kill_pids(stuck)
    runc_state = list((c.runc_root / c.namespace).iterdir()) if (c.runc_root / c.namespace).exists() else []
    cgroups = cgroup_children(f"/{c.namespace}")
    processes = pids_in_cgroup_named(f"/{c.namespace}/")
    mounts = [m for m in mounts_under(c.base) if "/rootfs" in m]
    unmount_under(c.base / "state")
    assert tasks == [] and containers == [], f"tasks {tasks} and containers {containers} left behind"
    assert stuck == [], f"shims did not end: {stuck}"
    assert runc_state == [], f"nook state left behind: {runc_state}"
    assert processes == [], f"container processes left behind: {processes}"
    assert cgroups == [], f"cgroups left behind: {cgroups}"
    assert mounts == [], f"mounts left behind: {mounts}"
