"""`terraform show -json plan.out | specguard scan -` (issue 20): the same checks and findings as a file."""
import hashlib
import json
import os
import subprocess
import sys

from planlib import Plan


def run(args, stdin: bytes, cwd):
    env = dict(os.environ, COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "scanner", *args], input=stdin, capture_output=True,
                          cwd=cwd, env=env, timeout=120)


def plan_bytes() -> bytes:
    p = Plan()
    p.add("aws_db_instance", "a", {"storage_encrypted": False})
    p.add("aws_s3_bucket", "logs", {"bucket": "logs"})
    return p.json().encode()


def test_a_plan_from_stdin_gives_the_findings_of_the_same_file(tmp_path):
    data = plan_bytes()
    (tmp_path / "plan.json").write_bytes(data)
    piped = run(["scan", "-", "-f", "json", "-o", "piped.json"], data, tmp_path)
    filed = run(["scan", "plan.json", "-f", "json", "-o", "filed.json"], b"", tmp_path)
    assert piped.returncode == filed.returncode == 1, piped.stderr
    a = json.loads((tmp_path / "piped.json").read_text())
    b = json.loads((tmp_path / "filed.json").read_text())
    key = lambda d: sorted((f["control_id"], f["resource"]["address"], f["status"], f["fingerprint"])
                           for f in d["findings"])
    assert key(a) == key(b) and any(f["status"] == "fail" for f in a["findings"])
    assert a["sources"] == [{"kind": "terraform-plan", "path": "-", "sha256": hashlib.sha256(data).hexdigest()}]


def test_stdin_is_parsed_as_strictly_as_a_file(tmp_path):
    bad = plan_bytes().replace(b'"storage_encrypted": false', b'"storage_encrypted": NaN')
    assert bad != plan_bytes()
    r = run(["scan", "-", "-f", "json", "-o", "out.json"], bad, tmp_path)
    assert r.returncode == 2
    line = r.stderr.decode().strip()
    assert "error: <stdin>:$." in line and "\n" not in line
    assert not (tmp_path / "out.json").exists()


def test_empty_stdin_is_an_input_error(tmp_path):
    r = run(["scan", "-"], b"  \n", tmp_path)
    assert r.returncode == 2 and "error: <stdin>: empty" in r.stderr.decode()


def test_stdin_plan_reads_the_tf_files_of_the_working_directory(tmp_path):
    """In CI the pipe runs where the .tf files are: findings get their file and line."""
    (tmp_path / "main.tf").write_text('resource "aws_db_instance" "a" {\n  storage_encrypted = false\n}\n')
    p = Plan()
    p.add("aws_db_instance", "a", {"storage_encrypted": False})
    r = run(["scan", "-", "-f", "json", "-o", "out.json"], p.json().encode(), tmp_path)
    assert r.returncode == 1, r.stderr
    doc = json.loads((tmp_path / "out.json").read_text())
    enc = next(f for f in doc["findings"] if f["control_id"] == "ENC-01")
    assert enc["resource"].get("file") == "main.tf" and enc["resource"].get("line") == 2
