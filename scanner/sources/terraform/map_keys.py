"""Keys and key vaults: KMS keys and Azure Key Vaults."""
from __future__ import annotations

from ...model import Resource
from ...values import Value
from .normalize import maps
from .tfmodel import MISSING, TfResource
from .map_data import _add_keys, _set, setting


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
