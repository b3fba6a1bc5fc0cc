"""`specguard baseline create` and `--baseline` on the command line (issue 20): a team turns the gate on
with today's findings accepted; only what a change introduces fails it."""
import json
import os
import subprocess
import sys

import pytest

from planlib import Plan


def sg(cwd, *args, stdin: bytes | None = None):
    env = dict(os.environ, COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "scanner", *args], cwd=cwd, env=env, input=stdin,
                          capture_output=True, timeout=180)


def plan(path, dbs) -> bytes:
    p = Plan()
    for name in dbs:
        p.add("aws_db_instance", name, {"storage_encrypted": False})
    p.write(path)
    return p.json().encode()


@pytest.fixture()
def today(tmp_path):
    plan(tmp_path / "today.json", ["a", "b"])
    r = sg(tmp_path, "baseline", "create", "today.json", "-o", "baseline.json")
    assert r.returncode == 0, r.stderr
    return tmp_path


def test_the_gate_passes_on_todays_findings_and_fails_on_a_new_one(today):
    assert sg(today, "scan", "today.json", "-q").returncode == 1                          # without: fails
    r = sg(today, "scan", "today.json", "--baseline", "baseline.json", "-f", "table", "-o", "t.txt")
    assert r.returncode == 0, r.stderr
    assert "(baseline)" in (today / "t.txt").read_text() or "·baseline" in (today / "t.txt").read_text()
    plan(today / "tomorrow.json", ["a", "b", "c"])
    r = sg(today, "scan", "tomorrow.json", "--baseline", "baseline.json", "-f", "json", "-o", "r.json")
    assert r.returncode == 1
    doc = json.loads((today / "r.json").read_text())
    failing = {f["resource"]["address"] for f in doc["findings"] if f["status"] == "fail" and not f.get("baseline")}
    assert failing == {"aws_db_instance.c"}
    # only high and above: c fails ENC-01 (high), so still 1; with none nothing fails
    assert sg(today, "scan", "tomorrow.json", "--baseline", "baseline.json", "--fail-on", "none").returncode == 0


def test_fixed_entries_are_listed(today):
    plan(today / "smaller.json", ["a"])
    r = sg(today, "scan", "smaller.json", "--baseline", "baseline.json", "-f", "json", "-o", "r.json")
    assert r.returncode == 0
    fixed = json.loads((today / "r.json").read_text())["baseline"]["fixed"]
    assert fixed and {x["address"] for x in fixed} == {"aws_db_instance.b"}


def test_a_results_document_works_as_a_baseline_and_as_input_of_create(today):
    assert sg(today, "scan", "today.json", "-f", "json", "-o", "results.json", "--fail-on", "none").returncode == 0
    assert sg(today, "scan", "today.json", "--baseline", "results.json").returncode == 0
    r = sg(today, "baseline", "create", "results.json", "-o", "from-results.json")
    assert r.returncode == 0, r.stderr
    a = json.loads((today / "baseline.json").read_text())["findings"]
    b = json.loads((today / "from-results.json").read_text())["findings"]
    assert a == b


def test_stdin_plan_with_a_baseline(today):
    data = plan(today / "ignored.json", ["a", "b"])
    r = sg(today, "scan", "-", "--baseline", "baseline.json", stdin=data)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("content", ['{"format_version": "1.2"}', "not json", '{"specguard_baseline": "9"}'])
def test_a_bad_baseline_is_exit_2_naming_the_file_and_nothing_is_written(today, content):
    (today / "bad.json").write_text(content)
    r = sg(today, "scan", "today.json", "--baseline", "bad.json", "-f", "json", "-o", "out.json")
    assert r.returncode == 2
    err = r.stderr.decode().strip()
    assert "bad.json" in err and len(err.splitlines()) == 1
    assert not (today / "out.json").exists()


@pytest.mark.parametrize("make, says", [
    (lambda p: None, "baseline file not found"),
    (lambda p: p.mkdir(), "is a directory, not a baseline or results file"),
    (lambda p: p.write_text("  \n"), "file is empty: not a specguard baseline or results document"),
])
def test_a_missing_empty_or_directory_baseline_speaks_of_a_baseline_not_a_plan(today, make, says):
    make(today / "bl.json")
    r = sg(today, "scan", "today.json", "--baseline", "bl.json", "-f", "json", "-o", "out.json")
    err = r.stderr.decode().strip()
    assert r.returncode == 2 and err == f"specguard: error: bl.json: {says}" + (
        " (write one with: specguard baseline create PATH -o baseline.json)" if "directory" not in says else "")
    assert "plan" not in err.replace("baseline create PATH", "") and not (today / "out.json").exists()


def test_a_baseline_of_another_profile_is_exit_2(today):
    data = json.loads((today / "baseline.json").read_text())
    data["findings"][0]["control_id"] = "ACME-DB-01"
    (today / "other.json").write_text(json.dumps(data))
    r = sg(today, "scan", "today.json", "--baseline", "other.json", "-f", "json", "-o", "out.json")
    assert r.returncode == 2 and "other.json: control ACME-DB-01 is not a control of profile" in r.stderr.decode()
    assert not (today / "out.json").exists()


def test_report_rerenders_marked_results(today):
    sg(today, "scan", "today.json", "--baseline", "baseline.json", "-f", "json", "-o", "r.json")
    r = sg(today, "report", "r.json", "-f", "sarif", "-o", "r.sarif")
    assert r.returncode == 0, r.stderr
    states = {x["baselineState"] for x in json.loads((today / "r.sarif").read_text())["runs"][0]["results"]}
    assert states == {"unchanged"}


def test_the_summary_line_counts_only_what_the_baseline_did_not_accept(today):
    plan(today / "tomorrow.json", ["a", "b", "c"])
    r = sg(today, "scan", "tomorrow.json", "--baseline", "baseline.json", "--fail-on", "high", "-f", "json",
           "-o", "r.json")
    line = r.stderr.decode().strip()
    doc = json.loads((today / "r.json").read_text())
    new = [f for f in doc["findings"] if f["severity"] in ("high", "critical") and not f.get("baseline")]
    assert {f["resource"]["address"] for f in new if f["status"] in ("fail", "unknown")} == {"aws_db_instance.c"}
    n_fail = sum(1 for f in new if f["status"] == "fail")
    n_unknown = sum(1 for f in new if f["status"] == "unknown")
    assert r.returncode == 1
    assert f"gate failed: {n_fail} fail and {n_unknown} unknown at or above high not in the baseline" in line


def test_the_table_lists_new_failures_before_accepted_ones(today):
    plan(today / "tomorrow.json", ["a", "b", "c"])
    r = sg(today, "scan", "tomorrow.json", "--baseline", "baseline.json", "-f", "table", "-o", "t.txt")
    assert r.returncode == 1
    rows = [line for line in (today / "t.txt").read_text().splitlines() if "aws_db_instance." in line]
    marked = ["baseline" in line for line in rows]
    assert marked.count(False) and marked == sorted(marked)          # every new row before every accepted one
    assert all("aws_db_instance.c" in line for line, m in zip(rows, marked) if not m)


def test_a_baseline_of_one_input_holds_in_a_run_of_several(tmp_path):
    """A pre-commit hook or CI job scans several inputs where the baseline was made from one (the fingerprint
    holds the input only in runs of several): the findings of the baseline's input are still accepted; the
    other input's, with the same addresses, are new."""
    plan(tmp_path / "prod.json", ["a"])
    plan(tmp_path / "stage.json", ["a"])
    assert sg(tmp_path, "baseline", "create", "./prod.json", "-o", "bl.json").returncode == 0
    r = sg(tmp_path, "scan", "prod.json", "stage.json", "--baseline", "bl.json", "-f", "json", "-o", "r.json")
    assert r.returncode == 1
    doc = json.loads((tmp_path / "r.json").read_text())
    bad = [f for f in doc["findings"] if f["status"] in ("fail", "unknown")]
    assert {f["resource"]["input"] for f in bad if f.get("baseline")} == {"prod.json"}
    assert {f["resource"]["input"] for f in bad if not f.get("baseline")} == {"stage.json"}
    assert doc["baseline"]["fixed"] == []


def test_a_baseline_of_several_inputs_holds_in_a_run_of_one(tmp_path):
    """The hook scans only the root a commit touched: that root's entries match, the others' are neither
    matched nor called fixed."""
    plan(tmp_path / "prod.json", ["a"])
    plan(tmp_path / "stage.json", ["a", "b"])
    assert sg(tmp_path, "baseline", "create", "prod.json", "stage.json", "-o", "bl.json").returncode == 0
    entries = json.loads((tmp_path / "bl.json").read_text())["findings"]
    assert {e["input"] for e in entries} == {"prod.json", "stage.json"}
    r = sg(tmp_path, "scan", "stage.json", "--baseline", "bl.json", "-f", "json", "-o", "r.json", "-f", "table",
           "-o", "t.txt")
    assert r.returncode == 0, r.stderr
    b = json.loads((tmp_path / "r.json").read_text())["baseline"]
    assert b["new"] == 0 and b["fixed"] == []
    assert b["not_scanned"] == sum(1 for e in entries if e["input"] == "prod.json") > 0
    assert f"{b['not_scanned']} entries are of inputs this run did not scan" in (tmp_path / "t.txt").read_text()


def test_a_hand_written_baseline_without_found_means_fail(today):
    data = json.loads((today / "baseline.json").read_text())
    for e in data["findings"]:
        del e["found"]
    (today / "hand.json").write_text(json.dumps(data))
    r = sg(today, "scan", "today.json", "--baseline", "hand.json", "--allow-unknown")
    assert r.returncode == 0, r.stderr
