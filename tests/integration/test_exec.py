"""nook exec: a new process in a running container, seen from inside and from the host."""
import json
import os
import pathlib
import signal
import subprocess
import threading

import pytest

from conftest import NOOK
from support import wait_gone


def exec_(bundle, *args, check=False, **kwargs):
    """`nook exec [options] ID [command]`: options before the "--" marker, the command after."""
    args = list(args)
    split = args.index("--") if "--" in args else len(args)
    return bundle.nook("exec", *args[:split], bundle.id, *args[split + 1:], check=check, **kwargs)


def start_running(bundle, *args, options=()):
    bundle.args = list(args) or ["sleep", "300"]
    bundle.run("-d", *options, check=True)
    return bundle.state()["pid"]


def host_ns(pid, kind):
    return os.readlink(f"/proc/{pid}/ns/{kind}")


# A detached process keeps nook's stdio: no pipes the test would wait on.
DETACHED = dict(capture_output=False, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)

NAMESPACES = ("mnt", "pid", "net", "ipc", "uts", "cgroup", "time", "user")


def test_exec_returns_the_exit_code(bundle):
    start_running(bundle)
    assert exec_(bundle, "--", "sh", "-c", "exit 7").returncode == 7


def test_exec_killed_by_a_signal_returns_128_plus_signal(bundle):
    start_running(bundle)
    assert exec_(bundle, "--", "sh", "-c", "kill -KILL $$").returncode == 128 + signal.SIGKILL


def test_exec_passes_stdio_through(bundle):
    start_running(bundle)
    p = exec_(bundle, "--", "sh", "-c", "cat; echo err >&2", input="hello\n")
    assert (p.returncode, p.stdout, p.stderr) == (0, "hello\n", "err\n")


@pytest.mark.parametrize("userns", [False, True], ids=["host-user", "user-namespace"])
def test_exec_joins_every_namespace_of_the_container(bundle, userns):
    namespaces = bundle.config["linux"]["namespaces"]
    namespaces.append({"type": "time"})
    if userns:
        # The container's root (host uid 200000) must reach the bundle.
        for d in [bundle.path, *bundle.path.parents]:
            d.chmod(d.stat().st_mode | 0o001)
        namespaces.append({"type": "user"})
        bundle.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
        bundle.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    init = start_running(bundle)
    script = "for n in " + " ".join(NAMESPACES) + "; do readlink /proc/self/ns/$n; done"
    p = exec_(bundle, "--", "sh", "-c", script)
    assert p.returncode == 0, p.stderr
    inside = p.stdout.split()
    assert inside == [host_ns(init, n) for n in NAMESPACES]
    # Every kind the config asks for is a namespace of the container's own, not the host's.
    mine = {n: host_ns("self", n) for n in NAMESPACES}
    assert [n for n, link in zip(NAMESPACES, inside) if link == mine[n]] == ([] if userns else ["user"])
    if userns:
        assert exec_(bundle, "--", "cat", "/proc/self/uid_map").stdout.split() == ["0", "200000", "65536"]


@pytest.mark.parametrize("options", [(), ("--no-pivot",)], ids=["pivot_root", "no-pivot"])
def test_exec_sees_the_container_filesystem_and_pid_namespace(bundle, options):
    (bundle.rootfs / "marker").write_text("inside\n")
    start_running(bundle, options=options)
    p = exec_(bundle, "--", "sh", "-c", "cat /marker; echo $$; cat /proc/1/cmdline | tr '\\0' ' '")
    lines = p.stdout.splitlines()
    assert lines[0] == "inside"
    assert int(lines[1]) > 1
    assert lines[2].strip() == "sleep 300"


def test_exec_enters_the_container_cgroup(bundle, tmp_path):
    init = start_running(bundle)
    pid_file = tmp_path / "exec.pid"
    exec_(bundle, "-d", "--pid-file", pid_file, "--", "sleep", "300", check=True, **DETACHED)
    pid = int(pid_file.read_text())
    assert pathlib.Path(f"/proc/{pid}/cgroup").read_text() == pathlib.Path(f"/proc/{init}/cgroup").read_text()
    # Inside its cgroup namespace the process sits at the root, as the init does.
    inside = exec_(bundle, "--", "cat", "/proc/self/cgroup").stdout
    assert all(line.endswith(":/") for line in inside.splitlines()), inside


def test_exec_applies_the_container_process_settings(bundle):
    process = bundle.config["process"]
    process["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [44], "umask": 0o027}
    process["env"] = ["PATH=/bin", "FOO=from-config"]
    process["cwd"] = "/tmp"
    process["rlimits"] = [{"type": "RLIMIT_NOFILE", "hard": 256, "soft": 128}]
    process["capabilities"] = {k: ["CAP_KILL"] for k in ("bounding", "effective", "permitted")}
    process["noNewPrivileges"] = True
    start_running(bundle)
    script = ("id -u; id -g; id -G; echo $FOO; pwd; umask; ulimit -n; ulimit -Hn;"
              "grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status")
    p = exec_(bundle, "--", "sh", "-c", script)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["1000", "1000", "1000", "44", "from-config", "/tmp", "0027", "128", "256",
                                "CapEff:", "0000000000000000", "CapBnd:", "0000000000000020", "NoNewPrivs:", "1"]


def test_exec_flags_override_the_process(bundle):
    bundle.config["process"]["env"] = ["PATH=/bin", "FOO=from-config", "KEEP=yes"]
    bundle.config["process"]["noNewPrivileges"] = False
    start_running(bundle)
    script = "id -u; id -g; id -G; echo $FOO $KEEP $NEW; pwd; grep NoNewPrivs /proc/self/status"
    p = exec_(bundle, "-u", "2000:3000", "-g", "44", "-g", "45", "-e", "FOO=flag", "-e", "NEW=1",
              "--cwd", "/etc", "--no-new-privs", "--", "sh", "-c", script)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["2000", "3000", "3000", "44", "45", "flag", "yes", "1", "/etc", "NoNewPrivs:", "1"]
    assert exec_(bundle, "--", "grep", "NoNewPrivs", "/proc/self/status").stdout.split()[1] == "0"


def cap_sets(text):
    return {line.split()[0]: int(line.split()[1], 16) for line in text.splitlines()}


def test_exec_cap_adds_a_capability(bundle):
    start_running(bundle)
    script = "grep -E '^Cap(Eff|Prm|Bnd)' /proc/self/status"
    before = cap_sets(exec_(bundle, "--", "sh", "-c", script).stdout)
    after = cap_sets(exec_(bundle, "--cap", "CAP_SYS_PTRACE", "-c", "net_admin", "--", "sh", "-c", script).stdout)
    added = (1 << 19) | (1 << 12)
    assert before["CapBnd:"] & added == 0
    assert after == {k: v | added for k, v in before.items()}
    assert "unknown capability" in exec_(bundle, "--cap", "CAP_NOPE", "--", "true").stderr


def test_exec_runs_a_process_json(bundle, tmp_path):
    start_running(bundle)
    process = {"args": ["sh", "-c", "echo $ONLY; pwd; id -u"], "env": ["ONLY=json", "PATH=/bin"], "cwd": "/proc",
               "user": {"uid": 7, "gid": 7}, "terminal": False}
    (tmp_path / "process.json").write_text(json.dumps(process))
    p = exec_(bundle, "--process", tmp_path / "process.json")
    assert (p.returncode, p.stdout.split()) == (0, ["json", "/proc", "7"]), p.stderr


def test_exec_with_a_bad_process_json_names_the_field(bundle, tmp_path):
    start_running(bundle)
    (tmp_path / "process.json").write_text(json.dumps({"args": ["true"], "cwd": "relative"}))
    p = exec_(bundle, "--process", tmp_path / "process.json")
    assert p.returncode != 0
    assert "cwd" in p.stderr and "process.json" in p.stderr


def test_exec_is_refused_for_a_container_that_is_not_running(bundle):
    # Into a created one it works, as with runc (test_runc_compat.py).
    bundle.args = ["true"]
    bundle.create()
    init = bundle.state()["pid"]
    bundle.start()
    assert wait_gone(init)
    p = exec_(bundle, "--", "true")
    assert p.returncode != 0 and "it is stopped" in p.stderr
    bundle.delete()
    p = exec_(bundle, "--", "true")
    assert p.returncode != 0 and "does not exist" in p.stderr


def test_exec_of_a_missing_program_says_not_found(bundle):
    start_running(bundle)
    p = exec_(bundle, "--", "no-such-program")
    assert p.returncode != 0
    assert "executable file not found" in p.stderr
    p = exec_(bundle, "--", "/etc/passwd")
    assert "permission denied" in p.stderr.lower()


def test_exec_detach_returns_at_once_with_the_pid(bundle, tmp_path):
    start_running(bundle)
    pid_file = tmp_path / "pid"
    p = exec_(bundle, "-d", "--pid-file", pid_file, "--", "sleep", "300", timeout=10, **DETACHED)
    assert p.returncode == 0
    pid = int(pid_file.read_text())
    assert pathlib.Path(f"/proc/{pid}/cmdline").read_bytes() == b"sleep\x00300\x00"
    assert host_ns(pid, "pid") == host_ns(bundle.state()["pid"], "pid")


def test_exec_forwards_signals(bundle):
    start_running(bundle)
    proc = subprocess.Popen([str(NOOK), "--root", bundle.nook.root, "exec", bundle.id, "nook-test-helper", "wait-signal"],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "ready\n"
    proc.send_signal(signal.SIGUSR1)
    assert proc.stdout.readline() == f"signal {int(signal.SIGUSR1)}\n"
    assert proc.wait(timeout=10) == 0


def test_exec_preserve_fds_passes_exactly_those(bundle, tmp_path):
    start_running(bundle)
    passed = tmp_path / "passed"
    # fd 3 opened by a shell around nook: the test's own fds stay out.
    cmd = ["sh", "-c", f'exec 3>"{passed}"; exec "$@"', "sh", str(NOOK), "--root", bundle.nook.root, "exec",
           "--preserve-fds", "1", bundle.id, "sh", "-c", "echo through-fd-3 >&3; nook-test-helper fds"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30, close_fds=True)
    assert p.returncode == 0, p.stderr
    assert passed.read_text() == "through-fd-3\n"
    assert sorted(int(line.split()[0]) for line in p.stdout.splitlines()) == [0, 1, 2, 3]


def test_exec_into_a_sub_cgroup(bundle):
    init = start_running(bundle)
    line = next(line for line in pathlib.Path(f"/proc/{init}/cgroup").read_text().splitlines()
                if line.split(":")[1] == "pids")
    sub = pathlib.Path("/sys/fs/cgroup/pids") / line.split(":", 2)[2].lstrip("/") / "sub"
    sub.mkdir()
    try:
        p = exec_(bundle, "--cgroup", "pids:sub", "--", "cat", "/proc/self/cgroup")
        assert p.returncode == 0, p.stderr
        pids = [line for line in p.stdout.splitlines() if line.split(":")[1] == "pids"]
        assert pids == [line.split(":")[0] + ":pids:/sub"]
        missing = exec_(bundle, "--cgroup", "nothere", "--", "true")
        assert missing.returncode != 0 and "nothere" in missing.stderr
    finally:
        sub.rmdir()


# ---- nook's binary stays out of the container's reach (CVE-2019-5736) ----
#
# Had nook's own binary been the exe of a process the container can see, the
# container could reopen it through /proc/<pid>/exe and overwrite the runtime
# on the host. The attacks run against a copy of nook, so that a regression
# breaks the copy and not the build.

@pytest.fixture
def nook_copy(tmp_path):
    copy = tmp_path / "nook-copy"
    copy.write_bytes(NOOK.read_bytes())
    copy.chmod(0o755)
    return copy


def exec_with(binary, bundle, *args, **kwargs):
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    kwargs.setdefault("timeout", 30)
    return subprocess.run([str(binary), "--root", bundle.nook.root, "exec", bundle.id, *args], **kwargs)


def assert_nook_did_not_run(p):
    assert "nook version" not in p.stdout
    assert p.returncode != 0
    assert "exec format error" in p.stderr.lower() or "no such file" in p.stderr.lower(), p.stderr


def test_exec_of_a_proc_self_exe_script_cannot_run_nook(bundle, nook_copy):
    """The container replaced a program with `#!/proc/self/exe`: the kernel runs
    the exe of the process that calls execve — with nook as that exe, nook itself."""
    script = bundle.rootfs / "evil"
    script.write_text("#!/proc/self/exe --version\n")
    script.chmod(0o755)
    start_running(bundle)
    before = nook_copy.read_bytes()
    assert_nook_did_not_run(exec_with(nook_copy, bundle, "/evil"))
    assert nook_copy.read_bytes() == before


@pytest.mark.parametrize("entrypoint", [["/proc/self/exe", "--version"], ["/evil"]], ids=["exe", "script"])
def test_entrypoint_cannot_run_nook_in_the_container(bundle, entrypoint):
    script = bundle.rootfs / "evil"
    script.write_text("#!/proc/self/exe --version\n")
    script.chmod(0o755)
    bundle.args = entrypoint
    assert_nook_did_not_run(bundle.run())


def test_a_process_watching_for_exec_never_gets_nook(bundle, nook_copy):
    """The attacker (the container's init) stops every new process the moment it
    appears and opens its exe; with CAP_SYS_PTRACE it gets past "not dumpable".
    It must catch exec'd processes before their execve, and never nook."""
    caps = bundle.config["process"]["capabilities"]
    for kind in ("bounding", "effective", "permitted"):
        caps[kind] += ["CAP_SYS_PTRACE"]
    bundle.args = ["nook-test-helper", "exe-grab"]
    bundle.write()
    attacker = bundle.popen("run", stdout=subprocess.PIPE)
    lines = []
    try:
        assert attacker.stdout.readline() == "ready\n"
        reader = threading.Thread(target=lambda: lines.extend(attacker.stdout))
        reader.start()
        for _ in range(400):
            p = exec_with(nook_copy, bundle, "true")
            assert p.returncode == 0, p.stderr
            if sum("memfd:" in line for line in list(lines)) >= 3:
                break
        bundle.kill("USR1")
        assert attacker.wait(timeout=30) == 0
        reader.join()
    finally:
        if attacker.poll() is None:
            attacker.kill()
            attacker.wait()
    early = sum("memfd:" in line for line in lines)
    nook_id = "%d:%d" % (os.stat(nook_copy).st_dev, os.stat(nook_copy).st_ino)
    assert not [line for line in lines if nook_id in line or str(nook_copy) in line]
    assert early >= 1, "the attack never caught a process before its execve:\n" + "".join(lines[:20])
    # What it did catch (the empty sealed stand-in, or the programs) it cannot write to.
    assert not [line for line in lines if "wr=written" in line and "/bin/busybox" not in line]


@pytest.mark.parametrize("flag", ["--apparmor", "--process-label"])
def test_exec_refuses_a_label_it_cannot_apply(bundle, flag):
    start_running(bundle)
    p = exec_(bundle, flag, "some_label", "--", "true")
    assert p.returncode != 0
    assert flag in p.stderr and "some_label" in p.stderr


def test_exec_into_a_container_without_a_mount_namespace_enters_its_root(bundle):
    # Without a mount namespace the container is a chroot: exec must chroot the same way.
    bundle.config["linux"]["namespaces"] = [ns for ns in bundle.config["linux"]["namespaces"]
                                            if ns["type"] not in ("mount", "cgroup")]
    bundle.config["mounts"] = []
    bundle.config["linux"]["maskedPaths"] = []
    bundle.config["linux"]["readonlyPaths"] = []
    bundle.config["root"]["readonly"] = False
    (bundle.rootfs / "marker").write_text("in the rootfs\n")
    start_running(bundle)
    p = exec_(bundle, "--", "cat", "/marker")
    assert (p.returncode, p.stdout) == (0, "in the rootfs\n"), p.stderr
