"""The GitHub Action (action.yml): its logic is ci/github/run.sh, run here as GitHub runs it, with the
GITHUB_* variables and the INPUT_* environment the composite action sets."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from planlib import Plan

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "ci" / "github" / "run.sh"
SPECGUARD = shutil.which("specguard", path=os.path.dirname(sys.executable)) or "specguard"


def violating(path: Path) -> Path:
    p = Plan()
    p.add("aws_db_instance", "main", {"storage_encrypted": False})
    return Path(p.write(path))


def compliant(path: Path) -> Path:
    shutil.copyfile(ROOT / "fixtures" / "aws-platform" / "compliant" / "plan.json", path)
    return path


def action(workspace: Path, step: str, **inputs) -> tuple[subprocess.CompletedProcess, dict, str]:
    summary, outputs = workspace / "summary.md", workspace / "github_output"
    summary.touch()
    outputs.touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    env.update(GITHUB_ACTIONS="true", GITHUB_WORKSPACE=str(workspace), GITHUB_ACTION_PATH=str(ROOT),
               GITHUB_STEP_SUMMARY=str(summary), GITHUB_OUTPUT=str(outputs), RUNNER_TEMP=str(workspace / "tmp"),
               SPECGUARD=SPECGUARD)
    env.update({"INPUT_" + k.upper(): v for k, v in inputs.items()})
    r = subprocess.run(["bash", str(RUN), step], cwd=workspace, env=env, capture_output=True, text=True, timeout=180)
    outs = dict(line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line)
    return r, outs, summary.read_text()


def test_violating_plan_uploads_sarif_writes_the_summary_and_fails_the_gate(tmp_path):
    violating(tmp_path / "plan.json")
    r, outs, summary = action(tmp_path, "scan", paths="plan.json", fail_on="high", formats="html junit gitlab-sast")
    assert r.returncode == 0, r.stderr          # the gate answered: SARIF is uploaded before the job fails
    assert outs["exit-code"] == "1" and outs["sarif"] == "specguard-reports/specguard.sarif"
    sarif = json.loads((tmp_path / outs["sarif"]).read_text())
    assert any(res["ruleId"] == "ENC-01" for res in sarif["runs"][0]["results"])
    assert summary.startswith("## specguard: ❌ failing") and "aws\\_db\\_instance.main" in summary
    for name in ("results.json", "specguard.html", "specguard.junit.xml", "specguard.gitlab-sast.json"):
        assert (tmp_path / "specguard-reports" / name).stat().st_size > 0
    gate, _, _ = action(tmp_path, "gate", fail_on="high")
    assert gate.returncode == 1 and "gate failed" in gate.stderr


def test_compliant_plan_passes(tmp_path):
    compliant(tmp_path / "plan.json")
    r, outs, summary = action(tmp_path, "scan", paths="plan.json")
    assert r.returncode == 0 and outs["exit-code"] == "0", r.stderr
    assert "## specguard" in summary
    assert action(tmp_path, "gate")[0].returncode == 0


def test_bad_input_fails_the_scan_step_at_once(tmp_path):
    r, outs, summary = action(tmp_path, "scan", paths="missing.json")
    assert r.returncode == 2 and "missing.json" in r.stderr
    assert outs["exit-code"] == "2" and "sarif" not in outs and summary == ""
    r, _, _ = action(tmp_path, "scan", paths=".", formats="docx")
    assert r.returncode == 2 and "unknown format 'docx'" in r.stderr


def test_several_paths_profile_and_waivers_are_passed(tmp_path):
    violating(tmp_path / "a.json")
    compliant(tmp_path / "b.json")
    (tmp_path / "waivers.yaml").write_text(
        "waivers:\n  - control: ENC-01\n    resource: aws_db_instance.main\n    reason: migration ticket OPS-1\n"
        "    approver: ciso@example.com\n    expires: 2099-12-31\n")
    r, outs, _ = action(tmp_path, "scan", paths="a.json\nb.json", waivers="waivers.yaml", fail_on="none")
    assert r.returncode == 0 and outs["exit-code"] == "0", r.stderr
    doc = json.loads((tmp_path / "specguard-reports" / "results.json").read_text())
    assert {s["path"] for s in doc["sources"]} == {"a.json", "b.json"}
    enc = [f for f in doc["findings"]
           if f["control_id"] == "ENC-01" and f["resource"]["address"] == "aws_db_instance.main"]
    assert enc and all(f["status"] == "waived" for f in enc)


def test_action_yml_wires_every_input_into_the_script():
    spec = yaml.safe_load((ROOT / "action.yml").read_text())
    assert spec["runs"]["using"] == "composite"
    steps = spec["runs"]["steps"]
    install = next(s for s in steps if "pip" in s.get("run", ""))
    assert '"$GITHUB_ACTION_PATH"' in install["run"]
    scan = next(s for s in steps if s.get("id") == "scan")
    assert scan["run"].endswith("run.sh\" scan'") or scan["run"].endswith('run.sh" scan')
    for name in ("paths", "formats", "fail-on", "baseline", "profile", "waivers"):
        assert name in spec["inputs"]
        assert scan["env"]["INPUT_" + name.upper().replace("-", "_")] == "${{ inputs.%s }}" % name
    upload = next(s for s in steps if "upload-sarif" in s.get("uses", ""))
    assert upload["with"]["sarif_file"] == "${{ steps.scan.outputs.sarif }}"
    assert steps[-1]["run"].endswith('run.sh" gate\'') or "run.sh\" gate" in steps[-1]["run"]


def test_baseline_input_accepts_todays_findings(tmp_path):
    violating(tmp_path / "plan.json")
    made = subprocess.run([SPECGUARD, "baseline", "create", "plan.json", "-o", "baseline.json"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    r, outs, summary = action(tmp_path, "scan", paths="plan.json", baseline="baseline.json")
    assert r.returncode == 0 and outs["exit-code"] == "0", r.stderr
    assert "✅ no new findings (baseline)" in summary
    sarif = json.loads((tmp_path / outs["sarif"]).read_text())
    assert {res["baselineState"] for res in sarif["runs"][0]["results"]} == {"unchanged"}
    assert action(tmp_path, "gate")[0].returncode == 0
