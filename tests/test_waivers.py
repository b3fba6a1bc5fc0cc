"""Waivers: applied, expired, unused, malformed; matched by address, ARN or Azure resource ID."""
import datetime as dt
import json

import pytest

from planlib import Plan
from scanner.engine import Finding
from scanner.errors import InputError
from scanner.model import Resource
from scanner.waivers import Waiver, apply_waivers, load_waivers

TODAY = dt.datetime.now(dt.timezone.utc).date()
FUTURE = (TODAY + dt.timedelta(days=365)).isoformat()
PAST = (TODAY - dt.timedelta(days=1)).isoformat()


def plan():
    p = Plan()
    p.add("aws_db_instance", "legacy", {"storage_encrypted": False}, index=0)
    p.add("aws_db_instance", "legacy", {"storage_encrypted": False}, index=1)
    p.add("aws_db_instance", "other", {"storage_encrypted": False})
    p.add("aws_db_instance", "unseen", {"storage_encrypted": True}, unknown={"kms_key_id": True},
          refs={"kms_key_id": ["data.aws_ssm_parameter.key.value"]})
    return p


def waiver(control="ENC-01", resource="x", reason="accepted risk", approver="ciso@example.com", expires=FUTURE):
    return (f"- control: {control}\n  resource: '{resource}'\n  reason: {reason}\n  approver: {approver}\n"
            f"  expires: {expires}\n")


def scan(tmp_path, run_cli, waivers_text, *extra):
    (tmp_path / "w.yaml").write_text(waivers_text, encoding="utf-8")
    plan_path = plan().write(tmp_path / "plan.json")
    out = tmp_path / "r.json"
    r = run_cli("scan", plan_path, "--waivers", tmp_path / "w.yaml", "--format", "json", "-o", out, *extra)
    doc = json.loads(out.read_text()) if out.exists() else None
    if doc is not None:
        from scanner.results import validate
        validate(doc)
    return r, doc


def enc01(doc):
    return {f["resource"]["address"]: f for f in doc["findings"] if f["control_id"] == "ENC-01"}


def test_applied_glob_waives_fails_and_keeps_the_waiver_details(tmp_path, run_cli):
    text = waiver(resource="aws_db_instance.legacy[*]", reason="migration OPS-12", expires=TODAY.isoformat())
    r, doc = scan(tmp_path, run_cli, text)
    f = enc01(doc)
    for addr in ("aws_db_instance.legacy[0]", "aws_db_instance.legacy[1]"):
        assert f[addr]["status"] == "waived"
        w = f[addr]["waiver"]
        assert (w["reason"], w["approver"], w["expires"], w["status"]) == \
            ("migration OPS-12", "ciso@example.com", TODAY.isoformat(), "applied")   # valid through its day
    assert f["aws_db_instance.other"]["status"] == "fail"
    assert doc["waivers"][0]["status"] == "applied"
    assert sorted(doc["waivers"][0]["matched"]) == ["aws_db_instance.legacy[0]", "aws_db_instance.legacy[1]"]
    enc = next(c for c in doc["controls"] if c["id"] == "ENC-01")
    assert enc["counts"]["waived"] == 2
    # what a waiver matched is listed once, in the run's waivers, not again in each finding it covers
    # (a broad waiver's list in every one of its findings grew the document with the square of them)
    assert all("matched" not in f[addr]["waiver"] for addr in ("aws_db_instance.legacy[0]", "aws_db_instance.legacy[1]"))


def test_waived_fail_no_longer_fails_the_gate(tmp_path, run_cli):
    p = Plan()
    p.add("aws_kms_key", "k", {"enable_key_rotation": True})
    p.add("aws_db_instance", "only", {"storage_encrypted": False})
    (tmp_path / "w.yaml").write_text(waiver(resource="aws_db_instance.only"), encoding="utf-8")
    plan_path = p.write(tmp_path / "plan.json")
    base = run_cli("scan", plan_path, "--format", "json", "-o", tmp_path / "a.json")
    waived = run_cli("scan", plan_path, "--waivers", tmp_path / "w.yaml", "--format", "json", "-o", tmp_path / "b.json")
    a = {(f["control_id"], f["status"]) for f in json.loads((tmp_path / "a.json").read_text())["findings"]}
    b = {(f["control_id"], f["status"]) for f in json.loads((tmp_path / "b.json").read_text())["findings"]}
    assert ("ENC-01", "fail") in a and ("ENC-01", "waived") in b and ("ENC-01", "fail") not in b
    if not any(s in ("fail", "unknown") for _, s in b):
        assert base.returncode == 1 and waived.returncode == 0


def test_expired_waiver_covers_nothing_and_is_listed(tmp_path, run_cli):
    r, doc = scan(tmp_path, run_cli, waiver(resource="aws_db_instance.legacy[*]", expires=PAST))
    assert r.returncode == 1
    f = enc01(doc)
    assert f["aws_db_instance.legacy[0]"]["status"] == "fail" and "waiver" not in f["aws_db_instance.legacy[0]"]
    assert doc["waivers"][0]["status"] == "expired" and doc["waivers"][0]["matched"] == []


def test_unused_waiver_and_unknown_is_never_waived(tmp_path, run_cli):
    text = waiver(resource="aws_db_instance.gone") + waiver(resource="aws_db_instance.unseen")
    r, doc = scan(tmp_path, run_cli, text)
    assert [w["status"] for w in doc["waivers"]] == ["unused", "unused"]
    assert enc01(doc)["aws_db_instance.unseen"]["status"] == "unknown"


@pytest.mark.parametrize("text, needle", [
    (waiver().replace("  approver: ciso@example.com\n", ""), "missing approver"),
    (waiver(expires="2025-13-45"), "bad date"),
    (waiver(expires="next week"), "bad date"),
    (waiver(control="ENC-99"), "unknown control id 'ENC-99'"),
    (waiver() + "  ticket: OPS-1\n", "unknown waiver field"),
    ("control: ENC-01\n", "expected a list"),
    ("- control: [ENC-01\n", "not valid YAML"),
    ("- just a string\n", "must be a mapping"),
])
def test_malformed_waivers_are_input_errors(tmp_path, run_cli, text, needle):
    r, doc = scan(tmp_path, run_cli, text)
    assert r.returncode == 2, r.stderr
    assert doc is None                                  # nothing written
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "w.yaml" in err and needle in err


def test_error_names_the_line_of_the_bad_field(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text("waivers:\n" + waiver() + waiver(expires="soon"), encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_waivers(str(path), ["ENC-01"])
    assert f"{path}:11: bad date 'soon'" in e.value.message          # the expires line of the second entry
    path.write_text("waivers:\n" + waiver() + waiver().replace("  approver: ciso@example.com\n", ""))
    with pytest.raises(InputError) as e:
        load_waivers(str(path), ["ENC-01"])
    assert f"{path}:7: waiver is missing approver" in e.value.message  # a missing field: the entry's line


@pytest.mark.parametrize("field, value, line, needle", [
    ("reason", "'   '", 4, "waiver reason is blank"),
    ("approver", '"\t "', 5, "waiver approver is blank"),
    ("approver", "no", 5, "waiver approver must be text, not a boolean (False)"),
    ("resource", "[aws_db_instance.a, aws_db_instance.b]", 3, "waiver resource must be text, not a list"),
    ("resource", "{a: 1}", 3, "waiver resource must be text, not a mapping"),
    ("expires", "20991231", 6, "bad date 20991231 (expected YYYY-MM-DD)"),
    ("expires", "2099W011", 6, "bad date '2099W011' (expected YYYY-MM-DD)"),
    ("expires", "2099-12-31T00:00:00", 6, "bad date '2099-12-31T00:00:00' (expected YYYY-MM-DD)"),
    ("expires", "2099-02-30", 6, "bad date '2099-02-30': there is no such day"),
    ("expires", "'2099-1-31'", 6, "bad date '2099-1-31' (expected YYYY-MM-DD)"),
])
def test_bad_field_values_are_errors_at_their_line(tmp_path, field, value, line, needle):
    fields = {"control": "ENC-01", "resource": "aws_db_instance.a", "reason": "accepted risk",
              "approver": "ciso@example.com", "expires": FUTURE}
    fields[field] = value
    path = tmp_path / "w.yaml"
    path.write_text("waivers:\n" + "".join(f"{'- ' if i == 0 else '  '}{k}: {v}\n"
                                            for i, (k, v) in enumerate(fields.items())), encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_waivers(str(path), ["ENC-01"])
    assert e.value.message.startswith(f"{path}:{line}: {needle}"), e.value.message


def test_unknown_field_and_control_point_at_their_line(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text(waiver() + "  ticket: OPS-1\n" + waiver(control="ENC-99"), encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_waivers(str(path), ["ENC-01"])
    assert f"{path}:6: unknown waiver field(s) ticket" in e.value.message
    path.write_text(waiver() + waiver(control="ENC-99").replace("control:", "control_id:"), encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_waivers(str(path), ["ENC-01"])
    assert f"{path}:6: unknown control id 'ENC-99'" in e.value.message


def test_good_waiver_values_are_kept_as_written(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text(waiver(resource="aws_db_instance.a[*]", reason="'  padded reason '",
                           expires=f"'{FUTURE}'"), encoding="utf-8")
    (w,) = load_waivers(str(path), ["ENC-01"])
    assert (w.resource, w.reason, w.approver, w.expires.isoformat()) == \
        ("aws_db_instance.a[*]", "padded reason", "ciso@example.com", FUTURE)


def _finding(address, keys=(), control="ENC-01", status="fail"):
    r = Resource("database", "aws_db_instance", address, "aws", "aws", keys=set(keys))
    return Finding(control, status, "high", r, "m")


def test_glob_over_arn_and_azure_ids_case_insensitively():
    arn = "arn:aws:rds:us-east-1:111122223333:db:legacy-1"
    tf = _finding("module.db.aws_db_instance.main", keys={arn})       # a plan resource whose ARN is known
    live = _finding("arn:aws:rds:us-west-2:111122223333:db:legacy-2")
    azure = _finding("/subscriptions/S1/resourceGroups/RG-Prod/providers/Microsoft.Sql/servers/sql1")
    other = _finding("arn:aws:rds:us-east-1:111122223333:db:prod")
    ws = [Waiver("ENC-01", "arn:aws:rds:*:111122223333:db:legacy-*", "r", "a", TODAY),
          Waiver("ENC-01", "/subscriptions/s1/resourcegroups/rg-prod/*", "r", "a", TODAY)]
    apply_waivers([tf, live, azure, other], ws, TODAY)
    assert [f.status for f in (tf, live, azure, other)] == ["waived", "waived", "waived", "fail"]
    assert sorted(ws[0].matched) == ["arn:aws:rds:us-west-2:111122223333:db:legacy-2", "module.db.aws_db_instance.main"]


def test_brackets_are_literal_and_other_controls_are_untouched():
    f1 = _finding("aws_db_instance.a[0]")       # as an fnmatch class, '[0]' would match 'a0' instead
    f2 = _finding("aws_db_instance.a0")
    f3 = _finding("aws_db_instance.a[0]", control="BAK-01")
    f4 = _finding('module.m["x"].aws_db_instance.b["k1"]')
    f5 = _finding('module.m["x"].aws_db_instance.bb["k1"]')
    w = Waiver("ENC-01", "aws_db_instance.a[0]", "r", "a", TODAY)
    w2 = Waiver("ENC-01", 'module.m["x"].aws_db_instance.b[*]', "r", "a", TODAY)
    apply_waivers([f1, f2, f3, f4, f5], [w, w2], TODAY)
    assert [f.status for f in (f1, f2, f3, f4, f5)] == ["waived", "fail", "fail", "waived", "fail"]
    assert w.status(TODAY) == "applied" and w2.matched == ['module.m["x"].aws_db_instance.b["k1"]']


def test_reports_show_waivers(tmp_path, run_cli):
    text = waiver(resource="aws_db_instance.legacy[*]", reason="migration") + waiver(resource="x", expires=PAST)
    r, doc = scan(tmp_path, run_cli, text)
    from scanner.render import html, junit, markdown
    page = html.render(doc)
    assert "expired: covers nothing" in page and "migration" in page
    assert "1 applied, 1 expired, 0 unused" in markdown.render(doc)
    assert junit.render(doc).count("<skipped") == 2


def test_two_waivers_covering_one_finding_are_both_in_use():
    f = _finding("aws_db_instance.legacy")
    exact = Waiver("ENC-01", "aws_db_instance.legacy", "replica", "a", TODAY)
    broad = Waiver("ENC-01", "aws_db_instance.*", "migration", "b", TODAY)
    apply_waivers([f], [exact, broad], TODAY)
    assert f.status == "waived" and f.waiver is exact
    assert exact.status(TODAY) == broad.status(TODAY) == "applied"


def _regex_glob(pattern, ignore_case):
    """The reference: the glob as one backtracking regular expression (specguard's former matcher)."""
    import re
    rx = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile(rx, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def test_the_linear_matcher_agrees_with_the_regular_expression():
    import random
    from scanner.waivers import Glob
    rnd = random.Random(13)
    for _ in range(4000):
        pattern = "".join(rnd.choice("aAb*?[.") for _ in range(rnd.randint(0, 7)))
        text = "".join(rnd.choice("aAb[.*?\n") for _ in range(rnd.randint(0, 9)))
        for ignore_case in (False, True):
            expected = _regex_glob(pattern, ignore_case).fullmatch(text) is not None
            assert Glob(pattern, ignore_case).fullmatch(text) is expected, (pattern, text, ignore_case)


def test_a_backtracking_glob_against_a_long_address_is_linear(tmp_path, run_cli):
    """`*a*a*...*z` against 100,000 `a`s: a regular expression with `.*` for each `*` backtracks for
    hours; the matcher takes each part at its leftmost place once."""
    p = Plan()
    p.add("aws_db_instance", "a" * 100_000, {"storage_encrypted": False})
    p.add("aws_db_instance", "b" * 100_000, {"storage_encrypted": False})
    plan_path = p.write(tmp_path / "plan.json")
    hostile = "*a" * 40 + "*z"
    (tmp_path / "w.yaml").write_text(waiver(resource=hostile) + waiver(resource="aws_db_instance.*b?b*b"))
    out = tmp_path / "r.json"
    r = run_cli("scan", plan_path, "--waivers", tmp_path / "w.yaml", "--format", "json", "-o", out, timeout=60)
    assert r.returncode == 1, r.stderr
    status = {f["resource"]["address"][:17]: f["status"] for f in json.loads(out.read_text())["findings"]
              if f["control_id"] == "ENC-01"}
    assert status == {"aws_db_instance.a": "fail", "aws_db_instance.b": "waived"}


@pytest.mark.parametrize("where", ["file", "source"])
def test_a_glob_part_with_question_marks_is_bounded(tmp_path, where):
    """A `?` part is searched position by position: its length is capped, at the waiver's line."""
    from scanner.waivers import MAX_WILD_PART
    pattern = "*" + "a?" * MAX_WILD_PART + "*"
    if where == "source":
        with pytest.raises(InputError, match=r"main\.tf:4: a part of the resource glob"):
            Waiver("ENC-01", pattern, "r", "a", TODAY, origin="main.tf:4")
        return
    path = tmp_path / "w.yaml"
    path.write_text(waiver(resource="aws_db_instance.x") + waiver(resource=pattern))
    with pytest.raises(InputError, match=r"w\.yaml:7: a part of the resource glob .*at most 64"):
        load_waivers(str(path), ["ENC-01"])
    path.write_text(waiver(resource="*" + "a?" * (MAX_WILD_PART // 2) + "*"))
    assert len(load_waivers(str(path), ["ENC-01"])) == 1
