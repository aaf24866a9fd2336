#!/usr/bin/python3
"""The cgroup2 test rig: this host has no cgroup2 controllers, so the cgroup2
code is tested in a VM. Debian's kernel (linux-image-amd64, fetched with
apt-get download and unpacked, never installed) boots under qemu with an
initramfs holding busybox, nook, the test helper and tests/vm/tests.sh; its
init (tests/vm/init) mounts cgroup2 with every controller delegated, runs the
tests and reports one line per test on the serial console:

    VMTEST ok NAME | VMTEST not ok NAME | VMTEST# <log of a failed test> | VMTEST done

It boots twice: cgroup2 with every controller (vmtest_*), then a pure v1
host (v1test_*). Run alone: tests/vm/rig.py [NAME...] (exit status 1 if a test fails).
"""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from vmboot import boot_kvm_or_tcg, busybox_tree, kernel_package, qemu_binary, write_initramfs  # noqa: E402

VM = pathlib.Path(__file__).resolve().parent
REPO = VM.parents[1]
BUILD = REPO / "build"
CACHE = pathlib.Path(os.environ.get("NOOK_VM_CACHE", BUILD / "vm" / "kernel"))
TIMEOUT = int(os.environ.get("NOOK_VM_TIMEOUT", "900"))
BOOT_TIMEOUT = 20  # with a working KVM the tests start within seconds
MODULES = ["kernel/drivers/block/brd.ko"]


# Boots: the kernel command line's nook.cgroup, and the prefix of the tests.sh functions each runs.
BOOTS = {"v2": "vmtest_", "v1": "v1test_"}


def test_names():
    """The tests of tests.sh, in order: vmtest_* (cgroup2 boot), then v1test_* (v1 boot)."""
    found = re.findall(r"^(\w+test_\w+)\s*\(\)", (VM / "tests.sh").read_text(), re.M)
    return [n for prefix in BOOTS.values() for n in found if n.startswith(prefix)]


def fetch_kernel():
    """vmlinuz and the modules the tests need, from Debian's linux-image-amd64."""
    CACHE.mkdir(parents=True, exist_ok=True)
    vmlinuz = CACHE / "vmlinuz"
    if vmlinuz.exists() and all((CACHE / pathlib.Path(m).name).exists() for m in MODULES):
        return vmlinuz
    package = kernel_package()
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        subprocess.run(["apt-get", "download", "-q", package], cwd=tmp, check=True, capture_output=True)
        deb = next(pathlib.Path(tmp).glob("*.deb"))
        subprocess.run(f"dpkg-deb --fsys-tarfile '{deb}' | tar -x -C '{tmp}' --wildcards './boot/vmlinuz-*' "
                       + " ".join(f"'./lib/modules/*/{m}'" for m in MODULES), shell=True, check=True)
        for m in MODULES:
            shutil.copy2(next(pathlib.Path(tmp).glob(f"lib/modules/*/{m}")), CACHE / pathlib.Path(m).name)
        shutil.copy2(next(pathlib.Path(tmp).glob("boot/vmlinuz-*")), vmlinuz)
    return vmlinuz


def base_config():
    """`nook spec`, made non-interactive, with placeholders tests.sh fills:
    "@ARGS@", "@RESOURCES@", "@NAMESPACES@", "@DEVICES@", "@CGROUP_OPTIONS@"."""
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([str(BUILD / "nook"), "spec", "--bundle", d], check=True)
        c = json.loads((pathlib.Path(d) / "config.json").read_text())
    c["root"] = {"path": "/vm/rootfs", "readonly": True}
    c["process"]["terminal"] = False
    c["process"]["args"] = "@ARGS@"
    c["process"]["env"] = ["PATH=/bin"]
    for m in c["mounts"]:
        if m["type"] == "cgroup":
            m["options"] = "@CGROUP_OPTIONS@"
    c["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["mode=1777"]})
    c["linux"]["namespaces"] = "@NAMESPACES@"
    c["linux"]["resources"] = "@RESOURCES@"
    c["linux"]["devices"] = "@DEVICES@"
    return json.dumps(c, separators=(",", ":"))


def build_initramfs(out):
    """The VM's root: busybox, nook, the helper, init, tests.sh, a container rootfs."""
    with tempfile.TemporaryDirectory() as d:
        root = pathlib.Path(d) / "root"
        busybox_tree(root)
        for binary in ("nook", "nook-test-helper"):
            shutil.copy2(BUILD / binary, root / "bin" / binary)
        shutil.copy2(VM / "init", root / "init")
        os.chmod(root / "init", 0o755)
        (root / "vm").mkdir()
        shutil.copy2(VM / "tests.sh", root / "vm" / "tests.sh")
        (root / "vm" / "base.json").write_text(base_config() + "\n")
        busybox_tree(root / "vm" / "rootfs")
        shutil.copy2(BUILD / "nook-test-helper", root / "vm" / "rootfs" / "bin" / "nook-test-helper")
        (root / "lib" / "modules").mkdir(parents=True)
        for m in MODULES:
            shutil.copy2(CACHE / pathlib.Path(m).name, root / "lib" / "modules")
        write_initramfs(root, out)


def run_vm(names=()):
    """Boots the VM once per cgroup mode and runs the tests (all, or the ones
    named); returns {name: (passed, log lines)}; a boot that did not finish
    adds "__vm_MODE__"."""
    for binary in ("nook", "nook-test-helper"):
        if not (BUILD / binary).exists():
            raise RuntimeError(f"build/{binary} is missing: run make all")
    qemu = qemu_binary()
    vmlinuz = fetch_kernel()
    work = BUILD / "vm"
    work.mkdir(parents=True, exist_ok=True)
    initrd = work / "initramfs.gz"
    build_initramfs(initrd)
    results = {}
    for mode, prefix in BOOTS.items():
        wanted = [n for n in names if n.startswith(prefix)]
        if names and not wanted:
            continue
        serial = work / f"serial-{mode}.log"
        cmd = [qemu, "-m", "1024", "-smp", "2", "-display", "none", "-monitor", "none", "-no-reboot",
               "-serial", f"file:{serial}", "-kernel", str(vmlinuz), "-initrd", str(initrd),
               "-append", f"console=ttyS0 edd=off quiet loglevel=3 panic=-1 hugepages=16 nook.cgroup={mode} "
                          f"nook.tests={','.join(wanted) or 'all'}"]
        # KVM when this machine offers it, else software emulation (vmboot).
        _, qemu_out, _, _ = boot_kvm_or_tcg(cmd, serial, b"VMTEST start", BOOT_TIMEOUT, TIMEOUT,
                                            on_retry=lambda accel: serial.unlink(missing_ok=True))
        output = serial.read_text(errors="replace") if serial.exists() else ""
        results.update(parse(output))
        if "VMTEST done" not in output:
            results[f"__vm_{mode}__"] = (False, ["the VM did not finish:", qemu_out] + output.splitlines()[-40:])
    return results


def parse(output):
    """{name: (passed, log lines)} from the serial console's VMTEST lines."""
    results, current = {}, None
    for line in output.splitlines():
        m = re.match(r"VMTEST (ok|not ok) (\w+)", line)
        if m:
            current = m.group(2)
            results[current] = (m.group(1) == "ok", [])
        elif line.startswith("VMTEST# ") and current in results:
            results[current][1].append(line[8:])
    return results


def main(argv):
    results = run_vm(argv[1:])
    failed = 0
    for name, (passed, lines) in results.items():
        print(f"{'ok' if passed else 'FAIL'} {name}")
        if not passed:
            failed += 1
            print("\n".join("    " + line for line in lines))
    missing = [n for n in (argv[1:] or test_names()) if n not in results]
    for name in missing:
        print(f"MISSING {name}")
    return 1 if failed or missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
