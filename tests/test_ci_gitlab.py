"""The GitLab CI template (ci/gitlab/specguard.yml): its script run as a GitLab runner runs it (each
entry in one shell that stops at the first failure), with the template's variables."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from planlib import Plan
from test_render_gitlab_sast import validate as validate_sast

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = yaml.safe_load((ROOT / "ci" / "gitlab" / "specguard.yml").read_text())


def run_job(workspace: Path, **variables) -> subprocess.CompletedProcess:
    job = TEMPLATE[".specguard"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPECGUARD")}
    env.update({k: str(v) for k, v in TEMPLATE["variables"].items()})
    env.update(variables)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    script = "set -e\n" + "\n".join(job["script"])
    return subprocess.run(["sh", "-c", script], cwd=workspace, env=env, capture_output=True, text=True, timeout=180)


def test_violating_plan_fails_the_job_and_leaves_the_reports(tmp_path):
    p = Plan()
    p.add("aws_db_instance", "main", {"storage_encrypted": False})
    p.write(tmp_path / "plan.json")
    r = run_job(tmp_path, SPECGUARD_PATHS="plan.json", SPECGUARD_FAIL_ON="high")
    assert r.returncode == 1, r.stderr
    sast = json.loads((tmp_path / "gl-sast-report.json").read_text())
    validate_sast(sast)
    assert any(v["identifiers"][0]["value"] == "ENC-01" for v in sast["vulnerabilities"])
    for name in ("specguard-junit.xml", "results.json", "specguard.html", "specguard.md"):
        assert (tmp_path / "specguard-reports" / name).stat().st_size > 0
    assert "ENC-01" in r.stdout   # the table in the job log
    # the artifacts the template declares are the files written
    art = TEMPLATE[".specguard"]["artifacts"]
    assert art["when"] == "always" and art["reports"]["sast"] == "gl-sast-report.json"
    assert art["reports"]["junit"] == "$SPECGUARD_REPORTS/specguard-junit.xml"


def test_compliant_plan_passes_with_profile_and_waivers_variables(tmp_path):
    shutil.copyfile(ROOT / "fixtures" / "aws-platform" / "compliant" / "plan.json", tmp_path / "plan.json")
    (tmp_path / "waivers.yaml").write_text("waivers: []\n")
    r = run_job(tmp_path, SPECGUARD_PATHS="plan.json", SPECGUARD_WAIVERS="waivers.yaml")
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "specguard-reports" / "results.json").read_text())
    assert doc["summary"]["fail"] == 0


def test_without_specguard_or_SPECGUARD_PIP_the_job_says_what_to_set(tmp_path):
    job = TEMPLATE[".specguard"]
    env = {"PATH": "/usr/bin:/bin", **{k: str(v) for k, v in TEMPLATE["variables"].items()}}
    r = subprocess.run(["sh", "-c", "set -e\n" + job["script"][0]], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and "SPECGUARD_PIP" in r.stderr


def test_baseline_variable(tmp_path):
    p = Plan()
    p.add("aws_db_instance", "main", {"storage_encrypted": False})
    p.write(tmp_path / "plan.json")
    made = subprocess.run([sys.executable, "-m", "scanner", "baseline", "create", "plan.json", "-o", "bl.json"],
                          cwd=tmp_path, capture_output=True, timeout=120)
    assert made.returncode == 0, made.stderr
    assert run_job(tmp_path, SPECGUARD_PATHS="plan.json").returncode == 1
    r = run_job(tmp_path, SPECGUARD_PATHS="plan.json", SPECGUARD_BASELINE="bl.json")
    assert r.returncode == 0, r.stderr
