"""IAM-01 and IAM-02: the rules on the model, and IAM-01's documents in plans and .tf source.

The same .tf text is scanned as source and (for the cases a plan can show) built as a plan with
tests/planlib.py, so both Terraform sources are held to one verdict. The fixtures' cases (a scoped
policy document, a policy allowing * on *, a NotAction Allow, a document read at apply time, an
Azure custom role with actions *) are in tests/test_fixtures.py / tests/test_hcl_parity.py.
"""
from __future__ import annotations

import json

import pytest

from planlib import Plan
from scanner.model import Resource
from scanner.values import Origin, Unknown, Value


# ----------------------------------------------------------------------------- the rule on the model
def _policy(doc_or_statements) -> Resource:
    from scanner.policy_doc import statements
    r = Resource(kind="iam_policy", type="aws_iam_policy", address="arn:aws:iam::1:policy/p", provider="aws",
                 source="aws")
    sts = statements(doc_or_statements) if isinstance(doc_or_statements, (dict, str)) else doc_or_statements
    r.set("statements", sts if isinstance(sts, Unknown) else Value(sts, Origin("aws", "PolicyVersion.Document")))
    return r


def _verdict(control: str, r: Resource):
    from scanner.controls import Context, load_rules
    return load_rules()[control].func(r, Context({}, {}))


def _doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


@pytest.mark.parametrize("statement,status", [
    ({"Effect": "Allow", "Action": "*", "Resource": "*"}, "fail"),
    ({"Effect": "Allow", "Action": "*:*", "Resource": "*"}, "fail"),
    ({"Effect": "Allow", "Action": ["s3:GetObject", "*"], "Resource": ["arn:aws:s3:::b/*", "*"]}, "fail"),
    ({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:*:*:*:*"}, "fail"),
    ({"Effect": "Allow", "Action": "*", "Resource": "arn:*"}, "fail"),
    ({"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}, "fail"),
    ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:s3:::b/*"}, "pass"),
    ({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::secrets/*"}, "fail"),
    ({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, "pass"),
    ({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/*"}, "pass"),
    ({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::*"}, "pass"),
    ({"Effect": "Deny", "Action": "*", "Resource": "*"}, "pass"),
    ({"Effect": "Allow", "Action": "iam:*", "Resource": "*"}, "pass"),
])
def test_a_statement_allowing_every_action_on_every_resource_fails(statement, status):
    v = _verdict("IAM-01", _policy(_doc(statement)))
    assert v.status == status, v.message
    if status == "fail":
        assert "every action on every resource" in v.message


def test_a_single_statement_object_and_a_url_encoded_document_are_read():
    from urllib.parse import quote
    doc = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}
    assert _verdict("IAM-01", _policy(doc)).status == "fail"
    assert _verdict("IAM-01", _policy(quote(json.dumps(doc)))).status == "fail"


def test_unknown_parts_make_it_unknown_and_a_known_grant_still_fails():
    sts = [{"effect": "Allow", "sid": None, "actions": ["s3:GetObject", Unknown("var.extra")], "not_actions": None,
            "resources": ["*"], "not_resources": None}]
    v = _verdict("IAM-01", _policy(sts))
    assert v.status == "unknown" and "var.extra" in v.message
    sts.append({"effect": "Allow", "sid": "Admin", "actions": ["*"], "not_actions": None, "resources": ["*"],
                "not_resources": None})
    v = _verdict("IAM-01", _policy(sts))
    assert v.status == "fail" and "'Admin'" in v.message
    # the effect itself not known
    v = _verdict("IAM-01", _policy([dict(sts[1], effect=Unknown("var.effect"))]))
    assert v.status == "unknown"
    # resources not known, actions scoped: no statement can grant everything
    v = _verdict("IAM-01", _policy([dict(sts[1], actions=["sqs:SendMessage"], resources=Unknown("after apply"))]))
    assert v.status == "pass"
    # the whole document not known
    r = _policy(Unknown("policy is known only after apply", Origin("terraform-plan", "policy")))
    v = _verdict("IAM-01", r)
    assert v.status == "unknown" and "known only after apply" in v.message


def test_a_document_that_is_not_a_policy_is_refused_by_the_parser():
    from scanner.policy_doc import NotAPolicy, statements
    for bad in ("{not json", "[]", json.dumps({"Statement": "x"}), json.dumps({"Statement": ["x"]})):
        with pytest.raises(NotAPolicy):
            statements(bad)


def _user(password, mfa) -> Resource:
    r = Resource(kind="iam_user", type="aws_iam_user", address="arn:aws:iam::1:user/u", provider="aws", source="aws")
    for name, v in (("console_password", password), ("mfa_active", mfa)):
        r.set(name, v if isinstance(v, Unknown) else Value(v, Origin("aws", name, api="iam:GetCredentialReport")))
    return r


@pytest.mark.parametrize("password,mfa,status", [
    (True, True, "pass"), (True, False, "fail"), (False, False, None), (False, True, None),
    (Unknown("not_supported"), True, "pass"), (Unknown("not_supported"), False, "unknown"),
    (True, Unknown("report not read"), "unknown"),
])
def test_iam_02_console_users_need_mfa(password, mfa, status):
    v = _verdict("IAM-02", _user(password, mfa))
    assert (v.status if v is not None else None) == status
    if status == "fail":
        assert "no MFA device" in v.message and v.evidence["observed_via"] == ["iam:GetCredentialReport"]


# ----------------------------------------------------------------------------- .tf source and plans
def _scan_tf(tmp_path, text: str) -> dict[str, tuple[str, str]]:
    from scanner.engine import evaluate
    from scanner.link import link
    from scanner.profile import spec_profile
    from scanner.sources.terraform import hcl
    from scanner.sources.terraform.normalize import normalize
    (tmp_path / "main.tf").write_text('provider "aws" {\n  region = "us-east-1"\n}\n' + text)
    found = evaluate(link(normalize(hcl.load_dir(str(tmp_path)))), spec_profile())
    return {f.resource.address: (f.status, f.message) for f in found if f.control_id == "IAM-01"}


DOCUMENTS = '''
resource "aws_sqs_queue" "q" {
  name = "q"
}

data "aws_iam_policy_document" "scoped" {
  statement {
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.q.arn]
  }
}

data "aws_iam_policy_document" "ops" {
  statement {
    effect      = "Allow"
    not_actions = ["iam:*"]
    resources   = ["*"]
  }
}

data "aws_iam_policy_document" "base" {
  statement {
    sid       = "Wide"
    actions   = ["*"]
    resources = ["*"]
  }
}

# the source document's Wide statement is replaced by this one's of the same Sid
data "aws_iam_policy_document" "narrowed" {
  source_policy_documents = [data.aws_iam_policy_document.base.json]
  statement {
    sid       = "Wide"
    actions   = ["sqs:ReceiveMessage"]
    resources = [aws_sqs_queue.q.arn]
  }
}

# the override document's statement replaces this one's of the same Sid
data "aws_iam_policy_document" "widened" {
  override_policy_documents = [data.aws_iam_policy_document.base.json]
  statement {
    sid       = "Wide"
    actions   = ["sqs:ReceiveMessage"]
    resources = ["*"]
  }
}

variable "extra" {
  type = string
}

resource "aws_iam_role_policy" "scoped" {
  name   = "scoped"
  role   = "r"
  policy = data.aws_iam_policy_document.scoped.json
}

resource "aws_iam_user_policy" "ops" {
  name   = "ops"
  user   = "u"
  policy = data.aws_iam_policy_document.ops.json
}

resource "aws_iam_group_policy" "narrowed" {
  name   = "narrowed"
  group  = "g"
  policy = data.aws_iam_policy_document.narrowed.json
}

resource "aws_iam_policy" "widened" {
  name   = "widened"
  policy = data.aws_iam_policy_document.widened.json
}

resource "aws_iam_policy" "admin" {
  name = "admin"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["*:*"], Resource = "*" }]
  })
}

resource "aws_iam_policy" "literal" {
  name   = "literal"
  policy = "{\\"Version\\": \\"2012-10-17\\", \\"Statement\\": [{\\"Effect\\": \\"Allow\\", \\"Action\\": \\"s3:*\\", \\"Resource\\": \\"*\\"}]}"
}

resource "aws_iam_policy" "after_apply" {
  name = "after-apply"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "*", Resource = aws_sqs_queue.q.arn }]
  })
}

resource "aws_iam_policy" "templated" {
  name   = "templated"
  policy = data.aws_iam_policy.vendor.policy
}

data "aws_iam_policy" "vendor" {
  arn = "arn:aws:iam::111122223333:policy/vendor"
}
'''


def test_tf_source_reads_json_jsonencode_and_policy_document_data_sources(tmp_path):
    got = _scan_tf(tmp_path, DOCUMENTS)
    assert {a: s for a, (s, _) in got.items()} == {
        "aws_iam_role_policy.scoped": "pass",      # data source: actions scoped, resources after apply
        "aws_iam_user_policy.ops": "fail",         # NotAction with Allow on *
        "aws_iam_group_policy.narrowed": "pass",   # the source's Wide statement replaced by a scoped one
        "aws_iam_policy.widened": "fail",          # the override's Wide statement replaces the scoped one
        "aws_iam_policy.admin": "fail",            # jsonencode, *:* on *
        "aws_iam_policy.literal": "pass",          # a JSON string, s3:* on *
        "aws_iam_policy.after_apply": "unknown",   # jsonencode of a value known after apply
        "aws_iam_policy.templated": "unknown",     # another data source type: the document is not known
    }
    assert "NotAction" in got["aws_iam_user_policy.ops"][1]
    assert "data.aws_iam_policy.vendor" in got["aws_iam_policy.templated"][1]


def test_a_conditional_document_with_an_unknown_condition_is_unknown(tmp_path):
    got = _scan_tf(tmp_path, '''
data "aws_iam_policy_document" "a" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "b" {
  statement {
    actions   = ["s3:PutObject"]
    resources = ["*"]
  }
}

resource "random_id" "x" {
  byte_length = 2
}

resource "aws_iam_policy" "p" {
  name   = "p"
  policy = random_id.x.dec > 5 ? data.aws_iam_policy_document.a.json : data.aws_iam_policy_document.b.json
}
''')
    assert got["aws_iam_policy.p"][0] == "unknown"


STATEMENT_DEFAULTS = {"actions": None, "condition": [], "effect": "Allow", "not_actions": None, "not_principals": [],
                      "not_resources": None, "principals": [], "resources": None, "sid": None}


def test_plan_policy_document_read_at_apply_time_is_followed_to_its_statements():
    """A data source read at apply time: planned values hold its statements, the policy is unknown."""
    for actions, resources, want in ((["sqs:SendMessage"], True, "pass"), (["*"], ["*"], "fail"),
                                     (["*"], True, "unknown")):
        plan = Plan()
        st = dict(STATEMENT_DEFAULTS, actions=actions, resources=None if resources is True else resources)
        plan.add("aws_iam_policy_document", "d", {"statement": [st]}, mode="data", actions=("read",),
                 unknown={"json": True, "id": True,
                          **({"statement": [{"resources": True}]} if resources is True else {})})
        plan.add("aws_iam_role_policy", "p", {"name": "p", "role": "r"}, unknown={"policy": True, "id": True},
                 refs={"policy": ["data.aws_iam_policy_document.d.json", "data.aws_iam_policy_document.d"]})
        assert plan.verdicts("IAM-01") == {"aws_iam_role_policy.p": want}, (actions, resources)


def test_plan_policy_known_as_text_and_unknown_without_a_document_to_follow():
    plan = Plan()
    plan.add("aws_iam_policy", "admin", {"name": "admin", "policy": json.dumps(
        _doc({"Effect": "Allow", "Action": "*", "Resource": "*"}))})
    plan.add("aws_iam_policy", "later", {"name": "later"}, unknown={"policy": True},
             refs={"policy": ["data.aws_iam_policy.vendor.policy", "data.aws_iam_policy.vendor"]})
    plan.add("aws_iam_policy", "var", {"name": "var"}, unknown={"policy": True}, refs={"policy": ["var.doc"]})
    assert plan.verdicts("IAM-01") == {"aws_iam_policy.admin": "fail", "aws_iam_policy.later": "unknown",
                                       "aws_iam_policy.var": "unknown"}


def test_azurerm_role_definition_actions(tmp_path):
    from scanner.engine import evaluate
    from scanner.link import link
    from scanner.profile import spec_profile
    from scanner.sources.terraform import hcl
    from scanner.sources.terraform.normalize import normalize
    (tmp_path / "main.tf").write_text('''
variable "extra" {
  type = list(string)
}

resource "azurerm_role_definition" "star" {
  name  = "star"
  scope = "/subscriptions/00000000-0000-0000-0000-000000000000"
  permissions {
    actions     = ["*"]
    not_actions = ["Microsoft.Authorization/*/write"]
  }
}

resource "azurerm_role_definition" "reader" {
  name  = "reader"
  scope = "/subscriptions/00000000-0000-0000-0000-000000000000"
  permissions {
    actions = ["*/read", "Microsoft.Compute/virtualMachines/*"]
  }
}

resource "azurerm_role_definition" "extra" {
  name  = "extra"
  scope = "/subscriptions/00000000-0000-0000-0000-000000000000"
  permissions {
    actions = var.extra
  }
}
''')
    found = evaluate(link(normalize(hcl.load_dir(str(tmp_path)))), spec_profile())
    got = {f.resource.address: f.status for f in found if f.control_id == "IAM-01"}
    assert got == {"azurerm_role_definition.star": "fail", "azurerm_role_definition.reader": "pass",
                   "azurerm_role_definition.extra": "unknown"}


def test_iam_02_has_no_terraform_column(tmp_path):
    from scanner.engine import evaluate
    from scanner.link import link
    from scanner.profile import spec_profile
    from scanner.sources.terraform import hcl
    from scanner.sources.terraform.normalize import normalize
    (tmp_path / "main.tf").write_text('''
resource "aws_iam_user" "alice" {
  name = "alice"
}

resource "aws_iam_user_login_profile" "alice" {
  user = aws_iam_user.alice.name
}
''')
    found = evaluate(link(normalize(hcl.load_dir(str(tmp_path)))), spec_profile())
    assert not [f for f in found if f.control_id == "IAM-02"]


# ----------------------------------------------------------------------------- Checkov export
def test_checkov_export_has_iam_01_and_says_why_not_iam_02():
    from scanner.checkov.export import plan_export
    plan = plan_export(None)
    iam01 = next(c for c in plan["checks"] if c["control"] == "IAM-01")
    assert iam01["types"] == ["aws_iam_group_policy", "aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy",
                              "azurerm_role_definition"]
    role = [e for e in plan["not_exported"] if e["control"] == "IAM-01"]
    assert role and role[0]["types"] == ["aws_iam_role"] and "inline_policy" in role[0]["reason"]
    why = [e for e in plan["not_exported"] if e["control"] == "IAM-02"]
    assert len(why) == 1 and why[0]["reason"].startswith("live only") and "credential report" in why[0]["reason"]
    assert not any(c["control"] == "IAM-02" for c in plan["checks"])


def test_checkov_conf_decides_one_policy_and_never_passes_a_document_it_cannot_see():
    """Checkov's plan parser decodes a policy's JSON into an object; a policy read from a data source
    reaches the check as a reference to a resource it cannot see: unknown, never a pass."""
    from scanner.checkov.conf import evaluate_conf, settings
    prof = settings("IAM-01", "high", {})
    admin = {"name": ["admin"], "policy": [{"Version": "2012-10-17", "Statement": [
        {"Sid": "A", "Effect": "Allow", "Action": "*", "Resource": "*"}]}]}
    scoped = {"name": ["s"], "policy": [{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": "*"}]}]}
    via_data = {"name": ["q"], "policy": ["data.aws_iam_policy_document.q.json"],
                "references_": [["data.aws_iam_policy_document.q.json", "data.aws_iam_policy_document.q"]]}
    assert evaluate_conf(prof, admin, "aws_iam_policy", "admin").status == "fail"
    assert evaluate_conf(prof, scoped, "aws_iam_policy", "s").status == "pass"
    f = evaluate_conf(prof, via_data, "aws_iam_role_policy", "q")
    assert f.status == "unknown" and "is read from an aws_iam_policy_document" in f.message


def test_a_roles_inline_policy_blocks_are_customer_written_policies(tmp_path):
    got = _scan_tf(tmp_path, '''
data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "wide" {
  statement {
    actions   = ["*"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "plain" {
  name               = "plain"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role" "scoped" {
  name               = "scoped"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  inline_policy {
    name   = "read"
    policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }] })
  }
}

resource "aws_iam_role" "admin" {
  name               = "admin"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  inline_policy {
    name   = "read"
    policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }] })
  }
  inline_policy {
    name   = "all"
    policy = data.aws_iam_policy_document.wide.json
  }
}

resource "aws_iam_role" "none" {
  name               = "none"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  inline_policy {}
}
''')
    assert {a: s for a, (s, _) in got.items()} == {"aws_iam_role.scoped": "pass", "aws_iam_role.admin": "fail"}


def test_plan_role_inline_policy_left_out_is_not_checked_and_written_is():
    plan = Plan()
    doc = json.dumps(_doc({"Effect": "Allow", "Action": "*", "Resource": "*"}))
    plan.add("aws_iam_role", "plain", {"name": "plain"}, unknown={"inline_policy": True})   # not in configuration
    plan.add("aws_iam_role", "admin", {"name": "admin", "inline_policy": [{"name": "all", "policy": doc}]})
    plan.add("aws_iam_policy_document", "d", {"statement": [dict(STATEMENT_DEFAULTS, actions=["*"], resources=["*"])]},
             mode="data", actions=("read",), unknown={"json": True, "id": True})
    plan.add("aws_iam_role", "later", {"name": "later"}, unknown={"inline_policy": True},
             expressions={"inline_policy": [{"name": {"constant_value": "all"},
                                             "policy": {"references": ["data.aws_iam_policy_document.d.json",
                                                                       "data.aws_iam_policy_document.d"]}}]})
    assert plan.verdicts("IAM-01") == {"aws_iam_role.admin": "fail", "aws_iam_role.later": "fail"}


def test_an_azapi_custom_role_is_read_from_its_body(tmp_path):
    from scanner.engine import evaluate
    from scanner.link import link
    from scanner.profile import spec_profile
    from scanner.sources.terraform import hcl
    from scanner.sources.terraform.normalize import normalize
    (tmp_path / "main.tf").write_text('''
resource "azapi_resource" "role" {
  type      = "Microsoft.Authorization/roleDefinitions@2022-04-01"
  name      = "7d7f5a36-1c6b-4a0b-9a77-6a8f5e2b1c01"
  parent_id = "/subscriptions/00000000-0000-0000-0000-000000000000"
  body = {
    properties = {
      roleName    = "avm-operator"
      type        = "CustomRole"
      permissions = [{ actions = ["Microsoft.Compute/*/read"], notActions = [] }, { actions = ["*"] }]
    }
  }
}
''')
    found = evaluate(link(normalize(hcl.load_dir(str(tmp_path)))), spec_profile())
    # a role definition has no tags in Resource Manager: TAG-01 does not apply (as in a live audit)
    assert [(f.control_id, f.resource.type, f.status) for f in found] == [("IAM-01", "azurerm_role_definition", "fail")]


def test_a_document_without_a_statement_is_not_a_policy_that_allows_nothing():
    """IAM refuses a document with no Statement (MalformedPolicyDocument): reading it as a policy that
    allows nothing would pass it (found by the plan fuzz contract: an object in place of the JSON text)."""
    from scanner.policy_doc import NotAPolicy, statements
    with pytest.raises(NotAPolicy, match="no Statement"):
        statements({"0": '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*"}]}'})
    assert statements({"Version": "2012-10-17", "Statement": []}) == []
