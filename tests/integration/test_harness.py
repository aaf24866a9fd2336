"""The test suite's own machinery: the skip summary every run prints."""
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent


def run_pytest(tmp_path, tests):
    """pytest on a test file of its own, with the suite's summary hook."""
    (tmp_path / "conftest.py").write_text(
        f"import sys\nsys.path.insert(0, {str(HERE)!r})\n"
        "from support import pytest_terminal_summary  # noqa: F401\n")
    (tmp_path / "test_some.py").write_text(tests)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
                           str(tmp_path)], capture_output=True, text=True, timeout=60)


def test_skips_are_counted_by_reason(tmp_path):
    p = run_pytest(tmp_path, "import pytest\n"
                   "@pytest.mark.parametrize('n', [1, 2])\n"
                   "@pytest.mark.skipif(True, reason='no frobnicator here')\n"
                   "def test_needs_frobnicator(n): pass\n"
                   "def test_skips_itself(): pytest.skip('the moon is new')\n"
                   "@pytest.fixture\n"
                   "def frob(): pytest.skip('no frobnicator here')\n"
                   "def test_fixture_skips(frob): pass\n"
                   "def test_runs(): pass\n")
    lines = p.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if "4 skipped, for 2 reasons" in line)
    assert lines[at + 1:at + 3] == ["    3  no frobnicator here", "    1  the moon is new"], p.stdout
    assert lines[-1].startswith("1 passed, 4 skipped"), "pytest's own closing line stays last"


def test_a_run_without_skips_says_so(tmp_path):
    p = run_pytest(tmp_path, "def test_runs(): pass\n")
    assert "no test skipped" in p.stdout and p.returncode == 0, p.stdout
