"""The history store from the command line (issue 15), as a user runs it: `--store` on a scan,
`store import|verify|get`, `history`, `diff`, `report --period`; exit statuses and messages.
The main flows run against SQLite and a real PostgreSQL."""
from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import time
from importlib import resources
from urllib.parse import urlsplit

import jsonschema
import pytest

from scanner.render.html import canonical_json
from storelib import PLAN, ROOT, base_doc, fingerprints, night, pg_server, store_url  # noqa: F401

CLI = "scanner.cli"
COMPLIANT = ROOT / "fixtures" / "aws-platform" / "compliant" / "plan.json"


def sg(*args, env=None, timeout=300):
    e = {k: v for k, v in os.environ.items() if k != "SPECGUARD_STORE"}
    e.update(env or {})
    return subprocess.run([sys.executable, "-c", f"import sys; from {CLI} import main; sys.exit(main(sys.argv[1:]))",
                           *map(str, args)], capture_output=True, text=True, cwd=ROOT, env=e, timeout=timeout)


def test_nightly_scans_are_kept_compared_and_given_back(store_url, tmp_path):
    r1 = sg("scan", PLAN, "--store", store_url, "--scope", "platform", "-f", "json", "-o", tmp_path / "r1.json",
            "-f", "table", "--fail-on", "none")
    assert r1.returncode == 0, r1.stderr
    assert "the first run of scope platform" in r1.stdout
    assert re.search(r"stored as run \S+ of scope 'platform' \(1\)", r1.stderr)
    r2 = sg("scan", PLAN, "--store", store_url, "--scope", "platform", "-f", "json", "-o", tmp_path / "r2.json",
            "-f", "markdown", "-f", "html", "-o", tmp_path / "r2.html", "--fail-on", "none")
    assert r2.returncode == 0, r2.stderr
    first = json.loads((tmp_path / "r1.json").read_text())
    assert (f"since the previous run of this scope ({first['run']['started_at']}): 0 new, 0 resolved"
            in r2.stdout.replace("\\", ""))
    second = json.loads((tmp_path / "r2.json").read_text())
    assert second["history"]["previous_run"]["id"] == first["run"]["id"]
    assert f"since the previous run of this scope ({first['run']['started_at']})" in (tmp_path / "r2.html").read_text()
    password = urlsplit(store_url).password                # the PostgreSQL URL carries one
    if password:
        shown = r1.stdout + r1.stderr + r2.stdout + r2.stderr + (tmp_path / "r2.json").read_text()
        assert password not in shown and "***" in r1.stderr
    from scanner.results import validate
    validate(second)                                 # the history entry is part of the shipped schema
    # given back byte for byte
    got = tmp_path / "got.json"
    g = sg("store", "get", second["run"]["id"], "--store", store_url, "-o", got)
    assert g.returncode == 0, g.stderr
    assert got.read_bytes() == (tmp_path / "r2.json").read_bytes()
    # the JSON output's bytes were stored as they are: they are the canonical document
    assert canonical_json(json.loads(got.read_bytes())) == got.read_bytes()
    # and the HTML report's results SHA-256 is theirs: the run was encoded once for all three
    assert hashlib.sha256(got.read_bytes()).hexdigest() in (tmp_path / "r2.html").read_text()
    h = sg("history", "--store", store_url)
    assert h.returncode == 0 and "scope platform: 2 run(s)" in h.stdout and first["run"]["id"][:12] in h.stdout
    d = sg("diff", "--store", store_url, "-f", "json")
    assert d.returncode == 0, d.stderr
    dj = json.loads(d.stdout)
    assert dj["from"]["id"] == first["run"]["id"] and dj["to"]["id"] == second["run"]["id"]
    assert dj["counts"]["new"] == 0 and len(dj["still_failing"]) == first["summary"]["fail"]
    # the results file of a stored run is compared with the run before it, not with itself
    f = sg("diff", tmp_path / "r2.json", "--store", store_url, "-f", "json")
    assert f.returncode == 0, f.stderr
    assert json.loads(f.stdout)["from"]["id"] == first["run"]["id"]
    v = sg("store", "verify", "--store", store_url)
    assert v.returncode == 0 and "2 run(s) in 1 scope(s)" in v.stdout
    if password:
        assert password not in h.stdout + h.stderr + d.stdout + d.stderr + v.stdout + v.stderr


def test_store_from_the_environment_and_diff_of_files(tmp_path):
    db = tmp_path / "h.sqlite"
    b = base_doc()
    fail = fingerprints(b, "fail")
    a, z = tmp_path / "a.json", tmp_path / "z.json"
    a.write_bytes(canonical_json(night(b, "2026-01-01T02:00:00")))
    z.write_bytes(canonical_json(night(b, "2026-01-02T02:00:00", {fail[0]: "pass", fingerprints(b, "pass")[0]: "unknown"})))
    imp = sg("store", "import", z, a, a, env={"SPECGUARD_STORE": str(db)})
    assert imp.returncode == 0, imp.stderr
    assert imp.stderr.count(": stored as run") == 2 and "already stored" in imp.stderr and "skipped" in imp.stderr
    d = sg("diff", a, z, "-f", "markdown")            # two files need no store
    assert d.returncode == 0 and "#### Resolved (1)" in d.stdout and "#### Lost visibility" in d.stdout
    one = sg("diff", z, env={"SPECGUARD_STORE": str(db)}) # a file against the latest stored run of its scope
    assert one.returncode == 0, one.stderr
    html = tmp_path / "d.html"
    assert sg("diff", env={"SPECGUARD_STORE": str(db)}, *()).returncode == 0
    assert sg("diff", "-f", "html", "-o", html, env={"SPECGUARD_STORE": str(db)}).returncode == 0
    assert "Resolved (1)" in html.read_text()


def test_period_report_json_validates_and_html_is_written(store_url, tmp_path):
    b = base_doc()
    fail = fingerprints(b, "fail")
    files = []
    for i, day in enumerate(["2026-03-01", "2026-03-02", "2026-03-04"]):
        p = tmp_path / f"n{i}.json"
        p.write_bytes(canonical_json(night(b, f"{day}T02:00:00", {fail[0]: "pass"} if i else {})))
        files.append(p)
    assert sg("store", "import", *files, "--store", store_url, "--scope", "prod").returncode == 0
    out = tmp_path / "period.json"
    r = sg("report", "--store", store_url, "--period", "2026-03-01..2026-03-05", "--scope", "prod",
           "-f", "json", "-o", out, "-f", "html", "-o", tmp_path / "period.html")
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    schema = json.loads(resources.files("scanner").joinpath("data/period.schema.json").read_text())
    jsonschema.validate(doc, schema)
    assert doc["gaps"] == [{"from": "2026-03-03", "to": "2026-03-03", "missing": 1},
                           {"from": "2026-03-05", "to": "2026-03-05", "missing": 1}]
    assert len(doc["runs"]) == 3 and doc["integrity"]["chain_ok"]
    assert "Audit period report" in (tmp_path / "period.html").read_text()
    md = sg("report", "--store", store_url, "--period", "2026-03-01..2026-03-05", "--expect", "weekly")
    assert md.returncode == 0 and md.stdout.startswith("# Audit period report: prod")


@pytest.fixture(scope="module")
def one_run_store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("one-run")
    db = tmp / "h.sqlite"
    f = tmp / "one.json"
    f.write_bytes(canonical_json(night(base_doc(), "2026-01-01T02:00:00")))
    assert sg("store", "import", f, "--store", db, "--scope", "prod").returncode == 0
    return db


@pytest.mark.parametrize("args, message", [
    (["report", "--store", "{db}", "--period", "2026-02-01..2026-01-01"], "end is before the start"),
    (["report", "--store", "{db}", "--period", "last year"], "expected START..END"),
    (["report", "--store", "{db}", "--period", "2026-01-01..2026-01-31", "--scope", "nope"], "no scope 'nope'"),
    (["report", "--store", "{db}", "--period", "2026-01-01..2026-01-31", "--expect", "monthly"], "--expect"),
    (["report", "--store", "{db}"], "go with --period"),
    (["store", "get", "no-such-run-id", "--store", "{db}", "-o", "{tmp}/x.json"], "no run 'no-such-run-id'"),
    (["history", "--store", "{db}", "--scope", "nope"], "no scope 'nope'"),
    (["diff", "nosuchrun", "--store", "{db}"], "no run 'nosuchrun'"),
    (["scan", str(PLAN), "--scope", "x"], "give --store URL too"),
    (["history"], "no history store"),
])
def test_bad_options_are_one_line_exit_2(args, message, one_run_store, tmp_path, capsys, monkeypatch):
    import importlib
    monkeypatch.delenv("SPECGUARD_STORE", raising=False)
    rc = importlib.import_module(CLI).main([a.format(db=one_run_store, tmp=tmp_path) for a in args])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.json").exists()


def test_a_bad_store_stops_the_scan_before_it_starts(tmp_path):
    out = tmp_path / "r.json"
    r = sg("scan", PLAN, "--store", "mysql://u@h/db", "-f", "json", "-o", out)
    assert r.returncode == 2 and "unsupported store kind" in r.stderr and not out.exists()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    r = sg("scan", PLAN, "--store", f"postgresql://auditor:Hunter2-secret@127.0.0.1:{port}/h", "-f", "json", "-o", out)
    assert r.returncode == 3 and time.monotonic() - t0 < 15 and not out.exists()
    assert "Hunter2-secret" not in r.stderr + r.stdout and "cannot reach the store" in r.stderr


def test_storing_that_fails_after_the_scan_still_writes_the_outputs(tmp_path):
    import sqlite3
    db = tmp_path / "h.sqlite"
    first = night(base_doc(), "2026-01-01T02:00:00", scope="platform")
    f = tmp_path / "first.json"
    f.write_bytes(canonical_json(first))
    assert sg("store", "import", f, "--store", db).returncode == 0
    # the store opens and checks fine before the scan; the database refuses the run's row after it
    con = sqlite3.connect(db)
    con.execute("CREATE TRIGGER refuse BEFORE INSERT ON runs BEGIN SELECT RAISE(ABORT, 'disk quota exceeded'); END")
    con.commit()
    con.close()
    out = tmp_path / "r.json"
    r = sg("scan", PLAN, "--store", db, "--scope", "platform", "-f", "json", "-o", out, "--fail-on", "none")
    assert r.returncode == 3
    assert "the run was not stored" in r.stderr and "disk quota exceeded" in r.stderr
    assert "outputs were written" in r.stderr
    assert json.loads(out.read_text())["summary"]["total"] > 0
    con = sqlite3.connect(db)     # one transaction: nothing of the refused run was kept
    assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM intervals WHERE from_seq > 1 OR to_seq IS NOT NULL").fetchone()[0] == 0
    con.close()


def test_verify_exit_1_names_the_altered_run(tmp_path):
    import sqlite3
    db = tmp_path / "h.sqlite"
    b = base_doc()
    docs = [night(b, f"2026-01-0{i}T02:00:00") for i in (1, 2)]
    files = []
    for i, d in enumerate(docs):
        p = tmp_path / f"{i}.json"
        p.write_bytes(canonical_json(d))
        files.append(p)
    assert sg("store", "import", *files, "--store", db).returncode == 0
    with sqlite3.connect(db) as c:
        c.execute("UPDATE runs SET started_at = '2026-01-01T03:00:00Z' WHERE id = ?", (docs[0]["run"]["id"],))
    r = sg("store", "verify", "--store", db)
    assert r.returncode == 1 and docs[0]["run"]["id"] in r.stderr and "altered" in r.stderr


def test_a_newer_store_is_refused_with_exit_2(tmp_path):
    import sqlite3
    db = tmp_path / "h.sqlite"
    assert sg("history", "--store", db).returncode == 2          # no such store yet: nothing created
    assert not db.exists()
    f = tmp_path / "one.json"
    f.write_bytes(canonical_json(night(base_doc(), "2026-01-01T02:00:00")))
    assert sg("store", "import", f, "--store", db).returncode == 0
    with sqlite3.connect(db) as c:
        c.execute("UPDATE alembic_version SET version_num = '0999'")
    r = sg("scan", PLAN, "--store", db, "-f", "json", "-o", tmp_path / "r.json")
    assert r.returncode == 2 and "upgrade specguard" in r.stderr and not (tmp_path / "r.json").exists()


def test_version_and_plain_scans_import_no_database_code():
    code = (f"import sys\nfrom {CLI} import main\n"
            "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
            "main(['scan', sys.argv[1], '-q', '-f', 'json', '-o', '/dev/null', '--fail-on', 'none'])\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'alembic', 'psycopg')))")
    r = subprocess.run([sys.executable, "-c", code, str(COMPLIANT)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "[]"


def test_period_report_prints_to_pdf(tmp_path):
    import shutil
    from scanner.render.pdf import find_browser
    if not find_browser() or not shutil.which("pdftotext"):
        pytest.skip("needs Chromium and pdftotext (.ci/install-system-deps installs them)")
    db = tmp_path / "h.sqlite"
    f = tmp_path / "one.json"
    f.write_bytes(canonical_json(night(base_doc(), "2026-01-01T02:00:00")))
    assert sg("store", "import", f, "--store", db, "--scope", "prod").returncode == 0
    out = tmp_path / "period.pdf"
    r = sg("report", "--store", db, "--period", "2026-01-01..2026-01-03", "-f", "pdf", "-o", out)
    assert r.returncode == 0, r.stderr
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True).stdout
    assert "Audit period report" in text.replace("AUDIT PERIOD REPORT", "Audit period report") or "Gaps in the evidence" in text
    assert "2026-01-02" in text and "page 1 of" in text


def _sev(doc: dict, fp: str) -> str:
    return next(f["severity"] for f in doc["findings"] if f["fingerprint"] == fp)


def test_diff_fail_on_gates_on_new_failures_only(store_url, tmp_path):
    """diff --fail-on has the scan's meaning applied to what changed: a NEW fail (or a newly unknown
    finding, unless --allow-unknown) at or above the severity is exit 1; failures in both runs are
    not; without --fail-on diff exits 0 as before."""
    b = base_doc()
    fails, passes = fingerprints(b, "fail"), fingerprints(b, "pass")
    # a passing finding that fails tomorrow, of the highest severity a passing finding has
    order = ["info", "low", "medium", "medium-high", "high", "critical"]
    newly = max(passes, key=lambda fp: order.index(_sev(b, fp)))
    sev = _sev(b, newly)
    above = order[order.index(sev) + 1] if sev != "critical" else None
    files = {}
    for name, statuses in (("a", {}), ("same", {}), ("newfail", {newly: "fail"}), ("newunknown", {newly: "unknown"}),
                           ("fixed", {fails[0]: "pass"}), ("was_unknown", {newly: "unknown"})):
        p = tmp_path / f"{name}.json"
        p.write_bytes(canonical_json(night(b, "2026-01-01T02:00:00", statuses)))
        files[name] = p

    def diff(x, y, *opts):
        return sg("diff", files[x], files[y], "-f", "json", *opts)

    assert b["summary"]["fail"] > 0
    r = diff("a", "same", "--fail-on", "info")                   # still failing: not new
    assert r.returncode == 0, r.stderr
    assert "diff gate passed: 0 new fail and 0 newly unknown at or above info" in r.stderr
    assert json.loads(r.stdout)["gate"]["passed"] is True
    r = diff("a", "newfail", "--fail-on", sev)
    assert r.returncode == 1 and f"diff gate failed: 1 new fail and 0 newly unknown at or above {sev}" in r.stderr
    assert json.loads(r.stdout)["gate"]["fingerprints"] == [newly]
    if above:
        assert diff("a", "newfail", "--fail-on", above).returncode == 0   # below the threshold
    assert diff("a", "newfail").returncode == 0                          # no --fail-on: no gate
    assert diff("a", "newfail", "--fail-on", "none").returncode == 0
    assert diff("a", "fixed", "--fail-on", "info").returncode == 0       # a fix is never a failure
    r = diff("a", "newunknown", "--fail-on", sev)                        # lost from sight counts ...
    assert r.returncode == 1 and "1 newly unknown" in r.stderr
    assert diff("a", "newunknown", "--fail-on", sev, "--allow-unknown").returncode == 0   # ... unless allowed
    assert diff("was_unknown", "newfail", "--fail-on", sev, "--allow-unknown").returncode == 1  # unknown -> fail
    assert diff("newfail", "newunknown", "--fail-on", "info").returncode == 0   # fail -> unknown: not new
    # the same gate on stored runs (the default: latest against the one before)
    assert sg("store", "import", files["a"], "--store", store_url, "--scope", "s").returncode == 0
    later = night(b, "2026-01-02T02:00:00", {newly: "fail"})
    lp = tmp_path / "later.json"
    lp.write_bytes(canonical_json(later))
    assert sg("store", "import", lp, "--store", store_url, "--scope", "s").returncode == 0
    r = sg("diff", "--store", store_url, "--fail-on", sev, "-f", "markdown", "-o", tmp_path / "d.md")
    assert r.returncode == 1 and (tmp_path / "d.md").exists() and "diff gate failed" in r.stderr
    r = sg("diff", "--store", store_url, "--fail-on", "severe")
    assert r.returncode == 2 and "unknown --fail-on severity 'severe'" in r.stderr
    r = sg("diff", "--store", store_url, "--allow-unknown")
    assert r.returncode == 2 and "--allow-unknown goes with --fail-on" in r.stderr


def test_a_run_without_json_output_is_stored_as_its_reports_show_it(tmp_path):
    """Without -o results.json the document is encoded and compressed while the outputs are
    written: what is stored is the document the reports were rendered from (the HTML report prints
    its SHA-256), given back byte for byte in canonical form."""
    import hashlib
    db = tmp_path / "h.sqlite"
    html, md = tmp_path / "r.html", tmp_path / "r.md"
    r = sg("scan", PLAN, "--store", db, "--scope", "p", "-f", "html", "-o", html, "-f", "markdown", "-o", md,
           "--fail-on", "none")
    assert r.returncode == 0, r.stderr
    run = re.search(r"stored as run (\S+) of scope 'p'", r.stderr).group(1)
    got = tmp_path / "got.json"
    assert sg("store", "get", run, "--store", db, "-o", got).returncode == 0
    data = got.read_bytes()
    assert canonical_json(json.loads(data)) == data
    assert hashlib.sha256(data).hexdigest() in html.read_text()
    assert json.loads(data)["history"] == {"scope": "p", "previous_run": None}
