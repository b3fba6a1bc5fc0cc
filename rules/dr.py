"""DR: a second region holds the data (seed 002 "Data Replication", "Read replicas for databases",
"S3 cross-region replication for critical buckets", "DynamoDB Global Tables"; seed 003 §1.3, §6.3;
seed 001 Multi-Region).

The adapters set ``cross_region_replica`` on primary data stores: true when a replica, a member
of the same global cluster or table, a replication rule's destination or a failover partner is in
another region than the store; false when none is; unknown when one may be but its region, its
existence or the reference to it is not settled. Replicas themselves carry no field (not
applicable). Buckets are checked only when tagged critical (tag ``Criticality`` = ``critical``,
profile parameters ``tag`` and ``value``); a bucket whose tags are not known is checked.
"""
from __future__ import annotations

from scanner.controls import Check, control
from scanner.values import Unknown


@control("DR-01", title="Primary data stores replicate to another region",
         family="DR", severity="medium-high", soc2=["A1.2", "A1.3"], kinds=("database", "data_store", "object_store"),
         fields=("cross_region_replica",), params={"tag": "Criticality", "value": "critical"},
         requirement="Primary data stores replicate to another region: relational databases have a replica "
                     "there (or belong to a global cluster or failover group with a member there), key-value "
                     "tables are global, and critical buckets (tag Criticality = critical) replicate to a "
                     "bucket in another region.")
def dr_01(r, ctx):
    chk = Check()
    v = r["cross_region_replica"]
    if r.kind == "object_store":
        critical = _critical(r, str(ctx.params.get("tag", "Criticality")), str(ctx.params.get("value", "critical")))
        if critical is False:
            return None   # not a critical bucket: not applicable
        if critical is not True:
            chk.note("critical", {"unknown": critical})
            if v.known and not v.value:
                chk.unknown(f"the bucket does not replicate to another region, and whether it is critical is not "
                            f"known: {critical}", v)
                return chk.verdict("")
    chk.require(v.truthy(), f"no copy is kept in another region: {_what(r)}",
                "whether a copy is kept in another region is not known", v)
    return chk.verdict("a copy is kept in another region")


def _what(r) -> str:
    if r.kind == "object_store":
        return "no enabled replication rule sends its objects to a bucket in another region"
    if r.kind == "data_store":
        return "the table has no replica in another region"
    return "no replica, global-cluster member or failover partner in another region"


def _critical(r, key: str, want: str):
    """True / False, or the reason it is not known."""
    if not r.has("tags"):
        return False
    tags = r["tags"]
    if not tags.known:
        return f"the tags are not known ({tags.reason})"
    t = tags.value or {}
    got = t.get(key)
    if got is None and r.provider == "azure":
        got = next((x for k, x in t.items() if str(k).lower() == key.lower()), None)
    if isinstance(got, Unknown):
        return f"tag {key} is not known ({got.reason})"
    if got is None:
        other = t.get("*")
        if isinstance(other, Unknown):
            return f"other tags may exist ({other.reason})"
        return False
    return str(got).strip().lower() == want.lower()
