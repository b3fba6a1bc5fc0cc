"""IAM-01 and IAM-02 live, against moto's server through the fault proxy (tests/aws_support.py).

* the violating platform's policies give the plan fixture's IAM-01 verdicts (the vendor policy the
  plan reads after apply is known live), and its console users IAM-02's live-only verdicts;
* IAM is read once per account, however many regions are audited;
* the credential report is polled until ready (bounded): a report never ready, a denied or failed
  call of each IAM read leaves unknowns and a coverage entry, never a pass;
* nothing of the credential report but user name, password_enabled and mfa_active is kept, and no
  output holds a console password;
* the read-only guard lets GenerateCredentialReport through, and no other IAM Generate* call.
"""
from __future__ import annotations

import json
import pathlib

import pytest
import yaml

from aws_support import ACCOUNT, CONSOLE_PASSWORD, client, load_platform, use_env, servers  # noqa: F401 (a fixture)

ROOT = pathlib.Path(__file__).resolve().parent.parent
REGIONS = "us-east-1,us-west-2"
IAM_READS = ["ListPolicies", "GetPolicyVersion", "ListPolicyTags", "ListRoles", "ListRolePolicies", "GetRolePolicy",
             "GenerateCredentialReport", "GetCredentialReport"]


@pytest.fixture(scope="module")
def platform(servers):
    server, proxy = servers
    server.reset()
    proxy.clear()
    out = load_platform(server.url, True, proxy)
    # an access key for the MFA user: the report then has dates and key columns that must not be kept
    client(server.url, "iam").create_access_key(UserName="qts-prod-alice")
    return out


def audit(monkeypatch, proxy, tmp_path, *formats):
    from scanner.cli import main
    from scanner.results import validate
    use_env(monkeypatch, proxy.url)
    out = tmp_path / "out.json"
    args = ["audit", "aws", "--regions", REGIONS, "--format", "json", "-o", str(out), "--quiet"]
    for fmt in formats:
        args += ["--format", fmt, "-o", str(tmp_path / f"out.{fmt}")]
    rc = main(args)
    doc = json.loads(out.read_text())
    validate(doc)
    return rc, doc


def iam_findings(doc) -> dict[tuple, tuple]:
    return {(f["control_id"], f["resource"]["type"], f["resource"]["name"]): (f["status"], f["message"])
            for f in doc["findings"] if f["control_id"].startswith("IAM")
            or f["resource"]["type"].startswith("aws_iam_")}


def test_live_iam_verdicts(platform, servers, monkeypatch, tmp_path):
    from test_aws_parity import PLAN_UNKNOWN, ROLES
    _, proxy = servers
    proxy.rules.clear()
    proxy.seen.clear()
    rc, doc = audit(monkeypatch, proxy, tmp_path, "html", "sarif", "junit", "markdown")
    live = iam_findings(doc)
    # IAM-01 (and TAG-01 of the managed policies) as the violating plan fixture says
    expected = yaml.safe_load((ROOT / "fixtures/aws-platform/violating/expected.yaml").read_text())
    want = {}
    for address, verdicts in expected.items():
        if ".aws_iam_policy." in address or ".aws_iam_role_policy." in address:
            rtype = "aws_iam_policy" if ".aws_iam_policy." in address else "aws_iam_role_policy"
            for cid, status in verdicts.items():
                known = PLAN_UNKNOWN.get(("violating", cid, ROLES[address]))
                want[(cid, rtype, ROLES[address])] = known[1] if known else status
    assert want and {k: v[0] for k, v in live.items() if k[0] != "IAM-02"} == want
    assert live[("IAM-01", "aws_iam_policy", "qts-prod-break-glass")][0] == "fail"
    assert "NotAction" in live[("IAM-01", "aws_iam_role_policy", "qts-prod-orders-lambda:orders-operators")][1]
    # IAM-02: live only. alice has an MFA device, bob has none, the deployer has no console password
    assert {k: v[0] for k, v in live.items() if k[0] == "IAM-02"} == {
        ("IAM-02", "aws_iam_user", "qts-prod-alice"): "pass", ("IAM-02", "aws_iam_user", "qts-prod-bob"): "fail"}
    bob = next(f for f in doc["findings"] if f["control_id"] == "IAM-02" and f["resource"]["name"] == "qts-prod-bob")
    assert bob["evidence"]["observed_via"] == ["iam:GetCredentialReport"] and bob["severity"] == "high"
    assert not [c for c in doc["coverage"] if "iam" in json.dumps(c)], doc["coverage"]
    # IAM is global: read once per account although two regions were audited
    iam_ops = {}
    for (service, op, _region), n in proxy.seen.items():
        if service == "iam":
            iam_ops[op] = iam_ops.get(op, 0) + n
    assert iam_ops["ListPolicies"] == iam_ops["ListRoles"] == iam_ops["GetCredentialReport"] == 1, iam_ops
    assert iam_ops["GetPolicyVersion"] == iam_ops["ListPolicyTags"] == 2    # two customer-managed policies
    assert iam_ops["GetRolePolicy"] == 3 and 1 <= iam_ops["GenerateCredentialReport"] <= 2
    # no output holds the console password, nor any column of the report but the three read
    for path in tmp_path.iterdir():
        text = path.read_text(errors="replace")
        assert CONSOLE_PASSWORD not in text, path
        for column in ("access_key_1", "password_last", "user_creation_time", "cert_1"):
            assert column not in text, (path, column)


def _scope(monkeypatch, proxy):
    import boto3
    from scanner.sources.aws.guard import Calls
    from scanner.sources.aws.scope import KeyManagers, Scope
    use_env(monkeypatch, proxy.url)
    calls = Calls(concurrency=4, max_attempts=2)
    return Scope(calls, boto3.Session(), ACCOUNT, "global", "aws", KeyManagers(), None, "us-east-1")


def _collect(scope):
    from scanner.sources.aws import collect_iam
    return collect_iam.policies(scope) + collect_iam.role_policies(scope) + collect_iam.console_users(scope)


def _verdicts(resources) -> dict[tuple, str]:
    from scanner.engine import evaluate
    from scanner.profile import spec_profile
    return {(f.control_id, f.resource.type, f.resource.name): f.status for f in evaluate(resources, spec_profile())}


def test_only_three_fields_of_the_credential_report_are_kept(platform, servers, monkeypatch):
    from scanner.sources.aws import collect_iam
    _, proxy = servers
    proxy.rules.clear()
    users = collect_iam.console_users(_scope(monkeypatch, proxy))
    assert {u.name for u in users} == {"qts-prod-alice", "qts-prod-deployer", "qts-prod-bob"}
    for u in users:
        assert set(u.raw) == {"user", "password_enabled", "mfa_active"}, u.raw
        assert u.raw_api == "iam:GetCredentialReport"
    # the parser keeps the three columns whatever else a report holds, and no row of the root user
    rows = collect_iam.parse(
        "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
        "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated\n"
        "<root_account>,arn:aws:iam::1:root,2024-01-01T00:00:00+00:00,not_supported,2025-01-01T00:00:00+00:00,"
        "not_supported,not_supported,true,false,N/A\n"
        "carol,arn:aws:iam::1:user/carol,2024-01-01T00:00:00+00:00,true,no_information,2024-01-01T00:00:00+00:00,"
        "N/A,false,true,2024-02-02T00:00:00+00:00\n".encode())
    assert rows == [{"user": "<root_account>", "password_enabled": "not_supported", "mfa_active": "true"},
                    {"user": "carol", "password_enabled": "true", "mfa_active": "false"}]
    with pytest.raises(ValueError, match="mfa_active"):
        collect_iam.parse(b"user,arn,password_enabled\nx,y,true\n")


@pytest.fixture(scope="module")
def clean(platform, servers):
    """The IAM collectors' verdicts with nothing failing."""
    _, proxy = servers
    proxy.rules.clear()
    with pytest.MonkeyPatch.context() as mp:
        got = _verdicts(_collect(_scope(mp, proxy)))
    assert got[("IAM-01", "aws_iam_policy", "qts-prod-break-glass")] == "fail"
    assert got[("IAM-02", "aws_iam_user", "qts-prod-bob")] == "fail"
    return got


@pytest.mark.parametrize("op", IAM_READS)
def test_a_failed_iam_read_is_unknown_and_a_coverage_entry_never_a_pass(clean, servers, monkeypatch, op):
    from scanner.sources.aws import collect_iam
    _, proxy = servers
    monkeypatch.setattr(collect_iam, "REPORT_WAITS", (0.05,) * 4)
    proxy.fail("iam", op, error="AccessDenied")
    try:
        scope = _scope(monkeypatch, proxy)
        got = _verdicts(_collect(scope))
    finally:
        proxy.rules.clear()
    assert [f.api for f in scope.calls.failures] and {f.api for f in scope.calls.failures} == {f"iam:{op}"}
    for key, status in clean.items():
        now = got.get(key)
        if now is None:   # the resource was not listed: a placeholder of its control and type stands for it
            assert any(k[0] == key[0] and k[1] == key[1] and v == "unknown" for k, v in got.items()), (op, key)
            continue
        assert now == status or now == "unknown", (op, key, status, now)
    for key, status in got.items():
        if key not in clean:
            assert status == "unknown", (op, key, status)
    assert not any(got.get(k) == "pass" and v != "pass" for k, v in clean.items())
    assert "unknown" in got.values()   # something the failed read fed is unknown


def test_a_report_never_ready_is_unknown_with_a_coverage_entry(platform, servers, monkeypatch, tmp_path):
    from scanner.sources.aws import collect_iam
    _, proxy = servers
    proxy.rules.clear()
    monkeypatch.setattr(collect_iam, "REPORT_WAITS", (0.05, 0.05, 0.05))
    proxy.patch("iam", "GenerateCredentialReport", lambda body: body.replace(b"COMPLETE", b"INPROGRESS"))
    try:
        proxy.seen.clear()
        _, doc = audit(monkeypatch, proxy, tmp_path)
    finally:
        proxy.patches.clear()
    users = [f for f in doc["findings"] if f["control_id"] == "IAM-02"]
    assert [f["status"] for f in users] == ["unknown"] and "not ready" in users[0]["message"]
    entry = [c for c in doc["coverage"] if c.get("operation") == "GenerateCredentialReport"]
    assert len(entry) == 1 and "not ready after" in entry[0]["message"]
    generated = sum(n for (s, op, _), n in proxy.seen.items() if op == "GenerateCredentialReport")
    assert generated == 1 + len(collect_iam.REPORT_WAITS)   # bounded
    assert not any(op == "GetCredentialReport" for (_, op, _) in proxy.seen)


def test_the_guard_lets_through_generate_credential_report_and_no_other_generate_call():
    import botocore.session
    from scanner.sources.aws.ops import NOT_NAMED_AS_READS, OPERATIONS, is_read_only
    iam = botocore.session.get_session().get_service_model("iam")
    generate = {op for op in iam.operation_names if op.startswith("Generate")}
    assert len(generate) >= 3   # credential report, service last accessed details, organizations access report
    assert {op for op in generate if is_read_only("iam", op)} == {"GenerateCredentialReport"}
    # the exception is documented, as every operation of the table whose name is not a read's
    assert ("iam", "GenerateCredentialReport") in NOT_NAMED_AS_READS
    assert all(is_read_only(*k) for k in NOT_NAMED_AS_READS)
    iam_table = {op for (svc, op) in OPERATIONS if svc == "iam"}
    assert {op for op in iam_table if not op.startswith(("Get", "List"))} == {"GenerateCredentialReport"}
    assert not any(is_read_only("iam", op) for op in ("CreateLoginProfile", "DeleteLoginProfile",
                                                      "UpdateLoginProfile", "CreateAccessKey", "PutRolePolicy",
                                                      "CreatePolicyVersion", "SetDefaultPolicyVersion"))


def test_print_iam_policy_grants_the_iam_reads():
    from scanner.sources.aws.ops import shipped_actions
    assert {f"iam:{op}" for op in IAM_READS} <= shipped_actions()
