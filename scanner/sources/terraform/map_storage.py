"""Object, block and file storage: S3 buckets (with their split encryption and versioning
resources), EBS volumes, EFS file systems and Azure storage accounts.

S3 default encryption (ENC-02): since January 2023 AWS applies SSE-S3 (AES256)
to every bucket that has no configuration.  CONTROLS.md asks for a declared
configuration, so a bucket with neither a split
``aws_s3_bucket_server_side_encryption_configuration`` nor an inline block gets
``default_encryption = None`` and the evidence path names the AWS default; the
ENC-02 rule fails it unless the profile sets ``accept_platform_default: true``.
"""
from __future__ import annotations

from ...model import Resource
from ...values import Origin, Unknown, Value
from .joins import related, related_unknown
from .normalize import kms_key_managed_by, maps
from .tfmodel import MISSING, TfResource
from .value_check import customer_key
from .map_data import (_add_keys, _blocks, _declared, _first, _first_setting, _set, _tls, _truthy, _unset, _via,
    derived, setting)


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
