"""Failures: one clear line naming the field or path, a non-zero exit, and
nothing left behind (state, cgroups, mounts, processes), whether nook fails
while reading the config or late, inside the container's init."""
import json
import os
import pathlib
import subprocess

import pytest

from conftest import Nook, cgroups_named, new_id, processes_in_cgroups


def assert_failed_cleanly(bundle, p, *needles):
    assert p.returncode != 0
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert p.stdout == ""
    root = pathlib.Path(bundle.nook.root)
    assert not root.exists() or list(root.iterdir()) == [], "state left behind"
    if bundle.id not in ("", ".", "..") and "/" not in bundle.id:
        assert cgroups_named([bundle.id]) == []
        assert processes_in_cgroups([bundle.id]) == []
    with open("/proc/self/mountinfo") as f:
        assert [line for line in f if str(bundle.path) in line] == []


def write_raw(bundle, text):
    (bundle.path / "config.json").write_text(text)


def run_raw(bundle, command="run"):
    args = ["--bundle", bundle.path, bundle.id]
    if command == "create":
        return bundle._leave_running("create", (), False, {})
    return bundle.nook(command, *args, check=False)


@pytest.mark.parametrize("command", ["run", "create"])
def test_bad_json(bundle, command):
    write_raw(bundle, '{"ociVersion": "1.0.0", "process": {')
    assert_failed_cleanly(bundle, run_raw(bundle, command), "config.json")


def test_bad_json_says_where(bundle):
    write_raw(bundle, '{\n  "ociVersion": "1.0.0",\n  "root": {"path": "rootfs",}\n}')
    p = run_raw(bundle)
    assert_failed_cleanly(bundle, p, "config.json", "line 3")


def test_config_that_is_not_an_object(bundle):
    write_raw(bundle, '["not", "an", "object"]')
    assert_failed_cleanly(bundle, run_raw(bundle), "config.json")


def test_missing_config(bundle):
    p = bundle.nook("run", "--bundle", bundle.path, bundle.id, check=False)
    assert_failed_cleanly(bundle, p, str(bundle.path / "config.json"), "no such file or directory")


@pytest.mark.parametrize("path,value,field", [
    (("process", "args"), "sh", "process.args"),
    (("process", "args"), ["sh", 5], "process.args[1]"),
    (("root", "readonly"), "yes", "root.readonly"),
    (("process", "user", "uid"), -1, "process.user.uid"),
    (("process", "user", "uid"), "root", "process.user.uid"),
    (("linux", "namespaces"), {"type": "pid"}, "linux.namespaces"),
    (("hostname",), 42, "hostname"),
    (("mounts",), [{"destination": 3}], "mounts[0].destination"),
    (("process", "rlimits"), [{"type": "RLIMIT_NOFILE", "soft": "many", "hard": 1}], "process.rlimits[0].soft"),
])
def test_wrong_types_name_the_field(bundle, path, value, field):
    target = bundle.config
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    bundle.write()
    assert_failed_cleanly(bundle, run_raw(bundle), "config.json", field)


@pytest.mark.parametrize("path,field", [
    (("root", "path"), "root.path"),
    (("root",), "root"),
    (("process", "args"), "process.args"),
    (("process",), "process"),
    (("ociVersion",), "ociVersion"),
])
def test_missing_required_fields(bundle, path, field):
    target = bundle.config
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    bundle.write()
    assert_failed_cleanly(bundle, run_raw(bundle), "config.json", field)


def test_empty_args(bundle):
    bundle.args = []
    bundle.write()
    assert_failed_cleanly(bundle, run_raw(bundle), "process.args")


@pytest.mark.parametrize("section,entry,needle", [
    ("namespaces", {"type": "foo"}, 'linux.namespaces[6].type: unknown namespace "foo"'),
    ("namespaces", {"type": "pid"}, 'linux.namespaces: namespace "pid" is given twice'),
])
def test_bad_namespaces(bundle, section, entry, needle):
    bundle.config["linux"][section].append(entry)
    bundle.write()
    assert_failed_cleanly(bundle, run_raw(bundle), needle)


@pytest.mark.parametrize("field,value,needle", [
    ("bounding", ["CAP_NOPE"], "CAP_NOPE"),
])
def test_unknown_capability(bundle, field, value, needle):
    bundle.config["process"]["capabilities"][field] = value
    bundle.write()
    assert_failed_cleanly(bundle, run_raw(bundle), f"process.capabilities.{field}", needle)


def test_unknown_rlimit(bundle):
    bundle.config["process"]["rlimits"] = [{"type": "RLIMIT_NOPE", "soft": 1, "hard": 1}]
    bundle.write()
    assert_failed_cleanly(bundle, run_raw(bundle), "process.rlimits[0].type", "RLIMIT_NOPE")


def test_unsupported_oci_version(bundle):
    bundle.config["ociVersion"] = "2.0.0"
    bundle.write()
    assert_failed_cleanly(bundle, run_raw(bundle), "ociVersion", "2.0.0")


@pytest.mark.parametrize("command", ["run", "create"])
def test_missing_rootfs(bundle, command):
    bundle.config["root"]["path"] = "no-such-rootfs"
    bundle.write()
    assert_failed_cleanly(bundle, run_raw(bundle, command), "root.path", str(bundle.path / "no-such-rootfs"))


def test_rootfs_that_is_a_file(bundle):
    (bundle.path / "afile").write_text("")
    bundle.config["root"]["path"] = "afile"
    bundle.write()
    assert_failed_cleanly(bundle, run_raw(bundle), "root.path", "afile")


def test_missing_bundle(bundle, tmp_path):
    p = bundle.nook("run", "--bundle", tmp_path / "nope", bundle.id, check=False)
    assert_failed_cleanly(bundle, p, str(tmp_path / "nope"))


@pytest.mark.parametrize("bad_id", ["a/b", "..", ".", "", "x" * 1025, "x" * 300, "has space", "tab\there"])
def test_bad_ids_are_refused(bundle, bad_id):
    bundle.id = bad_id
    bundle.write()
    p = bundle.nook("run", "--bundle", bundle.path, bad_id, check=False)
    assert_failed_cleanly(bundle, p, "container id")


@pytest.mark.parametrize("command", ["state", "start", "kill", "delete"])
def test_bad_id_in_other_commands(nook, command):
    p = nook(command, "../escape", check=False)
    assert p.returncode != 0 and "container id" in p.stderr and len(p.stderr.splitlines()) == 1


@pytest.mark.parametrize("command", ["state", "start", "kill", "delete"])
def test_unknown_container(nook, command):
    p = nook(command, "nt-does-not-exist", check=False)
    assert p.returncode != 0
    assert p.stderr.startswith('nook: container "nt-does-not-exist" does not exist')
    assert len(p.stderr.splitlines()) == 1


# ---- failures inside the container's init: everything made so far is undone ----

@pytest.mark.parametrize("command", ["run", "create"])
def test_bind_source_that_does_not_exist(bundle, tmp_path, command):
    bundle.config["mounts"].append({"destination": "/data", "type": "bind", "source": str(tmp_path / "nope"),
                                    "options": ["rbind"]})
    bundle.write()
    assert_failed_cleanly(bundle, run_raw(bundle, command), "mounts[7]", str(tmp_path / "nope"))


@pytest.mark.parametrize("key,value,needle", [
    ("kernel.nope", "1", 'linux.sysctl: "kernel.nope"'),
    ("fs.file-max", "1", 'linux.sysctl: "fs.file-max"'),
    ("../../etc/passwd", "1", "linux.sysctl"),
    ("net.ipv4.no_such_knob", "1", "net.ipv4.no_such_knob"),
    ("net.ipv4.ip_forward", "not-a-number", "net.ipv4.ip_forward"),
])
@pytest.mark.parametrize("command", ["run", "create"])
def test_invalid_sysctl(bundle, key, value, needle, command):
    bundle.config["linux"]["sysctl"] = {key: value}
    bundle.write()
    assert_failed_cleanly(bundle, run_raw(bundle, command), needle)


@pytest.mark.parametrize("command", ["run", "create"])
def test_program_that_does_not_exist(bundle, command):
    bundle.args = ["no-such-program"]
    bundle.write()
    assert_failed_cleanly(bundle, run_raw(bundle, command), "no-such-program")


def test_program_that_is_not_executable(bundle):
    (bundle.rootfs / "notexec").write_text("#!/bin/sh\n")
    bundle.args = ["/notexec"]
    bundle.write()
    assert_failed_cleanly(bundle, run_raw(bundle), "/notexec", "permission denied")


def test_cwd_that_is_a_file(bundle):
    bundle.config["process"]["cwd"] = "/bin/busybox"
    bundle.write()
    assert_failed_cleanly(bundle, run_raw(bundle), "process.cwd", "/bin/busybox")


def test_uid_map_without_root_in_it(bundle):
    bundle.config["linux"]["namespaces"].append({"type": "user"})
    bundle.config["linux"]["uidMappings"] = [{"containerID": 1, "hostID": 100000, "size": 10}]
    bundle.config["linux"]["gidMappings"] = [{"containerID": 1, "hostID": 100000, "size": 10}]
    bundle.write()
    assert_failed_cleanly(bundle, run_raw(bundle), "user namespace")


def test_tmpfs_with_a_bad_option(bundle):
    bundle.config["mounts"].append({"destination": "/data", "type": "tmpfs", "source": "tmpfs",
                                    "options": ["size=lots"]})
    bundle.write()
    assert_failed_cleanly(bundle, run_raw(bundle), "mounts[7]", "/data")


def test_failure_after_the_first_mounts_unmounts_nothing_on_the_host(bundle, tmp_path):
    """Mounts done before the failing one live in the container's namespace, which
    dies with it; the host's table never sees them."""
    bundle.config["mounts"].append({"destination": "/ok", "type": "tmpfs", "source": "tmpfs"})
    bundle.config["mounts"].append({"destination": "/data", "type": "bind", "source": str(tmp_path / "nope")})
    bundle.write()
    assert_failed_cleanly(bundle, run_raw(bundle), "mounts[8]")


@pytest.mark.parametrize("command", ["run", "create"])
def test_late_failure_in_a_joined_pid_namespace(bundle, tmp_path, command):
    """The init is a grandchild when it joins a pid namespace: it goes too."""
    first_nook, first_id = Nook(bundle.nook.root + "-other"), new_id()
    bundle.args = ["sleep", "30"]
    bundle.write()
    first_nook("create", "--bundle", bundle.path, first_id, stdin=subprocess.DEVNULL,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, capture_output=False)
    first = json.loads(first_nook("state", first_id).stdout)["pid"]
    for ns in bundle.config["linux"]["namespaces"]:
        if ns["type"] == "pid":
            ns["path"] = f"/proc/{first}/ns/pid"
    bundle.config["mounts"].append({"destination": "/data", "type": "bind", "source": str(tmp_path / "nope")})
    bundle.write()
    try:
        assert_failed_cleanly(bundle, run_raw(bundle, command), "mounts[7]")
        # Nothing of the failed container stays in the first one's pid namespace.
        pids_in_ns = [p for p in os.listdir("/proc") if p.isdigit() and p != str(first)
                      and os.path.exists(f"/proc/{p}/ns/pid")
                      and os.readlink(f"/proc/{p}/ns/pid") == os.readlink(f"/proc/{first}/ns/pid")]
        assert [p for p in pids_in_ns if open(f"/proc/{p}/stat").read().split()[2] != "Z"] == []
    finally:
        first_nook("delete", "--force", first_id, check=False)


@pytest.mark.parametrize("path", ["/proc/self/ns/uts", "a plain file"])
@pytest.mark.parametrize("command", ["run", "create"])
def test_namespace_path_of_the_wrong_kind(bundle, tmp_path, path, command):
    if path == "a plain file":  # the test's own: a minimal system may lack any given one
        path = tmp_path / "not-a-namespace"
        path.write_text("")
        path = str(path)
    for ns in bundle.config["linux"]["namespaces"]:
        if ns["type"] == "network":
            ns["path"] = path
    bundle.write()
    assert_failed_cleanly(bundle, run_raw(bundle, command), "network namespace", path)
