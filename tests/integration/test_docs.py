"""The man pages (man/*.scd, one per command and nook(8)) and the bash completion
(completions/nook.bash) say what `nook --help` and `nook COMMAND --help` say:
the same commands, the same options, the same value names."""
import pathlib
import re
import subprocess

import pytest

from conftest import NOOK

MAN = pathlib.Path(__file__).resolve().parents[2] / "man"
COMPLETION = pathlib.Path(__file__).resolve().parents[2] / "completions" / "nook.bash"


def nook_help(*command):
    p = subprocess.run([str(NOOK), *command, "--help"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return p.stdout


def commands():
    """The commands `nook --help` lists (help is nook(8)'s business)."""
    text = nook_help().split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in text.splitlines() if line.split()[0] != "help"]


def help_options(*command):
    """{option: value name or ""} of the option lines of a --help ("-b, --bundle DIR")."""
    text = nook_help(*command)
    if not command:
        text = text.split("Global options:\n", 1)[1]
    options = {}
    for line in text.splitlines():
        m = re.match(r"\s+((?:-\w, )?--[\w-]+)(?: (\S+))?", line)
        if m:
            value = m.group(2) if m.group(2) and re.match(r"[A-Z\[]", m.group(2)) else ""
            for name in m.group(1).split(", "):
                options[name] = value
    return options


def man_options(page):
    """{option: value name} of the option headings of a man source ("*-b*, *--bundle* _DIR_")."""
    text = (MAN / f"{page}.8.scd").read_text()
    options = {}
    for line in text.splitlines():
        m = re.match(r"((?:\*-\w\*, )?\*--[\w-]+\*)(?: (\S+))?$", line)
        if m:
            value = (m.group(2) or "").replace("_", "")
            for name in re.findall(r"\*(-[\w-]+)\*", m.group(1)):
                options[name] = value
    return options


def test_every_command_has_a_page_and_nook8_lists_them():
    pages = sorted(p.name.removesuffix(".8.scd").removeprefix("nook-") for p in MAN.glob("nook-*.8.scd"))
    assert pages == sorted(commands())
    listed = re.findall(r"^\*nook-(\w+)\*\(8\)$", (MAN / "nook.8.scd").read_text(), re.M)
    assert listed == commands(), "nook(8) lists the commands in the order of nook --help"


def test_global_options_match_nook8():
    assert man_options("nook") == help_options()


@pytest.mark.parametrize("command", commands())
def test_command_options_match_its_page(command):
    assert man_options(f"nook-{command}") == help_options(command)
    synopsis = (MAN / f"nook-{command}.8.scd").read_text().split("# SYNOPSIS\n", 1)[1].split("#", 1)[0]
    assert f"*{command}*" in synopsis
    usage = nook_help(command).splitlines()[0]
    assert ("[_OPTIONS_]" in synopsis) == ("[options]" in usage), (synopsis, usage)


def complete(*words):
    """What the completion offers for `nook WORDS` (the last word is being typed)."""
    script = f'source "{COMPLETION}"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _nook; printf "%s\\n" "${{COMPREPLY[@]}}"'
    p = subprocess.run(["bash", "-c", script, "_", str(NOOK), *words], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return [line for line in p.stdout.splitlines() if line]


def test_completion_offers_commands_and_global_options():
    assert complete("") == commands() + ["help"]
    assert complete("res") == ["resume", "restore"]
    assert complete("--ro") == ["--root", "--rootless"]
    assert complete("--rootless", "") == ["true", "false", "auto"]
    assert complete("--log-format", "j") == ["json"]


@pytest.mark.parametrize("command", commands())
def test_completion_offers_every_option_of_a_command(command):
    assert sorted(complete("--debug", command, "-")) == sorted(help_options(command))


def test_completion_offers_values_and_paths(tmp_path):
    assert complete("list", "--format", "") == ["table", "json"]
    assert complete("inspect", "-f", "") == ["text", "json"]
    (tmp_path / "bundle-dir").mkdir()
    (tmp_path / "bundle-file").write_text("")
    assert complete("create", "--bundle", str(tmp_path / "bun")) == [str(tmp_path / "bundle-dir")]
    assert complete("exec", "--user", "") == []
    assert complete("checkpoint", "--manage-cgroups-mode", "") == ["soft", "full", "strict", "ignore"]
    assert complete("restore", "--empty-ns", "") == ["network"]


def test_completion_offers_the_containers_under_the_root(bundle):
    bundle.args = ["sleep", "100"]
    bundle.create()
    assert complete("--root", bundle.nook.root, "kill", "") == [bundle.id]
    assert complete(f"--root={bundle.nook.root}", "exec", "-t", bundle.id[:5]) == [bundle.id]
    assert complete("--root", bundle.nook.root, "kill", bundle.id, "") == []
    bundle.delete("--force")
