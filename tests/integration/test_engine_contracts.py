"""What engines rely on from a runc-compatible runtime, beyond the OCI spec, checked on
nook alone (test_podman.py and test_containerd.py show the engines themselves)."""
import pathlib

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
