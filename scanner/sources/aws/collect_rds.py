"""RDS: DB instances, Aurora clusters and their members, parameter groups, backup replications."""
from __future__ import annotations

from ...model import Resource
from ...values import Origin, Unknown, Value
from ..terraform.map_rds import db_parameter_group
from ..terraform.tfmodel import TfResource
from . import collect_dr
from .guard import Failure
from .ops import api_name
from .scope import SOURCE, Scope, set_all, tags, unknown, val

DESCRIBE_INSTANCES = api_name("rds", "DescribeDBInstances")
DESCRIBE_CLUSTERS = api_name("rds", "DescribeDBClusters")
# DocumentDB and Neptune share the RDS API; they are not relational databases of the catalogue
OTHER_ENGINES = {"docdb": "aws_docdb_cluster", "neptune": "aws_neptune_cluster"}


def collect(scope: Scope) -> list[Resource]:
    out: list[Resource] = []
    instances, ifail = scope.pages("rds", "DescribeDBInstances", "DBInstances")
    clusters, cfail = scope.pages("rds", "DescribeDBClusters", "DBClusters")
    used_groups: set[str] = set()
    used_cluster_groups: set[str] = set()

    for d in instances:
        engine = d.get("Engine", "")
        cid = d.get("DBClusterIdentifier")
        arn = d.get("DBInstanceArn") or scope.arn("rds", f"db:{d['DBInstanceIdentifier']}")
        keys = (arn, d.get("DBInstanceIdentifier"), d.get("DbiResourceId"))
        if engine in OTHER_ENGINES:
            r = scope.resource("generic", OTHER_ENGINES[engine] + "_instance", arn, d["DBInstanceIdentifier"], keys,
                               raw=d, raw_api=DESCRIBE_INSTANCES)
            r.set("tags", tags(d.get("TagList"), "TagList", DESCRIBE_INSTANCES))
            out.append(r)
            continue
        if cid:  # an Aurora member: TLS is set in the cluster's parameter group, not the instance's
            out.append(_member(scope, d, arn, keys, cid))
            continue
        for g in d.get("DBParameterGroups") or []:
            used_groups.add(g.get("DBParameterGroupName"))
        out.append(_instance(scope, d, arn, keys))
        out += _replications(scope, d, arn)
    if ifail:
        out.append(scope.placeholder("database", "aws_db_instance", "rds", "db:*", ifail, "RDS DB instances"))
        out += _unlisted_members(scope, clusters, cfail, ifail)

    for c in clusters:
        engine = c.get("Engine", "")
        arn = c.get("DBClusterArn") or scope.arn("rds", f"cluster:{c['DBClusterIdentifier']}")
        keys = (arn, c.get("DBClusterIdentifier"), c.get("DbClusterResourceId"))
        if engine in OTHER_ENGINES:
            r = scope.resource("generic", OTHER_ENGINES[engine], arn, c["DBClusterIdentifier"], keys,
                               raw=c, raw_api=DESCRIBE_CLUSTERS)
            r.set("tags", tags(c.get("TagList"), "TagList", DESCRIBE_CLUSTERS))
            out.append(r)
            continue
        if c.get("DBClusterParameterGroup"):
            used_cluster_groups.add(c["DBClusterParameterGroup"])
        out.append(_cluster(scope, c, arn, keys, ifail))
    if cfail:
        out.append(scope.placeholder("database", "aws_rds_cluster", "rds", "cluster:*", cfail, "RDS DB clusters"))
        for engine, type_ in OTHER_ENGINES.items():
            out.append(scope.placeholder("generic", type_, "rds", f"cluster:*:{engine}", cfail,
                                         f"{engine} clusters"))

    # which AWS default groups are in use is known only from the database listings: when one failed,
    # its default groups are emitted with their TLS settings unknown, never dropped
    out += _parameter_groups(scope, "DescribeDBParameterGroups", "DBParameterGroups", "DBParameterGroupName",
                             "DescribeDBParameters", "aws_db_parameter_group", "pg", used_groups, ifail)
    out += _parameter_groups(scope, "DescribeDBClusterParameterGroups", "DBClusterParameterGroups",
                             "DBClusterParameterGroupName", "DescribeDBClusterParameters",
                             "aws_rds_cluster_parameter_group", "cluster-pg", used_cluster_groups, cfail)
    collect_dr.rds(scope, out, clusters)   # SEC-01, DR-01: master password secrets, replicas, global clusters
    return out


def _unlisted_members(scope: Scope, clusters: list[dict], cfail: Failure | None, ifail: Failure) -> list[Resource]:
    """Cluster members come from the instance listing that failed: placeholders for them, one per
    engine kind that has (or may have, the cluster listing failing too) clusters here.  An Aurora
    member placeholder names the region's clusters, whose members are already unknown (``_cluster``),
    so scanner.link attaches it there and not to clusters of other regions."""
    out = []
    rds_clusters = [c.get("DBClusterArn") or scope.arn("rds", f"cluster:{c['DBClusterIdentifier']}")
                    for c in clusters if c.get("Engine", "") not in OTHER_ENGINES]
    if cfail:
        rds_clusters.append(scope.arn("rds", "cluster:*"))
    if rds_clusters:
        r = scope.placeholder("cluster_member", "aws_rds_cluster_instance", "rds", "db:*:cluster-member", ifail,
                              "RDS cluster members")
        r.set("cluster", val(rds_clusters, "DBClusterIdentifier", DESCRIBE_CLUSTERS))
        out.append(r)
    engines = {c.get("Engine", "") for c in clusters} | (set(OTHER_ENGINES) if cfail else set())
    for engine in sorted(engines & set(OTHER_ENGINES)):
        out.append(scope.placeholder("generic", OTHER_ENGINES[engine] + "_instance", "rds", f"db:*:{engine}", ifail,
                                     f"{engine} instances"))
    return out


def _common(scope: Scope, r: Resource, d: dict, api: str) -> None:
    r.set("engine", _get(d, "Engine", api))
    r.set("encrypted", _get(d, "StorageEncrypted", api))
    key = d.get("KmsKeyId")
    r.set("encryption_key", val(key, "KmsKeyId", api))
    r.set("encryption_key_managed_by", scope.key_manager(key, "KmsKeyId", api))
    r.set("backup_retention_days", _get(d, "BackupRetentionPeriod", api))
    r.set("security_groups", val([g["VpcSecurityGroupId"] for g in d.get("VpcSecurityGroups") or []],
                                 "VpcSecurityGroups", api))
    r.set("tags", tags(d.get("TagList"), "TagList", api))


def _instance(scope: Scope, d: dict, arn: str, keys) -> Resource:
    r = scope.resource("database", "aws_db_instance", arn, d["DBInstanceIdentifier"], keys, raw=d,
                       raw_api=DESCRIBE_INSTANCES)
    _common(scope, r, d, DESCRIBE_INSTANCES)
    r.set("multi_az", _get(d, "MultiAZ", DESCRIBE_INSTANCES))
    r.set("publicly_accessible", _get(d, "PubliclyAccessible", DESCRIBE_INSTANCES))
    return r


def _member(scope: Scope, d: dict, arn: str, keys, cluster_id: str) -> Resource:
    r = scope.resource("cluster_member", "aws_rds_cluster_instance", arn, d["DBInstanceIdentifier"], keys, raw=d,
                       raw_api=DESCRIBE_INSTANCES)
    r.set("cluster", val([scope.arn("rds", f"cluster:{cluster_id}")], "DBClusterIdentifier", DESCRIBE_INSTANCES))
    r.set("availability_zone", _get(d, "AvailabilityZone", DESCRIBE_INSTANCES))
    r.set("publicly_accessible", _get(d, "PubliclyAccessible", DESCRIBE_INSTANCES))
    r.set("tags", tags(d.get("TagList"), "TagList", DESCRIBE_INSTANCES))
    return r


def _cluster(scope: Scope, c: dict, arn: str, keys, ifail: Failure | None) -> Resource:
    r = scope.resource("database", "aws_rds_cluster", arn, c["DBClusterIdentifier"], keys, raw=c,
                       raw_api=DESCRIBE_CLUSTERS)
    _common(scope, r, c, DESCRIBE_CLUSTERS)
    if c.get("DBClusterInstanceClass"):
        # a Multi-AZ DB cluster (not Aurora) has no separate member instances to count
        r.set("multi_az", _get(c, "MultiAZ", DESCRIBE_CLUSTERS))
    if ifail:
        # the members are named by the cluster, but their zones come from the instance listing that failed
        members = [m["DBInstanceIdentifier"] for m in c.get("DBClusterMembers") or []]
        r.set("cluster_members", val(members, "DBClusterMembers", DESCRIBE_CLUSTERS))
        r.set("cluster_zone_count", unknown(ifail, "AvailabilityZone"))
    # otherwise scanner.link counts the members and their zones from the cluster_member resources
    return r


def _replications(scope: Scope, d: dict, arn: str) -> list[Resource]:
    """Automated backups replicated to another region, as the same link resource a plan gives."""
    out = []
    for rep in d.get("DBInstanceAutomatedBackupsReplications") or []:
        target = rep.get("DBInstanceAutomatedBackupsArn", "")
        parts = target.split(":")
        region = parts[3] if len(parts) > 3 else ""
        r = scope.resource("backup_replication", "aws_db_instance_automated_backups_replication", target or
                           f"{arn}/automated-backups-replication", f"{d['DBInstanceIdentifier']} -> {region}",
                           raw=rep, raw_api=DESCRIBE_INSTANCES)
        r.set("source", val([arn], "DBInstanceAutomatedBackupsReplications", DESCRIBE_INSTANCES))
        r.set("region", val(region, "DBInstanceAutomatedBackupsArn", DESCRIBE_INSTANCES))
        out.append(r)
    return out


def _parameter_groups(scope: Scope, list_op: str, key: str, name_key: str, params_op: str, type_: str,
                      arn_kind: str, used: set[str], use_unknown: Failure | None) -> list[Resource]:
    """Parameter groups in use by a database, and every group that is not an AWS default.

    AWS creates a default group for each engine family it has been asked for, and a
    default group is checked only if a database uses it.  ``use_unknown`` is the failure
    of the listing that says which are used: then every default group not known to be
    used is emitted with its TLS fields unknown (it may serve the unlisted databases).
    """
    groups, fail = scope.pages("rds", list_op, key)
    maybe_used = {g[name_key] for g in groups if use_unknown is not None and g[name_key] not in used
                  and g[name_key].startswith("default.")}
    wanted = [g for g in groups if g[name_key] in used or g[name_key] in maybe_used
              or not g[name_key].startswith("default.")]
    api_list = api_name("rds", list_op)

    def one(g: dict) -> Resource:
        name = g[name_key]
        arn = g.get(name_key.replace("Name", "Arn")) or scope.arn("rds", f"{arn_kind}:{name}")
        r = scope.resource("db_parameter_group", type_, arn, name, (arn,), raw=g, raw_api=api_list)
        r.set("family", val(g.get(name_key.replace("Name", "Family")), name_key.replace("Name", "Family"), api_list))
        if name in maybe_used:
            why = f"whether a database uses AWS default group {name} is not known: {use_unknown.reason}"
            for f in ("requires_tls", "tls_min_version"):
                r.set(f, Unknown(why, Origin(SOURCE, f, api=use_unknown.api)))
            return r
        params, pfail = scope.pages("rds", params_op, "Parameters", **{name_key: name})
        if pfail:
            set_all(r, pfail, ("requires_tls", "tls_min_version"))
        else:
            # a parameter listed without a value is unset: the engine default applies
            _tls_fields(r, g.get(name_key.replace("Name", "Family")),
                        {p["ParameterName"]: p["ParameterValue"] for p in params if p.get("ParameterValue") is not None},
                        api_name("rds", params_op))
        if not name.startswith("default."):  # AWS-created defaults are checked for TLS, not for tags
            resp = scope.call("rds", "ListTagsForResource", ResourceName=arn)
            r.set("tags", unknown(resp, "TagList") if isinstance(resp, Failure) else
                  tags(resp.get("TagList"), "TagList", api_name("rds", "ListTagsForResource")))
        return r

    out = scope.each(one, wanted)
    if fail:
        out.append(scope.placeholder("db_parameter_group", type_, "rds", f"{arn_kind}:*", fail,
                                     f"RDS {'cluster ' if 'cluster' in type_ else ''}parameter groups"))
    return out


def _tls_fields(r: Resource, family: str | None, params: dict[str, str], api: str) -> None:
    """requires_tls / tls_min_version exactly as for a Terraform parameter group with these parameters set.

    The engine defaults for a parameter the group leaves unset (rds.force_ssl is 1 from
    PostgreSQL 15, ...) live in the Terraform mapper; running it on the values read here
    keeps one table of defaults for every source.
    """
    tf = TfResource(address=r.address, type=r.type, name=r.name, mode="managed", module="", source=SOURCE,
                    values={"family": family, "parameter": [{"name": k, "value": v} for k, v in params.items()]})
    scratch = Resource(r.kind, r.type, r.address, "aws", SOURCE)
    db_parameter_group(tf, scratch)
    for f in ("requires_tls", "tls_min_version"):
        v = scratch[f]
        origin = Origin(SOURCE, v.origin.path.removeprefix("parameter "), api=api)
        r.set(f, Unknown(v.reason, origin) if isinstance(v, Unknown) else Value(v.value, origin))


def _get(d: dict, key: str, api: str) -> Value:
    if key in d:
        return val(d[key], key, api)
    return Unknown(f"{api} returned no {key}", Origin(SOURCE, key, api=api))
