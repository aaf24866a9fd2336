"""nook features: the OCI features structure of this build."""
import json

from conftest import NOOK
import subprocess


def features():
    return json.loads(subprocess.run([str(NOOK), "features"], capture_output=True, text=True, check=True).stdout)


def test_features_names_the_versions_and_every_hook():
    f = features()
    assert f["ociVersionMin"] == "1.0.0"
    assert f["ociVersionMax"].startswith("1.")
    assert f["hooks"] == ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]


def test_features_lists_namespaces_capabilities_and_mount_options():
    f = features()
    assert sorted(f["linux"]["namespaces"]) == sorted(["cgroup", "ipc", "mount", "network", "pid", "time", "user",
                                                       "uts"])
    caps = f["linux"]["capabilities"]
    assert {"CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"} <= set(caps)
    assert all(c.startswith("CAP_") for c in caps) and len(caps) == len(set(caps))
    options = set(f["mountOptions"])
    assert {"ro", "rw", "bind", "rbind", "nosuid", "nodev", "noexec", "rprivate", "rslave", "rro",
            "tmpcopyup"} <= options


def test_features_says_what_this_host_and_build_lack():
    linux = features()["linux"]
    assert linux["cgroup"] == {"v1": True, "v2": True, "systemd": False, "systemdUser": False, "rdma": False}
    # This test machine has neither AppArmor nor SELinux.
    assert linux["apparmor"] == {"enabled": False} and linux["selinux"] == {"enabled": False}
    assert linux["intelRdt"] == {"enabled": False}
    assert "enabled" in linux["seccomp"]


def test_features_takes_no_arguments():
    p = subprocess.run([str(NOOK), "features", "extra"], capture_output=True, text=True)
    assert p.returncode != 0
