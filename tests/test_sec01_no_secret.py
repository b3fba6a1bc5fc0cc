"""SEC-01 never lets a password out: the violating fixtures write literal administrator passwords
(aws-platform: the reporting database; azure-standby: the SQL and PostgreSQL servers). Every output
format of a scan of their plans and of their .tf source, the stored results and the scanner's own
messages are searched for each password and for a distinctive part of it: none may appear, while
the SEC-01 finding itself is there and says where the password is written."""
import json
import re
import sqlite3
import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT

sys.path.insert(0, str(ROOT / "fixtures" / "_build"))
import aws_platform  # noqa: E402
import azure_standby  # noqa: E402

FORMATS = {"json": "out.json", "html": "out.html", "sarif": "out.sarif", "junit": "out.xml",
           "markdown": "out.md", "table": "out.txt", "gitlab-sast": "out.gl.json"}
CASES = {
    "aws-platform/violating": [aws_platform.LITERAL_DB_PASSWORD],
    "azure-standby/violating": [azure_standby.LITERAL_SQL_PASSWORD, azure_standby.LITERAL_PG_PASSWORD],
}


def needles(passwords):
    """Each password, and a distinctive part of it (the middle, without the shared prefix)."""
    out = []
    for p in passwords:
        out += [p, p[4:-5]]
    assert all(len(n) >= 6 for n in out)
    return out


def _scan(target, tmp_path, store=None):
    args = [sys.executable, "-m", "scanner", "scan", str(target)]
    for fmt, name in FORMATS.items():
        args += ["--format", fmt, "-o", str(tmp_path / name)]
    if store:
        args += ["--store", store, "--scope", "secret-test"]
    env = {"COLUMNS": "200", "PATH": "/usr/bin:/bin"}
    return subprocess.run(args, capture_output=True, text=True, timeout=180, env=env)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("source", ["plan.json", "tf"])
def test_no_output_format_carries_the_password(name, source, tmp_path):
    target = FIXTURES / name / ("plan.json" if source == "plan.json" else "")
    passwords = CASES[name]
    # the fixture really holds them (else the test proves nothing)
    text = (target.read_text() if source == "plan.json" else
            "\n".join(p.read_text() for p in target.rglob("*.tf")))
    assert all(p in text for p in passwords)
    store = f"sqlite:///{tmp_path / 'history.db'}"
    r = _scan(target, tmp_path, store)
    assert r.returncode == 1, r.stderr
    doc = json.loads((tmp_path / "out.json").read_text())
    sec = [f for f in doc["findings"] if f["control_id"] == "SEC-01" and f["status"] == "fail"]
    assert len(sec) == len(passwords)
    for f in sec:   # it says where: the attribute, the file and the line of the password
        where = FIXTURES / name / f["resource"]["file"]
        line = where.read_text().splitlines()[f["resource"]["line"] - 1]
        assert re.match(r"\s*(administrator_login_password|administrator_password|password)\s*=", line), line
        assert any("password" in k for k in f["evidence"])
    outputs = {name: (tmp_path / name).read_bytes() for name in FORMATS.values()}
    outputs["stdout+stderr"] = (r.stdout + r.stderr).encode()
    con = sqlite3.connect(str(tmp_path / "history.db"))
    run_ids = [row[0] for row in con.execute("select id from runs")]
    con.close()
    assert run_ids
    got = subprocess.run([sys.executable, "-m", "scanner", "store", "get", str(run_ids[0]), "--store", store],
                         capture_output=True, timeout=60)
    assert got.returncode == 0, got.stderr
    outputs["stored results"] = got.stdout
    outputs["store file"] = (tmp_path / "history.db").read_bytes()
    for label, data in outputs.items():
        assert data, label
        for n in needles(passwords):
            assert n.encode() not in data, f"{n!r} found in {label}"
            assert not re.search(re.escape(n).encode(), data, re.I), f"{n!r} (any case) found in {label}"
