"""AWS Backup: plans (rules, retention, cross-region copies) and their selections.

They are emitted as the same ``backup_plan`` / ``backup_selection`` resources a
plan gives; ``scanner.link`` decides which databases they copy to another region.
"""
from __future__ import annotations

from ...model import Resource
from .guard import Failure
from .ops import api_name
from .scope import Scope, arn_region, set_all, unknown, val

CONDITION_OPS = {"StringEquals": "equals", "StringLike": "like", "StringNotEquals": "not_equals",
                 "StringNotLike": "not_like"}


def plans(scope: Scope) -> list[Resource]:
    items, fail = scope.pages("backup", "ListBackupPlans", "BackupPlansList")
    out: list[Resource] = []
    for group in scope.each(lambda p: _plan(scope, p), items):
        out += group
    if fail:
        out.append(scope.placeholder("backup_plan", "aws_backup_plan", "backup", "backup-plan:*", fail,
                                     "AWS Backup plans"))
        out.append(_unlisted_selection(scope, fail, None))
    return out


def _plan(scope: Scope, item: dict) -> list[Resource]:
    pid, arn = item["BackupPlanId"], item["BackupPlanArn"]
    r = scope.resource("backup_plan", "aws_backup_plan", arn, item.get("BackupPlanName", pid), (arn, pid), raw=item,
                       raw_api=api_name("backup", "ListBackupPlans"))
    r.set("region", val(scope.region, "BackupPlanArn", api_name("backup", "ListBackupPlans")))
    got = scope.call("backup", "GetBackupPlan", BackupPlanId=pid)
    if isinstance(got, Failure):
        r.set("rules", unknown(got, "Rules"))
    else:
        rules = []
        for rule in (got.get("BackupPlan") or {}).get("Rules") or []:
            copies = [arn_region(c.get("DestinationBackupVaultArn")) for c in rule.get("CopyActions") or []]
            rules.append({"name": rule.get("RuleName"),
                          "retention_days": (rule.get("Lifecycle") or {}).get("DeleteAfterDays"),
                          "copy_regions": copies})
        r.set("rules", val(rules, "Rules", api_name("backup", "GetBackupPlan")))
    tg = scope.call("backup", "ListTags", ResourceArn=arn)
    r.set("tags", unknown(tg, "Tags") if isinstance(tg, Failure) else
          val(dict(tg.get("Tags") or {}), "Tags", api_name("backup", "ListTags")))
    out = [r]
    sels, sfail = scope.pages("backup", "ListBackupSelections", "BackupSelectionsList", BackupPlanId=pid)
    for s in sels:
        out.append(_selection(scope, pid, arn, s))
    if sfail:
        out.append(_unlisted_selection(scope, sfail, arn))
    return out


def _unlisted_selection(scope: Scope, fail: Failure, plan_arn: str | None) -> Resource:
    """Selections that could not be read.  What they select is unknown, but an AWS Backup
    selection only ever covers resources of its own account and region: saying so keeps
    BAK-02 unknown for this region's databases only, not for every database audited."""
    r = scope.placeholder("backup_selection", "aws_backup_selection", "backup",
                          f"backup-plan:{plan_arn.rsplit(':', 1)[-1] if plan_arn else '*'}/selection/*", fail,
                          "AWS Backup selections")
    r.opaque = None   # not a blank: what it may cover is known below, and scanner.link weighs it
    if plan_arn:
        r.set("plan", val([plan_arn], "BackupPlanId", fail.api))
    r.set("resources", val([f"arn:{scope.partition}:*:{scope.region}:{scope.account}:*"],
                           "(a selection covers only resources of its own region and account)", fail.api))
    r.set("tag_conditions", val([], "(not listed)", fail.api))
    # ...and whether it covers a given resource there is not known: never a pass through it
    r.set("conditions", unknown(fail, "Conditions"))
    return r


def _selection(scope: Scope, pid: str, plan_arn: str, item: dict) -> Resource:
    sid = item["SelectionId"]
    r = scope.resource("backup_selection", "aws_backup_selection", f"{plan_arn}/selection/{sid}",
                       item.get("SelectionName", sid), (sid,), raw=item,
                       raw_api=api_name("backup", "ListBackupSelections"))
    api = api_name("backup", "GetBackupSelection")
    r.set("plan", val([plan_arn], "BackupPlanId", api))
    got = scope.call("backup", "GetBackupSelection", BackupPlanId=pid, SelectionId=sid)
    if isinstance(got, Failure):
        set_all(r, got, ("resources", "tag_conditions", "conditions"))
        return r
    sel = got.get("BackupSelection") or {}
    r.set("resources", val(list(sel.get("Resources") or []), "Resources", api))
    r.set("not_resources", val(list(sel.get("NotResources") or []), "NotResources", api))
    r.set("tag_conditions", val([{"key": t.get("ConditionKey"), "value": t.get("ConditionValue")}
                                 for t in sel.get("ListOfTags") or [] if t.get("ConditionType", "STRINGEQUALS")
                                 == "STRINGEQUALS"], "ListOfTags", api))
    conds = []
    for name, op in CONDITION_OPS.items():
        for c in (sel.get("Conditions") or {}).get(name) or []:
            key = str(c.get("ConditionKey", "")).removeprefix("aws:ResourceTag/")
            conds.append({"op": op, "key": key, "value": c.get("ConditionValue")})
    r.set("conditions", val(conds, "Conditions", api))
    return r
