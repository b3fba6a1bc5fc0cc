"""IAM: least privilege (seed 002 "IAM roles with least privilege"; seed 003 §4.1 RBAC and MFA;
seed 004 IAM Roles)."""
from __future__ import annotations

import re

from scanner.controls import Check, control
from scanner.values import FALSE, TRUE, Origin, Tri, Unknown, Value, unknown_tri

# IAM matches Action and Resource with * and ? wildcards, * also across ':'. A pattern made only of
# "*" (and the ":" between service and action) matches every action; a resource pattern matches
# every resource when it is "*" or an ARN pattern whose every part after "arn:" is "*" (its partition
# may be named: arn:aws:*:*:*:* is every resource of the account's partition).
_EVERY_ACTION = re.compile(r"^\*+(:\*+)?$")
_EVERY_RESOURCE = re.compile(r"^(\*+|arn:\*+|arn:(\*+|aws[a-z-]*)(:\*+)+)$")


def every_action(pattern: str) -> bool:
    return bool(_EVERY_ACTION.match(pattern.strip()))


def every_resource(pattern: str) -> bool:
    return bool(_EVERY_RESOURCE.match(pattern.strip()))


def _any_of(values, test, what: str) -> Tri:
    """TRUE when a known element passes ``test``, else UNKNOWN when an element (or the list) is not known."""
    if isinstance(values, Unknown):
        return unknown_tri(f"{what} is not known: {values.reason}")
    doubt = None
    for v in values or ():
        if isinstance(v, Unknown):
            if doubt is None:
                doubt = unknown_tri(f"an element of {what} is not known: {v.reason}")
        elif test(v):
            return TRUE
    return FALSE if doubt is None else doubt


def grants_everything(st) -> tuple[Tri, str]:
    """Whether one statement allows every action on every resource, and how (for the message)."""
    if isinstance(st, Unknown):
        return unknown_tri(f"a statement is not known: {st.reason}"), ""
    effect = st.get("effect")
    if isinstance(effect, Unknown):
        allow = unknown_tri(f"its effect is not known: {effect.reason}")
    else:
        allow = TRUE if str(effect).lower() == "allow" else FALSE
    if allow.is_false:
        return FALSE, ""
    if st.get("not_actions") is not None:
        # Allow + NotAction grants every action but those listed: CONTROLS.md fails it on *
        actions, how_a = TRUE, "NotAction (every action but those listed)"
    else:
        actions, how_a = _any_of(st.get("actions"), every_action, "Action"), "Action *"
    if st.get("not_resources") is not None:
        resources, how_r = TRUE, "NotResource (every resource but those listed)"
    else:
        resources, how_r = _any_of(st.get("resources"), every_resource, "Resource"), "Resource *"
    sid = st.get("sid")
    return allow & actions & resources, f"{'statement ' + repr(sid) + ': ' if sid else ''}Allow {how_a} on {how_r}"


@control("IAM-01", title="No customer-written policy allows every action on every resource",
         family="IAM", severity="high", soc2=["CC6.3", "CC6.1"], kinds=("iam_policy",), fields=("statements",),
         requirement="No customer-written IAM policy (managed, or inline on a role, user or group) has an Allow "
                     "statement whose Action is * (or *:*), or that uses NotAction, on Resource *; no Azure "
                     "custom role's actions contain *.")
def iam_01(r, ctx):
    chk = Check()
    sts = r["statements"]
    if not sts.known:
        chk.unknown(f"the policy document is not known: {sts.reason}", sts)
        return chk.verdict("")
    found, doubt = [], []
    for i, st in enumerate(sts.value or []):
        t, how = grants_everything(st)
        if t.is_true:
            found.append(how)
        elif t.is_unknown:
            doubt.append(f"statement {i + 1}: {t.reason}")
    chk.see(sts)
    if found:
        chk.fail(f"the policy allows every action on every resource ({'; '.join(found)})",
                 Value(found, Origin(sts.origin.source, "grants everything", sts.origin.file, sts.origin.line,
                                     sts.origin.api)))
        chk.where = sts.origin if sts.origin.line else chk.where
    elif doubt:
        chk.unknown("whether the policy allows every action on every resource is not known: " + "; ".join(doubt))
    return chk.verdict("no statement allows every action on every resource")


@control("IAM-02", title="People who sign in to the console use MFA",
         family="IAM", severity="high", soc2=["CC6.3", "CC6.1"], kinds=("iam_user",), fields=("console_password",),
         requirement="Every IAM user who can sign in to the console (password_enabled in the credential report) "
                     "has an MFA device active (mfa_active).")
def iam_02(r, ctx):
    chk = Check()
    pw = r["console_password"]
    console = pw.truthy()
    if console.is_false:
        return None   # no console password: not a person signing in to the console
    mfa = r["mfa_active"]
    if mfa.truthy().is_true:
        chk.see(pw, mfa)   # MFA active: the requirement holds whether or not a password is set
    elif console.is_unknown:
        chk.unknown(f"whether the user signs in to the console is not known: {console.reason}", pw, mfa)
    else:
        chk.see(pw)
        chk.require(mfa.truthy(), "the user signs in to the console with a password and has no MFA device active",
                    "whether the user has an MFA device active is not known", mfa)
    return chk.verdict("the user signs in to the console with MFA")
