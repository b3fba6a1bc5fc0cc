"""ENC: encryption at rest with KMS (seed 003 §4.3; seed 002 Security; seed 004 KMS; seed 001 AES-256)."""
from __future__ import annotations

from scanner.controls import Check, control


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
