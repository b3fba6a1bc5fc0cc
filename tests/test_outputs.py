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


# ----------------------------------------------------------------------------- all outputs or none
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402

import pytest  # noqa: E402

VIOLATING = FIXTURES / "aws-platform" / "violating" / "plan.json"


@pytest.fixture(autouse=True)
def default_signal_handlers():
    """These tests are about how specguard treats SIGINT and SIGTERM, from a process that has not
    ignored them. pytest started in the background from a non-interactive shell (`cmd &`, as CI
    scripts may) has SIGINT ignored from birth, and an ignored signal is inherited by every command
    started from here, so the handlers are reset for each test and put back after."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def _one_line_error(r, *needles):
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
    for n in needles:
        assert str(n) in r.stderr, (n, r.stderr)


def _leftovers(*folders):
    return [p for d in folders for p in d.iterdir() if p.name.startswith(".specguard-")]


def _existing(tmp_path):
    """Two earlier reports that a failed run must leave exactly as they were."""
    a, b = tmp_path / "a.json", tmp_path / "b.html"
    a.write_text("earlier results\n")
    b.write_text("earlier page\n")
    return a, b, {p: (p.read_text(), p.stat().st_ino) for p in (a, b)}


def test_a_later_output_that_fails_leaves_every_earlier_one_as_it_was(tmp_path):
    a, b, before = _existing(tmp_path)
    new = tmp_path / "new.md"
    r = _scan("-o", a, "-o", b, "-o", new, "--format", "sarif", "-o", "/dev/full",
              capture_output=True, text=True)
    _one_line_error(r, "/dev/full", "No space left on device")
    assert {p: (p.read_text(), p.stat().st_ino) for p in (a, b)} == before
    assert not new.exists() and not _leftovers(tmp_path)


def test_a_descriptor_that_is_not_open_is_refused_before_the_scan(tmp_path):
    a, b, before = _existing(tmp_path)
    r = _scan("-o", a, "--format", "sarif", "-o", "/dev/fd/9", capture_output=True, text=True)
    _one_line_error(r, "/dev/fd/9", "not open")
    assert {p: (p.read_text(), p.stat().st_ino) for p in (a, b)} == before and not _leftovers(tmp_path)


def test_a_rename_that_fails_puts_back_the_ones_already_done(tmp_path, monkeypatch):
    """The last step renames each staged file over its target; if one fails, those already
    renamed get their earlier file back (kept as a hard link until then)."""
    from scanner import outputs
    from scanner.errors import InputError
    a, b, before = _existing(tmp_path)
    new = tmp_path / "new.txt"
    real_replace = os.replace
    calls = []

    def failing(src, dst):
        if ".specguard-" in os.path.basename(str(src)) and str(src).endswith(".tmp"):
            calls.append(dst)
            if len(calls) == 3:
                raise OSError(5, "Input/output error")
        return real_replace(src, dst)

    monkeypatch.setattr(outputs.os, "replace", failing)
    with pytest.raises(InputError, match="no output was changed"):
        outputs.write_all([({"path": str(new)}, "n"), ({"path": str(a)}, "A"), ({"path": str(b)}, b"B")])
    assert len(calls) == 3
    assert {p: (p.read_text(), p.stat().st_ino) for p in (a, b)} == before
    assert not new.exists() and not _leftovers(tmp_path)
    monkeypatch.setattr(outputs.os, "replace", real_replace)
    outputs.write_all([({"path": str(new)}, "n"), ({"path": str(a)}, "A"), ({"path": str(b)}, b"B")])
    assert (new.read_text(), a.read_text(), b.read_text()) == ("n", "A", "B") and not _leftovers(tmp_path)


@pytest.mark.parametrize("how", ["plan", "hard link", "symlink", "other spelling"])
def test_an_output_naming_the_input_plan_is_refused(tmp_path, how):
    plan = tmp_path / "plan.json"
    plan.write_bytes(PLAN.read_bytes())
    out = {"plan": plan, "other spelling": tmp_path / "." / "plan.json"}.get(how, tmp_path / "out.json")
    if how == "hard link":
        os.link(plan, out)
    elif how == "symlink":
        out.symlink_to(plan)
    r = subprocess.run([sys.executable, "-m", "scanner", "scan", plan, "-q", "--format", "json", "-o", out],
                       capture_output=True, text=True)
    _one_line_error(r, "is also an input (PATH", "refusing to write a report over it")
    assert plan.read_bytes() == PLAN.read_bytes() and not _leftovers(tmp_path)


@pytest.mark.parametrize("option, name, text", [
    ("--profile", "p.yaml", "name: mine\n"),
    ("--waivers", "w.yaml", "[]\n"),
    ("--var-file", "x.tfvars", "a = 1\n"),
])
def test_an_output_naming_another_input_is_refused(tmp_path, option, name, text):
    tf = tmp_path / "tf"
    tf.mkdir()
    (tf / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n')
    given = tmp_path / name
    given.write_text(text)
    r = subprocess.run([sys.executable, "-m", "scanner", "scan", tf, "-q", option, given, "--format", "json",
                        "-o", given], capture_output=True, text=True)
    _one_line_error(r, f"is also an input ({option}", name)
    assert given.read_text() == text


def test_an_output_over_a_tf_file_of_a_scanned_folder_is_refused(tmp_path):
    tf = tmp_path / "tf"
    (tf / "modules" / "m").mkdir(parents=True)
    (tf / "main.tf").write_text('module "m" {\n  source = "./modules/m"\n}\n')
    (tf / "modules" / "m" / "main.tf").write_text('resource "aws_s3_bucket" "b" {}\n')
    for target in (tf / "modules" / "m" / "main.tf", tf / "new.tf.json", tf / "prod.tfvars"):
        r = subprocess.run([sys.executable, "-m", "scanner", "scan", tf, "-q", "--format", "json", "-o", target],
                           capture_output=True, text=True)
        _one_line_error(r, "is a Terraform file in a scanned folder")
    assert (tf / "modules" / "m" / "main.tf").read_text().startswith("resource")
    assert not (tf / "new.tf.json").exists()


def test_report_and_controls_refuse_to_write_over_their_input(tmp_path):
    res = tmp_path / "r.json"
    r = _scan("--format", "json", "-o", res, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    saved = res.read_bytes()
    r = subprocess.run([sys.executable, "-m", "scanner", "report", res, "-o", res], capture_output=True, text=True)
    _one_line_error(r, "is also an input (RESULTS.json")
    prof = tmp_path / "p.yaml"
    prof.write_text("name: p\n")
    r = subprocess.run([sys.executable, "-m", "scanner", "controls", "--profile", prof, "-f", "json", "-o", prof],
                       capture_output=True, text=True)
    _one_line_error(r, "is also an input (--profile")
    assert res.read_bytes() == saved and prof.read_text() == "name: p\n"


@pytest.mark.parametrize("extra", [[], ["--format", "json", "-o", "-"]])
def test_a_closed_standard_output_is_an_input_error(extra):
    r = subprocess.run([sys.executable, "-m", "scanner", "scan", str(PLAN), "-q", *extra], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, preexec_fn=lambda: os.close(1))
    _one_line_error(r, "standard output is closed")


def test_a_symlink_loop_as_output_is_an_input_error(tmp_path):
    loop = tmp_path / "loop.json"
    loop.symlink_to(loop)
    r = _scan("--format", "json", "-o", loop, capture_output=True, text=True)
    _one_line_error(r, "loop.json", "loop of symbolic links")
    assert loop.is_symlink() and not _leftovers(tmp_path)


def test_a_reader_that_stops_early_keeps_the_files_and_the_gate(tmp_path):
    """`specguard scan plan | head -1`: the table's reader goes away, the JSON file and exit 1 remain."""
    out = tmp_path / "r.json"
    proc = subprocess.Popen([sys.executable, "-m", "scanner", "scan", str(VIOLATING), "-q", "--show-pass",
                             "--format", "json", "-o", str(out), "--format", "table"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1, err
    assert json.loads(out.read_text())["summary"]["fail"] > 0 and err == ""


@pytest.mark.parametrize("sig, status", [(signal.SIGTERM, -signal.SIGTERM), (signal.SIGINT, 130)])
def test_a_signal_during_the_write_removes_the_staged_files(tmp_path, sig, status):
    """The files are staged, then the streams written: a FIFO without a reader holds the run
    there, with its .specguard-*.tmp files beside their targets, until the signal comes."""
    a, b, before = _existing(tmp_path)
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    proc = subprocess.Popen([sys.executable, "-m", "scanner", "scan", str(PLAN), "-q", "-o", str(a), "-o", str(b),
                             "-o", str(tmp_path / "new.xml"), "--format", "markdown", "-o", str(fifo)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(_leftovers(tmp_path)) < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert len(_leftovers(tmp_path)) == 3, proc.communicate(timeout=5)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == status, err
    if sig == signal.SIGINT:
        assert err == "specguard: interrupted\n"
    assert not _leftovers(tmp_path)
    assert {p: (p.read_text(), p.stat().st_ino) for p in (a, b)} == before
    assert not (tmp_path / "new.xml").exists()


def test_handlers_are_installed_only_around_the_write(tmp_path):
    from scanner import outputs
    before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    seen = []
    real_write = outputs._write_stream

    def probe(path, data):
        seen.append((signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)))
        return real_write(path, data)

    outputs._write_stream = probe
    try:
        outputs.write_all([({"path": str(tmp_path / "x.txt")}, "x"), ({"path": "/dev/null"}, "y")])
    finally:
        outputs._write_stream = real_write
    assert seen and all(h != before[i] for i, h in enumerate(seen[0]))
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


# ----------------------------------------------------------------------------- results kept after an audit
def test_results_are_kept_when_an_output_of_an_audit_cannot_be_written(tmp_path, monkeypatch):
    """An audit cannot be run again to the same result: if an output fails, the results JSON is
    saved beside the first file output (or in the current folder) and the error line names it."""
    import argparse
    import reportlib
    from scanner.cli import finish
    from scanner.errors import InputError
    from scanner.render import render
    doc = reportlib.synthetic(50)
    a, b, before = _existing(tmp_path)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    args = argparse.Namespace(outputs=[{"format": None, "path": str(a)}, {"format": "sarif", "path": "/dev/full"}],
                              fail_on="low", allow_unknown=False, show_pass=False)
    with pytest.raises(InputError) as e:
        finish(args, doc, keep=True)
    message = e.value.message
    assert "/dev/full: cannot write output" in message and "the results were kept in" in message
    kept = message.split("the results were kept in ")[1].split(" ")[0]
    assert os.path.dirname(kept) == str(tmp_path) and os.path.basename(kept).startswith("specguard-results-")
    assert open(kept, "rb").read() == render(doc, "json")
    assert oct(os.stat(kept).st_mode & 0o777) == oct(0o600)
    assert {p: (p.read_text(), p.stat().st_ino) for p in (a, b)} == before and not _leftovers(tmp_path)
    # no file output: the current folder
    args.outputs = [{"format": "sarif", "path": "/dev/full"}]
    with pytest.raises(InputError, match=f"kept in {elsewhere}/specguard-results-"):
        finish(args, doc, keep=True)
    # a scan can be run again: nothing kept
    with pytest.raises(InputError) as e:
        finish(args, doc)
    assert "kept" not in e.value.message and len(list(elsewhere.iterdir())) == 1


def test_the_audit_command_keeps_its_results_and_the_scan_command_does_not(tmp_path, monkeypatch, capsys):
    """The wiring: `audit` writes through finish(keep=True).  (The audit itself is replaced by its
    results here; test_aws_audit.py runs it against moto.)"""
    import reportlib
    from scanner import pipeline
    from scanner.cli import main
    doc = reportlib.synthetic(20)
    monkeypatch.setattr(pipeline, "audit", lambda args: doc)
    monkeypatch.setattr(pipeline, "scan_paths", lambda args: doc)
    monkeypatch.chdir(tmp_path)
    assert main(["audit", "aws", "--regions", "us-east-1", "--quiet", "--format", "sarif", "-o", "/dev/full"]) == 2
    err = capsys.readouterr().err
    kept = list(tmp_path.glob("specguard-results-*.json"))
    assert len(kept) == 1 and err.count("\n") == 1 and f"the results were kept in {kept[0]}" in err
    assert json.loads(kept[0].read_text()) == json.loads(json.dumps(doc))
    assert main(["scan", str(PLAN), "--quiet", "--format", "sarif", "-o", "/dev/full"]) == 2
    assert "kept" not in capsys.readouterr().err and len(list(tmp_path.iterdir())) == 1
