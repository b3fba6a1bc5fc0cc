"""The AWS read-only guard is an allow-list: exactly the audit's operation table, refused before sending.

The table (scanner/sources/aws/ops.OPERATIONS) is what --print-iam-policy grants;
tests/test_aws_audit.py checks that every operation the audit makes on the wire is
in it.  Here: that nothing else gets through, not even reads with harmless names.
"""
from __future__ import annotations

import pytest

from aws_support import ACCOUNT, servers  # noqa: F401 (a fixture)

# reads by name that return secrets or mint credentials: each got through a Describe/List/Get rule
DANGEROUS = [
    ("ssm", "GetParameterHistory", {"Name": "/prod/db/password", "WithDecryption": True}),
    ("sts", "GetSessionToken", {}),
    ("sts", "GetFederationToken", {"Name": "specguard"}),
    ("ecr", "GetAuthorizationToken", {}),
    ("redshift", "GetClusterCredentials", {"DbUser": "admin", "ClusterIdentifier": "warehouse"}),
    # and reads of data, not configuration, of services the audit does read
    ("rds", "DownloadDBLogFilePortion", {"DBInstanceIdentifier": "db", "LogFileName": "error/postgres.log"}),
    ("secretsmanager", "GetSecretValue", {"SecretId": "x"}),
    ("kms", "GetPublicKey", {"KeyId": "alias/x"}),
    ("s3", "GetObject", {"Bucket": "b", "Key": "k"}),
    ("dynamodb", "Scan", {"TableName": "t"}),
]


def _session():
    import boto3
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing-secret",
                         region_name="us-east-1")


@pytest.mark.parametrize("service,op,params", DANGEROUS, ids=[f"{s}:{o}" for s, o, _ in DANGEROUS])
def test_operations_outside_the_table_are_refused_before_anything_is_sent(servers, monkeypatch, service, op,
                                                                         params):
    from scanner.sources.aws.guard import Calls, ReadOnlyViolation
    _, proxy = servers
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    proxy.seen.clear()
    calls = Calls(concurrency=2, max_attempts=1)
    c = calls.client(_session(), service, "us-east-1")
    with pytest.raises(ReadOnlyViolation, match=f"refused .*:{op}: not one of the operations"):
        calls.call(c, op, ACCOUNT, "us-east-1", **params)
    # a paginated call is refused the same way
    if c.can_paginate(_snake(op)):
        with pytest.raises(ReadOnlyViolation):
            calls.pages(c, op, "x", ACCOUNT, "us-east-1", **params)
    assert calls.attempts == 0 and not calls.operations and not calls.failures
    assert proxy.total == 0, dict(proxy.seen)


def test_an_operation_of_the_table_goes_through_the_same_client(servers, monkeypatch):
    from scanner.sources.aws.guard import Calls, Failure
    _, proxy = servers
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    proxy.seen.clear()
    calls = Calls(concurrency=2, max_attempts=1)
    c = calls.client(_session(), "sts", "us-east-1")
    got = calls.call(c, "GetCallerIdentity", ACCOUNT, "global")
    assert not isinstance(got, Failure) and got["Account"] == ACCOUNT
    assert calls.operations == {("sts", "GetCallerIdentity"): 1} and proxy.total == 1


def test_the_allow_list_is_exactly_the_operation_table():
    """Every operation of every service botocore knows: allowed if and only if it is in the table."""
    import botocore.session
    from scanner.sources.aws.ops import OPERATIONS, is_read_only
    bs = botocore.session.get_session()
    services = {s for s, _ in OPERATIONS} | {"ssm", "ecr", "redshift", "iam", "lambda", "organizations",
                                             "sso", "cognito-identity", "codeartifact", "rds-data"}
    allowed = set()
    checked = 0
    for service in sorted(services):
        model = bs.get_service_model(service)
        for op in model.operation_names:
            checked += 1
            if is_read_only(service, op):
                allowed.add((service, op))
    assert allowed == set(OPERATIONS)   # no more: nothing outside the table; no less: the table is real
    assert checked > 1500
    # the table names operations botocore really has (a typo would be an operation never allowed)
    for service, op in OPERATIONS:
        assert op in bs.get_service_model(service).operation_names, (service, op)


def _snake(op: str) -> str:
    from botocore import xform_name
    return xform_name(op)
