"""Messaging, secrets and keys: Kinesis streams, SQS queues, SNS topics, Secrets Manager, KMS keys.

KMS keys that AWS manages (aws/rds, aws/s3, ...) are not emitted as resources:
AWS rotates them itself and they cannot be tagged; they still answer "who
manages this key" for ENC-01/ENC-02.  Keys pending deletion are left out too.
"""
from __future__ import annotations

from ...model import Resource
from ...values import Unknown
from .guard import Failure
from .ops import api_name
from .scope import Scope, set_all, tags, unknown, val
from . import collect_dlq


def streams(scope: Scope) -> list[Resource]:
    names, fail = scope.pages("kinesis", "ListStreams", "StreamNames")

    def one(name: str) -> Resource:
        d = scope.call("kinesis", "DescribeStreamSummary", StreamName=name)
        summary = {} if isinstance(d, Failure) else d["StreamDescriptionSummary"]
        arn = summary.get("StreamARN") or scope.arn("kinesis", f"stream/{name}")
        r = scope.resource("data_store", "aws_kinesis_stream", arn, name, (arn, name),
                           raw=unknown(d, "StreamDescriptionSummary") if isinstance(d, Failure) else summary,
                           raw_api=api_name("kinesis", "DescribeStreamSummary"))
        r.set("kms_encrypted", unknown(d, "EncryptionType") if isinstance(d, Failure) else
              val(summary.get("EncryptionType") == "KMS", "EncryptionType", api_name("kinesis", "DescribeStreamSummary")))
        r.set("tags", _kinesis_tags(scope, name))
        return r

    out = scope.each(one, names)
    if fail:
        out.append(scope.placeholder("data_store", "aws_kinesis_stream", "kinesis", "stream/*", fail,
                                     "Kinesis streams"))
    return out


def _kinesis_tags(scope: Scope, name: str):
    found: list[dict] = []
    start = None
    while True:
        resp = scope.call("kinesis", "ListTagsForStream", StreamName=name,
                          **({"ExclusiveStartTagKey": start} if start else {}))
        if isinstance(resp, Failure):
            return unknown(resp, "Tags")
        page = resp.get("Tags") or []
        found += page
        if not resp.get("HasMoreTags") or not page:
            return tags(found, "Tags", api_name("kinesis", "ListTagsForStream"))
        start = page[-1]["Key"]


def queues(scope: Scope) -> list[Resource]:
    urls, fail = scope.pages("sqs", "ListQueues", "QueueUrls")
    api = api_name("sqs", "GetQueueAttributes")
    tags_for = scope.region_tags_later() if urls else None

    def one(url: str) -> Resource:
        name = url.rstrip("/").rsplit("/", 1)[-1]
        # All: the same call, and the queue's whole record for users' fields (raw)
        a = scope.call("sqs", "GetQueueAttributes", QueueUrl=url, AttributeNames=["All"])
        attrs = {} if isinstance(a, Failure) else a.get("Attributes") or {}
        arn = attrs.get("QueueArn") or scope.arn("sqs", name)
        r = scope.resource("data_store", "aws_sqs_queue", arn, name, (arn, url, name),
                           raw=unknown(a, "Attributes") if isinstance(a, Failure) else attrs, raw_api=api)
        # encryption: "aws:kms" | "SSE-SQS" (keys owned by SQS, not KMS) | "none", as the Terraform mapper
        if isinstance(a, Failure):
            r.set("kms_encrypted", unknown(a, "KmsMasterKeyId"))
            r.set("encryption", unknown(a, "KmsMasterKeyId"))
        elif attrs.get("KmsMasterKeyId"):
            r.set("kms_encrypted", val(True, "KmsMasterKeyId", api))
            r.set("encryption", val("aws:kms", "KmsMasterKeyId", api))
        else:
            sse = str(attrs.get("SqsManagedSseEnabled", "false")).lower() == "true"
            r.set("kms_encrypted", val(False, "KmsMasterKeyId (none: no KMS key)", api))
            r.set("encryption", val("SSE-SQS" if sse else "none", "SqsManagedSseEnabled", api))
        r.set("tags", tags_for(arn, lambda: _queue_tags(scope, url)))
        return r

    out = scope.each(one, urls)
    collect_dlq.queue_dead_letters(scope, out)   # MSG-01: redrive policies, DLQ targets
    if fail:
        out.append(scope.placeholder("data_store", "aws_sqs_queue", "sqs", "*", fail, "SQS queues"))
    return out


def _queue_tags(scope: Scope, url: str):
    t = scope.call("sqs", "ListQueueTags", QueueUrl=url)
    return unknown(t, "Tags") if isinstance(t, Failure) else \
        val(dict(t.get("Tags") or {}), "Tags", api_name("sqs", "ListQueueTags"))


def topics(scope: Scope) -> list[Resource]:
    items, fail = scope.pages("sns", "ListTopics", "Topics")
    tags_for = scope.region_tags_later() if items else None

    def one(t: dict) -> Resource:
        arn = t["TopicArn"]
        a = scope.call("sns", "GetTopicAttributes", TopicArn=arn)
        r = scope.resource("data_store", "aws_sns_topic", arn, arn.rsplit(":", 1)[-1], (arn,),
                           raw=unknown(a, "Attributes") if isinstance(a, Failure) else a.get("Attributes") or {},
                           raw_api=api_name("sns", "GetTopicAttributes"))
        r.set("kms_encrypted", unknown(a, "KmsMasterKeyId") if isinstance(a, Failure) else
              val(bool((a.get("Attributes") or {}).get("KmsMasterKeyId")), "KmsMasterKeyId",
                  api_name("sns", "GetTopicAttributes")))
        r.set("tags", tags_for(arn, lambda: _topic_tags(scope, arn)))
        return r

    out = scope.each(one, items)
    if fail:
        out.append(scope.placeholder("data_store", "aws_sns_topic", "sns", "*", fail, "SNS topics"))
    return out


def _topic_tags(scope: Scope, arn: str):
    tg = scope.call("sns", "ListTagsForResource", ResourceArn=arn)
    return unknown(tg, "Tags") if isinstance(tg, Failure) else \
        tags(tg.get("Tags"), "Tags", api_name("sns", "ListTagsForResource"))


def secrets(scope: Scope) -> list[Resource]:
    api = api_name("secretsmanager", "ListSecrets")
    items, fail = scope.pages("secretsmanager", "ListSecrets", "SecretList")
    out = []
    for s in items:
        arn = s["ARN"]
        r = scope.resource("data_store", "aws_secretsmanager_secret", arn, s.get("Name", arn), (arn, s.get("Name")),
                           raw=s, raw_api=api)
        # no KmsKeyId: the secret uses the default aws/secretsmanager key (ENC-04 asks for a chosen key)
        r.set("kms_encrypted", val(bool(s.get("KmsKeyId")), "KmsKeyId", api))
        r.set("rotation_days", collect_dlq.rotation(s, api))   # SEC-02: ListSecrets carries the rules
        r.set("tags", tags(s.get("Tags"), "Tags", api))
        out.append(r)
    if fail:
        out.append(scope.placeholder("data_store", "aws_secretsmanager_secret", "secretsmanager", "secret:*",
                                     fail, "Secrets Manager secrets"))
    return out


def keys(scope: Scope) -> list[Resource]:
    items, fail = scope.pages("kms", "ListKeys", "Keys")
    api = api_name("kms", "DescribeKey")
    tags_for = scope.region_tags_later() if items else None

    def one(k: dict) -> Resource | None:
        arn = k.get("KeyArn") or scope.arn("kms", f"key/{k['KeyId']}")
        meta = scope.keys.describe(scope, arn)
        r = scope.resource("kms_key", "aws_kms_key", arn, k["KeyId"], (arn, k["KeyId"]),
                           raw=unknown(meta, "KeyMetadata") if isinstance(meta, Failure) else meta, raw_api=api)
        if isinstance(meta, Failure):
            set_all(r, meta, ("key_manager", "rotation_enabled", "tags"))
            return r
        state = str(meta.get("KeyState", ""))
        if meta.get("KeyManager") == "AWS" or (state.startswith("Pending") and "Deletion" in state):
            return None
        if meta.get("Origin", "AWS_KMS") == "EXTERNAL":
            # imported key material (Terraform's aws_kms_external_key): it cannot rotate; tags only
            r = scope.resource("generic", "aws_kms_external_key", arn, k["KeyId"], (arn, k["KeyId"]), raw=meta,
                               raw_api=api)
        else:
            r.set("key_manager", val("customer", "KeyManager", api))
            spec = meta.get("KeySpec") or meta.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT"
            r.set("key_spec", val(spec, "KeySpec", api))
            if spec == "SYMMETRIC_DEFAULT":  # KMS rotates only symmetric encryption keys (ENC-05 skips others)
                rot = scope.call("kms", "GetKeyRotationStatus", KeyId=arn)
                r.set("rotation_enabled", unknown(rot, "KeyRotationEnabled") if isinstance(rot, Failure) else
                      val(bool(rot.get("KeyRotationEnabled")), "KeyRotationEnabled",
                          api_name("kms", "GetKeyRotationStatus")))
        tv = tags_for(arn, lambda: _key_tags(scope, arn))
        r.set("tags", tv)
        label = None if isinstance(tv, Unknown) else tv.value.get("Name")
        if label:
            r.name = label   # key ids mean nothing to a reader; the Name tag does
        return r

    out = [r for r in scope.each(one, items) if r is not None]
    if fail:
        out.append(scope.placeholder("kms_key", "aws_kms_key", "kms", "key/*", fail, "KMS keys"))
    return out


def _key_tags(scope: Scope, arn: str):
    found, tfail = scope.pages("kms", "ListResourceTags", "Tags", KeyId=arn)
    return unknown(tfail, "Tags") if tfail else \
        tags(found, "Tags", api_name("kms", "ListResourceTags"), key="TagKey", value="TagValue")
