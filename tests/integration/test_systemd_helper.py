"""nook-systemd, the systemd driver's D-Bus client, against a private dbus-daemon and
a stand-in systemd manager (systemd_mock.py) that records every call: start,
set-properties and stop round trips with the properties as sent, a failing job
(ResetFailedUnit and one retry), buses that never answer or are not there, the
user bus reached from inside a user namespace, and `nook check`'s systemd line.

These prove the client's protocol handling; the real systemd is tried in the VM rig.
"""
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

from conftest import NOOK, REPO
from rootless_support import rootless_user  # noqa: F401 (fixture)

HELPER = REPO / "build" / "nook-systemd"
MOCK = pathlib.Path(__file__).with_name("systemd_mock.py")
PYTHON = "/usr/bin/python3"

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>custom</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def have_dbus():
    if shutil.which("dbus-daemon") is None:
        return "dbus-daemon is not installed (package dbus-daemon)"
    if subprocess.run([PYTHON, "-c", "import dbus, gi.repository.GLib"], capture_output=True).returncode:
        return "python3-dbus or python3-gi is not installed"
    if not HELPER.exists():
        return "build/nook-systemd is not built"
    return None


pytestmark = pytest.mark.skipif(have_dbus() is not None, reason=have_dbus() or "")


class Bus:
    """A private dbus-daemon, optionally run as another user, with a mock manager on it."""

    def __init__(self, directory, prefix=()):
        self.dir = pathlib.Path(directory)
        self.prefix = list(prefix)
        self.socket = self.dir / "bus"
        self.address = f"unix:path={self.socket}"
        self.log = self.dir / "calls.log"
        self.procs = []
        (self.dir / "bus.conf").write_text(BUS_CONFIG.format(socket=self.socket))
        daemon = subprocess.Popen(self.prefix + ["dbus-daemon", "--config-file", str(self.dir / "bus.conf"),
                                                 "--nofork", "--print-address"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.procs.append(daemon)
        daemon.stdout.readline()  # the address: listening

    def start_mock(self, **config):
        (self.dir / "mock.json").write_text(json.dumps(config))
        mock = subprocess.Popen(self.prefix + [PYTHON, str(MOCK), self.address, str(self.log),
                                               str(self.dir / "mock.json")],
                                stdout=subprocess.PIPE, text=True)
        self.procs.append(mock)
        assert mock.stdout.readline().strip() == "ready"
        return self

    def calls(self, method=None):
        if not self.log.exists():
            return []
        calls = [json.loads(line) for line in self.log.read_text().splitlines()]
        return [c for c in calls if method is None or c["method"] == method]

    def stop(self):
        for p in reversed(self.procs):
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@pytest.fixture
def tmpdir_world():
    """A temporary directory any user may enter."""
    d = pathlib.Path(tempfile.mkdtemp(prefix="nook-sd-", dir="/tmp"))
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def bus(tmpdir_world):
    """A bus run by root with the mock manager at its defaults; start_mock again to change them."""
    b = Bus(tmpdir_world)
    yield b
    b.stop()


def run_helper(request, env=None, prefix=(), timeout=30):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS_", "XDG_RUNTIME_DIR"))}
    full_env.update(env or {})
    start = time.monotonic()
    p = subprocess.run(list(prefix) + [str(HELPER)], input=json.dumps(request), capture_output=True, text=True,
                       env=full_env, timeout=timeout)
    p.elapsed = time.monotonic() - start
    p.answer = json.loads(p.stdout) if p.returncode == 0 else None
    return p


def on_system(bus, request, **kw):
    return run_helper(dict(bus="system", **request), env={"DBUS_SYSTEM_BUS_ADDRESS": bus.address}, **kw)


# The helper's exit status says how far it got: 1 the operation failed, 3 the manager was
# never reached (nothing can have been made), 4 the unit exists (not the caller's to stop).
FAILED, UNREACHED, EXISTS = 1, 3, 4


def assert_one_line_error(p, *parts, status=FAILED):
    assert p.returncode == status, p.stdout + p.stderr
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    for part in parts:
        assert part in lines[0], lines[0]
    return lines[0]


EVERY_TYPE = [
    {"name": "Description", "type": "s", "value": "nook container x"},
    {"name": "Delegate", "type": "b", "value": True},
    {"name": "MemoryMax", "type": "t", "value": 18446744073709551615},
    {"name": "CPUShares", "type": "x", "value": -3},
    {"name": "Nice", "type": "u", "value": 7},
    {"name": "OOMScoreAdjust", "type": "i", "value": -100},
    {"name": "CPUQuotaRatio", "type": "d", "value": 0.5},
    {"name": "After", "type": "as", "value": ["a.service", "b.service"]},
    {"name": "PIDs", "type": "au", "value": [1, 4294967295]},
    {"name": "AllowedCPUs", "type": "ay", "value": [7, 255]},
    {"name": "Slice", "type": "s", "value": "machine-a.slice"},
]


def test_start_sends_every_property_with_its_type_and_waits_for_the_job(bus):
    bus.start_mock()
    p = on_system(bus, {"op": "start", "unit": "libpod-x.scope", "properties": EVERY_TYPE})
    assert p.returncode == 0, p.stderr
    assert p.answer["result"] == "done" and p.answer["attempts"] == 1
    assert p.answer["cgroup"] == "/machine.slice/machine-a.slice/libpod-x.scope"
    assert p.answer["address"] == bus.address and p.answer["bus"] == "system"
    (call,) = bus.calls("StartTransientUnit")
    assert call["args"][:2] == ["libpod-x.scope", "fail"]
    assert call["args"][2] == [[e["name"], e["type"], e["value"]] for e in EVERY_TYPE]


def test_properties_newer_than_the_manager_are_left_out(bus):
    bus.start_mock(version="243.1")
    props = [{"name": "CPUQuotaPeriodUSec", "type": "t", "value": 100000, "since": 242},
             {"name": "AllowedCPUs", "type": "ay", "value": [1], "since": 244},
             {"name": "Slice", "type": "s", "value": "system.slice"}]
    p = on_system(bus, {"op": "start", "unit": "nook-x.scope", "properties": props})
    assert p.returncode == 0, p.stderr
    (call,) = bus.calls("StartTransientUnit")
    assert [name for name, _, _ in call["args"][2]] == ["CPUQuotaPeriodUSec", "Slice"]


def test_a_value_that_does_not_fit_its_type_is_refused_before_the_call(bus):
    bus.start_mock()
    p = on_system(bus, {"op": "start", "unit": "nook-x.scope",
                        "properties": [{"name": "Nice", "type": "u", "value": -1}]})
    assert_one_line_error(p, "property Nice", "type \"u\"")
    assert bus.calls("StartTransientUnit") == []


def test_set_properties_and_stop_round_trip(bus):
    bus.start_mock()
    assert on_system(bus, {"op": "start", "unit": "nook-x.scope", "properties": []}).returncode == 0
    props = [{"name": "MemoryMax", "type": "t", "value": 1048576}, {"name": "CPUWeight", "type": "t", "value": 100}]
    p = on_system(bus, {"op": "set-properties", "unit": "nook-x.scope", "properties": props})
    assert p.returncode == 0, p.stderr
    (call,) = bus.calls("SetUnitProperties")
    assert call["args"] == ["nook-x.scope", True, [["MemoryMax", "t", 1048576], ["CPUWeight", "t", 100]]]
    p = on_system(bus, {"op": "stop", "unit": "nook-x.scope"})
    assert p.returncode == 0, p.stderr
    assert p.answer["existed"] is True and p.answer["result"] == "done"
    assert bus.calls("StopUnit")[0]["args"] == ["nook-x.scope", "replace"]
    assert bus.calls("ResetFailedUnit")[-1]["args"] == ["nook-x.scope"]


def test_stopping_a_unit_that_is_not_there_succeeds(bus):
    bus.start_mock()
    p = on_system(bus, {"op": "stop", "unit": "nook-gone.scope"})
    assert p.returncode == 0, p.stderr
    assert p.answer["existed"] is False


def test_set_properties_of_a_missing_unit_names_it(bus):
    bus.start_mock()
    p = on_system(bus, {"op": "set-properties", "unit": "nook-gone.scope", "properties": []})
    assert_one_line_error(p, "SetUnitProperties of unit `nook-gone.scope`", bus.address, "NoSuchUnit")


def test_a_failed_job_is_reset_and_retried_once(bus):
    bus.start_mock(job_results=["failed", "done"])
    p = on_system(bus, {"op": "start", "unit": "nook-x.scope", "properties": []})
    assert p.returncode == 0, p.stderr
    assert p.answer["attempts"] == 2
    assert [c["method"] for c in bus.calls() if c["method"] != "Get"] == \
        ["StartTransientUnit", "ResetFailedUnit", "StartTransientUnit"]


def test_a_job_that_fails_again_is_an_error_naming_unit_result_and_bus(bus):
    bus.start_mock(job_results=["failed"])
    p = on_system(bus, {"op": "start", "unit": "nook-x.scope", "properties": []})
    assert_one_line_error(p, "unit `nook-x.scope`", bus.address, "\"failed\"", "retry")
    methods = [c["method"] for c in bus.calls() if c["method"] != "Get"]
    # Tried twice; the failed unit is reset at the end, so nothing is left loaded.
    assert methods == ["StartTransientUnit", "ResetFailedUnit", "StartTransientUnit", "ResetFailedUnit"]
    assert on_system(bus, {"op": "stop", "unit": "nook-x.scope"}).answer["existed"] is False


def test_an_existing_unit_is_a_clear_error(bus):
    bus.start_mock()
    assert on_system(bus, {"op": "start", "unit": "nook-x.scope", "properties": []}).returncode == 0
    p = on_system(bus, {"op": "start", "unit": "nook-x.scope", "properties": []})
    assert_one_line_error(p, "unit `nook-x.scope`", "already exists", bus.address, status=EXISTS)
    # The live unit was left alone.
    assert on_system(bus, {"op": "stop", "unit": "nook-x.scope"}).answer["existed"] is True


def test_a_job_removed_before_the_reply_is_not_missed(bus):
    bus.start_mock(signal_before_reply=True)
    p = on_system(bus, {"op": "start", "unit": "nook-x.scope", "properties": []})
    assert p.returncode == 0, p.stderr
    assert p.answer["result"] == "done"


def test_a_job_that_never_ends_times_out_naming_the_unit(bus):
    bus.start_mock(no_job_removed=True)
    p = on_system(bus, {"op": "start", "unit": "nook-x.scope", "timeout_ms": 500, "properties": []})
    assert_one_line_error(p, "unit `nook-x.scope`", bus.address, "did not finish within 500 ms")
    assert p.elapsed < 3


def test_a_manager_that_never_replies_times_out(bus):
    bus.start_mock(hang=["StartTransientUnit"])
    p = on_system(bus, {"op": "start", "unit": "nook-x.scope", "timeout_ms": 500, "properties": []})
    assert_one_line_error(p, "StartTransientUnit of unit `nook-x.scope`", bus.address, "no reply within 500 ms")
    assert p.elapsed < 3


def test_a_property_the_manager_refuses_is_reported_with_its_error(bus):
    bus.start_mock(unknown_properties=["Bogus"])
    p = on_system(bus, {"op": "start", "unit": "nook-x.scope",
                        "properties": [{"name": "Bogus", "type": "b", "value": True}]})
    assert_one_line_error(p, "unit `nook-x.scope`", bus.address, "InvalidArgs", "Cannot set property Bogus")


def test_ping_says_which_manager_answers_and_as_whom(bus):
    bus.start_mock(version="252.38-1~deb12u1")
    p = on_system(bus, {"op": "ping"})
    assert p.returncode == 0, p.stderr
    assert p.answer["manager"] == "system" and p.answer["version"] == "252.38-1~deb12u1"
    assert p.answer["uid"] == 0 and p.answer["manager_uid"] == 0 and p.answer["cgroup"] == ""


def test_a_bus_without_a_manager_names_the_bus(bus):
    p = on_system(bus, {"op": "ping"})
    assert_one_line_error(p, bus.address, "ServiceUnknown")


# ---- buses that are not there or do not answer ----

def test_a_bus_that_never_answers_fails_within_the_timeout(tmpdir_world):
    path = tmpdir_world / "silent"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(path))
    listener.listen(1)  # accepted by the kernel, never answered
    try:
        p = run_helper({"op": "ping", "bus": "system", "timeout_ms": 500},
                       env={"DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={path}"})
        assert_one_line_error(p, f"unix:path={path}", "no answer", "500 ms", status=UNREACHED)
        assert p.elapsed < 3
    finally:
        listener.close()


def test_a_refused_connection_names_the_address(tmpdir_world):
    path = tmpdir_world / "dead"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))  # bound, not listening: connect is refused
    try:
        p = run_helper({"op": "ping", "bus": "system"}, env={"DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={path}"})
        assert_one_line_error(p, f"unix:path={path}", "Connection refused", status=UNREACHED)
    finally:
        s.close()


def test_no_bus_at_all_is_a_clear_error(tmpdir_world):
    p = run_helper({"op": "ping", "bus": "system"},
                   env={"DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={tmpdir_world}/none"})
    assert_one_line_error(p, f"unix:path={tmpdir_world}/none", "No such file or directory", status=UNREACHED)
    p = run_helper({"op": "ping", "bus": "user"})
    assert_one_line_error(p, "no user bus", "$DBUS_SESSION_BUS_ADDRESS", "$XDG_RUNTIME_DIR", status=UNREACHED)


def test_without_a_system_bus_the_managers_private_socket_is_used(tmpdir_world):
    # In a mount namespace of its own, /run holds only /run/systemd/private (a dead socket here).
    script = f"""
set -e
mount -t tmpfs tmpfs /run
mkdir -p /run/systemd
{PYTHON} -c 'import socket; socket.socket(socket.AF_UNIX).bind("/run/systemd/private")'
echo '{{"op": "ping", "bus": "system"}}' | env -u DBUS_SYSTEM_BUS_ADDRESS {HELPER}
"""
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                       capture_output=True, text=True, timeout=30)
    if "unshare failed" in p.stderr:
        pytest.skip("no mount namespace here: " + p.stderr.strip())
    assert_one_line_error(p, "private socket `unix:path=/run/systemd/private`", "Connection refused", status=UNREACHED)


def test_the_user_bus_is_found_in_xdg_runtime_dir(bus):
    bus.start_mock()
    p = run_helper({"op": "ping", "bus": "user"}, env={"XDG_RUNTIME_DIR": str(bus.dir)})
    assert p.returncode == 0, p.stderr
    assert p.answer["address"] == f"unix:path={bus.dir}/bus" and p.answer["bus"] == "user"


def test_a_bad_request_is_refused(bus):
    for request, message in [({"bus": "system"}, "no \"op\""),
                             ({"op": "start", "bus": "system", "unit": "x.scope"}, "\"properties\""),
                             ({"op": "stop", "bus": "nowhere", "unit": "x.scope"}, "\"bus\""),
                             ({"op": "dance", "bus": "system", "unit": "x.scope"}, "unknown op")]:
        p = run_helper(request)
        assert p.returncode == 2 and message in p.stderr, (request, p.stderr)


# ---- rootless: the user's bus from inside a user namespace ----

@pytest.fixture
def user_bus(rootless_user):  # noqa: F811
    d = pathlib.Path(tempfile.mkdtemp(prefix="nook-sd-user-", dir="/tmp"))
    os.chmod(d, 0o700)
    os.chown(d, rootless_user.uid, rootless_user.gid)
    b = Bus(d, prefix=rootless_user.prefix())
    b.start_mock(control_group=f"/user.slice/user-{rootless_user.uid}.slice/user@{rootless_user.uid}.service")
    yield b
    b.stop()
    shutil.rmtree(d, ignore_errors=True)


def userns_works(user):
    p = user.run(["unshare", "-U", "-r", "true"])
    return p.returncode == 0


def test_the_user_bus_accepts_the_helper_from_inside_a_user_namespace(rootless_user, user_bus):  # noqa: F811
    # As under rootless podman: uid 0 inside, the user outside. sd-bus authenticates with
    # AUTH EXTERNAL and no uid of its own, so the bus takes the socket's peer credentials.
    if not userns_works(rootless_user):
        pytest.skip("this user may not create a user namespace")
    prefix = rootless_user.prefix({"DBUS_SESSION_BUS_ADDRESS": user_bus.address}) + ["unshare", "-U", "-r"]
    p = run_helper({"op": "ping", "bus": "user"}, prefix=prefix)
    assert p.returncode == 0, p.stderr
    assert p.answer["local_uid"] == 0  # root in its namespace
    assert p.answer["uid"] == rootless_user.uid  # the user, to the bus
    assert p.answer["manager"] == "user" and p.answer["manager_uid"] == rootless_user.uid
    assert p.answer["cgroup"].endswith(f"/user@{rootless_user.uid}.service")
    p = run_helper({"op": "start", "bus": "user", "unit": "nook-x.scope",
                    "properties": [{"name": "Slice", "type": "s", "value": "user.slice"}]}, prefix=prefix)
    assert p.returncode == 0, p.stderr
    assert p.answer["cgroup"] == \
        f"/user.slice/user-{rootless_user.uid}.slice/user@{rootless_user.uid}.service/user.slice/nook-x.scope"
    assert run_helper({"op": "stop", "bus": "user", "unit": "nook-x.scope"}, prefix=prefix).returncode == 0


def test_the_user_bus_refuses_another_uid(rootless_user, user_bus):  # noqa: F811
    # The check the test above passes is live: host root is not the bus's user.
    p = run_helper({"op": "ping", "bus": "user", "timeout_ms": 2000},
                   env={"DBUS_SESSION_BUS_ADDRESS": user_bus.address})
    assert_one_line_error(p, user_bus.address, "refused this client", status=UNREACHED)


# ---- nook check ----

def nook_check(env):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DBUS_")}
    full_env.update(env)
    p = subprocess.run([str(NOOK), "check", "--format", "json"], capture_output=True, text=True, env=full_env,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    return {c["name"]: c for c in json.loads(p.stdout)["checks"]}["systemd"]


def test_check_reports_the_manager_nook_reaches(bus):
    bus.start_mock(version="252.38-1~deb12u1")
    c = nook_check({"DBUS_SYSTEM_BUS_ADDRESS": bus.address})
    assert c["status"] == "ok"
    assert c["manager"] == "system" and c["version"] == "252.38-1~deb12u1" and c["uid"] == 0
    assert c["bus"] == "system" and c["address"] == bus.address
    assert "252.38-1~deb12u1" in c["value"] and bus.address in c["value"]


def test_check_says_when_no_manager_answers(tmpdir_world):
    c = nook_check({"DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={tmpdir_world}/none"})
    assert c["status"] == "missing"
    assert f"unix:path={tmpdir_world}/none" in c["value"]


def test_check_says_when_the_helper_is_missing(tmpdir_world):
    lone = tmpdir_world / "nook"
    shutil.copy2(NOOK, lone)
    p = subprocess.run([str(lone), "check", "--format", "json"], capture_output=True, text=True, timeout=60)
    c = {c["name"]: c for c in json.loads(p.stdout)["checks"]}["systemd"]
    if pathlib.Path("/usr/local/libexec/nook/nook-systemd").exists():
        pytest.skip("nook-systemd is installed in LIBEXECDIR here")
    assert c["status"] == "missing" and "nook-systemd" in c["value"] and str(tmpdir_world) in c["value"]
