"""`nook checkpoint` and `nook restore` on this host.

criu 3.17 cannot work on every kernel (this machine's vDSO defeats its check), so
these tests drive nook against fake_criu.py: a `criu swrk` that decodes nook's
requests with criu's own generated protocol module (Debian's criu package ships
it) and answers as criu does. What they check is nook's side: what criu is told
(external mounts, stdio, cgroup roots, namespaces), what nook does with criu's
answers and notifications, and that nothing is left when anything fails. Real
checkpoints and restores are proven in the real-host VM (tests/realhost,
scenario criu: test_realhost_criu.py)."""
import json
import os
import pathlib
import shutil
import socket
import subprocess

import pytest

from support import wait_for, wait_gone

HERE = pathlib.Path(__file__).resolve().parent
CLONE_NEWNET = 0x40000000
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def pycriu_available():
    return subprocess.run(["/usr/bin/python3", "-c", "import pycriu.rpc_pb2"], capture_output=True).returncode == 0


needs_fake = pytest.mark.skipif(not pycriu_available(),
                                reason="the fake criu decodes with pycriu.rpc_pb2 (Debian's criu package)")


class FakeCriu:
    """fake_criu.py installed as `criu` in a directory of its own; env() puts it first on PATH."""

    def __init__(self, path):
        self.dir = path
        self.dir.mkdir()
        shutil.copy2(HERE / "fake_criu.py", self.dir / "criu")
        os.chmod(self.dir / "criu", 0o755)
        self.log = path / "requests.jsonl"
        self.settings = {}

    def env(self, **settings):
        env = dict(os.environ, PATH=f"{self.dir}:{SYSTEM_PATH}", FAKE_CRIU_LOG=str(self.log))
        env.update({f"FAKE_CRIU_{k.upper()}": v for k, v in {**self.settings, **settings}.items()})
        return env

    def requests(self, kind=None):
        if not self.log.exists():
            return []
        entries = [json.loads(line) for line in self.log.read_text().splitlines()]
        return [e for e in entries if "type" in e and (kind is None or e["type"] == kind)]

    def acks(self):
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if '"ack"' in line]


@pytest.fixture
def criu(tmp_path):
    return FakeCriu(tmp_path / "fake-criu")


def assert_cgroup_yard(request, state_dir):
    """criu ran in a mount namespace of its own, where every cgroup hierarchy of the
    host is bound in the yard it was given (it mounts no cgroupfs itself: a new
    cgroup2 mount would reset the host's cgroup2 options); the host's namespace has
    none of it (the fixtures check)."""
    yard = request["opts"]["cgroup_yard"]
    assert yard == str(state_dir / "criu-yard")
    process = request["process"]
    assert process["mntns"] != os.readlink("/proc/self/ns/mnt")
    hierarchies = {m.split()[4] for m in open("/proc/self/mountinfo") if " - cgroup" in m}
    bound = [m for m in process["mounts"] if m.startswith(yard + "/")]
    assert len(bound) == len(hierarchies) and bound, (bound, hierarchies)
    v2 = any(" - cgroup2 " in m for m in open("/proc/self/mountinfo"))
    assert (yard + "/unified" in bound) == v2


def no_criu_env(tmp_path):
    """A PATH without any criu on it."""
    empty = tmp_path / "no-criu"
    empty.mkdir(exist_ok=True)
    return dict(os.environ, PATH=str(empty))


def running(bundle, script="exec sleep 1000"):
    bundle.args = ["sh", "-c", script]
    bundle.run("-d", check=True)
    return bundle.state()["pid"]


def one_line(proc):
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode != 0
    assert len(lines) == 1, proc.stderr
    return lines[0]


def cgroup_dirs_of(pid):
    """The host's cgroup directories of a process (v1 hierarchies and cgroup2)."""
    dirs = []
    for line in pathlib.Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            base = "/sys/fs/cgroup" if os.path.exists("/sys/fs/cgroup/cgroup.controllers") else \
                "/sys/fs/cgroup/unified"
        elif controllers.startswith("name="):
            base = f"/sys/fs/cgroup/{controllers[5:]}"
        else:
            base = f"/sys/fs/cgroup/{controllers}"
        dirs.append((controllers, base + path))
    return dirs


# ---- the command line ----

@pytest.mark.parametrize("command,options", [
    ("checkpoint", ["--image-path", "--work-path", "--parent-path", "--leave-running", "--tcp-established",
                    "--ext-unix-sk", "--shell-job", "--file-locks", "--pre-dump", "--manage-cgroups-mode",
                    "--empty-ns", "--auto-dedup", "--lazy-pages", "--page-server", "--status-fd"]),
    ("restore", ["--image-path", "--work-path", "--bundle", "--detach", "--pid-file", "--console-socket",
                 "--no-subreaper", "--no-pivot", "--manage-cgroups-mode", "--lsm-profile", "--lsm-mount-context",
                 "--tcp-established", "--file-locks", "--empty-ns"]),
])
def test_help_exits_0_and_names_runc_s_options(nook, command, options):
    # podman probes `checkpoint --help` to learn whether the runtime can checkpoint.
    proc = nook(command, "--help")
    assert proc.returncode == 0
    for option in options:
        assert option in proc.stdout, option


def test_checkpoint_without_criu_fails_with_one_line_and_keeps_the_container(bundle, nook, tmp_path):
    running(bundle)
    image = tmp_path / "image"
    proc = nook("checkpoint", "--image-path", image, bundle.id, check=False, env=no_criu_env(tmp_path))
    assert "criu is not installed" in one_line(proc)
    assert bundle.state()["status"] == "running"
    assert not image.exists()


def test_restore_without_criu_fails_with_one_line_and_leaves_nothing(bundle, nook, tmp_path):
    bundle.write()
    image = tmp_path / "image"
    image.mkdir()
    proc = nook("restore", "-d", "--image-path", image, "--bundle", bundle.path, bundle.id, check=False,
                env=no_criu_env(tmp_path), stdin=subprocess.DEVNULL)
    assert "criu is not installed" in one_line(proc)
    assert nook.list_ids() == []


@pytest.mark.parametrize("parent,expected", [
    ("/abs/olute", "must be relative to --image-path"),
    ("missing", "no such file or directory"),
    ("a-file", "not a directory"),
])
def test_pre_dump_with_a_bad_parent_path_fails_clearly(bundle, nook, tmp_path, parent, expected):
    running(bundle)
    image = tmp_path / "image"
    image.mkdir()
    (image / "a-file").write_text("")
    proc = nook("checkpoint", "--pre-dump", "--image-path", image, "--parent-path", parent, bundle.id, check=False)
    line = one_line(proc)
    assert "--parent-path" in line and expected in line, line
    assert bundle.state()["status"] == "running"


@pytest.mark.parametrize("option,value,expected", [
    ("--manage-cgroups-mode", "sometimes", "expected soft, full, strict or ignore"),
    ("--empty-ns", "pid", "namespace \"pid\" is not supported"),
    ("--page-server", "nowhere", "expected ADDRESS:PORT"),
])
def test_bad_criu_options_are_refused(bundle, nook, tmp_path, option, value, expected):
    running(bundle)
    proc = nook("checkpoint", "--image-path", tmp_path / "image", option, value, bundle.id, check=False)
    assert expected in one_line(proc)
    assert not (tmp_path / "image").exists()


def test_checkpoint_of_a_created_container_is_refused(bundle, nook, tmp_path):
    bundle.create()
    proc = nook("checkpoint", "--image-path", tmp_path / "image", bundle.id, check=False)
    assert "it is created, not running" in one_line(proc)


def test_checkpoint_of_a_stopped_container_is_refused(bundle, nook, tmp_path):
    bundle.args = ["true"]
    bundle.run("-d", check=True)
    assert wait_for(lambda: bundle.state()["status"] == "stopped")
    proc = nook("checkpoint", "--image-path", tmp_path / "image", bundle.id, check=False)
    assert "it is stopped, not running" in one_line(proc)


def real_criu_check_fails():
    """Whether this host's own criu is installed and its check fails (then the tests
    below use it rather than the fake)."""
    return shutil.which("criu", path=SYSTEM_PATH) is not None and \
        subprocess.run(["criu", "check"], capture_output=True).returncode != 0


@pytest.fixture
def failing_check_env(tmp_path, criu):
    if real_criu_check_fails():
        return dict(os.environ, PATH=SYSTEM_PATH)
    if not pycriu_available():
        pytest.skip("criu's check passes here, and the fake criu needs pycriu")
    return criu.env(check="fail")


def test_checkpoint_where_criu_check_fails_says_why_in_one_line(bundle, nook, tmp_path, failing_check_env):
    running(bundle)
    proc = nook("checkpoint", "--image-path", tmp_path / "image", bundle.id, check=False, env=failing_check_env)
    line = one_line(proc)
    assert "criu cannot work on this host: `criu check` failed: " in line
    assert f"(log: `{tmp_path / 'image'}/check.log`)" in line
    assert bundle.state()["status"] == "running"


def test_restore_where_criu_check_fails_says_why_and_leaves_nothing(bundle, nook, tmp_path, failing_check_env):
    bundle.write()
    image = tmp_path / "image"
    image.mkdir()
    proc = nook("restore", "-d", "--image-path", image, "--bundle", bundle.path, bundle.id, check=False,
                env=failing_check_env, stdin=subprocess.DEVNULL)
    assert "criu cannot work on this host: `criu check` failed: " in one_line(proc)
    assert nook.list_ids() == []


# ---- checkpoint, with the fake criu ----

@needs_fake
def test_checkpoint_tells_criu_the_mounts_that_come_from_the_host(bundle, nook, tmp_path, criu):
    data = tmp_path / "data"
    data.mkdir()
    bundle.config["mounts"].append({"destination": "/data", "type": "bind", "source": str(data),
                                    "options": ["rbind"]})
    bundle.config["annotations"] = {"org.criu.config": "/etc/criu/custom.conf"}
    pid = running(bundle)
    image, work = tmp_path / "image", tmp_path / "work"
    nook("checkpoint", "--leave-running", "--image-path", image, "--work-path", work,
         "--manage-cgroups-mode", "soft", "--tcp-established", "--file-locks", bundle.id, env=criu.env())
    [dump] = criu.requests("DUMP")
    opts = dump["opts"]
    assert opts["pid"] == pid
    assert opts["root"] == str(bundle.rootfs)
    assert opts["leave_running"] and opts["tcp_established"] and opts["file_locks"]
    assert opts["manage_cgroups_mode"] == "SOFT"
    assert opts["empty_ns"] == CLONE_NEWNET  # nook, like runc, does not manage network devices
    assert opts["orphan_pts_master"] and opts["notify_scripts"]
    assert opts["log_file"] == "dump.log" and "work_dir_fd" in opts
    assert opts["config_file"] == "/etc/criu/custom.conf"
    mounts = {m["key"]: m["val"] for m in opts["ext_mnt"]}
    assert mounts["/data"] == "/data"
    # Masked files are binds of /dev/null (one key for all); masked directories are
    # tmpfs mounts criu saves itself; what this kernel lacks is not masked at all.
    masked = bundle.config["linux"]["maskedPaths"]
    files = [p for p in masked if os.path.isfile(p)]
    dirs = [p for p in masked if os.path.isdir(p)]
    assert files and dirs
    assert all(mounts[p] == "/dev/null" for p in files)
    assert not any(p in mounts for p in dirs)
    assert not any(p in mounts for p in masked if not os.path.exists(p))
    assert mounts["/dev/null"] == "/dev/null"
    # criu freezes the container through its cgroup.
    assert opts["freeze_cgroup"] in [d for c, d in cgroup_dirs_of(pid) if "freezer" in c or c == ""]
    # The init's stdio are files of the host (container.out …): external, and recorded.
    record = json.loads((image / "nook.json").read_text())
    assert record["state"]["id"] == bundle.id and record["config"]["mounts"] == bundle.config["mounts"]
    keys = [k for k in record["stdio"] if k is not None]
    assert keys and all(k.startswith("file[") and k in opts["external"] for k in keys)
    assert json.loads((image / "descriptors.json").read_text())[1] == str(bundle.path / "container.out")
    assert bundle.state()["status"] == "running"
    # criu's check ran first, in its own process, with its log in the work directory.
    assert [r["type"] for r in criu.requests()] == ["CHECK", "DUMP"]
    assert_cgroup_yard(dump, pathlib.Path(nook.root) / bundle.id)


@needs_fake
def test_checkpoint_deletes_the_container_after_the_dump(bundle, nook, tmp_path, criu):
    pid = running(bundle)
    nook("checkpoint", "--image-path", tmp_path / "image", bundle.id, env=criu.env())
    assert wait_gone(pid)
    assert nook("state", bundle.id, check=False).returncode != 0


@needs_fake
def test_a_failed_dump_says_why_and_keeps_the_container(bundle, nook, tmp_path, criu):
    running(bundle)
    proc = nook("checkpoint", "--image-path", tmp_path / "image", bundle.id, check=False,
                env=criu.env(dump="fail:fake: cannot dump this"))
    line = one_line(proc)
    assert "criu dump failed: Error (criu/fake.c:1): fake: cannot dump this" in line
    assert f"criu's log: `{tmp_path / 'image'}/dump.log`" in line
    assert bundle.state()["status"] == "running"


@needs_fake
def test_pre_dump_tracks_memory_against_its_parent_and_leaves_the_container_running(bundle, nook, tmp_path, criu):
    running(bundle)
    images = tmp_path / "images"
    (images / "1").mkdir(parents=True)
    nook("checkpoint", "--pre-dump", "--image-path", images / "2", "--parent-path", "../1", bundle.id, env=criu.env())
    check, features, pre_dump = criu.requests()
    assert check["type"] == "CHECK"
    assert features["type"] == "FEATURE_CHECK" and features["features"]["mem_track"] and features["keep_open"]
    assert pre_dump["type"] == "PRE_DUMP"
    assert pre_dump["opts"]["parent_img"] == "../1" and pre_dump["opts"]["track_mem"]
    assert "ext_mnt" not in pre_dump["opts"]
    assert bundle.state()["status"] == "running"


@needs_fake
def test_pre_dump_is_refused_where_criu_cannot_track_memory(bundle, nook, tmp_path, criu):
    running(bundle)
    proc = nook("checkpoint", "--pre-dump", "--image-path", tmp_path / "image", bundle.id, check=False,
                env=criu.env(features="no"))
    assert "criu cannot track memory changes on this host" in one_line(proc)
    assert [r["type"] for r in criu.requests()] == ["CHECK", "FEATURE_CHECK"]
    assert bundle.state()["status"] == "running"


# ---- restore, with the fake criu ----

def make_image(path, stdio=("pipe:[4242]", "file[1f:2a]", None)):
    """What restore reads of an image: criu's inventory (its content is criu's
    business) and nook's record."""
    path.mkdir()
    (path / "inventory.img").write_bytes(b"")
    (path / "nook.json").write_text(json.dumps({"stdio": list(stdio)}))
    return path


def hook(tmp_path, name):
    """A hook that saves the state it is given."""
    out = tmp_path / f"{name}.json"
    return {"path": "/bin/sh", "args": ["sh", "-c", f"cat > {out}"]}, out


def restore(nook, bundle, image, *options, env, check=True, timeout=60):
    """`nook restore`, its stdio files (the restored process keeps them, as criu's)."""
    bundle.write()
    out, err = bundle.path / "restore.out", bundle.path / "restore.err"
    with open(out, "w") as o, open(err, "w") as e:
        proc = nook("restore", "--image-path", image, "--bundle", bundle.path, *options, bundle.id, check=False,
                    env=env, stdin=subprocess.DEVNULL, stdout=o, stderr=e, capture_output=False, timeout=timeout)
    proc.stdout, proc.stderr = out.read_text(), err.read_text()
    if check and proc.returncode != 0:
        raise AssertionError(f"restore exited {proc.returncode}: {proc.stderr}")
    return proc


@needs_fake
def test_restore_makes_a_container_of_the_process_criu_restores(bundle, nook, tmp_path, criu):
    data = tmp_path / "data"
    data.mkdir()
    bundle.config["mounts"].append({"destination": "/data", "type": "bind", "source": str(data),
                                    "options": ["rbind"]})
    prestart, prestart_out = hook(tmp_path, "prestart")
    poststart, poststart_out = hook(tmp_path, "poststart")
    bundle.config["hooks"] = {"prestart": [prestart], "poststart": [poststart]}
    image = make_image(tmp_path / "image")
    pid_file = tmp_path / "pid"
    restore(nook, bundle, image, "-d", "--pid-file", pid_file, "--lsm-profile", "apparmor:unconfined",
            env=criu.env())
    state = bundle.state()
    pid = state["pid"]
    assert state["status"] == "running"
    assert int(pid_file.read_text()) == pid
    # Its own network namespace, made empty by criu: lo is up, as after create.
    lo = subprocess.run(["nsenter", "-t", str(pid), "-n", "ip", "-o", "link", "show", "lo"], capture_output=True,
                        text=True, check=True).stdout
    assert "UP" in lo.split(">")[0]
    # The hooks: prestart once the namespaces exist, with the init's pid; poststart after.
    assert json.loads(prestart_out.read_text())["pid"] == pid
    assert json.loads(poststart_out.read_text())["status"] == "running"
    [req] = criu.requests("RESTORE")
    opts = req["opts"]
    state_dir = pathlib.Path(nook.root) / bundle.id
    assert opts["root"] == str(state_dir / "criu-root")
    assert opts["rst_sibling"] and opts["orphan_pts_master"] and opts["evasive_devices"]
    assert opts["lsm_profile"] == "apparmor:unconfined"
    mounts = {m["key"]: m["val"] for m in opts["ext_mnt"]}
    assert mounts["/data"] == str(data)
    assert mounts["/dev/null"] == "/dev/null"
    # The image's stdio are criu's own, which are nook's.
    assert {i["key"]: i["fd"] for i in opts["inherit_fd"]} == {"pipe:[4242]": 0, "file[1f:2a]": 1}
    # criu restores into the container's cgroup, where the process now is, and where
    # criu itself was put first (as runc does: --manage-cgroups-mode ignore moves nothing).
    assert [r["path"] for r in opts["cg_root"]]
    assert all(line.endswith(bundle.id) for line in req["process"]["cgroup"].splitlines() if "freezer" in line or
               line.startswith("0::")), req["process"]["cgroup"]
    for controllers, directory in cgroup_dirs_of(pid):
        if controllers in ("", "freezer", "pids", "memory"):
            assert directory.endswith(bundle.id), (controllers, directory)
    # criu ran in a mount namespace of its own holding its root (the host's has none:
    # the fixtures check), with no signal of nook's blocked.
    process = req["process"]
    assert str(state_dir / "criu-root") in process["mounts"]
    assert_cgroup_yard(req, state_dir)
    assert int(process["sigblk"], 16) == 0
    assert [a["ack"] for a in criu.acks()] == ["setup-namespaces", "post-restore"]
    nook("delete", "--force", bundle.id)
    assert wait_gone(pid)


@needs_fake
def test_a_failed_restore_says_why_and_leaves_nothing(bundle, nook, tmp_path, criu):
    image = make_image(tmp_path / "image")
    proc = restore(nook, bundle, image, "-d", env=criu.env(restore="fail:fake: no such task"), check=False)
    line = one_line(proc)
    assert "criu restore failed: Error (criu/fake.c:1): fake: no such task" in line
    assert f"criu's log: `{image}/restore.log`" in line
    assert nook.list_ids() == []


@needs_fake
def test_a_criu_that_dies_in_the_middle_of_a_restore_leaves_nothing(bundle, nook, tmp_path, criu):
    # Its process is in the container's cgroup, never named to nook: the fixtures check
    # that neither it nor the cgroup is left.
    image = make_image(tmp_path / "image")
    proc = restore(nook, bundle, image, "-d", env=criu.env(restore="die"), check=False)
    assert "criu restore: it exited without an answer" in one_line(proc), proc.stderr
    assert nook.list_ids() == []


@needs_fake
def test_a_failing_prestart_hook_undoes_the_restore(bundle, nook, tmp_path, criu):
    poststop, poststop_out = hook(tmp_path, "poststop")
    bundle.config["hooks"] = {"prestart": [{"path": "/bin/false"}], "poststop": [poststop]}
    image = make_image(tmp_path / "image")
    proc = restore(nook, bundle, image, "-d", env=criu.env(), check=False)
    assert proc.returncode != 0 and "prestart" in proc.stderr
    assert nook.list_ids() == []
    # The lifecycle goes on at its destruction: the poststop hooks ran.
    assert poststop_out.exists()
    # criu was told nothing more and undid its restore (the fixtures check that no
    # process is left in the container's cgroup).
    assert [a["ack"] for a in criu.acks()] == ["setup-namespaces"]


@needs_fake
def test_restore_in_the_foreground_returns_the_exit_code_and_deletes_the_container(bundle, nook, tmp_path, criu):
    image = make_image(tmp_path / "image")
    proc = restore(nook, bundle, image, env=criu.env(child="sleep 0.5; exit 7"), check=False)
    assert proc.returncode == 7, proc.stderr
    assert nook.list_ids() == []


@needs_fake
def test_restore_sends_the_terminal_to_the_console_socket(bundle, nook, tmp_path, criu):
    bundle.config["process"]["terminal"] = True
    image = make_image(tmp_path / "image", stdio=(None, None, None))
    path = tmp_path / "console.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)
    listener.settimeout(30)
    try:
        proc = restore(nook, bundle, image, "-d", "--console-socket", path, env=criu.env(terminal="1"))
        conn, _ = listener.accept()
        msg, fds, _, _ = socket.recv_fds(conn, 1024, 1)
        conn.close()
    finally:
        listener.close()
    assert proc.returncode == 0
    assert len(fds) == 1
    assert os.readlink(f"/proc/self/fd/{fds[0]}") == "/dev/ptmx"
    os.close(fds[0])
    nook("delete", "--force", bundle.id)


def test_restore_of_a_terminal_detached_without_console_socket_is_refused(bundle, nook, tmp_path, criu):
    if not pycriu_available():
        pytest.skip("the fake criu needs pycriu")
    bundle.config["process"]["terminal"] = True
    image = make_image(tmp_path / "image")
    proc = restore(nook, bundle, image, "-d", env=criu.env(), check=False)
    assert "--detach needs --console-socket" in one_line(proc)
    assert nook.list_ids() == []


def test_restore_as_rootless_is_refused_before_anything(bundle, nook, tmp_path):
    bundle.write()
    image = make_image(tmp_path / "image")
    proc = nook("--rootless", "true", "restore", "-d", "--image-path", image, "--bundle", bundle.path, bundle.id,
                check=False, stdin=subprocess.DEVNULL)
    assert "criu works for root only" in one_line(proc)
    assert nook.list_ids() == []


@needs_fake
def test_restore_of_a_directory_without_a_checkpoint_is_refused(bundle, nook, tmp_path, criu):
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = restore(nook, bundle, empty, "-d", env=criu.env(), check=False)
    assert "holds no checkpoint (inventory.img)" in one_line(proc)
    assert nook.list_ids() == []


@needs_fake
def test_restore_of_a_runc_image_hands_criu_the_pipes_of_descriptors_json(bundle, nook, tmp_path, criu):
    image = tmp_path / "image"
    image.mkdir()
    (image / "inventory.img").write_bytes(b"")
    (image / "descriptors.json").write_text(json.dumps(["pipe:[77]", "/dev/null", "/dev/null"]))
    restore(nook, bundle, image, "-d", env=criu.env())
    [req] = criu.requests("RESTORE")
    assert req["opts"]["inherit_fd"] == [{"key": "pipe:[77]", "fd": 0}]
    nook("delete", "--force", bundle.id)
