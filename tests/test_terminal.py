"""Everything printed to a terminal or a CI log is shown, never obeyed (scanner/terminal.py)."""
from scanner.terminal import printable


def _one_line(r, status=2):
    assert r.returncode == status, (r.returncode, r.stderr)
    assert r.stderr.count("\n") == 1 and r.stderr.endswith("\n"), repr(r.stderr)
    assert "\x1b" not in r.stderr and "\r" not in r.stderr and "Traceback" not in r.stderr
    return r.stderr


def test_printable_writes_out_what_a_terminal_would_obey():
    assert printable("a\x1b[2Jb\nc\rd\te\x00\x7f\x9b") == "a\\x1b[2Jb\\nc\\rd\\te\\x00\\x7f\\x9b"
    assert printable("x\u202ey\u2028z\u2066") == "x\\u202ey\\u2028z\\u2066"
    assert printable("lone \ud800 surrogate").encode("utf-8")      # encodable
    assert printable("é ü 漢字 🙂 ~ \\") == "é ü 漢字 🙂 ~ \\"


def test_a_file_name_with_escapes_and_a_newline_is_one_escaped_error_line(tmp_path, run_cli):
    name = tmp_path / "plan\x1b[2J\nspecguard: all controls pass.json"
    err = _one_line(run_cli("scan", name, "-q"))
    assert "plan\\x1b[2J\\nspecguard: all controls pass.json" in err and "not found" in err


def test_a_profile_name_is_escaped_in_the_controls_table(tmp_path, run_cli):
    prof = tmp_path / "p.yaml"
    prof.write_text('name: "evil\\e]0;title\\a\\nENC-01 passes"\n')
    r = run_cli("controls", "--profile", prof)
    assert r.returncode == 0, r.stderr
    first = r.stdout.splitlines()[0]
    assert first.startswith("profile evil\\x1b]0;title\\x07\\nENC-01 passes (")
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout


def test_say_redacts_credentials_a_message_quotes():
    import io
    from scanner.terminal import say
    buf = io.StringIO()
    say("server said: X-Amz-Security-Token: FQoGZXIvYXdzEJr//////////wEaDGd7Hk2Mx5aFIz9QaSK3A", stream=buf)
    assert "FQoGZXIvYXdzEJr" not in buf.getvalue() and "<redacted>" in buf.getvalue()
