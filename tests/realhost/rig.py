#!/usr/bin/python3
"""The real-host rig: a Debian 12 system booted under qemu with Debian's kernel and systemd
as PID 1 (pure cgroup v2, AppArmor on, D-Bus), podman, docker, containerd's CRI plugin, runc,
crun and criu inside, where the engines drive an OCI runtime at their default (systemd)
cgroup manager.

The root is built once from Debian's archive with mmdebstrap (the recipe: image/) into an
ext4 image (mkfs.ext4 -d, no loop mount), cached under build/realhost/image-<hash of the
recipe>/ with the kernel and a tiny initramfs that mounts it and hands over to systemd. Each
boot gets the root through a throwaway overlay (qemu's snapshot=on: the cached image is never
written) and a second small disk, the payload: nook, nook-systemd (when built), the test
helper, payload/ (the driver `run`, the scenarios, the CRI client), local images and the plan
of the boot. realhost.service, ordered after multi-user.target, runs the driver, which writes
to the second serial port one line per check:

    REALHOST ok NAME | REALHOST not ok NAME | REALHOST# <log of a failed check>
    REALHOST time NAME SECONDS | REALHOST done

then powers off. A check's NAME is SCENARIO_RUNTIME_CHECK (podman_runc_run_prints_output).

    tests/realhost/rig.py build                       build (or find) the image
    tests/realhost/rig.py check [--runtime R]... [SCENARIO...]
    tests/realhost/rig.py scenario NAME --runtime nook|runc|crun
    tests/realhost/rig.py run SCRIPT [--selinux]      run a script as root in the VM, print its output
    tests/realhost/rig.py bench [--runtime R]... [-n N]
    tests/realhost/rig.py names                       the checks, as pytest knows them

Environment: NOOK_REALHOST_LSM (how nook's runs meet LSM labels, see NOOK_LSM below),
NOOK_REALHOST_CPU (qemu's CPU model under TCG), NOOK_REALHOST_TIMEOUT (seconds for one
boot), NOOK_REALHOST_CACHE (instead of build/realhost). Logs of the last boots:
build/realhost/boots/CONFIG-PID/{console,results}.log.
"""
import argparse
import fcntl
import hashlib
import io
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

RIG = pathlib.Path(__file__).resolve().parent
REPO = RIG.parents[1]
sys.path.insert(0, str(REPO / "tests" / "vm"))
from vmboot import boot_kvm_or_tcg, busybox_tree, qemu_binary, write_initramfs  # noqa: E402

BUILD = REPO / "build"
CACHE = pathlib.Path(os.environ.get("NOOK_REALHOST_CACHE", BUILD / "realhost"))
RECIPE = RIG / "image"
PAYLOAD = RIG / "payload"
SCENARIOS = ["systemd", "podman", "rootless", "docker", "cri"]
# The OCI runtime a scenario drives, as the VM sees it.
RUNTIMES = {"runc": "/usr/bin/runc", "crun": "/usr/bin/crun", "nook": "/payload/nook"}
# Boot configurations: the kernel command line's LSM.
# noapparmor: the same host with AppArmor off, where the engines send no label. Its LSMs are
# named: with apparmor=0 alone the kernel starts SELinux (without a policy) in its place, and
# podman then mounts with context= options that fail.
CONFIGS = {"apparmor": "apparmor=1 security=apparmor", "selinux": "security=selinux selinux=1 enforcing=0",
           "noapparmor": "apparmor=0 lsm=lockdown,capability,landlock,yama,bpf"}
# How nook's runs meet LSM labels (NOOK_REALHOST_LSM):
#   on          the engines' defaults (docker-default, containers-default-*, CRI's profile), as
#               for runc and crun, which always run with them: nook applies them;
#   unconfined  the engines are asked for the unconfined profile (podman and docker
#               --security-opt apparmor=unconfined, CRI's Unconfined profile);
#   off         they boot with AppArmor off (config noapparmor): the engines send no label at all.
NOOK_LSM = os.environ.get("NOOK_REALHOST_LSM", "on")


def lsm_of(runtime):
    return NOOK_LSM if runtime == "nook" else "on"


def boots_for(runtimes, config):
    """{boot configuration: runtimes}: the runtimes whose labels are off boot without AppArmor."""
    boots = {}
    for r in runtimes:
        boots.setdefault("noapparmor" if lsm_of(r) == "off" else config, []).append(r)
    return boots
SOURCES = """deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
"""
# Bump when build_image's steps change in a way the recipe files do not show.
BUILD_STEPS = "1"
# The modules the initramfs loads to mount the root: the virtio disk and ext4 (with crc32c).
INITRAMFS_MODULES = ["virtio_pci", "virtio_blk", "crc32c_generic", "ext4"]
IMAGE_SLACK = 3 << 30
TIMEOUT = int(os.environ.get("NOOK_REALHOST_TIMEOUT", "2400"))
KVM_TIMEOUT = 20  # the initramfs speaks within seconds when KVM works
# A guest whose driver has not started within START_TIMEOUT seconds (it starts after 20-70 s),
# or whose kernel reports a soft lockup, is hung: seen once under TCG with two vCPUs both
# stuck early in boot. It is killed and booted once more.
START_TIMEOUT = 420
HUNG = re.compile(rb"soft lockup - CPU#\d+ stuck for (\d+)s")
HUNG_SECONDS = 120  # a starved but healthy guest may report shorter lockups
MARKER = b"realhost: initramfs"
# Under TCG, qemu64 boots in half the time of `max`: with AVX2 offered, glibc and Go use it,
# and TCG emulates it slowly.
TCG_CPU = os.environ.get("NOOK_REALHOST_CPU", "qemu64")


def log(message):
    print(f"realhost: {message}", file=sys.stderr, flush=True)


# ---- the image ----

def recipe_key():
    """A hash of the recipe: every file under image/ (name, exec bit, content) and BUILD_STEPS."""
    h = hashlib.sha256(f"steps {BUILD_STEPS}\n{SOURCES}".encode())
    for f in sorted(p for p in RECIPE.rglob("*") if p.is_file()):
        h.update(f"{f.relative_to(RECIPE)} {f.stat().st_mode & 0o100:o}\n".encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def packages():
    lines = (RECIPE / "packages").read_text().splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def unmount_below(path):
    """Unmounts whatever an interrupted mmdebstrap left mounted below path, deepest first."""
    path = str(path.resolve())
    mounts = [line.split()[4] for line in open("/proc/self/mountinfo")]
    for m in sorted((m for m in mounts if m.startswith(path + "/")), key=len, reverse=True):
        subprocess.run(["umount", "-l", m], check=False)


def remove_tree(path):
    if path.exists():
        unmount_below(path)
        subprocess.run(["rm", "-rf", "--one-file-system", str(path)], check=True)


def module_order(root, names):
    """The .ko files (relative to the kernel's module dir) that load names, dependencies first."""
    kdir = next((root / "lib" / "modules").iterdir())
    deps = {}
    for line in (kdir / "modules.dep").read_text().splitlines():
        mod, _, rest = line.partition(":")
        deps[mod] = rest.split()
    by_name = {pathlib.Path(m).name.split(".ko")[0].replace("-", "_"): m for m in deps}
    order = []

    def visit(mod):
        for d in reversed(deps[mod]):
            visit(d)
        if mod not in order:
            order.append(mod)

    for name in names:
        visit(by_name[name])
    return kdir, order


def build_initramfs(root, out):
    """busybox, the modules that mount the root disk, and image/init."""
    kdir, modules = module_order(root, INITRAMFS_MODULES)
    with tempfile.TemporaryDirectory() as d:
        tree = pathlib.Path(d) / "initramfs"
        busybox_tree(tree)
        shutil.copy2(RECIPE / "init", tree / "init")
        (tree / "lib" / "modules").mkdir(parents=True)
        for m in modules:
            shutil.copy2(kdir / m, tree / "lib" / "modules" / pathlib.Path(m).name)
        (tree / "modules").write_text("".join(pathlib.Path(m).name + "\n" for m in modules))
        write_initramfs(tree, out)


def make_ext4(source, out, label, slack):
    """An ext4 image of the directory source (mkfs.ext4 -d: no loop mount), sparse."""
    used = int(subprocess.run(["du", "-sb", str(source)], capture_output=True, text=True,
                              check=True).stdout.split()[0])
    size = (int(used * 1.3) + slack + (1 << 20) - 1) >> 20
    out.unlink(missing_ok=True)
    subprocess.run(["truncate", "-s", f"{size}M", str(out)], check=True)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", label, "-m", "0", "-E", "root_owner=0:0", "-d", str(source),
                    str(out)], check=True, capture_output=True)


def build_image(force=False):
    """The cached image directory (root.img, vmlinuz, initramfs.gz, timings.json); built when the
    recipe changed. Holds a lock so that two runs build it once."""
    for tool in ("mmdebstrap", "mkfs.ext4"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is missing: run make setup")
    key = recipe_key()
    out = CACHE / f"image-{key}"
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (out / "timings.json").exists() and not force:
            return out
        work = CACHE / f"building-{key}"
        remove_tree(work)
        work.mkdir()
        root = work / "root"
        (work / "sources.list").write_text(SOURCES)
        timings = {}
        start = time.monotonic()
        log(f"building the image {key} (mmdebstrap, about 2 minutes)")
        cmd = ["mmdebstrap", "--mode=root", "--variant=apt", "--include=" + ",".join(packages()),
               "--hook-dir=/usr/share/mmdebstrap/hooks/eatmydata",
               # No initramfs of Debian's: the rig boots its own.
               "--essential-hook=chroot \"$1\" dpkg-divert --quiet --local --rename --add /usr/sbin/update-initramfs"
               " && ln -s /bin/true \"$1/usr/sbin/update-initramfs\"",
               "--dpkgopt=path-exclude=/usr/share/man/*", "--dpkgopt=path-exclude=/usr/share/doc/*",
               "--dpkgopt=path-include=/usr/share/doc/*/copyright", "--dpkgopt=path-exclude=/usr/share/locale/*",
               "--dpkgopt=path-exclude=/usr/share/info/*",
               f"--customize-hook=cp -r --preserve=mode '{RECIPE / 'files'}/.' \"$1/\"",
               f"--customize-hook=chroot \"$1\" /bin/sh -s < '{RECIPE / 'customize.sh'}'",
               "bookworm", str(root), str(work / "sources.list")]
        with open(work / "mmdebstrap.log", "w") as mlog:
            proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=mlog, stderr=subprocess.STDOUT)
        if proc.returncode != 0:
            tail = (work / "mmdebstrap.log").read_text(errors="replace").splitlines()[-30:]
            remove_tree(root)
            raise RuntimeError("mmdebstrap failed:\n" + "\n".join(tail))
        timings["mmdebstrap"] = round(time.monotonic() - start, 1)
        t = time.monotonic()
        shutil.copy2(next((root / "boot").glob("vmlinuz-*")), work / "vmlinuz")
        build_initramfs(root, work / "initramfs.gz")
        make_ext4(root, work / "root.img", "realhost", IMAGE_SLACK)
        timings["image"] = round(time.monotonic() - t, 1)
        timings["total"] = round(time.monotonic() - start, 1)
        remove_tree(root)
        (work / "timings.json").write_text(json.dumps(timings) + "\n")
        remove_tree(out)
        work.rename(out)
        for old in CACHE.glob("image-*"):
            if old != out:
                remove_tree(old)
        log(f"image built in {timings['total']} s ({timings})")
        return out


# ---- the payload ----

def tar_of(tree):
    """A deterministic tar of the directory tree (owner root, mtime 0)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(tree.rglob("*")):
            info = tar.gettarinfo(str(path), arcname=str(path.relative_to(tree)))
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.mtime = 0
            if info.isreg():
                with open(path, "rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
    return buf.getvalue()


def oci_archive(layer, name, cmd):
    """An OCI image layout as a tar (what `ctr images import` takes): one uncompressed layer."""
    def blob(data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        return digest, data

    layer_digest, _ = blob(layer)
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {"Cmd": cmd, "Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]},
                         "rootfs": {"type": "layers", "diff_ids": [layer_digest]}}, sort_keys=True).encode()
    config_digest, _ = blob(config)
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": config_digest, "size": len(config)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                       "digest": layer_digest, "size": len(layer)}]}, sort_keys=True).encode()
    manifest_digest, _ = blob(manifest)
    index = json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest_digest,
        "size": len(manifest), "platform": {"architecture": "amd64", "os": "linux"},
        "annotations": {"io.containerd.image.name": name,
                        "org.opencontainers.image.ref.name": name.rsplit(":", 1)[1]}}]}).encode()
    files = {"oci-layout": b'{"imageLayoutVersion":"1.0.0"}', "index.json": index}
    for data in (layer, config, manifest):
        files["blobs/sha256/" + hashlib.sha256(data).hexdigest()] = data
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for d in ("blobs", "blobs/sha256"):
            info = tarfile.TarInfo(d)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def pause_binary():
    """payload/pause.c built static (the CRI sandbox's process)."""
    src, out = PAYLOAD / "pause.c", CACHE / "pause"
    if not out.exists() or out.stat().st_mtime < src.stat().st_mtime:
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(["gcc", "-std=c11", "-O2", "-Wall", "-Wextra", "-static", "-o", str(out), str(src)], check=True)
    return out


def write_images(dest):
    """images/: busybox.tar (a rootfs, for podman and docker import), busybox-oci.tar and
    pause-oci.tar (OCI layouts for containerd)."""
    dest.mkdir()
    with tempfile.TemporaryDirectory() as d:
        tree = pathlib.Path(d) / "busybox"
        busybox_tree(tree)
        shutil.copy2(BUILD / "nook-test-helper", tree / "bin" / "nook-test-helper")
        os.chmod(tree / "tmp", 0o1777)
        (tree / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n")
        (tree / "etc" / "group").write_text("root:x:0:\nnogroup:x:65534:\n")
        busybox = tar_of(tree)
        pause = pathlib.Path(d) / "pause"
        pause.mkdir()
        shutil.copy2(pause_binary(), pause / "pause")
        pause_layer = tar_of(pause)
    (dest / "busybox.tar").write_bytes(busybox)
    (dest / "busybox-oci.tar").write_bytes(oci_archive(busybox, "localhost/busybox:realhost", ["/bin/sh"]))
    (dest / "pause-oci.tar").write_bytes(oci_archive(pause_layer, "localhost/pause:realhost", ["/pause"]))


def build_payload(out, plan, script=None):
    """The payload disk: the driver, scenarios, binaries, images and the boot's plan."""
    for binary in ("nook", "nook-test-helper"):
        if not (BUILD / binary).exists():
            raise RuntimeError(f"build/{binary} is missing: run make all")
    with tempfile.TemporaryDirectory() as d:
        tree = pathlib.Path(d) / "payload"
        shutil.copytree(PAYLOAD, tree, ignore=shutil.ignore_patterns("__pycache__", "*.c"))
        os.chmod(tree, 0o755)
        subprocess.run(["/usr/bin/python3", "-m", "grpc_tools.protoc", f"-I{PAYLOAD}", f"--python_out={tree}",
                        f"--grpc_python_out={tree}", str(PAYLOAD / "cri.proto")], check=True)
        for binary in ("nook", "nook-systemd", "nook-test-helper"):
            if (BUILD / binary).exists():
                shutil.copy2(BUILD / binary, tree / binary)
        write_images(tree / "images")
        if script is not None:
            shutil.copy2(script, tree / "script")
            os.chmod(tree / "script", 0o755)
        (tree / "plan.json").write_text(json.dumps(plan, indent=1) + "\n")
        # Readable by the rootless user whatever this checkout's umask.
        for path in [tree, *tree.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() or path.stat().st_mode & 0o100 else 0o644)
        make_ext4(tree, out, "payload", 16 << 20)


# ---- a boot ----

class Results:
    """What the driver wrote: checks {name: (passed, log lines)}, times {name: seconds},
    and the rest (raw lines of ad-hoc scripts, bench lines)."""

    def __init__(self, text):
        self.text = text
        self.checks, self.times, self.other = {}, {}, []
        self.done = self.started = False
        self.exit = None
        current = None
        for line in text.splitlines():
            line = line.rstrip("\r")
            m = re.match(r"REALHOST (ok|not ok) (\w+)$", line)
            t = re.match(r"REALHOST time (\w+) ([\d.]+)$", line)
            e = re.match(r"REALHOST exit (\d+)$", line)
            if m:
                current = m.group(2)
                self.checks[current] = (m.group(1) == "ok", [])
            elif line.startswith("REALHOST# ") and current in self.checks:
                self.checks[current][1].append(line[10:])
            elif t:
                self.times[t.group(1)] = float(t.group(2))
            elif e:
                self.exit = int(e.group(1))
            elif line == "REALHOST start":
                self.started = True
            elif line == "REALHOST done":
                self.done = True
            else:
                self.other.append(line)


class BootError(RuntimeError):
    pass


def boot(plan, config="apparmor", script=None, stream=None):
    """Builds the payload for plan, boots the VM once and returns its Results. Raises BootError
    (with the end of the serial console) when the driver did not finish."""
    image = build_image()
    qemu = qemu_binary()
    runs = CACHE / "boots"
    runs.mkdir(parents=True, exist_ok=True)
    for old in runs.iterdir():  # boots of processes that have ended
        pid = old.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not pathlib.Path(f"/proc/{pid}").exists():
            remove_tree(old)
    run = runs / f"{config}-{os.getpid()}"
    remove_tree(run)
    run.mkdir()
    payload = run / "payload.img"
    build_payload(payload, plan, script)
    console, output = run / "console.log", run / "results.log"
    cmd = [qemu, "-m", "3072", "-smp", "2", "-nodefaults", "-display", "none", "-no-reboot",
           "-kernel", str(image / "vmlinuz"), "-initrd", str(image / "initramfs.gz"),
           "-append", f"root=/dev/vda console=ttyS0 panic=-1 quiet loglevel=4 {CONFIGS[config]}",
           "-drive", f"file={image / 'root.img'},format=raw,if=virtio,snapshot=on,cache=unsafe",
           "-drive", f"file={payload},format=raw,if=virtio,readonly=on",
           "-serial", f"file:{console}", "-serial", f"file:{output}"]
    offset = [0]
    hung = []

    def poll():
        if stream and output.exists():
            with open(output, "rb") as f:
                f.seek(offset[0])
                data = f.read()
            offset[0] += len(data)
            if data:
                stream(data.decode(errors="replace").replace("\r", ""))
        if time.monotonic() - start > START_TIMEOUT and not _has(output, b"REALHOST start"):
            hung.append(f"its driver did not start within {START_TIMEOUT} s")
        elif any(int(m) >= HUNG_SECONDS for m in HUNG.findall(_read(console))):
            hung.append(f"its kernel reports a soft lockup of {HUNG_SECONDS} s or more")
        return bool(hung)

    def truncate(accel):
        offset[0] = 0
        for f in (console, output):
            f.write_bytes(b"")

    for attempt in (1, 2):
        start = time.monotonic()
        hung.clear()
        accel, qemu_out, _, timed_out = boot_kvm_or_tcg(cmd, console, MARKER, KVM_TIMEOUT, TIMEOUT,
                                                        tcg_args=["-cpu", TCG_CPU], on_poll=poll,
                                                        on_retry=truncate)
        if not hung or attempt == 2:
            break
        log(f"the VM hung ({hung[0]}): booting it once more")
        shutil.copy2(console, run / "console-hung.log")
    results = Results(output.read_text(errors="replace"))
    results.accel, results.seconds = accel, round(time.monotonic() - start, 1)
    if not results.done:
        why = (f"hung twice ({hung[0]})" if hung else f"timed out after {TIMEOUT} s" if timed_out
               else "ended early")
        tail = console.read_text(errors="replace").replace("\r", "").splitlines()[-60:]
        raise BootError(f"the real-host VM ({accel}) {why} before its driver finished; qemu said:\n{qemu_out}\n"
                        f"results so far:\n{results.text[-3000:]}\nend of {console}:\n" + "\n".join(tail))
    return results


def _read(path):
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


def _has(path, data):
    return data in _read(path)


# ---- checks ----

def checks_of(scenario):
    """The check functions of a scenario script, in order (check_NAME in .sh or .py)."""
    for ext, pattern in ((".sh", r"^check_(\w+)\s*\(\)"), (".py", r"^def check_(\w+)\(")):
        path = PAYLOAD / "scenarios" / f"{scenario}{ext}"
        if path.exists():
            return re.findall(pattern, path.read_text(), re.M)
    raise ValueError(f"no scenario {scenario}")


def check_names(scenarios=SCENARIOS, runtimes=("runc",)):
    return [f"{s}_{r}_{c}" for r in runtimes for s in scenarios for c in checks_of(s)]


def plan(runtimes, items):
    return {"lsm": {r: lsm_of(r) for r in runtimes}, "runtimes": RUNTIMES, "items": items}


def run_checks(scenarios=SCENARIOS, runtimes=("runc",), config="apparmor", stream=None):
    """The scenarios for each runtime, in one boot per configuration (boots_for): {runtime:
    Results, or the BootError of its boot}."""
    out = {}
    for cfg, rs in boots_for(runtimes, config).items():
        items = [{"kind": "scenario", "name": s, "runtime": r} for r in rs for s in scenarios]
        try:
            results = boot(plan(rs, items), cfg, stream=stream)
        except BootError as e:
            results = e
        out.update({r: results for r in rs})
    return out


def report(by_runtime, scenarios, runtimes):
    failed, seen = 0, []
    for runtime in runtimes:
        results = by_runtime[runtime]
        if any(results is r for r in seen):
            continue
        seen.append(results)
        rs = [r for r in runtimes if by_runtime[r] is results]
        if isinstance(results, BootError):
            print(f"FAIL the boot of the {' and '.join(rs)} runs: {results}")
            failed += 1
        else:
            failed += report_boot(results, check_names(scenarios, rs))
    return 1 if failed else 0


def report_boot(results, names):
    failed = 0
    for name in names:
        if name not in results.checks:
            print(f"MISSING {name}")
            failed += 1
            continue
        passed, lines = results.checks[name]
        t = results.times.get(name)
        print(f"{'ok' if passed else 'FAIL'} {name}" + (f" ({t:.1f} s)" if t is not None else ""))
        if not passed:
            failed += 1
            print("\n".join("    " + line for line in lines))
    for name, t in results.times.items():
        if name not in names and not re.match(r"\w+_\w+_\w+$", name):
            print(f"time {name}: {t:.1f} s")
    print(f"boot: {results.accel}, {results.seconds} s in all")
    return failed


def main(argv):
    parser = argparse.ArgumentParser(prog="rig.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build").add_argument("--force", action="store_true")
    p = sub.add_parser("check")
    p.add_argument("--runtime", action="append", choices=sorted(RUNTIMES))
    p.add_argument("--selinux", action="store_true")
    p.add_argument("scenarios", nargs="*", metavar="SCENARIO", help=" ".join(SCENARIOS))
    p = sub.add_parser("scenario")
    p.add_argument("name", choices=SCENARIOS)
    p.add_argument("--runtime", default="runc", choices=sorted(RUNTIMES))
    p.add_argument("--selinux", action="store_true")
    p = sub.add_parser("run")
    p.add_argument("script", type=pathlib.Path)
    p.add_argument("--selinux", action="store_true")
    p = sub.add_parser("bench")
    p.add_argument("--runtime", action="append", choices=sorted(RUNTIMES))
    p.add_argument("-n", type=int, default=10)
    p = sub.add_parser("names")
    p.add_argument("--runtime", action="append", choices=sorted(RUNTIMES))
    args = parser.parse_args(argv[1:])
    config = "selinux" if getattr(args, "selinux", False) else "apparmor"
    echo = lambda text: print(text, end="", flush=True)  # noqa: E731
    if args.command == "build":
        image = build_image(force=args.force)
        print(f"{image}: {(image / 'timings.json').read_text().strip()}")
        return 0
    if args.command == "names":
        print("\n".join(check_names(SCENARIOS, args.runtime or ["runc"])))
        return 0
    if args.command == "check" and set(args.scenarios) - set(SCENARIOS):
        parser.error(f"scenarios are {' '.join(SCENARIOS)}")
    if args.command in ("check", "scenario"):
        scenarios = [args.name] if args.command == "scenario" else (args.scenarios or SCENARIOS)
        runtimes = [args.runtime] if args.command == "scenario" else (args.runtime or ["runc"])
        return report(run_checks(scenarios, runtimes, config), scenarios, runtimes)
    if args.command == "run":
        results = boot(plan([], [{"kind": "script"}]), config, script=args.script, stream=echo)
        print(f"\nrealhost: boot {results.accel}, {results.seconds} s; script exited {results.exit}",
              file=sys.stderr)
        return results.exit if results.exit is not None else 1
    if args.command == "bench":
        for cfg, rs in boots_for(args.runtime or ["runc", "crun"], config).items():
            print(f"BENCH# boot {cfg}: {' '.join(rs)}", flush=True)
            results = boot(plan(rs, [{"kind": "bench", "runtimes": rs, "n": args.n}]), cfg, stream=echo)
            print(f"realhost: boot {results.accel}, {results.seconds} s", file=sys.stderr)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
