"""--source-dir must be the plan's configuration; --var belongs to .tf directories (issue 14, point 8)."""
import json

from conftest import FIXTURES, write_tree

PLAN = FIXTURES / "aws-platform" / "violating" / "plan.json"


def test_unrelated_source_dir_is_refused(run_cli, tmp_path):
    write_tree(tmp_path / "other", {"main.tf": 'resource "aws_sqs_queue" "unrelated" {}\n'})
    out = tmp_path / "r.json"
    r = run_cli("scan", PLAN, "--source-dir", tmp_path / "other", "-o", out)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1
    assert "--source-dir declares none of the plan's" in r.stderr and "resources" in r.stderr
    assert not out.exists()


def test_unrelated_tree_beside_a_plan_is_not_used(run_cli, tmp_path):
    write_tree(tmp_path, {"main.tf": 'resource "aws_sqs_queue" "unrelated" {}\n'})
    (tmp_path / "plan.json").write_bytes(PLAN.read_bytes())
    r = run_cli("scan", tmp_path / "plan.json", "--format", "json", "-o", tmp_path / "r.json")
    assert r.returncode == 1, r.stderr
    doc = json.loads((tmp_path / "r.json").read_text())
    (src,) = doc["sources"]
    assert src["kind"] == "terraform-plan" and "source_dir" not in src and "source_files" not in src


def test_var_on_a_plan_scan_is_an_input_error(run_cli, tmp_path):
    r = run_cli("scan", PLAN, "--var", "x=1", "-o", tmp_path / "r.json")
    assert r.returncode == 2, r.stderr
    assert "--var sets variables of a .tf directory" in r.stderr
