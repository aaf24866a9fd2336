"""linux.seccomp: the filter applies to the program and never to nook's own set-up;
SCMP_ACT_NOTIFY hands the listener to an agent; compiled programs are cached;
`nook spec`'s default profile denies what Docker's and Podman's deny."""
import fcntl
import json
import os
import pathlib
import select
import signal
import socket
import struct
import subprocess
import threading

import pytest

from conftest import NOOK

ALLOW_BUT = lambda *rules: {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": list(rules)}  # noqa: E731


def rule(names, action="SCMP_ACT_ERRNO", **extra):
    return dict(names=list(names), action=action, **extra)


def set_seccomp(bundle, profile):
    bundle.config["linux"]["seccomp"] = profile
    bundle.config["root"]["readonly"] = False


def helper(bundle, *args):
    """Runs nook-test-helper in a fresh container; returns its stdout, stripped."""
    bundle.args = ["nook-test-helper", *[str(a) for a in args]]
    return bundle.run().stdout.strip()


# ---- the filter is the program's, not nook's ----

@pytest.mark.parametrize("no_new_privileges,uid", [(True, 0), (False, 0), (False, 1000)],
                         ids=["nnp", "no-nnp-root", "no-nnp-user"])
def test_denying_getcwd_and_mkdir_does_not_break_start(bundle, no_new_privileges, uid):
    set_seccomp(bundle, ALLOW_BUT(rule(["getcwd", "mkdir", "mkdirat"])))
    bundle.config["process"]["noNewPrivileges"] = no_new_privileges
    bundle.config["process"]["user"] = {"uid": uid, "gid": uid}
    p = bundle.sh("mkdir /tmp/made; nook-test-helper syscall getcwd; grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status")
    assert p.returncode == 0, p.stderr
    assert "Operation not permitted" in p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "syscall: EPERM"
    assert lines[1:] == [f"NoNewPrivs:\t{int(no_new_privileges)}", "Seccomp:\t2"]
    assert not (bundle.rootfs / "tmp" / "made").exists()


def test_a_profile_denying_every_call_of_nooks_set_up_still_starts(bundle):
    # What nook calls between clone3 and the stub's last steps; the filter comes after all of them.
    setup = ["mount", "umount2", "pivot_root", "chroot", "mkdir", "mkdirat", "openat2", "open_tree", "move_mount",
             "mount_setattr", "fsopen", "fsmount", "sethostname", "setdomainname", "chdir", "fchdir", "keyctl",
             "unshare", "setns", "setgroups", "setresuid", "setresgid", "close_range", "symlinkat", "mknodat",
             "getcwd", "statfs", "fstatfs", "capget", "capset", "prctl", "memfd_create",
             "fchmodat", "fchownat", "unlinkat", "sched_setaffinity", "setrlimit", "prlimit64", "umask"]
    set_seccomp(bundle, ALLOW_BUT(rule(setup)))
    bundle.config["hostname"] = "filtered"
    bundle.args = ["nook-test-helper", "exit", "7"]
    p = bundle.run()
    assert p.returncode == 7, p.stderr


def test_the_program_gets_exactly_one_filter(bundle):
    set_seccomp(bundle, ALLOW_BUT(rule(["getcwd"])))
    p = bundle.sh("grep Seccomp_filters /proc/self/status")
    assert p.stdout.strip() == "Seccomp_filters:\t1"


def test_errno_ret_reaches_the_program(bundle):
    set_seccomp(bundle, ALLOW_BUT(rule(["getppid"], errnoRet=28)))
    assert helper(bundle, "syscall", "getppid") == "syscall: ENOSPC"


def test_default_action_and_its_errno(bundle):
    # Everything but what busybox needs to start and print fails with ENOSYS... and getppid with the default.
    minimal = ["execve", "arch_prctl", "set_tid_address", "brk", "mmap", "munmap", "mprotect", "exit_group",
               "write", "writev", "fstat", "newfstatat", "rt_sigprocmask", "rt_sigaction", "ioctl", "getuid",
               "getpid", "read", "close", "readlink", "uname", "prlimit64", "set_robust_list", "rseq", "getrandom"]
    set_seccomp(bundle, {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
                         "syscalls": [rule(minimal, "SCMP_ACT_ALLOW")]})
    assert helper(bundle, "syscall", "getppid") == "syscall: ENOSYS"


def test_kill_process_action_kills_the_program(bundle):
    set_seccomp(bundle, ALLOW_BUT(rule(["getppid"], "SCMP_ACT_KILL_PROCESS")))
    bundle.args = ["nook-test-helper", "syscall", "getppid"]
    assert bundle.run().returncode == 128 + signal.SIGSYS


def test_argument_conditions_select_the_call(bundle):
    set_seccomp(bundle, ALLOW_BUT(rule(["socket"], args=[{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}])))
    p = bundle.sh("nook-test-helper syscall socket 1 1 0; nook-test-helper syscall socket 2 1 0")
    assert p.stdout.splitlines() == ["syscall: EPERM", "ok"]


def test_unknown_syscall_names_are_skipped(bundle):
    set_seccomp(bundle, ALLOW_BUT(rule(["nook_no_such_syscall", "getppid"])))
    assert helper(bundle, "syscall", "getppid") == "syscall: EPERM"


def test_a_bad_profile_fails_before_anything_runs(bundle):
    set_seccomp(bundle, ALLOW_BUT(rule(["getppid"], "SCMP_ACT_ALLOW", errnoRet=1)))
    p = bundle.run()
    assert p.returncode != 0
    assert "linux.seccomp: syscalls[0]: SCMP_ACT_ALLOW takes no errno" in p.stderr


def test_the_compiled_filter_is_cached_under_the_state_root(bundle, nook):
    set_seccomp(bundle, ALLOW_BUT(rule(["getppid"])))
    cache = os.path.join(nook.root, ".seccomp cache")
    assert bundle.run().returncode == 0
    first = os.listdir(cache)
    assert len(first) == 1
    assert bundle.run().returncode == 0
    assert os.listdir(cache) == first
    set_seccomp(bundle, ALLOW_BUT(rule(["getppid", "getcwd"])))
    assert bundle.run().returncode == 0
    assert len(os.listdir(cache)) == 2


def test_an_exec_d_process_gets_the_containers_filter(bundle):
    """A process started by `nook exec` without the filter would be a way around it."""
    set_seccomp(bundle, ALLOW_BUT(rule(["getppid"], errnoRet=28)))
    bundle.args = ["sleep", "300"]
    bundle.run("-d", check=True)
    p = bundle.nook("exec", bundle.id, "nook-test-helper", "syscall", "getppid", check=False)
    bundle.nook("delete", "--force", bundle.id)
    assert p.stdout.strip() == "syscall: ENOSPC", p.stderr


def test_features_lists_what_seccomp_takes(nook):
    features = json.loads(nook("features").stdout)["linux"]["seccomp"]
    assert features["enabled"] is True
    assert {"SCMP_ACT_NOTIFY", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_ERRNO"} <= set(features["actions"])
    assert "SCMP_CMP_MASKED_EQ" in features["operators"]
    assert {"SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"} <= set(features["archs"])
    assert "SECCOMP_FILTER_FLAG_LOG" in features["knownFlags"]
    assert set(features["supportedFlags"]) <= set(features["knownFlags"])


# ---- SCMP_ACT_NOTIFY ----

SECCOMP_IOCTL_NOTIF_RECV = 0xC0502100  # _IOWR('!', 0, struct seccomp_notif), 80 bytes
SECCOMP_IOCTL_NOTIF_SEND = 0xC0182101  # _IOWR('!', 1, struct seccomp_notif_resp), 24 bytes


class Agent:
    """A seccomp agent on a unix socket: takes one container's notify fd and
    fails every notified call with `error`, until the container is gone."""

    def __init__(self, path, error):
        self.path, self.error = str(path), error
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(1)
        self.state, self.calls, self.failure = None, [], None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            conn, _ = self.sock.accept()
            with conn:
                data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 1)
                while chunk := conn.recv(1 << 16):
                    data += chunk
            self.state, self.fds = json.loads(data), fds
            self._answer(fds[0])
        except Exception as e:  # reported by join()
            self.failure = e

    def _answer(self, fd):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        while True:
            events = poller.poll(30000)
            if not events or events[0][1] & select.POLLHUP:
                break
            req = bytearray(80)
            try:
                fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, req)
            except OSError:
                continue  # the caller went away meanwhile
            notif_id, nr = struct.unpack_from("Q", req, 0)[0], struct.unpack_from("i", req, 16)[0]
            self.calls.append(nr)
            try:
                fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, bytearray(struct.pack("QqiI", notif_id, 0, -self.error, 0)))
            except OSError:
                pass
        os.close(fd)

    def join(self):
        self.thread.join(timeout=30)
        self.sock.close()
        assert not self.thread.is_alive(), "the agent never saw the container go"
        if self.failure:
            raise self.failure


def notify_profile(listener, **extra):
    return dict(ALLOW_BUT(rule(["mkdir", "mkdirat"], "SCMP_ACT_NOTIFY")), listenerPath=str(listener), **extra)


def test_notify_sends_the_fd_and_the_process_state_to_the_agent(bundle, tmp_path):
    agent = Agent(tmp_path / "agent.sock", 28)
    set_seccomp(bundle, notify_profile(agent.path, listenerMetadata="hello agent"))
    p = bundle.sh("mkdir /tmp/notified")
    agent.join()
    assert "No space left on device" in p.stderr
    assert not (bundle.rootfs / "tmp" / "notified").exists()
    assert len(agent.calls) == 1
    s = agent.state
    assert s["ociVersion"] == bundle.config["ociVersion"]
    assert s["fds"] == ["seccompFd"]
    assert s["metadata"] == "hello agent"
    assert s["pid"] > 0 and s["state"]["pid"] == s["pid"]
    assert s["state"]["id"] == bundle.id
    assert s["state"]["status"] == "creating"
    assert s["state"]["bundle"] == str(bundle.path)


def test_notify_with_create_and_start(bundle, tmp_path):
    agent = Agent(tmp_path / "agent.sock", 28)
    set_seccomp(bundle, notify_profile(agent.path))
    bundle.args = ["sh", "-c", "mkdir /tmp/notified 2>&1"]
    bundle.create()
    pid = bundle.state()["pid"]
    assert agent.state["pid"] == pid
    bundle.start()
    agent.join()
    assert "No space left on device" in bundle.output()
    bundle.delete("--force")  # the init may not be reaped yet


def test_notify_reaches_the_agent_for_an_exec_d_process(bundle, tmp_path):
    set_seccomp(bundle, ALLOW_BUT(rule(["getppid"], "SCMP_ACT_NOTIFY")))
    bundle.config["linux"]["seccomp"]["listenerPath"] = str(tmp_path / "unused.sock")
    bundle.args = ["sleep", "300"]
    init = Agent(tmp_path / "unused.sock", 1)
    bundle.run("-d", check=True)
    agent = Agent(tmp_path / "exec.sock", 28)
    # exec reads the config saved at create: point its listener at the second agent.
    saved = pathlib.Path(bundle.nook.root) / bundle.id / "config.json"
    config = json.loads(saved.read_text())
    config["linux"]["seccomp"]["listenerPath"] = agent.path
    saved.write_text(json.dumps(config))
    p = bundle.nook("exec", bundle.id, "nook-test-helper", "syscall", "getppid", check=False)
    bundle.nook("delete", "--force", bundle.id)
    agent.join()
    init.join()
    assert p.stdout.strip() == "syscall: ENOSPC", p.stderr
    assert agent.state["state"]["status"] == "running"
    assert agent.state["pid"] != agent.state["state"]["pid"]


def test_notify_without_an_agent_fails_cleanly(bundle, tmp_path):
    set_seccomp(bundle, notify_profile(tmp_path / "nobody.sock"))
    p = bundle.run()
    assert p.returncode != 0
    assert "linux.seccomp.listenerPath" in p.stderr and "nobody.sock" in p.stderr


def test_notify_cannot_apply_to_what_nook_calls_after_the_filter(bundle, tmp_path):
    set_seccomp(bundle, dict(ALLOW_BUT(rule(["sendmsg"], "SCMP_ACT_NOTIFY")), listenerPath=str(tmp_path / "a")))
    p = bundle.run()
    assert p.returncode != 0
    assert "SCMP_ACT_NOTIFY cannot apply to \"sendmsg\"" in p.stderr


# ---- the default profile of `nook spec` ----

@pytest.fixture(scope="session")
def default_profile(tmp_path_factory):
    d = tmp_path_factory.mktemp("spec-seccomp")
    subprocess.run([str(NOOK), "spec", "--bundle", str(d)], check=True)
    return json.loads((d / "config.json").read_text())["linux"]["seccomp"]


CLONE_NEWUSER, CLONE_NEWNS, SIGCHLD = 0x10000000, 0x00020000, 17

# (helper arguments, what the default profile answers)
DEFAULT_PROFILE_CASES = [
    (["unshare", CLONE_NEWUSER], "syscall: EPERM"),
    (["clone", CLONE_NEWUSER | SIGCHLD], "syscall: EPERM"),
    (["clone", CLONE_NEWNS | SIGCHLD], "syscall: EPERM"),
    (["clone", SIGCHLD], "ok"),
    (["clone3", 0], "syscall: ENOSYS"),
    (["keyctl", 0], "syscall: EPERM"),
    (["bpf", 0], "syscall: EPERM"),
    (["io_uring_setup", 1, 0], "syscall: EPERM"),
    (["vmsplice", 0], "syscall: EPERM"),
    (["perf_event_open", 0], "syscall: EPERM"),
    (["personality", 0xffffffff], "ok"),
    (["personality", 0x0006], "syscall: EPERM"),  # PER_BSD
    (["socket", 40, 1, 0], "syscall: EPERM"),    # AF_VSOCK
    (["socket", 38, 5, 0], "syscall: EPERM"),    # AF_ALG
    (["socket", 1, 1, 0], "ok"),                 # AF_UNIX
]


def default_profile_answers(bundle):
    script = "; ".join("nook-test-helper syscall " + " ".join(str(a) for a in args)
                       for args, _ in DEFAULT_PROFILE_CASES)
    p = bundle.sh(script)
    return p.stdout.splitlines()


def test_the_default_profile_denies_what_docker_and_podman_deny(bundle, default_profile):
    set_seccomp(bundle, default_profile)
    assert default_profile_answers(bundle) == [answer for _, answer in DEFAULT_PROFILE_CASES]


def test_without_the_default_profile_those_calls_get_through(bundle):
    """The attacks above are stopped by the profile, not by something else."""
    answers = dict(zip((tuple(args) for args, _ in DEFAULT_PROFILE_CASES), default_profile_answers(bundle)))
    for args in (("unshare", CLONE_NEWUSER), ("clone", CLONE_NEWUSER | SIGCHLD), ("clone3", 0), ("vmsplice", 0),
                 ("personality", 0x0006), ("socket", 40, 1, 0)):
        assert answers[args] == "ok", args
    for args in (("io_uring_setup", 1, 0), ("socket", 38, 5, 0), ("keyctl", 0), ("bpf", 0)):
        assert answers[args] not in ("ok", "syscall: EPERM"), args


def test_a_shell_runs_under_the_default_profile(bundle, default_profile):
    set_seccomp(bundle, default_profile)
    p = bundle.sh("ls / >/dev/null && cat /etc/passwd | wc -l && sleep 0 && id -u")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["2", "0"]


def test_the_default_profile_follows_the_capabilities(default_profile):
    allowed = set(default_profile["syscalls"][0]["names"])
    assert 330 <= len(allowed) <= 400
    assert {"read", "write", "execve", "ptrace", "chroot"} <= allowed
    assert not {"mount", "unshare", "setns", "bpf", "keyctl", "kexec_load", "init_module", "reboot",
                "io_uring_setup", "open_by_handle_at", "vmsplice"} & allowed
    assert default_profile["defaultAction"] == "SCMP_ACT_ERRNO"
