"""The engines at their defaults on a real distribution: tests/realhost/rig.py boots a Debian 12
VM (systemd as PID 1, cgroup v2, AppArmor) and runs podman (root and rootless), docker and
containerd's CRI plugin there, each with its default (systemd) cgroup manager, driving an OCI
runtime: runc as the reference, which shows the rig itself works, and nook. Each check of each
scenario is one test here; the VM boots once for all the runs of one configuration (the
image is built on the first run and cached under build/realhost/). nook runs with the
engines' default AppArmor profiles, as runc does (rig.NOOK_LSM)."""
import os

import pytest

from support import load_rig  # noqa: E402

rig = load_rig("realhost")

# nook's runs (NOOK_REALHOST_NOOK=0 leaves them out, e.g. to check the rig alone).
NOOK_RUNS = os.environ.get("NOOK_REALHOST_NOOK", "1") == "1"
NOOK_SKIP = "NOOK_REALHOST_NOOK=0: nook's runs left out"
RUNTIMES = ["runc"] + (["nook"] if NOOK_RUNS else [])


@pytest.fixture(scope="module")
def realhost():
    return rig.run_checks(rig.SCENARIOS, RUNTIMES)


def verdict(results, name):
    """The check `name` of one boot's Results (or the BootError that stopped it)."""
    if isinstance(results, rig.BootError):
        pytest.fail(str(results))
    if name not in results.checks:
        pytest.fail(f"{name} did not run in the VM; its driver said:\n{results.text[-4000:]}")
    passed, log = results.checks[name]
    assert passed, "\n".join(log)


@pytest.mark.parametrize("name", rig.check_names(rig.SCENARIOS, ["runc"]))
def test_reference_runc(realhost, name):
    verdict(realhost["runc"], name)


@pytest.mark.skipif(not NOOK_RUNS, reason=NOOK_SKIP)
@pytest.mark.parametrize("name", rig.check_names(rig.SCENARIOS, ["nook"]))
def test_nook(realhost, name):
    verdict(realhost["nook"], name)
