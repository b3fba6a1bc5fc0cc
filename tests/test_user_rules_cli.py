"""Users' own controls on the command line: --rules on scans, `rules test`, `controls`, bad input."""
from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "rules"
PLAN = EXAMPLES / "aws-plan" / "plan.json"


def test_scan_with_rules_gates_and_records_them(run_cli, tmp_path):
    out = tmp_path / "out.json"
    p = run_cli("scan", PLAN, "--rules", EXAMPLES / "acme.yaml", "--rules", EXAMPLES / "acme_rules.py",
                "--fail-on", "high", "--format", "json", "-o", out)
    assert p.returncode == 1, p.stderr        # ACME-DB-02 (high) fails on aws_db_instance.scratch
    doc = json.loads(out.read_text())
    assert [r["path"] for r in doc["rules"]] == [str(EXAMPLES / "acme.yaml"), str(EXAMPLES / "acme_rules.py")]
    got = {(f["resource"]["address"], f["control_id"]): f["status"] for f in doc["findings"]}
    assert got[("aws_db_instance.scratch", "ACME-DB-02")] == "fail"
    assert got[("aws_s3_bucket.named_later", "ACME-S3-01")] == "unknown"
    p = run_cli("scan", PLAN, "--fail-on", "high", "--format", "json", "-o", out)
    assert "ACME" not in out.read_text()      # nothing is loaded unless named


def test_rules_test_command(run_cli, tmp_path):
    p = run_cli("rules", "test", EXAMPLES)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == [f"ok   {EXAMPLES / 'aws-plan'}: 10 expectation(s) hold",
                                     f"ok   {EXAMPLES / 'azure-tf'}: 6 expectation(s) hold"]
    work = tmp_path / "rules"
    shutil.copytree(EXAMPLES, work)
    exp = work / "azure-tf" / "expected.yaml"
    exp.write_text(exp.read_text().replace("azurerm_redis_cache.legacy: {ACME-CACHE-01: fail}",
                                           "azurerm_redis_cache.legacy: {ACME-CACHE-01: pass}"))
    p = run_cli("rules", "test", work)
    assert p.returncode == 1
    assert "  azurerm_redis_cache.legacy ACME-CACHE-01: expected pass, got fail (Redis is older than version 7)" \
        in p.stdout.splitlines()


def test_controls_lists_user_controls_with_their_origin(run_cli, tmp_path):
    p = run_cli("controls", "--rules", EXAMPLES)
    assert p.returncode == 0, p.stderr
    line = next(x for x in p.stdout.splitlines() if x.startswith("ACME-CACHE-01"))
    assert "Redis runs version 7 or later" in line and line.endswith("acme.yaml:21]")
    out = tmp_path / "controls.json"
    p = run_cli("controls", "--rules", EXAMPLES, "--format", "json", "-o", out)
    rows = {r["id"]: r for r in json.loads(out.read_text())["controls"]}
    assert rows["ACME-DB-02"]["origin"]["kind"] == "python" and "origin" not in rows["ENC-01"]


def test_bad_rules_exit_2_with_one_line_and_nothing_written(run_cli, tmp_path):
    out = tmp_path / "out.json"
    bad = tmp_path / "bad.yaml"
    bad.write_text((EXAMPLES / "acme.yaml").read_text().replace("gte: {param", "at_least: {param"))
    p = run_cli("scan", PLAN, "--rules", bad, "--format", "json", "-o", out)
    assert p.returncode == 2 and not out.exists()
    assert p.stderr.count("\n") == 1 and f"{bad}:35: unknown operator 'at_least'" in p.stderr
    mod = tmp_path / "broken.py"
    mod.write_text("from scanner.rules_api import nothing_here\n")
    p = run_cli("scan", PLAN, "--rules", mod, "--format", "json", "-o", out)
    assert p.returncode == 2 and not out.exists() and p.stderr.count("\n") == 1
    assert f"{mod}: the rule module does not import: ImportError" in p.stderr
    p = run_cli("scan", PLAN, "--rules", tmp_path / "missing.yaml", "--format", "json", "-o", out)
    assert p.returncode == 2 and "rules file not found" in p.stderr and not out.exists()


def _installed(site: Path, body: str, name="acme-rules", version="0.3.0", module="acme_pkg.rules") -> dict:
    """A package installed as pip installs one: its module and a .dist-info (METADATA, entry_points.txt)
    in a site directory, which the child process finds on its path."""
    pkg = site / module.split(".")[0]
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text("")
    (site / (module.replace(".", "/") + ".py")).write_text(body)
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[specguard.rules]\nacme = {module}\n")
    return {"PYTHONPATH": str(site)}


@pytest.mark.parametrize("body, error", [
    ("import no_such_dependency_xyz\n", "the rule module does not import: ModuleNotFoundError: "
                                        "No module named 'no_such_dependency_xyz'"),
    ("raise RuntimeError('licence server unreachable')\n", "the rule module does not import: RuntimeError: "
                                                            "licence server unreachable"),
    ("def broken(:\n", "rules.py:1: the rule module does not import: SyntaxError"),
    ("X = 1\n", "the rule module declares no control"),
])
def test_a_broken_installed_package_is_one_line_naming_it_and_exit_2(run_cli, tmp_path, body, error):
    env = _installed(tmp_path / "site", body)
    out = tmp_path / "out.json"
    p = run_cli("scan", PLAN, "--format", "json", "-o", out, env=env)
    assert p.returncode == 2 and not out.exists(), p.stderr
    assert p.stderr.count("\n") == 1 and p.stderr.startswith(
        "specguard: error: installed rules package acme-rules 0.3.0 (entry point acme = acme_pkg.rules): "), p.stderr
    assert error in p.stderr and p.stderr.rstrip().endswith("(fix the package, or uninstall it: pip uninstall acme-rules)")
    p = run_cli("controls", env=env)
    assert p.returncode == 2 and "installed rules package acme-rules 0.3.0" in p.stderr
    # the live audits stop on it too, before looking for credentials (exit 3 would be "no credentials")
    p = run_cli("audit", "aws", "--regions", "us-east-1", "--format", "json", "-o", out,
                env={**env, "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_PROFILE": "",
                     "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")})
    assert p.returncode == 2 and "installed rules package acme-rules 0.3.0" in p.stderr and not out.exists()
    # `rules test` judges a directory's own controls: an installed package does not stop it
    p = run_cli("rules", "test", EXAMPLES, env=env)
    assert p.returncode == 0 and p.stdout.count("ok   ") == 2, p.stdout + p.stderr


def test_rules_test_is_not_confused_by_the_same_rules_installed_as_a_package(run_cli, tmp_path):
    env = _installed(tmp_path / "site", (EXAMPLES / "acme_rules.py").read_text())
    p = run_cli("scan", PLAN, "--rules", EXAMPLES, "--format", "json", "-o", tmp_path / "o.json", env=env)
    assert p.returncode == 2 and "is already declared" in p.stderr   # a scan naming both: a real collision
    p = run_cli("rules", "test", EXAMPLES, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    out = tmp_path / "out.json"
    p = run_cli("scan", PLAN, "--format", "json", "-o", out, env=env)
    assert p.returncode in (0, 1), p.stderr
    assert json.loads(out.read_text())["rules"] == [{"kind": "package", "name": "acme-rules", "version": "0.3.0",
                                                     "entry_point": "acme", "module": "acme_pkg.rules",
                                                     "via": "entry-point"}]


def test_what_a_python_rule_prints_does_not_go_into_a_report_on_stdout(run_cli, tmp_path):
    mod = tmp_path / "chatty.py"
    mod.write_text(textwrap.dedent("""\
        from scanner.rules_api import Check, control
        print("loading chatty rules")

        @control("ACME-CHAT-01", title="t", family="ACME", severity="low", soc2=[], kinds=("database",))
        def rule(r, ctx):
            print("looking at", r.address)
            return Check().verdict("fine")
        """))
    p = run_cli("scan", PLAN, "--rules", mod, "--format", "json")
    assert p.returncode in (0, 1), p.stderr
    doc = json.loads(p.stdout)   # the report alone
    assert any(f["control_id"] == "ACME-CHAT-01" for f in doc["findings"])
    assert "loading chatty rules" in p.stderr and "looking at aws_db_instance.scratch" in p.stderr
