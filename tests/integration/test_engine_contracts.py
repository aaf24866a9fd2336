"""What engines rely on from a runc-compatible runtime, beyond the OCI spec, checked on
nook alone (test_podman.py and test_containerd.py show the engines themselves)."""
import json
import pathlib

from support import wait_gone

# `read` in the shell itself: /proc/self is the shell. Fields 5 and 6 are the process
# group and the session, as the container's pid namespace numbers them (0: outside it).
SESSION_OF_SHELL = 'read -r pid comm state ppid pgrp session rest < /proc/self/stat; echo "$pid $pgrp $session"'


def test_container_process_leads_its_own_session(bundle):
    # runc's init calls setsid: signals to the caller's process group (a terminal's ^C,
    # conmon killing its own group on `podman run --timeout`) must not reach the container.
    p = bundle.sh(SESSION_OF_SHELL)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["1", "1", "1"]


def test_exec_process_leads_its_own_session(bundle):
    bundle.args = ["sleep", "300"]
    bundle.run("-d", check=True)
    p = bundle.nook("exec", bundle.id, "sh", "-c", SESSION_OF_SHELL, check=False)
    assert p.returncode == 0, p.stderr
    pid, pgrp, session = p.stdout.split()
    assert pid == pgrp == session != "0"


def test_detached_container_is_not_in_the_callers_process_group(bundle):
    bundle.args = ["sleep", "300"]
    bundle.run("-d", check=True)
    pid = bundle.state()["pid"]
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    pgrp, session = int(fields[2]), int(fields[3])
    assert (pgrp, session) == (pid, pid)


def test_delete_force_of_a_container_that_is_gone_succeeds(nook):
    # podman and containerd's shim run `delete --force` after a failed create; runc answers 0.
    p = nook("delete", "--force", "nt-never-created", check=False)
    assert (p.returncode, p.stderr) == (0, "")


def test_delete_without_force_of_a_container_that_is_gone_fails(nook):
    p = nook("delete", "nt-never-created", check=False)
    assert p.returncode != 0 and "does not exist" in p.stderr


def test_delete_force_removes_what_an_interrupted_create_left(nook):
    # A create killed before it wrote state.json leaves its directory; the id must be usable again.
    left = pathlib.Path(nook.root) / "nt-interrupted"
    left.mkdir(parents=True)
    (left / "config.json").write_text("{}")
    p = nook("delete", "-f", "nt-interrupted", check=False)
    assert p.returncode == 0, p.stderr
    assert not left.exists()


def last_error(log):
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    return [line["msg"] for line in lines if line["level"] == "error"][-1]


def test_kill_errors_say_gone_in_the_shims_words(bundle, tmp_path):
    # containerd's shim takes a kill error with "container not running", "no such process"
    # or "does not exist" (the last error line of --log) for a container already gone.
    log = tmp_path / "kill.log"
    bundle.args = ["true"]
    bundle.run("-d", check=True)
    pid = bundle.state()["pid"]  # 0 when the state already says stopped
    assert pid <= 0 or wait_gone(pid), f"process {pid} did not end"
    p = bundle.nook("--log", log, "--log-format", "json", "kill", bundle.id, "KILL", check=False)
    assert p.returncode != 0 and "container not running" in last_error(log)
    bundle.delete()
    p = bundle.nook("--log", log, "--log-format", "json", "kill", bundle.id, "KILL", check=False)
    assert p.returncode != 0 and "does not exist" in last_error(log)
