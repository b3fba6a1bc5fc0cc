"""The GitLab CI template (ci/gitlab/specguard.yml): its script run as a GitLab runner runs it (each
entry in one bash that stops at the first failure, `set -eo pipefail`), in the project directory, with the
variables a runner sets for a merge request pipeline and the template's own, which a project's override."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cilib import clean_copy, schema_errors, vendored_schema
from planlib import Plan
from test_render_gitlab_sast import validate as validate_sast

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = yaml.safe_load((ROOT / "ci" / "gitlab" / "specguard.yml").read_text())


def runner_env(workspace: Path) -> dict:
    """What a GitLab runner sets for a merge request pipeline's job."""
    return {"CI": "true", "GITLAB_CI": "true", "CI_PROJECT_DIR": str(workspace), "CI_BUILDS_DIR": str(workspace.parent),
            "CI_JOB_NAME": "specguard", "CI_JOB_STAGE": "test", "CI_PIPELINE_SOURCE": "merge_request_event",
            "CI_COMMIT_SHA": "0" * 40, "CI_COMMIT_REF_NAME": "feature", "CI_MERGE_REQUEST_IID": "7",
            "CI_PROJECT_PATH": "acme/infra", "CI_SERVER_URL": "https://gitlab.example.com"}


def run_job(workspace: Path, path: str | None = None, **variables) -> subprocess.CompletedProcess:
    job = TEMPLATE[".specguard"]
    assert TEMPLATE["specguard"]["extends"] == ".specguard"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPECGUARD", "CI_", "GITLAB_"))}
    env.update(runner_env(workspace))
    env.update({k: str(v) for k, v in TEMPLATE["variables"].items()})
    env.update(variables)
    # an image's PATH: its Python first (by default the test venv's, which has specguard); with `path`, a
    # Python without specguard, and no other directory that could hold one
    env["PATH"] = (path + os.pathsep + "/usr/bin:/bin" if path else
                   os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""))
    script = "set -eo pipefail\n" + "\n".join(job["script"])
    return subprocess.run(["bash", "--noprofile", "--norc", "-c", script], cwd=workspace, env=env,
                          capture_output=True, text=True, timeout=600)


def artifacts(workspace: Path, **variables) -> list[Path]:
    """The files the template's artifacts name, with variables expanded as the runner does."""
    values = {k: str(v) for k, v in TEMPLATE["variables"].items()}
    values.update(variables)
    art = TEMPLATE[".specguard"]["artifacts"]
    names = list(art["reports"].values()) + list(art["paths"])
    return [workspace / re.sub(r"\$\{?(\w+)\}?", lambda m: values[m.group(1)], n) for n in names]


def test_violating_plan_fails_the_job_and_leaves_the_reports(tmp_path):
    p = Plan()
    p.add("aws_db_instance", "main", {"storage_encrypted": False})
    p.write(tmp_path / "plan.json")
    r = run_job(tmp_path, SPECGUARD_PATHS="plan.json", SPECGUARD_FAIL_ON="high")
    assert r.returncode == 1, r.stderr
    assert all(p.exists() for p in artifacts(tmp_path)), artifacts(tmp_path)
    sast = json.loads((tmp_path / "gl-sast-report.json").read_text())
    validate_sast(sast)
    assert any(v["identifiers"][1]["value"] == "ENC-01" for v in sast["vulnerabilities"])
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


@pytest.mark.slow
def test_SPECGUARD_PIP_installs_specguard_when_the_image_has_none(tmp_path):
    """The template in an image without specguard (python:3.12): SPECGUARD_PIP is what pip installs; here
    this checkout, into a fresh venv standing for the image's Python."""
    image = tmp_path / "image-python"
    subprocess.run([sys.executable, "-m", "venv", str(image)], check=True, timeout=120)
    ws = tmp_path / "project"
    ws.mkdir()
    shutil.copyfile(ROOT / "fixtures" / "aws-platform" / "violating" / "plan.json", ws / "plan.json")
    env_path = str(image / "bin")
    r = run_job(ws, path=env_path, SPECGUARD_PIP=str(clean_copy(tmp_path / "specguard")), SPECGUARD_PATHS="plan.json",
                SPECGUARD_REPORTS="out/reports")
    assert r.returncode == 1, r.stderr                      # installed, ran, and the gate failed the job
    assert (image / "bin" / "specguard").exists()
    assert all(p.exists() for p in artifacts(ws, SPECGUARD_REPORTS="out/reports"))
    validate_sast(json.loads((ws / "gl-sast-report.json").read_text()))


def test_the_template_is_valid_gitlab_ci_by_the_published_schema():
    """ci/gitlab/specguard.yml against GitLab's CI schema (as SchemaStore and check-jsonschema ship it). A
    hidden job (.specguard) is not checked by that schema, so the job a project gets is checked too: the
    template's job with what it extends merged in, as GitLab does; a broken copy fails it."""
    schema = vendored_schema("gitlab-ci")
    assert schema_errors(schema, TEMPLATE) == []

    def job(template: dict) -> dict:
        merged = dict(template[".specguard"])
        merged.update({k: v for k, v in template["specguard"].items() if k != "extends"})
        return {"variables": template["variables"], "specguard": merged}

    assert schema_errors(schema, job(TEMPLATE)) == []
    broken = yaml.safe_load((ROOT / "ci" / "gitlab" / "specguard.yml").read_text())
    broken[".specguard"]["artifacts"]["when"] = "alwayz"
    broken[".specguard"]["artifacts"]["reports"]["sasst"] = broken[".specguard"]["artifacts"]["reports"].pop("sast")
    assert len(schema_errors(schema, job(broken))) == 2
