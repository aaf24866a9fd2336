"""containerd's CRI plugin as the kubelet drives it, with `SystemdCgroup = true` for the runtime
handler named $RUNTIME (the runc v2 shim with BinaryName = the runtime under test; see
/etc/containerd/config.toml in the image). The pod's slice is made beforehand as the kubelet
makes it (a transient kubepods-besteffort-pod<uid>.slice); a pod sandbox (the local pause image)
and a container run in it; exec, stop and removal; then the kubelet's part: the pod slice is
stopped, and nothing the containers made is left."""
import json
import os
import pathlib

import crilib
from crilib import api, cgroup_of, unit, until

RUNTIME = os.environ["RUNTIME"]
LSM = os.environ.get("NOOK_REALHOST_LSM", "on")
MB = 1 << 20
pod = crilib.Pod(RUNTIME, LSM, pathlib.Path(os.environ["STATE"]) / "logs")
state = {}


def eq(got, want, what):
    assert got == want, f"{what}: expected {want!r}, got {got!r}"


def need(key):
    assert key in state, f"no {key}: an earlier check failed"
    return state[key]


def client():
    if "client" not in state:
        state["client"] = crilib.Client()
    return state["client"].runtime


def check_containerd_and_images():
    crilib.start_containerd()
    version = client().Version(api.VersionRequest(version="v1"), timeout=60)
    print(f"{version.runtime_name} {version.runtime_version} CRI {version.runtime_api_version}")
    image = api.ImageSpec(image=crilib.IMAGE)
    status = state["client"].images.ImageStatus(api.ImageStatusRequest(image=image), timeout=60)
    assert status.image.id, f"CRI does not see {crilib.IMAGE}"


def check_pod_slice_made_as_the_kubelet_does():
    pod.make_slice()
    eq(unit(pod.slice, "ControlGroup"), pod.cgroup, "the pod slice's cgroup")


def in_scope(got, scope, what):
    assert got in (scope, f"{scope}/container"), f"{what}: expected {scope!r} or its container leaf, got {got!r}"


def check_run_pod_sandbox():
    response = client().RunPodSandbox(api.RunPodSandboxRequest(config=pod.sandbox_config(), runtime_handler=RUNTIME),
                                      timeout=180)
    state["pod"] = response.pod_sandbox_id
    status = client().PodSandboxStatus(api.PodSandboxStatusRequest(pod_sandbox_id=state["pod"], verbose=True),
                                       timeout=60)
    eq(status.status.state, api.SANDBOX_READY, "sandbox state")
    eq(status.status.runtime_handler, RUNTIME, "runtime handler")
    scope = f"cri-containerd-{state['pod']}.scope"
    eq(unit(scope, "ActiveState"), "active", f"{scope} ActiveState")
    eq(unit(scope, "Slice"), pod.slice, f"{scope} Slice")
    pid = json.loads(status.info["info"])["pid"]
    # In the scope itself (runc) or in a leaf the runtime delegated below it (crun, nook:
    # "<scope>/container"): either way under the pod's slice, in the scope systemd knows.
    in_scope(cgroup_of(pid), f"{pod.cgroup}/{scope}", "the sandbox's cgroup")


def check_create_and_start_container():
    config = pod.container_config("main", ["sh", "-c", "echo started; exec sleep 1000"], memory=64 * MB)
    created = client().CreateContainer(api.CreateContainerRequest(
        pod_sandbox_id=need("pod"), config=config, sandbox_config=pod.sandbox_config()), timeout=180)
    state["container"] = created.container_id
    client().StartContainer(api.StartContainerRequest(container_id=state["container"]), timeout=180)
    status = client().ContainerStatus(api.ContainerStatusRequest(container_id=state["container"], verbose=True),
                                      timeout=60)
    eq(status.status.state, api.CONTAINER_RUNNING, "container state")
    scope = f"cri-containerd-{state['container']}.scope"
    eq(unit(scope, "ActiveState"), "active", f"{scope} ActiveState")
    eq(unit(scope, "Slice"), pod.slice, f"{scope} Slice")
    eq(unit(scope, "MemoryMax"), str(64 * MB), f"{scope} MemoryMax")
    cgroup = cgroup_of(json.loads(status.info["info"])["pid"])
    assert cgroup.startswith(f"{pod.cgroup}/{scope}"), f"the container's cgroup {cgroup} is not in {scope}"
    eq(pathlib.Path(f"/sys/fs/cgroup{cgroup}/memory.max").read_text().strip(), str(64 * MB), "memory.max")
    until(lambda: "started" in (pod.logs / "main.log").read_text(errors="replace"), "the container's log")


def exec_sync(*cmd):
    return client().ExecSync(api.ExecSyncRequest(container_id=need("container"), cmd=cmd, timeout=60), timeout=120)


def check_exec_sync():
    response = exec_sync("echo", "exec works")
    eq((response.exit_code, response.stdout), (0, b"exec works\n"), "exec")
    eq(exec_sync("sh", "-c", "exit 5").exit_code, 5, "exec exit status")
    label = exec_sync("cat", "/proc/self/attr/current").stdout.decode().strip()
    if LSM == "unconfined":
        eq(label, "unconfined", "AppArmor label (asked for unconfined)")
    elif LSM == "off":
        enabled = pathlib.Path("/sys/module/apparmor/parameters/enabled").read_text().strip()
        eq(enabled, "N", "AppArmor enabled (booted with it off)")
        assert "(enforce)" not in label, f"an AppArmor label with AppArmor off: {label}"
    else:
        eq(label, "cri-containerd.apparmor.d (enforce)", "AppArmor label")


def check_stop_and_remove_container():
    scope = f"cri-containerd-{need('container')}.scope"
    client().StopContainer(api.StopContainerRequest(container_id=state["container"], timeout=2), timeout=120)
    status = client().ContainerStatus(api.ContainerStatusRequest(container_id=state["container"]), timeout=60)
    eq(status.status.state, api.CONTAINER_EXITED, "container state after stop")
    client().RemoveContainer(api.RemoveContainerRequest(container_id=state.pop("container")), timeout=120)
    until(lambda: unit(scope, "ActiveState") == "inactive", f"{scope} gone")


def check_stop_and_remove_pod_sandbox():
    scope = f"cri-containerd-{need('pod')}.scope"
    client().StopPodSandbox(api.StopPodSandboxRequest(pod_sandbox_id=state["pod"]), timeout=120)
    client().RemovePodSandbox(api.RemovePodSandboxRequest(pod_sandbox_id=state.pop("pod")), timeout=120)
    until(lambda: unit(scope, "ActiveState") == "inactive", f"{scope} gone")


def check_nothing_left():
    # What an earlier failed check left is removed (and this check fails): the next scenarios start clean.
    leftover = [key for key in ("container", "pod") if key in state]
    if "container" in state:
        client().RemoveContainer(api.RemoveContainerRequest(container_id=state["container"]), timeout=120)
    if "pod" in state:
        client().StopPodSandbox(api.StopPodSandboxRequest(pod_sandbox_id=state["pod"]), timeout=120)
        client().RemovePodSandbox(api.RemovePodSandboxRequest(pod_sandbox_id=state["pod"]), timeout=120)
    # The kubelet removes the pod's slice once the pod is gone.
    pod.remove_slice()
    units = crilib.sh("systemctl", "list-units", "--all", "--plain", "--no-legend", "cri-containerd-*", pod.slice)
    cgroups = crilib.sh("find", "/sys/fs/cgroup", "-type", "d", "(", "-name", "cri-containerd-*", "-o", "-name",
                        pod.slice, ")")
    assert not leftover and not units and not cgroups, \
        f"left behind: {leftover} units {units!r}, cgroups {cgroups!r}"
