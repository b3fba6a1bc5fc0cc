"""What changed (diff), history, and the audit-period report (issue 15), on SQLite and a real
PostgreSQL.  The nights are copies of a real scan with chosen statuses changed."""
from __future__ import annotations

import datetime as dt
import json
import re
from html import unescape
from importlib import resources

import jsonschema
import pytest

from scanner.errors import InputError
from scanner.render import diff_report, period_html
from scanner.store import diff, history, period
from storelib import base_doc, fingerprints, night, pg_server, store, store_url  # noqa: F401

UTC = dt.timezone.utc
LATER = dt.datetime(2026, 2, 1, tzinfo=UTC)


def period_schema():
    return json.loads(resources.files("scanner").joinpath("data/period.schema.json").read_text("utf-8"))


@pytest.mark.parametrize("before, after, new", [
    (None, "fail", True), ("pass", "fail", True), ("unknown", "fail", True), ("waived", "fail", True),
    ("fail", "fail", False), ("fail", "pass", False), ("pass", "unknown", False), (None, "pass", False),
    ("fail", None, False),
])
def test_one_rule_decides_new(before, after, new):
    assert diff.is_new(before, after) is new


def test_diff_sorts_every_change_into_its_kind():
    b = base_doc()
    fail, ok = fingerprints(b, "fail"), fingerprints(b, "pass")
    a = night(b, "2026-01-01T02:00:00", {fail[2]: "waived"})
    z = night(b, "2026-01-02T02:00:00", {fail[0]: "pass", ok[0]: "fail", ok[1]: "unknown", fail[3]: "waived",
                                          fail[2]: "fail"}, drop={fail[1]})
    d = diff.compare(a, z)
    fp = lambda k: {i["fingerprint"] for i in d[k]}   # noqa: E731
    assert fp("new") == {ok[0], fail[2]}               # a waiver that expired fails anew
    assert fp("resolved") == {fail[0], fail[1]}        # fixed, and gone
    assert fp("waivers_begun") == {fail[3]} and fp("waivers_expired") == {fail[2]}
    lost = [i for i in d["changes"] if i["lost_visibility"]]
    assert [i["fingerprint"] for i in lost] == [ok[1]] and d["counts"]["lost_visibility"] == 1
    still = set(fingerprints(a, "fail")) - {fail[0], fail[1], fail[3]}
    assert fp("still_failing") == still
    assert next(i for i in d["resolved"] if i["fingerprint"] == fail[1])["after"] is None
    table = diff_report.render(d, "table")
    assert "2 new, 2 resolved" in table and "Lost visibility" in table and "pass -> unknown" in table
    md = diff_report.render(d, "markdown")
    assert "#### New failures (2)" in md and "#### Waivers begun (1)" in md
    assert json.loads(diff_report.render(d, "json"))["counts"]["new"] == 2


def test_diff_html_escapes_and_allows_no_script():
    b = base_doc()
    evil = "<script>alert(1)</script>"
    a = night(b, "2026-01-01T02:00:00")
    z = night(b, "2026-01-02T02:00:00", {fingerprints(b, "pass")[0]: "fail"})
    for f in z["findings"]:
        if f["fingerprint"] == fingerprints(b, "pass")[0]:
            f["resource"]["address"] = evil
    html = diff_report.render(diff.compare(a, z), "html")
    assert evil not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html and "default-src 'none'" in unescape(html)


def _year(store, nights, scope="prod"):
    """Nights 2026-01-01.. with planned changes; returns the docs."""
    b = base_doc()
    fail, ok = fingerprints(b, "fail"), fingerprints(b, "pass")
    docs = []
    for i, day in enumerate(nights):
        st = {}
        if i >= 2:
            st[fail[0]] = "pass"               # fixed on night 3
        if 1 <= i <= 3:
            st[ok[0]] = "fail"                 # failed nights 2-4, then fixed
        if i >= 4:
            st[fail[1]] = "waived"             # waived from night 5
        docs.append(night(b, day, st))
        store.put(docs[-1], scope=scope)
    return docs, fail, ok


def test_period_document(store):
    days = [f"2026-01-{d:02d}T02:00:00" for d in (1, 2, 3, 4, 6, 7, 9)]   # the 5th and 8th are missing
    docs, fail, ok = _year(store, days)
    p = period.build(store, "prod", dt.date(2026, 1, 1), dt.date(2026, 1, 10), now=LATER)
    jsonschema.validate(p, period_schema())
    assert p["kind"] == "period" and p["scope"] == "prod" and p["period"] == {"start": "2026-01-01", "end": "2026-01-10"}
    assert [r["id"] for r in p["runs"]] == [d["run"]["id"] for d in docs]
    assert p["gaps"] == [{"from": "2026-01-05", "to": "2026-01-05", "missing": 1},
                         {"from": "2026-01-08", "to": "2026-01-08", "missing": 1},
                         {"from": "2026-01-10", "to": "2026-01-10", "missing": 1}]
    # per control: status counts add up every evaluation; runs_without_fail from the documents themselves
    for c in p["controls"]:
        evals = [f for d in docs for f in d["findings"] if f["control_id"] == c["id"]]
        assert sum(c[k] for k in ("pass", "fail", "unknown", "waived")) == len(evals)
        assert c["fail"] == sum(1 for f in evals if f["status"] == "fail")
        no_fail = sum(1 for d in docs if not any(f["control_id"] == c["id"] and f["status"] == "fail"
                                                 for f in d["findings"]))
        assert c["runs_without_fail"] == no_fail and c["runs"] == len(docs)
    by = {}
    for f in p["findings"]:
        by.setdefault(f["fingerprint"], []).append(f)
    fixed = by[fail[0]][0]
    assert fixed["first_failed"] == "2026-01-01T02:00:00Z" and fixed["resolved_at"] == "2026-01-03T02:00:00Z"
    assert fixed["days_open"] == 2.0 and fixed["status_at_end"] == "pass"
    brief = by[ok[0]][0]
    assert (brief["first_failed"], brief["resolved_at"], brief["days_open"]) == \
        ("2026-01-02T02:00:00Z", "2026-01-06T02:00:00Z", 4.0)
    waived = by[fail[1]][0]
    assert waived["resolved_at"] is None and waived["ended_as"] == "waived" and waived["status_at_end"] == "waived"
    still = by[fail[2]][0]
    assert still["resolved_at"] is None and still["status_at_end"] == "fail" and still["days_open"] == 8.0
    sev = fixed["severity"]
    rem = p["remediation"][sev]
    resolved = [f["days_open"] for f in p["findings"] if f["resolved_at"] and f["severity"] == sev]
    assert rem["resolved"] == len(resolved) and rem["max_days"] == max(resolved)
    assert rem["mean_days"] == round(sum(resolved) / len(resolved), 2)
    assert [w["resource"] for w in p["exceptions"]] == [next(f["resource"]["address"] for f in docs[0]["findings"]
                                                            if f["fingerprint"] == fail[1])]
    assert p["exceptions"][0]["approver"] == "ciso@example.com"
    assert p["integrity"]["chain_ok"] is True and p["integrity"]["runs_checked"] == len(docs)


def test_period_sub_range_and_failures_that_began_before_it(store):
    days = [f"2026-01-{d:02d}T02:00:00" for d in range(1, 8)]
    docs, fail, ok = _year(store, days)
    p = period.build(store, "prod", dt.date(2026, 1, 5), dt.date(2026, 1, 7), now=LATER)
    assert len(p["runs"]) == 3 and p["gaps"] == []
    still = next(f for f in p["findings"] if f["fingerprint"] == fail[2])
    assert still["first_failed"] == "2026-01-01T02:00:00Z"   # it began before the period: the true start
    assert not any(f["fingerprint"] == fail[0] for f in p["findings"])   # fixed before the period


def test_period_weekly_and_hourly_schedules():
    runs = [dt.datetime(2026, 1, d, 2, tzinfo=UTC) for d in (1, 2, 20)]
    assert period.gaps(runs, dt.date(2026, 1, 1), dt.date(2026, 1, 28), dt.timedelta(days=7), now=LATER) == \
        [{"from": "2026-01-08", "to": "2026-01-14", "missing": 1}, {"from": "2026-01-22", "to": "2026-01-28", "missing": 1}]
    weekly = [dt.datetime(2026, 1, d, 2, tzinfo=UTC) for d in (1, 8, 15, 22)]   # the short last week is missed
    assert period.gaps(weekly, dt.date(2026, 1, 1), dt.date(2026, 1, 31), dt.timedelta(days=7), now=LATER) == \
        [{"from": "2026-01-29", "to": "2026-01-31", "missing": 1}]
    hourly = [dt.datetime(2026, 1, 1, h, 5, tzinfo=UTC) for h in (0, 6, 18)]
    assert period.gaps(hourly, dt.date(2026, 1, 1), dt.date(2026, 1, 1), dt.timedelta(hours=6), now=LATER) == \
        [{"from": "2026-01-01T12:00:00Z", "to": "2026-01-01T18:00:00Z", "missing": 1}]
    # a period reaching into the future has no gaps after now, and today's run may still come
    now = dt.datetime(2026, 1, 4, 12, tzinfo=UTC)
    assert period.gaps(runs[:2], dt.date(2026, 1, 1), dt.date(2026, 1, 31), dt.timedelta(days=1), now=now) == \
        [{"from": "2026-01-03", "to": "2026-01-03", "missing": 1}]


@pytest.mark.parametrize("text", ["2026-01-01", "2026-13-01..2026-12-31", "2026-02-01..2026-01-01", "a..b", ""])
def test_bad_periods_are_input_errors(text):
    with pytest.raises(InputError):
        period.parse_period(text)


@pytest.mark.parametrize("text", ["monthly", "hours:0", "hours:x"])
def test_bad_schedules_are_input_errors(text):
    with pytest.raises(InputError):
        period.parse_expect(text)


def test_period_shows_a_broken_chain(store):
    from sqlalchemy import update
    from scanner.store import schema as t
    docs, *_ = _year(store, ["2026-01-01T02:00:00", "2026-01-02T02:00:00"])
    with store.engine.begin() as conn:
        conn.execute(update(t.runs).where(t.runs.c.id == docs[0]["run"]["id"]).values(results_sha256="0" * 64))
    p = period.build(store, "prod", dt.date(2026, 1, 1), dt.date(2026, 1, 2), now=LATER)
    assert p["integrity"]["chain_ok"] is False and any(docs[0]["run"]["id"] in x for x in p["integrity"]["problems"])
    assert "BROKEN" in period_html.render(p, "html")


def test_period_html_is_self_contained_escaped_and_charts_each_control(store):
    evil = "prod <img src=x onerror=alert(1)>"
    days = [f"2026-01-{d:02d}T02:00:00" for d in (1, 2, 3, 4, 6)]
    _year(store, days, scope=evil)
    p = period.build(store, evil, dt.date(2026, 1, 1), dt.date(2026, 1, 6), now=LATER)
    html = period_html.render(p, "html")
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script" not in html and re.search(r"default-src 'none'; style-src 'sha256-", unescape(html))
    assert not re.search(r"(src|href)=\"(https?:)?//", html)               # requests nothing
    charts = re.findall(r'<svg class="trend".*?</svg>', html, re.S)
    assert len(charts) == len(p["controls"])
    # ENC-01 fails on night 1-2, then its fixed database leaves it unknown-only: two segments
    enc = next(c for c in p["controls"] if c["id"] == "ENC-01")
    assert enc["trend"][:2] == ["fail", "fail"]
    assert "2026-01-05" in html and "@page{size:A4" in html
    md = period_html.render(p, "markdown")
    assert "## Gaps" in md and "2026-01-05 to 2026-01-05" in md and "&lt;img" in md


def test_history_lists_runs_counts_and_trend(store):
    docs, fail, ok = _year(store, [f"2026-01-{d:02d}T02:00:00" for d in range(1, 6)])
    h = history.build(store, "prod")
    assert [r["id"] for r in h["runs"]] == [d["run"]["id"] for d in docs]
    assert [r["summary"]["fail"] for r in h["runs"]] == [d["summary"]["fail"] for d in docs]
    assert [r["failures_begun"] for r in h["runs"]][1] == 1     # ok[0] began failing on night 2
    assert h["runs"][2]["failures_ended"] == 1                  # fail[0] fixed on night 3
    text = history.render(h, "table")
    assert "scope prod: 5 run(s)" in text and "ENC-01" in text
    with pytest.raises(InputError, match="no scope"):
        history.build(store, "staging")


def test_the_since_entry_agrees_with_diff(store):
    b = base_doc()
    fail, ok = fingerprints(b, "fail"), fingerprints(b, "pass")
    first = night(b, "2026-01-01T02:00:00", {fail[3]: "waived"})
    assert store.since("prod", first) == {"scope": "prod", "previous_run": None}
    store.put(first, scope="prod")
    nxt = night(b, "2026-01-02T02:00:00", {fail[0]: "pass", ok[0]: "fail", ok[1]: "unknown", fail[3]: "fail"},
                drop={fail[1]})
    s = store.since("prod", nxt)
    d = diff.compare(first, nxt)
    assert s["previous_run"] == {"id": first["run"]["id"], "started_at": "2026-01-01T02:00:00Z"}
    assert (s["new"], s["resolved"]) == (d["counts"]["new"], d["counts"]["resolved"]) == (2, 2)
    nxt["history"] = s
    assert diff.since_line(nxt) == "since the previous run of this scope (2026-01-01T02:00:00Z): 2 new, 2 resolved"
