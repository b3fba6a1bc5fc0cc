"""Queues, topics, streams, tables and secrets: their encryption at rest (ENC-04) and table
backups (BAK-03)."""
from __future__ import annotations

from ...model import Resource
from ...values import Origin, Unknown, Value
from .normalize import maps
from .tfmodel import MISSING, Refs, TfResource
from .map_data import _blocks, _declared, _truthy, _unset, derived, setting


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
