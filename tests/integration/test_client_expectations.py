"""What Docker, podman and containerd (and the runtime-spec's validation suite)
expect of a runtime beyond the flags: the words of its errors, the environment
and timing of hooks, the lifecycle after a failing hook, how delete and exec
treat edge cases, what config.json may be."""
import json


def json_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


# ---- error words engines parse ----

def test_errno_words_are_lower_case_as_runc_writes_them(bundle, tmp_path):
    # docker's CLI picks `docker run`'s exit code 127 by a case-sensitive match on
    # "no such file or directory" (and 126 on "permission denied").
    (bundle.rootfs / "notexec").write_text("#!/bin/sh\n")
    log = tmp_path / "nook.log"
    for program, words in (("/no-such-program", "no such file or directory"), ("/notexec", "permission denied")):
        bundle.args = [program]
        bundle.write()
        p = bundle.nook("--log", log, "--log-format", "json", "run", "--bundle", bundle.path, bundle.id, check=False)
        assert p.returncode != 0
        assert words in p.stderr, p.stderr
        assert words in json_lines(log)[-1]["msg"]


def test_a_program_not_on_path_keeps_runcs_words(bundle):
    bundle.args = ["no-such-program"]
    p = bundle.run()
    assert p.returncode != 0
    assert "executable file not found in $PATH" in p.stderr
