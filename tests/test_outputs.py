"""Output paths that name an open descriptor are written to it, as a shell user expects."""
import subprocess
import sys

from conftest import FIXTURES

PLAN = FIXTURES / "aws-platform" / "compliant" / "plan.json"


def _scan(*args, **kw):
    return subprocess.run([sys.executable, "-m", "scanner", "scan", str(PLAN), "-q", *args], **kw)


def test_dev_stdout_into_a_pipe_is_the_report():
    r = _scan("--format", "sarif", "-o", "/dev/stdout", capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert '"version": "2.1.0"' in r.stdout and r.stderr == ""


def test_dev_stdout_appended_to_a_file_keeps_what_was_there(tmp_path):
    """The `-o /dev/stdout >> "$GITHUB_STEP_SUMMARY"` pattern: reopening would truncate the file."""
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    with open(summary, "a") as fh:
        r = _scan("--format", "markdown", "-o", "/dev/stdout", stdout=fh, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 0, r.stderr
    text = summary.read_text()
    assert text.startswith("earlier step\n") and "specguard" in text


def test_an_inherited_descriptor_is_written_in_place(tmp_path):
    out = tmp_path / "fd.md"
    out.write_text("kept\n")
    r = subprocess.run(f'{sys.executable} -m scanner scan {PLAN} -q --format markdown -o /dev/fd/7 7>>"{out}"',
                       shell=True, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert out.read_text().startswith("kept\n") and "specguard" in out.read_text()


def test_dev_stdout_counts_as_standard_output():
    r = _scan("--format", "json", "-o", "-", "--format", "markdown", "-o", "/dev/stdout",
              capture_output=True, text=True)
    assert r.returncode == 2 and "only one format can go to standard output" in r.stderr


def test_the_longest_file_ending_decides_the_format(tmp_path):
    r = _scan("-o", tmp_path / "a.sarif.json", "-o", tmp_path / "b.json", capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert '"version": "2.1.0"' in (tmp_path / "a.sarif.json").read_text()
    assert '"schema_version"' in (tmp_path / "b.json").read_text()
