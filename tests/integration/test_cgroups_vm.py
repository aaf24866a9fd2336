"""The cgroup2 tests, run in a VM (tests/vm/rig.py boots Debian's kernel with
cgroup2 and every controller delegated; tests/vm/tests.sh holds the tests).
Each VM test is one test here; the VM boots once for all of them."""
import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "vm"))
import rig  # noqa: E402


@pytest.fixture(scope="module")
def vm_results():
    results, _ = rig.run_vm()
    return results


@pytest.mark.parametrize("name", rig.test_names())
def test_cgroup2_in_a_vm(vm_results, name):
    if name not in vm_results:
        _, lines = vm_results.get("__vm__", (False, ["no result"]))
        pytest.fail(f"{name} did not run in the VM:\n" + "\n".join(lines))
    passed, log = vm_results[name]
    assert passed, "\n".join(log)
