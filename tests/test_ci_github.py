"""The GitHub Action (action.yml): its logic is ci/github/run.sh, run here as GitHub runs it, with the
GITHUB_* variables and the INPUT_* environment the composite action sets; and the whole composite action,
step by step as a runner executes it (expressions substituted, `bash -eo pipefail`, a fresh GITHUB_OUTPUT per
step), installing specguard from this checkout into a new venv.  The SARIF handed to upload-sarif is checked
against the SARIF 2.1.0 schema (what code scanning validates uploads against)."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from cilib import clean_copy, schema_errors, vendored_schema
from conftest import CORPUS
from planlib import Plan

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "ci" / "github" / "run.sh"
SPECGUARD = shutil.which("specguard", path=os.path.dirname(sys.executable)) or "specguard"
SARIF = jsonschema.Draft4Validator(json.loads((CORPUS / "schemas" / "sarif-schema-2.1.0.json").read_text("utf-8")))
# what a GitHub-hosted runner sets for every step (values of a pull request run)
RUNNER_ENV = {"CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/infra", "GITHUB_SHA": "0" * 40,
              "GITHUB_REF": "refs/pull/7/merge", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_RUN_ID": "1",
              "GITHUB_JOB": "specguard", "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64"}


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
    env.update(RUNNER_ENV)
    env.update(GITHUB_WORKSPACE=str(workspace), GITHUB_ACTION_PATH=str(ROOT),
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
    SARIF.validate(sarif)
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


def test_action_yml_is_valid_action_metadata_by_the_published_schema():
    """action.yml against the schema of GitHub's action metadata (SchemaStore's github-actions, as shipped by
    check-jsonschema); a broken copy fails it, so the check is not vacuous."""
    schema = vendored_schema("github-actions")
    spec = yaml.safe_load((ROOT / "action.yml").read_text())
    assert schema_errors(schema, spec) == []
    broken = yaml.safe_load((ROOT / "action.yml").read_text())
    broken["runs"]["using"] = "compost"
    broken["inputs"]["paths"]["required"] = "maybe"
    assert len(schema_errors(schema, broken)) >= 2


def test_baseline_input_accepts_todays_findings(tmp_path):
    violating(tmp_path / "plan.json")
    made = subprocess.run([SPECGUARD, "baseline", "create", "plan.json", "-o", "baseline.json"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    r, outs, summary = action(tmp_path, "scan", paths="plan.json", baseline="baseline.json")
    assert r.returncode == 0 and outs["exit-code"] == "0", r.stderr
    assert "✅ no new findings (baseline)" in summary
    sarif = json.loads((tmp_path / outs["sarif"]).read_text())
    SARIF.validate(sarif)
    assert {res["baselineState"] for res in sarif["runs"][0]["results"]} == {"unchanged"}
    assert action(tmp_path, "gate")[0].returncode == 0


# ----------------------------------------------------------------------------- the composite action, whole
_EXPR = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


class Runner:
    """Runs action.yml's steps as a GitHub runner does for `uses: ./` with the given `with:` inputs.  The two
    `uses:` steps are GitHub's own actions: setup-python answers with this interpreter's path (a real Python
    3.11+), and upload-sarif is recorded (its `if:` evaluated and its inputs kept) instead of uploading."""

    def __init__(self, workspace: Path, temp: Path, action_path: Path = ROOT, **with_):
        self.root = action_path
        self.spec = yaml.safe_load((action_path / "action.yml").read_text())
        self.inputs = {k: str(v.get("default", "")) for k, v in self.spec["inputs"].items()}
        unknown = set(with_) - set(self.inputs)
        assert not unknown, f"not inputs of the action: {unknown}"   # GitHub warns and ignores them
        self.inputs.update({k: str(v) for k, v in with_.items()})
        self.workspace, self.temp = workspace, temp
        self.outputs: dict[str, dict[str, str]] = {}
        self.uploaded: list[dict] = []
        self.summary = workspace.parent / "step_summary.md"
        self.summary.write_text("")

    def value(self, ref: str) -> str:
        ref = ref.strip()
        if ref.startswith("'") and ref.endswith("'"):
            return ref[1:-1]
        parts = ref.split(".")
        if parts[0] == "inputs":
            return self.inputs[parts[1]]
        if parts[0] == "steps" and parts[2] == "outputs":
            return self.outputs.get(parts[1], {}).get(parts[3], "")
        if ref == "runner.temp":
            return str(self.temp)
        raise AssertionError(f"expression this runner does not know: {ref}")

    def expand(self, text: str) -> str:
        return _EXPR.sub(lambda m: self.value(m.group(1)), text)

    def condition(self, expr: str) -> bool:
        inner = _EXPR.fullmatch(expr.strip())
        terms = (inner.group(1) if inner else expr).split("&&")
        ok = True
        for term in terms:
            m = re.fullmatch(r"\s*(\S+)\s*(==|!=)\s*(\S+)\s*", term)
            assert m, f"condition this runner does not know: {term}"
            a, b = self.value(m.group(1)), self.value(m.group(3))
            ok = ok and ((a == b) if m.group(2) == "==" else (a != b))
        return ok

    def run(self) -> tuple[int, str]:
        """Every step in order until one fails (as a job does); the exit status and stderr of the last."""
        base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "RUNNER_"))}
        base.update(RUNNER_ENV)
        base.update(GITHUB_WORKSPACE=str(self.workspace), GITHUB_ACTION_PATH=str(self.root), RUNNER_TEMP=str(self.temp),
                    GITHUB_STEP_SUMMARY=str(self.summary))
        for i, step in enumerate(self.spec["runs"]["steps"]):
            if "if" in step and not self.condition(step["if"]):
                continue
            uses = step.get("uses", "")
            if uses.startswith("actions/setup-python@"):
                assert step["with"]["update-environment"] is False   # the workflow's own Python is left alone
                self.outputs[step["id"]] = {"python-path": sys.executable}
                continue
            if uses.startswith("github/codeql-action/upload-sarif@"):
                self.uploaded.append({k: self.expand(str(v)) for k, v in step["with"].items()})
                continue
            assert not uses, f"a step this runner does not know: {uses}"
            assert step["shell"] == "bash"
            out_file = self.temp / f"output-{i}"
            out_file.write_text("")
            env = dict(base, GITHUB_OUTPUT=str(out_file))
            env.update({k: self.expand(str(v)) for k, v in (step.get("env") or {}).items()})
            script = self.temp / f"step-{i}.sh"
            script.write_text(self.expand(step["run"]))
            r = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=self.workspace,
                               env=env, capture_output=True, text=True, timeout=600)
            if "id" in step:
                self.outputs[step["id"]] = dict(line.split("=", 1) for line in out_file.read_text().splitlines()
                                                if "=" in line)
            if r.returncode:
                return r.returncode, r.stderr
        return 0, ""


@pytest.mark.slow
def test_the_composite_action_installs_specguard_uploads_valid_sarif_and_gates(tmp_path):
    ws, temp = tmp_path / "ws", tmp_path / "runner-temp"
    ws.mkdir()
    temp.mkdir()
    violating(ws / "plan.json")
    (ws / "waivers.yaml").write_text("waivers: []\n")
    action = clean_copy(tmp_path / "action")   # GitHub's checkout of the action: a fresh clone
    job = Runner(ws, temp, action, paths="plan.json", **{"fail-on": "high"}, waivers="waivers.yaml",
                 formats="gitlab-sast")
    rc, err = job.run()
    assert rc == 1 and "gate failed (exit status 1)" in err, err      # the job fails at the gate step
    assert (temp / "specguard-venv" / "bin" / "specguard").exists()  # installed from this checkout
    assert job.outputs["scan"]["exit-code"] == "1"
    assert len(job.uploaded) == 1 and job.uploaded[0]["category"] == "specguard"
    sarif = json.loads((ws / job.uploaded[0]["sarif_file"]).read_text())
    SARIF.validate(sarif)
    assert any(r["ruleId"] == "ENC-01" for r in sarif["runs"][0]["results"])
    assert job.summary.read_text().startswith("## specguard: ❌ failing")
    assert (ws / "specguard-reports" / "specguard.gitlab-sast.json").exists()

    # the team accepts today's findings with the installed specguard; the same action then passes
    made = subprocess.run([str(temp / "specguard-venv" / "bin" / "specguard"), "baseline", "create", "plan.json",
                           "-o", "baseline.json"], cwd=ws, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    job = Runner(ws, temp, action, paths="plan.json", baseline="baseline.json", **{"upload-sarif": "false"})
    rc, err = job.run()
    assert rc == 0, err
    assert job.uploaded == []                                        # upload-sarif: false skips the upload
    sarif = json.loads((ws / job.outputs["scan"]["sarif"]).read_text())
    SARIF.validate(sarif)
    assert {r["baselineState"] for r in sarif["runs"][0]["results"]} == {"unchanged"}
