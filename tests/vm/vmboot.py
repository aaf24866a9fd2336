"""What the VM rigs share (tests/vm/rig.py, the cgroup2 rig; tests/realhost/rig.py, the
real-host rig): a busybox tree for an initramfs, the name of Debian's current kernel package,
and booting qemu with KVM when this machine offers it, else software emulation (TCG).

Nested KVM fails here in two ways: qemu aborts at once (some CPU models) or the guest hangs
at boot. A KVM boot that shows no sign of life within a short time is given up, and every
later boot goes straight to TCG until this machine restarts (build/vm-kvm-broken holds the
boot id of the machine where KVM failed)."""
import gzip
import os
import pathlib
import re
import shutil
import subprocess
import time

BUSYBOX = pathlib.Path("/bin/busybox")
KVM_BROKEN = pathlib.Path(__file__).resolve().parents[2] / "build" / "vm-kvm-broken"


def _boot_id():
    return pathlib.Path("/proc/sys/kernel/random/boot_id").read_text().strip()


def kvm_usable():
    """/dev/kvm is there and KVM has not failed to boot a VM since this machine started."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    try:
        return KVM_BROKEN.read_text().strip() != _boot_id()
    except FileNotFoundError:
        return True


def _kvm_failed():
    KVM_BROKEN.parent.mkdir(parents=True, exist_ok=True)
    KVM_BROKEN.write_text(_boot_id() + "\n")


def busybox_tree(root):
    """bin/ with busybox and its applets, the dirs a root needs."""
    (root / "bin").mkdir(parents=True)
    shutil.copy2(BUSYBOX, root / "bin" / "busybox")
    applets = subprocess.run([str(BUSYBOX), "--list"], capture_output=True, text=True, check=True).stdout.split()
    for applet in applets:
        if applet != "busybox":
            os.symlink("busybox", root / "bin" / applet)
    for d in ("proc", "sys", "dev", "etc", "tmp", "root"):
        (root / d).mkdir(exist_ok=True)
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (root / "etc" / "group").write_text("root:x:0:\n")


def write_initramfs(tree, out):
    """The directory tree as a gzipped newc cpio archive (an initramfs), in a stable order."""
    files = subprocess.run("find . | LC_ALL=C sort", shell=True, cwd=tree, capture_output=True, check=True).stdout
    archive = subprocess.run([str(BUSYBOX), "cpio", "-o", "-H", "newc"], cwd=tree, input=files,
                             capture_output=True, check=True).stdout
    with gzip.open(out, "wb", compresslevel=1) as f:
        f.write(archive)


def kernel_package():
    """The package linux-image-amd64 depends on: Debian's current kernel."""
    depends = subprocess.run(["apt-cache", "depends", "linux-image-amd64"], capture_output=True, text=True,
                             check=True).stdout
    return re.search(r"Depends: (linux-image-\S+)", depends).group(1)


def qemu_binary():
    qemu = shutil.which("qemu-system-x86_64")
    if qemu is None:
        raise RuntimeError("qemu-system-x86_64 is missing: run make setup (package qemu-system-x86)")
    return qemu


def _contains(path, marker):
    try:
        return marker in path.read_bytes()
    except FileNotFoundError:
        return False


def boot(cmd, alive, marker, boot_timeout, timeout, on_poll=None):
    """Runs qemu until it exits; kills it when `marker` (bytes) has not appeared in the file
    `alive` within boot_timeout seconds, or when it runs longer than timeout. on_poll, if
    given, is called about five times a second (the rigs stream output with it); when it
    returns true, qemu is killed too (a hung guest) and the boot counts as timed out.
    Returns (what qemu printed, whether the marker appeared, whether it timed out)."""
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    start = time.monotonic()
    seen = timed_out = False
    while proc.poll() is None:
        elapsed = time.monotonic() - start
        seen = seen or _contains(alive, marker)
        if elapsed > timeout or (elapsed > boot_timeout and not seen):
            timed_out = True
            proc.kill()
            break
        if on_poll and on_poll():
            timed_out = True
            proc.kill()
            break
        time.sleep(0.2)
    qemu_out = proc.communicate()[0].decode(errors="replace")
    if on_poll:
        on_poll()
    return qemu_out, seen or _contains(alive, marker), timed_out


def boot_kvm_or_tcg(qemu_args, alive, marker, kvm_timeout, timeout, tcg_args=(), on_poll=None, on_retry=None):
    """Boots with KVM (when kvm_usable()), giving up
    when `marker` has not appeared in `alive` within kvm_timeout seconds; then with TCG
    (plus tcg_args) and `timeout` for the whole run. The output files are truncated before
    each boot by on_retry (called with the accelerator's name). Returns
    (accelerator, qemu's output, marker seen, timed out)."""
    for accel in (["kvm"] if kvm_usable() else []) + ["tcg"]:
        if on_retry:
            on_retry(accel)
        args = ["-accel", accel] + (list(tcg_args) if accel == "tcg" else [])
        cmd = qemu_args[:1] + args + qemu_args[1:]
        qemu_out, seen, timed_out = boot(cmd, alive, marker, kvm_timeout if accel == "kvm" else timeout,
                                         timeout, on_poll)
        if seen or accel == "tcg":
            return accel, qemu_out, seen, timed_out
        _kvm_failed()
