"""SEC-01 and DR-01 live: who keeps the database administrators' passwords, and which copies of the
primary data stores live in another region.

Read from what the collectors already list, plus one call where AWS has no list that says it:

* RDS instances (``rds:DescribeDBInstances``): ``MasterUserSecret`` present means RDS keeps the
  password in Secrets Manager; ``ReadReplicaDBInstanceIdentifiers`` lists cross-region replicas by ARN
  (same-region ones by identifier). A replica (``ReadReplicaSourceDBInstanceIdentifier``) and a
  cluster member are not applicable.
* RDS clusters (``rds:DescribeDBClusters``): ``MasterUserSecret``; a member of a global database is
  matched in ``rds:DescribeGlobalClusters`` (one call per region, only where some cluster names a
  global cluster) and passes when another member's ARN is in another region; the secondary
  (``IsWriter`` false) has no credentials of its own.
* DynamoDB (``dynamodb:DescribeTable``, already read): ``Replicas[].RegionName``.
* S3: ``s3:GetBucketReplication`` per bucket that a control of the run checks (no listing returns it;
  DR-01 checks only critical buckets: ``needs.py``); a rule's destination is an ARN without a region,
  so its region is the destination bucket's in the account's bucket listing.

A failed read leaves the field unknown, never absent.
"""
from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ...model import Resource
from ...values import Origin, Unknown, Value
from .guard import Failure
from .ops import api_name
from .scope import SOURCE, Scope, arn_region, unknown

INSTANCES = api_name("rds", "DescribeDBInstances")
CLUSTERS = api_name("rds", "DescribeDBClusters")
GLOBALS = api_name("rds", "DescribeGlobalClusters")
TABLE = api_name("dynamodb", "DescribeTable")
REPLICATION = api_name("s3", "GetBucketReplication")
FIELD = "cross_region_replica"


def _v(value: Any, path: str, api: str) -> Value:
    return Value(value, Origin(SOURCE, path, api=api))


# ------------------------------------------------------------------ RDS
def rds(scope: Scope, resources: list[Resource], clusters: list[dict]) -> None:
    """Set credentials_managed and cross_region_replica on the RDS instances and clusters just collected."""
    globals_: Any = None
    if any(c.get("GlobalClusterIdentifier") for c in clusters):
        found, fail = scope.pages("rds", "DescribeGlobalClusters", "GlobalClusters")
        globals_ = fail if fail else found
    for r in resources:
        if r.opaque or not isinstance(r.raw, dict):
            continue
        if r.type == "aws_db_instance" and r.kind == "database":
            _instance(scope, r, r.raw)
        elif r.type == "aws_rds_cluster" and r.kind == "database":
            _cluster(scope, r, r.raw, globals_)


def _secret(d: dict, api: str) -> Value:
    if d.get("MasterUserSecret"):
        return _v(True, "MasterUserSecret (RDS keeps the password in Secrets Manager)", api)
    return _v(False, "MasterUserSecret (absent: RDS does not manage the master password)", api)


def _instance(scope: Scope, r: Resource, d: dict) -> None:
    if d.get("ReadReplicaSourceDBInstanceIdentifier") or d.get("ReadReplicaSourceDBClusterIdentifier"):
        return   # a replica: its credentials are its source's, and it is no primary
    r.set("credentials_managed", _secret(d, INSTANCES))
    other = [x for x in d.get("ReadReplicaDBInstanceIdentifiers") or []
             if arn_region(x) and arn_region(x) != scope.region]
    if other:
        r.set(FIELD, _v(True, f"ReadReplicaDBInstanceIdentifiers ({', '.join(other)})", INSTANCES))
    else:
        same = d.get("ReadReplicaDBInstanceIdentifiers") or []
        why = f"replicas only in {scope.region}: {', '.join(same)}" if same else "no read replica"
        r.set(FIELD, _v(False, f"ReadReplicaDBInstanceIdentifiers ({why})", INSTANCES))


def _cluster(scope: Scope, r: Resource, c: dict, globals_: Any) -> None:
    if c.get("ReplicationSourceIdentifier"):
        return   # a cross-region read replica cluster
    arn = c.get("DBClusterArn") or ""
    gid = c.get("GlobalClusterIdentifier")
    if not gid:
        r.set("credentials_managed", _secret(c, CLUSTERS))
        r.set(FIELD, _v(False, "GlobalClusterIdentifier (not a member of a global database)", CLUSTERS))
        return
    if isinstance(globals_, Failure):
        r.set(FIELD, unknown(globals_, "GlobalClusterMembers"))
        if not c.get("MasterUserSecret"):
            r.set("credentials_managed", Unknown(f"whether it is the global database's primary is not known: "
                                                 f"{globals_.reason}", Origin(SOURCE, "GlobalClusterMembers",
                                                                              api=globals_.api)))
        else:
            r.set("credentials_managed", _secret(c, CLUSTERS))
        return
    mine = None
    for g in globals_ or []:
        members = g.get("GlobalClusterMembers") or []
        if any(m.get("DBClusterArn") == arn for m in members) or gid in (g.get("GlobalClusterIdentifier"),
                                                                         g.get("GlobalClusterArn")):
            mine = g
            break
    if mine is None:
        r.set(FIELD, Unknown(f"global cluster {gid} was not in {GLOBALS}'s answer",
                             Origin(SOURCE, "GlobalClusterIdentifier", api=GLOBALS)))
        r.set("credentials_managed", _secret(c, CLUSTERS))
        return
    members = mine.get("GlobalClusterMembers") or []
    me = next((m for m in members if m.get("DBClusterArn") == arn), None)
    if c.get("MasterUserSecret") or me is None or me.get("IsWriter"):
        r.set("credentials_managed", _secret(c, CLUSTERS))
    # else: a secondary cluster of the global database: no credentials of its own (not applicable)
    other = [m["DBClusterArn"] for m in members
             if m.get("DBClusterArn") and m.get("DBClusterArn") != arn
             and arn_region(m["DBClusterArn"]) != scope.region]
    name = mine.get("GlobalClusterIdentifier") or gid
    if other:
        r.set(FIELD, _v(True, f"GlobalClusterMembers of {name} ({', '.join(other)})", GLOBALS))
    else:
        r.set(FIELD, _v(False, f"GlobalClusterMembers of {name} (no member in another region)", GLOBALS))


# ------------------------------------------------------------------ DynamoDB
def table(scope: Scope, r: Resource, d: Any) -> None:
    """From the DescribeTable answer (or its Failure)."""
    if isinstance(d, Failure):
        r.set(FIELD, unknown(d, "Replicas"))
        return
    t = d.get("Table") or {}
    regions = [x.get("RegionName") for x in t.get("Replicas") or [] if x.get("RegionName")]
    other = [x for x in regions if x != scope.region]
    if other:
        r.set(FIELD, _v(True, f"Replicas ({', '.join(other)})", TABLE))
    else:
        r.set(FIELD, _v(False, "Replicas (none in another region)", TABLE))


# ------------------------------------------------------------------ S3
def bucket(s: Scope, r: Resource, name: str) -> None:
    """Read the bucket's replication rules (its tags already set: ``needs`` may leave the read out);
    the destinations' regions are settled in ``buckets_done``."""
    skip = s.needs.bucket_replication(r)
    if skip is not None:
        r.set(FIELD, Unknown(skip, Origin(SOURCE, "ReplicationConfiguration", api=REPLICATION)))
        return
    rep = s.call("s3", "GetBucketReplication", expect=("ReplicationConfigurationNotFoundError",), Bucket=name)
    if isinstance(rep, Failure):
        r.set(FIELD, unknown(rep, "ReplicationConfiguration"))
        return
    if isinstance(rep, ClientError):
        r.set(FIELD, _v(False, "ReplicationConfiguration (none)", REPLICATION))
        return
    rules = (rep.get("ReplicationConfiguration") or {}).get("Rules") or []
    dests = [(rule.get("Destination") or {}).get("Bucket") for rule in rules if rule.get("Status") == "Enabled"]
    r.context["replication_destinations"] = [x for x in dests if x]
    if not r.context["replication_destinations"]:
        r.set(FIELD, _v(False, "ReplicationConfiguration (no enabled rule)", REPLICATION))


def buckets_done(resources: list[Resource], listed: list[dict]) -> None:
    """The destinations' regions, from the account's bucket listing (ARNs of S3 buckets have none)."""
    where: dict[str, str] = {}
    for b in listed:
        if b.get("BucketRegion"):
            where[b["Name"]] = b["BucketRegion"]
    for r in resources:
        if r.type == "aws_s3_bucket" and r.context.get("region") and r.context["region"] != "unknown":
            where.setdefault(r.name, r.context["region"])
    for r in resources:
        dests = r.context.pop("replication_destinations", None)
        if not dests:
            continue
        mine = r.context.get("region")
        other, doubts, same = [], [], []
        for arn in dests:
            name = arn.split(":::", 1)[-1].split("/", 1)[0]
            region = where.get(name)
            if region is None:
                doubts.append(f"destination {arn} is not among this account's buckets: its region cannot be seen")
            elif region != mine:
                other.append(f"{arn} in {region}")
            else:
                same.append(f"{arn} is in the same region ({region})")
        if other:
            r.set(FIELD, _v(True, f"ReplicationConfiguration ({'; '.join(other)})", REPLICATION))
        elif doubts:
            r.set(FIELD, Unknown("; ".join(doubts), Origin(SOURCE, "ReplicationConfiguration", api=REPLICATION)))
        else:
            r.set(FIELD, _v(False, f"ReplicationConfiguration ({'; '.join(same)})", REPLICATION))
