"""WAF-01, LOG-01, LOG-02, NET-05 on .tf source and plans: joins by reference, defaults, unknowns.

Each case is a small configuration; the fixtures (tests/test_fixtures.py) cover the seeds' platform.
"""
import pytest

from conftest import write_tree
from planlib import Plan

from scanner.results import Run
from scanner.sources.terraform import hcl

from test_hcl import findings, verdicts

TAGS = 'tags = { Environment = "prod", Project = "p", CostCenter = "c", Owner = "o" }'


def scan(tmp_path, text):
    write_tree(tmp_path, {"main.tf": text})
    return hcl.load_dir(str(tmp_path), run=Run())


ALB = '''
resource "aws_lb" "web" {
  name     = "web"
  internal = %s
  %s
}
resource "aws_lb" "other" {
  name = "other"
}
resource "aws_wafv2_web_acl" "acl" {
  name  = "acl"
  scope = "REGIONAL"
}
'''


# ----------------------------------------------------------------------------- WAF-01
def test_alb_with_an_association_passes_and_one_without_fails(tmp_path):
    p = scan(tmp_path, ALB % ("false", "") + '''
resource "aws_wafv2_web_acl_association" "web" {
  resource_arn = aws_lb.web.arn
  web_acl_arn  = aws_wafv2_web_acl.acl.arn
}''')
    got = verdicts(p, "WAF-01")
    assert got == {("WAF-01", "aws_lb.web"): "pass", ("WAF-01", "aws_lb.other"): "fail"}


def test_internal_and_network_load_balancers_are_not_applicable(tmp_path):
    p = scan(tmp_path, ALB % ("true", "") + '''
resource "aws_lb" "nlb" {
  name               = "nlb"
  load_balancer_type = "network"
}''')
    assert verdicts(p, "WAF-01") == {("WAF-01", "aws_lb.other"): "fail"}


def test_internal_not_known_without_association_is_unknown(tmp_path):
    p = scan(tmp_path, 'data "aws_ssm_parameter" "internal" {\n  name = "x"\n}\n'
             + ALB % ("data.aws_ssm_parameter.internal.value == \"true\"", ""))
    f = findings(p, "WAF-01")["aws_lb.web"]
    assert f.status == "unknown" and "internet-facing is not known" in f.message


def test_association_through_an_unresolvable_target_is_unknown_never_pass(tmp_path):
    p = scan(tmp_path, ALB % ("false", "") + '''
data "aws_lb" "legacy" {
  name = "web"
}
resource "aws_wafv2_web_acl_association" "web" {
  resource_arn = data.aws_lb.legacy.arn
  web_acl_arn  = aws_wafv2_web_acl.acl.arn
}''')
    got = verdicts(p, "WAF-01")
    assert got == {("WAF-01", "aws_lb.web"): "unknown", ("WAF-01", "aws_lb.other"): "unknown"}


def test_association_of_another_resource_does_not_make_a_load_balancer_unknown(tmp_path):
    p = scan(tmp_path, ALB % ("false", "") + '''
resource "aws_api_gateway_stage" "prod" {
  rest_api_id   = "abc"
  deployment_id = "def"
  stage_name    = "prod"
}
data "aws_api_gateway_rest_api" "api" {
  name = "api"
}
resource "aws_wafv2_web_acl_association" "stage" {
  resource_arn = aws_api_gateway_stage.prod.arn
  web_acl_arn  = aws_wafv2_web_acl.acl.arn
}
resource "aws_wafv2_web_acl_association" "looked_up" {
  resource_arn = "arn:aws:apigateway:us-east-1::/restapis/${data.aws_api_gateway_rest_api.api.id}/stages/prod"
  web_acl_arn  = aws_wafv2_web_acl.acl.arn
}''')
    got = verdicts(p, "WAF-01")
    assert got[("WAF-01", "aws_lb.web")] == "fail" and got[("WAF-01", "aws_api_gateway_stage.prod")] == "pass"


def test_association_behind_an_unknown_condition_is_unknown(tmp_path):
    p = scan(tmp_path, 'data "aws_caller_identity" "me" {}\n' + ALB % ("false", "") + '''
resource "aws_wafv2_web_acl_association" "web" {
  resource_arn = data.aws_caller_identity.me.account_id == "1" ? aws_lb.web.arn : aws_lb.other.arn
  web_acl_arn  = aws_wafv2_web_acl.acl.arn
}''')
    got = verdicts(p, "WAF-01")
    assert got == {("WAF-01", "aws_lb.web"): "unknown", ("WAF-01", "aws_lb.other"): "unknown"}


def test_association_that_may_not_be_created_is_unknown(tmp_path):
    p = scan(tmp_path, 'data "aws_caller_identity" "me" {}\n' + ALB % ("false", "") + '''
resource "aws_wafv2_web_acl_association" "web" {
  count        = data.aws_caller_identity.me.account_id == "1" ? 1 : 0
  resource_arn = aws_lb.web.arn
  web_acl_arn  = aws_wafv2_web_acl.acl.arn
}''')
    got = verdicts(p, "WAF-01")
    assert got[("WAF-01", "aws_lb.web")] == "unknown" and got[("WAF-01", "aws_lb.other")] == "fail"


@pytest.mark.parametrize("acl, want", [('"arn:aws:wafv2:us-east-1:1:global/webacl/x/y"', "pass"),
                                       ("aws_wafv2_web_acl.acl.arn", "pass"), ("null", "fail"), (None, "fail"),
                                       ('var.on ? aws_wafv2_web_acl.acl.arn : null', "unknown")])
def test_cloudfront_web_acl_id(tmp_path, acl, want):
    text = ('variable "on" {\n  type = bool\n}\n' if acl and "var.on" in acl else "") + '''
resource "aws_wafv2_web_acl" "acl" {
  name  = "acl"
  scope = "CLOUDFRONT"
}
resource "aws_cloudfront_distribution" "cdn" {
  enabled = true
  %s
}''' % (f"web_acl_id = {acl}" if acl else "")
    p = scan(tmp_path, text)   # var.on has no value: not known
    assert verdicts(p, "WAF-01")[("WAF-01", "aws_cloudfront_distribution.cdn")] == want


APPGW = '''
resource "azurerm_application_gateway" "gw" {
  name                = "gw"
  resource_group_name = "rg"
  location            = "eastus2"
  sku {
    name = "%s"
    tier = "%s"
  }
  %s
}
'''
POLICY = '''
resource "azurerm_web_application_firewall_policy" "p" {
  name                = "p"
  resource_group_name = "rg"
  location            = "eastus2"
  %s
  managed_rules {
    managed_rule_set {
      version = "3.2"
    }
  }
}
'''


@pytest.mark.parametrize("tier, body, policy, want", [
    ("WAF_v2", "firewall_policy_id = azurerm_web_application_firewall_policy.p.id",
     'policy_settings {\n    mode = "Prevention"\n  }', "pass"),
    ("WAF_v2", "firewall_policy_id = azurerm_web_application_firewall_policy.p.id", "", "pass"),   # default Prevention
    ("WAF_v2", "firewall_policy_id = azurerm_web_application_firewall_policy.p.id",
     'policy_settings {\n    mode = "Detection"\n  }', "fail"),
    ("WAF_v2", "firewall_policy_id = azurerm_web_application_firewall_policy.p.id",
     'policy_settings {\n    enabled = false\n  }', "fail"),
    ("WAF_v2", 'firewall_policy_id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/'
               'ApplicationGatewayWebApplicationFirewallPolicies/shared"', "", "unknown"),
    ("WAF_v2", 'waf_configuration {\n    enabled = true\n    firewall_mode = "Prevention"\n    '
               'rule_set_version = "3.2"\n  }', "", "pass"),
    ("WAF_v2", 'waf_configuration {\n    enabled = true\n    firewall_mode = "Detection"\n    '
               'rule_set_version = "3.2"\n  }', "", "fail"),
    ("WAF_v2", "", "", "fail"),
    ("Standard_v2", "", "", "fail"),
])
def test_application_gateway_waf(tmp_path, tier, body, policy, want):
    p = scan(tmp_path, APPGW % (tier, tier, body) + POLICY % policy)
    assert verdicts(p, "WAF-01")[("WAF-01", "azurerm_application_gateway.gw")] == want


FRONTDOOR = '''
resource "azurerm_cdn_frontdoor_profile" "fd" {
  name                = "fd"
  resource_group_name = "rg"
  sku_name            = "Premium_AzureFrontDoor"
}
resource "azurerm_cdn_frontdoor_endpoint" "a" {
  name                     = "a"
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.fd.id
}
resource "azurerm_cdn_frontdoor_endpoint" "b" {
  name                     = "b"
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.fd.id
}
resource "azurerm_cdn_frontdoor_firewall_policy" "waf" {
  name                = "waf"
  resource_group_name = "rg"
  sku_name            = "Premium_AzureFrontDoor"
  mode                = "%s"
}
resource "azurerm_cdn_frontdoor_security_policy" "sp" {
  name                     = "sp"
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.fd.id
  security_policies {
    firewall {
      cdn_frontdoor_firewall_policy_id = azurerm_cdn_frontdoor_firewall_policy.waf.id
      association {
        domain {
          cdn_frontdoor_domain_id = azurerm_cdn_frontdoor_endpoint.a.id
        }
        patterns_to_match = ["/*"]
      }
    }
  }
}
'''


@pytest.mark.parametrize("mode, want_a", [("Prevention", "pass"), ("Detection", "fail")])
def test_front_door_endpoint_covered_by_a_security_policy(tmp_path, mode, want_a):
    got = verdicts(scan(tmp_path, FRONTDOOR % mode), "WAF-01")
    assert got == {("WAF-01", "azurerm_cdn_frontdoor_endpoint.a"): want_a,
                   ("WAF-01", "azurerm_cdn_frontdoor_endpoint.b"): "fail"}


# ----------------------------------------------------------------------------- LOG-01
VPC = '''
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
}
'''


@pytest.mark.parametrize("flow, want", [
    ('vpc_id = aws_vpc.main.id\n  traffic_type = "ALL"', "pass"),
    ('vpc_id = aws_vpc.main.id\n  traffic_type = "REJECT"', "fail"),
    ('subnet_id = aws_subnet.a.id\n  traffic_type = "ALL"', "fail"),
    ('vpc_id = data.aws_vpc.shared.id\n  traffic_type = "ALL"', "unknown"),
    (None, "fail"),
])
def test_vpc_flow_log(tmp_path, flow, want):
    text = VPC + 'data "aws_vpc" "shared" {\n  default = true\n}\n'
    if flow:
        text += 'resource "aws_flow_log" "f" {\n  %s\n  log_destination = "arn:aws:s3:::logs"\n  ' \
                'log_destination_type = "s3"\n}\n' % flow
    f = findings(scan(tmp_path, text), "LOG-01")["aws_vpc.main"]
    assert f.status == want, f.message


def test_vpc_flow_log_in_a_plan_joins_through_configuration_references():
    plan = Plan()
    plan.add("aws_vpc", "main", {"cidr_block": "10.0.0.0/16"}, unknown={"id": True, "arn": True})
    plan.add("aws_flow_log", "f", {"traffic_type": "ALL"}, unknown={"vpc_id": True},
             refs={"vpc_id": ["aws_vpc.main.id", "aws_vpc.main"]})
    assert {f.resource.address: f.status for f in plan.findings("LOG-01")} == {"aws_vpc.main": "pass"}


VNET = '''
resource "azurerm_virtual_network" "v" {
  name                = "v"
  resource_group_name = "rg"
  location            = "eastus2"
  address_space       = ["10.1.0.0/16"]
}
resource "azurerm_subnet" "s" {
  name                 = "s"
  resource_group_name  = "rg"
  virtual_network_name = azurerm_virtual_network.v.name
  address_prefixes     = ["10.1.1.0/24"]
}
resource "azurerm_network_security_group" "n" {
  name                = "n"
  resource_group_name = "rg"
  location            = "eastus2"
}
resource "azurerm_subnet_network_security_group_association" "s" {
  subnet_id                 = azurerm_subnet.s.id
  network_security_group_id = azurerm_network_security_group.n.id
}
'''
FLOW = '''
resource "azurerm_network_watcher_flow_log" "f" {
  name                 = "f"
  network_watcher_name = "nw"
  resource_group_name  = "rg"
  %s
  storage_account_id   = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st"
  enabled              = %s
  retention_policy {
    enabled = true
    days    = 30
  }
}
'''


@pytest.mark.parametrize("target, enabled, want", [
    ("target_resource_id = azurerm_virtual_network.v.id", "true", "pass"),
    ("target_resource_id = azurerm_virtual_network.v.id", "false", "fail"),
    ("network_security_group_id = azurerm_network_security_group.n.id", "true", "pass"),
    ("target_resource_id = azurerm_network_security_group.n.id", "true", "pass"),
    ("network_security_group_id = azurerm_network_security_group.n.id", "false", "fail"),
    ("target_resource_id = data.azurerm_virtual_network.x.id", "true", "unknown"),
])
def test_azure_network_flow_log(tmp_path, target, enabled, want):
    text = VNET + FLOW % (target, enabled) + ('data "azurerm_virtual_network" "x" {\n  name = "v"\n  '
                                              'resource_group_name = "rg"\n}\n')
    f = findings(scan(tmp_path, text), "LOG-01")["azurerm_virtual_network.v"]
    assert f.status == want, f.message


# ----------------------------------------------------------------------------- LOG-02
@pytest.mark.parametrize("tracing, want", [('tracing_config {\n    mode = "Active"\n  }', "pass"),
                                           ('tracing_config {\n    mode = "PassThrough"\n  }', "fail"),
                                           ("", "fail")])
def test_lambda_tracing(tmp_path, tracing, want):
    p = scan(tmp_path, 'resource "aws_lambda_function" "f" {\n  function_name = "f"\n  role = "r"\n  %s\n}\n'
             % tracing)
    assert verdicts(p, "LOG-02") == {("LOG-02", "aws_lambda_function.f"): want}


def test_lambda_tracing_left_out_in_a_plan_is_the_default_not_unknown():
    plan = Plan()
    plan.add("aws_lambda_function", "f", {"function_name": "f"}, unknown={"tracing_config": True})
    assert {f.resource.address: f.status for f in plan.findings("LOG-02")} == {"aws_lambda_function.f": "fail"}


# ----------------------------------------------------------------------------- NET-05
AURORA = '''
resource "aws_rds_cluster" "c" {
  cluster_identifier = "c"
  engine             = "aurora-postgresql"
}
resource "aws_rds_cluster_instance" "i" {
  count               = 2
  identifier          = "i${count.index}"
  cluster_identifier  = aws_rds_cluster.c.id
  instance_class      = "db.r6g.large"
  publicly_accessible = %s
}
'''


@pytest.mark.parametrize("public, want", [("false", "pass"), ("count.index == 1", "fail")])
def test_cluster_is_public_when_any_member_is(tmp_path, public, want):
    assert verdicts(scan(tmp_path, AURORA % public), "NET-05") == {("NET-05", "aws_rds_cluster.c"): want}


def test_cluster_member_of_unknown_publicity_makes_the_cluster_unknown(tmp_path):
    p = scan(tmp_path, 'data "aws_ssm_parameter" "p" {\n  name = "x"\n}\n'
             + AURORA % 'data.aws_ssm_parameter.p.value == "public"')
    assert verdicts(p, "NET-05") == {("NET-05", "aws_rds_cluster.c"): "unknown"}


@pytest.mark.parametrize("attrs, want", [("", "pass"), ("publicly_accessible = true", "fail")])
def test_db_instance_default_is_private(tmp_path, attrs, want):
    p = scan(tmp_path, 'resource "aws_db_instance" "d" {\n  identifier = "d"\n  %s\n}\n'
             'resource "aws_elasticache_replication_group" "r" {\n  replication_group_id = "r"\n  description = "r"\n}\n'
             % attrs)
    assert verdicts(p, "NET-05") == {("NET-05", "aws_db_instance.d"): want}   # ElastiCache: not applicable


@pytest.mark.parametrize("rtype, attrs, want", [
    ("azurerm_postgresql_flexible_server", "", "fail"),
    ("azurerm_postgresql_flexible_server", "public_network_access_enabled = false", "pass"),
    ("azurerm_postgresql_flexible_server", 'delegated_subnet_id = "/subscriptions/s/x/subnets/db"', "pass"),
    ("azurerm_mssql_server", "", "fail"),
    ("azurerm_mssql_server", "public_network_access_enabled = false", "pass"),
    ("azurerm_redis_cache", "", "fail"),
    ("azurerm_redis_cache", "public_network_access_enabled = false", "pass"),
])
def test_azure_public_network_access(tmp_path, rtype, attrs, want):
    p = scan(tmp_path, 'resource "%s" "x" {\n  name = "x"\n  resource_group_name = "rg"\n  location = "eastus2"\n'
             '  %s\n}\n' % (rtype, attrs))
    assert verdicts(p, "NET-05") == {("NET-05", f"{rtype}.x"): want}
