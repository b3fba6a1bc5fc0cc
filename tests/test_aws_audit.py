"""Live AWS audit against moto's server over HTTP: faults, organizations, the read-only guard, the CLI."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from aws_support import ACCOUNT, FaultProxy, MotoServer, client, load_platform, use_env, servers  # noqa: F401 (a fixture)

REGIONS = "us-east-1,us-west-2"




@pytest.fixture(scope="module")
def platform(servers):
    """The compliant platform, loaded once; tests only add faults in front of it."""
    server, proxy = servers
    server.reset()
    proxy.clear()
    return load_platform(server.url, False, proxy)


@pytest.fixture
def fresh():
    """An empty moto of its own, in its own process: moto's state is global to a process, and the
    module's platform stays loaded for the other tests."""
    server = MotoServer(process=True)
    proxy = FaultProxy(server.url)
    yield server, proxy
    proxy.stop()
    server.stop()


def audit(monkeypatch, proxy, tmp_path, *extra):
    """Run `specguard audit aws` in-process (the production code path, reached through the environment)."""
    from scanner.cli import main
    from scanner.results import validate
    use_env(monkeypatch, proxy.url)
    out = tmp_path / "out.json"
    rc = main(["audit", "aws", "--regions", REGIONS, "--format", "json", "-o", str(out), "--quiet", *extra])
    doc = json.loads(out.read_text())
    validate(doc)
    return rc, doc


def by(doc, control=None, type_=None, name=None):
    return [f for f in doc["findings"] if (control is None or f["control_id"] == control)
            and (type_ is None or f["resource"]["type"] == type_) and (name is None or f["resource"]["name"] == name)]


def without_faults(proxy):
    proxy.rules.clear()


# ----------------------------------------------------------------------------- faults
def test_denied_listing_gives_unknown_placeholders_and_a_coverage_entry(platform, servers, monkeypatch, tmp_path):
    _, proxy = servers
    without_faults(proxy)
    proxy.fail("rds", "DescribeDBInstances", region="us-east-1", error="AccessDenied")
    rc, doc = audit(monkeypatch, proxy, tmp_path)
    assert rc == 1
    entry = next(c for c in doc["coverage"] if c["operation"] == "DescribeDBInstances")
    assert entry["message"] == f"rds:DescribeDBInstances, us-east-1, account {ACCOUNT}: AccessDenied"
    assert (entry["kind"], entry["region"], entry["account"], entry["error"]) == \
        ("api-error", "us-east-1", ACCOUNT, "AccessDenied")
    instances = [f for f in by(doc, type_="aws_db_instance") if f["resource"].get("region") == "us-east-1"]
    # the real instance is not silently gone: a placeholder stands for every instance of the region
    assert {f["resource"]["address"] for f in instances} == {f"arn:aws:rds:us-east-1:{ACCOUNT}:db:*"}
    assert {f["control_id"] for f in instances} >= {"ENC-01", "HA-01", "BAK-01", "BAK-02", "NET-04", "TAG-01"}
    assert all(f["status"] == "unknown" for f in instances)
    assert "AccessDenied" in instances[0]["message"]
    # the cluster is listed, but the zones of its members came from the denied call
    ha = by(doc, "HA-01", "aws_rds_cluster", "qts-prod-aurora")[0]
    assert ha["status"] == "unknown" and "AccessDenied" in ha["message"]
    # us-west-2 and the other services were read as usual
    assert by(doc, "ENC-01", "aws_rds_cluster", "qts-prod-aurora")[0]["status"] == "pass"
    assert by(doc, "ENC-05", "aws_kms_key", "qts-prod-dr-backups")[0]["status"] == "pass"


def test_throttling_and_5xx_past_the_retries_are_unknown_never_pass(platform, servers, monkeypatch, tmp_path):
    _, proxy = servers
    without_faults(proxy)
    proxy.fail("kms", "DescribeKey", region="us-east-1", error="Throttling")
    proxy.fail("sqs", "GetQueueAttributes", error="500")
    proxy.seen.clear()
    rc, doc = audit(monkeypatch, proxy, tmp_path, "--max-attempts", "2")
    errors = {(c["operation"], c["error"]) for c in doc["coverage"]}
    assert ("DescribeKey", "ThrottlingException") in errors
    assert ("GetQueueAttributes", "InternalError") in errors
    # botocore retried before giving up (2 attempts per call)
    assert proxy.seen[("kms", "DescribeKey", "us-east-1")] >= 2 * 1
    assert proxy.seen[("sqs", "GetQueueAttributes", "us-east-1")] == QUEUES * 2
    # who manages the databases' key is unknown -> ENC-01 unknown, and the key's own checks too
    for name, type_ in (("qts-prod-reporting", "aws_db_instance"), ("qts-prod-aurora", "aws_rds_cluster")):
        f = by(doc, "ENC-01", type_, name)[0]
        assert f["status"] == "unknown" and "ThrottlingException" in f["message"], f
    keys = [f for f in by(doc, "ENC-05") if f["resource"]["region"] == "us-east-1"]
    assert keys and all(f["status"] == "unknown" for f in keys)
    queues = by(doc, "ENC-04", "aws_sqs_queue")
    assert len(queues) == QUEUES and all(f["status"] == "unknown" for f in queues)
    assert all(f["status"] != "pass" for f in by(doc, "ENC-04", "aws_sqs_queue"))
    # the rest of the audit finished
    assert by(doc, "ENC-04", "aws_kinesis_stream")[0]["status"] == "pass"


def test_a_throttle_that_clears_within_the_retries_leaves_no_trace(platform, servers, monkeypatch, tmp_path):
    _, proxy = servers
    without_faults(proxy)
    proxy.fail("ec2", "DescribeSecurityGroups", region="us-east-1", error="Throttling", times=1)
    rc, doc = audit(monkeypatch, proxy, tmp_path)
    assert doc["coverage"] == []
    assert by(doc, "NET-01", "aws_security_group", "qts-prod-web")[0]["status"] == "pass"


def test_a_failing_region_is_unknown_and_the_others_are_audited(platform, servers, monkeypatch, tmp_path):
    _, proxy = servers
    without_faults(proxy)
    proxy.fail(None, None, region="us-west-2", error="500")
    # one attempt: any fault the proxy did not inject would show up below (test_fault_proxy.py keeps
    # the proxy from dropping connections on a loaded machine, the cause of a ConnectionClosedError here)
    rc, doc = audit(monkeypatch, proxy, tmp_path, "--max-attempts", "1")
    west = [c for c in doc["coverage"] if c.get("region") == "us-west-2"]
    assert len(west) >= 14   # one per regional listing that failed
    assert {c["error"] for c in west} == {"InternalError"}
    kms_west = [f for f in by(doc, "ENC-05") if f["resource"]["region"] == "us-west-2"]
    assert [f["resource"]["address"] for f in kms_west] == [f"arn:aws:kms:us-west-2:{ACCOUNT}:key/*"]
    assert kms_west[0]["status"] == "unknown"
    assert all(f["status"] == "unknown" for f in doc["findings"] if f["resource"].get("region") == "us-west-2")
    assert by(doc, "HA-01", "aws_rds_cluster", "qts-prod-aurora")[0]["status"] == "pass"


def test_denied_per_bucket_reads_make_those_fields_unknown(platform, servers, monkeypatch, tmp_path):
    _, proxy = servers
    without_faults(proxy)
    proxy.fail("s3", "GetBucketEncryption", error="AccessDenied")
    rc, doc = audit(monkeypatch, proxy, tmp_path)
    enc = by(doc, "ENC-02", "aws_s3_bucket")
    assert len(enc) == 5 and all(f["status"] == "unknown" for f in enc)   # the module's 3, the archive and its copy
    assert all(f["status"] == "pass" for f in by(doc, "BAK-03", "aws_s3_bucket"))   # versioning was read
    entries = [c for c in doc["coverage"] if c["operation"] == "GetBucketEncryption"]
    # one entry per operation and scope, counting the buckets it hid (the archive's copy is in us-west-2)
    assert sorted((c["region"], c["calls"]) for c in entries) == [("us-east-1", 4), ("us-west-2", 1)]


def test_denied_backup_listing_keeps_bak02_unknown_in_its_region_only(platform, servers, monkeypatch, tmp_path):
    _, proxy = servers
    without_faults(proxy)
    proxy.fail("backup", "ListBackupSelections", error="AccessDenied")
    rc, doc = audit(monkeypatch, proxy, tmp_path)
    # Aurora is copied only through the selection that could not be read: unknown, not fail, not pass
    assert by(doc, "BAK-02", "aws_rds_cluster", "qts-prod-aurora")[0]["status"] == "unknown"
    # the reporting instance is copied by automated-backups replication: still known
    assert by(doc, "BAK-02", "aws_db_instance", "qts-prod-reporting")[0]["status"] == "pass"


# ----------------------------------------------------------------------------- findings
def test_findings_name_the_arn_account_region_and_what_was_read(platform, servers, monkeypatch, tmp_path):
    _, proxy = servers
    without_faults(proxy)
    rc, doc = audit(monkeypatch, proxy, tmp_path)
    f = by(doc, "ENC-01", "aws_db_instance", "qts-prod-reporting")[0]
    assert f["resource"]["address"] == f"arn:aws:rds:us-east-1:{ACCOUNT}:db:qts-prod-reporting"
    assert (f["resource"]["account"], f["resource"]["region"], f["resource"]["source"]) == (ACCOUNT, "us-east-1", "aws")
    assert f["evidence"]["StorageEncrypted"] is True
    assert f["evidence"]["KeyManager"] == "customer"
    assert set(f["evidence"]["observed_via"]) == {"rds:DescribeDBInstances", "kms:DescribeKey"}
    assert doc["scope"] == {"accounts": [ACCOUNT], "regions": ["us-east-1", "us-west-2"]}
    assert doc["sources"] == [{"kind": "aws", "path": f"account {ACCOUNT}", "account": ACCOUNT,
                               "regions": ["us-east-1", "us-west-2"]}]
    assert "testing-secret" not in json.dumps(doc)


# ----------------------------------------------------------------------------- read-only
def test_every_operation_called_is_read_only_and_in_the_shipped_policy(platform, servers, monkeypatch):
    from scanner.cli import build_parser
    from scanner.results import Run
    from scanner.sources.aws import audit as aws_audit
    from scanner.sources.aws.ops import OPERATIONS, is_read_only, shipped_actions
    _, proxy = servers
    without_faults(proxy)
    use_env(monkeypatch, proxy.url)
    proxy.seen.clear()
    args = build_parser().parse_args(["audit", "aws", "--regions", REGIONS, "--quiet"])
    run = Run(command="audit aws")
    resources = aws_audit.collect(args, run)
    assert resources
    called = set(run.aws_calls.operations)
    policy = shipped_actions()
    for service, op in called:
        assert is_read_only(service, op), (service, op)
        assert OPERATIONS[(service, op)] in policy, (service, op)
    # and on the wire: every request that reached the endpoint was one of them
    wire = {op for (_, op, _) in proxy.seen}
    assert wire <= {op for _, op in called} | {"GetDomainNamesV2"}, wire
    assert len(called) >= 35


def test_the_guard_refuses_writes_before_sending(servers):
    import boto3
    from scanner.sources.aws.guard import Calls, ReadOnlyViolation
    _, proxy = servers
    proxy.seen.clear()
    calls = Calls(concurrency=2)
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing-secret", region_name="us-east-1")
    rds = calls.client(session, "rds", "us-east-1")
    rds.meta.events.register("before-sign", lambda **kw: None)
    for op, params in (("DeleteDBInstance", {"DBInstanceIdentifier": "qts-prod-reporting"}),
                       ("ModifyDBInstance", {"DBInstanceIdentifier": "qts-prod-reporting", "MultiAZ": False})):
        with pytest.raises(ReadOnlyViolation):
            calls.call(rds, op, ACCOUNT, "us-east-1", **params)
    sm = calls.client(session, "secretsmanager", "us-east-1")
    with pytest.raises(ReadOnlyViolation):   # a read, but of secret data: refused too
        calls.call(sm, "GetSecretValue", ACCOUNT, "us-east-1", SecretId="x")
    assert calls.attempts == 0 and not proxy.seen


def test_shipped_policy_is_the_table_and_print_iam_policy_prints_it(run_cli):
    from scanner.sources.aws.ops import NOT_NAMED_AS_READS, OPERATIONS, policy_document, shipped_policy_text
    assert json.loads(shipped_policy_text()) == policy_document()
    r = run_cli("audit", "aws", "--print-iam-policy")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    actions = {a for st in doc["Statement"] for a in st["Action"]}
    assert actions == set(OPERATIONS.values())
    # reads by name, and the few that are not, each with its reason (iam:GenerateCredentialReport, IAM-02)
    excepted = {OPERATIONS[k] for k in NOT_NAMED_AS_READS}
    assert all(a.split(":", 1)[1].startswith(("Describe", "List", "Get", "AssumeRole", "GetCallerIdentity"))
               or a == "apigateway:GET" or a in excepted for a in actions)


# ----------------------------------------------------------------------------- organizations
def test_org_role_audits_every_member_account(fresh, monkeypatch, tmp_path):
    server, proxy = fresh
    org = client(server.url, "organizations")
    org.create_organization(FeatureSet="ALL")
    members = {}
    for name in ("trading", "analytics", "sandbox"):
        org.create_account(Email=f"{name}@example.com", AccountName=name)
    for a in org.list_accounts()["Accounts"]:
        if a["Id"] != ACCOUNT:
            members[a["Name"]] = a["Id"]
    # one unencrypted volume per member account, created with that account's credentials
    sts = client(server.url, "sts")
    import boto3
    for name, aid in members.items():
        cr = sts.assume_role(RoleArn=f"arn:aws:iam::{aid}:role/OrganizationAccountAccessRole",
                             RoleSessionName="loader")["Credentials"]
        ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=server.url,
                           aws_access_key_id=cr["AccessKeyId"], aws_secret_access_key=cr["SecretAccessKey"],
                           aws_session_token=cr["SessionToken"])
        ec2.create_volume(AvailabilityZone="us-east-1a", Size=1, Encrypted=name == "trading",
                          TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": name}]}])
    # the sandbox account's role cannot be assumed
    proxy.fail("sts", "AssumeRole", contains=f"arn:aws:iam::{members['sandbox']}:role/", error="AccessDenied")
    use_env(monkeypatch, proxy.url)
    from scanner.cli import main
    out = tmp_path / "org.json"
    rc = main(["audit", "aws", "--org-role", "OrganizationAccountAccessRole", "--regions", "us-east-1",
               "--format", "json", "-o", str(out), "--quiet"])
    doc = json.loads(out.read_text())
    assert sorted(doc["scope"]["accounts"]) == sorted([ACCOUNT, *members.values()])
    vols = {f["resource"]["account"]: f for f in by(doc, "ENC-03", "aws_ebs_volume")}
    assert vols[members["trading"]]["status"] == "pass" and vols[members["trading"]]["resource"]["name"] == "trading"
    assert vols[members["analytics"]]["status"] == "fail"
    assert vols[members["sandbox"]]["status"] == "unknown"   # a placeholder: the account could not be entered
    assert vols[members["sandbox"]]["resource"]["address"] == f"arn:aws:ec2:us-east-1:{members['sandbox']}:volume/*"
    entry = next(c for c in doc["coverage"] if c["kind"] == "account-unreachable")
    assert entry["account"] == members["sandbox"] and "sts:AssumeRole" in entry["message"]
    assert entry["error"] == "AccessDenied"
    assert ACCOUNT not in {f["resource"]["account"] for f in by(doc, "ENC-03", "aws_ebs_volume")}
    assert rc == 1

    # filters
    out2 = tmp_path / "org2.json"
    main(["audit", "aws", "--org-role", "OrganizationAccountAccessRole", "--regions", "us-east-1",
          "--accounts", f"{members['trading']},{members['analytics']}", "--exclude-accounts", members["analytics"],
          "--format", "json", "-o", str(out2), "--quiet"])
    assert json.loads(out2.read_text())["scope"]["accounts"] == [members["trading"]]


# ----------------------------------------------------------------------------- CLI
def test_no_credentials_at_all_is_exit_3(run_cli, servers, monkeypatch, tmp_path):
    _, proxy = servers
    use_env(monkeypatch, proxy.url)
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(k)
    r = run_cli("audit", "aws", "--regions", "us-east-1", "-o", tmp_path / "x.json")
    assert r.returncode == 3, r.stderr
    assert r.stderr.startswith("specguard: error: no AWS credentials found")
    assert not (tmp_path / "x.json").exists()


def test_unknown_aws_profile_and_bad_options_are_exit_2(run_cli, servers, monkeypatch):
    _, proxy = servers
    use_env(monkeypatch, proxy.url)
    r = run_cli("audit", "aws", "--aws-profile", "nope")
    assert r.returncode == 2 and "no AWS profile named 'nope'" in r.stderr
    r = run_cli("audit", "aws", "--regions", "mars-1")
    assert r.returncode == 2 and "not an AWS region name" in r.stderr
    r = run_cli("audit", "aws", "--accounts", "111122223333")
    assert r.returncode == 2 and "--org-role" in r.stderr


def test_cli_run_is_quiet_without_a_terminal(run_cli, platform, servers, monkeypatch, tmp_path):
    _, proxy = servers
    without_faults(proxy)
    use_env(monkeypatch, proxy.url)
    r = run_cli("audit", "aws", "--regions", "us-east-1", "--format", "json", "-o", tmp_path / "r.json")
    assert r.returncode == 1, r.stderr
    # no progress bar when stderr is not a terminal: only the gate's one-line summary (only files written)
    assert r.stderr.startswith("specguard: gate failed: ") and r.stderr.count("\n") == 1, r.stderr
    assert json.loads((tmp_path / "r.json").read_text())["run"]["command"] == "audit aws"


def test_progress_bar_only_for_a_person_at_a_terminal(monkeypatch):
    from scanner.sources.aws.accounts import Account
    from scanner.sources.aws.audit import _Progress
    args = type("A", (), {"quiet": False})()
    acct = Account("111122223333", None, regions=["us-east-1"])
    units = [(acct, "us-east-1", "rds", None), (acct, "global", "s3", None)]
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert _Progress(args, [acct], units).bar is None
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    p = _Progress(args, [acct], units)
    assert p.bar is not None
    for u in units:
        p.done(*u[:3])
    assert [t.completed for t in p.bar.tasks] == [1, 1, 2]
    p.close()
    args.quiet = True
    assert _Progress(args, [acct], units).bar is None


def test_specguard_version_does_not_import_boto3():
    code = ("import sys, scanner.cli, scanner.commands; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "[]", r.stdout + r.stderr


def test_a_crashing_collector_is_reported_and_its_scope_is_unknown(platform, servers, monkeypatch, tmp_path):
    from scanner.sources.aws import audit as aws_audit

    from scanner.sources.aws import collect_msg

    def streams(scope):   # a parsing bug on real data; on a dead scope it yields its placeholders
        if isinstance(scope, aws_audit.DeadScope):
            return collect_msg.streams(scope)
        raise KeyError("StreamDescriptionSummary")
    broken = streams
    regional = [(n, broken if n == "kinesis" else fn) for n, fn in aws_audit.REGIONAL]
    monkeypatch.setattr(aws_audit, "REGIONAL", regional)
    _, proxy = servers
    without_faults(proxy)
    rc, doc = audit(monkeypatch, proxy, tmp_path)
    entries = [c for c in doc["coverage"] if c["operation"] == "streams"]
    assert {c["region"] for c in entries} == {"us-east-1", "us-west-2"}
    assert all(c["error"] == "internal error KeyError" for c in entries)
    kinesis = by(doc, type_="aws_kinesis_stream")
    assert kinesis and all(f["status"] == "unknown" for f in kinesis)
    assert by(doc, "ENC-04", "aws_sqs_queue", "qts-prod-orders.fifo")[0]["status"] == "pass"


def test_default_regions_are_the_enabled_ones_of_the_partition(servers):
    import boto3
    from scanner.sources.aws.accounts import enabled_regions
    from scanner.sources.aws.guard import Calls
    server, _ = servers
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing-secret")
    calls = Calls()
    import os
    os.environ["AWS_ENDPOINT_URL"], old = server.url, os.environ.get("AWS_ENDPOINT_URL")
    try:
        regions = enabled_regions(calls, session, "us-east-1", ACCOUNT, "aws")
    finally:
        if old is None:
            del os.environ["AWS_ENDPOINT_URL"]
        else:
            os.environ["AWS_ENDPOINT_URL"] = old
    assert {"us-east-1", "eu-west-1", "ap-southeast-2"} <= set(regions)
    assert not [r for r in regions if r.startswith(("us-gov-", "cn-"))]   # other partitions
    assert calls.operations == {("ec2", "DescribeRegions"): 1}


def test_role_arn_audits_the_account_of_that_role(fresh, monkeypatch, tmp_path, run_cli):
    server, proxy = fresh
    target = "210987654321"
    import boto3
    cr = client(server.url, "sts").assume_role(RoleArn=f"arn:aws:iam::{target}:role/Auditor",
                                               RoleSessionName="loader")["Credentials"]
    boto3.client("ec2", region_name="us-east-1", endpoint_url=server.url, aws_access_key_id=cr["AccessKeyId"],
                 aws_secret_access_key=cr["SecretAccessKey"], aws_session_token=cr["SessionToken"]
                 ).create_volume(AvailabilityZone="us-east-1a", Size=1, Encrypted=True)
    use_env(monkeypatch, proxy.url)
    from scanner.cli import main
    out = tmp_path / "role.json"
    main(["audit", "aws", "--role-arn", f"arn:aws:iam::{target}:role/Auditor", "--external-id", "x-123",
          "--regions", "us-east-1", "--format", "json", "-o", str(out), "--quiet"])
    doc = json.loads(out.read_text())
    assert doc["scope"]["accounts"] == [target]
    [vol] = by(doc, "ENC-03", "aws_ebs_volume")
    assert vol["status"] == "pass" and vol["resource"]["account"] == target
    assert proxy.seen[("sts", "AssumeRole", "us-east-1")] == 1
    # a role that cannot be assumed: the audit cannot run at all
    proxy.fail("sts", "AssumeRole", error="AccessDenied")
    r = run_cli("audit", "aws", "--role-arn", f"arn:aws:iam::{target}:role/Auditor", "--regions", "us-east-1",
                "-o", tmp_path / "no.json")
    assert r.returncode == 3 and "could not assume" in r.stderr and "AccessDenied" in r.stderr


# ----------------------------------------------------------------------------- tags read in bulk
# each service's own tag call, which tag:GetResources replaces for the types it covers
OWN_TAG_CALLS = {("sqs", "ListQueueTags"), ("sns", "ListTagsForResource"), ("dynamodb", "ListTagsOfResource"),
                 ("kms", "ListResourceTags"), ("elasticache", "ListTagsForResource"), ("lambda", "ListTags")}


def _tag_ops(proxy, region=None):
    """Those of OWN_TAG_CALLS that reached the wire (in ``region``)."""
    return {(s, op) for (s, op, r), n in proxy.seen.items()
            if n and (s, op) in OWN_TAG_CALLS and (region is None or r == region)}


def _tag01(doc):
    return {(f["resource"]["type"], f["resource"]["address"]): f["status"] for f in by(doc, "TAG-01")}


def _collect(monkeypatch, proxy, *extra):
    """The audit's resources, in-process, to read where each field came from (Origin.api)."""
    from scanner.cli import build_parser
    from scanner.results import Run
    from scanner.sources.aws import audit as aws_audit
    use_env(monkeypatch, proxy.url)
    args = build_parser().parse_args(["audit", "aws", "--regions", REGIONS, "--quiet", *extra])
    run = Run(command="audit aws")
    return aws_audit.collect(args, run), run


# the platform's queues: the orders queue and its DLQ, the risk engine's queue and its DLQ (MSG-01)
QUEUES = 4
FUNCTIONS = 2   # the orders persister and the order events function (us-east-1)
BULK_TYPES = ("aws_sqs_queue", "aws_sns_topic", "aws_dynamodb_table", "aws_kms_key",
              "aws_elasticache_replication_group", "aws_lambda_function")


def test_tags_are_read_once_per_region_with_the_tagging_api(platform, servers, monkeypatch, tmp_path):
    _, proxy = servers
    without_faults(proxy)
    proxy.seen.clear()
    resources, run = _collect(monkeypatch, proxy)
    assert run.coverage == []
    # one tag:GetResources per region that has resources of those types (a page holds 100), none per resource
    assert proxy.seen[("tagging", "GetResources", "us-east-1")] == 1
    assert proxy.seen[("tagging", "GetResources", "us-west-2")] == 1   # the DR key lives there
    assert _tag_ops(proxy) == set()
    bulk = [r for r in resources if r.type in BULK_TYPES]
    assert {r.type for r in bulk} == set(BULK_TYPES) and len(bulk) == 6 + QUEUES + FUNCTIONS
    for r in bulk:
        assert r["tags"].origin.api == "tag:GetResources", r.address
        assert r["tags"].value["Project"] == "quantum-trading", r.address
    # the Name tag still names a KMS key, though its tags came in bulk
    assert {r.name for r in bulk if r.type == "aws_kms_key"} == {"qts-prod-data", "qts-prod-dr-backups"}
    # types the Tagging API is not used for keep their own call
    [stream] = [r for r in resources if r.type == "aws_kinesis_stream"]
    assert stream["tags"].origin.api == "kinesis:ListTagsForStream"
    rc, doc = audit(monkeypatch, proxy, tmp_path)
    assert {s for (t, _), s in _tag01(doc).items() if t in BULK_TYPES} == {"pass"}


def test_a_tagging_read_that_succeeded_without_the_resource_means_no_tags(platform, servers, monkeypatch, tmp_path):
    _, proxy = servers
    without_faults(proxy)
    sqs = client(servers[0].url, "sqs")
    url = sqs.create_queue(QueueName="qts-prod-untagged")["QueueUrl"]
    try:
        resources, _ = _collect(monkeypatch, proxy)
        [q] = [r for r in resources if r.name == "qts-prod-untagged"]
        assert q["tags"].value == {} and q["tags"].origin.api == "tag:GetResources"
        rc, doc = audit(monkeypatch, proxy, tmp_path)
        [f] = by(doc, "TAG-01", "aws_sqs_queue", "qts-prod-untagged")
        assert f["status"] == "fail" and "Environment is missing" in f["message"]
    finally:
        sqs.delete_queue(QueueUrl=url)


@pytest.mark.parametrize("error", ["AccessDenied", "Throttling"])
def test_a_failed_tagging_read_falls_back_to_each_services_tag_call(platform, servers, monkeypatch, tmp_path, error):
    _, proxy = servers
    without_faults(proxy)
    rc, clean = audit(monkeypatch, proxy, tmp_path)
    proxy.fail("tagging", "GetResources", region="us-east-1", error=error)
    proxy.seen.clear()
    rc, doc = audit(monkeypatch, proxy, tmp_path, "--max-attempts", "2")
    # the same verdicts: a resource missing from an answer that never came is not "untagged"
    assert _tag01(doc) == _tag01(clean)
    assert {s for (t, _), s in _tag01(doc).items() if t in BULK_TYPES} == {"pass"}
    # us-east-1 read each resource's tags with the service's own call; us-west-2 still used the Tagging API
    assert _tag_ops(proxy, "us-east-1") == OWN_TAG_CALLS
    assert _tag_ops(proxy, "us-west-2") == set()
    assert proxy.seen[("tagging", "GetResources", "us-east-1")] == (1 if error == "AccessDenied" else 2)
    # one coverage entry says what failed and what was done instead; nothing else is missing
    [entry] = doc["coverage"]
    code = "AccessDeniedException" if error == "AccessDenied" else "ThrottlingException"
    assert (entry["kind"], entry["service"], entry["operation"], entry["region"], entry["error"], entry["calls"]) == \
        ("api-error", "tag", "GetResources", "us-east-1", code, 1)
    assert entry["message"] == (f"tag:GetResources, us-east-1, account {ACCOUNT}: {code}; "
                                "tags were read with each service's own tag call instead")
    # and the evidence names the calls that really answered
    resources, _ = _collect(monkeypatch, proxy, "--max-attempts", "2")
    apis = {(r.type, r.context["region"]): r["tags"].origin.api for r in resources if r.type in BULK_TYPES}
    assert apis == {("aws_sqs_queue", "us-east-1"): "sqs:ListQueueTags",
                    ("aws_sns_topic", "us-east-1"): "sns:ListTagsForResource",
                    ("aws_dynamodb_table", "us-east-1"): "dynamodb:ListTagsOfResource",
                    ("aws_kms_key", "us-east-1"): "kms:ListResourceTags",
                    ("aws_elasticache_replication_group", "us-east-1"): "elasticache:ListTagsForResource",
                    ("aws_lambda_function", "us-east-1"): "lambda:ListTags",
                    ("aws_kms_key", "us-west-2"): "tag:GetResources"}


def test_tagging_denied_and_the_own_tag_call_denied_is_unknown_never_untagged(platform, servers, monkeypatch,
                                                                            tmp_path):
    _, proxy = servers
    without_faults(proxy)
    proxy.fail("tagging", "GetResources", error="AccessDenied")
    proxy.fail("sqs", "ListQueueTags", error="AccessDenied")
    proxy.fail("lambda", "ListTags", error="AccessDenied")
    rc, doc = audit(monkeypatch, proxy, tmp_path)
    queues = by(doc, "TAG-01", "aws_sqs_queue")
    assert len(queues) == QUEUES and {f["status"] for f in queues} == {"unknown"}
    assert all("sqs:ListQueueTags" in f["message"] and "AccessDenied" in f["message"] for f in queues)
    functions = by(doc, "TAG-01", "aws_lambda_function")
    assert len(functions) == FUNCTIONS and {f["status"] for f in functions} == {"unknown"}
    assert all("lambda:ListTags" in f["message"] and "AccessDenied" in f["message"] for f in functions)
    assert by(doc, "TAG-01", "aws_sns_topic")[0]["status"] == "pass"   # its own call answered
    ops = {c["operation"] for c in doc["coverage"]}
    assert ops == {"GetResources", "ListQueueTags", "ListTags"}


def test_calls_per_resource_stay_within_the_bound(fresh, monkeypatch, tmp_path):
    """An account of mostly SQS, SNS, DynamoDB and KMS (the benchmark's 4:2:2:1): at most 1.5 calls
    per resource plus a fixed number per region and service, counted on the wire as the benchmark does.
    Loaded twice over, so the per-resource slope is measured apart from the fixed part."""
    server, proxy = fresh
    regions = REGIONS.split(",")
    services = 15   # the 14 regional collectors and the Tagging API
    fixed = 2 * (len(regions) * services) + 5   # two calls each (a listing and a spare page); STS, S3, CloudFront

    def load(batch: int, per: dict) -> int:
        for region in regions:
            c = lambda s: client(server.url, s, region)  # noqa: E731
            sqs, sns, ddb, kms = c("sqs"), c("sns"), c("dynamodb"), c("kms")
            for i in range(per["sqs"]):
                sqs.create_queue(QueueName=f"q{batch}-{i}", tags={"Environment": "prod"})
            for i in range(per["sns"]):
                sns.create_topic(Name=f"t{batch}-{i}", Tags=[{"Key": "Environment", "Value": "prod"}])
            for i in range(per["dynamodb"]):
                ddb.create_table(TableName=f"tb{batch}-{i}", BillingMode="PAY_PER_REQUEST",
                                 KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                 AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                                 Tags=[{"Key": "Environment", "Value": "prod"}])
            for i in range(per["kms"]):
                kms.create_key(Tags=[{"TagKey": "Environment", "TagValue": "prod"}])
        return len(regions) * sum(per.values())

    def calls(coverage: int = 0) -> tuple[int, dict]:
        proxy.seen.clear()
        rc, doc = audit(monkeypatch, proxy, tmp_path)
        assert len(doc["coverage"]) == coverage
        assert {f["status"] for f in by(doc, "ENC-05")} == {"fail"}   # the keys were read (rotation off)
        assert {f["status"] for f in by(doc, "TAG-01")} == {"fail"}   # tags read: Environment only
        return proxy.total, dict(proxy.seen)

    per = {"sqs": 12, "sns": 6, "dynamodb": 6, "kms": 3}
    n1 = load(1, per)
    c1, seen1 = calls()
    n2 = n1 + load(2, per)
    c2, seen2 = calls()
    assert c1 <= 1.5 * n1 + fixed, (c1, n1)
    assert c2 <= 1.5 * n2 + fixed, (c2, n2)
    assert c2 - c1 <= 1.5 * (n2 - n1), (c1, c2)   # the per-resource part
    # the Tagging API's cost is per region, not per resource
    assert sum(n for (s, _, _), n in seen2.items() if s == "tagging") == len(regions)
    assert not _tag_ops(proxy)
    # the bound is tight enough to matter: one tag call per resource (the fallback) breaks it
    proxy.fail("tagging", "GetResources", error="AccessDenied")
    c3, _ = calls(coverage=len(regions))
    assert c3 > 1.5 * n2 + fixed, (c3, n2)
