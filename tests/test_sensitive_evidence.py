"""What a plan marks sensitive is judged but never shown: no report carries it.

Terraform writes a sensitive value in clear in the plan's JSON and marks it in ``sensitive_values`` /
``after_sensitive`` (a tag set from a ``sensitive = true`` variable); ``terraform plan`` itself prints
"(sensitive value)".  specguard's rules judge with the value (a tag that is set passes), and every
message and evidence value that would show it says "(sensitive)" instead, in every format.
"""
from __future__ import annotations

import json

import pytest

from planlib import Plan
from scanner.cli import main

OWNER = "alice.secret-owner-7731"
ENV = "Production-Hidden-42"


def write(tmp_path, tags: dict, marks: dict, name: str = "plan.json"):
    plan = Plan()
    plan.add("aws_sqs_queue", "q", {"name": "q", "kms_master_key_id": "alias/aws/sqs",
                                   "sqs_managed_sse_enabled": False, "tags": tags, "tags_all": tags})
    doc = json.loads(plan.json())
    doc["planned_values"]["root_module"]["resources"][0]["sensitive_values"] = marks   # as terraform show -json
    doc["resource_changes"][0]["change"]["after_sensitive"] = marks
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def outputs(tmp_path, plan) -> dict[str, str]:
    out = {}
    for fmt in ("json", "html", "sarif", "markdown", "junit"):
        target = tmp_path / f"out.{fmt}"
        assert main(["scan", str(plan), "--format", fmt, "-o", str(target), "-q", "--fail-on", "none"]) == 0
        out[fmt] = target.read_text()
    return out


def tag_finding(doc):
    return next(f for f in doc["findings"] if f["control_id"] == "TAG-01")


def test_a_sensitive_tag_is_judged_and_never_shown(tmp_path, capsys):
    tags = {"Environment": "prod", "Project": "p", "CostCenter": "cc", "Owner": OWNER}
    marks = {"tags": {"Owner": True}, "tags_all": {"Owner": True}}
    out = outputs(tmp_path, write(tmp_path, tags, marks))
    for fmt, text in out.items():
        assert OWNER not in text, fmt
    f = tag_finding(json.loads(out["json"]))
    assert f["status"] == "pass"                       # the Owner tag is set: judged with its value
    assert f["evidence"]["tags"]["Owner"] == "(sensitive)"
    assert f["evidence"]["tags"]["Environment"] == "prod"   # what is not marked is shown as it is
    assert main(["scan", str(tmp_path / "plan.json"), "--fail-on", "none"]) == 0   # the terminal table
    assert OWNER not in capsys.readouterr().out


def test_a_failing_sensitive_value_fails_without_showing_it(tmp_path):
    tags = {"Environment": ENV, "Project": "p", "CostCenter": "cc", "Owner": "team"}
    marks = {"tags": {"Environment": True}, "tags_all": {"Environment": True}}
    out = outputs(tmp_path, write(tmp_path, tags, marks))
    for fmt, text in out.items():
        assert ENV not in text, fmt
    f = tag_finding(json.loads(out["json"]))
    assert f["status"] == "fail"
    assert "Environment is '(sensitive)', not one of prod, staging, dev" in f["message"]


def test_a_whole_sensitive_map_hides_its_keys_too(tmp_path):
    tags = {"Environment": "prod", "Project": "p", "CostCenter": "cc", "Owner": "team", "x-internal-code": "k9"}
    out = outputs(tmp_path, write(tmp_path, tags, {"tags": True, "tags_all": True}))
    doc = json.loads(out["json"])
    assert "x-internal-code" not in out["json"] and tag_finding(doc)["status"] == "pass"
    assert set(tag_finding(doc)["evidence"]["tags"].values()) == {"(sensitive)"}


def test_nothing_marked_nothing_hidden(tmp_path):
    tags = {"Environment": "prod", "Project": "p", "CostCenter": "cc", "Owner": OWNER}
    doc = json.loads(outputs(tmp_path, write(tmp_path, tags, {"tags": {}, "tags_all": {}}))["json"])
    assert tag_finding(doc)["evidence"]["tags"]["Owner"] == OWNER
    assert "(sensitive)" not in json.dumps(doc["findings"])


class F:
    def __init__(self, message, evidence):
        self.message, self.evidence = message, evidence


@pytest.mark.parametrize("secret, message, shown", [
    ("hunter2-long", "password is 'hunter2-long'", "password is '(sensitive)'"),
    ('q"uote\\d', 'value "q\\"uote\\\\d" (JSON) and q"uote\\d', 'value "(sensitive)" (JSON) and (sensitive)'),
    ("dev", "Environment is dev, not developer", "Environment is (sensitive), not developer"),
    ("naïve-secret", 'as JSON "na\\u00efve-secret"', 'as JSON "(sensitive)"'),
    (5432, "port 5432 is open; 15432 too", "port (sensitive) is open; 1(sensitive) too"),
])
def test_scrub_forms(secret, message, shown):
    from scanner.withheld import scrub_findings
    f = F(message, {"a": secret, "b": [secret, "x"], "c": {"k": f"pre {secret} post"}, "d": True})
    scrub_findings([f], {secret})
    assert f.message == shown
    assert f.evidence["a"] == "(sensitive)" and f.evidence["b"] == ["(sensitive)", "x"]
    assert f.evidence["c"]["k"] == "pre (sensitive) post" and f.evidence["d"] is True


def test_secret_values_reads_marks():
    from scanner.withheld import secret_values
    values = {"tags": {"a": "x1", "b": "y2"}, "list": [{"p": "s3"}, {"p": "s4"}], "n": 7, "flag": True, "none": None}
    marks = {"tags": {"b": True}, "list": [{}, {"p": True}], "n": True, "flag": True, "none": True}
    assert secret_values(values, marks) == {"y2", "s4", 7}
    assert secret_values(values, {"tags": True}) == {"a", "b", "x1", "y2"}


TF = '''
variable "owner" {
  type      = string
  sensitive = true
}
variable "environment" {
  type    = string
  default = "prod"
}
resource "aws_sqs_queue" "q" {
  name                    = "q"
  sqs_managed_sse_enabled = true
  tags = { Environment = var.environment, Project = "p", CostCenter = "cc", Owner = var.owner }
}
module "m" {
  source = "./m"
  code   = "module-secret-code-9"
}
'''
MODULE = '''
variable "code" {
  type      = string
  sensitive = true
}
resource "aws_sns_topic" "t" {
  name = "t"
  tags = { Environment = var.code, Project = "p", CostCenter = "cc", Owner = "team" }
}
'''


def test_a_tf_trees_sensitive_variables_are_judged_and_never_shown(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "main.tf").write_text(TF)
    (tmp_path / "m" / "main.tf").write_text(MODULE)
    (tmp_path / "terraform.tfvars").write_text('owner = "alice.tf-secret-owner"\n')
    out = {}
    for fmt in ("json", "html", "sarif", "markdown"):
        target = tmp_path / f"out.{fmt}"
        assert main(["scan", str(tmp_path), "--format", fmt, "-o", str(target), "-q", "--fail-on", "none"]) == 0
        out[fmt] = target.read_text()
    for fmt, text in out.items():
        assert "alice.tf-secret-owner" not in text and "module-secret-code-9" not in text, fmt
    doc = json.loads(out["json"])
    tag = {f["resource"]["address"]: f for f in doc["findings"] if f["control_id"] == "TAG-01"}
    assert tag["aws_sqs_queue.q"]["status"] == "pass"
    assert tag["aws_sqs_queue.q"]["evidence"]["tags"]["Owner"] == "(sensitive)"
    assert tag["aws_sqs_queue.q"]["evidence"]["tags"]["Environment"] == "prod"   # not sensitive: shown
    assert tag["module.m.aws_sns_topic.t"]["status"] == "fail"   # judged with the module input's value
    assert "(sensitive)" in tag["module.m.aws_sns_topic.t"]["message"]
