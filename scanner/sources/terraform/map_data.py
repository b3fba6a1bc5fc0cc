"""Mappers for data-layer Terraform types: databases, stores, caches, keys, backups."""
from __future__ import annotations

from ...model import Resource
from ...values import Unknown, Value
from .normalize import copy_field, kms_key_managed_by, maps, ref_keys
from .tfmodel import MISSING, TfResource


@maps("aws_db_instance", "aws_rds_cluster", kind="database")
def rds(tf: TfResource, r: Resource) -> None:
    copy_field(tf, r, "engine", "engine")
    if tf.type == "aws_db_instance" and isinstance(tf.raw("replicate_source_db"), str) is False:
        pass
    copy_field(tf, r, "storage_encrypted", "encrypted", default=False)
    copy_field(tf, r, "kms_key_id", "encryption_key", default=None)
    r.set("encryption_key_managed_by", kms_key_managed_by(tf, "kms_key_id"))
