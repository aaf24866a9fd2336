"""LSM labels applied for real, in the real-host VM (tests/realhost/rig.py): one boot with AppArmor
runs scenarios/lsm.sh (a profile of the test's own loaded with apparmor_parser: the init, exec'd
processes, --apparmor, a process file, stacking under no_new_privs when the runtime is confined,
an image with a fake /proc, a profile that is not loaded), one boot with security=selinux runs
scenarios/selinux.sh (permissive: the contexts of the processes, the session keyring and every
filesystem the runtime mounts; bad labels refused; enforcing for one run, the policy's refusal of
the transition to the label reaches the user). Each boot runs runc, the reference, and nook,
so that a failure of the rig and one of nook are told apart. This host has no LSM: what it can
check is in test_hardening.py (refusals) and tests/unit/test_lsm.c."""
import pathlib

import pytest

REALHOST = pathlib.Path(__file__).resolve().parents[1] / "realhost"
if not (REALHOST / "rig.py").exists():
    pytest.skip("the real-host rig (tests/realhost) is not in this tree", allow_module_level=True)
from support import load_rig  # noqa: E402
from test_realhost import verdict  # noqa: E402  (one reading of a check's result)

rig = load_rig("realhost")

SCENARIOS = {"apparmor": "lsm", "selinux": "selinux"}
RUNTIMES = ["runc", "nook"]


@pytest.fixture(scope="module")
def boots():
    """{boot configuration: Results, or the BootError of that boot}, each booted once when first needed."""
    return {}


def results_of(boots, config):
    if config not in boots:
        items = [{"kind": "scenario", "name": SCENARIOS[config], "runtime": r} for r in RUNTIMES]
        # Labels on for every runtime: these scenarios are about applying them.
        plan = {"lsm": {r: "on" for r in RUNTIMES}, "runtimes": rig.RUNTIMES, "items": items}
        try:
            boots[config] = rig.boot(plan, config)
        except rig.BootError as e:
            boots[config] = e
    return boots[config]


CASES = [(config, name) for config, scenario in SCENARIOS.items() for name in rig.check_names([scenario], RUNTIMES)]


@pytest.mark.parametrize("config,name", CASES, ids=[name for _, name in CASES])
def test_lsm_in_the_vm(boots, config, name):
    verdict(results_of(boots, config), name)
