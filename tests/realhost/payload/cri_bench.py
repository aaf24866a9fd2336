"""The CRI series of the real-host benchmark (run by `bench`): in one pod, N times a container
`true` created, started, waited for and removed. Prints `BENCH cri RUNTIME median min max`."""
import os
import statistics
import sys
import time

import crilib
from crilib import api

runtime = os.environ["RUNTIME"]
n = int(sys.argv[1])
client = crilib.Client()
pod = crilib.Pod(runtime, os.environ.get("NOOK_REALHOST_LSM", "on"), f"/run/realhost/bench-logs-{runtime}")
pod.make_slice()
config = pod.sandbox_config()
pod_id = client.runtime.RunPodSandbox(api.RunPodSandboxRequest(config=config, runtime_handler=runtime),
                                      timeout=300).pod_sandbox_id
times = []
try:
    for i in range(n + 1):
        start = time.monotonic()
        cid = client.runtime.CreateContainer(api.CreateContainerRequest(
            pod_sandbox_id=pod_id, config=pod.container_config(f"c{i}", ["true"]), sandbox_config=config),
            timeout=300).container_id
        client.runtime.StartContainer(api.StartContainerRequest(container_id=cid), timeout=300)
        crilib.until(lambda: client.runtime.ContainerStatus(api.ContainerStatusRequest(container_id=cid), timeout=60)
                     .status.state == api.CONTAINER_EXITED, "the container's exit", interval=0.02)
        client.runtime.RemoveContainer(api.RemoveContainerRequest(container_id=cid), timeout=300)
        if i:  # the first one warms up
            times.append(time.monotonic() - start)
finally:
    client.runtime.StopPodSandbox(api.StopPodSandboxRequest(pod_sandbox_id=pod_id), timeout=300)
    client.runtime.RemovePodSandbox(api.RemovePodSandboxRequest(pod_sandbox_id=pod_id), timeout=300)
    pod.remove_slice()
times.sort()
print(f"BENCH cri {runtime} {statistics.median(times):.3f} {times[0]:.3f} {times[-1]:.3f}")
