"""IAM-01 and IAM-02 live: customer-managed policies, roles' inline policies, the credential report.

IAM is global: these run once per account (``audit.GLOBAL``), never per region.

* Policies: ``iam:ListPolicies`` (Scope ``Local``: the account's own, not AWS's) and, per policy,
  ``iam:GetPolicyVersion`` of its default version (the listing has no document) and
  ``iam:ListPolicyTags`` (the listing has no tags either; TAG-01 reads them, as for the plan's
  ``aws_iam_policy``). Roles: ``iam:ListRoles``, then per role ``iam:ListRolePolicies`` and per inline
  policy ``iam:GetRolePolicy``. Service-linked roles (path ``/aws-service-role/``) are AWS's own and
  cannot be edited: their policies are not customer-written and are not read.
* The credential report (IAM-02): ``iam:GenerateCredentialReport`` until its State is COMPLETE
  (bounded by ``REPORT_WAITS``), then ``iam:GetCredentialReport``. The report is a CSV of every user's
  credentials: it is parsed with the csv module and nothing of it is kept but each user's name,
  ``password_enabled`` and ``mfa_active``; the text is dropped as soon as it is read. The root user's
  row is not an IAM user's: its ``password_enabled`` is always ``not_supported``, so CONTROLS.md's test
  (password_enabled true) never applies to it, and it is left out.

A failed listing becomes a placeholder (every field Unknown); a failed read of one policy leaves
its statements Unknown; a report that is denied, fails or is not ready in time leaves one
placeholder user whose IAM-02 is unknown. Each is a coverage entry.
"""
from __future__ import annotations

import csv
import io
import time

from ...model import Resource
from ...policy_doc import NotAPolicy, statements
from ...values import Origin, Unknown, Value
from .guard import Failure
from .ops import api_name
from .scope import SOURCE, Scope, tags, unknown, val

LIST_API = api_name("iam", "ListPolicies")
VERSION_API = api_name("iam", "GetPolicyVersion")
TAGS_API = api_name("iam", "ListPolicyTags")
ROLE_POLICY_API = api_name("iam", "GetRolePolicy")
GENERATE_API = api_name("iam", "GenerateCredentialReport")
REPORT_API = api_name("iam", "GetCredentialReport")
# seconds to wait before asking again whether the report is ready: AWS builds it in seconds for most
# accounts; after about 30 s in all the audit goes on and says the report was not ready
REPORT_WAITS = (0.5, 1, 2, 3, 4, 5, 6, 8)
KEPT = ("user", "password_enabled", "mfa_active")   # the only columns of the report read
ROOT = "<root_account>"   # the account's root user, the report's first row


def document(doc, path: str, api: str) -> Value:
    """A policy document as the model's statements (Unknown when it is not one)."""
    try:
        return val(statements(doc), path, api)
    except NotAPolicy as e:
        return Unknown(f"{path} is not a policy document: {e}", Origin(SOURCE, path, api=api))


# ----------------------------------------------------------------- policies (IAM-01)
def policies(scope: Scope) -> list[Resource]:
    items, fail = scope.pages("iam", "ListPolicies", "Policies", Scope="Local")

    def one(p: dict) -> Resource:
        arn, name = p["Arn"], p["PolicyName"]
        r = scope.resource("iam_policy", "aws_iam_policy", arn, name, (arn, name, p.get("PolicyId")), raw=p,
                           raw_api=LIST_API)
        got = scope.call("iam", "GetPolicyVersion", PolicyArn=arn, VersionId=p.get("DefaultVersionId") or "v1")
        r.set("statements", unknown(got, "PolicyVersion.Document") if isinstance(got, Failure) else
              document((got.get("PolicyVersion") or {}).get("Document"), "PolicyVersion.Document", VERSION_API))
        found, tfail = scope.pages("iam", "ListPolicyTags", "Tags", PolicyArn=arn)
        r.set("tags", unknown(tfail, "Tags") if tfail else tags(found, "Tags", TAGS_API))
        return r

    out = scope.each(one, items)
    if fail:
        out.append(scope.placeholder("iam_policy", "aws_iam_policy", "iam", "policy/*", fail,
                                     "customer-managed IAM policies"))
    return out


def role_policies(scope: Scope) -> list[Resource]:
    roles, fail = scope.pages("iam", "ListRoles", "Roles")
    mine = [r for r in roles if not str(r.get("Path", "/")).startswith("/aws-service-role/")]

    def one(role: dict) -> list[Resource]:
        rname, rarn = role["RoleName"], role["Arn"]
        names, lfail = scope.pages("iam", "ListRolePolicies", "PolicyNames", RoleName=rname)
        out = []
        for n in names:
            address = f"{rarn}/inline-policy/{n}"
            got = scope.call("iam", "GetRolePolicy", RoleName=rname, PolicyName=n)
            body = None if isinstance(got, Failure) else {k: got.get(k) for k in ("RoleName", "PolicyName",
                                                                                 "PolicyDocument")}
            r = scope.resource("iam_policy", "aws_iam_role_policy", address, f"{rname}:{n}", (address, f"{rname}:{n}"),
                               raw=body, raw_api=ROLE_POLICY_API)
            r.set("statements", unknown(got, "PolicyDocument") if isinstance(got, Failure) else
                  document(got.get("PolicyDocument"), "PolicyDocument", ROLE_POLICY_API))
            out.append(r)
        if lfail:
            out.append(scope.placeholder("iam_policy", "aws_iam_role_policy", "iam",
                                         f"role{role.get('Path', '/')}{rname}/inline-policy/*", lfail,
                                         f"inline policies of role {rname}"))
        return out

    out = [r for group in scope.each(one, mine) for r in group]
    if fail:
        out.append(scope.placeholder("iam_policy", "aws_iam_role_policy", "iam", "role/*/inline-policy/*", fail,
                                     "IAM roles' inline policies"))
    return out


# ----------------------------------------------------------------- the credential report (IAM-02)
def console_users(scope: Scope) -> list[Resource]:
    rows = report(scope)
    if isinstance(rows, Failure):
        return [scope.placeholder("iam_user", "aws_iam_user", "iam", "user/*", rows,
                                  "IAM users (the credential report)")]
    out = []
    for row in rows:
        name = row["user"]
        if name == ROOT:
            continue   # not an IAM user: its password_enabled is "not_supported", never true (see above)
        arn = scope.arn("iam", f"user/{name}")
        r = scope.resource("iam_user", "aws_iam_user", arn, name, (arn, name), raw=row, raw_api=REPORT_API)
        r.set("console_password", _flag(row, "password_enabled"))
        r.set("mfa_active", _flag(row, "mfa_active"))
        out.append(r)
    return out


def _flag(row: dict, column: str) -> Value:
    """"true"/"false" as a bool; anything else ("not_supported", "N/A", missing) is not known."""
    text = str(row.get(column) or "").strip().lower()
    if text in ("true", "false"):
        return val(text == "true", column, REPORT_API)
    return Unknown(f"the credential report gives {column} = {text or '(nothing)'!r}",
                   Origin(SOURCE, column, api=REPORT_API))


def report(scope: Scope) -> list[dict] | Failure:
    """The report's rows, each holding only KEPT; or the Failure that stopped it."""
    state = ""
    for wait in (0.0,) + tuple(REPORT_WAITS):
        if wait:
            time.sleep(wait)
        got = scope.call("iam", "GenerateCredentialReport")
        if isinstance(got, Failure):
            return got
        state = str(got.get("State") or "")
        if state == "COMPLETE":
            break
    else:
        f = Failure(GENERATE_API, scope.region, scope.account,
                    f"the credential report was not ready after {sum(REPORT_WAITS):.0f} s (State {state or 'none'})")
        with scope.calls._lock:   # noqa: SLF001 - the failure log is the guard's; one coverage entry
            scope.calls.failures.append(f)
        return f
    got = scope.call("iam", "GetCredentialReport")
    if isinstance(got, Failure):
        return got
    content = got.get("Content") or b""
    got.clear()   # the response holds every user's credential dates: nothing of it outlives this read
    try:
        return parse(content)
    except (ValueError, csv.Error) as e:
        f = Failure(REPORT_API, scope.region, scope.account, f"the credential report could not be read: {e}")
        with scope.calls._lock:   # noqa: SLF001
            scope.calls.failures.append(f)
        return f


def parse(content: bytes | str) -> list[dict]:
    """The CSV's rows, reduced to KEPT (every other column is dropped as the row is read)."""
    text = content.decode("utf-8") if isinstance(content, (bytes, bytearray)) else str(content)
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in KEPT if c not in (reader.fieldnames or ())]
    if missing:
        raise ValueError(f"no column {', '.join(missing)}")
    return [{k: (row.get(k) or "") for k in KEPT} for row in reader if row.get("user")]
