"""Keys and key vaults: KMS keys and Azure Key Vaults."""
from __future__ import annotations

from ...model import Resource
from ...values import Value
from .normalize import _address_map, maps
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


# ------------------------------------------------------------------ keys a value may name
CUSTOMER_KEY_TYPES = ("aws_kms_key", "aws_kms_replica_key", "aws_kms_external_key", "aws_kms_replica_external_key",
                      "aws_kms_alias")


def every_choice_customer(project, refs, depth: int = 0) -> list[str] | None:
    """The customer-managed keys (``aws_kms_key``/alias of this configuration, certainly created) that
    each expression a value may be (``refs.choices``: element([k1.arn, k2.arn], i), a conditional)
    certainly names; None when some choice names no such key for certain."""
    choices = getattr(refs, "choices", None)
    if not choices or project is None or depth > 8:
        return None
    by_addr = _address_map(project)
    named: list[str] = []
    for c in choices:
        if c.possible:
            sub = every_choice_customer(project, c, depth + 1)
            if sub is None:
                return None
            named += sub
            continue
        hit = next((a for a in c if (t := by_addr.get(a)) is not None and t.mode == "managed"
                    and t.type in CUSTOMER_KEY_TYPES and not t.existence), None)
        if hit is None:
            return None
        named.append(hit)
    return list(dict.fromkeys(named))
