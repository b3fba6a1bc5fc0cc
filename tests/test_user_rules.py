"""Users' own controls (issue 18): the rule API, raw records, YAML and Python controls, loading,
what the results record, bad input, and `rules test`."""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from planlib import Plan
from scanner.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "rules"


def scan(paths, rules=(), profile=None, waivers=None):
    from scanner.pipeline import scan_paths
    ns = argparse.Namespace(paths=[str(p) for p in paths], var=[], var_file=[], source_dir=None,
                            profile=str(profile) if profile else None, waivers=str(waivers) if waivers else None,
                            rules=[str(r) for r in rules], checkov_results=None)
    doc = scan_paths(ns)
    from scanner.results import validate
    validate(doc)
    return doc


def verdicts(doc, prefix="ACME"):
    return {(f["resource"]["address"], f["control_id"]): f["status"] for f in doc["findings"]
            if f["control_id"].startswith(prefix)}


def finding(doc, address, cid):
    return next(f for f in doc["findings"] if f["resource"]["address"] == address and f["control_id"] == cid)


def rules_file(tmp_path, body: str, name="rules.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(body), encoding="utf-8")
    return p


DB_RULE = """\
controls:
  - id: ACME-DB-01
    title: Databases are protected from deletion
    family: ACME
    severity: medium
    soc2: [A1.2]
    applies_to: {types: [aws_db_instance]}
    fields:
      deletion_protection:
        terraform: deletion_protection
        aws: DeletionProtection
    require: {field: deletion_protection, equals: true}
    message: {fail: "deletion protection is off", pass: "deletion protection is on"}
"""


def db_plan(tmp_path, **instances) -> Path:
    plan = Plan()
    for name, values in instances.items():
        unknown = {k: True for k, v in values.items() if v is ...}
        plan.add("aws_db_instance", name, {k: v for k, v in values.items() if v is not ...}, unknown=unknown)
    path = tmp_path / "plan.json"
    path.write_text(plan.json())
    return path


# ----------------------------------------------------------------------------- 1. the public API
def test_rules_api_is_the_api_of_the_builtin_rules():
    from scanner import controls, rules_api, values
    assert rules_api.Check is controls.Check and rules_api.Context is controls.Context
    assert rules_api.Value is values.Value and rules_api.Unknown is values.Unknown and rules_api.Tri is values.Tri
    assert "must not" in rules_api.__doc__ and "may rely on" in rules_api.__doc__
    from scanner.profile import spec_profile
    ids = set(spec_profile().controls)
    assert {"ENC-01", "BAK-01", "NET-01"} <= ids and not any(i.startswith("ACME") for i in ids)


def test_a_python_control_outside_loading_joins_the_catalogue_like_ours():
    # the decorator without a collection is the built-in one: a second declaration is refused
    from scanner.rules_api import control
    with pytest.raises(RuntimeError, match="declared twice"):
        control("ENC-01", title="x", family="ENC", severity="high", soc2=[])(lambda r, c: None)


# ----------------------------------------------------------------------------- 2. raw records
def test_terraform_resources_keep_their_planned_values_by_reference(tmp_path):
    from scanner.sources.terraform.normalize import normalize
    from scanner.sources.terraform.plan import load_plan, read_json
    path = db_plan(tmp_path, main={"deletion_protection": True, "engine": "postgres"})
    project = load_plan(str(path), read_json(str(path)))
    (r,) = [r for r in normalize(project) if r.type == "aws_db_instance"]
    (tf,) = [t for t in project.resources if t.address == "aws_db_instance.main"]
    assert r.raw is tf.values and r.raw["deletion_protection"] is True


def test_live_adapters_keep_the_item_they_mapped():
    from scanner.sources.azure import arm_map
    from scanner.sources.azure.inventory import Inventory, Item
    body = {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Cache/Redis/r1", "name": "r1",
            "type": "Microsoft.Cache/Redis", "location": "westeurope",
            "properties": {"redisVersion": "6.0", "enableNonSslPort": False, "minimumTlsVersion": "1.2",
                           "sku": {"name": "Premium"}}}
    r = arm_map.to_resource(Item("Microsoft.Cache/Redis", body, "s", "GET Microsoft.Cache/Redis"), Inventory())
    assert r.raw is body
    from scanner.sources.aws.scope import Scope
    item = {"DBInstanceIdentifier": "db1", "DeletionProtection": True}
    s = Scope.__new__(Scope)
    s.account, s.region = "123456789012", "us-east-1"
    r = Scope.resource(s, "database", "aws_db_instance", "arn:aws:rds:us-east-1:123456789012:db:db1", "db1", raw=item)
    assert r.raw is item


# ----------------------------------------------------------------------------- 3. YAML controls
def test_yaml_control_pass_fail_unknown_with_evidence(tmp_path):
    rules = rules_file(tmp_path, DB_RULE)
    plan = db_plan(tmp_path, on={"deletion_protection": True}, off={"deletion_protection": False},
                   later={"deletion_protection": ...})
    doc = scan([plan], [rules])
    assert verdicts(doc) == {("aws_db_instance.on", "ACME-DB-01"): "pass", ("aws_db_instance.off", "ACME-DB-01"): "fail",
                             ("aws_db_instance.later", "ACME-DB-01"): "unknown"}
    off = finding(doc, "aws_db_instance.off", "ACME-DB-01")
    assert off["message"] == "deletion protection is off" and off["evidence"] == {"deletion_protection": False}
    later = finding(doc, "aws_db_instance.later", "ACME-DB-01")
    assert "known only after apply" in later["message"] and later["evidence"]["deletion_protection"]["unknown"]
    ctl = next(c for c in doc["controls"] if c["id"] == "ACME-DB-01")
    assert ctl["soc2"] == ["A1.2"] and ctl["status"] == "fail" and ctl["origin"]["kind"] == "yaml"
    assert ctl["origin"]["line"] == 2 and ctl["origin"]["path"] == str(rules)
    import hashlib
    assert doc["rules"] == [{"kind": "yaml", "path": str(rules), "via": "--rules",
                             "sha256": hashlib.sha256(rules.read_bytes()).hexdigest()}]


def test_a_key_the_record_lacks_is_unknown_never_pass_unless_a_default_is_declared(tmp_path):
    body = DB_RULE.replace("require: {field: deletion_protection, equals: true}",
                           "require: {not: {field: deletion_protection, equals: false}}")
    doc = scan([db_plan(tmp_path, bare={"engine": "postgres"})], [rules_file(tmp_path, body)])
    f = finding(doc, "aws_db_instance.bare", "ACME-DB-01")
    assert f["status"] == "unknown" and "deletion_protection is not in the terraform-plan record" in f["message"]
    body = body.replace("terraform: deletion_protection", "terraform: {path: deletion_protection, default: false}")
    doc = scan([db_plan(tmp_path, bare={"engine": "postgres"})], [rules_file(tmp_path, body)])
    assert finding(doc, "aws_db_instance.bare", "ACME-DB-01")["status"] == "fail"


@pytest.mark.parametrize("cond, expect", [
    ({"field": "engine_version", "gte": 7}, {"a": "pass", "b": "fail", "c": "unknown", "d": "pass"}),
    ({"field": "engine_version", "lte": "6.2"}, {"a": "fail", "b": "unknown", "c": "unknown", "d": "fail"}),
    ({"field": "engine", "in": ["redis", "valkey"]}, {"a": "pass", "b": "pass", "c": "pass", "d": "fail"}),
    ({"field": "engine", "not_in": ["memcached"]}, {"a": "pass", "b": "pass", "c": "pass", "d": "fail"}),
    ({"field": "engine", "not_equals": "redis"}, {"a": "fail", "b": "fail", "c": "fail", "d": "pass"}),
    ({"field": "replication_group_id", "matches": "^acme-"}, {"a": "pass", "b": "fail", "c": "pass", "d": "fail"}),
    ({"field": "replication_group_id", "contains": "legacy"}, {"a": "fail", "b": "pass", "c": "fail", "d": "fail"}),
    ({"field": "auth_token", "exists": False}, {"a": "pass", "b": "fail", "c": "pass", "d": "pass"}),
    ({"field": "security_group_ids", "contains": "sg-1"}, {"a": "pass", "b": "fail", "c": "unknown", "d": "fail"}),
    # Kleene logic: a definite false decides all, a definite true decides any, whatever is unknown
    ({"all": [{"field": "engine", "equals": "memcached"}, {"field": "engine_version", "gte": 7}]},
     {"a": "fail", "b": "fail", "c": "fail", "d": "pass"}),
    ({"any": [{"field": "engine", "equals": "redis"}, {"field": "engine_version", "gte": 7}]},
     {"a": "pass", "b": "pass", "c": "pass", "d": "pass"}),
    ({"not": {"field": "engine_version", "gte": 7}}, {"a": "fail", "b": "pass", "c": "unknown", "d": "fail"}),
])
def test_operators_are_three_valued(tmp_path, cond, expect):
    plan = Plan()
    base = {"at_rest_encryption_enabled": True}
    plan.add("aws_elasticache_replication_group", "a", dict(base, replication_group_id="acme-a", engine="redis",
             engine_version="7.1", security_group_ids=["sg-1"]))
    plan.add("aws_elasticache_replication_group", "b", dict(base, replication_group_id="legacy-b", engine="redis",
             engine_version="6.x", auth_token="x", security_group_ids=["sg-2"]))
    plan.add("aws_elasticache_replication_group", "c", dict(base, replication_group_id="acme-c", engine="redis"),
             unknown={"engine_version": True, "security_group_ids": True})
    plan.add("aws_elasticache_replication_group", "d", dict(base, replication_group_id="d", engine="memcached",
             engine_version="7.0", security_group_ids=[]))
    (tmp_path / "plan.json").write_text(plan.json())
    fields = {n: {"terraform": n} for n in ("engine", "engine_version", "replication_group_id", "auth_token",
                                            "security_group_ids")}
    doc_rules = {"controls": [{"id": "ACME-C-1", "title": "t", "severity": "low", "applies_to": {"kinds": ["cache"]},
                               "fields": fields, "require": cond}]}
    rules = rules_file(tmp_path, json.dumps(doc_rules))
    got = {a.rsplit(".", 1)[1]: s for (a, _), s in verdicts(scan([tmp_path / "plan.json"], [rules])).items()}
    assert got == expect


def test_model_fields_are_read_without_declaring_them(tmp_path):
    rules = rules_file(tmp_path, """\
        controls:
          - id: ACME-ENC-9
            title: encrypted and backed up
            severity: high
            applies_to: {kinds: [database]}
            require: {all: [{field: encrypted, equals: true}, {field: backup_retention_days, gte: 14}]}
        """)
    doc = scan([db_plan(tmp_path, good={"storage_encrypted": True, "backup_retention_period": 30},
                        bad={"storage_encrypted": True, "backup_retention_period": 7})], [rules])
    assert verdicts(doc) == {("aws_db_instance.good", "ACME-ENC-9"): "pass", ("aws_db_instance.bad", "ACME-ENC-9"): "fail"}


def test_source_tree_evidence_names_file_and_line_and_a_missing_path_is_said_once(tmp_path):
    doc = scan([EXAMPLES / "azure-tf"], [EXAMPLES / "acme.yaml"])
    f = finding(doc, "azurerm_redis_cache.legacy", "ACME-CACHE-01")
    assert f["status"] == "fail" and f["evidence"] == {"redis_version": "6"}
    assert f["resource"]["file"].endswith("main.tf") and f["resource"]["line"] == 27
    assert ("azurerm_mssql_server.orders", "ACME-DB-01") not in verdicts(doc)
    entries = [c for c in doc["coverage"] if c["kind"] == "rule-not-applicable"]
    assert entries == [{"kind": "rule-not-applicable", "control_id": "ACME-DB-01", "source": "terraform-source",
                        "type": "azurerm_mssql_server",
                        "message": "ACME-DB-01 gives no terraform path for its field deletion_protection on "
                                   "azurerm_mssql_server: not checked on terraform-source azurerm_mssql_server resources"}]


def test_waivers_profiles_and_every_output_format_take_user_controls(tmp_path):
    from scanner.render import render
    rules = rules_file(tmp_path, DB_RULE)
    plan = db_plan(tmp_path, off={"deletion_protection": False}, off2={"deletion_protection": False})
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n- control: ACME-DB-01\n  resource: aws_db_instance.off2\n  reason: scratch\n"
                       "  approver: ciso@example.com\n  expires: 2999-01-01\n")
    profile = tmp_path / "profile.yaml"
    profile.write_text(f"rules: [{rules.name}]\ncontrols:\n  ACME-DB-01: {{severity: critical}}\n")
    doc = scan([plan], profile=profile, waivers=waivers)
    assert finding(doc, "aws_db_instance.off2", "ACME-DB-01")["status"] == "waived"
    off = finding(doc, "aws_db_instance.off", "ACME-DB-01")
    assert off["severity"] == "critical" and off["status"] == "fail"
    assert doc["rules"][0]["via"] == "profile"
    assert {"control_id": "ACME-DB-01", "setting": "severity", "spec": "medium", "profile": "critical"} in \
        doc["run"]["profile_overrides"]
    sarif = json.loads(render(doc, "sarif"))
    assert "ACME-DB-01" in {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert any(r["ruleId"] == "ACME-DB-01" for r in sarif["runs"][0]["results"])
    junit = render(doc, "junit")
    assert "ACME-DB-01" in junit and "deletion protection is off" in junit
    for fmt in ("html", "markdown", "json"):
        out = render(doc, fmt)
        assert "ACME-DB-01" in (out.decode() if isinstance(out, bytes) else out)
    profile.write_text(f"rules: [{rules.name}]\ncontrols:\n  ACME-DB-01: false\n")
    doc = scan([plan], profile=profile)
    assert not verdicts(doc) and {"id": "ACME-DB-01", "title": "Databases are protected from deletion"} in \
        doc["disabled_controls"]


def test_an_in_source_waiver_may_name_a_user_control(tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(EXAMPLES / "azure-tf", tree)
    main = tree / "main.tf"
    main.write_text(main.read_text().replace(
        'resource "azurerm_storage_account" "scratch" {',
        'resource "azurerm_storage_account" "scratch" {\n'
        '  # specguard:waive ACME-S3-01 until=2999-01-01 reason="named before the convention" approver=alice'))
    doc = scan([tree], [EXAMPLES / "acme.yaml"])
    f = finding(doc, "azurerm_storage_account.scratch", "ACME-S3-01")
    assert f["status"] == "waived" and f["waiver"]["reason"] == "named before the convention"
    with pytest.raises(InputError, match="unknown control id 'ACME-S3-01'"):
        scan([tree])   # without the rules, the comment names nothing


def test_a_profile_changes_a_yaml_controls_parameters_and_they_are_checked(tmp_path):
    profile = tmp_path / "profile.yaml"
    profile.write_text(f"rules: ['{EXAMPLES}']\ncontrols:\n  ACME-CACHE-01: {{params: {{min_version: 6}}}}\n")
    doc = scan([EXAMPLES / "aws-plan" / "plan.json"], profile=profile)
    assert finding(doc, "aws_elasticache_replication_group.legacy", "ACME-CACHE-01")["status"] == "pass"  # 6.x >= 6
    assert {"control_id": "ACME-CACHE-01", "setting": "params.min_version", "spec": 7, "profile": 6} in \
        doc["run"]["profile_overrides"]
    assert next(c for c in doc["controls"] if c["id"] == "ACME-CACHE-01")["params"] == {"min_version": 6}
    profile.write_text(f"rules: ['{EXAMPLES}']\ncontrols:\n  ACME-CACHE-01: {{params: {{min_version: latest}}}}\n")
    with pytest.raises(InputError, match="expected a number, got 'latest'"):
        scan([EXAMPLES / "aws-plan" / "plan.json"], profile=profile)
    rules = rules_file(tmp_path, DB_RULE.replace("require: {field: deletion_protection, equals: true}",
                                                 "params: {pattern: '^db-'}\n    require: {field: identifier, "
                                                 "matches: {param: pattern}}").replace(
        "deletion_protection:\n        terraform: deletion_protection", "identifier:\n        terraform: identifier"))
    profile.write_text(f"rules: [{rules.name}]\ncontrols:\n  ACME-DB-01: {{params: {{pattern: '^(db|pg)-'}}}}\n")
    doc = scan([db_plan(tmp_path, a={"identifier": "pg-1"}, b={"identifier": "x-1"})], profile=profile)
    assert verdicts(doc) == {("aws_db_instance.a", "ACME-DB-01"): "pass", ("aws_db_instance.b", "ACME-DB-01"): "fail"}
    profile.write_text(f"rules: [{rules.name}]\ncontrols:\n  ACME-DB-01: {{params: {{pattern: '(a)\\1'}}}}\n")
    with pytest.raises(InputError, match=r"ACME-DB-01 params.pattern: not a valid regular expression"):
        scan([db_plan(tmp_path, a={"identifier": "pg-1"})], profile=profile)
    with pytest.raises(InputError, match=r"rules.yaml:13: parameter 'other' is not declared under params"):
        scan([db_plan(tmp_path, a={})], [rules_file(tmp_path, rules.read_text().replace("param: pattern", "param: other"))])


def test_matches_is_re2_linear_and_refuses_backtracking_syntax(tmp_path):
    body = DB_RULE.replace("require: {field: deletion_protection, equals: true}",
                           "require: {field: identifier, matches: '^(a+)+$'}").replace(
        "deletion_protection:\n        terraform: deletion_protection", "identifier:\n        terraform: identifier")
    body = body.replace("        aws: DeletionProtection\n", "        aws: DBInstanceIdentifier\n")
    doc = scan([db_plan(tmp_path, x={"identifier": "a" * 50000 + "!"})], [rules_file(tmp_path, body)])
    assert verdicts(doc) == {("aws_db_instance.x", "ACME-DB-01"): "fail"}
    with pytest.raises(InputError, match=r"rules.yaml:12: not a valid regular expression \(RE2 syntax\)"):
        scan([db_plan(tmp_path, x={})], [rules_file(tmp_path, body.replace("^(a+)+$", "(a)\\1"))])


def test_saved_results_render_again_and_go_into_the_history_store(tmp_path):
    from scanner.pipeline import load_results
    from scanner.results import dumps
    from scanner.store import open_store
    doc = scan([EXAMPLES / "aws-plan" / "plan.json"], [EXAMPLES])
    saved = tmp_path / "results.json"
    saved.write_text(dumps(doc))
    again = load_results(str(saved))   # the schema admits users' ids, origins and rules records
    assert again["rules"] == doc["rules"]
    store = open_store(str(tmp_path / "history.sqlite"))
    try:
        stored = store.put(again)
        back = store.get_doc(again["run"]["id"])
        assert stored is not None and back["rules"] == doc["rules"]
        assert {f["control_id"] for f in back["findings"]} >= {"ACME-DB-01", "ACME-CACHE-01", "ACME-S3-01"}
    finally:
        store.dispose()


# ----------------------------------------------------------------------------- 4. Python rules
RAISING = """\
from scanner.rules_api import Check, control

@control("ACME-PY-01", title="identifier is short", family="ACME", severity="low", soc2=["CC8.1"],
         kinds=("database",), params={"max_length": 10})
def short(r, ctx):
    ident = r.raw["identifier"]
    if ident == "boom":
        raise ValueError("cannot judge boom\\nsecond line")
    chk = Check()
    v = r["engine"]
    chk.require(v.test(lambda _: len(ident) <= ctx.params["max_length"]), "identifier too long", None, v)
    return chk.verdict("short enough")
"""


def test_python_rule_that_raises_is_unknown_with_its_message_and_a_coverage_entry(tmp_path):
    mod = tmp_path / "acme_py.py"
    mod.write_text(RAISING)
    doc = scan([db_plan(tmp_path, ok={"identifier": "db", "engine": "postgres"},
                        boom={"identifier": "boom", "engine": "postgres"},
                        long={"identifier": "a-very-long-name", "engine": "postgres"})], [mod])
    assert verdicts(doc) == {("aws_db_instance.ok", "ACME-PY-01"): "pass", ("aws_db_instance.boom", "ACME-PY-01"): "unknown",
                             ("aws_db_instance.long", "ACME-PY-01"): "fail"}
    assert finding(doc, "aws_db_instance.boom", "ACME-PY-01")["message"] == \
        "the rule raised ValueError: cannot judge boom"
    (cov,) = [c for c in doc["coverage"] if c["kind"] == "rule-error"]
    assert cov["control_id"] == "ACME-PY-01" and cov["resources"] == ["aws_db_instance.boom"]
    assert doc["rules"][0]["kind"] == "python" and len(doc["rules"][0]["sha256"]) == 64
    ctl = next(c for c in doc["controls"] if c["id"] == "ACME-PY-01")
    assert ctl["params"] == {"max_length": 10} and ctl["origin"]["path"] == str(mod)


def test_a_python_rule_reads_the_raw_record_with_its_origin(tmp_path):
    mod = tmp_path / "raw_rule.py"
    mod.write_text(textwrap.dedent("""\
        from scanner.rules_api import Check, control, field

        @control("ACME-RAW-1", title="t", family="ACME", severity="low", soc2=[], kinds=("database",))
        def rule(r, ctx):
            chk = Check()
            v = field(r, "tags.Owner")
            chk.require(v.is_set(), "no owner", "the owner is not known", v)
            return chk.verdict("owned")
        """))
    plan = Plan()
    plan.add("aws_db_instance", "a", {"tags": {"Owner": "dba"}})
    plan.add("aws_db_instance", "b", {"tags": {}})
    plan.add("aws_db_instance", "c", {}, unknown={"tags": True})
    (tmp_path / "plan.json").write_text(plan.json())
    doc = scan([tmp_path / "plan.json"], [mod])
    assert verdicts(doc) == {("aws_db_instance.a", "ACME-RAW-1"): "pass", ("aws_db_instance.b", "ACME-RAW-1"): "unknown",
                             ("aws_db_instance.c", "ACME-RAW-1"): "unknown"}
    assert finding(doc, "aws_db_instance.a", "ACME-RAW-1")["evidence"] == {"tags.Owner": "dba"}
    assert finding(doc, "aws_db_instance.b", "ACME-RAW-1")["message"] == \
        "the owner is not known: tags.Owner is not in the terraform-plan record"


def test_a_directory_loads_yaml_and_python_and_nothing_in_a_scanned_tree_is_loaded(tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(EXAMPLES / "azure-tf", tree)
    (tree / "evil.py").write_text("raise SystemExit('must never run')\n")
    (tree / "rules.yaml").write_text("controls: 3\n")
    doc = scan([tree])
    assert not verdicts(doc) and "rules" not in doc
    doc = scan([tree], [EXAMPLES])
    assert {r["path"].rsplit("/", 1)[1] for r in doc["rules"]} == {"acme.yaml", "acme_rules.py"}
    assert ("azurerm_mssql_server.orders", "ACME-DB-02") in verdicts(doc)


def test_a_rules_file_named_twice_is_read_once(tmp_path):
    rules = rules_file(tmp_path, DB_RULE)
    profile = tmp_path / "profile.yaml"
    profile.write_text(f"rules: [{rules.name}]\n")
    doc = scan([db_plan(tmp_path, on={"deletion_protection": True})], [rules], profile=profile)
    assert [r["via"] for r in doc["rules"]] == ["profile"]
    assert verdicts(doc) == {("aws_db_instance.on", "ACME-DB-01"): "pass"}


def test_entry_point_packages_are_loaded_and_recorded_with_their_version(tmp_path, monkeypatch):
    site = tmp_path / "site"
    (site / "acme_pkg").mkdir(parents=True)
    (site / "acme_pkg" / "__init__.py").write_text("")
    (site / "acme_pkg" / "rules.py").write_text(RAISING.replace("ACME-PY-01", "ACME-PKG-01"))
    info = site / "acme_specguard_rules-1.4.2.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-specguard-rules\nVersion: 1.4.2\n")
    (info / "entry_points.txt").write_text("[specguard.rules]\nacme = acme_pkg.rules\n")
    monkeypatch.syspath_prepend(str(site))
    doc = scan([db_plan(tmp_path, ok={"identifier": "db", "engine": "postgres"})])
    assert verdicts(doc) == {("aws_db_instance.ok", "ACME-PKG-01"): "pass"}
    assert doc["rules"] == [{"kind": "package", "name": "acme-specguard-rules", "version": "1.4.2",
                             "entry_point": "acme", "module": "acme_pkg.rules", "via": "entry-point"}]
    monkeypatch.delitem(sys.modules, "acme_pkg.rules", raising=False)


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("body, needle", [
    ("controls:\n  - id: ACME-1\n    title: [unclosed\n", "rules.yaml:4:1: not valid YAML"),
    (DB_RULE.replace("equals: true", "equal: true"), "rules.yaml:12: unknown operator 'equal'"),
    (DB_RULE.replace("field: deletion_protection, equals", "field: deletion_protecton, equals"),
     "rules.yaml:12: field 'deletion_protecton' is used but not declared"),
    (DB_RULE.replace("ACME-DB-01", "ENC-01"), "rules.yaml:2: id ENC-01 uses the catalogue's prefix ENC"),
    (DB_RULE.replace("ACME-DB-01", "acme"), "rules.yaml:2: id 'acme' must be PREFIX-NAME"),
    (DB_RULE + DB_RULE.split("controls:\n", 1)[1], "rules.yaml:14: control id ACME-DB-01 is already declared"),
    (DB_RULE.replace("aws: DeletionProtection", "gcp: deletionProtection"), "rules.yaml:11: unknown source 'gcp'"),
    (DB_RULE.replace("severity: medium", "severity: urgent"), "rules.yaml:5: unknown severity 'urgent'"),
    (DB_RULE.replace("{types: [aws_db_instance]}", "{kinds: [databse]}"), "rules.yaml:7: unknown kind 'databse'"),
])
def test_bad_rules_are_input_errors_with_file_and_line(tmp_path, body, needle):
    with pytest.raises(InputError) as e:
        scan([db_plan(tmp_path, x={})], [rules_file(tmp_path, body)])
    assert str(e.value).startswith(str(tmp_path / needle)), str(e.value)


def test_python_rule_modules_that_fail_to_import_or_collide(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import no_such_module_here\n")
    with pytest.raises(InputError, match=r"bad.py: the rule module does not import: ModuleNotFoundError: No module"):
        scan([db_plan(tmp_path, x={})], [bad])
    bad.write_text("def f(:\n")
    with pytest.raises(InputError, match=r"bad.py:1: the rule module does not import: SyntaxError"):
        scan([db_plan(tmp_path, x={})], [bad])
    clash = tmp_path / "clash.py"
    clash.write_text(RAISING.replace("ACME-PY-01", "ACME-DB-01"))
    with pytest.raises(InputError, match="clash.py: control id ACME-DB-01 is already declared"):
        scan([db_plan(tmp_path, x={})], [rules_file(tmp_path, DB_RULE), clash])
    cat = tmp_path / "cat.py"
    cat.write_text(RAISING.replace("ACME-PY-01", "BAK-01"))
    with pytest.raises(InputError, match="BAK-01 is a catalogue control"):
        scan([db_plan(tmp_path, x={})], [cat])


# ----------------------------------------------------------------------------- 5. examples and rules test
def test_examples_hold_their_expectations():
    from scanner import rules_test
    results = rules_test.run(str(EXAMPLES))
    assert [r.problems for r in results] == [[], []]
    assert sum(r.checked for r in results) >= 15


def test_rules_test_reports_a_broken_expectation_and_an_unlisted_verdict(tmp_path):
    from scanner import rules_test
    work = tmp_path / "rules"
    shutil.copytree(EXAMPLES, work)
    exp = work / "aws-plan" / "expected.yaml"
    text = exp.read_text().replace("aws_s3_bucket.tmp: {ACME-S3-01: fail}", "aws_s3_bucket.tmp: {ACME-S3-01: pass}")
    exp.write_text(text.replace("aws_s3_bucket.logs: {ACME-S3-01: pass}\n", ""))
    rc, lines = rules_test.report(rules_test.run(str(work)))
    assert rc == 1
    assert "  aws_s3_bucket.tmp ACME-S3-01: expected pass, got fail (the name does not start with the acme prefix)" in lines
    assert any(line.startswith("  aws_s3_bucket.logs ACME-S3-01: pass") and "not in expected.yaml" in line
               for line in lines)
    assert lines[-1].startswith("ok   ") and lines[-1].endswith("azure-tf: 6 expectation(s) hold")


# ----------------------------------------------------------------------------- {param} in messages
def test_messages_say_the_parameters_the_profile_sets(tmp_path):
    plan = EXAMPLES / "aws-plan" / "plan.json"
    doc = scan([plan], [EXAMPLES / "acme.yaml"])
    legacy = finding(doc, "aws_elasticache_replication_group.legacy", "ACME-CACHE-01")
    assert legacy["status"] == "fail" and legacy["message"] == "Redis is older than version 7"
    profile = tmp_path / "profile.yaml"
    profile.write_text(f"rules: ['{EXAMPLES / 'acme.yaml'}']\ncontrols:\n  ACME-CACHE-01: {{params: {{min_version: 6}}}}\n")
    doc = scan([plan], profile=profile)
    legacy = finding(doc, "aws_elasticache_replication_group.legacy", "ACME-CACHE-01")
    assert legacy["status"] == "pass" and legacy["message"] == "Redis is version 6 or later"
    body = DB_RULE.replace('message: {fail: "deletion protection is off", pass: "deletion protection is on"}',
                           "params: {engines: [postgres, mysql], strict: true}\n"
                           "    message: {fail: 'off ({{engines}}: {engines}; strict={strict})', pass: '{strict}'}")
    doc = scan([db_plan(tmp_path, off={"deletion_protection": False})], [rules_file(tmp_path, body)])
    assert finding(doc, "aws_db_instance.off", "ACME-DB-01")["message"] == "off ({engines}: postgres, mysql; strict=true)"


@pytest.mark.parametrize("message, needle", [
    ("{fail: 'below {min_versoin}'}", "rules.yaml:14: message: unknown parameter 'min_versoin' in {min_versoin} "
                                      "(params: min_version)"),
    ("{pass: 'ok', fail: 'below {min_version:>5}'}", "rules.yaml:14: message: {min_version:>5} is not a parameter "
                                                     "placeholder"),
    ("{fail: 'below {}'}", "rules.yaml:14: message: {} is not a parameter placeholder"),
    ("{unknown: 'a { alone'}", "rules.yaml:14: message: a brace that is not a {parameter} (expected '}' before end of string): "
                                "write {{ and }} for braces"),
])
def test_an_unknown_message_parameter_is_an_input_error_with_file_and_line(tmp_path, message, needle):
    body = DB_RULE.replace('message: {fail: "deletion protection is off", pass: "deletion protection is on"}',
                           "params: {min_version: 7}\n    message: " + message)
    with pytest.raises(InputError) as e:
        scan([db_plan(tmp_path, x={})], [rules_file(tmp_path, body)])
    assert str(e.value).startswith(str(tmp_path / needle)), str(e.value)


def test_an_unknown_message_parameter_exits_2_naming_file_and_line(run_cli, tmp_path):
    rules = rules_file(tmp_path, DB_RULE.replace('pass: "deletion protection is on"', 'pass: "on ({nope})"'))
    out = tmp_path / "out.json"
    p = run_cli("scan", db_plan(tmp_path, x={}), "--rules", rules, "--format", "json", "-o", out)
    assert p.returncode == 2 and not out.exists() and p.stderr.count("\n") == 1
    assert f"{rules}:13: message: unknown parameter 'nope' in {{nope}} (params: none are declared)" in p.stderr


# ----------------------------------------------------------------------------- secrets never reach evidence
SECRET = "hunter2-VerySecret!"
MQ_RULES = """\
controls:
  - id: ACME-MQ-01
    title: Broker users have a password
    severity: low
    applies_to: {types: [aws_mq_broker]}
    fields:
      pw: {terraform: user.password}
    require: {field: pw, exists: true}
  - id: ACME-MQ-02
    title: The default password is not used
    severity: low
    applies_to: {types: [aws_mq_broker]}
    fields:
      pw: {terraform: user.password}
    require: {field: pw, not_equals: changeme}
  - id: ACME-MQ-03
    title: Brokers declare their users
    severity: low
    applies_to: {types: [aws_mq_broker]}
    fields:
      users: {terraform: user}
    require: {field: users, exists: true}
"""


def _no_secret_anywhere(doc):
    from scanner.render import render
    for fmt in ("json", "sarif", "html", "markdown", "junit"):
        out = render(doc, fmt)
        assert SECRET not in (out.decode() if isinstance(out, bytes) else out), fmt


def test_a_secret_in_a_plan_is_withheld_from_users_fields_and_every_output(tmp_path):
    plan = Plan()
    plan.add("aws_mq_broker", "b", {"broker_name": "b", "engine_type": "ActiveMQ", "tags": {},
                                    "user": [{"username": "admin", "password": SECRET}]})
    (tmp_path / "plan.json").write_text(plan.json())
    doc = scan([tmp_path / "plan.json"], [rules_file(tmp_path, MQ_RULES)])
    assert verdicts(doc) == {("aws_mq_broker.b", "ACME-MQ-01"): "pass",      # set: exists answers
                             ("aws_mq_broker.b", "ACME-MQ-02"): "unknown",   # its value is not read: never a pass
                             ("aws_mq_broker.b", "ACME-MQ-03"): "pass"}
    assert finding(doc, "aws_mq_broker.b", "ACME-MQ-02")["message"] == \
        "user.password: a secret value: specguard does not keep it"
    users = finding(doc, "aws_mq_broker.b", "ACME-MQ-03")["evidence"]["user"]
    assert users[0]["username"] == "admin" and "unknown" in users[0]["password"]   # the block, without it
    _no_secret_anywhere(doc)


def test_a_secret_given_with_var_to_a_tf_tree_is_withheld(tmp_path):
    from scanner.pipeline import scan_paths
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "main.tf").write_text(textwrap.dedent("""\
        variable "mq_password" {
          type      = string
          sensitive = true
        }
        resource "aws_mq_broker" "b" {
          broker_name        = "b"
          engine_type        = "ActiveMQ"
          engine_version     = "5.17.6"
          host_instance_type = "mq.t3.micro"
          user {
            username = "admin"
            password = var.mq_password
          }
        }
        """))
    ns = argparse.Namespace(paths=[str(tree)], var=[f"mq_password={SECRET}"], var_file=[], source_dir=None,
                            profile=None, waivers=None, rules=[str(rules_file(tmp_path, MQ_RULES))],
                            checkov_results=None)
    doc = scan_paths(ns)
    assert verdicts(doc)[("aws_mq_broker.b", "ACME-MQ-02")] == "unknown"
    assert verdicts(doc)[("aws_mq_broker.b", "ACME-MQ-01")] == "pass"
    _no_secret_anywhere(doc)


@pytest.mark.parametrize("name, secret", [
    ("password", True), ("administrator_login_password", True), ("MasterUserPassword", True),
    ("auth_token", True), ("primary_access_key", True), ("connection_string", True), ("client_secret", True),
    ("SecretString", True), ("sas_token", True), ("private_key_pem", True), ("secret", True),
    ("password_length", False), ("auth_token_enabled", False), ("access_key_id", False), ("SecretArn", False),
    ("kms_key_id", False), ("KmsMasterKeyId", False), ("MasterUserSecret", False), ("deletion_protection", False),
    ("secret_name", False), ("token_validity_units", False), ("name", False), (3, False),
])
def test_which_names_are_secrets(name, secret):
    from scanner.withheld import secret_name
    assert secret_name(name) is secret


def test_what_a_plan_marks_sensitive_is_withheld_whatever_its_name(tmp_path):
    plan = Plan()
    plan.add("aws_lambda_function", "f", {"function_name": "f", "tags": {"Environment": "prod", "conn": SECRET},
                                          "environment": [{"variables": {"UPSTREAM": SECRET, "STAGE": "prod"}}]})
    doc = json.loads(plan.json())
    marks = {"tags": {"conn": True}, "environment": [{"variables": {"UPSTREAM": True}}]}
    doc["planned_values"]["root_module"]["resources"][0]["sensitive_values"] = marks   # as terraform show -json
    doc["resource_changes"][0]["change"]["after_sensitive"] = marks
    (tmp_path / "plan.json").write_text(json.dumps(doc))
    rules = rules_file(tmp_path, """\
        controls:
          - id: ACME-FN-01
            title: Functions name their upstream
            severity: low
            applies_to: {types: [aws_lambda_function]}
            fields:
              upstream: {terraform: environment.variables.UPSTREAM}
              stage: {terraform: environment.variables.STAGE}
            require: {all: [{field: upstream, exists: true}, {field: stage, equals: prod}]}
          - id: ACME-FN-02
            title: Functions carry a connection tag that is not a default
            severity: low
            applies_to: {types: [aws_lambda_function]}
            fields:
              tags: {terraform: tags}
              conn: {terraform: tags.conn}
            require: {all: [{field: tags, exists: true}, {field: conn, not_equals: default}]}
        """)
    doc = scan([tmp_path / "plan.json"], [rules])
    assert verdicts(doc) == {("aws_lambda_function.f", "ACME-FN-01"): "pass",
                             ("aws_lambda_function.f", "ACME-FN-02"): "unknown"}
    tags = finding(doc, "aws_lambda_function.f", "ACME-FN-02")["evidence"]["tags"]
    assert tags["Environment"] == "prod" and "unknown" in tags["conn"]
    assert SECRET not in json.dumps([f for f in doc["findings"] if f["control_id"].startswith("ACME")])
    # the built-in controls judge with the value, and show it nowhere (tests/test_sensitive_evidence.py)
    assert finding(doc, "aws_lambda_function.f", "TAG-01")["status"] in ("pass", "fail")
    assert SECRET not in json.dumps(doc)


def test_the_reports_say_which_controls_are_the_organisations_and_where_they_come_from():
    from scanner.render import render
    doc = scan([EXAMPLES / "aws-plan" / "plan.json"], [EXAMPLES])
    sarif = json.loads(render(doc, "sarif"))
    rules = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    cache = rules["ACME-CACHE-01"]
    assert cache["properties"]["origin"]["path"] == str(EXAMPLES / "acme.yaml") and "custom" in cache["properties"]["tags"]
    assert cache["properties"]["origin"]["line"] == 21 and len(cache["properties"]["origin"]["sha256"]) == 64
    assert f"The organisation's own control (yaml: {EXAMPLES / 'acme.yaml'}:21)." in cache["help"]["text"]
    assert rules["ACME-DB-02"]["properties"]["origin"]["kind"] == "python"
    assert "origin" not in rules["ENC-01"]["properties"] and "custom" not in rules["ENC-01"]["properties"]["tags"]
    html = render(doc, "html")
    html = html.decode() if isinstance(html, bytes) else html
    cover = html.split('id="user-rules"', 1)[1].split("</table>", 1)[0]
    for r in doc["rules"]:   # every rules file with its SHA-256, as the results record it
        assert r["path"] in cover and r["sha256"] in cover
    assert f"the organisation's own control: {EXAMPLES / 'acme.yaml'}:21" in html
    assert "<b>ACME</b> the organisation&#39;s own</td>" in html and "<b>ACME</b> ACME" not in html
    plain = render(scan([EXAMPLES / "aws-plan" / "plan.json"]), "html")
    assert 'id="user-rules"' not in (plain.decode() if isinstance(plain, bytes) else plain)


def test_a_parameter_in_a_title_is_refused_with_file_and_line(tmp_path):
    body = DB_RULE.replace("title: Databases are protected from deletion",
                           "title: Databases keep {days} days of backups").replace(
        'message: {fail: "deletion protection is off", pass: "deletion protection is on"}', "params: {days: 7}")
    with pytest.raises(InputError) as e:
        scan([db_plan(tmp_path, x={})], [rules_file(tmp_path, body)])
    assert str(e.value).startswith(f"{tmp_path / 'rules.yaml'}:3: title names the parameter {{days}}")
    ok = body.replace("{days} days", "{a literal} days")   # braces that name no parameter are text
    doc = scan([db_plan(tmp_path, x={"deletion_protection": True})], [rules_file(tmp_path, ok)])
    assert next(c for c in doc["controls"] if c["id"] == "ACME-DB-01")["title"] == "Databases keep {a literal} days of backups"


@pytest.mark.parametrize("returns, said", [
    ("True", "the rule returned bool, not a Verdict (return Check().verdict(...) or None)"),
    ("Verdict('ok', 'fine')", "the rule returned the status 'ok' (pass, fail or unknown)"),
    ("Verdict('pass', 'fine', {'when': __import__('datetime').date(2026, 1, 1)})",
     "the rule returned evidence that is not JSON (Object of type date is not JSON serializable): read values "
     "with field() or Check().see()"),
])
def test_a_python_rule_that_returns_something_else_than_a_verdict_is_unknown_and_said(tmp_path, returns, said):
    mod = tmp_path / "odd.py"
    mod.write_text(textwrap.dedent(f"""\
        from scanner.rules_api import Verdict, control

        @control("ACME-ODD-1", title="t", family="ACME", severity="low", soc2=[], kinds=("database",))
        def rule(r, ctx):
            return {returns}
        """))
    doc = scan([db_plan(tmp_path, a={"engine": "postgres"}, b={"engine": "mysql"})], [mod])
    assert verdicts(doc) == {("aws_db_instance.a", "ACME-ODD-1"): "unknown", ("aws_db_instance.b", "ACME-ODD-1"): "unknown"}
    assert finding(doc, "aws_db_instance.a", "ACME-ODD-1")["message"] == said
    (cov,) = [c for c in doc["coverage"] if c["kind"] == "rule-error"]
    assert cov["message"] == f"ACME-ODD-1: {said}, on 2 resource(s) (those findings are unknown)"


def test_a_rule_module_imports_helpers_beside_it_which_are_not_loaded_as_rules(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "_naming.py").write_text("PREFIX = 'db-'\n")
    (rules / "names.py").write_text(textwrap.dedent("""\
        from scanner.rules_api import Check, control, field
        from _naming import PREFIX

        @control("ACME-NAME-1", title="Databases carry the prefix", family="ACME", severity="low", soc2=[],
                 kinds=("database",))
        def rule(r, ctx):
            chk = Check()
            v = field(r, "identifier")
            chk.require(v.test(lambda s: str(s).startswith(PREFIX)), "no prefix", None, v)
            return chk.verdict("prefixed")
        """))
    doc = scan([db_plan(tmp_path, a={"identifier": "db-1"}, b={"identifier": "x"})], [rules])
    assert verdicts(doc) == {("aws_db_instance.a", "ACME-NAME-1"): "pass", ("aws_db_instance.b", "ACME-NAME-1"): "fail"}
    assert [r["path"] for r in doc["rules"]] == [str(rules / "names.py")]
    assert str(rules) not in sys.path


def test_settings_about_passwords_are_read_only_their_text_is_a_secret():
    from scanner.model import Resource
    from scanner.rules_api import field
    from scanner.withheld import Withheld
    r = Resource(kind="generic", type="aws_iam_account_password_policy", address="aws_iam_account_password_policy.p",
                 provider="aws", source="terraform-plan",
                 raw={"max_password_age": 90, "password_reuse_prevention": 24, "minimum_password_length": 14,
                      "allow_users_to_change_password": True, "password": SECRET,
                      "login": {"password": SECRET, "user": "admin"}})
    for path, value in (("max_password_age", 90), ("password_reuse_prevention", 24),
                        ("minimum_password_length", 14), ("allow_users_to_change_password", True)):
        v = field(r, path)
        assert v.known and v.value == value, path
    assert isinstance(field(r, "password"), Withheld) and isinstance(field(r, "login.password"), Withheld)
    whole = field(r, "login").value
    assert whole["user"] == "admin" and isinstance(whole["password"], Withheld)
