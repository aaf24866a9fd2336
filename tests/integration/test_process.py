"""process: args, env, cwd, user, umask, rlimits, capabilities,
noNewPrivileges, oomScoreAdj, sysctl, the fds the program gets, personality."""
import os
import subprocess

import pytest

from conftest import NOOK
from support import sh_lines

CAPS = ["CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
        "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
        "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
        "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
        "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
        "CHECKPOINT_RESTORE"]
SETS = {"bounding": "CapBnd", "effective": "CapEff", "inheritable": "CapInh", "permitted": "CapPrm",
        "ambient": "CapAmb"}


def mask(names):
    return sum(1 << CAPS.index(n.removeprefix("CAP_")) for n in names)


def status_of(text):
    return {k: v.strip() for k, v in (line.split(":", 1) for line in text.splitlines() if ":" in line)}


def caps_inside(bundle):
    status = status_of(bundle.sh("cat /proc/self/status").stdout)
    return {name: int(status[field], 16) for name, field in SETS.items()}


def host_status(pid="self"):
    return status_of(open(f"/proc/{pid}/status").read())


def test_args_reach_the_program_unchanged(bundle):
    bundle.args = ["sh", "-c", 'printf "%s|" "$@"', "sh", "a b", "", "c'd\"e"]
    assert bundle.run().stdout == "a b||c'd\"e|"


def test_args_zero_is_found_on_the_path_of_the_env(bundle):
    (bundle.rootfs / "usr" / "bin" / "only-here").write_text("#!/bin/sh\necho found\n")
    os.chmod(bundle.rootfs / "usr" / "bin" / "only-here", 0o755)
    bundle.config["process"]["env"] = ["PATH=/usr/bin"]
    bundle.args = ["only-here"]
    assert bundle.run().stdout == "found\n"


def test_env_is_exactly_the_configs(bundle):
    bundle.config["process"]["env"] = ["PATH=/bin", "FOO=bar baz", "EMPTY="]
    bundle.args = ["cat", "/proc/self/environ"]
    # (and HOME, which the config lacks, from the container's /etc/passwd: test_environment.py)
    assert bundle.run().stdout.split("\0") == ["PATH=/bin", "FOO=bar baz", "EMPTY=", "HOME=/root", ""]


def test_cwd_is_created_when_missing(bundle):
    assert bundle.config["root"]["readonly"]
    bundle.config["process"]["cwd"] = "/work/dir"
    assert bundle.sh("pwd").stdout == "/work/dir\n"
    assert (bundle.rootfs / "work" / "dir").is_dir()


def test_user_ids_groups_and_umask(bundle):
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1001, "additionalGids": [2000, 3000], "umask": 0o027}
    out = bundle.sh("grep -E '^(Uid|Gid|Groups):' /proc/self/status; nook-test-helper umask").stdout
    status = status_of(out)
    assert status["Uid"].split() == ["1000"] * 4
    assert status["Gid"].split() == ["1001"] * 4
    assert status["Groups"].split() == ["2000", "3000"]
    assert out.splitlines()[-1] == "0027"


def test_user_is_seen_from_the_host(bundle):
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1001, "additionalGids": [2000]}
    bundle.args = ["sleep", "30"]
    bundle.create()
    bundle.start()
    status = host_status(bundle.state()["pid"])
    assert status["Uid"].split()[0] == "1000" and status["Gid"].split()[0] == "1001"
    assert status["Groups"].split() == ["2000"]
    bundle.delete("--force")


def test_default_umask_is_0022(bundle):
    bundle.config["process"]["user"].pop("umask", None)
    assert bundle.run().returncode == 0
    bundle.args = ["nook-test-helper", "umask"]
    assert bundle.run().stdout == "0022\n"


def test_files_made_by_the_user_get_the_umask(bundle):
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000, "umask": 0o077}
    assert sh_lines(bundle.sh("touch /dev/shm/f && nook-test-helper stat /dev/shm/f")) == ["f 0:0 0600 1000:1000"]


def test_rlimits_are_set_inside_and_seen_from_the_host(bundle):
    bundle.config["process"]["rlimits"] = [
        {"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200},
        {"type": "RLIMIT_CORE", "soft": 0, "hard": 4096},
        {"type": "RLIMIT_NPROC", "soft": 300, "hard": 400},
    ]
    out = sh_lines(bundle.sh("nook-test-helper rlimit NOFILE; nook-test-helper rlimit CORE; "
                             "nook-test-helper rlimit NPROC"))
    assert out == ["100 200", "0 4096", "300 400"]
    bundle.args = ["sleep", "30"]
    bundle.create()
    limits = open(f"/proc/{bundle.state()['pid']}/limits").read()
    assert any(line.startswith("Max open files") and line.split()[3:5] == ["100", "200"]
               for line in limits.splitlines())
    bundle.delete()


def test_rlimit_above_what_the_caller_may_raise_fails(bundle):
    hard = int(subprocess.run(["sh", "-c", "ulimit -Hn"], capture_output=True, text=True).stdout)
    bundle.config["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": hard * 2, "hard": hard * 2}]
    p = bundle.run()
    if p.returncode == 0:
        pytest.skip("the caller may raise its limits (CAP_SYS_RESOURCE)")
    assert "RLIMIT_NOFILE" in p.stderr


def test_capabilities_of_root_are_the_configs(bundle):
    config = bundle.config["process"]["capabilities"]
    caps = caps_inside(bundle)
    # root's exec gives it its bounding set as effective and permitted.
    assert caps["bounding"] == mask(config["bounding"])
    assert caps["effective"] == caps["permitted"] == mask(config["permitted"])
    assert caps["inheritable"] == caps["ambient"] == 0


def test_all_five_capability_sets_of_a_user(bundle):
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    sets = {
        "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"],
        "permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"],
        "inheritable": ["CAP_NET_BIND_SERVICE", "CAP_NET_RAW"],
        "effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "ambient": ["CAP_NET_BIND_SERVICE"],
    }
    bundle.config["process"]["capabilities"] = sets
    caps = caps_inside(bundle)
    assert caps["bounding"] == mask(sets["bounding"])
    assert caps["inheritable"] == mask(sets["inheritable"])
    # A user's exec keeps only the ambient ones as permitted and effective.
    assert caps["ambient"] == caps["permitted"] == caps["effective"] == mask(sets["ambient"])


def test_ambient_capability_lets_a_user_bind_a_low_port(bundle):
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    bundle.args = ["nook-test-helper", "bind-port", "80"]
    names = ["CAP_NET_BIND_SERVICE"]
    bundle.config["process"]["capabilities"] = {k: names for k in SETS}
    assert bundle.run().stdout == "ok\n"
    bundle.config["process"]["capabilities"]["ambient"] = []
    assert bundle.run().stdout == "bind: EACCES\n"


def test_config_with_every_capability_gets_what_the_host_has(bundle):
    every = [f"CAP_{c}" for c in CAPS]
    bundle.config["process"]["capabilities"] = {k: every for k in SETS}
    host_bounding = int(host_status()["CapBnd"], 16)
    caps = caps_inside(bundle)
    assert caps["bounding"] == caps["effective"] == caps["permitted"] == host_bounding
    assert caps["inheritable"] == caps["ambient"] == host_bounding


def test_no_capability_beyond_the_config_from_the_host(bundle):
    bundle.config["process"]["capabilities"] = {k: ["CAP_KILL"] for k in ("bounding", "effective", "permitted")}
    bundle.args = ["sleep", "30"]
    bundle.create()
    bundle.start()
    status = host_status(bundle.state()["pid"])
    for field in ("CapBnd", "CapEff", "CapPrm"):
        assert int(status[field], 16) == mask(["CAP_KILL"]), field
    assert int(status["CapInh"], 16) == int(status["CapAmb"], 16) == 0
    bundle.delete("--force")


def test_absent_capabilities_keep_the_callers(bundle):
    del bundle.config["process"]["capabilities"]
    assert caps_inside(bundle)["bounding"] == int(host_status()["CapBnd"], 16)


@pytest.mark.parametrize("value", [True, False])
def test_no_new_privileges(bundle, value):
    bundle.config["process"]["noNewPrivileges"] = value
    assert status_of(bundle.sh("cat /proc/self/status").stdout)["NoNewPrivs"] == str(int(value))
    bundle.args = ["nook-test-helper", "nnp"]
    assert bundle.run().stdout == f"{int(value)}\n"


def test_no_new_privileges_is_set_before_start(bundle):
    bundle.args = ["true"]
    bundle.create()
    assert host_status(bundle.state()["pid"])["NoNewPrivs"] == "1"
    bundle.delete()


def test_oom_score_adj_above_the_callers(bundle):
    mine = int(open("/proc/self/oom_score_adj").read())
    value = min(mine + 500, 1000)
    bundle.config["process"]["oomScoreAdj"] = value
    assert bundle.sh("cat /proc/self/oom_score_adj").stdout == f"{value}\n"
    bundle.args = ["sleep", "30"]
    bundle.create()
    assert open(f"/proc/{bundle.state()['pid']}/oom_score_adj").read() == f"{value}\n"
    bundle.delete()
    assert int(open("/proc/self/oom_score_adj").read()) == mine


def test_oom_score_adj_below_the_callers_needs_cap_sys_resource(bundle):
    mine = int(open("/proc/self/oom_score_adj").read())
    value = max(mine - 500, -1000)
    bundle.config["process"]["oomScoreAdj"] = value
    bundle.args = ["cat", "/proc/self/oom_score_adj"]
    eff = int([l for l in open("/proc/self/status") if l.startswith("CapEff")][0].split()[1], 16)
    p = bundle.run()
    if eff & (1 << 24):  # CAP_SYS_RESOURCE: the kernel lets us lower it
        assert p.returncode == 0 and p.stdout == f"{value}\n"
    else:
        assert p.returncode != 0
        assert "process.oomScoreAdj" in p.stderr and len(p.stderr.splitlines()) == 1
        assert bundle.nook.list_ids() == []


def test_sysctls_are_set_in_the_containers_namespaces(bundle):
    host = {k: open(f"/proc/sys/{k}").read() for k in ("net/ipv4/ip_forward", "kernel/shmmax")}
    bundle.config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel.shmmax": "123456789"}
    out = sh_lines(bundle.sh("cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax"))
    assert out == ["1", "123456789"]
    assert {k: open(f"/proc/sys/{k}").read() for k in host} == host


def run_with_extra_fds(bundle, *options):
    """`nook run` with fds 3 and 4 open on a file (as an engine might leak them)."""
    bundle.args = ["nook-test-helper", "fds"]
    bundle.write()
    leaked = bundle.path / "leaked"
    leaked.write_text("")
    cmd = [str(NOOK), "--root", bundle.nook.root, "run", "--bundle", str(bundle.path), *options, bundle.id]
    p = subprocess.run(["sh", "-c", 'exec 3<"$0" 4<"$0"; exec "$@"', str(leaked), *cmd],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return dict(line.split(" ", 1) for line in p.stdout.splitlines())


def test_only_stdio_reaches_the_program(bundle):
    assert sorted(run_with_extra_fds(bundle)) == ["0", "1", "2"]


def test_preserve_fds_passes_the_next_ones(bundle):
    fds = run_with_extra_fds(bundle, "--preserve-fds", "1")
    assert sorted(fds) == ["0", "1", "2", "3"]
    assert fds["3"].endswith("/leaked")


def test_personality_linux32(bundle):
    bundle.config["linux"]["personality"] = {"domain": "LINUX32"}
    out = sh_lines(bundle.sh("nook-test-helper personality; uname -m"))
    assert out[0] == "0x8"
    assert out[1] in ("i686", "armv8l", "armv7l", "ppc", "s390")
