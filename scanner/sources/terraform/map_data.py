"""Mappers for data-layer Terraform types: databases, stores, caches, keys, backups.

Each mapper fills the FIELD CONTRACT of ``scanner.model`` from Terraform
attributes.  Three situations recur and are handled the same way everywhere:

* the attribute is set (or known in the plan): its value;
* the attribute is not written in configuration and the provider or the cloud
  applies a *documented* default: that default, with the evidence path saying
  "unset: <which default>" so an auditor sees it was assumed, not read;
* the value is known only after apply (or depends on account settings nobody
  can see from Terraform): ``Unknown`` with the reason.

Settings that Terraform models as separate resources (S3 encryption and
versioning, PostgreSQL flexible-server configurations, SQL TDE protectors,
storage customer-managed keys) are joined here, inside the Terraform adapter,
by looking for resources of the project that reference the parent.

S3 default encryption (ENC-02): since January 2023 AWS applies SSE-S3 (AES256)
to every bucket that has no configuration.  CONTROLS.md asks for a declared
configuration, so a bucket with neither a split
``aws_s3_bucket_server_side_encryption_configuration`` nor an inline block gets
``default_encryption = None`` and the evidence path names the AWS default; the
ENC-02 rule fails it unless the profile sets ``accept_platform_default: true``.
"""
from __future__ import annotations

import json
import re
from typing import Any

from ...model import Resource
from ...values import Origin, Unknown, Value
from .joins import related, related_unknown
from .normalize import copy_field, kms_key_managed_by, maps, ref_keys
from .provider_versions import DEFAULTS, AnyOf, assumed, lookup
from .tfmodel import MISSING, Refs, TfProject, TfResource
from .value_check import customer_key


# ------------------------------------------------------------------ small helpers
def _declared(tf: TfResource, path: str) -> bool | None:
    """Whether configuration writes the top-level attribute/block (None: cannot tell)."""
    return tf.project.declares(tf, path) if tf.project is not None else None


def _unset(tf: TfResource, path: str, value: Any, note: str, key: str | None = None) -> Value:
    """``value``, the default of an attribute configuration leaves out, with evidence saying so.

    A default that changed between provider versions (``provider_versions.DEFAULTS``, by
    ``(tf.type, key or path)``) is the default of the versions the configuration admits, or
    Unknown when they do not all share it.
    """
    return assumed(tf, path, value, note, key)


def _versioned(tf: TfResource, key: str) -> bool:
    entry = DEFAULTS.get((tf.type, key))
    return entry is not None and bool(entry.eras)


def setting(tf: TfResource, path: str, default: Any = MISSING, note: str = "",
            key: str | None = None) -> Value | None:
    """The attribute as a Value; a documented default when configuration leaves it out.

    Returns None when the attribute is absent and there is no default (neither the mapper's
    nor a provider-version default of ``provider_versions.DEFAULTS``).
    """
    raw = tf.raw(path)
    has_default = default is not MISSING or _versioned(tf, key or path)
    if isinstance(raw, Unknown) and _declared(tf, path) is False and has_default:
        return _unset(tf, path, default, note or "provider default", key)
    if raw is MISSING or raw is None:
        if not has_default:
            return None
        return _unset(tf, path, default, note or "provider default", key)
    return tf.get(path)


def _set(r: Resource, field: str, v: Value | None) -> None:
    if v is not None:
        r.set(field, v)


def derived(v: Value, field: str, fn) -> Value:
    """A field computed from an attribute; the evidence key says which attribute and value."""
    if not v.known:
        return v
    o = v.origin
    # as Terraform writes it (true, null, ["a"]), not Python's repr (True, None, ['a'])
    shown = v.value if isinstance(v.value, str) else json.dumps(v.value, default=str)
    if len(shown) > 120:   # the evidence value itself is kept whole; the label stays short
        shown = shown[:117] + "..."
    return Value(fn(v.value), Origin(o.source, f"{field} (from {o.path} = {shown})", o.file, o.line))


def _via(v: Value, other: TfResource) -> Value:
    """The same value, its evidence key prefixed with the (joined) resource it was read from."""
    o = v.origin
    path = f"{other.address}.{o.path}"
    if isinstance(v, Unknown):
        return Unknown(v.reason, Origin(o.source, path, o.file, o.line))
    return Value(v.value, Origin(o.source, path, o.file, o.line))


def _first_setting(tf: TfResource, paths: tuple[str, ...], default: Any, note: str) -> Value:
    """The first of several spellings of an attribute (provider versions renamed some)."""
    for p in paths:
        raw = tf.raw(p)
        if raw is MISSING or raw is None or (isinstance(raw, Unknown) and _declared(tf, p) is False):
            continue   # not written under this spelling (never a default here: that comes last)
        return tf.get(p)
    hit = lookup(tf.type, paths)
    return setting(tf, paths[-1], default, note, key=hit[0] if hit else None)


def _blocks(tf: TfResource, path: str) -> list | Unknown:
    """Nested blocks at ``path`` as a list of dicts ([] when none; Unknown when not known)."""
    raw = tf.raw(path)
    if isinstance(raw, Unknown):
        if _declared(tf, path) is False:
            return []
        return Unknown(raw.reason, tf.origin(path))
    if raw is MISSING or raw is None:
        return []
    if isinstance(raw, dict):
        return [raw]
    if isinstance(raw, list):
        return [b for b in raw if isinstance(b, (dict, Unknown))]
    return Unknown("unexpected value", tf.origin(path))


def _first(x: Any, key: str) -> Any:
    """block[key] where Terraform renders a nested block as a one-element list."""
    if isinstance(x, Unknown):
        return x
    if not isinstance(x, dict):
        return MISSING
    v = x.get(key, MISSING)
    if isinstance(v, list):
        return v[0] if v else MISSING
    return v


def _add_keys(tf: TfResource, r: Resource, *paths: str) -> None:
    for p in paths:
        v = tf.raw(p)
        if isinstance(v, str) and v:
            r.keys.add(v)


_TLS_RE = re.compile(r"^(?:tls)?\s*v?\s*1(?:[._](\d))?$", re.I)


def tls_version(raw: Any) -> str | None:
    """Normalise "TLS1_2", "1.2", "TLSv1.2", "TLSv1" to "1.2"/"1.0"; a list gives its lowest.

    "TLSEnforcementDisabled" / "Disabled" accept every version: "1.0".
    """
    if isinstance(raw, (int, float)):
        raw = str(raw)
    if not isinstance(raw, str):
        return None
    s = raw.strip()
    if s.lower() in ("tlsenforcementdisabled", "disabled", "none"):
        return "1.0"
    parts = [p for p in re.split(r"[,\s]+", s) if p]
    found = []
    for p in parts:
        m = _TLS_RE.match(p)
        if not m:
            return None
        found.append(f"1.{m.group(1) or '0'}")
    return min(found) if found else None


def _tls(tf: TfResource, path: str, default: Any = MISSING, note: str = "") -> Value | None:
    v = setting(tf, path, default, note)
    if isinstance(v, AnyOf):          # the defaults of the provider versions admitted, normalised too
        return v.map(tls_version)
    if v is None or not v.known:
        return v
    norm = tls_version(v.value)
    if norm is None:
        return Unknown(f"unrecognised TLS version {v.value!r}", v.origin)
    return Value(norm, v.origin)


def provider_region(tf: TfResource) -> Value:
    """The AWS region a resource is created in: its own ``region`` or its provider's."""
    raw = tf.raw("region")
    if isinstance(raw, str) and raw:
        return Value(raw, tf.origin("region"))
    origin = Origin(tf.source, f"provider {tf.provider_key or 'aws'} region", tf.file, tf.line)
    config = getattr(tf.project, "config", None)
    if not isinstance(config, dict):
        return Unknown("the provider's region cannot be read from this source", origin)
    pc = config.get("provider_config") or {}
    key = tf.provider_key or "aws"
    entry = pc.get(key)
    if entry is None and ":" in key:
        entry = pc.get(key.split(":", 1)[1])
    expr = ((entry or {}).get("expressions") or {}).get("region")
    if isinstance(expr, dict) and isinstance(expr.get("constant_value"), str):
        return Value(expr["constant_value"], origin)
    if isinstance(expr, dict):
        for ref in expr.get("references") or []:
            if ref.startswith("var."):
                var = (getattr(tf.project, "variables", {}) or {}).get(ref[4:].split(".")[0]) or {}
                if isinstance(var.get("value"), str):
                    return Value(var["value"], origin)
    return Unknown("the provider's region is not set in configuration (it comes from the environment)", origin)


def _arn_region(arn: Any) -> str | None:
    if isinstance(arn, str) and arn.startswith("arn:"):
        parts = arn.split(":")
        if len(parts) > 3 and parts[3]:
            return parts[3]
    return None


# ------------------------------------------------------------------ AWS RDS
# Documented defaults: CreateDBInstance / CreateDBCluster keep automated backups 1 day
# when BackupRetentionPeriod is not given.
_RDS_RETENTION_DEFAULT = "AWS default of 1 day when backup_retention_period is not given"


@maps("aws_db_instance", "aws_rds_cluster", kind="database")
def rds(tf: TfResource, r: Resource) -> None:
    copy_field(tf, r, "engine", "engine")
    copy_field(tf, r, "storage_encrypted", "encrypted", default=False)
    copy_field(tf, r, "kms_key_id", "encryption_key", default=None)
    r.set("encryption_key_managed_by", kms_key_managed_by(tf, "kms_key_id"))
    r.set("security_groups", ref_keys(tf, "vpc_security_group_ids"))
    _set(r, "backup_retention_days", setting(tf, "backup_retention_period", 1, _RDS_RETENTION_DEFAULT))
    if tf.type == "aws_db_instance":
        _add_keys(tf, r, "identifier")
        _set(r, "multi_az", setting(tf, "multi_az", False, "single-AZ instance"))
        ident = tf.raw("identifier")
    else:
        _add_keys(tf, r, "cluster_identifier")
        ident = tf.raw("cluster_identifier")
        # A Multi-AZ DB cluster (db_cluster_instance_class set) always runs one writer and
        # two readers in three AZs; it has no aws_rds_cluster_instance resources.
        cls = tf.raw("db_cluster_instance_class")
        if isinstance(cls, str) and cls:
            o = tf.origin("db_cluster_instance_class")
            r.set("multi_az", Value(True, Origin(o.source, "db_cluster_instance_class (Multi-AZ DB cluster)",
                                                 o.file, o.line)))
    # identifier and region let scanner.link match AWS Backup ARN patterns before the ARN exists.
    if isinstance(ident, str) and ident:
        r.set("identifier", tf.get("identifier" if tf.type == "aws_db_instance" else "cluster_identifier"))
    r.set("region", provider_region(tf))


@maps("aws_rds_cluster_instance", kind="cluster_member")
def rds_cluster_instance(tf: TfResource, r: Resource) -> None:
    r.set("cluster", ref_keys(tf, "cluster_identifier"))
    _add_keys(tf, r, "identifier")
    _set(r, "availability_zone", setting(tf, "availability_zone"))


# Parameter defaults when a group does not set them (engine documentation):
#  rds.force_ssl is 1 from RDS for PostgreSQL 15; require_secure_transport is OFF in MySQL 5.7/8.0
#  and MariaDB; PostgreSQL's ssl_min_protocol_version defaults to TLSv1.2 (PostgreSQL 12+);
#  MySQL 8.0.28+ accepts only TLSv1.2 and TLSv1.3, MySQL 5.7 on RDS also TLSv1 and TLSv1.1.
def _pg_major(family: str) -> int | None:
    m = re.match(r"^(?:aurora-)?postgres(?:ql)?(\d+)", family)
    return int(m.group(1)) if m else None


@maps("aws_db_parameter_group", "aws_rds_cluster_parameter_group", kind="db_parameter_group")
def db_parameter_group(tf: TfResource, r: Resource) -> None:
    copy_field(tf, r, "family", "family")
    _add_keys(tf, r, "name")
    params = _blocks(tf, "parameter")
    origin = tf.origin("parameter")
    if isinstance(params, Unknown):
        r.set("requires_tls", Unknown(f"parameters are {params.reason}", origin))
        r.set("tls_min_version", Unknown(f"parameters are {params.reason}", origin))
        return
    by_name = {}
    for p in params:
        if isinstance(p, dict) and isinstance(p.get("name"), str):
            by_name[p["name"].lower()] = p.get("value")
    fam_raw = tf.raw("family")
    family = fam_raw.lower() if isinstance(fam_raw, str) else ""
    is_pg = "postgres" in family
    is_mysql = "mysql" in family or "mariadb" in family

    def _param_origin(name):
        return Origin(origin.source, f"parameter {name}", origin.file, origin.line)

    # requires_tls
    name = "rds.force_ssl" if is_pg or "rds.force_ssl" in by_name else "require_secure_transport"
    if name in by_name:
        v = by_name[name]
        r.set("requires_tls", Unknown(v.reason, _param_origin(name)) if isinstance(v, Unknown)
              else Value(str(v).strip().lower() in ("1", "on", "true"), _param_origin(name)))
    elif is_pg and (_pg_major(family) or 0) >= 15 and not family.startswith("aurora"):
        r.set("requires_tls", Value(True, _param_origin(f"{name} (unset: default 1 from RDS for PostgreSQL 15)")))
    elif is_pg and _pg_major(family) is not None and not family.startswith("aurora"):
        r.set("requires_tls", Value(False, _param_origin(f"{name} (unset: default 0 before PostgreSQL 15)")))
    elif is_mysql and not family.startswith(("mysql8.4", "aurora-mysql8")):
        r.set("requires_tls", Value(False, _param_origin(f"{name} (unset: default OFF)")))
    else:
        r.set("requires_tls", Unknown(f"{name} is not set and the default of family {family or '?'} is not known",
                                      _param_origin(name)))
    # tls_min_version
    name = "ssl_min_protocol_version" if is_pg or "ssl_min_protocol_version" in by_name else "tls_version"
    if name in by_name:
        v = by_name[name]
        norm = None if isinstance(v, Unknown) else tls_version(v)
        r.set("tls_min_version", Value(norm, _param_origin(name)) if norm else
              Unknown(v.reason if isinstance(v, Unknown) else f"unrecognised value {v!r}", _param_origin(name)))
    elif is_pg and (_pg_major(family) or 0) >= 12:
        r.set("tls_min_version", Value("1.2", _param_origin(f"{name} (unset: PostgreSQL default TLSv1.2)")))
    elif family.startswith(("mysql8", "aurora-mysql8")):
        r.set("tls_min_version", Value("1.2", _param_origin(f"{name} (unset: MySQL 8 accepts TLSv1.2 and TLSv1.3)")))
    elif family.startswith("mysql5.7"):
        r.set("tls_min_version", Value("1.0", _param_origin(f"{name} (unset: RDS MySQL 5.7 accepts TLSv1)")))
    else:
        r.set("tls_min_version", Unknown(f"{name} is not set and the default of family {family or '?'} is not known",
                                         _param_origin(name)))


# ------------------------------------------------------------------ S3
_SSE_TYPES = ("aws_s3_bucket_server_side_encryption_configuration",)
_VERSIONING_TYPES = ("aws_s3_bucket_versioning",)


def _sse_from_rules(holder: TfResource, rules_path: str, r: Resource) -> bool:
    """Fill default_encryption / encryption_key_managed_by from SSE rule blocks; False if none."""
    if holder.address != r.address:
        inner = Resource(r.kind, r.type, holder.address, r.provider, r.source)
        found = _sse_from_rules(holder, rules_path, inner)
        for f in ("default_encryption", "encryption_key_managed_by"):
            if inner.has(f):
                r.set(f, _via(inner[f], holder))
        return found
    rules = _blocks(holder, rules_path)
    if isinstance(rules, Unknown):
        r.set("default_encryption", rules)
        r.set("encryption_key_managed_by", rules)
        return True
    for i, rule in enumerate(rules):
        apply = _first(rule, "apply_server_side_encryption_by_default")
        if apply is MISSING:
            continue
        path = f"{rules_path}.{i}.apply_server_side_encryption_by_default.0"
        if isinstance(apply, Unknown):
            r.set("default_encryption", Unknown(apply.reason, holder.origin(path)))
            r.set("encryption_key_managed_by", Unknown(apply.reason, holder.origin(path)))
            return True
        alg = holder.get(f"{path}.sse_algorithm")
        r.set("default_encryption", alg)
        if alg.known and str(alg.value).upper() == "AES256":
            r.set("encryption_key_managed_by", Value("provider", Origin(holder.source, f"{path}.sse_algorithm (SSE-S3: "
                                                                     "keys owned by Amazon S3)", alg.origin.file,
                                                                     alg.origin.line)))
        else:
            r.set("encryption_key_managed_by", kms_key_managed_by(holder, f"{path}.kms_master_key_id"))
        return True
    return False


@maps("aws_s3_bucket", kind="object_store")
def s3_bucket(tf: TfResource, r: Resource) -> None:
    _add_keys(tf, r, "bucket")
    # Encryption: the split resource (provider v4+) wins over the inline v3 block.
    split = related(tf, _SSE_TYPES, "bucket")
    done = False
    for s in split:
        done = _sse_from_rules(s, "rule", r)
        if done:
            r.context.setdefault("encryption_configuration", s.address)
            break
    if not done:
        inline = _blocks(tf, "server_side_encryption_configuration")
        if isinstance(inline, Unknown):
            r.set("default_encryption", inline)
            r.set("encryption_key_managed_by", inline)
            done = True
        elif inline:
            done = _sse_from_rules(tf, "server_side_encryption_configuration.0.rule", r)
    if not done:
        pending = related_unknown(tf, _SSE_TYPES, "bucket")
        o = tf.origin("server_side_encryption_configuration")
        if pending:
            why = pending.why
            r.set("default_encryption", Unknown(why, o))
            r.set("encryption_key_managed_by", Unknown(why, o))
        else:
            r.set("default_encryption", Value(None, Origin(
                o.source, "server_side_encryption_configuration (none declared; AWS applies SSE-S3 by default "
                          "since January 2023)", o.file, o.line)))
            r.set("encryption_key_managed_by", Value("provider", Origin(o.source, "no encryption configuration",
                                                                         o.file, o.line)))
    # Versioning: split aws_s3_bucket_versioning, else the inline v3 block, else off (S3's default).
    for v in related(tf, _VERSIONING_TYPES, "bucket"):
        status = _via(v.get("versioning_configuration.0.status"), v)
        r.set("versioning", derived(status, "versioning", lambda s: str(s).lower() == "enabled"))
        return
    inline = _blocks(tf, "versioning")
    if isinstance(inline, Unknown):
        r.set("versioning", inline)
    elif inline:
        en = tf.get("versioning.0.enabled")
        r.set("versioning", en.map(bool) if en.known else en)
    elif pending := related_unknown(tf, _VERSIONING_TYPES, "bucket"):
        r.set("versioning", Unknown(pending.why, tf.origin("versioning")))
    else:
        r.set("versioning", _unset(tf, "versioning", False, "new buckets are unversioned"))


# ------------------------------------------------------------------ block / file storage
@maps("aws_ebs_volume", kind="volume")
def ebs_volume(tf: TfResource, r: Resource) -> None:
    v = setting(tf, "encrypted")
    if v is None or (isinstance(v, Unknown) and _declared(tf, "encrypted") is False):
        # Not written: the volume follows the account's "EBS encryption by default" setting.
        ebd = [x for x in (tf.project.managed() if tf.project else []) if x.type == "aws_ebs_encryption_by_default"]
        on = [x for x in ebd if x.raw("enabled") is True or x.raw("enabled") is MISSING]
        if on:
            v = _unset(tf, "encrypted", True, f"{on[0].address} turns EBS encryption by default on")
        else:
            v = Unknown("encrypted is not set: the account's EBS encryption-by-default setting decides, "
                        "and Terraform does not show it", tf.origin("encrypted"))
    r.set("encrypted", v)


@maps("aws_efs_file_system", kind="file_system")
def efs(tf: TfResource, r: Resource) -> None:
    _set(r, "encrypted", setting(tf, "encrypted", False, "the EFS API creates unencrypted file systems"))


# ------------------------------------------------------------------ caches
@maps("aws_elasticache_replication_group", kind="cache")
def elasticache(tf: TfResource, r: Resource) -> None:
    _set(r, "at_rest_encrypted", setting(tf, "at_rest_encryption_enabled", False, "not encrypted at rest"))
    tls = setting(tf, "transit_encryption_enabled", False, "in-transit encryption off")
    mode = tf.raw("transit_encryption_mode")
    if tls is not None and tls.known and tls.truthy().is_true and isinstance(mode, str) and mode.lower() == "preferred":
        # "preferred" accepts unencrypted clients too (a migration setting).
        tls = derived(tf.get("transit_encryption_mode"), "requires_tls", lambda v: False)
    _set(r, "requires_tls", tls)
    _set(r, "automatic_failover", setting(tf, "automatic_failover_enabled", False, "no automatic failover"))
    _set(r, "multi_az", setting(tf, "multi_az_enabled", False, "single AZ"))
    _set(r, "snapshot_retention_days", setting(tf, "snapshot_retention_limit", 0, "no automatic snapshots"))
    r.set("node_count", _cache_nodes(tf))
    azs = tf.raw("preferred_cache_cluster_azs")
    if isinstance(azs, list) and azs and all(isinstance(a, str) for a in azs):
        r.set("zone_count", Value(len(set(azs)), tf.origin("preferred_cache_cluster_azs")))


def _cache_nodes(tf: TfResource) -> Value:
    """Nodes per shard: num_cache_clusters, or replicas_per_node_group + 1 in cluster mode."""
    n = _first_setting(tf, ("number_cache_clusters", "num_cache_clusters"), MISSING, "")
    if n is not None and (n.known or _declared(tf, n.origin.path) is not False):
        return n
    groups = setting(tf, "num_node_groups")
    if groups is not None and groups.known and groups.value:
        replicas = setting(tf, "replicas_per_node_group", 0, "no replicas")
        return derived(replicas, "node_count", lambda v: int(v) + 1)
    if isinstance(groups, Unknown) and _declared(tf, "num_node_groups") is not False:
        return groups
    return _unset(tf, "num_cache_clusters", 1, "one node")


@maps("azurerm_redis_cache", kind="cache")
def redis_cache(tf: TfResource, r: Resource) -> None:
    non_ssl = _first_setting(tf, ("non_ssl_port_enabled", "enable_non_ssl_port"), False, "non-TLS port closed")
    r.set("requires_tls", derived(non_ssl, "requires_tls", lambda v: not _truthy(v)))
    _set(r, "tls_min_version", _tls(tf, "minimum_tls_version"))
    zones = tf.raw("zones")
    if isinstance(zones, Unknown):
        r.set("zone_count", Unknown(zones.reason, tf.origin("zones")))
    elif isinstance(zones, list):
        r.set("zone_count", Value(len(set(zones)), tf.origin("zones")))
    else:
        r.set("zone_count", _unset(tf, "zones", 0, "no availability zones"))


def _truthy(v: Any) -> bool:
    return v is True or (isinstance(v, str) and v.strip().lower() in ("true", "1", "on", "enabled"))


# ------------------------------------------------------------------ other data stores (ENC-04, BAK-03)
def _key_set(tf: TfResource, path: str) -> Value:
    v = tf.get(path)
    if isinstance(v, Unknown):
        refs = tf.refs(path) or []
        if isinstance(refs, Refs) and refs.doubt():
            return Unknown(f"whether {path} names a key is not settled: {refs.doubt()}", v.origin)
        if refs:
            # the reference is to a key's id/ARN: never null once applied
            return Value(True, Origin(v.origin.source, f"{path} (set from a reference)", v.origin.file, v.origin.line))
        if _declared(tf, path) is False:
            return _unset(tf, path, False, "no KMS key")
        return v   # written, but its value (which may be null) is not known
    return Value(isinstance(v.value, str) and v.value != "", v.origin)


@maps("aws_kinesis_stream", "aws_sqs_queue", "aws_sns_topic", "aws_dynamodb_table", "aws_secretsmanager_secret",
      kind="data_store")
def data_store(tf: TfResource, r: Resource) -> None:
    t = tf.type
    if t == "aws_kinesis_stream":
        r.set("kms_encrypted", derived(setting(tf, "encryption_type", "NONE", "no server-side encryption"),
                                       "kms_encrypted", lambda v: str(v).upper() == "KMS"))
    elif t == "aws_sqs_queue":
        _sqs(tf, r)
    elif t == "aws_sns_topic":
        r.set("kms_encrypted", _key_set(tf, "kms_master_key_id"))
    elif t == "aws_secretsmanager_secret":
        v = _key_set(tf, "kms_key_id")
        if v.known and not v.value:
            v = _unset(tf, "kms_key_id", False, "the AWS-managed aws/secretsmanager key")
        r.set("kms_encrypted", v)
    elif t == "aws_dynamodb_table":
        _dynamodb(tf, r)


def _sqs(tf: TfResource, r: Resource) -> None:
    """SQS encryption, the way S3's is read (ENC-04; see the module docstring on S3).

    ``encryption``: "aws:kms" (kms_master_key_id), "SSE-SQS" (sqs_managed_sse_enabled = true: keys
    owned by Amazon SQS, not KMS), None when configuration declares neither (AWS has applied
    SSE-SQS to new queues since October 2022: a platform default, which ENC-04 accepts only when
    the profile sets accept_platform_default), "none" when SSE is turned off.  ``kms_encrypted``
    is true only for a KMS key.
    """
    kms = _key_set(tf, "kms_master_key_id")
    sse_raw = tf.raw("sqs_managed_sse_enabled")
    sse_declared = _declared(tf, "sqs_managed_sse_enabled")
    if kms.known and kms.value:
        r.set("encryption", derived(kms, "encryption", lambda _: "aws:kms"))
        r.set("kms_encrypted", kms)
        return
    if not kms.known:
        r.set("encryption", kms)
        r.set("kms_encrypted", kms)
        return
    o = tf.origin("sqs_managed_sse_enabled")
    if isinstance(sse_raw, Unknown) and sse_declared is not False:
        sse = Unknown(sse_raw.reason, o)
        r.set("encryption", sse)
        r.set("kms_encrypted", Value(False, Origin(o.source, "kms_master_key_id (unset: no KMS key)", o.file, o.line)))
        return
    if sse_raw in (MISSING, None) or isinstance(sse_raw, Unknown):
        r.set("encryption", Value(None, Origin(o.source, "sqs_managed_sse_enabled, kms_master_key_id (neither "
                                                         "declared; AWS applies SSE-SQS by default since October "
                                                         "2022)", o.file, o.line)))
        r.set("kms_encrypted", Value(False, Origin(o.source, "kms_master_key_id (unset: no KMS key)", o.file, o.line)))
        # whether AWS's default survives: providers before 4.36 sent false and drifted the queue back
        # to unencrypted (provider_versions.DEFAULTS); read by ENC-04 only with accept_platform_default
        r.set("platform_default", _unset(tf, "sqs_managed_sse_enabled", True,
                                         "AWS enables SSE-SQS on new queues since October 2022"))
        return
    sse = tf.get("sqs_managed_sse_enabled")
    r.set("encryption", derived(sse, "encryption", lambda v: "SSE-SQS" if _truthy(v) else "none"))
    r.set("kms_encrypted", Value(False, Origin(o.source, "kms_master_key_id (unset: " + (
        "SSE-SQS uses keys owned by Amazon SQS, not KMS)" if _truthy(sse_raw) else "no KMS key)"), o.file, o.line)))


def _dynamodb(tf: TfResource, r: Resource) -> None:
    sse = _blocks(tf, "server_side_encryption")
    if isinstance(sse, Unknown):
        r.set("kms_encrypted", sse)
    elif sse and isinstance(sse[0], dict):
        en = tf.get("server_side_encryption.0.enabled")
        r.set("kms_encrypted", en.map(_truthy) if en.known else en)
    else:
        r.set("kms_encrypted", _unset(tf, "server_side_encryption", False,
                                      "DynamoDB encrypts with an AWS-owned key, not KMS"))
    pitr = _blocks(tf, "point_in_time_recovery")
    if isinstance(pitr, Unknown):
        r.set("pitr_enabled", pitr)
    elif pitr and isinstance(pitr[0], dict):
        en = tf.get("point_in_time_recovery.0.enabled")
        r.set("pitr_enabled", en.map(_truthy) if en.known else en)
        days = tf.raw("point_in_time_recovery.0.recovery_period_in_days")
        if days is not MISSING and days is not None:
            r.set("recovery_days", tf.get("point_in_time_recovery.0.recovery_period_in_days"))
    else:
        r.set("pitr_enabled", _unset(tf, "point_in_time_recovery", False, "point-in-time recovery off"))


# ------------------------------------------------------------------ keys
@maps("aws_kms_key", kind="kms_key")
def kms_key(tf: TfResource, r: Resource) -> None:
    _add_keys(tf, r, "key_id")
    r.set("key_manager", Value("customer", tf.origin("aws_kms_key")))
    _set(r, "rotation_enabled", setting(tf, "enable_key_rotation", False, "rotation off"))
    _set(r, "key_spec", setting(tf, "customer_master_key_spec", "SYMMETRIC_DEFAULT", "symmetric key")
         if tf.raw("key_spec") in (MISSING, None) else tf.get("key_spec"))


@maps("azurerm_key_vault", kind="key_vault")
def key_vault(tf: TfResource, r: Resource) -> None:
    _set(r, "purge_protection", setting(tf, "purge_protection_enabled", False, "purge protection off"))


# ------------------------------------------------------------------ AWS Backup
def _copy_region(holder: TfResource, path: str, project: TfProject | None) -> Any:
    """The region of a copy_action destination: from the ARN, or from the referenced vault's provider."""
    raw = holder.raw(path)
    region = _arn_region(raw)
    if region:
        return region
    for addr in holder.refs(path) or []:
        vault = next((x for x in (project.resources if project else []) if x.address == addr), None)
        if vault is not None:
            reg = provider_region(vault)
            if reg.known:
                return reg.value
            return Unknown(f"the region of {addr}: {reg.reason}", holder.origin(path))
    if isinstance(raw, Unknown):
        return Unknown(f"the destination vault is {raw.reason}", holder.origin(path))
    return Unknown("the destination vault's region cannot be read", holder.origin(path))


@maps("aws_backup_plan", kind="backup_plan")
def backup_plan(tf: TfResource, r: Resource) -> None:
    r.set("region", provider_region(tf))
    rules = _blocks(tf, "rule")
    cfg = tf.project.config_blocks(tf, "rule") if tf.project is not None else None
    # Where each rule is read from: the planned value, or the block as written in configuration.
    # A plan shows a set of blocks with any unknown member as wholly unknown, and `rule` is a set,
    # so its planned order is not the written order: configuration blocks pair up by rule_name.
    holders: list[tuple[TfResource, str]] = []
    if isinstance(rules, Unknown):
        if not cfg:
            r.set("rules", rules)
            return
        holders = [(c, "") for c in cfg]
    else:
        for i, rule in enumerate(rules):
            holder = (tf, f"rule.{i}.")
            if cfg and _has_unknown(rule) and isinstance(rule, dict):
                named = [c for c in cfg if c.raw("rule_name") == rule.get("rule_name")]
                if len(named) == 1 or len(cfg) == 1:
                    holder = ((named or cfg)[0], "")
            holders.append(holder)
    out = []
    for holder, p in holders:
        life = holder.raw(f"{p}lifecycle")
        if isinstance(life, Unknown):
            retention = Unknown(life.reason, holder.origin(f"{p}lifecycle"))
        elif isinstance(life, list) and life:
            d = holder.raw(f"{p}lifecycle.0.delete_after")
            retention = (Unknown(d.reason, holder.origin(f"{p}lifecycle.0.delete_after")) if isinstance(d, Unknown)
                         else d if isinstance(d, int) else None)
        else:
            retention = None  # no lifecycle: recovery points are kept until deleted by hand
        copies = []
        actions = holder.raw(f"{p}copy_action")
        if isinstance(actions, Unknown):
            copies.append(Unknown(actions.reason, holder.origin(f"{p}copy_action")))
        elif isinstance(actions, list):
            for j in range(len(actions)):
                copies.append(_copy_region(holder, f"{p}copy_action.{j}.destination_vault_arn", tf.project))
        name = holder.raw(f"{p}rule_name")
        out.append({"name": name if isinstance(name, str) else None, "retention_days": retention,
                    "copy_regions": copies})
    r.set("rules", Value(out, tf.origin("rule")))


def _has_unknown(x: Any) -> bool:
    if isinstance(x, Unknown):
        return True
    if isinstance(x, dict):
        return any(_has_unknown(v) for v in x.values())
    if isinstance(x, list):
        return any(_has_unknown(v) for v in x)
    return False


_CONDITION_OPS = {"string_equals": "equals", "string_like": "like", "string_not_equals": "not_equals",
                  "string_not_like": "not_like"}


@maps("aws_backup_selection", kind="backup_selection")
def backup_selection(tf: TfResource, r: Resource) -> None:
    r.set("plan", ref_keys(tf, "plan_id"))
    r.set("resources", ref_keys(tf, "resources"))
    r.set("not_resources", ref_keys(tf, "not_resources"))
    tags = _blocks(tf, "selection_tag")
    if isinstance(tags, Unknown):
        r.set("tag_conditions", tags)
    else:
        r.set("tag_conditions", Value([{"key": t.get("key"), "value": t.get("value")}
                                       for t in tags if isinstance(t, dict)], tf.origin("selection_tag")))
    conds = _blocks(tf, "condition")
    if isinstance(conds, Unknown):
        r.set("conditions", conds)
        return
    out = []
    for c in conds:
        if not isinstance(c, dict):
            continue
        for op_name, op in _CONDITION_OPS.items():
            for e in c.get(op_name) or []:
                if isinstance(e, dict):
                    key = e.get("key")
                    if isinstance(key, str) and key.startswith("aws:ResourceTag/"):
                        key = key[len("aws:ResourceTag/"):]
                    out.append({"op": op, "key": key, "value": e.get("value")})
    r.set("conditions", Value(out, tf.origin("condition")))


@maps("aws_db_instance_automated_backups_replication", kind="backup_replication")
def backup_replication(tf: TfResource, r: Resource) -> None:
    r.set("source", ref_keys(tf, "source_db_instance_arn"))
    r.set("region", provider_region(tf))


# ------------------------------------------------------------------ Azure databases
@maps("azurerm_postgresql_flexible_server", kind="database")
def pg_flexible(tf: TfResource, r: Resource) -> None:
    _add_keys(tf, r, "name")
    r.set("engine", Value("postgres", tf.origin("azurerm_postgresql_flexible_server")))
    r.set("encrypted", Value(True, Origin(tf.source, "storage (Azure always encrypts)", tf.file, tf.line)))
    cmk = _blocks(tf, "customer_managed_key")
    if isinstance(cmk, Unknown):
        r.set("encryption_key_managed_by", cmk)
    elif cmk and isinstance(cmk[0], dict):
        r.set("encryption_key", tf.get("customer_managed_key.0.key_vault_key_id"))
        r.set("encryption_key_managed_by", customer_key(tf, "customer_managed_key", "key_vault_key_id"))
    else:
        r.set("encryption_key", Value(None, tf.origin("customer_managed_key")))
        r.set("encryption_key_managed_by", _unset(tf, "customer_managed_key", "provider", "service-managed key"))
    ha = _blocks(tf, "high_availability")
    if isinstance(ha, Unknown):
        r.set("multi_az", ha)
    elif ha and isinstance(ha[0], dict):
        mode = tf.get("high_availability.0.mode")
        r.set("multi_az", derived(mode, "multi_az", lambda m: str(m) == "ZoneRedundant"))
    else:
        r.set("multi_az", _unset(tf, "high_availability", False, "high availability disabled"))
    _set(r, "backup_retention_days", setting(tf, "backup_retention_days", 7, "Azure default 7 days"))
    _set(r, "backup_cross_region", setting(tf, "geo_redundant_backup_enabled", False, "locally redundant backups"))
    # TLS: server parameters are separate azurerm_postgresql_flexible_server_configuration resources.
    confs = {}
    for c in related(tf, ("azurerm_postgresql_flexible_server_configuration",), "server_id"):
        name = c.raw("name")
        if isinstance(name, str):
            confs[name.lower()] = c
    pending = related_unknown(tf, ("azurerm_postgresql_flexible_server_configuration",), "server_id")

    def _conf(name: str, default: Any, note: str, convert) -> Value:
        c = confs.get(name)
        if c is not None:
            v = c.get("value")
            o = Origin(v.origin.source, f"{c.address} {name}", v.origin.file, v.origin.line)
            if not v.known:
                return Unknown(getattr(v, "reason", "not known"), o)
            conv = convert(v.value)
            return Value(conv, o) if conv is not None else Unknown(f"unrecognised value {v.value!r}", o)
        if pending:
            return Unknown(pending.why, tf.origin(name))
        return Value(default, Origin(tf.source, f"{name} (no azurerm_postgresql_flexible_server_configuration: "
                                                f"{note})", tf.file, tf.line))

    r.set("requires_tls", _conf("require_secure_transport", True, "Azure default ON",
                                lambda v: str(v).strip().lower() in ("on", "true", "1")))
    r.set("tls_min_version", _conf("ssl_min_protocol_version", "1.2", "Azure default TLSv1.2", tls_version))


# azurerm_postgresql_server: a single server, mapped with MySQL and MariaDB in map_azure_db.py


_TDE = ("azurerm_mssql_server_transparent_data_encryption",)


@maps("azurerm_mssql_server", "azurerm_sql_server", kind="database")
def sql_server(tf: TfResource, r: Resource) -> None:
    _add_keys(tf, r, "name")
    r.set("engine", Value("sqlserver", tf.origin(tf.type)))
    # Transparent data encryption is on by default for every Azure SQL database.
    r.set("encrypted", Value(True, Origin(tf.source, "transparent data encryption (on by default)", tf.file, tf.line)))
    key = None
    for t in related(tf, _TDE, "server_id"):
        k = t.raw("key_vault_key_id")
        if k is MISSING or k is None:
            k = t.raw("managed_hsm_key_id")
        if isinstance(k, str) and k or isinstance(k, Unknown):
            key = Value("customer", Origin(t.source, f"{t.address}.key_vault_key_id", t.file, t.line))
        else:
            key = Value("provider", Origin(t.source, f"{t.address} (no key_vault_key_id: service-managed key)",
                                           t.file, t.line))
        break
    inline = tf.raw("transparent_data_encryption_key_vault_key_id")
    if key is None and (isinstance(inline, str) and inline or isinstance(inline, Unknown)):
        key = Value("customer", tf.origin("transparent_data_encryption_key_vault_key_id"))
    if key is None and (pending := related_unknown(tf, _TDE, "server_id")):
        key = Unknown(pending.why, tf.origin("transparent_data_encryption"))
    if key is None:
        key = _unset(tf, "transparent_data_encryption", "provider", "service-managed key")
    r.set("encryption_key_managed_by", key)
    # Azure SQL accepts encrypted connections only (documented: TLS is enforced at all times).
    r.set("requires_tls", Value(True, Origin(tf.source, "connections (Azure SQL always enforces TLS)", tf.file, tf.line)))
    if tf.type == "azurerm_mssql_server" or tf.raw("minimum_tls_version") is not MISSING:
        _set(r, "tls_min_version", _tls(tf, "minimum_tls_version", "1.2", "provider default 1.2"))
    else:
        # The legacy azurerm_sql_server has no minimum-TLS setting: the server keeps accepting
        # TLS 1.0 (CONTROLS.md: TLS-03 fails), which is not the same as "not applicable".
        r.set("tls_min_version", Value("1.0", Origin(tf.source, "azurerm_sql_server (no minimum TLS setting: "
                                                                "TLS 1.0 and later accepted)", tf.file, tf.line)))


@maps("azurerm_mssql_database", "azurerm_sql_database", kind="database")
def sql_database(tf: TfResource, r: Resource) -> None:
    _add_keys(tf, r, "name")
    _set(r, "multi_az", setting(tf, "zone_redundant", False, "not zone redundant"))
    if tf.type != "azurerm_mssql_database":
        return  # the legacy azurerm_sql_database carries no retention or backup-redundancy setting
    pol = _blocks(tf, "short_term_retention_policy")
    if isinstance(pol, Unknown):
        r.set("backup_retention_days", pol)
    elif pol and isinstance(pol[0], dict):
        r.set("backup_retention_days", tf.get("short_term_retention_policy.0.retention_days"))
    else:
        r.set("backup_retention_days", _unset(tf, "short_term_retention_policy", 7, "Azure default 7 days"))
    r.set("backup_cross_region", derived(setting(tf, "storage_account_type", "Geo", "provider default Geo"),
                                         "backup_cross_region", lambda v: str(v) in ("Geo", "GeoZone")))


# ------------------------------------------------------------------ Azure storage
@maps("azurerm_storage_account", kind="object_store")
def storage_account(tf: TfResource, r: Resource) -> None:
    _add_keys(tf, r, "name")
    r.set("platform_encrypted", Value(True, Origin(tf.source, "encryption (Azure Storage always encrypts data at "
                                                             "rest)", tf.file, tf.line)))
    cmk = _blocks(tf, "customer_managed_key")
    split = related(tf, ("azurerm_storage_account_customer_managed_key",), "storage_account_id")
    inline = customer_key(tf, "customer_managed_key", "key_vault_key_id", "managed_hsm_key_id") \
        if isinstance(cmk, list) and cmk else None
    if inline is not None and not split and not inline.known:
        r.set("default_encryption", inline)   # a customer_managed_key block that names no key
        r.set("encryption_key_managed_by", inline)
    elif split or (isinstance(cmk, list) and cmk):
        where = split[0].address if split else "customer_managed_key"
        r.set("default_encryption", Value("Microsoft.Keyvault", Origin(tf.source, where, tf.file, tf.line)))
        r.set("encryption_key_managed_by", Value("customer", Origin(tf.source, where, tf.file, tf.line)))
    elif isinstance(cmk, Unknown):
        r.set("default_encryption", cmk)
        r.set("encryption_key_managed_by", cmk)
    elif pending := related_unknown(tf, ("azurerm_storage_account_customer_managed_key",), "storage_account_id"):
        why = Unknown(pending.why, tf.origin("encryption"))
        r.set("default_encryption", why)
        r.set("encryption_key_managed_by", why)
    else:
        r.set("default_encryption", _unset(tf, "customer_managed_key", "Microsoft.Storage", "Microsoft-managed keys"))
        r.set("encryption_key_managed_by", _unset(tf, "customer_managed_key", "provider", "Microsoft-managed keys"))
    https = _first_setting(tf, ("https_traffic_only_enabled", "enable_https_traffic_only"), True,
                           "provider default HTTPS only")
    r.set("requires_tls", derived(https, "requires_tls", _truthy))
    _set(r, "tls_min_version", _tls(tf, "min_tls_version", "TLS1_2", "provider default TLS1_2"))
