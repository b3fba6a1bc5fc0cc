"""MSG-01 and SEC-02 live on AWS (moto's server behind the fault proxy): the seed platform's queues,
subscription and secrets give the verdicts of the plan fixture; a denied read is unknown with a coverage
entry, never a pass; ListSecrets alone answers rotation (no DescribeSecret per secret)."""
from __future__ import annotations

import json

import pytest
import yaml

from aws_support import SHARED_DLQ, load_platform, servers, use_env  # noqa: F401 (a fixture)
from conftest import FIXTURES

MINE = ("MSG-01", "SEC-02")
ROLES = {
    "module.data.aws_sqs_queue.orders": "qts-prod-orders.fifo",
    "module.data.aws_sqs_queue.orders_dlq": "qts-prod-orders-dlq.fifo",
    "module.data.aws_sqs_queue.risk_events": "qts-prod-risk-events",
    "module.data.aws_sqs_queue.risk_events_dlq": "qts-prod-risk-events-dlq",
    "module.data.aws_sns_topic_subscription.risk_events": "qts-prod-trade-events->qts-prod-risk-events",
    "module.data.aws_secretsmanager_secret.market_data_api": "qts-prod/market-data/api-key",
    "module.data.aws_secretsmanager_secret.exchange_credentials": "qts-prod/exchange/credentials",
}
# what a plan cannot know and the account shows (tests/test_aws_parity.py PLAN_UNKNOWN says why)
PLAN_UNKNOWN = {("violating", "MSG-01", "qts-prod-risk-events"): "pass",
                ("violating", "SEC-02", "qts-prod/exchange/credentials"): "pass"}


def _audit(tmp_path, extra=()):
    from scanner.cli import main
    out = tmp_path / "live.json"
    rc = main(["audit", "aws", "--regions", "us-east-1", "--format", "json", "-o", str(out), "--quiet", *extra])
    return rc, json.loads(out.read_text())


def _mine(doc) -> dict:
    # secrets RDS creates for manage_master_user_password have no Terraform twin (checked on their own below)
    return {(f["control_id"], f["resource"]["name"]): f for f in doc["findings"] if f["control_id"] in MINE
            and not f["resource"]["name"].startswith("rds!")}


@pytest.mark.parametrize("variant", ["compliant", "violating"])
def test_live_messaging_and_rotation_equal_the_plan(variant, servers, monkeypatch, tmp_path):
    server, proxy = servers
    server.reset()
    proxy.clear()
    load_platform(server.url, variant == "violating", proxy)
    use_env(monkeypatch, proxy.url)
    _rc, doc = _audit(tmp_path)
    live = _mine(doc)
    # RDS rotates the master-password secrets it manages (every 7 days unless told otherwise)
    rds = [f for f in doc["findings"] if f["control_id"] == "SEC-02" and f["resource"]["name"].startswith("rds!")]
    assert rds and all(f["status"] == "pass" for f in rds), [(f["resource"]["name"], f["message"]) for f in rds]
    table = yaml.safe_load((FIXTURES / "aws-platform" / variant / "expected.yaml").read_text())
    planned = {(cid, ROLES[a]): s for a, verdicts in table.items() for cid, s in verdicts.items()
               if cid in MINE}
    assert planned, "the fixture has no MSG-01/SEC-02 verdicts"
    for (cid, role), status in planned.items():
        want = PLAN_UNKNOWN.get((variant, cid, role), status)
        assert (cid, role) in live, f"{cid} {role}: no live finding"
        assert live[(cid, role)]["status"] == want, (cid, role, live[(cid, role)]["message"])
    extra = sorted(k for k in live if k not in planned)
    assert not extra, extra
    # the dead-letter queues themselves are not applicable, and the other team's queue has no twin
    assert not any(k[1] in ("qts-prod-orders-dlq.fifo", SHARED_DLQ) for k in live)
    if variant == "violating":
        sub = live[("MSG-01", "qts-prod-trade-events->qts-prod-risk-events")]
        assert sub["status"] == "fail" and "sns:GetSubscriptionAttributes" in sub["evidence"]["observed_via"]
        key = live[("SEC-02", "qts-prod/market-data/api-key")]
        assert key["status"] == "fail" and "365" in key["message"]
        assert key["evidence"]["RotationRules.AutomaticallyAfterDays"] == 365
    else:
        q = live[("MSG-01", "qts-prod-risk-events")]
        assert q["evidence"]["RedrivePolicy.deadLetterTargetArn"].endswith(":qts-prod-risk-events-dlq")
    # rotation came with ListSecrets (no call per secret); the redrive policy with the queue's one
    # GetQueueAttributes (the call ENC-04 reads); the subscription's with one ListSubscriptions per region
    ops = {(s, o) for s, o, _r in proxy.seen}
    assert ("secretsmanager", "ListSecrets") in ops and ("secretsmanager", "DescribeSecret") not in ops
    queues = {f["resource"]["name"] for f in doc["findings"] if f["resource"]["type"] == "aws_sqs_queue"}
    assert proxy.seen[("sqs", "GetQueueAttributes", "us-east-1")] == len(queues)
    assert proxy.seen[("sns", "ListSubscriptions", "us-east-1")] == 1
    assert ("sns", "ListSubscriptionsByTopic") not in ops


@pytest.mark.parametrize("service,op,control,rtype,role", [
    ("sqs", "GetQueueAttributes", "MSG-01", "aws_sqs_queue", "qts-prod-risk-events"),
    ("sns", "ListSubscriptions", "MSG-01", "aws_sns_topic_subscription", None),
    ("sns", "GetSubscriptionAttributes", "MSG-01", "aws_sns_topic_subscription",
     "qts-prod-trade-events->qts-prod-risk-events"),
    ("secretsmanager", "ListSecrets", "SEC-02", "aws_secretsmanager_secret", None),
])
def test_a_denied_read_is_unknown_with_coverage(service, op, control, rtype, role, servers, monkeypatch, tmp_path):
    server, proxy = servers
    server.reset()
    proxy.clear()
    load_platform(server.url, False, proxy)
    use_env(monkeypatch, proxy.url)
    proxy.fail(service=service, op=op, error="AccessDenied")
    _rc, doc = _audit(tmp_path)
    mine = [f for f in doc["findings"] if f["control_id"] == control and f["resource"]["type"] == rtype]
    assert mine and all(f["status"] == "unknown" for f in mine), [(f["resource"]["name"], f["status"]) for f in mine]
    if role is not None:
        assert any(f["resource"]["name"] == role for f in mine)
    assert any(c.get("operation") == op and str(c.get("error")).startswith("AccessDenied")
               for c in doc["coverage"]), doc["coverage"]


def test_an_endpoint_url_with_credentials_never_reaches_a_report(servers, monkeypatch, tmp_path):
    server, proxy = servers
    server.reset()
    proxy.clear()
    load_platform(server.url, False, proxy)
    from aws_support import client
    sns = client(server.url, "sns")
    topic = sns.create_topic(Name="qts-prod-alerts")["TopicArn"]
    password = "hook-Password-7f3a9"
    sns.subscribe(TopicArn=topic, Protocol="https", Endpoint=f"https://ops:{password}@hooks.example.com/sns?token=t0k3n",
                  ReturnSubscriptionArn=True)
    use_env(monkeypatch, proxy.url)
    from scanner.cli import main
    for fmt in ("json", "html", "sarif", "junit", "markdown"):
        out = tmp_path / f"live.{fmt}"
        main(["audit", "aws", "--regions", "us-east-1", "--format", fmt, "-o", str(out), "--quiet"])
        text = out.read_text()
        assert password not in text and "t0k3n" not in text, fmt
        if fmt in ("json", "html"):   # the subscription is there, named without its secrets
            assert "hooks.example.com/sns" in text, fmt
