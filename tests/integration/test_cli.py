"""The command line: help, version, logging, and usage errors."""
import json
import re
import subprocess

import pytest

from conftest import NOOK

COMMANDS = ["create", "start", "run", "kill", "delete", "state", "list", "spec"]


def nook_raw(*args, **kwargs):
    return subprocess.run([str(NOOK), *map(str, args)], capture_output=True, text=True, timeout=30, **kwargs)


def test_help_lists_every_command_and_global_option():
    p = nook_raw("--help")
    assert p.returncode == 0 and p.stderr == ""
    assert p.stdout.startswith("Usage: nook ")
    listed = re.findall(r"^  (\w+) ", p.stdout, re.MULTILINE)
    assert set(COMMANDS) <= set(listed)
    for option in ("--root", "--log", "--log-format", "--debug", "--systemd-cgroup", "--version", "--help"):
        assert option in p.stdout, option
    assert nook_raw("-h").stdout == p.stdout
    assert nook_raw("help").stdout == p.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_each_command(command):
    by_help = nook_raw("help", command)
    by_flag = nook_raw(command, "--help")
    assert by_help.returncode == 0 and by_flag.returncode == 0
    assert by_help.stdout.startswith(f"Usage: nook {command}")
    assert by_help.stdout == by_flag.stdout == nook_raw(command, "-h").stdout
    assert by_help.stderr == ""


@pytest.mark.parametrize("command,options", [
    ("create", ["--bundle", "--pid-file", "--console-socket", "--no-pivot", "--no-new-keyring", "--preserve-fds"]),
    ("run", ["--bundle", "--detach", "--pid-file", "--keep", "--no-pivot", "--preserve-fds"]),
    ("kill", ["--all"]),
    ("delete", ["--force"]),
    ("list", ["--quiet", "--format"]),
    ("spec", ["--bundle", "--rootless"]),
])
def test_help_shows_the_commands_options(command, options):
    out = nook_raw("help", command).stdout
    for option in options:
        assert option in out, option


def test_version():
    p = nook_raw("--version")
    assert p.returncode == 0
    lines = p.stdout.splitlines()
    assert re.fullmatch(r"nook version \d+\.\d+\.\d+.*", lines[0])
    assert re.fullmatch(r"spec: 1\.\d+\.\d+", lines[1])
    assert nook_raw("-v").stdout == p.stdout


def test_no_command_prints_the_usage_and_fails():
    p = nook_raw()
    assert p.returncode != 0 and p.stdout == "" and p.stderr.startswith("Usage: nook ")


@pytest.mark.parametrize("args,message", [
    (["frobnicate"], 'nook: unknown command "frobnicate" (see nook --help)'),
    (["help", "frobnicate"], 'nook: help: unknown command "frobnicate"'),
    (["--frob", "list"], 'nook: unknown option "--frob" (see nook --help)'),
    (["list", "--frob"], 'nook: list: unknown option "--frob" (see nook list --help)'),
    (["run", "-Z", "x"], 'nook: run: unknown option "-Z" (see nook run --help)'),
    (["--root"], "nook: option --root needs a value"),
    (["create", "--preserve-fds", "many", "x"], 'nook: create: --preserve-fds takes a number, not "many"'),
    (["--log-format", "xml", "list"], 'nook: --log-format: unknown format "xml" (text or json)'),
    (["state"], "nook: state: expected a container id, got 0 arguments (see nook state --help)"),
    (["state", "a", "b"], "nook: state: expected a container id, got 2 arguments (see nook state --help)"),
])
def test_usage_errors_are_one_line(args, message):
    p = nook_raw(*args)
    assert p.returncode != 0
    assert p.stderr == message + "\n"
    assert p.stdout == ""


def test_systemd_cgroup_is_refused_clearly(bundle):
    bundle.write()
    p = bundle.nook("--systemd-cgroup", "run", "--bundle", bundle.path, bundle.id, check=False)
    assert p.returncode != 0 and "--systemd-cgroup" in p.stderr and len(p.stderr.splitlines()) == 1
    assert bundle.nook.list_ids() == []


def read_json_lines(path):
    lines = path.read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    for entry in entries:
        assert {"level", "msg", "time"} <= set(entry)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", entry["time"])
    return entries


def test_log_file_in_json_holds_the_error(nook, tmp_path):
    log = tmp_path / "nook.log"
    p = nook("--log", log, "--log-format", "json", "state", "nt-not-there", check=False)
    assert p.returncode != 0
    entries = read_json_lines(log)
    errors = [e for e in entries if e["level"] == "error"]
    assert len(errors) == 1 and 'container "nt-not-there" does not exist' in errors[0]["msg"]
    # The caller's stderr still says why.
    assert "nt-not-there" in p.stderr


def test_log_file_in_json_with_debug_is_valid_json_lines(bundle, tmp_path):
    log = tmp_path / "nook.log"
    bundle.write()
    p = bundle.nook("--log", log, "--log-format", "json", "--debug", "run", "--bundle", bundle.path, bundle.id,
                    check=False)
    assert p.returncode == 0, p.stderr
    entries = read_json_lines(log)
    assert entries and {e["level"] for e in entries} <= {"debug", "info", "warning"}


def test_log_file_is_appended_to(nook, tmp_path):
    log = tmp_path / "nook.log"
    log.write_text('{"level":"info","msg":"earlier","time":"2020-01-01T00:00:00Z"}\n')
    nook("--log", log, "--log-format", "json", "state", "nt-x", check=False)
    entries = read_json_lines(log)
    assert entries[0]["msg"] == "earlier" and entries[-1]["level"] == "error"


def test_log_file_in_text(nook, tmp_path):
    log = tmp_path / "nook.log"
    nook("--log", log, "state", "nt-not-there", check=False)
    line = log.read_text().splitlines()[-1]
    assert re.fullmatch(r'time="[^"]+" level=error msg=".*nt-not-there.*"', line)


def test_spec_writes_a_config_that_runs(bundle, tmp_path):
    out = tmp_path / "specdir"
    out.mkdir()
    p = bundle.nook("spec", "--bundle", out)
    assert p.returncode == 0
    config = json.loads((out / "config.json").read_text())
    assert config["ociVersion"].startswith("1.") and config["root"]["path"] == "rootfs"
    again = bundle.nook("spec", "--bundle", out, check=False)
    assert again.returncode != 0 and "config.json" in again.stderr


def test_log_file_in_json_holds_an_error_from_inside_the_container(bundle, tmp_path):
    log = tmp_path / "nook.log"
    bundle.config["mounts"].append({"destination": "/data", "type": "bind", "source": str(tmp_path / "nope")})
    bundle.write()
    p = bundle.nook("--log", log, "--log-format", "json", "run", "--bundle", bundle.path, bundle.id, check=False)
    assert p.returncode != 0
    errors = [e for e in read_json_lines(log) if e["level"] == "error"]
    assert len(errors) == 1 and "mounts[7]" in errors[0]["msg"] and str(tmp_path / "nope") in errors[0]["msg"]
