"""Checkpoint and restore for real: the real-host VM (tests/realhost/rig.py: Debian 12's
kernel and criu 3.17, systemd, cgroup v2) runs the scenario criu
(tests/realhost/payload/scenarios/criu.sh) for runc, the reference, and for nook: a counting
container checkpointed and restored counts on, --leave-running, a pre-dump then a dump, a bind
mount and the masks, stdio pipes, `podman container checkpoint`/`restore` at podman's defaults,
and nothing left behind. runc and nook share one boot, with AppArmor on."""
import pytest

from support import load_rig
from test_realhost import verdict  # (one reading of a check's result)

rig = load_rig("realhost")

SCENARIO = "criu"
RUNTIMES = ["runc", "nook"]


@pytest.fixture(scope="module")
def realhost():
    return rig.run_checks([SCENARIO], RUNTIMES)


# What runc gets wrong here, with the reason.
RUNC_KNOWN = {
    "criu_runc_host_cgroup2_options_unchanged": "runc lets criu mount cgroup2 anew, which resets the host's "
                                                 "cgroup2 options (nsdelegate, memory_recursiveprot): criu issue 3029",
    "criu_runc_nothing_left": "runc's restore under another id (lazy pages) lets criu put the processes back in the "
                              "checkpointed container's cgroup, which runc then cannot remove",
}


@pytest.mark.parametrize("name", rig.check_names([SCENARIO], ["runc"]))
def test_reference_runc(realhost, name):
    if name in RUNC_KNOWN:
        results = realhost["runc"]
        if not isinstance(results, rig.BootError) and name in results.checks and not results.checks[name][0]:
            pytest.xfail(RUNC_KNOWN[name])
    verdict(realhost["runc"], name)


@pytest.mark.parametrize("name", rig.check_names([SCENARIO], ["nook"]))
def test_nook(realhost, name):
    verdict(realhost["nook"], name)
