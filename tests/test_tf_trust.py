"""Issue 12, classes 1, 2 and 10: only what the source establishes can pass.

- Conditionals: only the branch Terraform takes counts; with an unknown condition each branch's
  references are possible, never enough for a pass.
- Existence: a resource whose count/for_each cannot be evaluated may not exist: its own findings
  are unknown, and no join through it gives a pass. count = 0 is no resource at all.
- Joins follow the reference written in configuration, not a look-alike literal value.
"""
import pytest

from conftest import write_tree

from scanner.errors import InputError
from scanner.results import Run
from scanner.sources.terraform import hcl

from test_hcl import findings, verdicts

DB = '''
resource "aws_db_instance" "db" {
  identifier                = "db"
  engine                    = "postgres"
  storage_encrypted         = true
  kms_key_id                = %s
  backup_retention_period   = 35
  multi_az                  = true
  tags = { Environment = "prod", Project = "p", CostCenter = "c", Owner = "o" }
}
resource "aws_kms_key" "k" {
  enable_key_rotation = true
  tags = { Environment = "prod", Project = "p", CostCenter = "c", Owner = "o" }
}
'''


def scan(tmp_path, files, **kw):
    write_tree(tmp_path, files)
    return hcl.load_dir(str(tmp_path), run=Run(), **kw)


# ----------------------------------------------------------------------------- conditionals
@pytest.mark.parametrize("cmk, want", [("false", "fail"), ("true", "pass")])
def test_untaken_branch_reference_does_not_count(tmp_path, cmk, want):
    p = scan(tmp_path, {"main.tf": 'variable "cmk" {\n  default = %s\n}\n' % cmk
                        + DB % "var.cmk ? aws_kms_key.k.arn : null"})
    assert verdicts(p, "ENC-01")[("ENC-01", "aws_db_instance.db")] == want


def test_unknown_condition_makes_both_branches_possible_never_a_pass(tmp_path):
    p = scan(tmp_path, {"main.tf": 'data "aws_caller_identity" "me" {}\n'
                        + DB % 'data.aws_caller_identity.me.account_id == "1" ? aws_kms_key.k.arn : null'})
    f = findings(p, "ENC-01")["aws_db_instance.db"]
    assert f.status == "unknown", f.message
    assert "condition" in f.message and "not known" in f.message


def test_split_resource_configures_only_the_bucket_of_the_taken_branch(tmp_path):
    tags = '  tags = { Environment = "prod", Project = "p", CostCenter = "c", Owner = "o" }\n'
    p = scan(tmp_path, {"main.tf": f'''
variable "use_a" {{
  default = true
}}
resource "aws_s3_bucket" "a" {{
  bucket = "a"
{tags}}}
resource "aws_s3_bucket" "b" {{
  bucket = "b"
{tags}}}
resource "aws_s3_bucket_server_side_encryption_configuration" "sse" {{
  bucket = var.use_a ? aws_s3_bucket.a.id : aws_s3_bucket.b.id
  rule {{
    apply_server_side_encryption_by_default {{
      sse_algorithm = "aws:kms"
    }}
  }}
}}
'''})
    v = verdicts(p, "ENC-02")
    assert v[("ENC-02", "aws_s3_bucket.a")] == "pass"
    assert v[("ENC-02", "aws_s3_bucket.b")] == "fail"


def test_split_resource_behind_an_unknown_condition_is_unknown_for_both(tmp_path):
    tags = '  tags = { Environment = "prod", Project = "p", CostCenter = "c", Owner = "o" }\n'
    p = scan(tmp_path, {"main.tf": f'''
data "aws_region" "here" {{}}
resource "aws_s3_bucket" "a" {{
  bucket = "a"
{tags}}}
resource "aws_s3_bucket" "b" {{
  bucket = "b"
{tags}}}
resource "aws_s3_bucket_versioning" "v" {{
  bucket = data.aws_region.here.name == "eu-west-1" ? aws_s3_bucket.a.id : aws_s3_bucket.b.id
  versioning_configuration {{
    status = "Enabled"
  }}
}}
'''})
    f = findings(p, "BAK-03")
    assert f["aws_s3_bucket.a"].status == "unknown", f["aws_s3_bucket.a"].message
    assert f["aws_s3_bucket.b"].status == "unknown"
    assert "may configure it" in f["aws_s3_bucket.a"].message


# ----------------------------------------------------------------------------- existence
def test_resource_with_unknown_count_has_unknown_findings_and_says_why(tmp_path):
    p = scan(tmp_path, {"main.tf": '''
data "aws_availability_zones" "az" {}
resource "aws_ebs_volume" "v" {
  count             = length(data.aws_availability_zones.az.names)
  availability_zone = "eu-west-1a"
  size              = 10
  encrypted         = true
}
'''})
    f = findings(p, "ENC-03")["aws_ebs_volume.v"]
    assert f.status == "unknown"
    assert "whether aws_ebs_volume.v is created is not known" in f.message
    assert "data.aws_availability_zones.az" in f.message


def test_split_resource_that_may_not_exist_does_not_make_its_bucket_pass(tmp_path):
    tags = '  tags = { Environment = "prod", Project = "p", CostCenter = "c", Owner = "o" }\n'
    p = scan(tmp_path, {"main.tf": f'''
data "aws_caller_identity" "me" {{}}
resource "aws_s3_bucket" "a" {{
  bucket = "a"
{tags}}}
resource "aws_s3_bucket_server_side_encryption_configuration" "sse" {{
  count  = data.aws_caller_identity.me.account_id == "1" ? 1 : 0
  bucket = aws_s3_bucket.a.id
  rule {{
    apply_server_side_encryption_by_default {{
      sse_algorithm = "aws:kms"
    }}
  }}
}}
'''})
    f = findings(p, "ENC-02")["aws_s3_bucket.a"]
    assert f.status == "unknown", f.message
    assert "whether aws_s3_bucket_server_side_encryption_configuration.sse is created" in f.message


def test_aurora_reader_that_may_not_exist_does_not_make_the_cluster_pass(tmp_path):
    tags = '  tags = { Environment = "prod", Project = "p", CostCenter = "c", Owner = "o" }\n'
    p = scan(tmp_path, {"main.tf": f'''
data "aws_ssm_parameter" "readers" {{
  name = "readers"
}}
resource "aws_rds_cluster" "c" {{
  cluster_identifier = "c"
  engine             = "aurora-postgresql"
{tags}}}
resource "aws_rds_cluster_instance" "writer" {{
  cluster_identifier = aws_rds_cluster.c.id
  instance_class     = "db.r6g.large"
  engine             = "aurora-postgresql"
{tags}}}
resource "aws_rds_cluster_instance" "reader" {{
  count              = tonumber(data.aws_ssm_parameter.readers.value)
  cluster_identifier = aws_rds_cluster.c.id
  instance_class     = "db.r6g.large"
  engine             = "aurora-postgresql"
{tags}}}
'''})
    f = findings(p, "HA-01")["aws_rds_cluster.c"]
    assert f.status == "unknown", f.message


@pytest.mark.parametrize("count", ["0", "var.n - 2", "var.on ? 1 : 0", "length([])"])
def test_count_zero_however_computed_is_no_resource(tmp_path, count):
    tags = '  tags = { Environment = "prod", Project = "p", CostCenter = "c", Owner = "o" }\n'
    p = scan(tmp_path, {"main.tf": f'''
variable "n" {{
  default = 2
}}
variable "on" {{
  default = false
}}
resource "aws_s3_bucket" "a" {{
  bucket = "a"
{tags}}}
resource "aws_s3_bucket_server_side_encryption_configuration" "sse" {{
  count  = {count}
  bucket = aws_s3_bucket.a.id
  rule {{
    apply_server_side_encryption_by_default {{
      sse_algorithm = "aws:kms"
    }}
  }}
}}
'''})
    assert not [r for r in p.resources if "sse" in r.address]
    assert verdicts(p, "ENC-02")[("ENC-02", "aws_s3_bucket.a")] == "fail"


def test_module_with_unknown_count_makes_its_resources_possible(tmp_path):
    p = scan(tmp_path, {
        "main.tf": 'data "aws_caller_identity" "me" {}\nmodule "m" {\n  source = "./m"\n'
                   '  count  = data.aws_caller_identity.me.account_id == "1" ? 1 : 0\n}\n',
        "m/main.tf": 'resource "aws_ebs_volume" "v" {\n  availability_zone = "a"\n  size = 1\n  encrypted = true\n}\n'})
    f = findings(p, "ENC-03")
    (addr,) = f
    assert f[addr].status == "unknown" and "module.m" in f[addr].message


def test_count_over_the_limit_is_an_input_error_naming_the_place(tmp_path):
    with pytest.raises(InputError) as e:
        scan(tmp_path, {"main.tf": '\nresource "aws_sqs_queue" "q" {\n  count = 1000000000\n}\n'})
    assert e.value.message.endswith("main.tf:3: count = 1000000000: 1000000000 instances; specguard evaluates "
                                    "at most 10000 per resource or module call"), e.value.message
    assert "\n" not in e.value.message


# ----------------------------------------------------------------------------- joins by reference
def test_split_configuration_joins_the_bucket_it_references_not_a_namesake(tmp_path):
    tags = '  tags = { Environment = "prod", Project = "p", CostCenter = "c", Owner = "o" }\n'
    p = scan(tmp_path, {
        "main.tf": f'''
resource "aws_s3_bucket" "logs" {{
  bucket = "shared-name"
{tags}}}
resource "aws_s3_bucket_server_side_encryption_configuration" "sse" {{
  bucket = aws_s3_bucket.logs.bucket
  rule {{
    apply_server_side_encryption_by_default {{
      sse_algorithm = "AES256"
    }}
  }}
}}
module "other" {{
  source = "./other"
}}
''',
        "other/main.tf": f'resource "aws_s3_bucket" "b" {{\n  bucket = "shared-name"\n{tags}}}\n'})
    v = verdicts(p, "ENC-02")
    assert v[("ENC-02", "aws_s3_bucket.logs")] == "pass"
    assert v[("ENC-02", "module.other.aws_s3_bucket.b")] == "fail"


def test_literal_name_shared_by_two_buckets_is_unknown_for_both(tmp_path):
    tags = '  tags = { Environment = "prod", Project = "p", CostCenter = "c", Owner = "o" }\n'
    p = scan(tmp_path, {"main.tf": f'''
resource "aws_s3_bucket" "a" {{
  bucket = "same"
{tags}}}
resource "aws_s3_bucket" "b" {{
  bucket = "same"
{tags}}}
resource "aws_s3_bucket_versioning" "v" {{
  bucket = "same"
  versioning_configuration {{
    status = "Enabled"
  }}
}}
'''})
    f = findings(p, "BAK-03")
    assert f["aws_s3_bucket.a"].status == "unknown" and f["aws_s3_bucket.b"].status == "unknown"
    assert "2 resources of type aws_s3_bucket share" in f["aws_s3_bucket.a"].message


# ----------------------------------------------------------------------------- known beats unknown
def group_with_cidrs(known_cidr: str) -> str:
    """An untiered group whose one ingress rule names a known CIDR and one read from a data source."""
    return f'''
data "aws_ip_ranges" "x" {{
  services = ["ec2"]
}}
resource "aws_security_group" "g" {{
  name = "g"
  ingress {{
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["{known_cidr}", data.aws_ip_ranges.x.cidr_blocks[0]]
  }}
}}
'''


@pytest.mark.parametrize("known_cidr, want", [("0.0.0.0/0", "fail"), ("10.0.0.0/8", "unknown")])
def test_a_known_internet_cidr_decides_beside_an_unknown_one(tmp_path, known_cidr, want):
    p = scan(tmp_path, {"main.tf": group_with_cidrs(known_cidr)})
    f = findings(p, "NET-04")["aws_security_group.g"]
    assert f.status == want, f.message


def test_internet_cidr_beside_an_unknown_one_fails_in_a_plan():
    from planlib import Plan
    plan = Plan()
    plan.add("aws_security_group_rule", "r", {"type": "ingress", "from_port": 22, "to_port": 22, "protocol": "tcp",
                                             "cidr_blocks": ["0.0.0.0/0", None], "security_group_id": None},
             unknown={"cidr_blocks": [False, True], "security_group_id": True},
             refs={"security_group_id": ["aws_security_group.g.id", "aws_security_group.g"]})
    plan.add("aws_security_group", "g", {"name": "g", "tags": {}, "egress": []}, unknown={"id": True})
    got = {f.resource.address: f for f in plan.findings("NET-04")}
    assert got["aws_security_group.g"].status == "fail", got["aws_security_group.g"].message


@pytest.mark.parametrize("expr, want", [
    ('{a = data.aws_region.r.name} != null', True),
    ('{a = data.aws_region.r.name} == null', False),
    ('[1, data.aws_region.r.name] == [2, data.aws_region.r.name]', False),
    ('[data.aws_region.r.name] == [1, 2]', False),
    ('false && data.aws_region.r.name == "x"', False),
    ('true || data.aws_region.r.name == "x"', True),
])
def test_decided_comparisons_are_known(tmp_path, expr, want):
    p = scan(tmp_path, {"main.tf": f'data "aws_region" "r" {{}}\nlocals {{\n  x = {expr}\n}}\n'
                                   'resource "aws_sqs_queue" "q" {\n  name = tostring(local.x)\n}\n'})
    assert p.by_address()["aws_sqs_queue.q"].values["name"] == ("true" if want else "false")


def test_undecided_comparison_is_unknown(tmp_path):
    p = scan(tmp_path, {"main.tf": 'data "aws_region" "r" {}\n'
                                   'resource "aws_sqs_queue" "q" {\n  name = tostring([1, data.aws_region.r.name] == [1, "x"])\n}\n'})
    from scanner.values import Unknown
    assert isinstance(p.by_address()["aws_sqs_queue.q"].values["name"], Unknown)


def test_kms_key_written_but_unknown_is_not_assumed_set(tmp_path):
    p = scan(tmp_path, {"main.tf": 'variable "key" {\n  type = string\n}\n'
                                   'resource "aws_sns_topic" "t" {\n  name = "t"\n  kms_master_key_id = var.key\n'
                                   '  tags = { Environment = "prod", Project = "p", CostCenter = "c", Owner = "o" }\n}\n'})
    f = findings(p, "ENC-04")["aws_sns_topic.t"]
    assert f.status == "unknown", f.message


def test_plan_split_resource_referencing_two_buckets_configures_neither_for_certain():
    # `bucket = var.c ? aws_s3_bucket.a.id : aws_s3_bucket.b.id`: the plan records both references
    from planlib import Plan
    plan = Plan()
    tags = {"Environment": "prod", "Project": "p", "CostCenter": "c", "Owner": "o"}
    for n in ("a", "b"):
        plan.add("aws_s3_bucket", n, {"bucket": n, "tags": tags}, unknown={"id": True, "arn": True})
    plan.add("aws_s3_bucket_versioning", "v",
             {"bucket": None, "versioning_configuration": [{"status": "Enabled"}]}, unknown={"bucket": True},
             refs={"bucket": ["var.c", "aws_s3_bucket.a.id", "aws_s3_bucket.a", "aws_s3_bucket.b.id",
                              "aws_s3_bucket.b"]})
    got = {f.resource.address: f for f in plan.findings("BAK-03")}
    assert got["aws_s3_bucket.a"].status == "unknown", got["aws_s3_bucket.a"].message
    assert got["aws_s3_bucket.b"].status == "unknown"
    assert "names one of aws_s3_bucket.a, aws_s3_bucket.b" in got["aws_s3_bucket.a"].message


@pytest.mark.parametrize("src", ["x[*].b[*].c", "x.*.b.*.c"])
def test_splat_after_splat_is_read(src):
    # terraform-aws-eks: aws_eks_node_group.this[0].resources[*].autoscaling_groups[*].name
    from scanner.sources.terraform.hcl_eval import Scope, evaluate
    from scanner.sources.terraform.hcl_parse import parse_expression
    x = [{"b": [{"c": 1}, {"c": 2}]}, {"b": [{"c": 3}]}]
    assert evaluate(parse_expression(src), Scope(lambda n: x)) == [[1, 2], [3]]


def test_nested_for_expressions_are_bounded(tmp_path, monkeypatch):
    from scanner.sources.terraform import hcl_limits
    monkeypatch.setattr(hcl_limits, "MAX_STEPS", 20_000)   # the real limit takes seconds to reach
    big = "[" + ",".join(str(i) for i in range(300)) + "]"
    with pytest.raises(InputError) as e:
        scan(tmp_path, {"main.tf": f'locals {{\n  big = {big}\n  x = flatten([for a in local.big : '
                                   f'[for b in local.big : [for c in local.big : c]]])\n}}\n'
                                   'resource "aws_sqs_queue" "q" {\n  name = length(local.x)\n}\n'})
    assert "iterations of for expressions" in e.value.message
    assert "main.tf:3" in e.value.message


@pytest.mark.parametrize("src, want", [
    ("length(slice(u, 0, 3))", 3),                     # azs = slice(data.aws_availability_zones.x.names, 0, 3)
    ("lookup({}, u, {})", {}),                          # lookup(var.tags_per_az, element(var.azs, i), {})
    ('lookup({a = 1, b = 1}, u, 1)', 1),
])
def test_functions_decided_whatever_the_unknown_is(src, want):
    from scanner.sources.terraform.hcl_eval import Scope, evaluate
    from scanner.sources.terraform.hcl_parse import parse_expression
    from scanner.values import Unknown
    assert evaluate(parse_expression(src), Scope(lambda n: Unknown("read from a data source"))) == want


def test_lookup_with_an_unknown_key_and_different_results_is_unknown():
    from scanner.sources.terraform.hcl_eval import Scope, evaluate
    from scanner.sources.terraform.hcl_parse import parse_expression
    from scanner.values import Unknown
    got = evaluate(parse_expression('lookup({a = 1}, u, 2)'), Scope(lambda n: Unknown("x")))
    assert isinstance(got, Unknown)


def test_identity_values_of_any_shape_do_not_crash_the_joins(tmp_path):
    tags = '  tags = { Environment = "prod", Project = "p", CostCenter = "c", Owner = "o" }\n'
    p = scan(tmp_path, {"main.tf": f'''
resource "aws_s3_bucket" "a" {{
  bucket = ["not", "a", "string"]
{tags}}}
resource "aws_s3_bucket_versioning" "v" {{
  bucket = "x"
  versioning_configuration {{
    status = "Enabled"
  }}
}}
'''})
    assert findings(p, "BAK-03")["aws_s3_bucket.a"].status in ("fail", "unknown")


@pytest.mark.parametrize("expr, want", [
    ("data.aws_region.r.name == \"x\" ? 7 : 14", "fail"),      # below 35 either way
    ("data.aws_region.r.name == \"x\" ? 35 : 40", "pass"),     # at least 35 either way
    ("data.aws_region.r.name == \"x\" ? 7 : 40", "unknown"),   # the condition decides
    ("(data.aws_region.r.name == \"x\" ? 30 : 31) + 10", "unknown"),  # computed from it: no candidates
])
def test_a_conditional_between_known_values_is_decided_when_every_value_answers_alike(tmp_path, expr, want):
    p = scan(tmp_path, {"main.tf": 'data "aws_region" "r" {}\n' + DB.replace(
        "backup_retention_period   = 35", f"backup_retention_period   = {expr}") % "aws_kms_key.k.arn"})
    f = findings(p, "BAK-01")["aws_db_instance.db"]
    assert f.status == want, f.message


def test_mysql_flexible_server_key_block_without_a_key_is_not_customer_managed(tmp_path):
    p = scan(tmp_path, {"main.tf": '''
resource "azurerm_mysql_flexible_server" "m" {
  name                = "m"
  resource_group_name = "rg"
  location            = "westeurope"
  customer_managed_key {
    key_vault_key_id = null
  }
  tags = { Environment = "prod", Project = "p", CostCenter = "c", Owner = "o" }
}
'''})
    assert findings(p, "ENC-01")["azurerm_mysql_flexible_server.m"].status != "pass"
