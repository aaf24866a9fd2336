"""nook check: what this host gives containers, for root and for an ordinary user.

The report is compared with what the test reads itself; where the host's
state can be changed without touching other users of the machine (a private
mount namespace over /etc/subuid, a user namespace of its own with its own
user.max_user_namespaces), the test changes it and sees the report follow.
"""
import json
import os
import pathlib
import re
import subprocess

from conftest import NOOK

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
STATUSES = {"ok", "warn", "missing"}
NS_FILES = {"mount": "mnt", "pid": "pid", "network": "net", "ipc": "ipc", "uts": "uts",
            "user": "user", "cgroup": "cgroup", "time": "time"}


def check(*prefix, fmt="json", nook=NOOK):
    p = subprocess.run([*prefix, str(nook), "check", "--format", fmt], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout) if fmt == "json" else p.stdout


def by_name(report):
    return {c["name"]: c for c in report["checks"]}


def subids(path, names):
    ranges = []
    for line in pathlib.Path(path).read_text().splitlines():
        fields = line.split(":")
        if len(fields) == 3 and fields[0] in names:
            ranges.append({"start": int(fields[1]), "count": int(fields[2])})
    return ranges


def cgroup_mode():
    def fstype(path):
        return subprocess.run(["stat", "-f", "-c", "%T", path], capture_output=True, text=True).stdout.strip()
    if fstype("/sys/fs/cgroup") == "cgroup2fs":
        return "v2"
    return "hybrid" if os.path.isdir("/sys/fs/cgroup/unified") and \
        fstype("/sys/fs/cgroup/unified") == "cgroup2fs" else "v1"


def test_check_as_root_matches_the_host():
    r = check()
    assert r["caller"] == {"uid": 0, "user": "root", "root": True}
    checks = by_name(r)
    assert all(c["status"] in STATUSES and c["value"] and c["meaning"] for c in r["checks"])
    assert checks["kernel"]["value"] == os.uname().release
    for ns, file in NS_FILES.items():
        present = os.path.lexists(f"/proc/self/ns/{file}")
        assert checks[f"namespace.{ns}"]["status"] == ("ok" if present else "missing"), ns
    sysctl = pathlib.Path("/proc/sys/user/max_user_namespaces").read_text().strip()
    assert checks["userns.unprivileged"]["sysctls"]["user.max_user_namespaces"] == sysctl
    assert checks["cgroup.mode"]["mode"] == cgroup_mode()
    assert checks["cgroup.delegation"]["status"] == "ok"
    assert checks["subuid"]["ranges"] == subids("/etc/subuid", {"root", "0"})
    assert checks["subuid"]["status"] == "ok"
    helper = checks["helper.newuidmap"]
    if os.path.exists("/usr/bin/newuidmap"):
        setuid = bool(os.stat("/usr/bin/newuidmap").st_mode & 0o4000)
        assert helper["value"] == f"/usr/bin/newuidmap ({'setuid' if setuid else 'not setuid'})"
    for name in ("clone3", "clone3.into_cgroup", "openat2", "mount_api", "idmapped_mounts", "pidfd",
                 "time_namespace", "seccomp", "seccomp.notify", "overlayfs"):
        assert name in checks, name
    # nook itself runs here, so what it cannot do without is here.
    assert {checks[n]["status"] for n in ("clone3", "openat2", "mount_api", "pidfd")} == {"ok"}


def test_check_reports_each_lsm_as_the_host_runs_it():
    checks = by_name(check())
    enabled = pathlib.Path("/sys/module/apparmor/parameters/enabled")
    apparmor = pathlib.Path("/sys/kernel/security/apparmor").is_dir() and enabled.exists() and \
        enabled.read_text().startswith("Y")
    enforce = pathlib.Path("/sys/fs/selinux/enforce")
    selinux = ("enforcing" if enforce.read_text().strip() == "1" else "permissive") if enforce.exists() else None
    assert checks["lsm.apparmor"]["value"].startswith("enabled" if apparmor else "disabled")
    assert checks["lsm.selinux"]["value"] == (selinux or "disabled")
    # The one LSM a host runs is enough; none at all is worth a warning.
    expected = "ok" if apparmor or selinux else "warn"
    assert {checks["lsm.apparmor"]["status"], checks["lsm.selinux"]["status"]} == {expected}
    meaning = checks["lsm.apparmor"]["meaning"]
    assert ("nook applies" if apparmor else "is refused") in meaning


def test_check_text_is_aligned_and_fits_100_columns():
    text = check(fmt="text")
    r = check()
    lines = text.splitlines()
    assert all(len(line) <= 100 for line in lines)
    rows = [line for line in lines if re.match(r"^(ok|warn|missing) ", line)]
    assert len(rows) == len(r["checks"])
    for row, c in zip(rows, r["checks"]):
        assert row.startswith(f"{c['status']:<8} {c['name']:<20} "), row
    counts = {s: sum(c["status"] == s for c in r["checks"]) for s in STATUSES}
    assert lines[-1] == f"{counts['ok']} ok, {counts['warn']} warn, {counts['missing']} missing"


def test_check_as_an_ordinary_user(user_nook):
    r = check(*NOBODY, nook=user_nook)
    assert r["caller"] == {"uid": 65534, "user": "nobody", "root": False}
    checks = by_name(r)
    if not subids("/etc/subuid", {"nobody", "65534"}):
        assert checks["subuid"]["status"] == "warn"
        assert "rootless containers will get a single uid" in checks["subuid"]["meaning"]
    # Whether nobody may write its own cgroup2 directory, asked as nobody.
    own = pathlib.Path("/proc/self/cgroup").read_text()
    delegation = checks["cgroup.delegation"]
    if "(writable)" in delegation["value"] or "(not writable)" in delegation["value"]:
        directory = delegation["value"].rsplit(" (", 1)[0]
        writable = subprocess.run([*NOBODY, "test", "-w", directory, "-a", "-w",
                                   f"{directory}/cgroup.procs"]).returncode == 0
        assert delegation["status"] == ("ok" if writable else "warn"), (own, delegation)
    assert checks["idmapped_mounts"]["status"] == "warn"
    assert {checks[n]["status"] for n in ("clone3", "openat2", "pidfd")} == {"ok"}


def test_subid_ranges_follow_etc_subuid(tmp_path, user_nook):
    """/etc/subuid and /etc/subgid replaced in a private mount namespace only."""
    (tmp_path / "subuid").write_text("someone:1:2\nnobody:200000:65536\n65534:300000:1000\n")
    (tmp_path / "subgid").write_text("nobody:400000:65536\n")
    for f in ("subuid", "subgid"):
        os.chmod(tmp_path / f, 0o644)
    script = (f"mount --bind {tmp_path}/subuid /etc/subuid && mount --bind {tmp_path}/subgid /etc/subgid && "
              f"exec {' '.join(NOBODY)} {user_nook} check --format json")
    p = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    checks = by_name(json.loads(p.stdout))
    assert checks["subuid"]["status"] == "ok"
    assert checks["subuid"]["ranges"] == [{"start": 200000, "count": 65536}, {"start": 300000, "count": 1000}]
    assert checks["subuid"]["value"] == "200000-265535, 300000-300999 (66536 uids)"
    assert checks["subgid"]["ranges"] == [{"start": 400000, "count": 65536}]


def test_unprivileged_user_namespaces_follow_the_sysctl():
    """user.max_user_namespaces is per user namespace: set it to 0 in one of the test's own."""
    # Mapped to uid 0 only after unshare, the shell execs again to get its capabilities there.
    inner = f"echo 0 > /proc/sys/user/max_user_namespaces && exec {NOOK} check --format json"
    script = f"echo ready; read go && exec sh -c '{inner}'"
    p = subprocess.Popen(["unshare", "--user", "sh", "-c", script], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.stdout.readline() == "ready\n"  # the shell runs: unshare(2) is done
    for name in ("uid_map", "gid_map"):
        pathlib.Path(f"/proc/{p.pid}/{name}").write_text("0 0 65536\n")
    out, err = p.communicate("go\n", timeout=60)
    assert p.returncode == 0, err
    userns = by_name(json.loads(out))["userns.unprivileged"]
    assert userns["sysctls"]["user.max_user_namespaces"] == "0"
    assert userns["status"] == "warn"
    assert userns["value"].startswith("refused")
    assert by_name(check())["userns.unprivileged"]["value"].startswith("allowed")
