"""The HTML audit report, read as text (the browser test opens it in Chromium)."""
import json
import re
from html.parser import HTMLParser

import pytest

import reportlib
from reportlib import XSS
from scanner.render import html


class Page(HTMLParser):
    """Collects what the report is made of: tags with attributes, section order, text, scripts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.sections, self.text, self.scripts = [], [], [], []
        self._in_script = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "section":
            self.sections.append(a.get("id"))
        if tag == "script":
            self._in_script = a
            self.scripts.append([a, ""])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None

    def handle_data(self, data):
        if self._in_script is not None:
            self.scripts[-1][1] += data
        else:
            self.text.append(data)


def parse(text):
    p = Page()
    p.feed(text)
    return p


@pytest.fixture(scope="module")
def xss_doc():
    return reportlib.synthetic(400, xss=True)


def test_sections_in_the_order_an_auditor_reads(xss_doc):
    p = parse(html.render(xss_doc))
    assert p.sections == ["cover", "summary", "matrix", "detail", "exceptions", "coverage", "methodology"]


def test_cover_names_scope_times_tool_profile_and_results_hash():
    doc = reportlib.synthetic(200)
    out = html.render(doc)
    text = " ".join(parse(out).text)
    for needle in ("Example Corp", "Payments platform", "2025-03-01T10:00:00Z", "2025-03-01T10:00:05Z",
                   "specguard 0.1.0", reportlib.SHA, "111122223333", "us-west-2",
                   "00000000-0000-0000-0000-000000000001", "plan.json", "infra"):
        assert needle in text, needle
    digest = html.document_sha256(doc)
    assert re.search(rf'id="results-sha256">{digest}<', out)
    assert f'content="{digest}"' in out


def test_results_hash_is_the_canonical_json_and_survives_a_round_trip(tmp_path, run_cli):
    doc = reportlib.synthetic(120)
    expected = html.document_sha256(doc)
    import hashlib
    assert expected == hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":"),
                                                 ensure_ascii=False).encode()).hexdigest()
    saved = tmp_path / "r.json"
    saved.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    r = run_cli("report", saved, "--format", "html", "-o", tmp_path / "r.html")
    assert r.returncode == 0, r.stderr
    assert expected in (tmp_path / "r.html").read_text(encoding="utf-8")
    changed = dict(doc, summary=dict(doc["summary"], fail=doc["summary"]["fail"] + 1))
    assert html.document_sha256(changed) != expected


def test_summary_and_matrix_counts_come_from_the_findings():
    doc = reportlib.synthetic(360)
    ctx = html.build_context(doc)
    for c in ctx["controls"]:
        mine = [f for f in doc["findings"] if f["control_id"] == c["id"]]
        assert c["counts"] == {k: sum(1 for f in mine if f["status"] == k) for k in ("pass", "fail", "unknown", "waived")}
    enc = next(f for f in ctx["families"] if f["family"] == "ENC")
    assert enc["total"] == sum(1 for f in doc["findings"] if f["control_id"].startswith("ENC-"))
    a12 = next(c for c in ctx["criteria"] if c["criterion"] == "A1.2")
    a12_ids = {c[0] for c in reportlib.CONTROLS if "A1.2" in c[3]}
    assert a12["total"] == sum(1 for f in doc["findings"] if f["control_id"] in a12_ids)
    out = html.render(doc)
    assert out.count('<tr><td><a href="#ctl-') == len(reportlib.CONTROLS)   # matrix: every control
    assert out.count('<details class="ctl"') == len(reportlib.CONTROLS)     # detail: every control
    assert "<svg" in out and "seg-fail" in out                              # the chart


def test_every_finding_is_in_the_embedded_data_and_no_script_can_be_closed_early(xss_doc):
    out = html.render(xss_doc)
    p = parse(out)
    data = [s for a, s in p.scripts if a.get("type") == "application/json"]
    assert len(data) == 1
    assert "<" not in data[0]                       # no "</script", no "<!--" inside the data block
    embedded = json.loads(data[0])
    assert len(embedded["findings"]) == len(xss_doc["findings"])
    strings = embedded["strings"]
    addresses = {row[2] for row in embedded["findings"]}
    assert addresses == {f["resource"]["address"] for f in xss_doc["findings"]}
    assert XSS[0] in strings and any(XSS[1] in s for s in strings)


def test_payloads_are_text_outside_the_data_block(xss_doc):
    out = html.render(xss_doc)
    p = parse(out)
    executable = [s for a, s in p.scripts if a.get("type") != "application/json"]
    assert len(executable) == 1 and "alert(1)" not in executable[0]
    # no element and no attribute the payloads could have created
    assert not any(tag == "img" for tag, _ in p.tags)
    assert not any(k.startswith("on") for _, a in p.tags for k in a)
    text = " ".join(p.text)
    assert XSS[0] in text and XSS[1] in text        # shown, as text (cover, waivers, unknowns, coverage)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out


def test_self_contained_and_locked_down_by_csp(xss_doc):
    out = html.render(xss_doc)
    p = parse(out)
    for tag, a in p.tags:
        for k in ("src", "href", "action", "srcset", "data"):
            v = a.get(k)
            if v is not None:
                assert v.startswith("#"), (tag, k, v)   # only in-page anchors
    assert "@import" not in out and "url(" not in out
    assert not re.search(r"\b(fetch|XMLHttpRequest|WebSocket|EventSource|sendBeacon)\b", out)
    csp = next(a["content"] for t, a in p.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "'unsafe-inline'" not in csp
    import base64
    import hashlib
    js = next(s for a, s in p.scripts if a.get("type") != "application/json")
    assert "sha256-" + base64.b64encode(hashlib.sha256(js.encode()).digest()).decode() in csp


def test_exceptions_flag_expired_unused_and_list_every_waiver(xss_doc):
    out = html.render(xss_doc)
    text = " ".join(parse(out).text)
    assert "expired: covers nothing" in text
    assert "unused: matched no failing finding" in text
    for w in xss_doc["waivers"]:
        assert w["approver"] in text and w["expires"] in text and w["reason"] in text


def test_coverage_lists_unknowns_and_what_was_not_seen(xss_doc):
    ctx = html.build_context(xss_doc)
    assert ctx["unknowns"]["total"] == xss_doc["summary"]["unknown"]
    assert sum(g["count"] for g in ctx["unknowns"]["groups"]) == xss_doc["summary"]["unknown"]
    text = " ".join(parse(html.render(xss_doc)).text)
    for c in xss_doc["coverage"]:
        assert c["message"] in text
    assert "Methodology" in text and "canonical" in text


def test_real_pipeline_document_renders(tmp_path):
    doc = reportlib.scan_doc(tmp_path, reportlib.xss_plan())
    out = html.render(doc)
    p = parse(out)
    text = " ".join(p.text)
    assert not any(tag == "img" for tag, _ in p.tags)
    assert html.document_sha256(doc) in out
    assert "ENC-01" in text and "plan.json" in text
    data = json.loads(next(s for a, s in p.scripts if a.get("type") == "application/json"))
    assert {r[2] for r in data["findings"]} == {f["resource"]["address"] for f in doc["findings"]}
    assert any(XSS[0] in r[2] for r in data["findings"])


def test_large_report_renders_and_stays_compact():
    doc = reportlib.synthetic(20_000)
    out = html.render(doc)
    assert len(out.encode()) < 20_000 * 150        # interned strings: ~100 bytes a finding
    assert out.count("<tr>") < 200                  # findings rows are not in the HTML itself


def test_print_all_marks_the_page(xss_doc):
    assert 'data-print-all="1"' in html.render(xss_doc, print_all=True)
    assert "<body data-print-all" not in html.render(xss_doc)


# ----------------------------------------------------------------------------- profile changes
def weak_doc(tmp_path):
    from planlib import Plan

    plan = Plan()
    plan.add("aws_db_instance", "db", {"storage_encrypted": True, "kms_key_id": "arn:aws:kms:us-east-1:1:key/k",
                                       "backup_retention_period": 1})
    prof = tmp_path / "weak.yaml"
    prof.write_text("name: weak\ncontrols:\n  BAK-01: {params: {min_retention_days: 1}}\n"
                    "  ENC-01: {severity: low}\n  TAG-01: {enabled: false}\n")
    return reportlib.scan_doc(tmp_path, plan, "--profile", str(prof))


def matrix_rows(out: str) -> dict:
    """Control id -> the text of its control-matrix row."""
    section = out[out.index('<section id="matrix">'):]
    section = section[:section.index("</section>")]
    rows = {}
    for chunk in section.split("<tr")[2:]:               # [0] before the table, [1] the header
        text = " ".join(" ".join(parse("<tr" + chunk).text).split())
        rows[text.split()[0]] = text
    return rows


def test_profile_changes_are_on_the_cover_and_in_the_matrix(tmp_path):
    doc = weak_doc(tmp_path)
    out = html.render(doc)
    cover = out[out.index('<section id="cover"'):out.index('<section id="summary"')]
    text = " ".join(" ".join(parse(cover).text).split())
    assert "Profile changes from the spec defaults" in text
    assert "not the spec's, so their results do not show that the spec is met" in text
    assert "BAK-01 min_retention_days 1 35" in text and "ENC-01 severity low high" in text
    assert doc["disabled_controls"] == [{"id": "TAG-01", "title": "Resources carry the required tags"}]
    assert "TAG-01 disabled by profile : Resources carry the required tags (not checked in this run)" in text
    rows = matrix_rows(out)
    bak = rows["BAK-01"]
    assert doc["controls"][[c["id"] for c in doc["controls"]].index("BAK-01")]["status"] == "pass"
    assert "profile: min_retention_days = 1 (spec: 35)" in bak
    assert "pass against profile settings, not the spec" in bak     # the status is qualified
    assert "disabled by profile" in rows["TAG-01"]
    assert "profile:" not in rows["ENC-02"] and "not the spec" not in rows["ENC-02"]
    # the findings group says it too
    detail = out[out.index('id="ctl-BAK-01"'):]
    assert "profile: min_retention_days = 1 (spec: 35)" in detail[:detail.index("</summary>")]


def test_no_profile_change_says_so():
    out = html.render(reportlib.synthetic(50))
    text = " ".join(parse(out).text)
    assert "Profile changes from the spec defaults" in text
    assert "None: every control is checked with the spec's settings." in text
    assert "disabled by profile" not in text and 'class="changed"' not in out


def test_profile_change_values_are_escaped():
    doc = reportlib.synthetic(50)
    doc["run"]["profile_overrides"] = [{"control_id": "TLS-01", "setting": f"params.{XSS[1]}",
                                        "spec": ["ELBSecurityPolicy-TLS13-1-2-2021-06"], "profile": XSS[0]}]
    doc["disabled_controls"] = [{"id": "NET-04", "title": XSS[1]}]
    out = html.render(doc)
    p = parse(out)
    assert not any(tag == "img" for tag, _ in p.tags)
    executable = [s for a, s in p.scripts if a.get("type") != "application/json"]
    assert len(executable) == 1 and "alert(1)" not in executable[0]
    text = " ".join(p.text)
    assert f'{XSS[1]} = {XSS[0]} (spec: ["ELBSecurityPolicy-TLS13-1-2-2021-06"])' in text
    assert XSS[1] in matrix_rows(out)["NET-04"]


# ----------------------------------------------------------------------------- auditor QA
def section(out: str, sid: str) -> str:
    part = out[out.index(f'<section id="{sid}"'):]
    return " ".join(" ".join(parse(part[:part.index("</section>")]).text).split())


def test_scope_limitations_qualify_the_cover_and_the_matrix():
    doc = reportlib.synthetic(100)          # one API error and one module not followed
    out = html.render(doc)
    for sid in ("cover", "matrix"):
        assert "2 scope limitations : see Coverage and limitations" in section(out, sid)
    cov = section(out, "coverage")
    assert "API error (1)" in cov and "Module not followed (1)" in cov and "module_not_followed" not in cov
    assert html.label("module-not-followed") == "Module not followed"
    # a note that narrows nothing is listed but not counted; none at all: no notice
    doc["coverage"] = [{"kind": "source-waivers-ignored", "message": "1 comment ignored"}]
    out = html.render(doc)
    assert "scope limitation" not in section(out, "cover") and "Source waivers ignored (1)" in section(out, "coverage")
    doc["coverage"] = []
    assert 'class="warn limits"' not in html.render(doc)


def test_chart_segments_stack_in_the_order_of_the_count_columns():
    ctx = html.build_context(reportlib.synthetic(400))
    for row in ctx["families"] + ctx["criteria"]:
        order = [s["status"] for s in row["bar"]]
        assert order == [k for k in ("pass", "fail", "unknown", "waived") if k in order]
        xs = [s["x"] for s in row["bar"]]
        assert xs == sorted(xs)
    out = html.render(reportlib.synthetic(400))
    legend = out[out.index('<p class="legend">'):]
    legend = legend[:legend.index("</p>")]
    assert [legend.index(k) for k in ("seg-pass", "seg-fail", "seg-unknown", "seg-waived")] == \
        sorted(legend.index(k) for k in ("seg-pass", "seg-fail", "seg-unknown", "seg-waived"))


def test_one_finding_is_singular():
    doc = reportlib.synthetic(len(reportlib.CONTROLS))    # one finding a control
    out = html.render(doc)
    assert "1 findings" not in out and "1 finding:" in out
    assert html.plural(1, "finding") == "1 finding" and html.plural(2, "finding") == "2 findings"


def test_matrix_shows_each_controls_effective_parameters(tmp_path):
    doc = weak_doc(tmp_path)
    rows = matrix_rows(html.render(doc))
    assert "min_retention_days = 1" in rows["BAK-01"]
    tls = rows["TLS-02"]
    assert "min_version = 1.3" in tls and "platform_ceilings" in tls
    assert "aws_cloudfront_distribution" not in tls        # the ceilings are listed once, in the Methodology
    assert "min_retention_days = 35" in rows["BAK-03"]


def ceiling_tables(out: str) -> list[tuple[str, dict]]:
    """(the sentence naming the controls, {resource type: version}) for each ceilings table."""
    text = out[out.index('<h3 id="ceilings">'):]
    text = text[:text.index("</section>")]
    tables = []
    for chunk in text.split('<p id="ceilings-')[1:]:
        head = " ".join(" ".join(parse("<p>" + chunk[chunk.index(">") + 1:chunk.index("</p>")]).text).split())
        body = chunk[chunk.index("<tbody>"):chunk.index("</tbody>")]
        rows = {}
        for tr in body.split("<tr>")[1:]:
            cells = [" ".join(parse("<td>" + c).text).strip() for c in tr.split("<td>")[1:]]
            rows[cells[0]] = cells[1]
        tables.append((head, rows))
    return tables


def test_platform_ceilings_are_listed_once_and_each_control_refers_to_them(tmp_path):
    doc = reportlib.scan_doc(tmp_path, reportlib.xss_plan())
    out = html.render(doc)
    tables = ceiling_tables(out)
    assert len(tables) == 1
    head, rows = tables[0]
    assert "TLS-01, TLS-02, TLS-03 use it" in head
    assert rows["aws_cloudfront_distribution"] == "1.2" and rows["azurerm_storage_account"] == "1.2"
    assert out.count("aws_cloudfront_distribution</code>") == 1       # nowhere else in the page
    rows_m = matrix_rows(out)
    for cid in ("TLS-01", "TLS-02", "TLS-03"):
        assert f"platform_ceilings = {len(rows)} resource types, listed under Platform ceilings" in rows_m[cid]
    assert out.count('<a href="#ceilings-1">') == 3


def test_a_profile_that_changes_one_controls_ceilings_gets_its_own_table(tmp_path):
    from planlib import Plan
    plan = Plan()
    plan.add("aws_cloudfront_distribution", "cdn", {"viewer_certificate": [{"minimum_protocol_version": "TLSv1.2_2021"}]})
    prof = tmp_path / "p.yaml"
    prof.write_text("name: p\ncontrols:\n  TLS-02: {params: {platform_ceilings: {aws_cloudfront_distribution: '1.1'}}}\n")
    out = html.render(reportlib.scan_doc(tmp_path, plan, "--profile", str(prof)))
    tables = ceiling_tables(out)
    assert len(tables) == 2
    by_head = {("TLS-02 uses" in h): rows for h, rows in tables}
    assert by_head[True]["aws_cloudfront_distribution"] == "1.1"     # the profile merges into the spec's table
    assert by_head[True]["azurerm_storage_account"] == "1.2"
    assert by_head[False]["aws_cloudfront_distribution"] == "1.2"
    assert 'href="#ceilings-2"' in out


def test_methodology_says_how_source_digests_are_made_and_what_a_platform_ceiling_does(tmp_path):
    doc = reportlib.scan_doc(tmp_path, reportlib.xss_plan())
    text = section(html.render(doc), "methodology")
    assert "NUL byte" in text and "sources[].files" in text and "sha256sum" in text
    assert "platform ceiling" in text and "platform_ceilings" in text
    assert "TLS-02" in text                       # the controls the ceilings apply to in this run


def test_methodology_recipe_reproduces_a_source_directory_digest(tmp_path, run_cli):
    """The one-liner the methodology prints gives the SHA-256 the cover shows for a .tf directory."""
    import subprocess
    import sys
    infra = tmp_path / "infra"
    (infra / "mod").mkdir(parents=True)
    (infra / "main.tf").write_text('module "m" {\n  source = "./mod"\n}\n', encoding="utf-8")
    (infra / "mod" / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n', encoding="utf-8")
    r = run_cli("scan", "infra", "--format", "json", "-o", "r.json", cwd=tmp_path)
    assert r.returncode in (0, 1), r.stderr
    doc = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    out = html.render(doc)
    pre = [m for m in re.findall(r"<pre>(.*?)</pre>", out, re.S) if '["sources"]' in m.replace("&#34;", '"')]
    assert len(pre) == 1
    import html as htmllib
    cmd = htmllib.unescape(pre[0])
    assert cmd.startswith("python3 -c '") and cmd.endswith("' results.json")
    code = cmd[len("python3 -c '"):-len("' results.json")]
    got = subprocess.run([sys.executable, "-c", code, str(tmp_path / "r.json")], capture_output=True, text=True)
    assert got.stdout.strip() == doc["sources"][0]["sha256"]
    assert len(doc["sources"][0]["files"]) == 2


def test_cover_names_what_was_checked_when_no_profile_names_the_system():
    doc = reportlib.synthetic(5)
    doc["run"] = dict(doc["run"], system="", organisation="")
    doc["sources"] = [{"kind": "terraform-plan", "path": "plans/prod.json"},
                      {"kind": "aws", "path": "account 111122223333", "account": "111122223333"},
                      {"kind": "aws", "path": "account 444455556666", "account": "444455556666"}]
    out = html.render(doc)
    h1 = re.search(r"<h1>(.*?)</h1>", out, re.S).group(1)
    assert h1 == "Terraform plan plans/prod.json; AWS accounts 111122223333, 444455556666"
    assert "not named in the profile" not in out


def test_report_says_when_its_results_were_not_kept(tmp_path, run_cli):
    import pathlib
    plan = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "aws-platform" / "compliant" / "plan.json"
    r = run_cli("scan", plan, "--format", "html", "-o", tmp_path / "only.html")
    assert r.returncode == 0, r.stderr
    assert 'id="results-not-kept"' in (tmp_path / "only.html").read_text(encoding="utf-8")
    r = run_cli("scan", plan, "--format", "html", "-o", tmp_path / "both.html",
                "--format", "json", "-o", tmp_path / "results.json")
    assert r.returncode == 0, r.stderr
    assert 'id="results-not-kept"' not in (tmp_path / "both.html").read_text(encoding="utf-8")


def test_requirement_code_spans_become_code_and_stay_escaped():
    assert str(html.ticks("set `min_tls_version` <b>")) == "set <code>min_tls_version</code> &lt;b&gt;"
    assert str(html.ticks("odd ` tick")) == "odd ` tick"
    assert str(html.ticks("`<script>`")) == "<code>&lt;script&gt;</code>"
