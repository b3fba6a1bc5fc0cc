"""RDS instances, Aurora clusters and their members, and parameter groups (ENC-01, TLS-03, HA-01,
BAK-01): the fields of ``scanner.model``, with the defaults map_data.py describes."""
from __future__ import annotations

import re

from ...model import Resource
from ...values import Origin, Unknown, Value
from .normalize import copy_field, kms_key_managed_by, maps, ref_keys
from .tfmodel import TfResource
from .map_data import _add_keys, _blocks, _set, provider_region, setting, tls_version


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
