"""The console (process.terminal): it belongs to the container's user, and the
pty is bound on /dev/console only through a file nook made itself, never
through a symlink swapped in by a racing process (CVE-2025-52565)."""
import os
import socket
import subprocess
import threading

import pytest

from conftest import new_id
from test_terminal import ConsoleSocket, read_until_eof, tty_config


@pytest.fixture
def console(tmp_path):
    c = ConsoleSocket(tmp_path / "console.sock")
    yield c
    c.close()


def as_user(bundle, uid, gid):
    bundle.config["process"]["user"] = {"uid": uid, "gid": gid}


OWNERS = "stat -c %u:%g /dev/console; stat -L -c %u:%g /proc/self/fd/0"


@pytest.mark.parametrize("command", ["create", "run"])
def test_the_console_belongs_to_the_containers_user(bundle, console, command):
    tty_config(bundle, "sh", "-c", OWNERS)
    as_user(bundle, 1000, 1000)
    if command == "create":
        bundle.create("--console-socket", console.path)
        master = console.wait()
        bundle.start()
    else:
        bundle.run("-d", "--console-socket", console.path, check=True)
        master = console.wait()
    # The group stays devpts's gid=5 (the tty group), as runc leaves it.
    assert read_until_eof(master).split() == ["1000:5", "1000:5"]


def test_the_console_of_exec_t_belongs_to_its_user(bundle, console):
    bundle.args = ["sleep", "300"]
    bundle.run("-d", check=True)
    p = bundle.nook("exec", "-t", "-d", "--user", "1234:1234", "--console-socket", console.path, bundle.id,
                    "stat", "-L", "-c", "%u:%g", "/proc/self/fd/0", capture_output=False,
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert p.returncode == 0, p.stderr
    assert read_until_eof(console.wait()).split() == ["1234:5"]


def test_the_console_works_with_a_read_only_dev(bundle, console):
    next(m for m in bundle.config["mounts"] if m["destination"] == "/dev")["options"].append("ro")
    tty_config(bundle, "sh", "-c", "stat -c %t:%T /dev/console; touch /dev/x 2>/dev/null || echo ro")
    bundle.create("--console-socket", console.path)
    master = console.wait()
    bundle.start()
    lines = read_until_eof(master).split()
    assert lines[0].startswith("88:") and lines[1] == "ro"  # 136: the pty major


def image_dev(bundle, dev_dir=None):
    """The container's /dev: the image's own directory, or a bind of dev_dir."""
    bundle.config["mounts"] = [m for m in bundle.config["mounts"] if m["destination"] not in ("/dev", "/dev/shm")]
    if dev_dir is not None:
        bundle.config["mounts"].insert(1, {"destination": "/dev", "type": "bind", "source": str(dev_dir),
                                           "options": ["rbind"]})


def create_with_console(bundle, path):
    """nook create with a console socket at path; returns the result and the pty
    master (None when create failed). nook connects and sends the master before
    it returns: the connection waits in the listener's backlog."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(str(path))
        listener.listen(1)
        p = bundle.create("--console-socket", path, check=False)
        if p.returncode != 0:
            return p, None
        listener.settimeout(10)
        conn, _ = listener.accept()
        with conn:
            _, fds, _, _ = socket.recv_fds(conn, 4096, 1)
        return p, fds[0]


def test_a_symlink_at_dev_console_is_replaced_not_followed(bundle, tmp_path):
    """The image's /dev/console is a symlink: nook removes it and mounts the pty
    on a file it made there (before, the pty went on the symlink itself)."""
    image_dev(bundle)
    (bundle.rootfs / "victim").write_text("victim\n")
    os.symlink("/victim", bundle.rootfs / "dev" / "console")
    tty_config(bundle, "sh", "-c", "stat -c %F /victim; stat -c %t /dev/console")
    p, master = create_with_console(bundle, tmp_path / "console.sock")
    assert p.returncode == 0, p.stderr
    bundle.start()
    assert read_until_eof(master).split() == ["regular", "file", "88"]  # 136: the pty major
    os.close(master)
    console = bundle.rootfs / "dev" / "console"
    assert not console.is_symlink() and console.is_file()
    assert (bundle.rootfs / "victim").read_text() == "victim\n"
    bundle.delete()


def test_a_symlink_swapped_in_during_start_never_redirects_the_console(bundle, tmp_path):
    """A process racing nook swaps /dev/console between nothing and a symlink
    to /pwned while containers start: each start either mounts the pty on a file
    in /dev or fails, and /pwned is never made nor mounted on."""
    dev = tmp_path / "shared-dev"
    dev.mkdir()
    image_dev(bundle, dev)
    # (The racer goes on once the pty is bound: its unlink of the mount point then
    # detaches the console, so only /pwned is looked at from inside.)
    tty_config(bundle, "sh", "-c", "grep -c ' /pwned ' /proc/self/mountinfo")
    stop = threading.Event()

    def race():
        link, tmp = dev / "console", dev / "console.new"
        while not stop.is_set():
            try:
                os.symlink("/pwned", tmp)
                os.rename(tmp, link)
                os.unlink(link)
            except OSError:
                pass

    racer = threading.Thread(target=race)
    racer.start()
    outcomes = []
    try:
        for i in range(30):
            p, master = create_with_console(bundle, tmp_path / f"console{i}.sock")
            if master is not None:
                bundle.start()
                outcomes.append(read_until_eof(master).split())
                os.close(master)
                bundle.delete("--force")
            else:
                assert "/dev/console" in p.stderr, p.stderr
                outcomes.append("refused")
            assert not os.path.lexists(bundle.rootfs / "pwned"), f"start {i}: /pwned was made"
            bundle.id = new_id()
    finally:
        stop.set()
        racer.join()
    assert all(o in ("refused", ["0"]) for o in outcomes), outcomes
