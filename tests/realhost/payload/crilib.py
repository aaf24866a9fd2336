"""A small CRI client for the real-host rig (the kubelet's side of containerd's CRI plugin),
over gRPC with the subset of the CRI v1 API in cri.proto (compiled by rig.py): the pod's
slice made as the kubelet makes it, sandbox and container configurations."""
import os
import pathlib
import subprocess
import time
import uuid

import grpc

import cri_pb2 as api
import cri_pb2_grpc as rpc

SOCKET = "unix:///run/containerd/containerd.sock"
IMAGE = "localhost/busybox:realhost"


def sh(*argv, check=True):
    proc = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stdout}{proc.stderr}")
    return proc.stdout.strip()


def until(predicate, what, seconds=60, interval=0.2):
    end = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < end, f"still not true after {seconds} s: {what}"
        time.sleep(interval)


def unit(name, prop):
    return sh("systemctl", "show", "-P", prop, name)


def cgroup_of(pid):
    for line in pathlib.Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        if line.startswith("0::"):
            return line[3:]
    return None


def start_containerd(images=("pause", "busybox")):
    sh("systemctl", "start", "containerd.service")
    until(lambda: os.path.exists("/run/containerd/containerd.sock"), "containerd's socket")
    for image in images:
        sh("ctr", "-n", "k8s.io", "images", "import", f"/payload/images/{image}-oci.tar")


class Client:
    def __init__(self):
        channel = grpc.insecure_channel(SOCKET)
        self.runtime = rpc.RuntimeServiceStub(channel)
        self.images = rpc.ImageServiceStub(channel)


class Pod:
    """A pod as the kubelet (with the systemd cgroup driver) makes one: uid, its slice."""

    def __init__(self, runtime, lsm, logs):
        """lsm: NOOK_REALHOST_LSM (unconfined: ask for the unconfined AppArmor profile)."""
        self.runtime, self.unconfined, self.logs = runtime, lsm == "unconfined", pathlib.Path(logs)
        self.uid = str(uuid.uuid4())
        self.slice = f"kubepods-besteffort-pod{self.uid.replace('-', '_')}.slice"
        self.cgroup = f"/kubepods.slice/kubepods-besteffort.slice/{self.slice}"

    def make_slice(self):
        """The kubelet's systemd driver: a transient slice unit, its parents implied by the dashes."""
        sh("busctl", "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
           "org.freedesktop.systemd1.Manager", "StartTransientUnit", "ssa(sv)a(sa(sv))", self.slice, "replace",
           "4", "Description", "s", f"pod {self.uid}", "MemoryAccounting", "b", "true", "CPUAccounting", "b",
           "true", "TasksAccounting", "b", "true", "0")
        until(lambda: unit(self.slice, "ActiveState") == "active", f"{self.slice} active")

    def remove_slice(self):
        sh("systemctl", "stop", self.slice, check=False)

    def sandbox_config(self):
        self.logs.mkdir(parents=True, exist_ok=True)
        config = api.PodSandboxConfig(
            metadata=api.PodSandboxMetadata(name=f"realhost-{self.runtime}", uid=self.uid, namespace="default"),
            hostname=f"pod-{self.runtime}", log_directory=str(self.logs))
        config.linux.cgroup_parent = self.slice
        if self.unconfined:
            config.linux.security_context.apparmor.profile_type = api.SecurityProfile.Unconfined
        return config

    def container_config(self, name, command, memory=0):
        config = api.ContainerConfig(metadata=api.ContainerMetadata(name=name), image=api.ImageSpec(image=IMAGE),
                                     command=command, log_path=f"{name}.log")
        if memory:
            config.linux.resources.memory_limit_in_bytes = memory
        if self.unconfined:
            # The unconfined profile, in the old string field and in the SecurityProfile one.
            config.linux.security_context.apparmor_profile = "unconfined"
            config.linux.security_context.apparmor.profile_type = api.SecurityProfile.Unconfined
        return config
