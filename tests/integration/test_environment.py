"""What a container process finds around it: HOME when process.env has none (from
the container's own /etc/passwd, read inside the rootfs, else "/"), for the init
and every exec'd process; and its standard I/O handed to its user, so that a
non-root program can reopen its own stdout."""
import json
import os
import subprocess

import pytest

from test_exec import exec_, start_running

APP = "app:x:1000:1000:app:/home/app:/bin/sh\n"


def home_of(bundle, uid=0):
    bundle.config["process"]["user"] = {"uid": uid, "gid": uid}
    p = bundle.sh('echo "$HOME"')
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


@pytest.fixture
def with_app_user(bundle):
    with open(bundle.rootfs / "etc" / "passwd", "a") as f:
        f.write(APP)
    assert "HOME=" not in " ".join(bundle.config["process"]["env"])
    return bundle


def test_home_is_the_users_entry_in_the_containers_passwd(with_app_user):
    assert home_of(with_app_user, 0) == "/root"
    assert home_of(with_app_user, 1000) == "/home/app"


def test_home_of_a_user_without_an_entry_is_the_root(bundle):
    assert home_of(bundle, 4242) == "/"


def test_home_given_in_the_environment_is_kept(bundle):
    bundle.config["process"]["env"].append("HOME=/mine")
    assert home_of(bundle) == "/mine"


def test_home_without_a_passwd_file_is_the_root(bundle):
    (bundle.rootfs / "etc" / "passwd").unlink()
    assert home_of(bundle) == "/"


def test_passwd_is_read_inside_the_rootfs_through_symlinks(bundle, tmp_path):
    # An absolute symlink names the same path inside the rootfs, never the host's file.
    outside = tmp_path / "host-passwd"
    outside.write_text("root:x:0:0::/escaped:/bin/sh\n")
    inside = bundle.rootfs / str(outside).lstrip("/")
    inside.parent.mkdir(parents=True)
    inside.write_text("root:x:0:0::/inside:/bin/sh\n")
    passwd = bundle.rootfs / "etc" / "passwd"
    passwd.unlink()
    passwd.symlink_to(outside)
    assert home_of(bundle) == "/inside"


def test_a_fifo_for_passwd_is_refused_at_once(bundle):
    passwd = bundle.rootfs / "etc" / "passwd"
    passwd.unlink()
    os.mkfifo(passwd)
    p = bundle.run(timeout=10)
    assert p.returncode != 0
    assert "`/etc/passwd` inside the rootfs is not a regular file" in p.stderr


def test_exec_gets_home_too(with_app_user, tmp_path):
    bundle = with_app_user
    start_running(bundle)
    assert exec_(bundle, "--user", "1000:1000", "--", "sh", "-c", 'echo "$HOME"').stdout == "/home/app\n"
    process = {"cwd": "/", "args": ["sh", "-c", 'echo "$HOME"'], "env": ["PATH=/bin"],
               "user": {"uid": 1000, "gid": 1000}}
    (tmp_path / "process.json").write_text(json.dumps(process))
    p = exec_(bundle, "--process", tmp_path / "process.json")
    assert (p.returncode, p.stdout) == (0, "/home/app\n"), p.stderr


def test_non_root_program_reopens_its_own_stdout_pipe(bundle):
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    bundle.args = ["sh", "-c", "echo through-dev-stdout > /dev/stdout"]
    r, w = os.pipe()
    p = bundle.run(stdout=w, capture_output=False, stderr=subprocess.PIPE)
    os.close(w)
    out = os.read(r, 4096)
    assert p.returncode == 0, p.stderr
    assert out == b"through-dev-stdout\n"
    assert os.fstat(r).st_uid == 1000  # the pipe's inode, as the host sees it
    os.close(r)


def test_stdio_on_dev_null_is_left_alone(bundle):
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    before = os.stat("/dev/null")
    p = bundle.run(stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    after = os.stat("/dev/null")
    assert (after.st_uid, after.st_mode) == (before.st_uid, before.st_mode) == (0, before.st_mode)


def test_exec_gives_its_stdout_pipe_to_its_user(bundle):
    start_running(bundle)
    r, w = os.pipe()
    p = exec_(bundle, "--user", "1000:1000", "--", "sh", "-c", "echo via-exec > /dev/stdout",
              stdout=w, capture_output=False, stderr=subprocess.PIPE)
    os.close(w)
    assert p.returncode == 0, p.stderr
    assert os.read(r, 4096) == b"via-exec\n"
    os.close(r)
