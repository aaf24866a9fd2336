"""What Docker, podman and containerd (and the runtime-spec's validation suite)
expect of a runtime beyond the flags: the words of its errors, the environment
and timing of hooks, the lifecycle after a failing hook, how delete and exec
treat edge cases, what config.json may be."""
import json
import os
import socket
import subprocess
import sys

import pytest

from conftest import HELPER, NOOK


def json_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


# ---- error words engines parse ----

def test_errno_words_are_lower_case_as_runc_writes_them(bundle, tmp_path):
    # docker's CLI picks `docker run`'s exit code 127 by a case-sensitive match on
    # "no such file or directory" (and 126 on "permission denied").
    (bundle.rootfs / "notexec").write_text("#!/bin/sh\n")
    log = tmp_path / "nook.log"
    for program, words in (("/no-such-program", "no such file or directory"), ("/notexec", "permission denied")):
        bundle.args = [program]
        bundle.write()
        p = bundle.nook("--log", log, "--log-format", "json", "run", "--bundle", bundle.path, bundle.id, check=False)
        assert p.returncode != 0
        assert words in p.stderr, p.stderr
        assert words in json_lines(log)[-1]["msg"]


def test_a_program_not_on_path_keeps_runcs_words(bundle):
    bundle.args = ["no-such-program"]
    p = bundle.run()
    assert p.returncode != 0
    assert "executable file not found in $PATH" in p.stderr


# ---- exec ----

def running(bundle):
    bundle.args = ["sleep", "300"]
    bundle.run("-d", check=True)
    return bundle.state()["pid"]


def test_exec_cwd_that_does_not_exist_fails_as_chdir_and_is_not_made(bundle):
    bundle.config["root"]["readonly"] = False
    running(bundle)
    p = bundle.nook("exec", "--cwd", "/no/such/dir", bundle.id, "pwd", check=False)
    assert p.returncode == 255
    assert "/no/such/dir" in p.stderr and "no such file or directory" in p.stderr
    assert not (bundle.rootfs / "no").exists()


def test_exec_process_file_runs_exactly_that_process(bundle, tmp_path):
    # The container's process has no_new_privs; the file says nothing of it: off, as runc.
    # It says nothing of capabilities either: the container's, as runc and crun (not all of nook's).
    bundle.config["process"]["noNewPrivileges"] = True
    running(bundle)
    status = "grep -E '^(NoNewPrivs|CapEff|CapBnd):' /proc/self/status"
    container = bundle.nook("exec", bundle.id, "sh", "-c", status).stdout.splitlines()
    (tmp_path / "process.json").write_text(json.dumps(
        {"args": ["sh", "-c", status], "env": ["PATH=/bin"], "cwd": "/", "user": {"uid": 0, "gid": 0}}))
    p = bundle.nook("exec", "--process", tmp_path / "process.json", bundle.id, check=False)
    assert p.returncode == 0, p.stderr
    container, exact = dict(line.split(":\t") for line in container), dict(line.split(":\t") for line in p.stdout.splitlines())
    assert (container.pop("NoNewPrivs"), exact.pop("NoNewPrivs")) == ("1", "0")
    assert exact == container


@pytest.mark.parametrize("flag", [["--cwd", "/tmp"], ["-e", "A=1"], ["--no-new-privs"], ["-u", "7"], ["--cap", "CAP_KILL"]])
def test_exec_process_file_with_a_flag_that_changes_it_is_refused(bundle, tmp_path, flag):
    running(bundle)
    (tmp_path / "process.json").write_text(json.dumps({"args": ["true"], "cwd": "/"}))
    p = bundle.nook("exec", "--process", tmp_path / "process.json", *flag, bundle.id, check=False)
    assert p.returncode == 255
    assert flag[0] in p.stderr and "--process" in p.stderr


# ---- config.json must be a regular file ----

def run_with_config(bundle, make):
    bundle.write()
    config = bundle.path / "config.json"
    real = bundle.path / "real-config.json"
    config.rename(real)
    make(config, real)
    return bundle.nook("run", "--bundle", bundle.path, bundle.id, check=False, timeout=20)


def test_config_json_that_is_a_fifo_is_refused_at_once(bundle):
    p = run_with_config(bundle, lambda config, real: os.mkfifo(config))
    assert p.returncode != 0
    assert str(bundle.path / "config.json") in p.stderr and "fifo" in p.stderr


def test_config_json_that_is_dev_zero_is_refused(bundle):
    p = run_with_config(bundle, lambda config, real: config.symlink_to("/dev/zero"))
    assert p.returncode != 0
    assert "character device" in p.stderr and "not a regular file" in p.stderr


def test_config_json_may_be_a_symlink_to_a_regular_file(bundle):
    p = run_with_config(bundle, lambda config, real: config.symlink_to(real.name))
    assert p.returncode == 0, p.stderr


def test_config_json_beyond_the_size_limit_is_refused(bundle):
    def grow(config, real):
        with open(config, "w") as f:
            f.write(real.read_text()[:-1] + ', "annotations": {"big": "')
            f.write("x" * (17 << 20))
            f.write('"}}')
    p = run_with_config(bundle, grow)
    assert p.returncode != 0
    assert "16 MiB" in p.stderr


# ---- delete ----

# A parent that never reaps: nook's detached processes are reparented to it (a subreaper, as
# conmon and containerd's shim are), so the init and the exec'd process stay unreaped.
NO_REAPER = """
import ctypes, json, os, subprocess, sys, time
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
nook, cid, bundle = sys.argv[1:4], sys.argv[4], sys.argv[5]
quiet = dict(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
subprocess.run(nook + ["run", "-d", "--bundle", bundle, cid], check=True, **quiet)
subprocess.run(nook + ["exec", "-d", cid, "sleep", "300"], check=True, **quiet)
start = time.monotonic()
p = subprocess.run(nook + ["delete", "-f", cid], capture_output=True, text=True)
print(json.dumps({"code": p.returncode, "stderr": p.stderr, "seconds": time.monotonic() - start}))
while True:
    try:
        os.waitpid(-1, 0)
    except ChildProcessError:
        break
"""


def test_delete_force_takes_an_init_in_exit_as_dead(bundle):
    # Killed, the init waits in exit until every process of its pid namespace is reaped, and
    # the exec'd one's parent never does: the init is dead for delete all the same.
    bundle.args = ["sleep", "300"]
    bundle.write()
    nook = [str(NOOK), "--root", bundle.nook.root]
    out = subprocess.run([sys.executable, "-c", NO_REAPER, *nook, bundle.id, str(bundle.path)],
                         capture_output=True, text=True, timeout=60)
    result = json.loads(out.stdout)
    assert result["code"] == 0, result["stderr"]
    assert result["seconds"] < 5
    assert bundle.id not in bundle.nook.list_ids()


# ---- hooks ----

def hook_records(bundle):
    path = bundle.rootfs / "hooks.log"
    out = []
    for line in path.read_text().splitlines() if path.exists() else []:
        name, *fields = line.split("\t")
        out.append(dict(field.split("=", 1) for field in fields) | {"name": name})
    return out


def recording_hook(bundle, name, **extra):
    return {"path": str(HELPER), "args": ["nook-test-helper", "hook", str(bundle.rootfs / "hooks.log"), name], **extra}


def test_hooks_without_env_get_nooks_environment(bundle):
    # runc and crun run such a hook with their own environment (a Go exec.Cmd with Env nil);
    # "env": [] is an empty one.
    bundle.config["hooks"] = {"prestart": [recording_hook(bundle, "without"), recording_hook(bundle, "empty", env=[]),
                                           recording_hook(bundle, "own", env=["ONLY=this"])]}
    bundle.write()
    p = bundle.nook("run", "--bundle", bundle.path, bundle.id, check=False,
                    env={"PATH": os.environ["PATH"], "NOOK_CALLER_MARK": "from-nook"})
    assert p.returncode == 0, p.stderr
    env = {r["name"]: r["env"] for r in hook_records(bundle)}
    assert set(env["without"].split(",")) == {f"PATH={os.environ['PATH']}", "NOOK_CALLER_MARK=from-nook"}
    assert env["empty"] == "" and env["own"] == "ONLY=this"


# What a poststart hook sees of the container's process, from the host.
SEE_PROGRAM = """
import json, sys
state = json.load(sys.stdin)
pid = state["pid"]
with open(sys.argv[1], "w") as out:
    json.dump({"status": state["status"], "comm": open(f"/proc/{pid}/comm").read().strip(),
               "cmdline": open(f"/proc/{pid}/cmdline").read().split("\\0")[:-1]}, out)
"""


def test_prestart_hook_is_told_created(bundle):
    # The runtime-spec's validation suite (hooks_stdin) expects "created" for prestart.
    bundle.config["hooks"] = {"prestart": [recording_hook(bundle, "prestart")]}
    assert bundle.run().returncode == 0
    assert json.loads(hook_records(bundle)[0]["stdin"])["status"] == "created"


@pytest.mark.parametrize("command", ["start", "run"])
def test_poststart_hook_runs_after_the_program_was_executed(bundle, tmp_path, command):
    seen = tmp_path / "seen.json"
    bundle.config["hooks"] = {"poststart": [{"path": sys.executable, "args": ["python3", "-c", SEE_PROGRAM, str(seen)]}]}
    bundle.args = ["sleep", "300"]
    if command == "start":
        bundle.create()
        bundle.start()
    else:
        bundle.run("-d", check=True)
    assert json.loads(seen.read_text()) == {"status": "running", "comm": "sleep", "cmdline": ["sleep", "300"]}


@pytest.mark.parametrize("command", ["start", "run"])
def test_failing_poststart_hook_stops_and_destroys_the_container(bundle, command):
    bundle.config["hooks"] = {"poststart": [{"path": str(HELPER), "args": ["nook-test-helper", "exit", "3"]}],
                              "poststop": [recording_hook(bundle, "poststop")]}
    bundle.args = ["sleep", "300"]
    if command == "start":
        bundle.create()
        init = bundle.state()["pid"]
        p = bundle.start(check=False)
    else:
        bundle.write()
        p = bundle.nook("run", "--bundle", bundle.path, bundle.id, check=False)
        init = None
    assert p.returncode != 0 and "hooks.poststart[0]" in p.stderr
    assert bundle.nook("state", bundle.id, check=False).returncode != 0
    assert [r["name"] for r in hook_records(bundle)] == ["poststop"]
    if init is not None:
        assert not os.path.exists(f"/proc/{init}") or "Z" in open(f"/proc/{init}/stat").read().rsplit(")", 1)[1][:3]


# ---- seccomp listenerPath without SCMP_ACT_NOTIFY ----

def test_listener_path_without_notify_rules_still_gets_the_state(bundle, tmp_path):
    # The runtime-spec ignores the path then; crun connects all the same, and an agent that
    # waits for the container must not wait forever. It gets a listener that never notifies.
    path = tmp_path / "agent.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    server.settimeout(20)
    bundle.config["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": str(path),
                                         "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO"}]}
    bundle.args = ["sh", "-c", "echo ran"]
    bundle.write()
    with server:
        proc = subprocess.Popen([str(NOOK), "--root", bundle.nook.root, "run", "--bundle", str(bundle.path), bundle.id],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            conn, _ = server.accept()
        except socket.timeout:
            proc.kill()
            proc.wait()
            raise AssertionError("nook never connected to the agent")
        with conn:
            data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 1)
            while chunk := conn.recv(1 << 16):
                data += chunk
        for fd in fds:
            os.close(fd)
        out, err = proc.communicate(timeout=30)
    state = json.loads(data)
    assert proc.returncode == 0, err
    assert out == "ran\n"
    assert state["fds"] == ["seccompFd"] and len(fds) == 1
    assert state["state"]["id"] == bundle.id
