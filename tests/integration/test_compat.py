"""Configs written by `runc spec` and `crun spec` run unmodified under nook:
terminal true and args ["sh"], driven from a pty as a person would."""
import json
import os
import pty
import select
import shutil
import socket
import subprocess
import time

import pytest

from conftest import NOOK
from support import wait_for

SPEC_COMMANDS = {"runc": ["runc", "spec", "--bundle", "."], "crun": ["crun", "spec"]}


def read_until(fd, needle, deadline):
    """Reads the pty until needle shows up (or EOF); returns what was read."""
    out = b""
    while needle is None or needle not in out:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"timed out waiting for {needle!r}; got {out!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other side of the pty is closed
            break
        if not chunk:
            break
        out += chunk
    return out


def run_on_a_pty(nook, bundle_path, cid, typed):
    """`nook run` with a pty as its stdio; types `typed` at the first prompt."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(bundle_path)
        os.execv(str(NOOK), [str(NOOK), "--root", nook.root, "run", cid])
    try:
        deadline = time.monotonic() + 30
        before = read_until(fd, b"# ", deadline)
        os.write(fd, typed)
        after = read_until(fd, None, deadline)
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    return os.waitstatus_to_exitcode(status), (before + after).decode(errors="replace")


@pytest.mark.parametrize("runtime", ["runc", "crun"])
def test_config_from_spec_of_another_runtime_runs_unmodified(bundle, runtime):
    if shutil.which(runtime) is None:
        pytest.skip(f"{runtime} is not installed")
    (bundle.path / "config.json").unlink(missing_ok=True)
    subprocess.run(SPEC_COMMANDS[runtime], cwd=bundle.path, check=True)
    config = json.loads((bundle.path / "config.json").read_text())
    assert config["process"]["terminal"] is True and config["process"]["args"] == ["sh"]
    code, out = run_on_a_pty(bundle.nook, bundle.path, bundle.id,
                             b"echo from-$((40+2)); hostname; tty; exit 3\n")
    assert code == 3, out
    lines = [line.strip() for line in out.splitlines()]
    assert "from-42" in lines
    assert config["hostname"] in lines
    assert "/dev/pts/0" in lines
    assert bundle.nook.list_ids() == []


def test_terminal_through_console_socket_as_engines_do(bundle, tmp_path):
    """create --console-socket: the pty master arrives over the socket (SCM_RIGHTS),
    and the shell started by `start` talks through it."""
    bundle.config["process"]["terminal"] = True
    bundle.args = ["sh"]
    path = str(tmp_path / "console.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    try:
        bundle.create("--console-socket", path)
        conn, _ = listener.accept()
        with conn:
            _, fds, _, _ = socket.recv_fds(conn, 1024, 1)
        master = fds[0]
        try:
            bundle.start()
            os.write(master, b"echo via-$((6*7)); tty; exit 5\n")
            out = read_until(master, None, time.monotonic() + 30).decode(errors="replace")
        finally:
            os.close(master)
    finally:
        listener.close()
    lines = [line.strip() for line in out.splitlines()]
    assert "via-42" in lines and "/dev/pts/0" in lines
    assert wait_for(lambda: bundle.state()["status"] == "stopped")
    bundle.delete()
