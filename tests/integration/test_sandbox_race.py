"""A pod sandbox as containerd's CRI plugin creates it — new pid, ipc, uts and
mount namespaces, the pod's network namespace joined by path — once failed
after a 20 s stall: the process that forks the init reported the init's pid
while the init could already be reporting READY, and nook waited for the pid.
Now the init announces itself and nook enforces the plan's order."""
import os
import shutil
import signal
import subprocess
import time

import pytest

from conftest import NOOK, new_id


def sandbox(bundle, netns, args):
    bundle.args = args
    bundle.config["linux"]["namespaces"] = [
        {"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"},
        {"type": "network", "path": f"/run/netns/{netns}"},
    ]
    bundle.write()


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_sandbox_create_survives_the_forking_process_being_descheduled(bundle, netns):
    """The worst interleaving, forced: every return from clone(2) — the first child's
    fork of the init — is held 100 ms, so the init sets itself up and reports ready
    long before its parent could have said anything. (Before the fix: "unexpected
    message 6 from the container process (wanted 3)" after ~20 s.)"""
    sandbox(bundle, netns, ["/bin/true"])
    # -b execve: strace lets go of each process at its exec (the init's is the program).
    cmd = ["strace", "-f", "-qq", "-b", "execve", "-o", "/dev/null", "-e", "trace=clone",
           "-e", "inject=clone:delay_exit=100000",
           str(NOOK), "--root", bundle.nook.root, "run", "--bundle", str(bundle.path), bundle.id]
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    assert elapsed < 10, f"took {elapsed:.1f} s"


# The failure was seen ~3 times in 1,340 creates under containerd's load: 300 creates
# under two busy loops would have caught it about half the time, within ~15 s here;
# the strace test above forces the interleaving every time. (Tens of thousands were
# run by hand: see the README.)
CREATES = 300


def test_sandbox_creates_under_cpu_pressure_never_fail_or_stall(bundle, netns, tmp_path):
    sandbox(bundle, netns, ["sleep", "100"])
    errors = tmp_path / "create.err"
    hogs = [subprocess.Popen(["sh", "-c", "while :; do :; done"]) for _ in range(os.cpu_count() or 2)]
    slow = []
    try:
        for i in range(CREATES):
            cid = new_id()
            started = time.monotonic()
            # (The init keeps nook's stdio: a file, not a pipe that would never reach EOF.)
            with open(errors, "w") as err:
                proc = bundle.nook("create", "--bundle", bundle.path, cid, check=False, capture_output=False,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, timeout=30)
            elapsed = time.monotonic() - started
            assert proc.returncode == 0, f"create {i}: {errors.read_text()}"
            if elapsed > 1.0:
                slow.append((i, round(elapsed, 2)))
            bundle.nook("delete", "--force", cid)
    finally:
        for hog in hogs:
            hog.send_signal(signal.SIGKILL)
            hog.wait()
    assert not slow, f"creates slower than 1 s: {slow}"
