"""Checkov integration without Checkov: conf conversion, export plan, import of Checkov JSON.

The confs below have the shape Checkov's plan parser gives a resource check
(checkov/terraform/plan_parser.py: values wrapped in one-element lists, blocks
as lists of dicts, ``tags`` unwrapped, references put in place of unknown
values, ``true_after_unknown`` with EVAL_TF_PLAN_AFTER_UNKNOWN).  The tests
with real Checkov runs are in test_checkov.py.
"""
import json

import pytest

from scanner.checkov.conf import evaluate_conf, mapper_consults_others, settings, to_tf_resource
from scanner.checkov.export import mapper_fields, plan_export
from scanner.checkov.results import load, load_mapping
from scanner.errors import InputError
from scanner.results import Run
from scanner.values import Unknown


def enc01():
    return settings("ENC-01", "high", {})


def test_conf_values_are_unwrapped_and_references_become_unknown_with_refs():
    conf = {"__address__": "module.db.aws_db_instance.main", "storage_encrypted": [True],
            "kms_key_id": ["aws_kms_key.db.arn"], "vpc_security_group_ids": [["sg-1"]],
            "tags": [{"Env": "prod"}], "tags_all": [{"Env": ["prod"]}],
            "references_": [["aws_kms_key.db.arn", "aws_kms_key.db"]], "__startline__": 3}
    tf = to_tf_resource(conf, "aws_db_instance", "main")
    assert tf.address == "module.db.aws_db_instance.main" and tf.module == "module.db"
    assert tf.raw("storage_encrypted") is True
    assert tf.raw("vpc_security_group_ids") == ["sg-1"]
    assert tf.raw("tags") == {"Env": "prod"} and tf.raw("tags_all") == {"Env": "prod"}
    assert isinstance(tf.raw("kms_key_id"), Unknown)
    # the reference is resolved in the resource's module, as Terraform does
    assert tf.refs("kms_key_id") == ["module.db.aws_kms_key.db"]
    assert "__startline__" not in tf.values and "references_" not in tf.values


def test_enc01_verdicts_from_specguard_rule_on_checkov_conf():
    prof = enc01()
    good = {"__address__": "aws_db_instance.good", "storage_encrypted": [True], "kms_key_id": ["aws_kms_key.db.arn"],
            "references_": [["aws_kms_key.db.arn", "aws_kms_key.db"]]}
    bad = {"__address__": "aws_db_instance.bad", "storage_encrypted": [True], "kms_key_id": ["alias/aws/rds"]}
    after_apply = {"__address__": "aws_db_instance.late", "storage_encrypted": [True],
                   "kms_key_id": ["true_after_unknown"]}
    data_key = {"__address__": "aws_db_instance.data", "storage_encrypted": [True],
                "kms_key_id": ["data.aws_kms_key.k.arn"], "references_": [["data.aws_kms_key.k.arn", "data.aws_kms_key.k"]]}
    plain = {"__address__": "aws_db_instance.plain", "storage_encrypted": [False]}
    got = {c["__address__"]: evaluate_conf(prof, c, "aws_db_instance", "x").status
           for c in (good, bad, after_apply, data_key, plain)}
    assert got == {"aws_db_instance.good": "pass", "aws_db_instance.bad": "fail", "aws_db_instance.late": "unknown",
                   "aws_db_instance.data": "unknown", "aws_db_instance.plain": "fail"}


def test_tf_source_interpolations_are_unknown_never_pass():
    conf = {"__address__": "aws_db_instance.src", "storage_encrypted": ["${var.encrypted}"],
            "kms_key_id": ["${aws_kms_key.db.arn}"]}
    tf = to_tf_resource(conf, "aws_db_instance", "src")
    assert isinstance(tf.raw("storage_encrypted"), Unknown)
    assert tf.refs("kms_key_id") == ["aws_kms_key.db"]
    assert evaluate_conf(enc01(), conf, "aws_db_instance", "src").status == "unknown"


def test_tags_without_tags_all_make_missing_tags_unknown_not_pass():
    prof = settings("TAG-01", "low", {"required_tags": ["Environment", "Owner"], "environment_values": ["prod"],
                                      "count_resource_group_tags": False})
    # tags_all missing: provider default_tags may add Owner, which a resource check cannot see
    conf = {"__address__": "aws_sqs_queue.q", "name": ["q"], "tags": [{"Environment": "prod"}]}
    assert evaluate_conf(prof, conf, "aws_sqs_queue", "q").status == "unknown"
    conf["tags_all"] = [{"Environment": ["prod"]}]
    assert evaluate_conf(prof, conf, "aws_sqs_queue", "q").status == "fail"
    conf["tags_all"] = [{"Environment": ["prod"], "Owner": ["me"]}]
    assert evaluate_conf(prof, conf, "aws_sqs_queue", "q").status == "pass"


def test_not_applicable_is_none():
    # an uncovered, untaggable type: no finding at all
    assert evaluate_conf(enc01(), {"__address__": "aws_route.r", "cidr": ["x"]}, "aws_route", "r") is None


def test_probe_finds_mappers_that_join_other_resources():
    assert mapper_consults_others("aws_s3_bucket")      # split encryption / versioning resources
    assert not mapper_consults_others("aws_kms_key")


def test_export_plan_leaves_out_context_controls_with_reasons():
    plan = plan_export(None)
    exported = {(c["control"], t) for c in plan["checks"] for t in c["types"]}
    left = {(e["control"], t): e["reason"] for e in plan["not_exported"] for t in e["types"]}
    assert ("ENC-01", "aws_db_instance") in exported
    assert ("TAG-01", "aws_*") in exported
    for must_leave in [("HA-01", "aws_rds_cluster"), ("BAK-02", "aws_db_instance"), ("NET-01", "aws_security_group"),
                       ("ENC-02", "aws_s3_bucket")]:
        assert must_leave in left and must_leave not in exported
        assert len(left[must_leave]) > 40    # a reason, not a placeholder
    ids = [c["id"] for c in plan["checks"]]
    assert len(ids) == len(set(ids)) and all(i.startswith("CKV_SPECGUARD_") for i in ids)


def test_probe_names_the_fields_a_mapper_can_set():
    assert {"requires_tls", "tls_min_version"} <= mapper_fields("aws_db_parameter_group")
    assert "requires_tls" in mapper_fields("azurerm_redis_cache")
    assert "kms_encrypted" in mapper_fields("aws_sqs_queue")
    for t in ("aws_security_group", "aws_kms_key", "aws_backup_plan", "aws_db_instance"):
        assert not {"requires_tls", "tls_min_version"} & mapper_fields(t), t


def test_tls03_is_exported_only_for_types_that_carry_tls_fields():
    plan = plan_export(None)
    tls = next(c for c in plan["checks"] if c["control"] == "TLS-03")
    assert {"aws_db_parameter_group", "aws_rds_cluster_parameter_group", "aws_elasticache_replication_group",
            "azurerm_redis_cache"} <= set(tls["types"])
    never = {(e["control"], t) for e in plan["not_applicable"] for t in e["types"]}
    left = {(e["control"], t) for e in plan["not_exported"] for t in e["types"]}
    for t in ("aws_security_group", "aws_kms_key", "aws_backup_plan", "aws_db_instance", "azurerm_key_vault"):
        assert t not in tls["types"]
        assert ("TLS-03", t) in never and ("TLS-03", t) not in left
    # the probe drops only pairs with no key field: a type that carries them stays
    assert ("ENC-04", "aws_sqs_queue") not in never and ("BAK-03", "aws_sqs_queue") in never


def _scanned_projects():
    import glob
    import pathlib
    from conftest import CORPUS
    from scanner.sources.terraform import hcl
    from scanner.sources.terraform.plan import load_plan, read_json
    root = pathlib.Path(__file__).resolve().parent.parent
    paths = sorted(glob.glob(str(root / "fixtures" / "*" / "*" / "plan.json")))
    paths += sorted(glob.glob(str(CORPUS / "terraform-plans" / "**" / "*.json"), recursive=True))
    for p in paths:
        try:
            yield load_plan(p, read_json(p))
        except Exception:   # corpus files that are not plans (schemas, provider dumps)
            continue
    for d in sorted((root / "fixtures" / "tf").glob("*")):
        if d.is_dir() and list(d.glob("*.tf")):
            yield hcl.load_dir(str(d), var_files=[], variables=[], run=Run())


def test_never_applicable_pairs_never_get_a_specguard_finding():
    """What the probe calls never applicable must be so for specguard's own scans (with linking)."""
    from scanner.engine import evaluate
    from scanner.link import link
    from scanner.profile import spec_profile
    from scanner.sources.terraform.normalize import normalize
    never = {(e["control"], t) for e in plan_export(None)["not_applicable"] for t in e["types"]}
    seen = set()
    for project in _scanned_projects():
        for f in evaluate(link(normalize(project)), spec_profile()):
            seen.add((f.control_id, f.resource.type))
    assert len(seen) > 40 and ("TLS-03", "azurerm_redis_cache") in seen     # the scans covered real pairs
    assert {t for _c, t in never} & {t for _c, t in seen}                    # ... of the same types
    assert not seen & never, sorted(seen & never)


def test_export_lists_never_applicable_pairs(tmp_path):
    from scanner.checkov.export import MANIFEST, export
    d = tmp_path / "ck"
    assert export(str(d)) == 0
    manifest = json.loads((d / MANIFEST).read_text())
    assert any(e["control"] == "TLS-03" and "aws_security_group" in e["types"] for e in manifest["not_applicable"])
    readme = (d / "README.md").read_text()
    assert "## Never applicable" in readme and "aws_security_group" in readme.split("## Never applicable")[1]
    # the generated module registers what the manifest says, TLS-03 without the never-applicable types
    import ast
    module = (d / "specguard_checks.py").read_text()
    literal = next(n for n in ast.walk(ast.parse(module)) if isinstance(n, ast.Call)
                   and getattr(n.func, "attr", "") == "loads").args[0].value
    tls = next(c for c in json.loads(literal) if c["control"] == "TLS-03")
    assert "aws_db_parameter_group" in tls["types"] and "aws_kms_key" not in tls["types"]


def test_export_refuses_a_foreign_nonempty_directory(tmp_path, run_cli):
    (tmp_path / "mine.py").write_text("x = 1\n")
    r = run_cli("export-checkov", tmp_path)
    assert r.returncode == 2 and "not a specguard export" in r.stderr
    out = tmp_path / "exp"
    r = run_cli("export-checkov", out)
    assert r.returncode == 0, r.stderr
    assert {"__init__.py", "specguard_checks.py", "README.md", "specguard-export.manifest"} <= {p.name for p in out.iterdir()}
    r = run_cli("export-checkov", out)   # re-export over its own output
    assert r.returncode == 0, r.stderr
    compile((out / "specguard_checks.py").read_text(), "specguard_checks.py", "exec")


# --------------------------------------------------------------------------- import
def _record(cid, addr, result, **kw):
    rec = {"check_id": cid, "check_name": f"name of {cid}", "check_result": {"result": result},
           "resource": addr, "resource_address": addr, "file_path": "/plan.json", "file_line_range": [0, 0],
           "severity": None, "details": [], "guideline": None}
    rec.update(kw)
    return rec


def test_import_reads_records_mapping_and_sources(tmp_path):
    doc = [{"check_type": "terraform_plan", "results": {
        "passed_checks": [_record("CKV_AWS_16", "aws_db_instance.a", "PASSED")],
        "failed_checks": [_record("CKV_AWS_157", 'module.m["k"].aws_db_instance.b[0]', "FAILED", severity="HIGH",
                                  details=["no multi-az"], file_line_range=[12, 30])],
        "skipped_checks": [_record("CKV_AWS_23", "aws_security_group.s", "SKIPPED",
                                   check_result={"result": "SKIPPED", "suppress_comment": "accepted"})],
        "parsing_errors": []}, "summary": {}},
        {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0, "resource_count": 0}]
    f = tmp_path / "ck.json"
    f.write_text(json.dumps(doc))
    m = tmp_path / "map.yaml"
    m.write_text("CKV_AWS_16: [CC6.1]\nCKV_AWS_157:\n  soc2: A1.2\n  severity: medium\n")
    run = Run()
    out = load(str(f), str(m), run)
    by = {e["check_id"]: e for e in out}
    assert [e["status"] for e in out] == ["fail", "skipped", "pass"]
    assert by["CKV_AWS_16"]["soc2"] == ["CC6.1"] and by["CKV_AWS_16"]["severity"] is None
    assert by["CKV_AWS_157"]["severity"] == "medium"          # the mapping wins over Checkov's HIGH
    assert by["CKV_AWS_157"]["resource"] == {"address": 'module.m["k"].aws_db_instance.b[0]', "type": "aws_db_instance",
                                             "provider": "aws", "file": "/plan.json", "line": 12}
    assert by["CKV_AWS_157"]["message"] == "no multi-az"
    assert by["CKV_AWS_23"]["skip_reason"] == "accepted"
    assert run.sources[-1]["kind"] == "checkov"


@pytest.mark.parametrize("text,where", [
    ('{"results": []}', "$.results"),
    ('[{"check_type": "x", "results": {"failed_checks": [{"resource": "a"}]}}]', "$[0].results.failed_checks[0]"),
    ('{"foo": 1}', "$"),
])
def test_import_rejects_what_is_not_checkov_output(tmp_path, text, where):
    f = tmp_path / "ck.json"
    f.write_text(text)
    with pytest.raises(InputError) as e:
        load(str(f), None, Run())
    assert str(f) in e.value.message and where in e.value.message


@pytest.mark.parametrize("text,msg", [
    ("- CKV_AWS_16", "YAML mapping"),
    ("CKV_AWS_16: {soc2: [CC6.1], sev: high}", "unknown key 'sev'"),
    ("CKV_AWS_16: {severity: urgent}", "unknown severity"),
    ("CKV_AWS_16: 3", "expected a list"),
])
def test_mapping_errors_name_the_key(tmp_path, text, msg):
    m = tmp_path / "map.yaml"
    m.write_text(text)
    with pytest.raises(InputError) as e:
        load_mapping(str(m))
    assert msg in e.value.message and str(m) in e.value.message


def test_checks_exported_before_the_subpackage_still_import_their_runtime():
    """Exported check files committed by teams import ``scanner.checkov_runtime`` (the path before
    the Checkov modules became ``scanner.checkov``); new exports import the new path."""
    import scanner.checkov.runtime as runtime
    import scanner.checkov_runtime as old
    from scanner.checkov.export import _module_text
    assert old.register is runtime.register
    assert "from scanner.checkov.runtime import register" in _module_text([])
