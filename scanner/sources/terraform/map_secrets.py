"""SEC-02 in Terraform: how often secrets and Key Vault keys rotate, when Key Vault secrets expire.

A Secrets Manager secret rotates through a separate ``aws_secretsmanager_secret_rotation`` that names it in
``secret_id`` (joined by reference, joins.py); one that may name it but cannot be shown to makes the interval
unknown. AWS provider 3.x also accepted ``rotation_rules`` on the secret itself. A Key Vault key rotates by its
``rotation_policy.automatic`` block: ``time_after_creation``, or ``time_before_expiry`` before ``expire_after``
(the key is then replaced that long after creation). A Key Vault secret has no rotation of its own: its
``expiration_date`` is what SEC-02 reads.
"""
from __future__ import annotations

from ...model import Resource
from ...values import Origin, Unknown, Value
from ..rotation import iso_days, schedule_days
from .joins import related, related_unknown
from .map_data import _blocks, setting
from .normalize import adds, managed_of_types, maps
from .tfmodel import MISSING, TfResource

_ROTATION = "aws_secretsmanager_secret_rotation"


def _rules_days(tf: TfResource, path: str) -> Value:
    """The interval of a ``rotation_rules`` block of ``tf`` (a rotation resource, or a v3 secret)."""
    blocks = _blocks(tf, path)
    o = tf.origin(path)
    if isinstance(blocks, Unknown):
        return Unknown(f"{tf.address}.{path} is {blocks.reason}", o)
    if not blocks:
        return Value(None, Origin(o.source, f"{tf.address}.{path} (none: no rotation schedule)", o.file, o.line))
    b = blocks[0]
    if isinstance(b, Unknown):
        return Unknown(f"{tf.address}.{path} is {b.reason}", o)
    days = b.get("automatically_after_days", MISSING)
    expr = b.get("schedule_expression", MISSING)
    for name, raw in (("automatically_after_days", days), ("schedule_expression", expr)):
        if isinstance(raw, Unknown):
            return Unknown(f"{tf.address}.{path}.{name} is {raw.reason}", o)
    if isinstance(days, (int, float)) and not isinstance(days, bool) and days > 0:
        return Value(int(days), Origin(o.source, f"{tf.address}.{path}.automatically_after_days", o.file, o.line))
    if isinstance(expr, str) and expr:
        got = schedule_days(expr)
        where = Origin(o.source, f"{tf.address}.{path}.schedule_expression = {expr}", o.file, o.line)
        return Unknown(got, where) if isinstance(got, str) else Value(got, where)
    return Unknown(f"{tf.address}.{path} sets neither automatically_after_days nor schedule_expression", o)


@adds("aws_secretsmanager_secret")
def secret_rotation(tf: TfResource, r: Resource) -> None:
    for rot in related(tf, (_ROTATION,), "secret_id"):
        r.set("rotation_days", _rules_days(rot, "rotation_rules"))
        return
    legacy = tf.raw("rotation_rules")
    if legacy not in (MISSING, None, []) and not (isinstance(legacy, Unknown) and
                                                  tf.project is not None and tf.project.declares(tf, "rotation_rules")
                                                  is False):
        r.set("rotation_days", _rules_days(tf, "rotation_rules"))
        return
    # related_unknown reads every secret's address on each call: asked only when a rotation exists at all
    pending = related_unknown(tf, (_ROTATION,), "secret_id") if tf.project is not None and \
        managed_of_types(tf.project, (_ROTATION,)) else None
    if pending:
        r.set("rotation_days", Unknown(f"a rotation may name this secret: {pending.why}", tf.origin(_ROTATION)))
        return
    r.set("rotation_days", Value(None, Origin(tf.source, f"{_ROTATION} (none names this secret)", tf.file, tf.line)))


@maps("azurerm_key_vault_secret", kind="secret")
def key_vault_secret(tf: TfResource, r: Resource) -> None:
    v = setting(tf, "expiration_date", None, "the secret never expires")
    r.set("expires", v if v is not None else Value(None, tf.origin("expiration_date")))


@maps("azurerm_key_vault_key", kind="kms_key")
def key_vault_key(tf: TfResource, r: Resource) -> None:
    r.set("rotation_days", _key_rotation(tf))


def _key_rotation(tf: TfResource) -> Value:
    policy = _blocks(tf, "rotation_policy")
    o = tf.origin("rotation_policy")
    if isinstance(policy, Unknown):
        return Unknown(f"rotation_policy is {policy.reason}", o)
    if not policy:
        return Value(None, Origin(o.source, "rotation_policy (none: the key is not rotated)", o.file, o.line))
    p = policy[0]
    if isinstance(p, Unknown):
        return Unknown(f"rotation_policy is {p.reason}", o)
    auto = p.get("automatic", MISSING)
    if isinstance(auto, Unknown):
        return Unknown(f"rotation_policy.automatic is {auto.reason}", o)
    if isinstance(auto, list):
        auto = auto[0] if auto else MISSING
    if not isinstance(auto, dict):
        return Value(None, Origin(o.source, "rotation_policy (no automatic block: the key is not rotated)",
                                  o.file, o.line))
    after, before, expire = (auto.get("time_after_creation"), auto.get("time_before_expiry"), p.get("expire_after"))
    for name, raw in (("automatic.time_after_creation", after), ("automatic.time_before_expiry", before),
                      ("expire_after", expire)):
        if isinstance(raw, Unknown):
            return Unknown(f"rotation_policy.{name} is {raw.reason}", o)
    if isinstance(after, str) and after:
        got = iso_days(after)
        where = Origin(o.source, f"rotation_policy.automatic.time_after_creation = {after}", o.file, o.line)
        return Unknown(got, where) if isinstance(got, str) else Value(got, where)
    if isinstance(before, str) and before and isinstance(expire, str) and expire:
        b, e = iso_days(before), iso_days(expire)
        where = Origin(o.source, f"rotation_policy (expire_after = {expire}, automatic.time_before_expiry = {before})",
                       o.file, o.line)
        if isinstance(b, str) or isinstance(e, str):
            return Unknown(b if isinstance(b, str) else e, where)
        return Value(max(e - b, 0), where)
    if isinstance(before, str) and before:
        return Unknown("rotation_policy.automatic.time_before_expiry is set without expire_after: when the key "
                       "expires, and so when it rotates, is not known", o)
    return Value(None, Origin(o.source, "rotation_policy.automatic (no time set: the key is not rotated)",
                              o.file, o.line))
