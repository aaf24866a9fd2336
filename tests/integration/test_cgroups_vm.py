"""The cgroup tests that need a kernel of their own, run in a VM: tests/vm/rig.py
boots Debian's kernel with cgroup2 and every controller delegated, then as a
pure v1 host; tests/vm/tests.sh holds the tests. Each VM test is one test
here; the VM boots once per mode for all of them."""

import pytest

from support import load_rig  # noqa: E402

rig = load_rig("vm")


@pytest.fixture(scope="module")
def vm_results():
    return rig.run_vm()


@pytest.mark.parametrize("name", rig.test_names())
def test_cgroup2_in_a_vm(vm_results, name):
    if name not in vm_results:
        lines = [line for key, (_, log) in vm_results.items() if key.startswith("__vm_") for line in log]
        pytest.fail(f"{name} did not run in the VM:\n" + "\n".join(lines))
    passed, log = vm_results[name]
    assert passed, "\n".join(log)
