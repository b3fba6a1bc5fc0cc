"""The pre-commit hooks (.pre-commit-hooks.yaml), run by the real pre-commit in temporary git repositories:
a violating .tf tree is refused, a compliant one passes."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scanner.precommit import callers, roots, split

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "aws-platform"
BIN = os.path.dirname(sys.executable)


def env(tmp_path) -> dict:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    e.update(PATH=BIN + os.pathsep + os.environ.get("PATH", ""), PRE_COMMIT_HOME=str(tmp_path / "pc-home"),
             GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
             GIT_COMMITTER_EMAIL="t@example.com", COLUMNS="160")
    return e


def repo(tmp_path, tree: str) -> Path:
    """A git repository holding one of the fixtures' .tf trees under infra/ (staged)."""
    work = tmp_path / "work"
    shutil.copytree(FIXTURES / tree, work / "infra", ignore=shutil.ignore_patterns("plan.json", "expected.yaml"))
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    subprocess.run(["git", "add", "-A"], cwd=work, check=True, env=env(tmp_path))
    return work


def pre_commit(tmp_path, work, *args, timeout=600):
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=work, env=env(tmp_path),
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("tree, status", [("violating", 1), ("compliant", 0)])
def test_try_repo_installed_specguard(tmp_path, tree, status):
    work = repo(tmp_path, tree)
    r = pre_commit(tmp_path, work, "try-repo", str(ROOT), "specguard-system")
    assert r.returncode == status, r.stdout + r.stderr
    if status:
        assert "Failed" in r.stdout and "ENC-01" in r.stdout
    else:
        assert "Passed" in r.stdout


def test_a_commit_of_a_violating_tree_is_refused_and_a_compliant_one_passes(tmp_path):
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()
    work = repo(tmp_path, "violating")
    (work / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {ROOT}\n  rev: {head}\n  hooks:\n  - id: specguard-system\n    args: [--fail-on, high]\n")
    e = env(tmp_path)
    assert pre_commit(tmp_path, work, "install").returncode == 0
    subprocess.run(["git", "add", "-A"], cwd=work, check=True, env=e)
    refused = subprocess.run(["git", "commit", "-q", "-m", "violating"], cwd=work, env=e, capture_output=True,
                             text=True, timeout=600)
    assert refused.returncode != 0 and "ENC-01" in refused.stdout + refused.stderr
    nothing = subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=work, capture_output=True)
    assert nothing.returncode != 0   # nothing was committed
    shutil.rmtree(work / "infra")
    shutil.copytree(FIXTURES / "compliant", work / "infra", ignore=shutil.ignore_patterns("plan.json", "expected.yaml"))
    subprocess.run(["git", "add", "-A"], cwd=work, check=True, env=e)
    ok = subprocess.run(["git", "commit", "-q", "-m", "compliant"], cwd=work, env=e, capture_output=True, text=True,
                        timeout=600)
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_a_baseline_in_the_hook_args_blocks_only_new_findings(tmp_path):
    """A repository that already fails turns the hook on with a committed baseline: commits that add
    nothing new pass, a commit adding a violating resource is refused, naming it first."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()
    work = repo(tmp_path, "violating")
    e = env(tmp_path)
    made = subprocess.run([os.path.join(BIN, "specguard"), "baseline", "create", "infra", "-o", "baseline.json"],
                          cwd=work, env=e, capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    (work / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {ROOT}\n  rev: {head}\n  hooks:\n  - id: specguard-system\n"
        "    args: [--baseline, baseline.json]\n")
    assert pre_commit(tmp_path, work, "install").returncode == 0
    subprocess.run(["git", "add", "-A"], cwd=work, check=True, env=e)
    ok = subprocess.run(["git", "commit", "-q", "-m", "gate on, today's findings accepted"], cwd=work, env=e,
                        capture_output=True, text=True, timeout=600)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    with open(work / "infra" / "main.tf", "a") as fh:
        fh.write('\nresource "aws_s3_bucket" "added" {\n  bucket = "qts-prod-added"\n}\n')
    subprocess.run(["git", "add", "-A"], cwd=work, check=True, env=e)
    refused = subprocess.run(["git", "commit", "-q", "-m", "a new bucket"], cwd=work, env=e, capture_output=True,
                             text=True, timeout=600)
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0, out
    # the table's rows (COLUMNS is set: drawn with borders), first cell the status
    rows = [line.strip("│ ") for line in out.splitlines() if line.lstrip("│ ").startswith(("fail", "unknown"))]
    new = [line for line in rows if "baseline" not in line.split("│")[0]]
    assert new and all("aws_s3_bucket.added" in line for line in new), out
    assert rows[:len(new)] == new                     # listed before the accepted ones
    assert "0 of " in out and "new failure(s)" in out


@pytest.mark.slow
def test_try_repo_python_hook_installs_this_repository(tmp_path):
    """language: python: pre-commit builds its own environment and installs specguard from the hook
    repository (from the package index pip is configured with: the test machine's local mirrors)."""
    work = repo(tmp_path, "violating")
    r = pre_commit(tmp_path, work, "try-repo", str(ROOT), "specguard", timeout=900)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "ENC-01" in r.stdout


def test_the_hooks_manifest_is_valid_for_pre_commit(tmp_path):
    """pre-commit's own check of .pre-commit-hooks.yaml (try-repo above reads it too); a broken copy fails."""
    ok = pre_commit(tmp_path, ROOT, "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml"), timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = tmp_path / "hooks.yaml"
    bad.write_text((ROOT / ".pre-commit-hooks.yaml").read_text().replace("language: script", "language: scrypt"))
    refused = pre_commit(tmp_path, ROOT, "validate-manifest", str(bad), timeout=120)
    assert refused.returncode == 1 and "scrypt" in refused.stdout + refused.stderr


def test_split_keeps_option_values_and_finds_directories():
    opts, dirs = split(["--fail-on", "high", "--var-file=prod.tfvars", "--profile", "p.yaml", "--allow-unknown",
                        "infra/main.tf", "infra/vars.tf", "main.tf", "envs/prod/x.tfvars"])
    assert opts == ["--fail-on", "high", "--var-file=prod.tfvars", "--profile", "p.yaml", "--allow-unknown"]
    assert dirs == ["infra", ".", "envs/prod"]


def test_a_changed_module_is_scanned_through_its_root(tmp_path):
    (tmp_path / "envs" / "prod").mkdir(parents=True)
    (tmp_path / "modules" / "db").mkdir(parents=True)
    (tmp_path / "modules" / "lonely").mkdir(parents=True)
    (tmp_path / "envs" / "prod" / "main.tf").write_text('module "db" {\n  source = "../../modules/db"\n}\n')
    (tmp_path / "modules" / "db" / "main.tf").write_text('module "x" {\n  source = "./nested"\n}\n')
    calls = callers(str(tmp_path))
    assert calls["modules/db"] == {"envs/prod"} and calls["modules/db/nested"] == {"modules/db"}
    assert roots(["modules/db/nested", "modules/lonely", "envs/prod"], calls) == ["envs/prod", "modules/lonely"]
