"""nook inspect: the report follows what the kernel gave the container.

Each test makes the kernel state differ (a namespace shared with the host, a
capability more, a path left unmasked, a mask removed after start, a user
namespace, a cgroup limit written by hand) and checks the report against the
kernel, read independently from the host (/proc/<pid>/…, nsenter).

Two scenarios belong here once rootless and engine support land:
- rootless: an ordinary user runs `nook --root $XDG_RUNTIME_DIR/nook inspect`;
  expect reference.kind == "caller" (pid 1 and kthreadd are unreadable),
  users.rootOnHost == the user's uid (or its first subuid with newuidmap),
  lockedMounts.checked (the probe joins a user namespace the caller owns),
  cgroup.own false and the "no cgroup of its own" warning without delegation.
- podman: `podman --runtime build/nook run -d …`, then `nook --root <podman's
  runtime root> inspect ID`: the init's ppid is conmon, cgroup paths sit under
  podman's parent, and with --cgroups=disabled cgroup.paths[].sharedWithPid
  names conmon.
"""
import json
import os
import pathlib
import re
import shutil
import subprocess
import tempfile

import pytest
from conftest import Bundle
from support import host_ns, wait_gone

GOLDEN = pathlib.Path(__file__).parent / "golden"
NS_FILES = {"mount": "mnt", "pid": "pid", "network": "net", "ipc": "ipc", "uts": "uts",
            "user": "user", "cgroup": "cgroup", "time": "time"}


def start(bundle, args=("sleep", "1000")):
    """Creates and starts the bundle; `nook start` returns once the program is exec'd."""
    bundle.args = list(args)
    bundle.create()
    bundle.start()
    return bundle.state()["pid"]


def inspect(bundle, *options):
    return json.loads(bundle.nook("inspect", "--format", "json", *options, bundle.id).stdout)


def verdict(report, severity=None):
    return [f"{v['what']} - {v['why']}" for v in report["verdict"]
            if severity is None or v["severity"] == severity]


def by_key(items, key="path"):
    return {item[key]: item for item in items}


def mountinfo(pid):
    """mountpoint -> fields of /proc/<pid>/mountinfo, read by the test itself."""
    mounts = {}
    for line in pathlib.Path(f"/proc/{pid}/mountinfo").read_text().splitlines():
        before, after = line.split(" - ")
        fields = before.split()
        mounts[fields[4]] = {"id": int(fields[0]), "options": fields[5], "type": after.split()[0]}
    return mounts


def status_field(pid, key):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return line.split(":", 1)[1].strip()
    raise KeyError(key)


def test_default_container_report_field_by_field(bundle):
    pid = start(bundle)
    r = inspect(bundle)

    c = r["container"]
    assert (c["id"], c["status"], c["pid"]) == (bundle.id, "running", pid)
    assert c["bundle"] == str(bundle.path)
    assert c["stateDir"] == os.path.join(bundle.nook.root, bundle.id)
    assert c["configRead"] is True

    assert [ns["type"] for ns in r["namespaces"]] == list(NS_FILES)
    for ns in r["namespaces"]:
        assert ns["inode"] == os.stat(f"/proc/{pid}/ns/{NS_FILES[ns['type']]}").st_ino, ns
    origins = {ns["type"]: ns["origin"] for ns in r["namespaces"]}
    assert origins == {"mount": "own", "pid": "own", "network": "own", "ipc": "own", "uts": "own",
                       "cgroup": "own", "user": "host", "time": "host"}

    assert r["processesBy"] == "pid namespace"
    [p] = r["processes"]
    assert (p["pid"], p["containerPid"], p["ppid"]) == (pid, 1, int(status_field(pid, "PPid")))
    assert (p["name"], p["threads"]) == ("sleep", 1)
    assert (p["state"], p["stateName"]) in (("S", "sleeping"), ("R", "running"))

    users = r["users"]
    assert users["namespace"] == "host"
    assert users["rootOnHost"] == 0
    assert users["uid"] == {"host": 0, "container": 0}
    assert users["uidMap"] == [{"containerID": 0, "hostID": 0, "size": 4294967295}]

    mounts = by_key(r["mounts"], "mountpoint")
    kernel = mountinfo(pid)
    assert set(mounts) == set(kernel)
    for mp, m in mounts.items():
        assert m["id"] == kernel[mp]["id"] and m["type"] == kernel[mp]["type"], mp
        assert m["readOnly"] == ("ro" in kernel[mp]["options"].split(",")), mp
        assert m["propagation"] == "private" and m["hostPeer"] is None, mp

    masked = by_key(r["maskedPaths"])
    assert masked["/proc/keys"]["masked"] and masked["/proc/keys"]["maskedBy"] == "null device"
    assert masked["/proc/acpi"]["masked"] and masked["/proc/acpi"]["maskedBy"] == "empty read-only tmpfs"
    assert masked["/proc/kcore"] == {"path": "/proc/kcore", "configured": True, "default": True,
                                     "exists": os.path.exists(f"/proc/{pid}/root/proc/kcore"),
                                     "masked": False, "maskedBy": None}
    readonly = by_key(r["readonlyPaths"])
    assert readonly["/proc/sys"] == {"path": "/proc/sys", "configured": True, "exists": True, "readOnly": True}
    assert readonly["/sys"]["configured"] is False and readonly["/sys"]["readOnly"] is True

    locked = r["lockedMounts"]
    assert locked["userNamespace"] is False and locked["checked"] is True
    # Without a user namespace the kernel locks nothing: root with CAP_SYS_ADMIN could undo every mask.
    assert {p["path"]: p["locked"] for p in locked["paths"]}["/proc/acpi"] is False
    assert all(p["unmount"] == "allowed" for p in locked["paths"])

    priv = r["privilege"]
    asked = bundle.config["process"]["capabilities"]
    for name in ("effective", "permitted", "bounding"):
        assert sorted(priv["capabilities"][name]) == sorted(asked[name]), name
    assert priv["capabilities"]["inheritable"] == [] and priv["capabilities"]["ambient"] == []
    assert priv["noNewPrivileges"] is True
    modes = {"0": "disabled", "1": "strict", "2": "filter"}
    assert priv["seccomp"] == {"mode": modes[status_field(pid, "Seccomp")],
                               "filters": int(status_field(pid, "Seccomp_filters"))}
    # Asked for none; the labels are read only where the LSM is on (tests/realhost checks those).
    apparmor_on = pathlib.Path("/sys/module/apparmor/parameters/enabled").exists() and \
        pathlib.Path("/sys/module/apparmor/parameters/enabled").read_text().startswith("Y")
    selinux_on = pathlib.Path("/sys/fs/selinux/enforce").exists()
    assert priv["lsm"]["apparmor"]["enabled"] is apparmor_on and priv["lsm"]["apparmor"]["asked"] is None
    assert priv["lsm"]["selinux"]["enabled"] is selinux_on and priv["lsm"]["selinux"]["asked"] is None
    if not apparmor_on:
        assert priv["lsm"]["apparmor"]["label"] is None
    if not selinux_on:
        assert priv["lsm"]["selinux"]["label"] is None and priv["lsm"]["selinux"]["mode"] is None

    cg = r["cgroup"]
    assert cg["own"] is True
    own_paths = {p["path"] for p in cg["paths"] if p["own"]}
    assert all(path.endswith("/" + bundle.id) for path in own_paths)
    assert cg["pids"]["current"] == 1
    assert cg["memory"]["usage"] > 0

    assert verdict(r, "serious") == []
    assert any(v.startswith("container root is host root") for v in verdict(r, "warning"))


def test_host_network_namespace_is_reported(bundle):
    bundle.config["linux"]["namespaces"] = [ns for ns in bundle.config["linux"]["namespaces"]
                                            if ns["type"] != "network"]
    start(bundle)
    r = inspect(bundle)
    net = by_key(r["namespaces"], "type")["network"]
    assert net["origin"] == "host"
    assert net["inode"] == os.stat("/proc/self/ns/net").st_ino
    assert any(v.startswith("network namespace shared with the host") for v in verdict(r, "serious"))


def test_joined_network_namespace_names_its_path(bundle, tmp_path):
    netns = tmp_path / "netns"
    netns.touch()
    subprocess.run(["unshare", f"--net={netns}", "true"], check=True)
    try:
        for ns in bundle.config["linux"]["namespaces"]:
            if ns["type"] == "network":
                ns["path"] = str(netns)
        start(bundle)
        net = by_key(inspect(bundle)["namespaces"], "type")["network"]
        assert net == {"type": "network", "inode": os.stat(netns).st_ino, "origin": "joined",
                       "path": str(netns), "pathMatches": True}
    finally:
        bundle.delete("--force", check=False)
        subprocess.run(["umount", str(netns)], check=True)


def test_extra_capability_is_decoded_and_judged(bundle):
    for name in ("bounding", "effective", "permitted"):
        bundle.config["process"]["capabilities"][name].append("CAP_SYS_PTRACE")
    pid = start(bundle)
    r = inspect(bundle)
    assert "CAP_SYS_PTRACE" in r["privilege"]["capabilities"]["effective"]
    assert int(status_field(pid, "CapEff"), 16) & (1 << 19)
    assert any(v.startswith("CAP_SYS_PTRACE - ") for v in verdict(r, "serious"))


def test_default_path_left_out_of_the_masked_list_is_a_leak(bundle):
    assert os.path.exists("/proc/timer_list"), "this test needs a kernel with /proc/timer_list"
    bundle.config["linux"]["maskedPaths"].remove("/proc/timer_list")
    pid = start(bundle)
    r = inspect(bundle)
    entry = by_key(r["maskedPaths"])["/proc/timer_list"]
    assert entry == {"path": "/proc/timer_list", "configured": False, "default": True, "exists": True,
                     "masked": False, "maskedBy": None, "shows": "file visible on proc"}
    # From the host: the file is there in the container's /proc and nothing is mounted on it.
    assert os.path.exists(f"/proc/{pid}/root/proc/timer_list")
    assert "/proc/timer_list" not in mountinfo(pid)
    assert "/proc/timer_list exists but is not masked" in "\n".join(verdict(r, "serious"))


def test_mask_removed_after_start_is_reported(bundle):
    """The report reads the kernel, not the config: undo a mask behind nook's back."""
    pid = start(bundle)
    subprocess.run(["nsenter", "-t", str(pid), "-m", "umount", "/proc/keys"], check=True)
    r = inspect(bundle)
    entry = by_key(r["maskedPaths"])["/proc/keys"]
    assert (entry["configured"], entry["exists"], entry["masked"]) == (True, True, False)
    assert "/proc/keys is listed as masked but is not masked" in "\n".join(verdict(r, "serious"))


@pytest.fixture
def open_bundle(nook, rootfs_template, default_config):
    """A bundle outside pytest's 0700 temp tree, so that a container root mapped
    to an unprivileged host uid can reach its rootfs."""
    path = pathlib.Path(tempfile.mkdtemp(prefix="nook-inspect-"))
    os.chmod(path, 0o711)
    shutil.copytree(rootfs_template, path / "rootfs", symlinks=True)
    yield Bundle(path, nook, default_config)
    for cid in nook.list_ids():
        nook("delete", "--force", cid, check=False)
    shutil.rmtree(path)


def test_user_namespace_mapping_and_locked_mounts(open_bundle):
    bundle = open_bundle
    bundle.config["linux"]["namespaces"].append({"type": "user"})
    bundle.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    bundle.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    pid = start(bundle)
    r = inspect(bundle)

    users = r["users"]
    assert users["namespace"] == "own"
    assert users["uidMap"] == [{"containerID": 0, "hostID": 100000, "size": 65536}]
    assert users["gidMap"] == [{"containerID": 0, "hostID": 100000, "size": 65536}]
    assert users["rootOnHost"] == 100000
    assert users["uid"] == {"host": 100000, "container": 0}
    assert not any(v.startswith("container root is host root") for v in verdict(r))

    locked = r["lockedMounts"]
    assert locked["userNamespace"] is True and locked["checked"] is True
    paths = by_key(locked["paths"])
    assert {"/proc/acpi", "/proc/keys", "/proc/sys"} <= set(paths)
    # Ask the kernel again, another way: nsenter into the container's user and
    # mount namespaces and unmount in a private copy.
    for path, entry in paths.items():
        probe = subprocess.run(["nsenter", "-t", str(pid), "-U", "-m", "-r", "-w", "/bin/nook-test-helper",
                                "unshare-mount", "umount", path, "lazy"], capture_output=True, text=True)
        kernel_says = "allowed" if probe.stdout.strip() == "ok" else "refused"
        assert entry["unmount"] == kernel_says, (path, probe.stdout, probe.stderr)
        assert entry["locked"] == (kernel_says == "refused"), path
    # The container still has every mask: the probes ran in copies.
    assert {"/proc/acpi", "/proc/keys", "/proc/sys"} <= set(mountinfo(pid))
    unlocked = [p for p in paths.values() if not p["locked"]]
    assert bool(unlocked) == any("are not locked" in v for v in verdict(r))


def test_processes_of_the_container_are_listed(bundle):
    bundle.config["root"]["readonly"] = False
    fifo = bundle.rootfs / "tmp" / "ready"
    os.mkfifo(fifo)
    # The helper says ready once it runs (its exec is done); the shell waits for it.
    pid = start(bundle, ["sh", "-c", "nook-test-helper wait-signal > /tmp/ready & wait"])
    with open(fifo) as f:
        assert f.readline() == "ready\n"
    procs = inspect(bundle)["processes"]
    assert sorted(p["name"] for p in procs) == ["nook-test-helpe", "sh"]  # comm keeps 15 characters
    init = next(p for p in procs if p["pid"] == pid)
    child = next(p for p in procs if p["pid"] != pid)
    assert init["containerPid"] == 1 and init["name"] == "sh"
    assert child["ppid"] == pid and child["containerPid"] > 1
    assert child["containerPid"] == int(status_field(child["pid"], "NSpid").split()[-1])


def cgroup_dir(bundle, controller):
    state = json.loads((pathlib.Path(bundle.nook.root) / bundle.id / "state.json").read_text())
    return next(pathlib.Path(h["path"]) for h in state["cgroup"] if controller in h["controllers"].split(","))


def test_cgroup_limits_follow_the_kernel(bundle):
    start(bundle)
    before = inspect(bundle)["cgroup"]
    assert before["pids"]["limit"] is None and before["memory"]["limit"] is None
    (cgroup_dir(bundle, "pids") / "pids.max").write_text("17")
    (cgroup_dir(bundle, "memory") / "memory.limit_in_bytes").write_text(str(64 << 20))
    (cgroup_dir(bundle, "cpu") / "cpu.cfs_quota_us").write_text("50000")
    r = inspect(bundle)
    assert r["cgroup"]["pids"]["limit"] == 17
    assert r["cgroup"]["memory"]["limit"] == 64 << 20
    assert r["cgroup"]["cpu"]["quotaUs"] == 50000
    assert not any(v.startswith(("no pids limit", "no memory limit")) for v in verdict(r))


def test_stopped_container_is_refused(bundle):
    bundle.args = ["true"]
    bundle.create()
    pid = bundle.state()["pid"]
    bundle.start()
    assert wait_gone(pid)
    p = bundle.nook("inspect", bundle.id, check=False)
    assert p.returncode == 1
    assert f'container "{bundle.id}" is stopped' in p.stderr


def test_unknown_format_is_refused(bundle):
    p = bundle.nook("inspect", "--format", "yaml", "nope", check=False)
    assert p.returncode == 1 and '--format: unknown format "yaml"' in p.stderr


def reference_ns(kind):
    """The namespace inspect compares with: pid 1's, else kthreadd's, else (None) the caller's."""
    for pid in (1, 2):
        try:
            return host_ns(kind, pid)
        except OSError:
            continue
    return None


def mask_volatile(text, replacements):
    """Known volatile strings become placeholders; numbers become N, keeping columns.
    The container's / is a copy in the tests' tmp dir: its filesystem type and source
    are the host's (ext4 on a disk, a tmpfs /tmp, overlay in a container)."""
    for old, new in replacements:
        text = text.replace(old, new)
    text = re.sub(r"^(  / +)\S+ +\S+ +", lambda m: m.group(1) + "<FSTYPE>".ljust(11) + "<SOURCE>".ljust(17),
                  text, flags=re.M)
    text = re.sub(r"\d+(\.\d+)? (B|KiB|MiB|GiB|ms|s)\b", "<AMOUNT>", text)
    # A process just exec'd may still be running on its way to sleep.
    text = re.sub(r"\b[RS] (running|sleeping) +", lambda m: "<STATE>".ljust(len(m.group())), text)

    def number(m):
        digits, spaces = m.group(1), m.group(2)
        return "N" + (" " * (len(digits) + len(spaces) - 1) if spaces else "")
    return re.sub(r"(\d+)( *)", number, text)


def test_text_report_matches_the_golden_sample(bundle, tmp_path):
    # An absolute cgroupsPath keeps the caller's own cgroup out of the paths.
    bundle.config["linux"]["cgroupsPath"] = "/" + bundle.id
    start(bundle)
    text = bundle.nook("inspect", bundle.id).stdout
    assert all(len(line) <= 100 for line in text.splitlines()), "wider than 100 columns"
    masked = mask_volatile(text, [(str(tmp_path), "<TMP>"), (bundle.id, "<ID>")])
    golden = GOLDEN / "inspect-default.txt"
    if os.environ.get("NOOK_UPDATE_GOLDEN"):
        golden.write_text(masked)
    assert masked == golden.read_text()


@pytest.mark.parametrize("propagation,peer,severity,what", [
    ("rshared", "shared", "serious", "in the same peer group as a host mount"),
    ("rslave", "receives", "warning", "receive mounts from the host"),
])
def test_mount_propagating_with_the_host_is_reported(bundle, tmp_path, propagation, peer, severity, what):
    if reference_ns("mnt") not in (None, host_ns("mnt")):
        pytest.skip("the tests run outside the host's mount namespace (pid 1's): a mount they make "
                    "is not one of the host's mounts that inspect compares with")
    shared = tmp_path / "shared"
    shared.mkdir()
    (bundle.rootfs / "mnt").mkdir(exist_ok=True)
    subprocess.run(["mount", "--bind", "--make-shared", str(shared), str(shared)], check=True)
    try:
        bundle.config["linux"]["rootfsPropagation"] = propagation
        bundle.config["mounts"].append({"destination": "/mnt", "type": "bind", "source": str(shared),
                                        "options": ["rbind"]})
        pid = start(bundle)
        # What the host mounts there now shows up inside: the kernel propagates it.
        subprocess.run(["mount", "-t", "tmpfs", "late", str(shared)], check=True)
        assert any(line.split()[4] == "/mnt" and " - tmpfs late " in line
                   for line in pathlib.Path(f"/proc/{pid}/mountinfo").read_text().splitlines())
        r = inspect(bundle)
        mnt = [m for m in r["mounts"] if m["mountpoint"] == "/mnt"]
        assert [m["hostPeer"] for m in mnt] == [peer, peer]
        host_groups = {int(tag.split(":")[1]) for line in open("/proc/self/mountinfo")
                       for tag in line.split(" - ")[0].split()[6:] if tag.startswith("shared:")}
        tag = "shared:" if peer == "shared" else "master:"
        assert all(int(m["propagation"].split(tag)[1].split()[0]) in host_groups for m in mnt)
        assert any(v.startswith(f"2 mounts {what} (first: /mnt)") for v in verdict(r, severity)), verdict(r)
    finally:
        bundle.delete("--force", check=False)
        while str(shared) in mountinfo("self"):  # the late tmpfs, then the shared bind
            subprocess.run(["umount", str(shared)], check=True)


def test_text_output_never_carries_control_characters(bundle):
    """A process name is the container's to choose; it must not drive the terminal."""
    name = "\x1b[2Jevil"
    os.symlink("nook-test-helper", bundle.rootfs / "bin" / name)
    pid = start(bundle, [name, "wait-signal"])
    assert status_field(pid, "Name") == name
    assert by_key(inspect(bundle)["processes"], "pid")[pid]["name"] == name
    text = bundle.nook("inspect", bundle.id).stdout
    assert "\x1b" not in text
    assert "?[2Jevil" in text
