"""Markdown summary: counts, then failing findings, never over 65,536 characters."""
import re

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
