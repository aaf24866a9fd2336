"""nook features: the OCI features structure of this build."""
import json

import subprocess

import pytest

from conftest import NOOK


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
    assert linux["cgroup"] == {"v1": True, "v2": True, "systemd": True, "systemdUser": True, "rdma": False}
    # The systemd driver applies them to the container's unit (tested in the real-host VM).
    assert "org.systemd.property." in features()["potentiallyUnsafeConfigAnnotations"]
    # What nook supports, whatever the host runs (this test machine has neither LSM).
    assert linux["apparmor"] == {"enabled": True} and linux["selinux"] == {"enabled": True}
    # Built in (applied where resctrl is mounted, refused where not: test_config_fields.py).
    assert linux["intelRdt"] == {"enabled": True, "schemata": True, "monitoring": True}
    assert "enabled" in linux["seccomp"]


def test_features_say_checkpoint_is_built_in_and_org_criu_config_changes_it():
    # runc's annotation of the same meaning (the features describe the build; criu on
    # the host is checked by `checkpoint` and `restore` themselves: test_checkpoint.py).
    f = features()
    assert f["annotations"]["org.nook.checkpoint.enabled"] == "true"
    assert "org.criu.config" in f["potentiallyUnsafeConfigAnnotations"]


def test_features_takes_no_arguments():
    p = subprocess.run([str(NOOK), "features", "extra"], capture_output=True, text=True)
    assert p.returncode != 0


def test_idmap_said_enabled_is_what_a_container_gets(bundle, tmp_path):
    # containerd reads mountExtensions.idmap and refuses idmapped mounts when it is off.
    assert features()["linux"]["mountExtensions"]["idmap"] == {"enabled": True}
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "file").write_text("x")  # root's on disk
    maps = [{"containerID": 0, "hostID": 1000, "size": 1}]
    bundle.config["mounts"].append({"destination": "/shared", "type": "bind", "source": str(shared),
                                    "options": ["rbind", "idmap"], "uidMappings": maps, "gidMappings": maps})
    p = bundle.sh("stat -c '%u:%g' /shared/file")
    if p.returncode != 0 and "invalid argument" in p.stderr:
        pytest.skip(f"this host's filesystem cannot be idmapped: {p.stderr.strip()}")
    # Through the mount, the disk's 0 is the mapping's host id (the container has no user namespace).
    assert (p.returncode, p.stdout) == (0, "1000:1000\n"), p.stderr
