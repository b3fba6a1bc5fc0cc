"""One account and one region as the collectors see it, and helpers to build model Resources.

A collector gets a ``Scope`` and returns model Resources.  It reads with
``scope.call`` / ``scope.pages``; a ``Failure`` coming back means the fields
that call would have filled become ``Unknown`` (``scope.unknown(failure, path)``),
and a failed *listing* becomes a placeholder resource standing for everything
of that type in the scope (``scope.placeholder``), so the controls that cover
the type report ``unknown`` instead of silently having nothing to check.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Iterable

from ...model import Resource
from ...values import Origin, Unknown, Value
from .guard import Calls, Failure, map_bounded
from .needs import ALL, Needs
from .ops import api_name
from .raw_secrets import withhold

SOURCE = "aws"

# The fields each model type is filled with: a placeholder sets all of them to Unknown.
FIELDS: dict[str, tuple[str, ...]] = {
    "aws_db_instance": ("engine", "encrypted", "encryption_key", "encryption_key_managed_by", "multi_az",
                        "backup_retention_days", "backup_cross_region", "security_groups", "publicly_accessible",
                        "tags", "credentials_managed", "cross_region_replica"),
    "aws_rds_cluster": ("engine", "encrypted", "encryption_key", "encryption_key_managed_by",
                        "backup_retention_days", "backup_cross_region", "security_groups", "cluster_members",
                        "cluster_zone_count", "tags", "credentials_managed", "cross_region_replica"),
    "aws_rds_cluster_instance": ("cluster", "availability_zone", "publicly_accessible", "tags"),
    "aws_docdb_cluster": ("tags",),
    "aws_docdb_cluster_instance": ("tags",),
    "aws_neptune_cluster": ("tags",),
    "aws_neptune_cluster_instance": ("tags",),
    "aws_db_parameter_group": ("requires_tls", "tls_min_version", "family", "tags"),
    "aws_rds_cluster_parameter_group": ("requires_tls", "tls_min_version", "family", "tags"),
    "aws_kms_key": ("rotation_enabled", "key_manager", "tags"),
    "aws_lb": ("web_acl", "tags"),
    "aws_api_gateway_stage": ("web_acl", "tags"),
    "aws_vpc": ("flow_logged", "tags"),
    "aws_lambda_function": ("tracing_mode", "tags"),
    "aws_lb_listener": ("protocol", "terminates_tls", "tls_policy", "tls_min_version", "plain_http",
                        "http_redirects_to_https", "tags"),
    "aws_cloudfront_distribution": ("allows_plain_http", "tls_policy", "tls_min_version", "web_acl", "tags"),
    "aws_api_gateway_domain_name": ("allows_plain_http", "tls_policy", "tls_min_version", "tags"),
    "aws_apigatewayv2_domain_name": ("allows_plain_http", "tls_policy", "tls_min_version", "tags"),
    "aws_security_group": ("tier", "ingress", "egress", "tags"),
    "aws_ebs_volume": ("encrypted", "tags"),
    "aws_efs_file_system": ("encrypted", "tags"),
    "aws_s3_bucket": ("default_encryption", "encryption_key_managed_by", "versioning", "tags", "cross_region_replica"),
    "aws_dynamodb_table": ("kms_encrypted", "pitr_enabled", "tags", "cross_region_replica"),
    "aws_elasticache_replication_group": ("at_rest_encrypted", "requires_tls", "automatic_failover", "multi_az",
                                          "node_count", "zone_count", "snapshot_retention_days", "tags"),
    "aws_kinesis_stream": ("kms_encrypted", "tags"),
    "aws_sqs_queue": ("kms_encrypted", "dead_letter", "dead_letter_source", "tags"),
    "aws_sns_topic_subscription": ("protocol", "dead_letter"),
    "aws_sns_topic": ("kms_encrypted", "tags"),
    "aws_secretsmanager_secret": ("kms_encrypted", "rotation_days", "tags"),
    "aws_backup_plan": ("rules", "region", "tags"),
    "aws_backup_selection": ("plan", "resources", "tag_conditions"),
    "aws_iam_policy": ("statements", "tags"),
    "aws_iam_role_policy": ("statements",),
    "aws_iam_user": ("console_password", "mfa_active"),
}


class Once:
    """One computation per key, shared across threads: the first caller computes, the others wait
    for its answer (a Failure is an answer too, so a failed read is made, and reported, once)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._known: dict[Any, Any] = {}
        self._pending: dict[Any, threading.Event] = {}

    def get(self, key, compute: Callable[[], Any]):
        while True:
            with self._lock:
                if key in self._known:
                    return self._known[key]
                ev = self._pending.get(key)
                mine = ev is None
                if mine:
                    ev = self._pending[key] = threading.Event()
            if not mine:
                ev.wait()
                continue   # the owner may have raised: then the next caller computes
            try:
                value = compute()
                with self._lock:
                    self._known[key] = value
                return value
            finally:
                with self._lock:
                    self._pending.pop(key, None)
                ev.set()

    def started(self, key) -> bool:
        with self._lock:
            return key in self._known or key in self._pending

    def alias(self, key, value) -> None:
        """Answer ``key`` with a value already read under another key."""
        with self._lock:
            self._known.setdefault(key, value)


class KeyManagers:
    """kms:DescribeKey results, one call per (account, region, key) however many resources name it.

    Shared by every collector of an account: the KMS collector describes the keys
    it lists; an RDS instance or S3 bucket naming a key (maybe in another region
    or account, or by alias) gets the cached answer or makes the one call,
    deduplicated across threads.  The region is part of the key: an alias or key
    id means a different key in each region, and a failure must cite the region
    whose call failed, whichever thread asked first.
    """

    def __init__(self):
        self._once = Once()

    @staticmethod
    def region_of(scope: "Scope", ref: str) -> str:
        """The region a key reference resolves in: the ARN's, else the asking resource's."""
        if ref.startswith("arn:") and ref.count(":") >= 5:
            return ref.split(":")[3] or scope.region
        return scope.region

    def describe(self, scope: "Scope", ref: str):
        """KeyMetadata of the key, or the Failure of the call."""
        region = self.region_of(scope, ref)

        def read():
            resp = scope.at(region).call("kms", "DescribeKey", KeyId=ref)
            meta = resp if isinstance(resp, Failure) else resp["KeyMetadata"]
            if not isinstance(meta, Failure) and meta.get("Arn"):
                arn = meta["Arn"]
                self._once.alias((scope.account, self.region_of(scope.at(region), arn), arn), meta)
            return meta

        return self._once.get((scope.account, region, ref), read)

    def manager(self, scope: "Scope", ref: str | None, path: str, api: str) -> Value:
        """Who manages the key: Value("customer"|"provider") or Unknown."""
        if not ref:
            # no key named: the service's default key, which AWS manages
            return Value("provider", Origin(SOURCE, f"{path} (unset: the service's AWS-managed key)", api=api))
        if "alias/aws/" in ref:
            return Value("provider", Origin(SOURCE, path, api=api))
        meta = self.describe(scope, ref)
        if isinstance(meta, Failure):
            return Unknown(f"who manages key {ref} is not known: {meta.reason}",
                           Origin(SOURCE, "KeyManager", api=meta.api))
        mgr = {"CUSTOMER": "customer", "AWS": "provider"}.get(meta.get("KeyManager"))
        origin = Origin(SOURCE, "KeyManager", api=api_name("kms", "DescribeKey"))
        if mgr is None:
            return Unknown(f"kms:DescribeKey gave no KeyManager for {ref}", origin)
        return Value(mgr, origin)


class Scope:
    """An account and a region (or "global"), with the session and shared state of the account."""

    def __init__(self, calls: Calls, session, account: str, region: str, partition: str = "aws",
                 keys: KeyManagers | None = None, pool=None, home_region: str = "us-east-1",
                 tags: Once | None = None, needs: Needs = ALL):
        self.calls = calls
        self.session = session
        self.account = account
        self.region = region
        self.partition = partition
        self.keys = keys or KeyManagers()
        self.pool = pool
        self.home_region = home_region
        self._tags = tags or Once()   # (account, region) -> tagging.RegionTags | Failure, shared by the account's scopes
        self.needs = needs   # which per-resource reads the run's controls need (needs.py)

    def at(self, region: str) -> "Scope":
        return Scope(self.calls, self.session, self.account, region, self.partition, self.keys, self.pool,
                     self.home_region, self._tags, self.needs)

    @property
    def client_region(self) -> str:
        return self.home_region if self.region == "global" else self.region

    # ------------------------------------------------------------------ reading
    def client(self, service: str):
        return self.calls.client(self.session, service, self.client_region)

    def call(self, service: str, op: str, expect: Iterable[str] = (), **params):
        return self.calls.call(self.client(service), op, self.account, self.region, expect=expect, **params)

    def pages(self, service: str, op: str, key: str, **params):
        return self.calls.pages(self.client(service), op, key, self.account, self.region, **params)

    def each(self, fn: Callable, items: list) -> list:
        """``fn`` over ``items`` concurrently (bounded by the audit's concurrency)."""
        if self.pool is None:
            return [fn(i) for i in items]
        return map_bounded(self.pool, fn, items)

    def key_manager(self, ref: str | None, path: str, api: str) -> Value:
        return self.keys.manager(self, ref, path, api)

    def region_tags(self):
        """The region's tags from one tag:GetResources (read on first need, once per account and
        region), or None if that read failed: the caller then uses the service's own tag call."""
        from . import tagging
        got = self._tags.get((self.account, self.region), lambda: tagging.read(self))
        return None if isinstance(got, Failure) else got

    def region_tags_later(self) -> Callable[[str, Callable[[], Value]], Value]:
        """Start ``region_tags`` in the background; return ``tags_for(arn, own)``, which waits for it
        and gives the resource's tags from it, or ``own()`` (the service's own tag call) when the
        bulk read failed.

        The read is a chain of pages (100 resources each); started when a collector has listed its
        resources, it runs while that collector's per-resource calls do, instead of before them.
        The thread is not one of the fan-out pool's, whose workers may be the ones waiting."""
        if not self._tags.started((self.account, self.region)):
            threading.Thread(target=self.region_tags, name="specguard-aws-tags", daemon=True).start()

        def tags_for(arn: str, own: Callable[[], Value]) -> Value:
            bulk = self.region_tags()
            return bulk.value(arn) if bulk else own()

        return tags_for

    # ------------------------------------------------------------------ building
    def arn(self, service: str, rest: str, region: str | None = None) -> str:
        reg = self.region if region is None else region
        return f"arn:{self.partition}:{service}:{'' if reg == 'global' else reg}:{self.account}:{rest}"

    def resource(self, kind: str, type_: str, arn: str, name: str, keys: Iterable[str] = (),
                 raw: Any = None, raw_api: str | None = None) -> Resource:
        # raw: the API item it is mapped from, kept by reference (user fields read it), its secret
        # values withheld (raw_secrets; DESIGN.md "the raw-record convention")
        r = Resource(kind=kind, type=type_, address=arn, provider="aws", source=SOURCE, name=name,
                     keys={k for k in keys if k}, context={"account": self.account, "region": self.region},
                     raw=withhold(type_, raw, SOURCE, raw_api), raw_api=raw_api)
        return r

    def placeholder(self, kind: str, type_: str, service: str, pattern: str, failure: Failure,
                    what: str) -> Resource:
        """Stands for every ``type_`` of this scope when listing them failed: all fields Unknown, and
        opaque, so every control of its kind says unknown -- also those that decide from a field
        whether they apply (a group's tier: NET-01..03 would otherwise say nothing at all)."""
        arn = self.arn(service, pattern)
        r = self.resource(kind, type_, arn, f"({what} in {self.region}, account {self.account}: not listed)")
        r.context["unlisted"] = failure.message
        r.opaque = f"{what} in {self.region}, account {self.account} could not be listed: {failure.reason}"
        for f in FIELDS[type_]:
            r.set(f, unknown(failure, f))
        return r


# ---------------------------------------------------------------------- values
def arn_region(arn: str | None) -> str | None:
    """The region field of an ARN (None: not an ARN, or a global resource's ARN without one)."""
    parts = arn.split(":") if isinstance(arn, str) and arn.startswith("arn:") else []
    return parts[3] or None if len(parts) > 3 else None


def val(value: Any, path: str, api: str) -> Value:
    return Value(value, Origin(SOURCE, path, api=api))


def unknown(failure: Failure, path: str) -> Unknown:
    return Unknown(failure.reason, Origin(SOURCE, path, api=failure.api))


def set_all(r: Resource, failure: Failure, fields: Iterable[str]) -> None:
    for f in fields:
        r.set(f, unknown(failure, f))


def tag_dict(items: Iterable[dict] | None, key: str = "Key", value: str = "Value") -> dict[str, str]:
    return {t[key]: t.get(value, "") for t in (items or []) if key in t}


def tags(items, path: str, api: str, key: str = "Key", value: str = "Value") -> Value:
    return val(tag_dict(items, key, value), path, api)
