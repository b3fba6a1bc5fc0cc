"""Baselines (issue 20): accepted findings stay in every report, marked, and do not gate; new ones do."""
import json
import types
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from conftest import CORPUS
from planlib import Plan
from scanner import baseline
from scanner.errors import InputError
from scanner.pipeline import load_results, scan_paths
from scanner.render import render
from scanner.results import validate
from scanner.store import diff


def scan(path, profile=None) -> dict:
    args = types.SimpleNamespace(paths=[str(path)], var=[], var_file=[], source_dir=None, profile=profile,
                                 waivers=None, rules=None, no_source_waivers=False, checkov_results=None)
    return scan_paths(args)


def plan_file(tmp_path, name, dbs: dict) -> str:
    """A plan of RDS instances: name -> encrypted?"""
    p = Plan()
    for db, encrypted in dbs.items():
        p.add("aws_db_instance", db, {"storage_encrypted": encrypted})
    return p.write(tmp_path / name)


def by(doc, control, address):
    return next(f for f in doc["findings"] if f["control_id"] == control and f["resource"]["address"] == address)


def gating(doc, allow_unknown=False):
    bad = {"fail"} if allow_unknown else {"fail", "unknown"}
    return [f for f in doc["findings"] if f["status"] in bad and baseline.counts_for_gate(f)]


@pytest.fixture()
def before(tmp_path):
    doc = scan(plan_file(tmp_path, "before.json", {"a": False, "b": False}))
    path = tmp_path / "baseline.json"
    path.write_text(baseline.dumps(baseline.create(doc)))
    return doc, str(path)


def test_create_keeps_what_would_gate_accepted(before):
    doc, path = before
    data = json.loads(open(path).read())
    jsonschema.validate(data, baseline.schema())
    gate_now = {f["fingerprint"] for f in doc["findings"] if f["status"] in ("fail", "unknown")}
    assert {e["fingerprint"] for e in data["findings"]} == gate_now
    assert {e["status"] for e in data["findings"]} == {"accepted"}
    assert {e["found"] for e in data["findings"]} == {"fail", "unknown"}
    enc = [e for e in data["findings"] if e["control_id"] == "ENC-01"]
    assert [e["address"] for e in enc] == ["aws_db_instance.a", "aws_db_instance.b"]
    assert data["profile"] == "spec" and data["from_run"]["id"] == doc["run"]["id"]


def test_accepted_findings_are_marked_new_ones_gate_fixed_ones_listed(tmp_path, before):
    _, path = before
    # b is gone (its entries fixed); c is a new, failing database; a is unchanged
    doc = scan(plan_file(tmp_path, "after.json", {"a": False, "c": False}))
    baseline.apply(doc, baseline.load(path))
    validate(doc)
    a, c = by(doc, "ENC-01", "aws_db_instance.a"), by(doc, "ENC-01", "aws_db_instance.c")
    assert a["status"] == "fail" and a["baseline"] is True
    assert c["status"] == "fail" and "baseline" not in c
    # only c's findings can fail the gate (a's and b's other failures are accepted)
    assert {f["resource"]["address"] for f in gating(doc)} == {"aws_db_instance.c"}
    b = doc["baseline"]
    assert b["path"] == path and b["kind"] == "baseline"
    assert {x["address"] for x in b["fixed"]} == {"aws_db_instance.b"}
    assert ("ENC-01", "aws_db_instance.b") in {(x["control_id"], x["address"]) for x in b["fixed"]}
    assert b["new"] == sum(1 for f in doc["findings"] if f["status"] == "fail" and not f.get("baseline"))
    assert b["accepted"] == sum(1 for f in doc["findings"] if f.get("baseline"))
    # the summary still counts every status: the marking hides nothing
    assert doc["summary"]["fail"] == sum(1 for f in doc["findings"] if f["status"] == "fail")


def test_the_same_code_as_today_passes_the_gate(tmp_path, before):
    _, path = before
    doc = scan(plan_file(tmp_path, "same.json", {"a": False, "b": False}))
    baseline.apply(doc, baseline.load(path))
    assert gating(doc) == []
    assert doc["baseline"]["new"] == 0 and doc["baseline"]["fixed"] == []


def test_a_renamed_resource_is_a_new_finding(tmp_path, before):
    _, path = before
    doc = scan(plan_file(tmp_path, "renamed.json", {"a": False, "b_renamed": False}))
    baseline.apply(doc, baseline.load(path))
    assert "baseline" not in by(doc, "ENC-01", "aws_db_instance.b_renamed")
    assert ("ENC-01", "aws_db_instance.b") in {(x["control_id"], x["address"]) for x in doc["baseline"]["fixed"]}


def test_new_is_the_store_rule_an_accepted_unknown_that_now_fails_is_new(tmp_path, before, monkeypatch):
    doc0, path = before
    data = json.loads(open(path).read())
    fp = by(doc0, "ENC-01", "aws_db_instance.a")["fingerprint"]
    for e in data["findings"]:
        if e["fingerprint"] == fp:
            e["found"] = "unknown"
    open(path, "w").write(json.dumps(data))
    doc = scan(plan_file(tmp_path, "after.json", {"a": False, "b": False}))
    baseline.apply(doc, baseline.load(path))
    assert "baseline" not in by(doc, "ENC-01", "aws_db_instance.a")      # unknown -> fail is new
    assert by(doc, "ENC-01", "aws_db_instance.b")["baseline"] is True
    # one function decides "new": change the store's rule and the baseline follows it
    monkeypatch.setattr(baseline, "is_new", lambda before, after: False)
    assert baseline.is_new is not diff.is_new
    doc = scan(plan_file(tmp_path, "after2.json", {"a": False, "b": False}))
    baseline.apply(doc, baseline.load(path))
    assert by(doc, "ENC-01", "aws_db_instance.a")["baseline"] is True
    monkeypatch.undo()
    assert baseline.is_new is diff.is_new


def test_a_results_document_is_a_baseline_too(tmp_path, before):
    doc0, _ = before
    results = tmp_path / "old-results.json"
    results.write_text(json.dumps(doc0))
    doc = scan(plan_file(tmp_path, "after.json", {"a": False, "c": False}))
    baseline.apply(doc, baseline.load(str(results)))
    assert doc["baseline"]["kind"] == "results"
    assert by(doc, "ENC-01", "aws_db_instance.a")["baseline"] is True
    assert "baseline" not in by(doc, "ENC-01", "aws_db_instance.c")


def test_marked_results_are_saved_and_rerendered(tmp_path, before):
    _, path = before
    doc = scan(plan_file(tmp_path, "after.json", {"a": False, "c": False}))
    baseline.apply(doc, baseline.load(path))
    saved = tmp_path / "results.json"
    saved.write_text(json.dumps(doc))
    again = load_results(str(saved))       # what `specguard report` reads: schema-valid, summary consistent
    assert again["baseline"] == doc["baseline"]


@pytest.mark.parametrize("content, says", [
    ('{"resource_changes": []}', "not a specguard results document or baseline"),
    ('[1, 2]', "not a specguard results document or baseline"),
    ('{"specguard_baseline": "1", "findings": [{"fingerprint": "x", "control_id": "ENC-01", "address": "a", '
     '"status": "fail"}]}', "not a valid specguard baseline"),
    ('{"specguard_baseline": "1"', ""),
])
def test_bad_baselines_name_the_file(tmp_path, content, says):
    p = tmp_path / "bl.json"
    p.write_text(content)
    with pytest.raises(InputError) as e:
        baseline.load(str(p))
    assert e.value.message.startswith(str(p))
    assert says in e.value.message and "\n" not in e.value.message


def test_a_baseline_of_another_profiles_controls_is_refused(tmp_path):
    p = tmp_path / "bl.json"
    p.write_text(json.dumps({"specguard_baseline": "1", "profile": "acme", "findings": [
        {"fingerprint": "f", "control_id": "ACME-DB-01", "address": "aws_db_instance.a", "status": "accepted"}]}))
    doc = scan(plan_file(tmp_path, "plan.json", {"a": False}))
    with pytest.raises(InputError) as e:
        baseline.apply(doc, baseline.load(str(p)))
    assert e.value.message.startswith(str(p) + ": control ACME-DB-01 is not a control of profile 'spec'")


# ----------------------------------------------------------------------------- renderers
@pytest.fixture()
def marked(tmp_path, before):
    _, path = before
    doc = scan(plan_file(tmp_path, "after.json", {"a": False, "c": False}))
    return baseline.apply(doc, baseline.load(path))


def test_sarif_marks_baseline_state(marked):
    out = json.loads(render(marked, "sarif"))
    schema = json.loads((CORPUS / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(out)
    states = {(r["ruleId"], r["properties"]["resourceAddress"]): r["baselineState"] for r in out["runs"][0]["results"]}
    assert states[("ENC-01", "aws_db_instance.a")] == "unchanged"
    assert states[("ENC-01", "aws_db_instance.c")] == "new"
    assert {x["address"] for x in out["runs"][0]["properties"]["baseline"]["fixed"]} == {"aws_db_instance.b"}
    plain = dict(marked, findings=[{k: v for k, v in f.items() if k != "baseline"} for f in marked["findings"]])
    plain.pop("baseline")
    assert all("baselineState" not in r for r in json.loads(render(plain, "sarif"))["runs"][0]["results"])


def test_junit_skips_accepted_findings_and_fails_new_ones(marked):
    root = ET.fromstring(render(marked, "junit"))
    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    a = cases[("ENC-01", "aws_db_instance.a")]
    assert a.find("failure") is None and "accepted in baseline" in a.find("skipped").get("message")
    assert cases[("ENC-01", "aws_db_instance.c")].find("failure") is not None


def test_markdown_table_and_html_show_the_marking(marked):
    md = render(marked, "markdown")
    assert "| fail (baseline) | ENC-01 | high | aws\\_db\\_instance.a |" in md
    assert "| fail | ENC-01 | high | aws\\_db\\_instance.c |" in md
    assert "❌ failing" in md and "entries fixed" in md
    table = render(marked, "table", plain=True)
    assert "fail·baseline     ENC-01" in table and "finding(s) accepted" in table
    starts = {line.index(" ENC-01 ") for line in table.splitlines() if " ENC-01 " in line}
    assert len(starts) == 1   # the columns stay aligned with the marking
    html = render(marked, "html")
    assert "[accepted in baseline]" in html and "entries fixed" in html


def test_markdown_says_no_new_findings_when_all_are_accepted(tmp_path, before):
    _, path = before
    doc = scan(plan_file(tmp_path, "same.json", {"a": False, "b": False}))
    baseline.apply(doc, baseline.load(path))
    assert "✅ no new findings (baseline)" in render(doc, "markdown")


def test_gitlab_sast_lists_accepted_findings_saying_so(marked):
    out = json.loads(render(marked, "gitlab-sast"))
    enc = {v["location"]["file"] + "|" + v["description"]: v for v in out["vulnerabilities"]
           if v["identifiers"][1]["value"] == "ENC-01"}
    a = [d for d in enc if "aws_db_instance.a (aws_db_instance)" in d]
    c = [d for d in enc if "aws_db_instance.c (aws_db_instance)" in d]
    assert len(a) == len(c) == 1
    assert "|Accepted in the baseline" in a[0] and "Accepted" not in c[0]
