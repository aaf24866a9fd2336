"""OCI hooks: each at its point of the lifecycle, in its namespace, with the state
on stdin, its args, env and timeout; failures handled as the runtime spec says."""
import json
import os
import time

import pytest

from conftest import HELPER
from support import wait_gone

KINDS = ("prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop")
# Where each kind runs, and the status the state on its stdin says.
IN_CONTAINER = {"createContainer", "startContainer"}
STATUS = {"prestart": "created", "createRuntime": "creating", "createContainer": "creating",
          "startContainer": "created", "poststart": "running", "poststop": "stopped"}


def recording_hook(bundle, kind):
    """A hook that appends what it sees to <rootfs>/hooks.log. startContainer's
    path resolves inside the container, so it names the rootfs' copy of the helper."""
    inside = kind == "startContainer"
    log = "/hooks.log" if inside else str(bundle.rootfs / "hooks.log")
    return {"path": "/bin/nook-test-helper" if inside else str(HELPER),
            "args": [f"argv0-{kind}", "hook", log, kind],
            "env": [f"HOOK_KIND={kind}", "PATH=/bin"]}


def records(bundle):
    path = bundle.rootfs / "hooks.log"
    out = []
    for line in path.read_text().splitlines() if path.exists() else []:
        name, *fields = line.split("\t")
        record = dict(field.split("=", 1) for field in fields)
        record["name"] = name
        out.append(record)
    return out


def names(bundle):
    return [r["name"] for r in records(bundle)]


@pytest.fixture
def hooked(bundle):
    bundle.config["root"]["readonly"] = False
    bundle.config["hooks"] = {kind: [recording_hook(bundle, kind)] for kind in KINDS}
    bundle.args = ["nook-test-helper", "hook", "/hooks.log", "program"]
    return bundle


def test_hooks_run_in_order_each_at_its_point(hooked, monkeypatch):
    monkeypatch.setenv("NOOK_CALLER_ONLY", "1")
    hooked.create()
    assert names(hooked) == ["prestart", "createRuntime", "createContainer"]
    init = hooked.state()["pid"]
    container_mnt = os.readlink(f"/proc/{init}/ns/mnt")
    container_pid = os.readlink(f"/proc/{init}/ns/pid")
    container_net = os.readlink(f"/proc/{init}/ns/net")
    assert container_net != os.readlink("/proc/self/ns/net")
    hooked.start()
    # The init may have ended and been reaped already: that counts as ended too.
    assert wait_gone(init)
    assert names(hooked)[:4] == ["prestart", "createRuntime", "createContainer", "startContainer"]
    assert names(hooked)[4:] in (["program", "poststart"], ["poststart", "program"])
    hooked.delete()
    seen = {r["name"]: r for r in records(hooked)}
    assert list(seen) != [] and names(hooked)[-1] == "poststop"
    for kind in KINDS:
        r = seen[kind]
        assert r["argv"] == f"argv0-{kind},hook,{recording_hook(hooked, kind)['args'][2]},{kind}"
        # Only the hook's env: nothing of nook's caller leaks in.
        assert r["env"] == f"HOOK_KIND={kind},PATH=/bin"
        state = json.loads(r["stdin"])
        assert (state["id"], state["status"], state["bundle"]) == (hooked.id, STATUS[kind], str(hooked.path))
        if kind != "poststop":
            assert state["pid"] == init
        inside = kind in IN_CONTAINER
        assert (r["mnt"] == container_mnt) == inside, kind
        assert (r["pid"] == container_pid) == inside, kind
        # nook makes the container's network namespace itself, and is back in its own
        # before the first hook: the hooks it runs see the host's network.
        assert r["net"] == (container_net if inside else os.readlink("/proc/self/ns/net")), kind
        if not inside:
            assert r["mnt"] == os.readlink("/proc/self/ns/mnt")


def test_run_runs_every_hook(hooked):
    assert hooked.run().returncode == 0
    got = names(hooked)
    assert got[:4] == ["prestart", "createRuntime", "createContainer", "startContainer"]
    assert sorted(got[4:6]) == ["poststart", "program"] and got[6:] == ["poststop"]


def failing_hook(kind):
    return {"path": str(HELPER), "args": ["nook-test-helper", "exit", "3"]} if kind != "startContainer" else \
        {"path": "/bin/nook-test-helper", "args": ["nook-test-helper", "exit", "3"]}


@pytest.mark.parametrize("kind", ["prestart", "createRuntime", "createContainer"])
def test_failing_create_hook_fails_create_and_leaves_nothing(hooked, kind):
    hooked.config["hooks"][kind].insert(0, failing_hook(kind))
    p = hooked.create(check=False)
    assert p.returncode != 0
    assert f"hooks.{kind}[0]" in p.stderr and "exited with status 3" in p.stderr
    assert "program" not in names(hooked)
    # The lifecycle goes on at "destroy": the poststop hooks run.
    assert names(hooked)[-1] == "poststop"
    assert hooked.nook("state", hooked.id, check=False).returncode != 0


@pytest.mark.parametrize("kind", ["startContainer", "poststart"])
def test_failing_start_hook_fails_start_and_stops_the_container(hooked, kind):
    hooked.args = ["sh", "-c", "nook-test-helper hook /hooks.log program; sleep 300"]
    hooked.config["hooks"][kind].insert(0, failing_hook(kind))
    hooked.create()
    p = hooked.start(check=False)
    assert p.returncode != 0 and f"hooks.{kind}[0]" in p.stderr
    if kind == "startContainer":
        assert "program" not in names(hooked)
    # And destroys it, as the runtime-spec says: no state left, the poststop hooks ran.
    assert hooked.nook("state", hooked.id, check=False).returncode != 0
    assert names(hooked)[-1] == "poststop"


def test_failing_start_container_hook_fails_run(hooked):
    hooked.config["hooks"]["startContainer"].insert(0, failing_hook("startContainer"))
    p = hooked.run()
    assert p.returncode != 0 and "hooks.startContainer[0]" in p.stderr
    assert "program" not in names(hooked)
    assert names(hooked)[-1] == "poststop"
    assert hooked.nook("state", hooked.id, check=False).returncode != 0


def test_failing_poststop_hook_only_warns(hooked):
    hooked.config["hooks"]["poststop"].insert(0, failing_hook("poststop"))
    hooked.create()
    p = hooked.delete(check=False)
    assert p.returncode == 0
    assert "hooks.poststop[0]" in p.stderr and "warning" in p.stderr
    assert hooked.nook("state", hooked.id, check=False).returncode != 0


@pytest.mark.parametrize("kind", ["createRuntime", "startContainer"])
def test_hook_timeout_is_honoured(hooked, kind):
    # /bin/sleep: the host's, or busybox's in the container.
    hooked.config["hooks"][kind].insert(0, {"path": "/bin/sleep", "args": ["sleep", "300"], "timeout": 1})
    began = time.monotonic()
    p = hooked.create(check=False) if kind != "startContainer" else None
    if kind == "startContainer":
        hooked.create()
        p = hooked.start(check=False)
    assert p.returncode != 0
    assert "timed out after 1s" in p.stderr
    assert time.monotonic() - began < 10


def test_start_container_hook_path_resolves_in_the_container(hooked):
    # The host has no /only-in-container; the container does.
    (hooked.rootfs / "only-in-container").symlink_to("/bin/nook-test-helper")
    hooked.config["hooks"] = {"startContainer": [{"path": "/only-in-container",
                                                  "args": ["x", "hook", "/hooks.log", "startContainer"]}]}
    hooked.args = ["true"]
    assert hooked.run().returncode == 0
    assert names(hooked) == ["startContainer"]
