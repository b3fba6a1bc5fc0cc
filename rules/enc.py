"""ENC: encryption at rest with KMS (seed 003 §4.3; seed 002 Security; seed 004 KMS; seed 001 AES-256)."""
from __future__ import annotations

from scanner.controls import Check, control
from scanner.values import tri


@control("ENC-01", title="Relational databases are encrypted with a customer-managed key",
         family="ENC", severity="high", soc2=["CC6.1", "CC6.7"], kinds=("database",),
         fields=("encrypted", "encryption_key_managed_by"),
         requirement="Relational databases (read replicas too) are encrypted at rest with a customer-managed KMS key.")
def enc_01(r, ctx):
    chk = Check()
    enc = r["encrypted"]
    if r.has("encrypted"):
        chk.require(enc.truthy(), "storage is not encrypted at rest", "whether storage is encrypted is not known", enc)
    if r.has("encryption_key_managed_by"):
        mgr = r["encryption_key_managed_by"]
        key = r["encryption_key"]
        if not enc.known or enc.truthy().is_true or not r.has("encrypted"):
            chk.require(mgr.eq("customer"),
                        f"storage is encrypted with a provider-managed key{_key(key)}, not a customer-managed key",
                        "who manages the encryption key is not known", mgr, key if r.has("encryption_key") else None)
    return chk.verdict("storage is encrypted with a customer-managed key")


def _key(key) -> str:
    return f" ({key.value})" if key.known and key.value else ""


@control("ENC-02", title="Object storage has default encryption",
         family="ENC", severity="high", soc2=["CC6.1"], kinds=("object_store",),
         fields=("default_encryption", "platform_encrypted"),
         params={"accepted_algorithms": ["AES256", "aws:kms"], "require_cmk": False,
                 "accept_platform_default": False},
         requirement="Object storage has default encryption (AES256 or aws:kms); with require_cmk, "
                     "a customer-managed key.")
def enc_02(r, ctx):
    # AWS has applied SSE-S3 to every bucket without a configuration since January 2023, but
    # CONTROLS.md asks for the configuration to be declared; accept_platform_default lets a
    # profile accept AWS's default instead.
    chk = Check()
    alg = r["default_encryption"]
    accepted = list(ctx.params.get("accepted_algorithms") or [])
    if r.has("platform_encrypted") and r["platform_encrypted"].truthy().is_true:
        chk.see(r["platform_encrypted"])
        ok = "the platform always encrypts stored data"
    elif not alg.known:
        chk.unknown(f"the default encryption is not known: {alg.reason}", alg)
        ok = ""
    elif alg.value is None:
        if ctx.params.get("accept_platform_default"):
            chk.see(alg)
            ok = "no encryption configuration is declared; the profile accepts AWS's default SSE-S3 (AES256)"
        else:
            chk.fail("no default encryption configuration is declared (AWS applies SSE-S3 to new buckets since "
                     "January 2023, but the specification requires the configuration to be declared)", alg)
            ok = ""
    else:
        chk.require(_algorithm_ok(alg.value, accepted),
                    f"default encryption uses {alg.value}; accepted: {', '.join(accepted)}", None, alg)
        ok = f"default encryption is {alg.value}"
    if ctx.params.get("require_cmk") and r.has("encryption_key_managed_by"):
        mgr = r["encryption_key_managed_by"]
        chk.require(mgr.eq("customer"), "data is encrypted with a provider-managed key; the profile requires a "
                                        "customer-managed key", "who manages the encryption key is not known", mgr)
        ok += ", with a customer-managed key"
    return chk.verdict(ok)


def _algorithm_ok(alg, accepted):
    acc = {str(a).lower() for a in accepted}
    a = str(alg).lower()
    # DSSE-KMS is KMS encryption with a second layer: accepted wherever aws:kms is.
    return tri(a in acc or (a.startswith("aws:kms:") and "aws:kms" in acc))


@control("ENC-03", title="Block and file storage are encrypted",
         family="ENC", severity="high", soc2=["CC6.1"], kinds=("volume", "file_system"), fields=("encrypted",),
         requirement="Block volumes and file systems are encrypted at rest.")
def enc_03(r, ctx):
    chk = Check()
    enc = r["encrypted"]
    what = "the volume" if r.kind == "volume" else "the file system"
    chk.require(enc.truthy(), f"{what} is not encrypted at rest", f"whether {what} is encrypted is not known", enc)
    return chk.verdict(f"{what} is encrypted at rest")


@control("ENC-04", title="Caches, streams, queues, topics, secrets and tables use KMS encryption",
         family="ENC", severity="high", soc2=["CC6.1"], kinds=("cache", "data_store"),
         fields=("at_rest_encrypted", "kms_encrypted", "encryption"),
         params={"accept_platform_default": False},
         requirement="Other data stores (caches, streams, queues, topics, secrets, tables) are encrypted with KMS "
                     "(queues: KMS or declared SSE-SQS).")
def enc_04(r, ctx):
    chk = Check()
    if r.kind == "cache":
        v = r["at_rest_encrypted"]
        chk.require(v.truthy(), "the cache is not encrypted at rest", "whether the cache is encrypted is not known", v)
        return chk.verdict("the cache is encrypted at rest")
    if r.has("encryption"):
        return _queue(r, ctx, chk)
    v = r["kms_encrypted"]
    if r.type == "aws_secretsmanager_secret":
        # Secrets Manager always encrypts, with aws/secretsmanager unless kms_key_id names a key;
        # CONTROLS.md asks for kms_key_id, so the AWS-managed key fails without being called "unencrypted".
        fail = "the secret is encrypted with the AWS-managed key aws/secretsmanager, not a customer-managed KMS key"
    else:
        fail = "the data is not encrypted with a KMS key"
    chk.require(v.truthy(), fail, "whether a KMS key is used is not known", v)
    return chk.verdict("the data is encrypted with KMS")


def _queue(r, ctx, chk: Check):
    """SQS: a KMS key or declared SSE-SQS passes (CONTROLS.md ENC-04); nothing declared rests on AWS's
    default SSE-SQS, treated like an S3 bucket without a configuration (ENC-02): it fails unless the
    profile sets accept_platform_default."""
    enc = r["encryption"]
    if not enc.known:
        chk.unknown(f"the queue's encryption is not known: {enc.reason}", enc)
        return chk.verdict("")
    chk.see(enc)
    if enc.value == "aws:kms":
        return chk.verdict("the queue is encrypted with a KMS key")
    if enc.value == "SSE-SQS":
        return chk.verdict("the queue is encrypted with SSE-SQS, as declared (keys owned by Amazon SQS, not a KMS key)")
    if enc.value is None:
        if ctx.params.get("accept_platform_default"):
            holds = r["platform_default"] if r.has("platform_default") else None
            if holds is not None:
                chk.require(holds.truthy(), "AWS's default SSE-SQS does not hold for this queue",
                            "whether AWS's default SSE-SQS holds for this queue is not known", holds)
            return chk.verdict("no encryption is declared; the profile accepts AWS's default SSE-SQS (keys owned "
                               "by Amazon SQS, not a KMS key)")
        chk.fail("neither kms_master_key_id nor sqs_managed_sse_enabled is declared (AWS applies SSE-SQS to new "
                 "queues since October 2022, but the specification requires the encryption to be declared)")
        return chk.verdict("")
    chk.fail("server-side encryption is turned off: the queue is not encrypted at rest")
    return chk.verdict("")


@control("ENC-05", title="KMS keys rotate; key vaults are purge-protected",
         family="ENC", severity="high", soc2=["CC6.1", "CC6.7"], kinds=("kms_key", "key_vault"),
         fields=("rotation_enabled", "purge_protection"),
         requirement="Customer-managed KMS keys rotate automatically; key vaults have purge protection.")
def enc_05(r, ctx):
    chk = Check()
    if r.kind == "key_vault":
        v = r["purge_protection"]
        chk.require(v.truthy(), "purge protection is off: deleted keys and secrets can be purged at once",
                    "whether purge protection is on is not known", v)
        return chk.verdict("purge protection is on")
    if r.has("key_manager") and r["key_manager"].eq("provider").is_true:
        return None  # AWS-managed keys rotate on AWS's schedule; nothing to configure
    spec = r["key_spec"]
    if r.has("key_spec") and spec.known and str(spec.value).upper() != "SYMMETRIC_DEFAULT":
        return None  # KMS rotates only symmetric encryption keys; other key specs cannot rotate
    v = r["rotation_enabled"]
    chk.require(v.truthy(), "automatic key rotation is off", "whether the key rotates is not known", v)
    return chk.verdict("automatic key rotation is on")
