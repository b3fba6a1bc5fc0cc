"""Wrong option values are input errors (exit 2, one line), before any credential is looked for."""
import pytest

BAD = [
    ("azure", "--subscription", "not-a-guid", "is not an id of the form"),
    ("azure", "--tenant", "a b", "neither a tenant id"),
    ("azure", "--timeout", "0", "more than 0"),
    ("azure", "--timeout", "-1", "more than 0"),
    ("azure", "--concurrency", "0", "at least 1"),
    ("azure", "--max-retries", "-1", "0 or more"),
    ("aws", "--role-arn", "notanarn", "is not an IAM role ARN"),
    ("aws", "--timeout", "-5", "more than 0"),
    ("aws", "--concurrency", "x", "is not a whole number"),
]


@pytest.mark.parametrize("cloud,option,value,says", BAD)
def test_bad_audit_option_values(run_cli, cloud, option, value, says):
    r = run_cli("audit", cloud, option, value, env={"AWS_ACCESS_KEY_ID": "", "AZURE_CLIENT_ID": ""})
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and option in lines[0] and says in lines[0], r.stderr
    assert "_positive" not in r.stderr and "Traceback" not in r.stderr


def test_good_values_pass_the_checks():
    from scanner import options
    assert options.guid("72f988bf-86f1-41af-91ab-2d7cd011db47")
    assert options.tenant("contoso.onmicrosoft.com") and options.tenant("72f988bf-86f1-41af-91ab-2d7cd011db47")
    assert options.role_arn("arn:aws-us-gov:iam::123456789012:role/path/Audit-Role")
    assert options.seconds("2.5") == 2.5


def test_scan_option_combinations(run_cli):
    from conftest import FIXTURES
    plan = FIXTURES / "aws-platform" / "compliant" / "plan.json"
    r = run_cli("scan", plan, plan)
    assert r.returncode == 2 and "given twice" in r.stderr
    r = run_cli("scan", plan, "--checkov-mapping", "map.yaml")
    assert r.returncode == 2 and "--checkov-mapping goes with --checkov-results" in r.stderr
