"""A malformed value is an input error (plans) or unknown (.tf), never a pass, never a crash (issue 13).

Each case starts from a resource that fails its control, then makes one value malformed the way
the attack run did. A plan holds what Terraform converted and the provider validated, so the
mutant is an input error at the value's JSON path (exit 2, one line, nothing written); the same
value written in .tf is one Terraform would reject, so the finding is unknown (or still fail),
saying so. Values reach mappers only through TfResource.raw/get, where the check lives
(scanner/sources/terraform/value_check.py), so these cases stand for every mapper.
"""
from __future__ import annotations

import json
import math

import pytest

from conftest import write_tree
from planlib import Plan
from test_plan_fuzz import scan_in_process

SG_RULE = {"cidr_blocks": ["0.0.0.0/0"], "description": "", "from_port": 22, "to_port": 22, "protocol": "tcp",
           "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [], "self": False}
NSG_RULE = {"name": "ssh", "priority": 100, "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
            "source_port_range": "*", "destination_port_range": "22", "source_address_prefix": "*",
            "destination_address_prefix": "*", "source_port_ranges": [], "destination_port_ranges": [],
            "source_address_prefixes": [], "destination_address_prefixes": [], "description": "",
            "source_application_security_group_ids": [], "destination_application_security_group_ids": []}


def security_group(rule=None, ingress=None) -> Plan:
    p = Plan()
    p.add("aws_security_group", "web", {"name": "web", "vpc_id": "vpc-1", "egress": [], "tags": {"Tier": "app"},
                                         "ingress": [rule or SG_RULE] if ingress is None else ingress})
    return p


def nsg(**over) -> Plan:
    p = Plan()
    p.add("azurerm_network_security_group", "app", {"name": "app", "resource_group_name": "rg", "location": "x",
                                                    "tags": {"Tier": "app"}, "security_rule": [dict(NSG_RULE, **over)]},
          provider_key="azurerm")
    return p


def listener(protocol) -> Plan:
    p = Plan()
    p.add("aws_lb_listener", "http", {"load_balancer_arn": "arn:aws:elasticloadbalancing:x", "port": 80,
                                      "protocol": protocol, "default_action": [
                                          {"type": "forward", "target_group_arn": "arn:tg", "redirect": []}]})
    return p


def database(retention) -> Plan:
    p = Plan()
    p.add("aws_db_instance", "db", {"engine": "postgres", "storage_encrypted": True, "multi_az": True,
                                    "backup_retention_period": retention})
    return p


def cache(limit) -> Plan:
    p = Plan()
    p.add("aws_elasticache_replication_group", "c", {"replication_group_id": "c", "description": "c",
                                                     "at_rest_encryption_enabled": True,
                                                     "snapshot_retention_limit": limit})
    return p


def postgres(key) -> Plan:
    p = Plan()
    p.add("azurerm_postgresql_flexible_server", "pg", {"name": "pg", "resource_group_name": "rg", "location": "x",
                                                       "customer_managed_key": [{"key_vault_key_id": key}]},
          provider_key="azurerm")
    return p


VALUES = "$.planned_values.root_module.resources[0].values"

# (case, control, the plan with a failing (or not passing) baseline, the malformed plan, JSON path, message)
PLAN_CASES = [
    ("cidr list of lists", "NET-02", security_group(), security_group(dict(SG_RULE, cidr_blocks=[["0.0.0.0/0"]])),
     ".ingress[0].cidr_blocks[0]", "expected a string, found a list"),
    ("cidr object", "NET-02", security_group(), security_group(dict(SG_RULE, cidr_blocks={"0": "0.0.0.0/0"})),
     ".ingress[0].cidr_blocks", "expected a list, found an object"),
    ("ingress object", "NET-02", security_group(), security_group(ingress=dict(SG_RULE)),
     ".ingress", "expected a set, found an object"),
    ("ingress JSON string", "NET-02", security_group(), security_group(ingress=json.dumps([SG_RULE])),
     ".ingress", "expected a set, found a string"),
    ("NSG prefix number", "NET-02", nsg(), nsg(source_address_prefix=0),
     ".security_rule[0].source_address_prefix", "expected a string, found a number"),
    ("NSG direction padded", "NET-02", nsg(), nsg(direction="Inbound "),
     ".security_rule[0].direction", '"Inbound " is not a value the provider accepts'),
    ("retention string inf", "BAK-01", database(1), database("inf"),
     ".backup_retention_period", "expected a number, found a string"),
    ("retention huge int", "BAK-01", database(1), database(10 ** 400),
     ".backup_retention_period", "expected a number, found a number too large to use"),
    ("CMK without key", "ENC-01", postgres(None), postgres(None),
     ".customer_managed_key[0].key_vault_key_id", "key_vault_key_id is required, found null"),
    ("listener protocol list", "TLS-01", listener("HTTP"), listener(["HTTP"]),
     ".protocol", "expected a string, found a list"),
    ("listener protocol padded", "TLS-01", listener("HTTP"), listener("HTTP "),
     ".protocol", '"HTTP " is not a value the provider accepts'),
]


def _one_line_error(tmp_path, text: str) -> str:
    plan = tmp_path / "plan.json"
    plan.write_text(text)
    out = tmp_path / "out.json"
    rc, err = scan_in_process(plan, out)
    lines = [line for line in err.splitlines() if line.strip()]
    assert rc == 2 and len(lines) == 1, (rc, err)
    assert not out.exists(), "an input error writes nothing"
    prefix = f"specguard: error: {plan}:"
    assert lines[0].startswith(prefix), lines
    return lines[0][len(prefix):]


@pytest.mark.parametrize("case,control,base,bad,where,message", PLAN_CASES, ids=[c[0] for c in PLAN_CASES])
def test_a_malformed_plan_value_is_an_input_error_at_its_path(tmp_path, case, control, base, bad, where, message):
    if case != "CMK without key":
        # the baseline does not pass: the malformed value could only have hidden a finding
        statuses = set(base.verdicts(control).values())
        assert statuses and "pass" not in statuses, statuses
    line = _one_line_error(tmp_path, bad.json())
    assert line.startswith(f"{VALUES}{where}: malformed plan: {message}"), line


def _with(plan: Plan, placeholder: str, token: str) -> str:
    return plan.json().replace(json.dumps(placeholder), token)


@pytest.mark.parametrize("token", ["Infinity", "-Infinity", "NaN", "1e999", "-1e999"])
def test_non_finite_numbers_are_not_numbers(tmp_path, token):
    line = _one_line_error(tmp_path, _with(database("X"), "X", token))
    assert line == f"{VALUES}.backup_retention_period: not valid JSON: {token} is not a finite number", line
    line = _one_line_error(tmp_path, _with(cache("X"), "X", token))
    assert line == f"{VALUES}.snapshot_retention_limit: not valid JSON: {token} is not a finite number", line
    # a port of +-Infinity crashed the rule's range arithmetic (exit 3)
    line = _one_line_error(tmp_path, _with(security_group(dict(SG_RULE, from_port="X")), "X", token))
    assert line == f"{VALUES}.ingress[0].from_port: not valid JSON: {token} is not a finite number", line


def test_json_python_reads_but_no_output_can_hold_is_an_input_error(tmp_path):
    # a lone surrogate: a str no report can encode (exit 3 before)
    line = _one_line_error(tmp_path, _with(database(1), "rds", '"\\ud800"').replace('"name": "db"', '"name": "\\ud800"'))
    assert "unpaired surrogate escape (\\ud800)" in line, line
    # an integer of more than 4,300 digits: ValueError in json.loads (exit 3 before)
    line = _one_line_error(tmp_path, _with(database("X"), "X", "9" * 5000))
    assert line.startswith("1:") and "more than 4300 digits" in line, line
    # nesting deeper than Python's recursion limit: RecursionError (exit 3 before)
    line = _one_line_error(tmp_path, _with(database("X"), "X", "[" * 100_000 + "]" * 100_000))
    assert "nested more than" in line, line
    # a surrogate pair is a character, and an escaped backslash before "ud800" is text
    plan = database(1)
    plan.doc["planned_values"]["root_module"]["resources"][0]["values"]["identifier"] = "\U0001F600 \\ud800"
    p = tmp_path / "ok.json"
    p.write_text(plan.json())
    rc, err = scan_in_process(p, tmp_path / "out.json")
    assert rc in (0, 1), err


# ----------------------------------------------------------------------------- .tf
SG_TF = """
resource "aws_security_group" "web" {
  name = "web"
  tags = { Tier = "app" }
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = CIDRS
  }
}
"""
SG_ATTR_TF = """
resource "aws_security_group" "web" {
  name    = "web"
  tags    = { Tier = "app" }
  ingress = INGRESS
}
"""
NSG_TF = """
resource "azurerm_network_security_group" "app" {
  name                = "app"
  resource_group_name = "rg"
  location            = "x"
  tags                = { Tier = "app" }
  security_rule {
    name                       = "ssh"
    priority                   = 100
    direction                  = DIRECTION
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "22"
    source_address_prefix      = "*"
    destination_address_prefix = "*"
  }
}
"""
LB_TF = """
resource "aws_lb_listener" "http" {
  load_balancer_arn = "arn:aws:elasticloadbalancing:x"
  port              = 80
  protocol          = PROTOCOL
  default_action {
    type             = "forward"
    target_group_arn = "arn:tg"
  }
}
"""
DB_TF = """
resource "aws_db_instance" "db" {
  engine                  = "postgres"
  storage_encrypted       = true
  multi_az                = true
  backup_retention_period = RETENTION
}
"""
CACHE_TF = """
resource "aws_elasticache_replication_group" "c" {
  replication_group_id       = "c"
  description                = "c"
  at_rest_encryption_enabled = true
  snapshot_retention_limit   = LIMIT
}
"""
PG_TF = """
resource "azurerm_postgresql_flexible_server" "pg" {
  name                = "pg"
  resource_group_name = "rg"
  location            = "x"
  customer_managed_key {
    key_vault_key_id = KEY
  }
}
"""

# (case, control, template, placeholder, a good value, the malformed value)
TF_CASES = [
    ("cidr list of lists", "NET-02", SG_TF, "CIDRS", '["0.0.0.0/0"]', '[["0.0.0.0/0"]]'),
    ("cidr object", "NET-02", SG_TF, "CIDRS", '["0.0.0.0/0"]', '{"0" = "0.0.0.0/0"}'),
    ("ingress object", "NET-02", SG_ATTR_TF, "INGRESS",
     '[{from_port = 22, to_port = 22, protocol = "tcp", cidr_blocks = ["0.0.0.0/0"], description = "", '
     'ipv6_cidr_blocks = [], prefix_list_ids = [], security_groups = [], self = false}]',
     '{from_port = 22, to_port = 22, protocol = "tcp", cidr_blocks = ["0.0.0.0/0"]}'),
    ("ingress JSON string", "NET-02", SG_ATTR_TF, "INGRESS",
     '[{from_port = 22, to_port = 22, protocol = "tcp", cidr_blocks = ["0.0.0.0/0"], description = "", '
     'ipv6_cidr_blocks = [], prefix_list_ids = [], security_groups = [], self = false}]',
     'jsonencode([{from_port = 22, to_port = 22, protocol = "tcp", cidr_blocks = ["0.0.0.0/0"]}])'),
    ("NSG direction padded", "NET-02", NSG_TF, "DIRECTION", '"Inbound"', '"Inbound "'),
    ("retention 1e999", "BAK-01", DB_TF, "RETENTION", "1", "1e999"),
    ("retention string inf", "BAK-01", DB_TF, "RETENTION", "1", '"inf"'),
    ("snapshot limit 1e999", "BAK-03", CACHE_TF, "LIMIT", "0", "1e999"),
    ("CMK without key", "ENC-01", PG_TF, "KEY", None, "null"),
    ("listener protocol list", "TLS-01", LB_TF, "PROTOCOL", '"HTTP"', '["HTTP"]'),
    ("listener protocol padded", "TLS-01", LB_TF, "PROTOCOL", '"HTTP"', '"HTTP "'),
]


def _tf_findings(tmp_path, name, text, control):
    from test_hcl import findings
    from scanner.sources.terraform import hcl
    root = write_tree(tmp_path / name, {"main.tf": text})
    return findings(hcl.load_dir(str(root)), control)


@pytest.mark.parametrize("case,control,template,placeholder,good,bad", TF_CASES, ids=[c[0] for c in TF_CASES])
def test_a_malformed_tf_value_is_unknown_never_a_pass(tmp_path, case, control, template, placeholder, good, bad):
    if good is not None:
        base = _tf_findings(tmp_path, "good", template.replace(placeholder, good), control)
        assert base and all(f.status == "fail" for f in base.values()), {a: f.message for a, f in base.items()}
    found = _tf_findings(tmp_path, "bad", template.replace(placeholder, bad), control)
    assert found, "the finding vanished"
    for f in found.values():
        assert f.status in ("unknown", "fail"), (f.status, f.message)
        if f.status == "unknown":
            assert "rejected by Terraform" in f.message, f.message


def test_tf_values_convert_as_terraform_converts(tmp_path):
    # "30" where a number is expected is 30 (Terraform converts it), not an unknown
    found = _tf_findings(tmp_path, "conv", DB_TF.replace("RETENTION", '"30"'), "BAK-01")
    (f,) = found.values()
    assert f.status == "fail" and "30 days" in f.message, f.message
    found = _tf_findings(tmp_path, "conv2", DB_TF.replace("RETENTION", '"40"'), "BAK-01")
    (f,) = found.values()
    assert f.status == "pass", f.message


def test_unit_conversions():
    from scanner.sources.terraform.value_check import Rejected, convert
    assert convert("5", "number", ("a",)) == 5
    assert convert("1.5e1", "number", ("a",)) == 15
    assert convert(5, "string", ("a",)) == "5"
    assert convert(True, "string", ("a",)) == "true"
    assert convert("false", "bool", ("a",)) is False
    assert convert(["a", 1], ["list", "string"], ("a",)) == ["a", "1"]
    for v, t in (("inf", "number"), ("NaN", "number"), (math.inf, "number"), (math.nan, "string"),
                 ("yes", "bool"), ({"a": 1}, ["list", "string"]), ([1], "string"), ("1e999", "number")):
        got = convert(v, t, ("x",))
        assert isinstance(got, Rejected), (v, t, got)


# ----------------------------------------------------------------------------- strict JSON out
def _strict(text: str):
    def refuse(token):
        raise AssertionError(f"{token} written into strict JSON")
    return json.loads(text, parse_constant=refuse)


def test_non_finite_values_never_reach_results_or_sarif(tmp_path):
    from scanner.engine import Finding
    from scanner.model import Resource
    from scanner.profile import spec_profile
    from scanner.render import sarif
    from scanner.render.json_out import render as render_json
    from scanner.results import Run, build_document, dumps

    prof = spec_profile()
    r = Resource("database", "aws_db_instance", "aws_db_instance.db", "aws", "aws")
    f = Finding("BAK-01", "fail", "high", r, "kept inf days",
                {"backup_retention_period": math.inf, "x": [math.nan, {"y": -math.inf}]})
    run = Run()
    run.add_coverage("api-error", "m", retries=math.nan)
    doc = build_document([f], prof, run)
    for text in (render_json(doc).decode(), sarif.render(doc), dumps(doc)):
        _strict(text)
    assert doc["findings"][0]["evidence"] == {"backup_retention_period": "Infinity", "x": ["NaN", {"y": "-Infinity"}]}
    with pytest.raises(ValueError):
        dumps({"a": math.inf})


def test_configuration_blocks_of_a_plan_are_checked_too():
    # When a set of blocks is known only after apply, the mapper reads them from the plan's
    # configuration: constant values as written there, converted and checked like .tf values.
    def plan(cidrs):
        p = Plan()
        p.add("aws_security_group", "web", {"name": "web", "vpc_id": "vpc-1", "tags": {"Tier": "app"}, "egress": []},
              unknown={"ingress": True},
              expressions={"ingress": [{"from_port": {"constant_value": 22}, "to_port": {"constant_value": "22"},
                                        "protocol": {"constant_value": "tcp"},
                                        "cidr_blocks": {"constant_value": cidrs}}]})
        return p
    (good,) = plan(["0.0.0.0/0"]).findings("NET-02")
    assert good.status == "fail", good.message   # "22" converts to 22 as Terraform converts it
    for cidrs in ([["0.0.0.0/0"]], {"0": "0.0.0.0/0"}, "0.0.0.0/0,10.0.0.0/8"):
        (f,) = plan(cidrs).findings("NET-02")
        assert f.status in ("unknown", "fail"), (cidrs, f.message)
        assert "rejected by Terraform (ingress[0].cidr_blocks" in f.message, f.message


def test_a_malformed_value_under_after_unknown_is_still_judged(tmp_path):
    # after_unknown describes the planned value's shape: where a mutant changed the value's shape
    # the overlay once replaced the value with a list of nulls (no rules: NET passed)
    for bad in ({"0": [SG_RULE]}, json.dumps([SG_RULE])):
        p = security_group(ingress=bad)
        p.doc["resource_changes"][0]["change"]["after_unknown"] = {
            "ingress": [{"cidr_blocks": [False], "security_groups": []}]}
        line = _one_line_error(tmp_path, p.json())
        assert line.startswith(f"{VALUES}.ingress: malformed plan: expected a set, found "), line


@pytest.mark.parametrize("token,message", [
    ("1e999", "1e999 is not a finite number"), ("NaN", "NaN is not a finite number"),
    ("9" * 5000, "a number of more than 4300 digits"), ('"\\ud800"', "an unpaired surrogate escape (\\ud800)"),
])
def test_tf_json_files_are_strict_json(tmp_path, token, message):
    # .tf.json and .tfvars.json are read by the same strict parser as plans (exit 3 or NaN before)
    from scanner.errors import InputError
    from scanner.sources.terraform import hcl
    (tmp_path / "main.tf.json").write_text(
        '{"resource": {"aws_db_instance": {"d": {"engine": "postgres", "backup_retention_period": %s}}}}' % token)
    with pytest.raises(InputError) as e:
        hcl.load_dir(str(tmp_path))
    assert "main.tf.json:" in e.value.message and message in e.value.message, e.value.message


def test_data_sources_are_not_held_to_resource_schemas():
    # data "aws_kms_key" shares its type name with the resource but not its attributes
    p = Plan()
    p.add("aws_kms_key", "shared", {"id": "k", "arn": "arn:aws:kms:x", "key_manager": "CUSTOMER",
                                    "enable_key_rotation": ["not", "a", "bool"]}, mode="data")
    p.add("aws_db_instance", "db", {"engine": "postgres", "storage_encrypted": True, "backup_retention_period": 35},
          unknown={"kms_key_id": True}, refs={"kms_key_id": ["data.aws_kms_key.shared.arn", "data.aws_kms_key.shared"]})
    assert p.verdicts("ENC-01") == {"aws_db_instance.db": "pass"}
    data = p.project().by_address()["data.aws_kms_key.shared"]
    assert data.raw("enable_key_rotation") == ["not", "a", "bool"]   # read as given, not judged


@pytest.mark.parametrize("field,value,message", [
    ("type", "aws_s3_bucket", 'does not name the managed resource "aws_s3_bucket"'),
    ("mode", "data", 'does not name the data resource "aws_security_group"'),
    ("name", "other", 'does not name the managed resource "aws_security_group"."other"'),
])
def test_an_entry_that_contradicts_its_address_is_malformed(tmp_path, field, value, message):
    # a mutant type or mode maps a failing group as another kind (or as a data source): its
    # findings would vanish
    p = security_group()
    p.doc["planned_values"]["root_module"]["resources"][0][field] = value
    line = _one_line_error(tmp_path, p.json())
    assert line.startswith("$.planned_values.root_module.resources[0]: malformed plan: address "
                           '"aws_security_group.web" ' + message), line


def test_a_planned_resource_whose_change_deletes_it_is_malformed(tmp_path):
    p = security_group()
    p.doc["resource_changes"][0]["change"]["actions"] = ["delete"]
    line = _one_line_error(tmp_path, p.json())
    assert line == ("$.planned_values.root_module.resources[0]: malformed plan: aws_security_group.web is in "
                    "planned_values but its change deletes it"), line
