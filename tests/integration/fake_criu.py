#!/usr/bin/python3
"""A stand-in for criu on hosts where the real one cannot work (this kernel's vDSO
defeats criu 3.17's check): `criu swrk 3` speaking criu's RPC as criu does, decoded
with the criu package's own generated module (pycriu.rpc_pb2), so that what nook
sends is read by criu's definition of the protocol, not nook's.

It records every request (as JSON, with the state of the process that received
it) in $FAKE_CRIU_LOG and answers as the environment says:

  FAKE_CRIU_CHECK=fail        CHECK fails, its log says why (as criu 3.17's)
  FAKE_CRIU_FEATURES=no       FEATURE_CHECK: neither memory tracking nor lazy pages
  FAKE_CRIU_DUMP=fail:MSG     DUMP/PRE_DUMP fail with MSG as criu's first error
  FAKE_CRIU_RESTORE=fail:MSG  RESTORE fails so
  FAKE_CRIU_RESTORE=die       RESTORE makes its process, then dies without a word
  FAKE_CRIU_CHILD=CMD         RESTORE "restores" this shell command (default: sleep) as
                              its caller's child (CLONE_PARENT, what rst_sibling asks),
                              in a network namespace of its own, moved into the cgroup
                              roots it is given, announced with setup-namespaces and
                              post-restore; process.terminal: a pty whose master goes
                              with orphan-pts-master
  FAKE_CRIU_TERMINAL=1        (with RESTORE) send orphan-pts-master

A dump does not stop anything: nook ends the container itself afterwards."""
import ctypes
import json
import os
import signal
import socket
import sys
import time

sys.path.insert(0, "/usr/lib/python3/dist-packages")
from google.protobuf import json_format  # noqa: E402
from pycriu import rpc_pb2 as rpc  # noqa: E402

CLONE_PARENT = 0x00008000
SYS_CLONE = 56  # x86_64


def record(entry):
    path = os.environ.get("FAKE_CRIU_LOG")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps(entry) + "\n")


def send(sk, resp, fd=None):
    data = resp.SerializeToString()
    if fd is None:
        sk.send(data)
    else:
        sk.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fd.to_bytes(4, sys.byteorder))])


def receive(sk):
    data = sk.recv(1 << 20)
    if not data:
        return None
    req = rpc.criu_req()
    req.ParseFromString(data)
    return req


def fail(sk, kind, message):
    resp = rpc.criu_resp(type=kind, success=False)
    if message:
        resp.cr_errmsg = f"Error (criu/fake.c:1): {message}\n"
    send(sk, resp)


def peer_dir(req_opts):
    """The caller's images (work) directory, as criu reaches it: /proc/PEER/fd/N."""
    fd = req_opts.work_dir_fd if req_opts.HasField("work_dir_fd") else req_opts.images_dir_fd
    return f"/proc/{os.getppid()}/fd/{fd}"


def process_state():
    stdio = []
    for fd in range(3):
        try:
            stdio.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            stdio.append(None)
    extra = {}
    for fd in range(4, 12):
        try:
            extra[fd] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            pass
    with open("/proc/self/mountinfo") as f:
        mounts = [line.split()[4] for line in f]
    return {"stdio": stdio, "extra_fds": extra, "cgroup": open("/proc/self/cgroup").read(), "mntns": os.readlink("/proc/self/ns/mnt"), "mounts": mounts,
            "sigblk": [line.split()[1] for line in open("/proc/self/status") if line.startswith("SigBlk")][0]}


def cgroup_procs(root):
    """The cgroup.procs file of a cgroup root criu is given: the hierarchy mounting
    its controllers (ctrl unset: cgroup2)."""
    want = set(root.ctrl.split(",")) if root.HasField("ctrl") else None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields, rest = line.split(" - ")
            fstype, _, options = rest.split()
            if (want is None and fstype == "cgroup2") or \
                    (want is not None and fstype == "cgroup" and want <= set(options.split(","))):
                return f"{fields.split()[4]}{root.path}/cgroup.procs"
    raise FileNotFoundError(f"no hierarchy for {root.ctrl if want else 'cgroup2'}")


def restore_child(opts):
    """A process of the caller's (CLONE_PARENT), in a network namespace of its own,
    moved into the cgroup roots."""
    command = os.environ.get("FAKE_CRIU_CHILD", "exec sleep 1000")
    libc = ctypes.CDLL(None, use_errno=True)
    pid = libc.syscall(SYS_CLONE, CLONE_PARENT | signal.SIGCHLD, 0, 0, 0, 0)
    if pid == 0:
        try:
            os.execvp("unshare", ["unshare", "--net", "sh", "-c", command])
        finally:
            os._exit(127)
    if pid < 0:
        raise OSError(ctypes.get_errno(), "clone")
    try:
        for root in opts.cg_root:
            with open(cgroup_procs(root), "w") as f:
                f.write(str(pid))
    except BaseException:
        os.kill(pid, signal.SIGKILL)
        raise
    return pid


def notify(sk, script, pid, fd=None):
    send(sk, rpc.criu_resp(type=rpc.NOTIFY, success=True, notify=rpc.criu_notify(script=script, pid=pid)), fd)
    ack = receive(sk)
    record({"ack": script, "got": json_format.MessageToDict(ack, preserving_proto_field_name=True) if ack else None})
    return ack is not None and ack.type == rpc.NOTIFY and ack.notify_success


def restore(sk, req):
    how = os.environ.get("FAKE_CRIU_RESTORE", "ok")
    if how.startswith("fail:"):
        return fail(sk, rpc.RESTORE, how[5:])
    pid = restore_child(req.opts)
    if how == "die":
        os._exit(1)
    try:
        finish_restore(sk, pid)
    except BaseException:
        os.kill(pid, signal.SIGKILL)  # as criu: a failed restore leaves no process
        raise


def finish_restore(sk, pid):
    # The namespace of the child is made by unshare(1), which takes an exec: wait until the
    # child is in it (as criu announces only made namespaces), however loaded the machine.
    own = os.readlink("/proc/self/ns/net")
    deadline = time.monotonic() + 30
    while os.readlink(f"/proc/{pid}/ns/net") == own:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the restored child {pid} never entered a network namespace of its own")
        time.sleep(0.001)
    ok = notify(sk, "setup-namespaces", pid)
    if ok and os.environ.get("FAKE_CRIU_TERMINAL") == "1":
        master, slave = os.openpty()
        ok = notify(sk, "orphan-pts-master", 0, master)
    ok = ok and notify(sk, "post-restore", pid)
    if not ok:
        # As criu: a caller that stops answering undoes the restore.
        os.kill(pid, signal.SIGKILL)
        sys.exit(1)
    send(sk, rpc.criu_resp(type=rpc.RESTORE, success=True, restore=rpc.criu_restore_resp(pid=pid)))


def main():
    if sys.argv[1:] != ["swrk", "3"]:
        print(f"fake criu: unexpected arguments {sys.argv[1:]}", file=sys.stderr)
        sys.exit(2)
    sk = socket.socket(fileno=3)
    while True:
        req = receive(sk)
        if req is None:
            sys.exit(1)  # (criu: "Client exited unexpectedly")
        entry = json_format.MessageToDict(req, preserving_proto_field_name=True)
        entry["process"] = process_state()
        record(entry)
        if req.type == rpc.CHECK:
            if os.environ.get("FAKE_CRIU_CHECK") == "fail":
                with open(os.path.join(peer_dir(req.opts), req.opts.log_file or "criu.log"), "w") as log:
                    log.write("(00.000010) Version: 3.17.1\n(00.000200) Error (criu/fake.c:1): fake: the kernel "
                              "says no\n")
                send(sk, rpc.criu_resp(type=rpc.CHECK, success=False))
            else:
                send(sk, rpc.criu_resp(type=rpc.CHECK, success=True))
        elif req.type == rpc.VERSION:
            send(sk, rpc.criu_resp(type=rpc.VERSION, success=True,
                                   version=rpc.criu_version(major_number=3, minor_number=17, sublevel=1)))
        elif req.type == rpc.FEATURE_CHECK:
            yes = os.environ.get("FAKE_CRIU_FEATURES") != "no"
            send(sk, rpc.criu_resp(type=rpc.FEATURE_CHECK, success=True,
                                   features=rpc.criu_features(mem_track=yes, lazy_pages=yes)))
        elif req.type in (rpc.DUMP, rpc.PRE_DUMP):
            how = os.environ.get("FAKE_CRIU_DUMP", "ok")
            if how.startswith("fail:"):
                fail(sk, req.type, how[5:])
            else:
                send(sk, rpc.criu_resp(type=req.type, success=True))
            if req.type == rpc.PRE_DUMP:
                continue  # criu waits for the next request of the series
        elif req.type == rpc.RESTORE:
            restore(sk, req)
        else:
            fail(sk, req.type, "fake: unexpected request")
        if not req.keep_open:
            break


if __name__ == "__main__":
    main()
