"""The raw-record convention (docs/DESIGN.md): every live AWS resource keeps the API item it was
mapped from and the call that returned it, a failed call leaves a record that says why, and no
secret value enters a record.  Users' rules (YAML and Python) read a field of each, against moto's
server over HTTP, with no call added."""
from __future__ import annotations

import io
import json
import zipfile

from aws_support import ACCOUNT, NAME, client, servers  # noqa: F401 (a fixture)
from test_aws_audit import _collect, audit, platform, without_faults  # noqa: F401 (a fixture)

SECRET = "hunter2-Sup3rS3cret-value"

RULES = """\
controls:
  - id: ACME-SQS-01
    title: Queues keep messages at most four days
    severity: low
    applies_to: {types: [aws_sqs_queue]}
    fields:
      retention: {aws: MessageRetentionPeriod}
    require: {field: retention, lte: 345600}
  - id: ACME-APIGW-01
    title: Custom domains use the TLS 1.2 security policy
    severity: medium
    applies_to: {types: [aws_api_gateway_domain_name]}
    fields:
      policy: {aws: securityPolicy}
      endpoint: {aws: endpointConfiguration.types}
    require: {all: [{field: policy, equals: TLS_1_2}, {field: endpoint, contains: REGIONAL}]}
  - id: ACME-REPL-01
    title: Automated backups are replicated to us-west-2
    severity: medium
    applies_to: {types: [aws_db_instance_automated_backups_replication]}
    fields:
      target: {aws: DBInstanceAutomatedBackupsArn}
    require: {field: target, matches: '^arn:aws:rds:us-west-2:'}
  - id: ACME-KMS-01
    title: Keys are symmetric encryption keys, created on a known date
    severity: low
    applies_to: {types: [aws_kms_key]}
    fields:
      spec: {aws: KeySpec}
      created: {aws: CreationDate}
    require: {all: [{field: spec, equals: SYMMETRIC_DEFAULT}, {field: created, matches: '^20[0-9][0-9]-'}]}
  - id: ACME-SNS-01
    title: Topics name their KMS key
    severity: low
    applies_to: {types: [aws_sns_topic]}
    fields:
      key: {aws: KmsMasterKeyId}
    require: {field: key, exists: true}
"""

LAMBDA_RULE = """\
from scanner.rules_api import Check, control, field

@control("ACME-FN-01", title="Functions get their database password from Secrets Manager", family="ACME",
         severity="high", soc2=["CC6.1"], kinds=("function",))
def no_plain_password(r, ctx):
    chk = Check()
    v = field(r, "Environment.Variables.DB_PASSWORD", default=None)   # no Environment: none set
    chk.require(~v.is_set(), "a database password is set in the environment",
                "whether a password is in the environment is not known", v)
    return chk.verdict("no password in the environment")
"""


def _rules(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "acme.yaml").write_text(RULES)
    (tmp_path / "rules" / "fn.py").write_text(LAMBDA_RULE)
    return str(tmp_path / "rules")


def _secret_function(endpoint):
    role = client(endpoint, "iam").get_role(RoleName=f"{NAME}-orders-lambda")["Role"]["Arn"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return None\n")
    client(endpoint, "lambda").create_function(
        FunctionName=f"{NAME}-legacy-report", Runtime="python3.12", Role=role, Handler="app.handler",
        Code={"ZipFile": buf.getvalue()}, Environment={"Variables": {"DB_PASSWORD": SECRET, "STAGE": "prod"}})


def got(doc, prefix="ACME"):
    return {(f["control_id"], f["resource"]["name"]): f for f in doc["findings"] if f["control_id"].startswith(prefix)}


# ----------------------------------------------------------------------------- the convention, per resource
def test_every_live_aws_resource_keeps_its_api_item_and_the_call(platform, servers, monkeypatch):  # noqa: F811
    from scanner.sources.aws.ops import OPERATIONS, api_name
    from scanner.values import Unknown
    _, proxy = servers
    without_faults(proxy)
    resources, _ = _collect(monkeypatch, proxy)
    listed = [r for r in resources if "unlisted" not in r.context]
    types = {r.type for r in listed}
    assert {"aws_sqs_queue", "aws_api_gateway_domain_name", "aws_db_instance_automated_backups_replication",
            "aws_sns_topic", "aws_kms_key", "aws_lambda_function", "aws_s3_bucket", "aws_backup_selection"} <= types
    allowed = {api_name(svc, op) for svc, op in OPERATIONS}
    for r in listed:
        assert isinstance(r.raw, dict) and r.raw, f"{r.type} {r.address} keeps no record"
        assert not isinstance(r.raw, Unknown), f"{r.type} {r.address}: {r.raw.reason}"
        assert r.raw_api in allowed, f"{r.type} {r.address}: raw_api {r.raw_api!r}"


# ----------------------------------------------------------------------------- users' rules read each record
def test_user_rules_read_a_field_of_every_record_the_collectors_keep(platform, servers, monkeypatch, tmp_path):  # noqa: F811
    server, proxy = servers
    without_faults(proxy)
    _secret_function(server.url)
    proxy.seen.clear()
    audit(monkeypatch, proxy, tmp_path)
    without_rules = dict(proxy.seen)
    proxy.seen.clear()
    rc, doc = audit(monkeypatch, proxy, tmp_path, "--rules", _rules(tmp_path))
    g = got(doc)
    for cid, name, field in (("ACME-SQS-01", f"{NAME}-orders.fifo", "MessageRetentionPeriod"),
                             ("ACME-SQS-01", f"{NAME}-orders-dlq.fifo", "MessageRetentionPeriod"),
                             ("ACME-APIGW-01", "api.trade.example.com", "securityPolicy"),
                             ("ACME-KMS-01", f"{NAME}-data", "KeySpec"),
                             ("ACME-SNS-01", f"{NAME}-trade-events", "KmsMasterKeyId")):
        f = g[(cid, name)]
        assert f["status"] == "pass", (cid, name, f["message"])
        assert field in f["evidence"] and f["evidence"]["observed_via"], f["evidence"]
    assert g[("ACME-SQS-01", f"{NAME}-orders.fifo")]["evidence"]["MessageRetentionPeriod"] == "345600"
    assert g[("ACME-SQS-01", f"{NAME}-orders.fifo")]["evidence"]["observed_via"] == ["sqs:GetQueueAttributes"]
    assert g[("ACME-APIGW-01", "api.trade.example.com")]["evidence"]["observed_via"] == ["apigateway:GetDomainNames"]
    assert g[("ACME-SNS-01", f"{NAME}-trade-events")]["evidence"]["observed_via"] == ["sns:GetTopicAttributes"]
    (repl,) = [f for (cid, _), f in g.items() if cid == "ACME-REPL-01"]
    assert repl["status"] == "pass" and repl["evidence"]["observed_via"] == ["rds:DescribeDBInstances"]
    assert repl["evidence"]["DBInstanceAutomatedBackupsArn"].startswith(f"arn:aws:rds:us-west-2:{ACCOUNT}:auto-backup:")
    # a secret value is not in the record: the rule says unknown, naming why, and it is nowhere in the output
    fn = g[("ACME-FN-01", f"{NAME}-legacy-report")]
    assert fn["status"] == "unknown" and "a secret value: specguard does not keep it" in fn["message"]
    assert g[("ACME-FN-01", f"{NAME}-persist-orders")]["status"] == "pass"   # no such variable: not set
    assert SECRET not in (tmp_path / "out.json").read_text()
    # the records are the answers the collectors read anyway: no call was added for them
    assert dict(proxy.seen) == without_rules
    queues = {f["resource"]["address"] for f in doc["findings"] if f["resource"]["type"] == "aws_sqs_queue"
              and ":us-east-1:" in f["resource"]["address"]}
    assert len(queues) >= 2 and proxy.seen[("sqs", "GetQueueAttributes", "us-east-1")] == len(queues)   # one each


def test_a_failed_describe_leaves_a_record_that_says_why(platform, servers, monkeypatch, tmp_path):  # noqa: F811
    _, proxy = servers
    without_faults(proxy)
    proxy.fail("sqs", "GetQueueAttributes", error="AccessDenied")
    try:
        rc, doc = audit(monkeypatch, proxy, tmp_path, "--rules", _rules(tmp_path))
    finally:
        without_faults(proxy)
    for (cid, name), f in got(doc).items():
        if cid == "ACME-SQS-01":
            assert f["status"] == "unknown" and "AccessDenied" in f["message"], f["message"]
            assert "kept no record" not in f["message"]


# ----------------------------------------------------------------------------- secrets, without a server
def test_secret_values_are_withheld_on_a_copy_of_their_path_only():
    from scanner.sources.aws.raw_secrets import SECRET_PATHS, WITHHELD, withhold
    from scanner.values import Unknown
    item = {"FunctionName": "f", "Environment": {"Variables": {"TOKEN": "s3cr3t", "EMPTY": None}},
            "TracingConfig": {"Mode": "Active"}}
    kept = withhold("aws_lambda_function", item, "aws", "lambda:ListFunctions")
    assert item["Environment"]["Variables"]["TOKEN"] == "s3cr3t"          # the API's object is not changed
    assert kept["TracingConfig"] is item["TracingConfig"]                  # what holds no secret is shared
    tok = kept["Environment"]["Variables"]["TOKEN"]
    assert isinstance(tok, Unknown) and tok.reason == WITHHELD and tok.origin.api == "lambda:ListFunctions"
    assert kept["Environment"]["Variables"]["EMPTY"] is None               # unset stays readable as unset
    assert "s3cr3t" not in json.dumps(kept, default=str)
    plain = {"FunctionName": "g"}
    assert withhold("aws_lambda_function", plain, "aws", None) is plain
    assert withhold("aws_sqs_queue", item, "aws", None) is item
    dist = {"Id": "E1", "Origins": {"Items": [
        {"Id": "a", "CustomHeaders": {"Quantity": 1, "Items": [{"HeaderName": "X-Origin-Verify",
                                                                "HeaderValue": "s3cr3t"}]}},
        {"Id": "b", "CustomHeaders": {"Quantity": 0}}]}}
    kept = withhold("aws_cloudfront_distribution", dist, "aws", "cloudfront:ListDistributions")
    header = kept["Origins"]["Items"][0]["CustomHeaders"]["Items"][0]
    assert header["HeaderName"] == "X-Origin-Verify" and isinstance(header["HeaderValue"], Unknown)
    assert kept["Origins"]["Items"][1] is dist["Origins"]["Items"][1]
    li = {"DefaultActions": [{"Type": "authenticate-oidc", "AuthenticateOidcConfig": {"ClientId": "c",
                                                                                      "ClientSecret": "s3cr3t"}}]}
    assert "s3cr3t" not in json.dumps(withhold("aws_lb_listener", li, "aws", None), default=str)
    stage = {"stageName": "prod", "variables": {"apiKey": "s3cr3t"}}
    assert "s3cr3t" not in json.dumps(withhold("aws_api_gateway_stage", stage, "aws", None), default=str)
    assert set(SECRET_PATHS) >= {"aws_lambda_function", "aws_cloudfront_distribution", "aws_api_gateway_stage",
                                 "aws_lb_listener"}


def test_a_rule_reading_inside_a_failed_record_is_unknown_with_the_calls_reason():
    from scanner.model import Resource
    from scanner.rules_api import field
    from scanner.values import Origin, Unknown
    r = Resource(kind="data_store", type="aws_sqs_queue", address="arn:aws:sqs:us-east-1:1:q", provider="aws",
                 source="aws", raw=Unknown("sqs:GetQueueAttributes: AccessDenied", Origin("aws", "Attributes")),
                 raw_api="sqs:GetQueueAttributes")
    v = field(r, "KmsMasterKeyId")
    assert not v.known and v.reason == "KmsMasterKeyId is not known: sqs:GetQueueAttributes: AccessDenied"
    assert v.origin.api == "sqs:GetQueueAttributes"
