"""Small helpers the integration tests share (fixtures live in conftest.py)."""
import os
import select
import subprocess
import time


def wait_for(predicate, timeout=10.0):
    """Polls a condition the kernel gives no event for (a process or mount state)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def wait_gone(pid, timeout=10.0):
    """Waits for a process (ours or not) to end, on a pidfd; returns whether it ended.
    A pid that is already gone (ended and reaped: pidfd_open says ESRCH) has ended."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], max(0.0, timeout))[0])
    finally:
        os.close(fd)


def parse_mountinfo(text):
    """Mount entries of a mountinfo text, keyed by mount point (the last one wins,
    as the topmost mount is the visible one)."""
    mounts = {}
    for line in text.splitlines():
        left, right = line.split(" - ", 1)
        fields = left.split()
        fstype, source, super_options = (right.split() + [""])[:3]
        mounts[fields[4]] = {
            "root": fields[3],
            "options": set(fields[5].split(",")),
            "optional": fields[6:],
            "fstype": fstype,
            "source": source,
            "super": set(super_options.split(",")),
        }
    return mounts


def host_ns(kind, pid="self"):
    """The namespace a process is in, as `kind:[inode]`."""
    return os.readlink(f"/proc/{pid}/ns/{kind}")


def sh_lines(proc):
    """The stdout lines of a finished CompletedProcess, asserting it succeeded."""
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def mount_tmpfs(path):
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(path)], check=True)


def umount(path):
    subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


def pytest_terminal_summary(terminalreporter):
    """pytest's hook (conftest.py takes it from here): skips grouped by reason, with
    counts, on every run, so that a test that stops running (a fixture that skips
    for a new reason) shows."""
    reasons = {}
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    total = sum(reasons.values())
    if not total:
        terminalreporter.write_sep("-", "no test skipped")
        return
    terminalreporter.write_sep("-", f"{total} skipped, for {len(reasons)} reason{'s' if len(reasons) > 1 else ''}")
    for reason, count in sorted(reasons.items(), key=lambda item: (-item[1], item[0])):
        terminalreporter.write_line(f"{count:5}  {reason}")


def load_rig(kind):
    """tests/<kind>/rig.py ("vm", "realhost") as a module of its own name: both rigs are
    rig.py, and one `import rig` would hand the second test file the first one's."""
    import importlib.util
    import pathlib
    import sys
    name = f"{kind}_rig"
    if name not in sys.modules:
        path = pathlib.Path(__file__).resolve().parents[1] / kind / "rig.py"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
