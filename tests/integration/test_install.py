"""make install and make uninstall (PREFIX, DESTDIR): exactly these files, man pages
that render, snippets that docker's JSON and containerd's own parser take, and a
podman that finds nook by name through the installed drop-in."""
import json
import os
import pathlib
import shutil
import subprocess
import tomllib

import pytest

from conftest import REPO
from engines import IMAGE, podman, podman_session  # noqa: F401 (fixtures)

COMMANDS = ["check", "checkpoint", "create", "delete", "events", "exec", "features", "inspect", "kill", "list", "pause",
            "ps", "restore", "resume", "run", "spec", "start", "state", "update"]
# What `make install` installs under PREFIX (/usr/local by default), and its mode.
INSTALLED = {
    "bin/nook": 0o755,
    "libexec/nook/nook-systemd": 0o755,
    "share/bash-completion/completions/nook": 0o644,
    "share/man/man8/nook.8": 0o644,
    **{f"share/man/man8/nook-{c}.8": 0o644 for c in COMMANDS},
    "share/nook/docker-daemon.json": 0o644,
    "share/nook/containerd-runtime.toml": 0o644,
}
# ... and outside PREFIX: podman reads its drop-ins from /etc only.
PODMAN_DROP_IN = "etc/containers/containers.conf.d/nook.conf"


def make(*args):
    p = subprocess.run(["make", "--no-print-directory", "-C", str(REPO), *args], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    return p


def files_under(top):
    return {str(p.relative_to(top)): p.stat().st_mode & 0o7777 for p in pathlib.Path(top).rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """make install DESTDIR=<tmp>, once for the module's tests."""
    dest = tmp_path_factory.mktemp("destdir")
    make("install", f"DESTDIR={dest}")
    return dest


def test_install_puts_exactly_these_files(installed):
    expected = {f"usr/local/{path}": mode for path, mode in INSTALLED.items()}
    expected[PODMAN_DROP_IN] = 0o644
    assert files_under(installed) == expected
    assert (installed / "usr/local/bin/nook").read_bytes() == (REPO / "build" / "nook").read_bytes()


def test_every_man_page_renders(installed):
    if shutil.which("man") is None:
        pytest.skip("man is not installed (scripts/setup.sh installs man-db)")
    pages = sorted((installed / "usr/local/share/man/man8").iterdir())
    assert len(pages) == 1 + len(COMMANDS)
    for page in pages:
        p = subprocess.run(["man", "--warnings", "-l", str(page)], capture_output=True, text=True,
                           env=dict(os.environ, MANWIDTH="80", MAN_KEEP_STDERR="1"), timeout=60)
        assert p.returncode == 0 and p.stderr == "", (page, p.stderr)
        name = page.name.removesuffix(".8")
        assert p.stdout.startswith(f"{name}(8)"), (page, p.stdout[:200])
        assert "NAME" in p.stdout and "SYNOPSIS" in p.stdout


def test_the_snippets_name_the_installed_binary(installed):
    daemon = json.loads((installed / "usr/local/share/nook/docker-daemon.json").read_text())
    assert daemon == {"runtimes": {"nook": {"path": "/usr/local/bin/nook"}}}
    drop_in = (installed / PODMAN_DROP_IN).read_text()
    assert 'nook = ["/usr/local/bin/nook"]' in drop_in
    assert '"nook"]' in drop_in.split("runtime_supports_json = ", 1)[1].splitlines()[0]


def test_containerd_takes_its_snippet(installed, tmp_path):
    if shutil.which("containerd") is None:
        pytest.skip("containerd is not installed (scripts/setup.sh installs it)")
    snippet = installed / "usr/local/share/nook/containerd-runtime.toml"
    # Both ways the snippet says: pasted into config.toml, or named in its imports.
    pasted = tmp_path / "pasted.toml"
    pasted.write_text("version = 2\n" + snippet.read_text())
    imports = tmp_path / "imports.toml"
    imports.write_text(f'version = 2\nimports = ["{snippet}"]\n')
    for config in (pasted, imports):
        p = subprocess.run(["containerd", "--config", str(config), "config", "dump"], capture_output=True,
                           text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        runtime = tomllib.loads(p.stdout)["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]["nook"]
        assert runtime["runtime_type"] == "io.containerd.runc.v2"
        assert runtime["options"] == {"BinaryName": "/usr/local/bin/nook"}


def test_prefix_moves_everything_but_the_podman_drop_in(tmp_path):
    make("install", f"DESTDIR={tmp_path}", "PREFIX=/opt/nook")
    expected = {f"opt/nook/{path}": mode for path, mode in INSTALLED.items()}
    expected[PODMAN_DROP_IN] = 0o644
    assert files_under(tmp_path) == expected
    assert 'nook = ["/opt/nook/bin/nook"]' in (tmp_path / PODMAN_DROP_IN).read_text()
    assert "/opt/nook/bin/nook" in (tmp_path / "opt/nook/share/nook/docker-daemon.json").read_text()


def test_uninstall_removes_every_file(tmp_path):
    make("install", f"DESTDIR={tmp_path}")
    (tmp_path / "usr/local/bin/someone-elses").write_text("")
    make("uninstall", f"DESTDIR={tmp_path}")
    assert files_under(tmp_path) == {"usr/local/bin/someone-elses": 0o644}


def test_podman_finds_nook_by_name_through_the_drop_in(podman, tmp_path):
    """Installed under a PREFIX of the test's own, with the drop-in in an /etc/containers
    that a private mount namespace shows podman in place of the host's (with the host's
    files, and the tests' settings for this host in containers.conf)."""
    prefix, etc = tmp_path / "usr", tmp_path / "etc"
    make("install", f"PREFIX={prefix}", f"SYSCONFDIR={etc}")
    shutil.copytree("/etc/containers", etc / "containers", dirs_exist_ok=True)
    settings = podman.conf.read_text()
    assert 'runtime_supports_json = ["nook"]\n' in settings
    (etc / "containers" / "containers.conf").write_text(settings.replace('runtime_supports_json = ["nook"]\n', ""))
    env = {k: v for k, v in os.environ.items() if k != "CONTAINERS_CONF"}

    def with_drop_in(*args):
        argv = podman.with_runtime("nook").argv(*args)
        p = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                            'mount --bind "$0" /etc/containers && exec "$@"', str(etc / "containers"), *argv],
                           env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        return p.stdout

    assert with_drop_in("info", "--format", "{{.Host.OCIRuntime.Path}}") == f"{prefix}/bin/nook\n"
    try:
        out = with_drop_in("run", "--cgroup-parent", podman.cgroup_parent, "--name", "by-name", IMAGE, "echo", "hi")
        assert out == "hi\n"
        cid = with_drop_in("inspect", "--format", "{{.Id}}", "by-name").strip()
        # Named in runtime_supports_json: podman gave nook --log-format=json --log <run dir>/oci-log.
        assert list((podman.base / "run").glob(f"*/{cid}/userdata/oci-log")), "no JSON log: podman asked for none"
    finally:
        with_drop_in("rm", "--force", "--ignore", "by-name")
