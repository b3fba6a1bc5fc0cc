"""JUnit XML: one test case per control x resource; fail and unknown fail, waived is skipped."""
import json
import xml.etree.ElementTree as ET

import reportlib
from reportlib import XSS
from scanner.render import junit


def parse(doc):
    return ET.fromstring(junit.render(doc).encode("utf-8"))


def test_one_case_per_finding_with_failures_and_skips():
    doc = reportlib.synthetic(400)
    root = parse(doc)
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(doc["findings"])
    want = {(f["control_id"], f["resource"]["address"]): f["status"] for f in doc["findings"]}
    for case in cases:
        status = want[(case.get("classname"), case.get("name"))]
        failure, skipped = case.find("failure"), case.find("skipped")
        if status in ("fail", "unknown"):
            assert failure is not None and skipped is None
            assert failure.get("message").startswith(f"[{status}]")
        elif status == "waived":
            assert skipped is not None and failure is None
            assert "ciso@example.com" in skipped.get("message") and "2099-12-31" in skipped.get("message")
        else:
            assert failure is None and skipped is None
    s = doc["summary"]
    assert int(root.get("tests")) == s["total"]
    assert int(root.get("failures")) == s["fail"] + s["unknown"]
    assert int(root.get("skipped")) == s["waived"]
    suites = root.findall("testsuite")
    assert [x.find("properties/property[@name='control']").get("value") for x in suites] == \
        [c["id"] for c in doc["controls"]]
    for suite in suites:
        assert int(suite.get("tests")) == len(suite.findall("testcase"))


def test_payloads_and_control_characters_stay_text():
    doc = reportlib.synthetic(60, xss=True)
    doc["findings"][0]["message"] += " bell\x07 nul\x00 end"
    root = parse(doc)                       # parses: no character XML 1.0 forbids
    names = [c.get("name") for c in root.iter("testcase")]
    assert any(XSS[0] in n for n in names) and any(XSS[1] in n for n in names)
    texts = " ".join((e.text or "") + " ".join(e.attrib.values()) for e in root.iter())
    assert "bell\ufffd nul\ufffd end" in texts
    assert not list(root.iter("script")) and not list(root.iter("img"))


def test_real_scan_through_the_cli(tmp_path, run_cli):
    doc = reportlib.scan_doc(tmp_path, reportlib.xss_plan())
    saved = tmp_path / "r.json"
    saved.write_text(json.dumps(doc), encoding="utf-8")
    r = run_cli("report", saved, "-o", tmp_path / "r.xml")     # format from the extension
    assert r.returncode == 0, r.stderr
    root = ET.parse(tmp_path / "r.xml").getroot()
    assert int(root.get("tests")) == len(doc["findings"])
    assert int(root.get("failures")) == doc["summary"]["fail"] + doc["summary"]["unknown"]


def test_junit_and_sarif_name_a_finding_s_file_the_same_way(run_cli, tmp_path):
    import json
    import pathlib
    import xml.etree.ElementTree as ET
    root = pathlib.Path(__file__).resolve().parent.parent
    plan = root / "fixtures" / "aws-platform" / "violating" / "plan.json"
    r = run_cli("scan", plan.relative_to(root), "--format", "sarif", "-o", tmp_path / "r.sarif",
                "--format", "junit", "-o", tmp_path / "r.xml", cwd=root)
    assert r.returncode == 1, r.stderr
    sarif = json.loads((tmp_path / "r.sarif").read_text())
    by_addr = {}
    for res in sarif["runs"][0]["results"]:
        loc = res["locations"][0]
        uri = loc["physicalLocation"]["artifactLocation"]["uri"]
        by_addr[(res["ruleId"], res["properties"]["resourceAddress"])] = uri
    cases = [(c.get("classname"), c.get("name"), c.get("file")) for c in ET.parse(tmp_path / "r.xml").iter("testcase")
             if c.get("file")]
    assert cases
    for cid, addr, file in cases:
        if (cid, addr) in by_addr:
            assert by_addr[(cid, addr)] == file, (cid, addr)
    assert all(f.startswith("fixtures/aws-platform/violating/") for _, _, f in cases), cases[:3]
