"""create → start → running → stopped → delete, as runc's CLI does it."""
import json
import os
import signal
import subprocess
import time

import pytest

from support import wait_for


def test_run_returns_the_exit_code(bundle):
    bundle.args = ["nook-test-helper", "exit", "42"]
    assert bundle.run().returncode == 42


def test_run_killed_by_signal_returns_128_plus_signal(bundle):
    # The init is pid 1 of its namespace, which ignores signals sent from inside: kill it from outside.
    bundle.args = ["sleep", "30"]
    proc = bundle.popen("run")
    assert wait_for(lambda: bundle.nook("state", bundle.id, check=False).returncode == 0
                    and bundle.state()["status"] == "running")
    bundle.kill("KILL")
    assert proc.wait(timeout=10) == 128 + signal.SIGKILL


def test_run_prints_the_program_output(bundle):
    p = bundle.sh("echo hello; echo oops >&2")
    assert p.returncode == 0
    assert p.stdout == "hello\n"
    assert p.stderr == "oops\n"


def test_created_container_runs_nothing_until_start(bundle, tmp_path):
    marker = bundle.rootfs / "tmp" / "started"
    bundle.config["root"]["readonly"] = False
    bundle.args = ["sh", "-c", "touch /tmp/started; sleep 30"]
    bundle.create()
    state = bundle.state()
    assert state["status"] == "created"
    assert state["pid"] > 0
    assert not marker.exists()
    bundle.start()
    assert wait_for(marker.exists)
    assert bundle.state()["status"] == "running"
    bundle.kill("KILL")
    assert wait_for(lambda: bundle.state()["status"] == "stopped")
    bundle.delete()
    assert bundle.nook("state", bundle.id, check=False).returncode != 0


def test_state_has_the_oci_fields(bundle):
    bundle.config["annotations"] = {"org.example.key": "value"}
    bundle.create()
    state = bundle.state()
    for key in ("ociVersion", "id", "status", "pid", "bundle", "rootfs", "created", "owner", "annotations"):
        assert key in state, key
    assert state["id"] == bundle.id
    assert state["bundle"] == str(bundle.path)
    assert state["rootfs"] == str(bundle.rootfs)
    assert state["annotations"] == {"org.example.key": "value"}
    assert state["owner"] == "root"
    bundle.delete()


def test_container_that_exits_by_itself_is_stopped(bundle):
    bundle.args = ["true"]
    bundle.create()
    bundle.start()
    assert wait_for(lambda: bundle.state()["status"] == "stopped")
    assert bundle.state()["pid"] == 0
    bundle.delete()


def test_delete_of_a_running_container_is_refused_without_force(bundle):
    bundle.args = ["sleep", "30"]
    bundle.create()
    bundle.start()
    p = bundle.delete(check=False)
    assert p.returncode != 0
    assert "not stopped" in p.stderr
    assert bundle.state()["status"] == "running"
    bundle.delete("--force")
    assert bundle.nook.list_ids() == []


def test_delete_of_a_created_container_kills_its_init(bundle):
    bundle.args = ["sleep", "30"]
    bundle.create()
    pid = bundle.state()["pid"]
    bundle.delete()
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"


def test_start_twice_is_refused(bundle):
    bundle.args = ["sleep", "30"]
    bundle.create()
    bundle.start()
    p = bundle.start(check=False)
    assert p.returncode != 0
    assert "running" in p.stderr
    bundle.delete("--force")


def test_kill_sends_the_named_signal(bundle):
    bundle.args = ["nook-test-helper", "wait-signal"]
    bundle.create()
    bundle.start()
    assert wait_for(lambda: "ready" in bundle.output())
    bundle.kill("SIGUSR1")
    assert wait_for(lambda: f"signal {int(signal.SIGUSR1)}" in bundle.output())
    bundle.delete("--force")


@pytest.mark.parametrize("name", ["KILL", "SIGKILL", "9"])
def test_kill_accepts_names_and_numbers(bundle, name):
    bundle.args = ["sleep", "30"]
    bundle.create()
    bundle.start()
    bundle.kill(name)
    assert wait_for(lambda: bundle.state()["status"] == "stopped")
    bundle.delete()


def test_kill_all_reaches_every_process(bundle):
    bundle.args = ["sh", "-c", "sleep 30 & sleep 30 & wait"]
    bundle.create()
    bundle.start()
    bundle.kill("KILL", "--all")
    assert wait_for(lambda: bundle.state()["status"] == "stopped")
    bundle.delete()


def test_kill_of_a_stopped_container_says_not_running(bundle):
    bundle.create()
    bundle.start()
    assert wait_for(lambda: bundle.state()["status"] == "stopped")
    p = bundle.kill("KILL", check=False)
    assert p.returncode != 0
    assert "container not running" in p.stderr
    bundle.delete()


def test_unknown_signal_is_an_error(bundle):
    bundle.args = ["sleep", "30"]
    bundle.create()
    p = bundle.kill("SIGNOPE", check=False)
    assert p.returncode != 0 and "unknown signal" in p.stderr
    bundle.delete()


def test_duplicate_id_is_refused(bundle):
    bundle.args = ["sleep", "30"]
    bundle.create()
    p = bundle.create(check=False)
    assert p.returncode != 0
    assert "already exists" in p.stderr
    assert bundle.state()["status"] == "created"
    bundle.delete()


def test_list_shows_containers_in_table_json_and_quiet(bundle):
    bundle.args = ["sleep", "30"]
    bundle.create()
    table = bundle.nook("list").stdout.splitlines()
    assert table[0].split()[:3] == ["ID", "PID", "STATUS"]
    assert table[1].split()[0] == bundle.id and table[1].split()[2] == "created"
    listed = json.loads(bundle.nook("list", "--format", "json").stdout)
    assert [c["id"] for c in listed] == [bundle.id]
    assert listed[0]["status"] == "created"
    assert bundle.nook("list", "-q").stdout.split() == [bundle.id]
    bundle.delete()


def test_pid_file_holds_the_init_pid(bundle):
    bundle.args = ["sleep", "30"]
    pid_file = bundle.path / "pid"
    bundle.create("--pid-file", pid_file)
    assert int(pid_file.read_text()) == bundle.state()["pid"]
    bundle.delete()


def test_run_detach_returns_while_the_container_runs(bundle):
    bundle.args = ["sleep", "30"]
    p = bundle.run("--detach")
    assert p.returncode == 0
    assert bundle.state()["status"] == "running"
    bundle.delete("--force")


def test_run_keep_leaves_a_stopped_container(bundle):
    assert bundle.run("--keep").returncode == 0
    assert bundle.state()["status"] == "stopped"
    bundle.delete()


def test_run_forwards_signals_to_the_container(bundle):
    bundle.args = ["nook-test-helper", "wait-signal"]
    proc = bundle.popen("run", stdout=subprocess.PIPE)
    assert proc.stdout.readline() == "ready\n"
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=10)
    assert out == f"signal {int(signal.SIGTERM)}\n"
    assert proc.returncode == 0


def test_init_is_the_only_process_after_create(bundle):
    bundle.args = ["sleep", "30"]
    bundle.create()
    pid = bundle.state()["pid"]
    ppid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
    # nook create has exited: the init was adopted, nothing of nook stays around.
    assert not os.path.exists(f"/proc/{ppid}") or "nook" not in open(f"/proc/{ppid}/comm").read()
    bundle.delete()
