"""Config fields honoured or refused before anything is set up: each error names
the field, and nothing is left behind (the fixtures check)."""
import pytest


def refused(bundle, *words):
    p = bundle.run()
    assert p.returncode != 0
    for word in words:
        assert word in p.stderr, p.stderr
    assert bundle.nook.list_ids() == []
    return p


def test_deadline_scheduler_runtime_above_deadline_is_refused_before_clone(bundle):
    bundle.config["process"]["scheduler"] = {"policy": "SCHED_DEADLINE", "runtime": 30000000,
                                             "deadline": 20000000, "period": 40000000}
    refused(bundle, "process.scheduler.deadline: must not be less than the runtime")


def test_deadline_scheduler_without_runtime_is_refused(bundle):
    bundle.config["process"]["scheduler"] = {"policy": "SCHED_DEADLINE", "deadline": 20000000}
    refused(bundle, "process.scheduler.runtime")


@pytest.mark.parametrize("field", ["hostname", "domainname"])
def test_kernel_name_sysctl_beside_its_field_is_refused(bundle, field):
    bundle.config[field] = "from-the-field"
    bundle.config["linux"]["sysctl"] = {f"kernel.{field}": "from-the-sysctl"}
    refused(bundle, f'"kernel.{field}" conflicts with the "{field}" field')
