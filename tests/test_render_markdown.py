"""Markdown summary: counts, then failing findings, never over 65,536 characters."""
import re

import pytest

import reportlib

ROW = re.compile(r"^\| (fail|unknown) \| [A-Z]+-\d+ \|")
from reportlib import XSS
from scanner.render import markdown


def test_counts_then_failing_findings_fail_first():
    doc = reportlib.synthetic(300)
    md = markdown.render(doc)
    s = doc["summary"]
    assert f"| {s['fail']} | {s['unknown']} | {s['waived']} | {s['pass']} | {s['total']} |" in md
    rows = [l for l in md.splitlines() if ROW.match(l)]
    assert len(rows) == s["fail"] + s["unknown"]
    statuses = [r.split("|")[1].strip() for r in rows]
    assert statuses == sorted(statuses, key=lambda x: x != "fail")        # fails before unknowns
    assert md.index("| fail | unknown | waived") < md.index("### Failing findings")
    assert "1 applied, 1 expired, 1 unused" in md
    assert "not shown" not in md


def test_large_report_stays_under_the_limit_and_says_what_it_left_out():
    doc = reportlib.synthetic(100_000)
    md = markdown.render(doc)
    assert len(md) <= 65536
    m = re.search(r"_(\d+) more failing findings not shown \((\d+) fail, (\d+) unknown\)", md)
    assert m
    shown = sum(1 for l in md.splitlines() if ROW.match(l))
    assert shown + int(m.group(1)) == doc["summary"]["fail"] + doc["summary"]["unknown"]
    assert int(m.group(2)) + int(m.group(3)) == int(m.group(1))


def test_limit_is_respected_for_small_limits_too():
    doc = reportlib.synthetic(2000)
    for limit in (3000, 10000):
        md = markdown.render(doc, limit=limit)
        assert len(md) <= limit and "more failing findings not shown" in md


def test_payloads_are_text_not_html():
    doc = reportlib.synthetic(80, xss=True)
    md = markdown.render(doc)
    assert "<script" not in md and "<img" not in md
    assert "&lt;script&gt;alert\\(1\\)&lt;/script&gt;" in md
    assert "&lt;img src=x onerror=alert\\(1\\)&gt;" in md
    # a table cell can not be broken by a pipe or a newline in a value
    doc["findings"][0].update(status="fail", message="a | b\nc")
    md = markdown.render(doc)
    assert "a \\| b c" in md


def test_nothing_failing():
    doc = reportlib.synthetic(0)
    md = markdown.render(doc)
    assert "No failing or unknown finding." in md and "passing" in md


# ----------------------------------------------------------------------------- control characters, code spans
ESC_KEY = "evil\x1b[2J\x1b]8;;http://x\x07name"
ESC_TAG = "t\x1b[31m<b>red</b>\u202e"
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def weak_profile_doc(tmp_path):
    """The real pipeline: control characters in a for_each key and a tag, a profile that weakens the spec."""
    from planlib import Plan

    plan = Plan()
    plan.add("aws_db_instance", "db", {"storage_encrypted": False, "backup_retention_period": 1,
                                       "tags": {"Name": ESC_TAG}, "tags_all": {"Name": ESC_TAG}}, index=ESC_KEY)
    prof = tmp_path / "weak.yaml"
    prof.write_text('name: "weak `x` <b>&amp; \\u001b[1m"\ncontrols:\n'
                    "  BAK-01: {params: {min_retention_days: 1}}\n  ENC-01: {severity: low}\n"
                    "  TAG-01: {enabled: false}\n")
    return reportlib.scan_doc(tmp_path, plan, "--profile", str(prof))


def to_html(md: str) -> str:
    markdown_it = pytest.importorskip("markdown_it")
    return markdown_it.MarkdownIt("commonmark").enable("table").render(md)


def test_control_characters_are_shown_escaped_not_sent(tmp_path):
    doc = weak_profile_doc(tmp_path)
    md = markdown.render(doc)
    assert not CONTROL.search(md), repr(CONTROL.search(md))
    assert "evil\\\\x1b\\[2J\\\\x1b\\]8;;http://x\\\\x07name" in md       # Markdown-escaped text of \x1b etc.
    html = to_html(md)
    assert "evil\\x1b[2J\\x1b]8;;http://x\\x07name" in html                # what a reader sees
    assert not CONTROL.search(html)


def test_code_spans_are_literal(tmp_path):
    doc = weak_profile_doc(tmp_path)
    md = markdown.render(doc)
    assert "profile ``weak `x` <b>&amp; \\x1b[1m`` ·" in md                 # no entity, no backslash escape
    html = to_html(md)
    assert "<code>weak `x` &lt;b&gt;&amp;amp; \\x1b[1m</code>" in html      # shown exactly as named
    assert "<b>" not in html


@pytest.mark.parametrize("text, shown", [
    ("plain", "plain"), ("a`b", "a`b"), ("`start", "`start"), ("end``", "end``"), (" padded ", " padded "),
    ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"), ("a\nb\tc", "a b c"),
    ("\x1b[0m", "\\x1b[0m"), ("a\\_b*", "a\\_b*"),
])
def test_code_span_fences_hold_any_text(text, shown):
    html = to_html(f"x {markdown.code(text)} y")
    assert html == f"<p>x <code>{shown}</code> y</p>\n", html


def test_profile_changes_are_listed_one_line_each(tmp_path):
    md = markdown.render(weak_profile_doc(tmp_path))
    assert "**⚠️ Profile changes from the spec defaults:** 2 setting(s) changed, 1 control(s) disabled." in md
    assert "- BAK-01: `min_retention_days` = `1` (spec: `35`)" in md
    assert "- ENC-01: `severity` = `low` (spec: `high`)" in md
    assert "- TAG-01: disabled by profile (" in md
    assert md.index("Profile changes") < md.index("### Failing findings")


def test_profile_change_values_are_escaped():
    doc = reportlib.synthetic(20)
    doc["run"]["profile_overrides"] = [{"control_id": XSS[0], "setting": f"params.{XSS[1]}",
                                        "spec": ["TLSv1.3"], "profile": XSS[0]}]
    doc["disabled_controls"] = [{"id": XSS[1], "title": XSS[0]}]
    html = to_html(markdown.render(doc))
    assert "<script" not in html and "<img" not in html
    assert '<code>[&quot;TLSv1.3&quot;]</code>' in html
    assert "Profile changes" not in markdown.render(reportlib.synthetic(20))


def test_mentions_and_issue_references_do_not_ping_or_link():
    """A PR comment with @octocat or @org/team notifies them, #12 and GH-12 cross-reference an issue."""
    doc = reportlib.synthetic(40)
    bad = next(f for f in doc["findings"] if f["status"] == "fail")
    bad["resource"]["address"] = "aws_s3_bucket.@octocat"
    bad["message"] = "ping @acme/security-team, see #12, gh-7 and org/repo#9; mail ciso@example.com"
    doc["run"]["organisation"] = "@everyone"
    md = markdown.render(doc)
    mention = re.compile(r"(?<!\w)@[-\w]")
    reference = re.compile(r"#\d|\bGH-\d", re.IGNORECASE)
    assert not mention.search(md) and not reference.search(md), md
    shown = md.replace(markdown.JOINER, "")
    for text in ("@octocat", "@acme/security-team",
                 "\\#12", "gh-7", "org/repo\\#9", "ciso@example.com", "@everyone"):
        assert text in shown, text
