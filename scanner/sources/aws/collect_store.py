"""Storage: EBS volumes, EFS file systems, S3 buckets (global listing), DynamoDB tables, ElastiCache."""
from __future__ import annotations

from botocore.exceptions import ClientError

from ...model import Resource
from ...values import Origin, Unknown
from . import collect_dr
from .guard import Failure
from .ops import api_name
from .scope import SOURCE, Scope, set_all, tag_dict, tags, unknown, val


def volumes(scope: Scope) -> list[Resource]:
    api = api_name("ec2", "DescribeVolumes")
    items, fail = scope.pages("ec2", "DescribeVolumes", "Volumes")
    out = []
    for v in items:
        vid = v["VolumeId"]
        arn = scope.arn("ec2", f"volume/{vid}")
        r = scope.resource("volume", "aws_ebs_volume", arn, tag_dict(v.get("Tags")).get("Name", vid), (arn, vid), raw=v,
                           raw_api=api)
        r.set("encrypted", val(v.get("Encrypted"), "Encrypted", api) if "Encrypted" in v
              else Unknown(f"{api} returned no Encrypted", Origin(SOURCE, "Encrypted", api=api)))
        r.set("tags", tags(v.get("Tags"), "Tags", api))
        out.append(r)
    if fail:
        out.append(scope.placeholder("volume", "aws_ebs_volume", "ec2", "volume/*", fail, "EBS volumes"))
    return out


def file_systems(scope: Scope) -> list[Resource]:
    api = api_name("efs", "DescribeFileSystems")
    # 100 a page, AWS's default, asked for: moto's default is 10
    items, fail = scope.pages("efs", "DescribeFileSystems", "FileSystems", PaginationConfig={"PageSize": 100})
    out = []
    for fs in items:
        fid = fs["FileSystemId"]
        arn = fs.get("FileSystemArn") or scope.arn("elasticfilesystem", f"file-system/{fid}")
        r = scope.resource("file_system", "aws_efs_file_system", arn, fs.get("Name") or fid, (arn, fid), raw=fs,
                           raw_api=api)
        r.set("encrypted", val(fs.get("Encrypted", False), "Encrypted", api))
        r.set("tags", tags(fs.get("Tags"), "Tags", api))
        out.append(r)
    if fail:
        out.append(scope.placeholder("file_system", "aws_efs_file_system", "elasticfilesystem", "file-system/*",
                                     fail, "EFS file systems"))
    return out


MAX_BUCKETS = 10000   # the most ListBuckets gives a page


def buckets(scope: Scope, regions: set[str] | None) -> list[Resource]:
    """S3 is listed once per account; each bucket is read in its own region, if that region is audited
    (``regions`` None: the account's regions could not be listed, so every bucket is read).

    The listing is paginated (MaxBuckets): S3 answers a paginated ListBuckets with each bucket's
    BucketRegion, and an unpaginated one without it -- then each bucket costs a GetBucketLocation."""
    items, fail = scope.pages("s3", "ListBuckets", "Buckets", PaginationConfig={"PageSize": MAX_BUCKETS})

    def one(b: dict) -> Resource | None:
        name = b["Name"]
        arn = f"arn:{scope.partition}:s3:::{name}"
        region = b.get("BucketRegion")
        loc_fail = None
        if not region:
            resp = scope.call("s3", "GetBucketLocation", Bucket=name)
            if isinstance(resp, Failure):
                loc_fail = resp
            else:
                region = {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(
                    resp.get("LocationConstraint"), resp.get("LocationConstraint"))
        if loc_fail is None and regions is not None and region not in regions:
            return None  # the bucket lives in a region outside the audit's scope
        s = scope.at(region or "unknown")
        r = s.resource("object_store", "aws_s3_bucket", arn, name, (arn, name), raw=b,
                       raw_api=api_name("s3", "ListBuckets"))
        if loc_fail is not None:
            set_all(r, loc_fail, ("default_encryption", "encryption_key_managed_by", "versioning", "tags",
                                  "cross_region_replica"))
            return r
        _bucket_fields(s, r, name)
        return r

    out = [r for r in scope.each(one, items) if r is not None]
    collect_dr.buckets_done(out, items)   # DR-01: the regions of replication destinations
    if fail:
        out.append(scope.placeholder("object_store", "aws_s3_bucket", "s3", "*", fail, "S3 buckets"))
    return out


def _bucket_fields(s: Scope, r: Resource, name: str) -> None:
    api = api_name("s3", "GetBucketEncryption")
    enc = s.call("s3", "GetBucketEncryption", expect=("ServerSideEncryptionConfigurationNotFoundError",), Bucket=name)
    if isinstance(enc, Failure):
        set_all(r, enc, ("default_encryption", "encryption_key_managed_by"))
    else:
        rules = [] if isinstance(enc, ClientError) else \
            enc.get("ServerSideEncryptionConfiguration", {}).get("Rules") or []
        default = (rules[0].get("ApplyServerSideEncryptionByDefault") or {}) if rules else {}
        algo = default.get("SSEAlgorithm")
        r.set("default_encryption", val(algo, "SSEAlgorithm", api))
        if algo and algo.startswith("aws:kms"):
            r.set("encryption_key_managed_by", s.key_manager(default.get("KMSMasterKeyID"), "KMSMasterKeyID", api))
        else:  # SSE-S3 keys, or no configuration at all (then AWS applies SSE-S3 by default): Amazon's keys
            r.set("encryption_key_managed_by", val("provider", "SSEAlgorithm", api))
    ver = s.call("s3", "GetBucketVersioning", Bucket=name)
    r.set("versioning", unknown(ver, "Status") if isinstance(ver, Failure) else
          val(ver.get("Status") == "Enabled", "Status", api_name("s3", "GetBucketVersioning")))
    tg = s.call("s3", "GetBucketTagging", expect=("NoSuchTagSet",), Bucket=name)
    r.set("tags", unknown(tg, "TagSet") if isinstance(tg, Failure) else
          tags([] if isinstance(tg, ClientError) else tg.get("TagSet"), "TagSet", api_name("s3", "GetBucketTagging")))
    collect_dr.bucket(s, r, name)   # DR-01: replication rules


def tables(scope: Scope) -> list[Resource]:
    names, fail = scope.pages("dynamodb", "ListTables", "TableNames")
    tags_for = scope.region_tags_later() if names else None

    def one(name: str) -> Resource:
        d = scope.call("dynamodb", "DescribeTable", TableName=name)
        arn = scope.arn("dynamodb", f"table/{name}") if isinstance(d, Failure) else d["Table"]["TableArn"]
        r = scope.resource("data_store", "aws_dynamodb_table", arn, name, (arn, name),
                           raw=unknown(d, "Table") if isinstance(d, Failure) else d["Table"],
                           raw_api=api_name("dynamodb", "DescribeTable"))
        if isinstance(d, Failure):
            r.set("kms_encrypted", unknown(d, "SSEDescription"))
        else:
            sse = d["Table"].get("SSEDescription") or {}
            # no SSEDescription: the table uses the AWS-owned key, not KMS
            r.set("kms_encrypted", val(sse.get("Status") in ("ENABLED", "UPDATING") and sse.get("SSEType") == "KMS",
                                       "SSEDescription", api_name("dynamodb", "DescribeTable")))
        cb = scope.call("dynamodb", "DescribeContinuousBackups", TableName=name)
        api = api_name("dynamodb", "DescribeContinuousBackups")
        if isinstance(cb, Failure):
            r.set("pitr_enabled", unknown(cb, "PointInTimeRecoveryStatus"))
        else:
            pitr = cb.get("ContinuousBackupsDescription", {}).get("PointInTimeRecoveryDescription") or {}
            r.set("pitr_enabled", val(pitr.get("PointInTimeRecoveryStatus") == "ENABLED",
                                      "PointInTimeRecoveryStatus", api))
            if pitr.get("RecoveryPeriodInDays") is not None:
                r.set("recovery_days", val(pitr["RecoveryPeriodInDays"], "RecoveryPeriodInDays", api))
        r.set("tags", tags_for(arn, lambda: _dynamo_tags(scope, arn)))
        collect_dr.table(scope, r, d)   # DR-01: Replicas
        return r

    out = scope.each(one, names)
    if fail:
        out.append(scope.placeholder("data_store", "aws_dynamodb_table", "dynamodb", "table/*", fail,
                                     "DynamoDB tables"))
    return out


def _dynamo_tags(scope: Scope, arn: str):
    found, fail = scope.pages("dynamodb", "ListTagsOfResource", "Tags", ResourceArn=arn)
    return unknown(fail, "Tags") if fail else tags(found, "Tags", api_name("dynamodb", "ListTagsOfResource"))


def caches(scope: Scope) -> list[Resource]:
    api = api_name("elasticache", "DescribeReplicationGroups")
    groups, fail = scope.pages("elasticache", "DescribeReplicationGroups", "ReplicationGroups")
    tags_for = scope.region_tags_later() if groups else None

    def one(g: dict) -> Resource:
        gid = g["ReplicationGroupId"]
        arn = g.get("ARN") or scope.arn("elasticache", f"replicationgroup:{gid}")
        r = scope.resource("cache", "aws_elasticache_replication_group", arn, gid, (arn, gid), raw=g, raw_api=api)
        r.set("at_rest_encrypted", val(bool(g.get("AtRestEncryptionEnabled")), "AtRestEncryptionEnabled", api))
        transit = bool(g.get("TransitEncryptionEnabled"))
        # "preferred" mode still accepts plain connections
        r.set("requires_tls", val(transit and g.get("TransitEncryptionMode", "required") != "preferred",
                                  "TransitEncryptionEnabled", api))
        r.set("automatic_failover", val(g.get("AutomaticFailover") == "enabled", "AutomaticFailover", api))
        r.set("multi_az", val(g.get("MultiAZ") == "enabled", "MultiAZ", api))
        r.set("node_count", val(len(g.get("MemberClusters") or []), "MemberClusters", api))
        azs = {m.get("PreferredAvailabilityZone") for ng in g.get("NodeGroups") or []
               for m in ng.get("NodeGroupMembers") or [] if m.get("PreferredAvailabilityZone")}
        if azs:  # like a plan without preferred_cache_cluster_azs, no zones named means no zone count
            r.set("zone_count", val(len(azs), "NodeGroupMembers.PreferredAvailabilityZone", api))
        r.set("snapshot_retention_days", val(g.get("SnapshotRetentionLimit", 0), "SnapshotRetentionLimit", api))
        r.set("tags", tags_for(arn, lambda: _cache_tags(scope, arn)))
        return r

    out = scope.each(one, groups)
    if fail:
        out.append(scope.placeholder("cache", "aws_elasticache_replication_group", "elasticache",
                                     "replicationgroup:*", fail, "ElastiCache replication groups"))
    return out


def _cache_tags(scope: Scope, arn: str):
    resp = scope.call("elasticache", "ListTagsForResource", ResourceName=arn)
    return unknown(resp, "TagList") if isinstance(resp, Failure) else \
        tags(resp.get("TagList"), "TagList", api_name("elasticache", "ListTagsForResource"))
