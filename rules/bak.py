"""BAK: backups (seed 003 §6.1; seed 004 Recovery; seed 002 Data Replication)."""
from __future__ import annotations

from scanner.controls import Check, control
from scanner.values import Unknown, Value


@control("BAK-01", title="Relational databases keep automated backups long enough",
         family="BAK", severity="high", soc2=["A1.2", "A1.3", "CC7.5"], kinds=("database",),
         fields=("backup_retention_days",), params={"min_retention_days": 35},
         requirement="Relational databases keep automated backups for at least 35 days.")
def bak_01(r, ctx):
    chk = Check()
    need = int(ctx.params.get("min_retention_days", 35))
    v = r["backup_retention_days"]
    chk.require(v.ge(need), f"backups are kept {_days(v)}; "
                            f"{ctx.requires('min_retention_days', f'at least {need} days')}",
                "the backup retention is not known", v)
    return chk.verdict(f"backups are kept {_days(v)} (at least {need} required)")


def _days(v: Value) -> str:
    n = v.value
    if n in (0, "0"):
        return "0 days (automated backups are off)"
    return f"{n} day{'s' if str(n) != '1' else ''}"


@control("BAK-02", title="Database backups are copied to another region",
         family="BAK", severity="medium-high", soc2=["A1.2", "A1.3", "CC7.5"], kinds=("database",),
         fields=("backup_cross_region",),
         requirement="Database backups are copied to another region (automated backups replication, an AWS "
                     "Backup cross-region copy, geo-redundant backup storage).")
def bak_02(r, ctx):
    chk = Check()
    v = r["backup_cross_region"]
    chk.require(v.truthy(), "backups stay in the database's own region", "whether backups leave the region is not "
                                                                          "known", v)
    if r.has("backup_copied_by"):
        chk.see(r["backup_copied_by"])
    return chk.verdict("backups are copied to another region")


@control("BAK-03", title="Other data stores keep enough recovery history",
         family="BAK", severity="medium-high", soc2=["A1.2", "A1.3", "CC7.5"],
         kinds=("cache", "data_store", "object_store", "backup_plan"),
         fields=("snapshot_retention_days", "pitr_enabled", "versioning", "rules"),
         params={"min_retention_days": 35},
         requirement="Tables, caches, buckets and backup plans keep at least 35 days of recovery: point-in-time "
                     "recovery, snapshot retention, object versioning, backup rules' retention.")
def bak_03(r, ctx):
    chk = Check()
    need = int(ctx.params.get("min_retention_days", 35))
    if r.has("pitr_enabled"):
        v = r["pitr_enabled"]
        chk.require(v.truthy(), "point-in-time recovery is off", "whether point-in-time recovery is on is not known", v)
        if r.has("recovery_days"):
            d = r["recovery_days"]
            chk.require(d.ge(need), f"point-in-time recovery covers {_days(d)}; "
                                      f"{ctx.requires('min_retention_days', f'at least {need} days')}",
                        "the recovery period is not known", d)
    if r.has("snapshot_retention_days"):
        v = r["snapshot_retention_days"]
        chk.require(v.ge(need), f"snapshots are kept {_days(v)}; "
                                f"{ctx.requires('min_retention_days', f'at least {need} days')}",
                    "the snapshot retention is not known", v)
    if r.has("versioning"):
        v = r["versioning"]
        chk.require(v.truthy(), "object versioning is not enabled: overwritten or deleted objects cannot be "
                                "recovered", "whether versioning is enabled is not known", v)
    if r.has("rules"):
        _plan_rules(chk, r["rules"], need)
    return chk.verdict(f"at least {need} days of recovery are kept")


def _plan_rules(chk: Check, rules: Value, need: int) -> None:
    if not rules.known:
        chk.unknown(f"the backup plan's rules are not known: {rules.reason}", rules)
        return
    seen = {}
    if not rules.value:
        chk.fail("the backup plan has no rules", rules)
        return
    for i, rule in enumerate(rules.value):
        name = rule.get("name") or f"rule {i + 1}"
        days = rule.get("retention_days")
        if isinstance(days, Unknown):
            seen[name] = days.evidence()
            chk.unknown(f"the retention of {name} is not known: {days.reason}")
        elif days is None:
            seen[name] = "kept until deleted"
        else:
            seen[name] = days
            if int(days) < need:
                chk.fail(f"{name} deletes recovery points after {days} days; at least {need} are required")
    chk.note("lifecycle.delete_after", seen)
