"""`specguard scan DIR`: Terraform source through the same model and rules as plans."""
import json
import pathlib
import shutil

import pytest

from conftest import write_tree

from planlib import Plan
from scanner.errors import InputError
from scanner.results import Run
from scanner.sources.terraform import hcl

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "tf"
PLATFORM = FIXTURES / "platform"


def verdicts(project, control_id=None):
    """{(control, address): status} through the real normalizer, linker and engine."""
    from scanner.engine import evaluate
    from scanner.link import link
    from scanner.profile import spec_profile
    from scanner.sources.terraform.normalize import normalize

    prof = spec_profile()
    if control_id:
        for cid, cs in prof.controls.items():
            cs.enabled = cid == control_id
    return {(f.control_id, f.resource.address): f.status for f in evaluate(link(normalize(project)), prof)}


def findings(project, control_id):
    from scanner.engine import evaluate
    from scanner.link import link
    from scanner.profile import spec_profile
    from scanner.sources.terraform.normalize import normalize

    prof = spec_profile()
    for cid, cs in prof.controls.items():
        cs.enabled = cid == control_id
    return {f.resource.address: f for f in evaluate(link(normalize(project)), prof)}


# ----------------------------------------------------------------------------- expansion, variables, modules
def test_count_for_each_and_modules_give_plan_addresses():
    p = hcl.load_dir(str(PLATFORM))
    addrs = {r.address for r in p.resources}
    assert {'aws_sqs_queue.q["billing"]', 'aws_sqs_queue.q["orders"]',
            "aws_ebs_volume.scratch[0]", "aws_ebs_volume.scratch[1]",
            "module.orders_db.aws_rds_cluster.this",
            "module.orders_db.aws_rds_cluster_instance.member[0]",
            "data.aws_kms_key.shared"} <= addrs
    # terraform.tfvars says staging: replicas = 1
    assert "module.orders_db.aws_rds_cluster_instance.member[1]" not in addrs
    assert all(r.source == "terraform-source" for r in p.resources)
    member = p.by_address()["module.orders_db.aws_rds_cluster_instance.member[0]"]
    assert member.file == "modules/db/main.tf" and member.line == 19
    assert member.values["identifier"] == "orders-0"


def test_variable_precedence(tmp_path):
    write_tree(tmp_path, {
        "main.tf": '''
            variable "a" { default = "default" }
            variable "b" { default = "default" }
            variable "c" { default = "default" }
            variable "d" { default = "default" }
            variable "e" { default = "default" }
            variable "m" { type = map(string) }
            resource "aws_sqs_queue" "q" {
              name = join("/", [var.a, var.b, var.c, var.d, var.e, lookup(var.m, "k", "none")])
            }
        ''',
        "terraform.tfvars": 'a = "tfvars"\nb = "tfvars"\nc = "tfvars"\nd = "tfvars"\n',
        "x.auto.tfvars": 'b = "auto"\nc = "auto"\nd = "auto"\n',
        "extra.tfvars": 'c = "file"\nd = "file"\n',
    })
    p = hcl.load_dir(str(tmp_path), var_files=[str(tmp_path / "extra.tfvars")], variables=["d=cli", 'm={k = "v"}'])
    assert p.by_address()["aws_sqs_queue.q"].values["name"] == "tfvars/auto/file/cli/default/v"
    assert str(tmp_path / "terraform.tfvars") in p.extra_files


def test_var_file_changes_expansion_and_tags():
    p = hcl.load_dir(str(PLATFORM), var_files=[str(PLATFORM / "env/prod.tfvars")])
    addrs = {r.address for r in p.resources}
    assert "module.orders_db.aws_rds_cluster_instance.member[1]" in addrs
    v = verdicts(p)
    assert v[("HA-01", "module.orders_db.aws_rds_cluster.this")] == "pass"     # two members linked
    tags = findings(p, "TAG-01")["aws_kms_key.db"].evidence["tags"]
    assert tags == {"Environment": "prod", "Project": "platform", "CostCenter": "cc-1001", "Owner": "sre"}


def test_staging_cluster_with_one_member_fails_ha():
    v = verdicts(hcl.load_dir(str(PLATFORM)))
    assert v[("HA-01", "module.orders_db.aws_rds_cluster.this")] == "fail"


def test_variable_without_value_is_unknown(tmp_path):
    write_tree(tmp_path, {"main.tf": '''
        variable "encrypted" { type = bool }
        resource "aws_ebs_volume" "v" {
          availability_zone = "us-east-1a"
          encrypted         = var.encrypted
        }
    '''})
    f = findings(hcl.load_dir(str(tmp_path)), "ENC-03")["aws_ebs_volume.v"]
    assert f.status == "unknown"
    assert "variable encrypted has no value" in f.message
    p = hcl.load_dir(str(tmp_path), variables=["encrypted=true"])
    assert p.resources[0].values["encrypted"] is True          # typed as declared, like a plan
    assert findings(p, "ENC-03")["aws_ebs_volume.v"].status == "pass"


# ----------------------------------------------------------------------------- references
def test_references_resolve_like_a_plan():
    p = hcl.load_dir(str(PLATFORM))
    cluster = p.by_address()["module.orders_db.aws_rds_cluster.this"]
    # through the module input var.kms_key_arn to the root's key
    assert cluster.refs("kms_key_id") == ["aws_kms_key.db"]
    assert cluster.refs("vpc_security_group_ids") == ["aws_security_group.db"]
    app = p.by_address()["aws_security_group.app"]
    assert app.refs("ingress.0.security_groups") == ["aws_security_group.web"]
    rule = p.by_address()["aws_security_group_rule.db_from_web"]
    assert rule.refs("source_security_group_id") == ["aws_security_group.web"]
    assert rule.refs("type") == []
    v = verdicts(p)
    assert v[("ENC-01", "module.orders_db.aws_rds_cluster.this")] == "pass"
    assert v[("NET-02", "aws_security_group.app")] == "pass"
    assert v[("NET-03", "aws_security_group.db")] == "fail"        # 5432 from the web tier
    assert v[("NET-04", "aws_db_instance.reporting")] == "pass"


def test_data_source_is_unknown_with_the_expression_in_evidence():
    f = findings(hcl.load_dir(str(PLATFORM)), "ENC-01")["aws_db_instance.reporting"]
    assert f.status == "unknown"
    assert "data.aws_kms_key.shared.arn" in json.dumps(f.evidence)


def test_references_through_locals_count_and_outputs(tmp_path):
    write_tree(tmp_path, {
        "main.tf": '''
            resource "aws_kms_key" "k" {
              count               = 2
              enable_key_rotation = true
            }
            locals { key = aws_kms_key.k[1].arn }
            module "db" {
              source = "./db"
              key    = local.key
            }
            resource "aws_sns_topic" "t" {
              kms_master_key_id = module.db.key_used
            }
        ''',
        "db/main.tf": '''
            variable "key" {}
            resource "aws_db_instance" "d" {
              storage_encrypted = true
              kms_key_id        = var.key
            }
            output "key_used" { value = aws_db_instance.d.kms_key_id }
        ''',
    })
    p = hcl.load_dir(str(tmp_path))
    by = p.by_address()
    assert by["module.db.aws_db_instance.d"].refs("kms_key_id") == ["aws_kms_key.k[1]"]
    assert by["aws_sns_topic.t"].refs("kms_master_key_id") == ["module.db.aws_db_instance.d"]


def test_unsupported_function_is_unknown_not_pass(tmp_path):
    write_tree(tmp_path, {"main.tf": '''
        resource "aws_ebs_volume" "v" {
          availability_zone = "us-east-1a"
          encrypted         = jsondecode(file("${path.module}/settings.json")).encrypted
        }
    '''})
    f = findings(hcl.load_dir(str(tmp_path)), "ENC-03")["aws_ebs_volume.v"]
    assert f.status == "unknown"
    assert "file()" in f.message and "settings.json" in json.dumps(f.evidence)


def test_provider_default_tags_and_aliases(tmp_path):
    write_tree(tmp_path, {"main.tf": '''
        provider "aws" {
          default_tags { tags = { Environment = "prod", Project = "p", CostCenter = "c", Owner = "o" } }
        }
        provider "aws" {
          alias = "dr"
          default_tags { tags = { Environment = "prod" } }
        }
        provider "aws" {
          alias = "ref"
          default_tags { tags = data.aws_ssm_parameter.tags.value }
        }
        resource "aws_sqs_queue" "main" {}
        resource "aws_sqs_queue" "dr" { provider = aws.dr }
        resource "aws_sqs_queue" "ref" { provider = aws.ref }
        module "m" {
          source    = "./m"
          providers = { aws = aws.dr }
        }
    ''', "m/main.tf": 'resource "aws_sqs_queue" "inner" {}\n'})
    v = verdicts(hcl.load_dir(str(tmp_path)), "TAG-01")
    assert v == {("TAG-01", "aws_sqs_queue.main"): "pass", ("TAG-01", "aws_sqs_queue.dr"): "fail",
                 ("TAG-01", "aws_sqs_queue.ref"): "unknown", ("TAG-01", "module.m.aws_sqs_queue.inner"): "fail"}


def test_dynamic_blocks_expand(tmp_path):
    write_tree(tmp_path, {"main.tf": '''
        variable "ports" { default = [443, 22] }
        resource "aws_security_group" "web" {
          tags = { Tier = "web" }
          dynamic "ingress" {
            for_each = var.ports
            content {
              from_port   = ingress.value
              to_port     = ingress.value
              protocol    = "tcp"
              cidr_blocks = ["0.0.0.0/0"]
            }
          }
        }
    '''})
    p = hcl.load_dir(str(tmp_path))
    assert [b["from_port"] for b in p.resources[0].values["ingress"]] == [443, 22]
    f = findings(p, "NET-01")["aws_security_group.web"]
    assert f.status == "fail" and "22" in f.message


# ----------------------------------------------------------------------------- file and line
def test_findings_carry_file_and_attribute_line(tmp_path, run_cli):
    out = tmp_path / "out.json"
    r = run_cli("scan", PLATFORM, "--format", "json", "-o", out)
    assert r.returncode == 1, r.stderr
    doc = json.loads(out.read_text())
    from scanner.results import validate
    validate(doc)
    by = {(f["control_id"], f["resource"]["address"]): f for f in doc["findings"]}
    old = by[("ENC-01", "aws_db_instance.old")]["resource"]
    assert (old["file"], old["line"]) == ("main.tf", 120)          # the storage_encrypted line
    vol = by[("ENC-03", "aws_ebs_volume.scratch[1]")]["resource"]
    assert (vol["file"], vol["line"]) == ("main.tf", 128)          # encrypted = count.index == 0
    member = by[("TAG-01", "module.orders_db.aws_rds_cluster_instance.member[0]")]["resource"]
    assert (member["file"], member["line"]) == ("modules/db/main.tf", 19)
    assert doc["sources"][0]["kind"] == "terraform-source" and len(doc["sources"][0]["sha256"]) == 64
    # the registry module is reported once, as not followed, not as an error
    nf = [c for c in doc["coverage"] if c["kind"] == "module-not-followed"]
    assert len(nf) == 1 and nf[0]["module"] == "module.vpc"


def test_tree_sha256_is_stable_and_covers_module_files(tmp_path):
    tree = tmp_path / "t"
    shutil.copytree(PLATFORM, tree)
    digest = lambda: hcl.source_record(hcl.load_dir(str(tree)))["sha256"]  # noqa: E731
    a = digest()
    assert a == digest()
    (tree / "modules/db/main.tf").write_text((tree / "modules/db/main.tf").read_text() + "\n# changed\n")
    assert digest() != a


def test_remote_module_reported_once_and_its_outputs_unknown(tmp_path):
    write_tree(tmp_path, {"main.tf": '''
        module "keys" {
          source = "git::https://example.com/keys.git"
          count  = 2
        }
        resource "aws_db_instance" "d" {
          storage_encrypted = true
          kms_key_id        = module.keys[0].key_arn
        }
    '''})
    run = Run()
    p = hcl.load_dir(str(tmp_path), run=run)
    assert [c["module"] for c in run.coverage if c["kind"] == "module-not-followed"] == ["module.keys"]
    f = findings(p, "ENC-01")["aws_db_instance.d"]
    assert f.status == "unknown"


def test_tf_json_files(tmp_path):
    write_tree(tmp_path, {"main.tf.json": json.dumps({
        "variable": {"env": {"default": "prod"}},
        "resource": {
            "aws_kms_key": {"k": {"enable_key_rotation": True}},
            "aws_db_instance": {"d": {"storage_encrypted": True, "kms_key_id": "${aws_kms_key.k.arn}",
                                      "tags": {"Environment": "${var.env}"}}},
        }}, indent=2)})
    p = hcl.load_dir(str(tmp_path))
    d = p.by_address()["aws_db_instance.d"]
    assert d.values["tags"] == {"Environment": "prod"} and d.file == "main.tf.json" and d.line == 14
    assert verdicts(p, "ENC-01") == {("ENC-01", "aws_db_instance.d"): "pass"}


# ----------------------------------------------------------------------------- waivers
def test_source_waivers_apply_and_expired_ones_are_reported(tmp_path, run_cli):
    out = tmp_path / "out.json"
    run_cli("scan", PLATFORM, "--format", "json", "-o", out)
    doc = json.loads(out.read_text())
    by = {(f["control_id"], f["resource"]["address"]): f for f in doc["findings"]}
    waived = by[("BAK-01", "aws_db_instance.reporting")]
    assert waived["status"] == "waived"
    assert waived["waiver"]["origin"] == "main.tf:113" and "rebuilt nightly" in waived["waiver"]["reason"]
    assert by[("ENC-01", "aws_db_instance.old")]["status"] == "fail"       # its waiver expired in 2020
    w = {x["control_id"]: x for x in doc["waivers"]}
    assert w["ENC-01"]["status"] == "expired" and w["BAK-01"]["status"] == "applied"


def test_waiver_per_instance(tmp_path):
    write_tree(tmp_path, {"main.tf": '''
        resource "aws_ebs_volume" "v" {
          for_each = toset(["a", "b"])
          # specguard:waive ENC-03 until=2099-01-01 reason="scratch disks" approver=alice
          encrypted = false
        }
    '''})
    ws = hcl.load_dir(str(tmp_path)).waivers
    assert [(w.resource, w.approver, str(w.expires)) for w in ws] == [
        ('aws_ebs_volume.v["a"]', "alice", "2099-01-01"), ('aws_ebs_volume.v["b"]', "alice", "2099-01-01")]


@pytest.mark.parametrize("comment, message", [
    ('# specguard:waive ENC-03 reason="no date"', "missing until"),
    ("# specguard:waive ENC-03 until=2099-01-01", "missing reason"),
    ('# specguard:waive NOPE-9 until=2099-01-01 reason="x"', "unknown control id"),
    ('# specguard:waive ENC-03 until=someday reason="x"', "bad date"),
    ('# specguard:waive ENC-03 until=20990101 reason="x"', "bad date"),
    ('# specguard:waive ENC-03 until=2099-01-01 reason="   "', "missing reason"),
    ('# specguard:waive ENC-03 until=2099-01-01 reason="x" approver=" "', "approver is blank"),
])
def test_bad_waive_comments_are_input_errors(tmp_path, comment, message):
    write_tree(tmp_path, {"main.tf": f'''
        resource "aws_ebs_volume" "v" {{
          {comment}
          encrypted = false
        }}
    '''})
    with pytest.raises(InputError) as e:
        hcl.load_dir(str(tmp_path))
    assert message in e.value.message and "main.tf:3" in e.value.message


# ----------------------------------------------------------------------------- bad input
def test_syntax_error_names_file_and_line(tmp_path, run_cli):
    write_tree(tmp_path, {"ok.tf": 'resource "aws_sqs_queue" "q" {}\n',
                          "bad.tf": 'resource "aws_sqs_queue" "r" {\n  name = "x"\n  kms = \n}\n'})
    r = run_cli("scan", tmp_path, "-o", tmp_path / "out.json")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "bad.tf:3: syntax error" in r.stderr, r.stderr
    assert not (tmp_path / "out.json").exists()


def test_directory_without_tf_files_is_input_error(tmp_path, run_cli):
    (tmp_path / "README.md").write_text("nothing here")
    r = run_cli("scan", tmp_path)
    assert r.returncode == 2 and "no .tf" in r.stderr


def test_bad_var_options_are_input_errors(tmp_path):
    write_tree(tmp_path, {"main.tf": 'resource "aws_sqs_queue" "q" {}\n'})
    with pytest.raises(InputError):
        hcl.load_dir(str(tmp_path), variables=["novalue"])
    with pytest.raises(InputError):
        hcl.load_dir(str(tmp_path), var_files=[str(tmp_path / "missing.tfvars")])


# ----------------------------------------------------------------------------- plans with their sources
def test_plan_findings_get_file_line_and_source_waivers(tmp_path, run_cli):
    tree = tmp_path / "tree"
    write_tree(tree, {
        "main.tf": '''
            resource "aws_db_instance" "main" {
              count             = 2
              storage_encrypted = false
              # specguard:waive ENC-01 until=2099-01-01 reason="being replaced"
            }
            module "m" { source = "./m" }
        ''',
        "m/main.tf": '''
            resource "aws_ebs_volume" "v" {
              availability_zone = "us-east-1a"
              encrypted         = false
            }
        ''',
    })
    p = Plan()
    for i in (0, 1):
        p.add("aws_db_instance", "main", {"storage_encrypted": False, "kms_key_id": None}, index=i)
    p.add("aws_ebs_volume", "v", {"encrypted": False}, module="module.m")
    plan = p.write(tree / "plan.json")
    out = tmp_path / "out.json"
    r = run_cli("scan", plan, "--format", "json", "-o", out)       # sources found beside the plan
    assert r.returncode == 1, r.stderr
    doc = json.loads(out.read_text())
    by = {(f["control_id"], f["resource"]["address"]): f for f in doc["findings"]}
    db = by[("ENC-01", "aws_db_instance.main[1]")]
    assert db["status"] == "waived" and db["resource"]["source"] == "terraform-plan"
    assert (db["resource"]["file"], db["resource"]["line"]) == ("main.tf", 4)
    vol = by[("ENC-03", "module.m.aws_ebs_volume.v")]["resource"]
    assert (vol["file"], vol["line"]) == ("m/main.tf", 4)
    # --source-dir elsewhere works the same
    shutil.copy(plan, tmp_path / "plan.json")
    r = run_cli("scan", tmp_path / "plan.json", "--source-dir", tree, "--format", "json", "-o", out)
    doc = json.loads(out.read_text())
    assert {f["resource"].get("file") for f in doc["findings"]} == {"main.tf", "m/main.tf"}


def test_source_and_plan_of_the_same_config_agree():
    """The same small configuration as .tf and as a plan: same verdicts per control and resource."""
    p = Plan()
    p.add("aws_kms_key", "db", {"enable_key_rotation": True, "tags": None})
    p.add("aws_db_instance", "main", {"storage_encrypted": True, "multi_az": True, "backup_retention_period": 35,
                                      "tags": None},
          unknown={"kms_key_id": True}, refs={"kms_key_id": ["aws_kms_key.db.arn", "aws_kms_key.db"]})
    p.add("aws_security_group", "web", {"tags": {"Tier": "web"}, "ingress": [
        {"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"],
         "security_groups": [], "self": False, "ipv6_cidr_blocks": [], "prefix_list_ids": [], "description": ""}]})
    plan_v = {}
    for f in p.findings():
        plan_v[(f.control_id, f.resource.address)] = f.status
    src = hcl.load_dir(str(FIXTURES / "same_as_plan"))
    assert verdicts(src) == plan_v


def test_override_files_are_merged(tmp_path):
    write_tree(tmp_path, {
        "main.tf": '''
            resource "aws_ebs_volume" "v" {
              availability_zone = "us-east-1a"
              encrypted         = false
            }
        ''',
        "main_override.tf": '''
            resource "aws_ebs_volume" "v" {
              encrypted = true
            }
        ''',
    })
    p = hcl.load_dir(str(tmp_path))
    assert p.resources[0].values == {"availability_zone": "us-east-1a", "encrypted": True, "tags": None}
    assert verdicts(p, "ENC-03") == {("ENC-03", "aws_ebs_volume.v"): "pass"}


def test_module_for_each_outputs_by_key(tmp_path):
    write_tree(tmp_path, {
        "main.tf": '''
            module "keys" {
              source   = "./k"
              for_each = { db = true, logs = false }
              rotate   = each.value
            }
            resource "aws_db_instance" "d" {
              storage_encrypted = true
              kms_key_id        = module.keys["db"].arn
            }
        ''',
        "k/main.tf": '''
            variable "rotate" {}
            resource "aws_kms_key" "k" { enable_key_rotation = var.rotate }
            output "arn" { value = aws_kms_key.k.arn }
        ''',
    })
    p = hcl.load_dir(str(tmp_path))
    assert p.by_address()["aws_db_instance.d"].refs("kms_key_id") == ['module.keys["db"].aws_kms_key.k']
    v = verdicts(p)
    assert v[("ENC-05", 'module.keys["db"].aws_kms_key.k')] == "pass"
    assert v[("ENC-05", 'module.keys["logs"].aws_kms_key.k')] == "fail"
    assert v[("ENC-01", "aws_db_instance.d")] == "pass"


def test_bench_tree_has_the_promised_size_and_scans_cleanly(tmp_path):
    """bench/bench_hcl.py's generated tree: 500 resource instances, nothing left unevaluated."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_hcl", pathlib.Path(__file__).parent.parent / "bench/bench_hcl.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.generate(str(tmp_path), 500) == 500
    p = hcl.load_dir(str(tmp_path))
    assert len(p.resources) == 500
    v = verdicts(p)
    assert "unknown" not in set(v.values()) and "fail" in set(v.values()) and "pass" in set(v.values())


def test_source_waivers_can_be_switched_off(tmp_path, run_cli):
    import json as _json
    (tmp_path / "main.tf").write_text(
        'resource "aws_kms_key" "k" {\n'
        '  # specguard:waive ENC-05 until=2999-01-01 reason="rotation handled by an external HSM process"\n'
        '  enable_key_rotation = false\n'
        '}\n')
    on = _json.loads(run_cli("scan", tmp_path, "--format", "json").stdout)
    off = _json.loads(run_cli("scan", tmp_path, "--format", "json", "--no-source-waivers").stdout)
    status = lambda d: next(f["status"] for f in d["findings"] if f["control_id"] == "ENC-05")
    assert status(on) == "waived" and status(off) == "fail"
    assert any(c["kind"] == "source-waivers-ignored" for c in off["coverage"])


def test_no_source_waivers_does_not_read_a_malformed_comment(tmp_path, run_cli):
    """A gate that counts only reviewed waiver files must not be broken by a comment it ignores."""
    import json as _json
    (tmp_path / "main.tf").write_text(
        'resource "aws_kms_key" "k" {\n'
        '  # specguard:waive ENC-05 reason="no expiry given"\n'
        '  enable_key_rotation = false\n'
        '}\n')
    bad = run_cli("scan", tmp_path, "--format", "json")
    assert bad.returncode == 2 and "missing until" in bad.stderr
    r = run_cli("scan", tmp_path, "--format", "json", "--no-source-waivers")
    assert r.returncode == 1, r.stderr
    doc = _json.loads(r.stdout)
    assert [c["message"] for c in doc["coverage"] if c["kind"] == "source-waivers-ignored"] == \
        ["1 `# specguard:waive` comment(s) not read (--no-source-waivers)"]
    # the same through a plan whose sources hold the comment
    plan = Plan()
    plan.add("aws_kms_key", "k", {"enable_key_rotation": False})
    plan.write(tmp_path / "plan.json")
    assert run_cli("scan", tmp_path / "plan.json").returncode == 2
    r = run_cli("scan", tmp_path / "plan.json", "--format", "json", "--no-source-waivers")
    assert r.returncode == 1, r.stderr
    assert any(c["kind"] == "source-waivers-ignored" for c in _json.loads(r.stdout)["coverage"])
