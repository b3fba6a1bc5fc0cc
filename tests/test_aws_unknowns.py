"""A failed AWS call never passes what it hid: every read the audit makes, failed in turn.

The violating trading platform (tests/aws_support.load_platform), plus a database on
an AWS default parameter group and a second region whose KMS alias has the same name
as the first's, is audited once cleanly.  Then each operation the collectors make is
answered with an error by the proxy in front of moto, and the audit's findings are
compared with the clean ones:

* every clean finding is still there with the same status or ``unknown``, or an
  unknown placeholder of the same control and type stands for it;
* nothing that was not there appears, except as ``unknown``;
* no control's overall status improves (fail -> pass, unknown -> pass);
* the failed operation is a coverage entry.
"""
from __future__ import annotations

import json

import pytest

from aws_support import ACCOUNT, client, load_platform, use_env, servers  # noqa: F401 (a fixture)

REGIONS = "us-east-1,us-west-2"
ALIAS = "alias/qts-prod-data"   # the platform's us-east-1 data key; us-west-2 gets a key of the same alias
WEST_BUCKET = "qts-prod-west-exports-1a2b3c4d"

# (proxy service, proxy operation): every read of every collector.  Listings first, then the reads
# that depend on what a listing returned.
READS = [
    ("ec2", "DescribeSecurityGroups"), ("ec2", "DescribeVolumes"),
    ("rds", "DescribeDBInstances"), ("rds", "DescribeDBClusters"), ("rds", "DescribeDBParameterGroups"),
    ("rds", "DescribeDBParameters"), ("rds", "DescribeDBClusterParameterGroups"),
    ("rds", "DescribeDBClusterParameters"), ("rds", "ListTagsForResource"),
    ("kms", "ListKeys"), ("kms", "DescribeKey"), ("kms", "GetKeyRotationStatus"),
    ("elasticloadbalancing", "DescribeLoadBalancers"), ("elasticloadbalancing", "DescribeListeners"),
    ("elasticloadbalancing", "DescribeTags"),
    ("apigateway", "GetDomainNames"), ("apigateway", "GetDomainNamesV2"),
    ("elasticfilesystem", "DescribeFileSystems"),
    ("dynamodb", "ListTables"), ("dynamodb", "DescribeTable"), ("dynamodb", "DescribeContinuousBackups"),
    ("elasticache", "DescribeReplicationGroups"),
    ("kinesis", "ListStreams"), ("kinesis", "DescribeStreamSummary"), ("kinesis", "ListTagsForStream"),
    ("sqs", "ListQueues"), ("sqs", "GetQueueAttributes"),
    ("sns", "ListTopics"), ("sns", "GetTopicAttributes"),
    ("secretsmanager", "ListSecrets"),
    ("backup", "ListBackupPlans"), ("backup", "GetBackupPlan"), ("backup", "ListBackupSelections"),
    ("backup", "GetBackupSelection"), ("backup", "ListTags"),
    ("s3", "ListBuckets"), ("s3", "GetBucketEncryption"), ("s3", "GetBucketVersioning"), ("s3", "GetBucketTagging"),
    ("cloudfront", "ListDistributions"), ("cloudfront", "ListTagsForResource"),
    ("tagging", "GetResources"),
    # issue 16: VPCs and flow logs, web ACLs, REST API stages, Lambda functions
    ("ec2", "DescribeVpcs"), ("ec2", "DescribeFlowLogs"), ("wafv2", "GetWebACLForResource"),
    ("apigateway", "GetRestApis"), ("apigateway", "GetStages"), ("lambda", "ListFunctions"),
    # issue 17 (SEC-01, DR-01): global clusters, bucket replication
    ("rds", "DescribeGlobalClusters"), ("s3", "GetBucketReplication"),
    # made where ListBuckets gives no BucketRegion (moto never does)
    ("s3", "GetBucketLocation"),
]
ORDER = {"pass": 0, "unknown": 1, "fail": 2}


@pytest.fixture(scope="module")
def platform(servers):
    server, proxy = servers
    server.reset()
    proxy.clear()
    load_platform(server.url, True, proxy)
    # a database on the AWS default group of its family (default.postgres14: rds.force_ssl off)
    client(server.url, "rds").create_db_instance(
        DBInstanceIdentifier="qts-prod-legacy", Engine="postgres", EngineVersion="14.10",
        DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="legacy",
        MasterUserPassword="not-a-real-password-1", StorageEncrypted=True,
        Tags=[{"Key": k, "Value": v} for k, v in
              {"Environment": "prod", "Project": "quantum-trading", "CostCenter": "CC-4410",
               "Owner": "platform-team"}.items()])
    # us-west-2: a key behind the same alias name, and a bucket that names the key by that alias
    kms = client(server.url, "kms", "us-west-2")
    west = kms.create_key(Description="west data")["KeyMetadata"]
    kms.create_alias(AliasName=ALIAS, TargetKeyId=west["KeyId"])
    s3 = client(server.url, "s3", "us-west-2")
    s3.create_bucket(Bucket=WEST_BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    s3.put_bucket_encryption(Bucket=WEST_BUCKET, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": ALIAS}}]})
    return server, proxy


def audit(monkeypatch, proxy, tmp_path, *extra, regions=REGIONS):
    from scanner.cli import main
    from scanner.results import validate
    use_env(monkeypatch, proxy.url)
    out = tmp_path / "out.json"
    where = ["--regions", regions] if regions else []
    # botocore's retries stay on: AccessDenied is not retried, a connection dropped by the loaded
    # test servers is, so only the fault a test asks for shows
    rc = main(["audit", "aws", *where, "--format", "json", "-o", str(out), "--quiet", *extra])
    doc = json.loads(out.read_text())
    validate(doc)
    return doc


def _clean(platform, tmp_path_factory, regions):
    _, proxy = platform
    proxy.rules.clear()
    mp = pytest.MonkeyPatch()
    try:
        doc = audit(mp, proxy, tmp_path_factory.mktemp("clean"), regions=regions)
    finally:
        mp.undo()
    # the only failure of a clean run: the violating cluster's key lives in an account moto cannot read
    assert [(c["operation"], c["error"]) for c in doc["coverage"]] == [("DescribeKey", "NotFoundException")], \
        doc["coverage"]
    return doc


@pytest.fixture(scope="module")
def clean(platform, tmp_path_factory):
    return _clean(platform, tmp_path_factory, REGIONS)


@pytest.fixture(scope="module")
def clean_east(platform, tmp_path_factory):
    """The matrix audits us-east-1 only, where the platform lives: every collector still runs."""
    return _clean(platform, tmp_path_factory, "us-east-1")


def findings(doc) -> dict[tuple[str, str], dict]:
    return {(f["control_id"], f["resource"]["address"]): f for f in doc["findings"]}


def status_of_controls(doc) -> dict[str, str]:
    return {c["id"]: c["status"] for c in doc["controls"]}


def assert_nothing_hidden(clean: dict, faulted: dict) -> None:
    before, after = findings(clean), findings(faulted)
    placeholders = {(f["control_id"], f["resource"]["type"], f["resource"]["account"])
                    for f in faulted["findings"] if "*" in f["resource"]["address"] and f["status"] == "unknown"}
    problems = []
    for (control, address), f in sorted(before.items()):
        g = after.get((control, address))
        if g is not None:
            if g["status"] not in (f["status"], "unknown"):
                problems.append(f"{control} {address}: {f['status']} -> {g['status']}")
        elif (control, f["resource"]["type"], f["resource"]["account"]) not in placeholders:
            problems.append(f"{control} {address} ({f['status']}) vanished with no unknown in its place")
    for key, g in sorted(after.items()):
        if key not in before and g["status"] != "unknown":
            problems.append(f"{key[0]} {key[1]}: new finding {g['status']}")
    was, now = status_of_controls(clean), status_of_controls(faulted)
    for control, status in sorted(was.items()):
        if now.get(control) is not None and status != "pass" and now[control] == "pass":
            problems.append(f"control {control}: {status} -> pass")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("service,op", READS, ids=[f"{s}:{o}" for s, o in READS])
def test_a_failed_read_leaves_unknowns_for_everything_it_fed(platform, clean_east, monkeypatch, tmp_path, service,
                                                             op):
    _, proxy = platform
    proxy.rules.clear()
    proxy.seen.clear()
    proxy.fail(service, op, error="AccessDenied")
    doc = audit(monkeypatch, proxy, tmp_path, regions="us-east-1")
    assert proxy.seen[(service, op, "us-east-1")], f"the audit never made {service}:{op}: the fault tested nothing"
    entries = [c for c in doc["coverage"] if c.get("operation") == op.removesuffix("V2")]
    assert entries and all(c["error"].startswith("AccessDenied") for c in entries), doc["coverage"]
    assert_nothing_hidden(clean_east, doc)


def test_default_parameter_groups_are_unknown_when_the_instance_listing_fails(platform, clean, monkeypatch,
                                                                              tmp_path):
    """The case that passed: only groups a listed database uses were kept, so with the listing denied
    the default group's TLS-03 failure vanished and the control read pass."""
    _, proxy = platform
    group = f"arn:aws:rds:us-east-1:{ACCOUNT}:pg:default.postgres14"
    [was] = [f for f in clean["findings"] if f["control_id"] == "TLS-03" and f["resource"]["address"] == group]
    assert was["status"] == "fail"
    proxy.rules.clear()
    proxy.fail("rds", "DescribeDBInstances", region="us-east-1", error="AccessDenied")
    doc = audit(monkeypatch, proxy, tmp_path)
    [now] = [f for f in doc["findings"] if f["control_id"] == "TLS-03" and f["resource"]["address"] == group]
    assert now["status"] == "unknown"
    assert "default.postgres14" in now["message"] and "rds:DescribeDBInstances" in now["message"] \
        and "AccessDenied" in now["message"], now["message"]
    assert status_of_controls(doc)["TLS-03"] != "pass"
    # the unused default groups of the other region are not dragged in: its listing worked
    assert not [f for f in doc["findings"] if f["resource"]["region"] == "us-west-2"
                and f["resource"]["type"] == "aws_db_parameter_group" and f["status"] == "unknown"]


def test_a_region_list_that_fails_leaves_the_other_regions_unknown(platform, clean, monkeypatch, tmp_path):
    """Without --regions the audit lists the account's regions; denied, it audits the home region and
    placeholders stand for everything of the regions it could not name."""
    _, proxy = platform
    proxy.rules.clear()
    proxy.fail("ec2", "DescribeRegions", error="AccessDenied")
    doc = audit(monkeypatch, proxy, tmp_path, regions=None)
    kinds = {c["kind"] for c in doc["coverage"] if c.get("operation", "").endswith("DescribeRegions")}
    assert kinds == {"regions-unknown", "api-error"}
    west = [f for f in clean["findings"] if f["resource"]["region"] == "us-west-2"]
    assert west   # the clean audit (both regions named) saw resources there
    assert_nothing_hidden(clean, doc)
    # the bucket of us-west-2 is still read in its region, since which regions are enabled is not known
    assert [f["status"] for f in doc["findings"] if f["control_id"] == "BAK-03"
            and f["resource"]["name"] == WEST_BUCKET] == ["fail"]


def test_key_answers_are_per_region_and_identical_runs_give_identical_coverage(platform, clean, monkeypatch,
                                                                               tmp_path):
    """The same alias names a different key in each region: a failure in us-west-2 is cited for
    us-west-2 only, whichever thread asks first, and the coverage is the same run after run."""
    _, proxy = platform
    profile = tmp_path / "cmk.yaml"   # ENC-02 asks who manages the bucket's key only with require_cmk
    profile.write_text("name: cmk\ncontrols:\n  ENC-02:\n    params:\n      require_cmk: true\n")

    def run(n):
        proxy.rules.clear()
        proxy.fail("kms", "DescribeKey", region="us-west-2", error="AccessDenied")
        return audit(monkeypatch, proxy, tmp_path / str(n), "--profile", str(profile))

    (tmp_path / "1").mkdir()
    (tmp_path / "2").mkdir()
    first, second = run(1), run(2)
    assert first["coverage"] == second["coverage"]
    keys = [c for c in first["coverage"] if c["operation"] == "DescribeKey" and c["error"].startswith("AccessDenied")]
    assert [c["region"] for c in keys] == ["us-west-2"]
    enc = {f["resource"]["name"]: f for f in first["findings"] if f["control_id"] == "ENC-02"
           and f["resource"]["type"] == "aws_s3_bucket"}
    west = enc[WEST_BUCKET]
    assert west["status"] == "unknown" and "us-west-2" in west["message"] and "us-east-1" not in west["message"]
    east = enc["qts-prod-historical-data-1a2b3c4d"]   # the same alias name, in us-east-1: read there
    assert east["status"] == "pass" and east["evidence"]["KeyManager"] == "customer"
    assert findings(first).keys() == findings(second).keys()
    assert {k: f["status"] for k, f in findings(first).items()} == \
        {k: f["status"] for k, f in findings(second).items()}
