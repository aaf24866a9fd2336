"""--log FILE --log-format json|text: runc-shaped lines, which containerd's shim
reads (the last {"level":"error"} line) to report why a command failed."""
import datetime
import json
import re

import pytest


def json_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def parse_time(text):
    # RFC 3339 with nanoseconds, in UTC: 2024-01-02T03:04:05.123456789Z
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", text), text
    return datetime.datetime.strptime(text[:26], "%Y-%m-%dT%H:%M:%S.%f")


@pytest.mark.parametrize("form", [["--log-format", "json"], ["--log-format=json"]], ids=["separate", "equals"])
def test_json_log_gets_the_error_line(nook, tmp_path, form):
    log = tmp_path / "nook.log"
    p = nook("--log", log, *form, "exec", "no-such-container", "true", check=False)
    assert p.returncode != 0
    lines = json_lines(log)
    assert list(lines[-1]) == ["level", "msg", "time"]
    assert lines[-1]["level"] == "error"
    assert 'container "no-such-container" does not exist' in lines[-1]["msg"]
    parse_time(lines[-1]["time"])
    # The person who ran nook sees it too.
    assert p.stderr.strip() == lines[-1]["msg"]


def test_json_log_escapes_what_it_quotes(nook, tmp_path):
    log = tmp_path / "nook.log"
    odd = str(tmp_path / 'no "such"\nbundle\\')
    p = nook("--log", log, "--log-format", "json", "run", "--bundle", odd, "x", check=False)
    assert p.returncode != 0
    assert odd in json_lines(log)[-1]["msg"]


def test_log_is_appended_one_line_per_message(nook, tmp_path):
    log = tmp_path / "nook.log"
    for cid in ("first", "second"):
        nook("--log", log, "--log-format", "json", "state", cid, check=False)
    lines = json_lines(log)
    assert [('"first"' in x["msg"], '"second"' in x["msg"]) for x in lines] == [(True, False), (False, True)]
    assert parse_time(lines[0]["time"]) <= parse_time(lines[1]["time"])


def test_warnings_go_to_the_log(bundle, tmp_path):
    log = tmp_path / "nook.log"
    bundle.config["hooks"] = {"poststop": [{"path": "/bin/false"}]}
    bundle.create()
    p = bundle.nook("--log", log, "--log-format", "json", "delete", bundle.id, check=False)
    assert p.returncode == 0
    warning = [x for x in json_lines(log) if x["level"] == "warning"]
    assert len(warning) == 1 and "hooks.poststop[0]" in warning[0]["msg"]


def test_debug_adds_debug_lines(nook, tmp_path):
    log = tmp_path / "nook.log"
    nook("--log", log, "--log-format", "json", "list")
    assert log.read_text() == ""
    nook("--debug", "--log", log, "--log-format", "json", "list")
    assert {x["level"] for x in json_lines(log)} == {"debug"}


def test_text_log_in_a_file_is_logfmt(nook, tmp_path):
    log = tmp_path / "nook.log"
    nook("--log", log, "delete", "gone", check=False)
    line = log.read_text().splitlines()[-1]
    match = re.fullmatch(r'time="([^"]+)" level=error msg="(.*)"', line)
    assert match, line
    parse_time(match.group(1))
    assert 'container \\"gone\\" does not exist' in match.group(2)


def test_unknown_log_format_is_refused(nook, tmp_path):
    p = nook("--log-format", "yaml", "list", check=False)
    assert p.returncode != 0 and "yaml" in p.stderr
