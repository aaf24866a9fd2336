"""Terminals: the pty made inside the container, handed out over --console-socket
(runc's protocol, which conmon and containerd use), or relayed by nook from a real tty."""
import array
import errno
import fcntl
import os
import pty
import select
import socket
import struct
import subprocess
import termios
import threading

import pytest

from conftest import NOOK


TIOCGPTN = 0x80045430


class ConsoleSocket:
    """A unix socket server that receives one pty master with SCM_RIGHTS."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(1)
        self.master = None
        self.name = None
        self.thread = threading.Thread(target=self._accept)
        self.thread.start()

    def _accept(self):
        conn, _ = self.sock.accept()
        with conn:
            self.name, fds, _, _ = socket.recv_fds(conn, 4096, 1)
            self.master = fds[0]

    def wait(self, timeout=10):
        self.thread.join(timeout)
        assert self.master is not None, "no terminal came over the console socket"
        return self.master

    def close(self):
        self.sock.close()
        if self.master is not None:
            os.close(self.master)


@pytest.fixture
def console(tmp_path):
    c = ConsoleSocket(tmp_path / "console.sock")
    yield c
    c.close()


def read_until_eof(fd, timeout=10):
    """Everything the other side writes until it closes (EIO on a pty master)."""
    out = b""
    while True:
        ready, _, _ = select.select([fd], [], [], timeout)
        assert ready, f"no output for {timeout}s; got {out!r}"
        try:
            chunk = os.read(fd, 4096)
        except OSError as e:
            if e.errno == errno.EIO:
                return out.decode()
            raise
        if not chunk:
            return out.decode()
        out += chunk


def read_line(fd, buffer, timeout=10):
    """One line from fd (CRLF from a tty), keeping what comes after in buffer[0]."""
    while b"\n" not in buffer[0]:
        ready, _, _ = select.select([fd], [], [], timeout)
        assert ready, f"no line within {timeout}s; got {buffer[0]!r}"
        buffer[0] += os.read(fd, 4096)
    line, buffer[0] = buffer[0].split(b"\n", 1)
    return line.decode().rstrip("\r")


def tty_config(bundle, *args):
    bundle.config["process"]["terminal"] = True
    bundle.args = list(args)


def pty_number(master):
    buf = array.array("i", [0])
    fcntl.ioctl(master, TIOCGPTN, buf)
    return buf[0]


def test_console_socket_receives_the_container_terminal(bundle, console):
    tty_config(bundle, "sh", "-c", "echo $$; nook-test-helper tty; stat -L -c %t:%T /dev/console /proc/self/fd/0")
    bundle.create("--console-socket", console.path)
    master = console.wait()
    bundle.start()
    lines = read_until_eof(master).splitlines()
    # The program leads its session, with the pty as its controlling terminal.
    assert lines[1] == f"tty=/dev/pts/{pty_number(master)} ctty=1 sid={lines[0]}"
    # /dev/console is the same pty as the process's stdin.
    assert lines[2] == lines[3] and lines[2] != "5:1"


def test_console_socket_terminal_carries_input(bundle, console):
    tty_config(bundle, "sh", "-c", "read line; echo got:$line")
    bundle.create("--console-socket", console.path)
    master = console.wait()
    bundle.start()
    os.write(master, b"hello\n")
    assert "got:hello" in read_until_eof(master)


def test_console_size_is_applied(bundle, console):
    tty_config(bundle, "nook-test-helper", "isatty")
    bundle.config["process"]["consoleSize"] = {"height": 33, "width": 111}
    bundle.create("--console-socket", console.path)
    master = console.wait()
    bundle.start()
    assert read_until_eof(master).strip() == "1 1 1 33x111"


def test_exec_tty_with_console_socket(bundle, console):
    bundle.args = ["sleep", "300"]
    bundle.run("-d", check=True)
    p = bundle.nook("exec", "-t", "-d", "--console-socket", console.path, bundle.id, "sh", "-c",
                    "echo $$; nook-test-helper tty; stat -L -c %t:%T /dev/console", capture_output=False,
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert p.returncode == 0
    master = console.wait()
    lines = read_until_eof(master).splitlines()
    assert lines[1] == f"tty=/dev/pts/{pty_number(master)} ctty=1 sid={lines[0]}"
    # The init has no terminal: the exec'd one is its own, /dev/console untouched.
    assert lines[2] == "5:1" or "No such file" in lines[2]


def test_detach_with_a_terminal_needs_a_console_socket(bundle):
    tty_config(bundle, "true")
    p = bundle.run("-d")
    assert p.returncode != 0 and "--console-socket" in p.stderr
    bundle.config["process"]["terminal"] = False
    bundle.args = ["sleep", "300"]
    bundle.run("-d", check=True)
    p = bundle.nook("exec", "-t", "-d", bundle.id, "true", check=False, capture_output=False,
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert p.returncode != 0 and "--console-socket" in p.stderr


# ---- nook relaying the terminal from a real tty ----

class Terminal:
    """A pty whose slave is the controlling terminal of nook; the test types on the master."""

    def __init__(self, rows=30, cols=100):
        self.master, self.slave = pty.openpty()
        self.resize(rows, cols)
        self.buffer = [b""]

    def resize(self, rows, cols):
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def spawn(self, args):
        def take_terminal():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        return subprocess.Popen(args, stdin=self.slave, stdout=self.slave, stderr=self.slave,
                                start_new_session=True, preexec_fn=take_terminal)

    def line(self):
        return read_line(self.master, self.buffer)

    def lflag(self):
        return termios.tcgetattr(self.slave)[3]

    def close(self):
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def terminal():
    t = Terminal()
    yield t
    t.close()


def relayed_command(bundle, how, *args):
    if how == "run":
        tty_config(bundle, *args)
        bundle.write()
        return [str(NOOK), "--root", bundle.nook.root, "run", "--bundle", str(bundle.path), bundle.id]
    bundle.args = ["sleep", "300"]
    bundle.run("-d", check=True)
    return [str(NOOK), "--root", bundle.nook.root, "exec", "-t", bundle.id, *args]


@pytest.mark.parametrize("how", ["run", "exec"])
def test_relayed_terminal_is_raw_sized_and_follows_sigwinch(bundle, terminal, how):
    cooked = terminal.lflag()
    assert cooked & termios.ICANON and cooked & termios.ECHO
    proc = terminal.spawn(relayed_command(bundle, how, "nook-test-helper", "winch", "1"))
    try:
        assert terminal.line() == "size 30x100"
        # While nook relays, its terminal is raw: the container's pty does the line discipline.
        assert not terminal.lflag() & (termios.ICANON | termios.ECHO)
        terminal.resize(40, 120)  # the kernel sends SIGWINCH to nook, the foreground process
        assert terminal.line() == "size 40x120"
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    restored = terminal.lflag()
    assert restored & termios.ICANON and restored & termios.ECHO


@pytest.mark.parametrize("how", ["run", "exec"])
def test_relayed_terminal_carries_input_and_the_exit_code(bundle, terminal, how):
    proc = terminal.spawn(relayed_command(bundle, how, "sh", "-c",
                                          "echo $$; nook-test-helper tty; read x; echo got:$x; exit 3"))
    try:
        sid = terminal.line()
        assert terminal.line().endswith(f"ctty=1 sid={sid}")
        os.write(terminal.master, b"typed\r")
        # The container's pty echoes the input, then the program answers.
        assert terminal.line() == "typed"
        assert terminal.line() == "got:typed"
        assert proc.wait(timeout=10) == 3
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_run_terminal_without_a_tty_still_relays(bundle):
    tty_config(bundle, "sh", "-c", "nook-test-helper isatty; read x; echo got:$x")
    p = bundle.run(input="piped\n")
    assert p.returncode == 0
    assert "1 1 1" in p.stdout and "got:piped" in p.stdout
