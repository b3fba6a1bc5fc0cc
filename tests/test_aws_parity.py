"""The seeds' trading platform built inside moto gives, control by control, the verdicts of its plan fixture.

fixtures/aws-platform/{compliant,violating}/expected.yaml holds what the plan of
the same architecture gives (address -> {control: status}).  The same platform
is built in moto (tests/aws_support.load_platform), audited through the real CLI
code path over HTTP, and compared at the level (control, resource type, role) ->
status, the role being the resource's name in the platform (qts-prod-aurora, ...).

What cannot be compared, and why:

* Types the live audit does not collect (subnets, gateways, subnet groups, vaults,
  IAM roles, certificates, target groups, security-group rule objects, flow logs,
  log groups, web ACLs, REST APIs): the plan checks them for TAG-01 only.  The live
  audit collects the types CONTROLS.md names (plus load balancers), see scope.FIELDS.
* Resources AWS (and moto) create without Terraform: every VPC's default
  security group, every region's default VPC.  They are audited live (and fail
  TAG-01) but have no plan twin.
* moto 5.2 lacks AWS Backup selections and automated-backups replication, and
  runs one ElastiCache node whatever NumCacheClusters says: the proxy in front of
  moto answers those with AWS's response shapes (aws_support._emulate), so the
  audit still reads them through its normal calls.
* PLAN_UNKNOWN below: values a plan cannot know but the account shows.
"""
from __future__ import annotations

import json
import pathlib
import re

import pytest
import yaml

from aws_support import load_platform, use_env, servers  # noqa: F401 (a fixture)

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "aws-platform"
SUFFIX = "-1a2b3c4d"   # the loader's stand-in for the plan's random bucket suffix

# plan address -> role (the live resource's name)
ROLES = {
    "aws_kms_key.data": "qts-prod-data",
    "aws_kms_key.dr": "qts-prod-dr-backups",
    "aws_s3_bucket.exports": "qts-prod-exports",
    'module.buckets["alb-logs"].aws_s3_bucket.this': "qts-prod-alb-logs",
    'module.buckets["historical-data"].aws_s3_bucket.this': "qts-prod-historical-data",
    'module.buckets["static-assets"].aws_s3_bucket.this': "qts-prod-static-assets",
    "module.backup.aws_backup_plan.daily": "qts-prod-daily",
    "module.data.aws_db_instance.reporting": "qts-prod-reporting",
    "module.data.aws_db_parameter_group.postgres": "qts-prod-postgres16",
    "module.data.aws_rds_cluster_parameter_group.aurora": "qts-prod-aurora-pg16",
    "module.data.aws_rds_cluster.this": "qts-prod-aurora",
    "module.data.aws_dynamodb_table.sessions": "qts-prod-sessions",
    "module.data.aws_dynamodb_table.wallets": "qts-prod-wallets",
    "module.data.aws_ebs_volume.market_cache": "qts-prod-market-cache",
    "module.data.aws_ebs_volume.scratch": "qts-prod-scratch",
    "module.data.aws_efs_file_system.shared": "qts-prod-shared",
    "module.data.aws_elasticache_replication_group.sessions": "qts-prod-sessions",
    "module.data.aws_kinesis_stream.market_data": "qts-prod-market-data",
    "module.data.aws_secretsmanager_secret.market_data_api": "qts-prod/market-data/api-key",
    "module.data.aws_sns_topic.trade_events": "qts-prod-trade-events",
    "module.data.aws_sqs_queue.orders": "qts-prod-orders.fifo",
    "module.data.aws_sqs_queue.orders_dlq": "qts-prod-orders-dlq.fifo",
    "module.edge.aws_api_gateway_domain_name.api": "api.trade.example.com",
    "module.edge.aws_cloudfront_distribution.this": "(the distribution)",
    "module.edge.aws_lb.this": "qts-prod-alb",
    "module.edge.aws_lb_listener.http": "qts-prod-alb:80",
    "module.edge.aws_lb_listener.https": "qts-prod-alb:443",
    **{f"module.network.aws_security_group.{n}": f"qts-prod-{n}"
       for n in ("web", "app", "db", "monitoring", "cache", "efs", "bastion")},
    **{f"module.data.aws_rds_cluster_instance.this[{k}]": f"qts-prod-aurora-{k}" for k in range(3)},
    "module.network.aws_vpc.this": "qts-prod-vpc",
    "module.edge.aws_api_gateway_stage.prod": "qts-prod-api/prod",
    "module.data.aws_lambda_function.order_persister": "qts-prod-persist-orders",
    "module.data.aws_lambda_function.order_events": "qts-prod-order-events",
    # MSG-01, SEC-02 (issue 17); a subscription is named topic->endpoint
    "module.data.aws_sqs_queue.risk_events": "qts-prod-risk-events",
    "module.data.aws_sqs_queue.risk_events_dlq": "qts-prod-risk-events-dlq",
    "module.data.aws_sns_topic_subscription.risk_events": "qts-prod-trade-events->qts-prod-risk-events",
    "module.data.aws_secretsmanager_secret.exchange_credentials": "qts-prod/exchange/credentials",
    # IAM-01 (issue 17): inline policies are named role:policy, as Terraform's id
    "module.data.aws_iam_policy.deploy": "qts-prod-deploy",
    "module.data.aws_iam_policy.break_glass": "qts-prod-break-glass",
    "module.data.aws_iam_role_policy.orders_queue": "qts-prod-orders-lambda:orders-queue",
    "module.data.aws_iam_role_policy.orders_operators": "qts-prod-orders-lambda:orders-operators",
    "module.data.aws_iam_role_policy.vendor": "qts-prod-orders-lambda:vendor-integration",
    # SEC-01, DR-01 (issue 17): the DR region and the critical archive
    "aws_s3_bucket.trade_archive": "qts-prod-trade-archive",
    "aws_s3_bucket.trade_archive_dr": "qts-prod-trade-archive-dr",
    "aws_vpc.dr": "qts-prod-dr-vpc",
    "aws_security_group.dr_db": "qts-prod-dr-db",
    "aws_db_parameter_group.dr": "qts-prod-dr-postgres16",
    "aws_rds_cluster_parameter_group.dr": "qts-prod-dr-aurora-postgresql16",
    "aws_db_instance.reporting_dr": "qts-prod-reporting-dr",
    "aws_rds_cluster.dr": "qts-prod-aurora-dr",
    **{f"aws_rds_cluster_instance.dr[{k}]": f"qts-prod-aurora-dr-{k}" for k in range(2)},
    "aws_backup_plan.dr": "qts-prod-dr-daily",
}
# controls with no Terraform column: their live verdicts are checked on their own (IAM-02: tests/test_aws_iam.py)
LIVE_ONLY = {"IAM-02"}
NOT_COLLECTED = {"aws_subnet", "aws_flow_log", "aws_cloudwatch_log_group", "aws_wafv2_web_acl",
                 "aws_api_gateway_rest_api", "aws_internet_gateway", "aws_db_subnet_group", "aws_elasticache_subnet_group",
                 "aws_backup_vault", "aws_iam_role", "aws_acm_certificate", "aws_lb_target_group",
                 "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_rds_global_cluster"}
# (variant, control, role) -> (plan says, the account shows, why)
PLAN_UNKNOWN = {
    ("violating", "ENC-03", "qts-prod-scratch"): (
        "unknown", "fail", "`encrypted` is unset, so the account's EBS encryption-by-default decides; a plan cannot "
                           "see it, the live volume shows it unencrypted"),
    ("violating", "ENC-04", "qts-prod-orders.fifo"): (
        "fail", "pass", "neither kms_master_key_id nor sqs_managed_sse_enabled is declared, which CONTROLS.md "
                        "fails; the live queue shows the SSE-SQS AWS applies to new queues by default"),
    ("violating", "DR-01", "qts-prod-aurora"): (
        "unknown", "fail", "the cluster names a global cluster created outside the configuration, whose members a "
                           "plan cannot see; the account shows it holds no cluster in another region"),
    ("violating", "WAF-01", "qts-prod-api/prod"): (
        "unknown", "pass", "the association's resource_arn is built from a data source read after apply, so the "
                           "plan cannot tell which stage it names; once applied it is this stage's"),
    ("violating", "MSG-01", "qts-prod-risk-events"): (
        "unknown", "pass", "the redrive policy names the shared-services queue through a data source read after "
                           "apply; the account shows that queue as its dead-letter target"),
    ("violating", "SEC-02", "qts-prod/exchange/credentials"): (
        "unknown", "pass", "the rotation names its secret through a data source read after apply; the account "
                           "shows the secret rotating every 30 days"),
    ("violating", "IAM-01", "qts-prod-orders-lambda:vendor-integration"): (
        "unknown", "pass", "the policy is copied from data.aws_iam_policy.vendor, read after apply: a plan cannot "
                           "see the document; the account shows it scoped to one queue"),
}


def _type(address: str) -> str:
    return re.search(r"([a-z0-9_]+)\.[A-Za-z0-9_-]+(\[[^\]]*\])?$", address).group(1)


def _role(res: dict) -> str:
    if res["type"] == "aws_cloudfront_distribution":
        return "(the distribution)"
    name = res.get("name", "")
    return name[:-len(SUFFIX)] if res["type"] == "aws_s3_bucket" and name.endswith(SUFFIX) else name




@pytest.mark.parametrize("variant", ["compliant", "violating"])
def test_live_verdicts_equal_plan_fixture(variant, servers, monkeypatch, tmp_path):
    expected_file = FIXTURES / variant / "expected.yaml"
    assert expected_file.exists(), f"{expected_file} is the plan side of this comparison"
    server, proxy = servers
    server.reset()
    proxy.clear()
    load_platform(server.url, variant == "violating", proxy)
    use_env(monkeypatch, proxy.url)

    from scanner.cli import main
    out = tmp_path / "live.json"
    rc = main(["audit", "aws", "--regions", "us-east-1,us-west-2", "--format", "json", "-o", str(out), "--quiet"])
    doc = json.loads(out.read_text())
    assert rc == 1   # the default VPC groups fail TAG-01 even in the compliant account
    assert doc["coverage"] == ([] if variant == "compliant" else [
        {"kind": "api-error", "message": "kms:DescribeKey, us-east-1, account 123456789012: NotFoundException",
         "service": "kms", "operation": "DescribeKey", "region": "us-east-1", "account": "123456789012",
         "error": "NotFoundException", "calls": 1}])

    live: dict[tuple, str] = {}
    for f in doc["findings"]:
        res = f["resource"]
        if res["type"] == "aws_security_group" and res["name"] == "default":
            continue   # created by AWS with every VPC: no Terraform twin
        if res["type"] == "aws_vpc" and res.get("default"):
            continue   # every region's default VPC, created by AWS: no Terraform twin
        if res["type"] == "aws_secretsmanager_secret" and res["name"].startswith("rds!"):
            continue   # created by RDS for manage_master_user_password: no Terraform twin
        if res["type"] == "aws_sqs_queue" and res["name"] == "qts-shared-dead-letters":
            continue   # another team's queue, read by a data source of the plan: no Terraform twin
        if f["control_id"] in LIVE_ONLY:
            continue
        key = (f["control_id"], res["type"], _role(res))
        assert key not in live, f"two live resources play {key}"
        live[key] = f["status"]

    # expected.yaml is the plan side: tests/test_fixtures.py proves the plan scan gives exactly it.
    planned = _plan_side(yaml.safe_load(expected_file.read_text()))

    differences = []
    for key, status in sorted(planned.items()):
        got = live.get(key, "missing")
        known = PLAN_UNKNOWN.get((variant, key[0], key[2]))
        if known is not None:
            assert (status, got) == known[:2], (key, status, got)
            continue
        if got != status:
            differences.append(f"{key}: plan {status}, live {got}")
    extra = sorted(k for k in live if k not in planned)
    assert not differences, "\n".join(differences)
    assert not extra, f"live findings with no plan counterpart: {extra}"
    # both variants exercise every control
    assert {k[0] for k in planned} == {f"{fam}-0{i}" for fam, n in
                                       (("ENC", 5), ("TLS", 3), ("HA", 2), ("NET", 5), ("TAG", 1), ("BAK", 3),
                                        ("WAF", 1), ("LOG", 2), ("MSG", 1), ("SEC", 2), ("DR", 1), ("IAM", 1))
                                       for i in range(1, n + 1)}


def _plan_side(verdicts: dict) -> dict[tuple, str]:
    """address -> {control: status}  as  (control, type, role) -> status, for the types audited live."""
    out: dict[tuple, str] = {}
    for address, controls in verdicts.items():
        rtype = _type(address)
        if rtype in NOT_COLLECTED:
            continue
        assert address in ROLES, f"{address}: give it a role in ROLES (or list its type in NOT_COLLECTED)"
        for control, status in controls.items():
            out[(control, rtype, ROLES[address])] = status
    return out
