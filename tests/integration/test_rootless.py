"""Rootless containers: an ordinary user (made by the tests, with subordinate
id ranges) runs nook, and the container is still a container — looked at from
inside and from the host."""
import json
import os
import subprocess

import pytest

from rootless_support import (  # noqa: F401 (fixtures)
    map_ranges, rbundle, rootless_area, rootless_config, rootless_nook, rootless_user)
from support import parse_mountinfo, sh_lines, wait_for, wait_gone


def maps_from_host(bundle):
    """The uid and gid maps of the container's init, read from the host."""
    bundle.args = ["sleep", "100"]
    bundle.create()
    pid = bundle.state()["pid"]
    maps = [[line.split() for line in open(f"/proc/{pid}/{f}").read().splitlines()] for f in ("uid_map", "gid_map")]
    bundle.delete("--force")
    return maps


def test_spec_rootless_runs_as_is(rbundle, rootless_user):
    p = rbundle.sh("id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; hostname")
    out = sh_lines(p)
    assert out[:2] == ["0", "0"]
    # Inside, a user namespace's map shows the ids of its parent: the container's user
    # namespace is the child of one that holds the user's maps (locked mounts: see
    # test_rootless_locked.py), with the same ids.
    assert [line.split() for line in out[2:4]] == [["0", "0", "1"], ["0", "0", "1"]]
    assert out[4] == "nook"
    # From the host, container root is the user.
    assert maps_from_host(rbundle) == [[["0", str(rootless_user.uid), "1"]], [["0", str(rootless_user.gid), "1"]]]


def test_rootless_is_detected_and_recorded(rbundle, rootless_user):
    rbundle.args = ["sleep", "100"]
    rbundle.create()
    saved = json.loads(open(os.path.join(rbundle.nook.root, rbundle.id, "state.json")).read())
    assert saved["rootless"] is True and saved["owner"] == rootless_user.name
    assert [c["id"] for c in json.loads(rbundle.nook("list", "--format", "json").stdout)] == [rbundle.id]
    assert rbundle.state()["status"] == "created"
    rbundle.delete("--force")


def test_state_root_defaults_to_xdg_runtime_dir(rbundle, rootless_user, rootless_area):
    run = rootless_area.mkdir("run", 0o700)
    rbundle.args = ["sleep", "100"]
    rbundle.write()
    env = {"XDG_RUNTIME_DIR": str(run)}
    # The init keeps nook's stdio: give it no pipe the test would wait on.
    p = rootless_user.run([rootless_user.nook, "create", "--bundle", rbundle.path, rbundle.id], env=env,
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert p.returncode == 0
    assert os.path.isdir(run / "nook" / rbundle.id)
    assert os.stat(run / "nook" / rbundle.id).st_uid == rootless_user.uid
    p = rootless_user.run([rootless_user.nook, "delete", "--force", rbundle.id], env=env)
    assert p.returncode == 0, p.stderr
    assert [n for n in os.listdir(run / "nook") if not n.startswith(".")] == []


def test_without_xdg_runtime_dir_or_root_it_says_so(rbundle, rootless_user):
    p = rootless_user.run([rootless_user.nook, "list"])
    assert p.returncode != 0
    assert "XDG_RUNTIME_DIR" in p.stderr and "--root" in p.stderr


def test_create_start_kill_delete(rbundle, rootless_area):
    rbundle.config["root"]["readonly"] = False
    out = rootless_area.mkdir("out")
    rbundle.config["mounts"].append({"destination": "/out", "type": "bind", "source": str(out),
                                     "options": ["rbind", "rw"]})
    rbundle.args = ["sh", "-c", "echo started > /out/started; trap 'echo term > /out/term; exit 3' TERM; "
                    "while :; do sleep 0.1; done"]
    rbundle.create()
    state = rbundle.state()
    assert state["status"] == "created"
    pid = state["pid"]
    assert not (out / "started").exists()
    rbundle.start()
    assert rbundle.state()["status"] == "running"
    assert os.stat(f"/proc/{pid}").st_uid == rbundle.area.user.uid
    rbundle.kill("TERM")
    # The init is the user's process, not nook's child: wait on a pidfd for it to go.
    assert wait_gone(pid)
    assert (out / "started").read_text() == "started\n"
    assert (out / "term").read_text() == "term\n"
    assert rbundle.state()["status"] == "stopped"
    rbundle.delete()
    assert rbundle.nook.list_ids() == []


def test_exec_joins_the_container_as_its_root(rbundle, rootless_user):
    rbundle.args = ["sleep", "100"]
    rbundle.run("-d", check=True)
    init = rbundle.state()["pid"]
    p = rbundle.nook("exec", rbundle.id, "sh", "-c", "id -u; cat /proc/self/uid_map; for n in pid user mnt; do "
                     "readlink /proc/self/ns/$n; done")
    out = sh_lines(p)
    assert out[0] == "0"
    assert out[1].split() == ["0", "0", "1"]
    assert out[2:] == [os.readlink(f"/proc/{init}/ns/{n}") for n in ("pid", "user", "mnt")]
    rbundle.delete("--force")


def test_ps_lists_the_init_and_exec_processes(rbundle):
    rbundle.args = ["sleep", "100"]
    rbundle.run("-d", check=True)
    init = rbundle.state()["pid"]
    r, w = os.pipe()
    exec_ = subprocess.Popen(rbundle.nook.prefix + [str(rbundle.nook.binary), "--root", rbundle.nook.root, "exec",
                                                    rbundle.id, "sh", "-c", "echo ready; exec sleep 100"],
                             stdout=w, stderr=subprocess.DEVNULL)
    os.close(w)
    assert os.read(r, 6) == b"ready\n"
    os.close(r)
    pids = json.loads(rbundle.nook("ps", "--format", "json", rbundle.id).stdout)
    assert init in pids and len(pids) == 2
    other = [p for p in pids if p != init][0]
    # The shell said ready just before it execs sleep.
    assert wait_for(lambda: open(f"/proc/{other}/cmdline").read().split("\0")[:2] == ["sleep", "100"])
    table = rbundle.nook("ps", rbundle.id).stdout.splitlines()
    assert "PID" in table[0] and len(table) == 3
    rbundle.delete("--force")
    exec_.wait(timeout=10)


def test_file_written_into_a_bind_mount_belongs_to_the_user(rbundle, rootless_user, rootless_area):
    shared = rootless_area.mkdir("shared")
    rbundle.config["mounts"].append({"destination": "/shared", "type": "bind", "source": str(shared),
                                     "options": ["rbind", "rw"]})
    p = rbundle.sh("touch /shared/made; nook-test-helper stat /shared/made")
    assert sh_lines(p)[0].endswith(" 0:0")
    st = os.stat(shared / "made")
    assert (st.st_uid, st.st_gid) == (rootless_user.uid, rootless_user.gid)


def test_subordinate_ranges_are_mapped_through_newuidmap(rbundle, rootless_user, rootless_area):
    map_ranges(rbundle, rootless_user)
    shared = rootless_area.mkdir("shared", 0o777)
    rbundle.config["mounts"].append({"destination": "/shared", "type": "bind", "source": str(shared),
                                     "options": ["rbind", "rw"]})
    p = rbundle.sh("cat /proc/self/uid_map /proc/self/gid_map; touch /shared/root /shared/other; "
                   "chown 1000:2000 /shared/other; su nobody -s /bin/sh -c 'id -u; touch /shared/nobody' || "
                   "nook-test-helper exit 0")
    out = sh_lines(p)
    sub_uid, n_uid = rootless_user.subuid
    sub_gid, n_gid = rootless_user.subgid
    assert [line.split() for line in out[:4]] == [["0", "0", "1"], ["1", "1", str(n_uid)],
                                                  ["0", "0", "1"], ["1", "1", str(n_gid)]]
    st = os.stat(shared / "root")
    assert (st.st_uid, st.st_gid) == (rootless_user.uid, rootless_user.gid)
    st = os.stat(shared / "other")
    assert (st.st_uid, st.st_gid) == (sub_uid + 999, sub_gid + 1999)
    assert maps_from_host(rbundle) == [[["0", str(rootless_user.uid), "1"], ["1", str(sub_uid), str(n_uid)]],
                                       [["0", str(rootless_user.gid), "1"], ["1", str(sub_gid), str(n_gid)]]]


def test_ranges_the_user_does_not_own_are_refused(rbundle, rootless_user):
    rbundle.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": rootless_user.uid, "size": 1},
                                              {"containerID": 1, "hostID": 1, "size": 10}]
    p = rbundle.run()
    assert p.returncode != 0
    assert "newuidmap" in p.stderr
    assert rbundle.nook.list_ids() == []


def test_devices_are_bound_from_the_host_with_its_permissions(rbundle):
    rbundle.config["linux"]["devices"] = [
        {"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11},
        {"path": "/dev/loop-control", "type": "c", "major": 10, "minor": 237, "fileMode": 0o666}]
    p = rbundle.sh("nook-test-helper stat /dev/kmsg; nook-test-helper stat /dev/loop-control; "
                   "nook-test-helper open-write /dev/loop-control; nook-test-helper mknod /dev/mine; "
                   "cat /proc/self/mountinfo")
    lines = p.stdout.splitlines()
    # The host's nodes, with the host's modes and owners (host root is nobody here).
    assert lines[0].startswith("c 1:11 0644 ")
    assert lines[1].startswith("c 10:237 0600 ")
    assert lines[2] == "open: EACCES"
    assert lines[3] == "mknod: EPERM"
    mounts = parse_mountinfo("\n".join(lines[4:]))
    assert mounts["/dev/kmsg"]["root"] == "/kmsg" and mounts["/dev/loop-control"]["root"] == "/loop-control"


def test_no_capability_over_the_host(rbundle):
    # No uts namespace: the hostname is the host's; root in the container may not change it,
    # nor turn swap off or set the clock. (This kernel loads no modules at all: finit_module
    # says ENOSYS to everyone, so it tells nothing.)
    rbundle.config["linux"]["namespaces"] = [ns for ns in rbundle.config["linux"]["namespaces"]
                                             if ns["type"] != "uts"]
    del rbundle.config["hostname"]
    # The kernel's capability checks are what is tested, not the seccomp profile.
    rbundle.config["linux"].pop("seccomp", None)
    caps = ["CAP_SYS_ADMIN", "CAP_SYS_TIME", "CAP_NET_ADMIN"]
    for kind in ("bounding", "effective", "permitted"):
        rbundle.config["process"]["capabilities"][kind] += caps
    before = os.uname().nodename
    p = rbundle.sh("nook-test-helper sethostname hacked; nook-test-helper swapoff /dev/null; "
                   "nook-test-helper set-clock; ip link set lo up && echo lo-up; grep CapEff /proc/self/status")
    lines = p.stdout.splitlines()
    assert lines[:3] == ["sethostname: EPERM", "swapoff: EPERM", "clock_settime: EPERM"]
    # Its own network namespace is its to manage.
    assert lines[3] == "lo-up"
    assert int(lines[4].split()[1], 16) & (1 << 21)  # CAP_SYS_ADMIN, in its own user namespace only
    assert os.uname().nodename == before


def test_terminal_over_the_console_socket(rbundle, rootless_area):
    """The pty comes from the container's devpts (mounted outside its user
    namespace, see test_rootless_locked.py): it is the program's controlling
    terminal and /dev/console, owned by the container's root."""
    from test_terminal import ConsoleSocket, pty_number, read_until_eof
    console = ConsoleSocket(rootless_area.path / "console.sock")
    os.chmod(console.path, 0o777)
    try:
        rbundle.config["process"]["terminal"] = True
        rbundle.args = ["sh", "-c", "echo $$; nook-test-helper tty; stat -L -c %t:%T /dev/console /proc/self/fd/0; "
                        "nook-test-helper stat /proc/self/fd/0"]
        rbundle.create("--console-socket", console.path)
        master = console.wait()
        rbundle.start()
        lines = read_until_eof(master).splitlines()
        assert lines[1] == f"tty=/dev/pts/{pty_number(master)} ctty=1 sid={lines[0]}"
        assert lines[2] == lines[3] and lines[2] != "5:1"
        assert lines[4].endswith(" 0:0")
    finally:
        console.close()
