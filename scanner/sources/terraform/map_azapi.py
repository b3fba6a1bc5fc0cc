"""`azapi_resource`: an ARM resource written as its REST body (Azure Verified Modules use it).

The body is what the live audit reads back from Resource Manager, so the live ARM mapper
(`scanner.sources.azure.arm_map`) fills the model from it: one mapping of ARM properties, the
same kinds, types and verdicts as an `azurerm_*` resource or a live audit. Evidence keeps the
.tf file and line and names the body's property (`body.properties.minimumTlsVersion`). A body
or type that is not known yet leaves the resource's fields unknown; a type the catalogue does not
cover is only checked for tags.
"""
from __future__ import annotations

import json
from typing import Any

from ...model import Resource
from ...values import Origin, Unknown, Value
from .normalize import maps
from .tfmodel import MISSING, TfResource

_API = "the azapi_resource body"
_NOT_SET = f" was not returned by {_API}"


@maps("azapi_resource", kind="generic")
def azapi_resource(tf: TfResource, r: Resource) -> None:
    from ..azure import arm_map
    from ..azure.inventory import Item

    arm_type = _arm_type(tf.raw("type"))
    covered = {t.lower(): t for t in arm_map.MAPPERS}.get((arm_type or "").lower())
    if covered is None:
        return   # not a type the catalogue covers (or not known): tags only, as any other resource
    kind, tf_type = arm_map.TF_TYPES[covered]
    r.kind, r.type = kind, tf_type
    if covered in arm_map.UNTAGGED:
        r.fields.pop("tags", None)   # ARM keeps no tags on it (a role definition): TAG-01 does not apply, as live
    elif not r.has("tags"):
        r.set("tags", Value({}, Origin(tf.source, "tags (unset: no tags)", tf.file, tf.line)))
    body = _body(tf.raw("body"))
    fields = arm_map.FIELDS.get(covered, ())
    if isinstance(body, Unknown):
        for f in fields:
            r.set(f, Unknown(f"the body is not known: {body.reason}", tf.origin("body")))
        return
    name = tf.raw("name")
    body = dict(body, id=tf.address, type=covered, name=name if isinstance(name, str) else tf.name)
    scratch = Resource(kind=kind, type=tf_type, address=tf.address, provider="azure", source=arm_map.SOURCE)
    try:
        arm_map.MAPPERS[covered](Item(covered, body, "", _API), arm_map.Props(body, _API), scratch)
    except (TypeError, AttributeError, KeyError, ValueError) as e:
        for f in fields:
            r.set(f, Unknown(f"the body has a value of an unexpected shape ({e.__class__.__name__})",
                             tf.origin("body")))
        return
    for f, v in scratch.fields.items():
        if f in ("tags", "inherited_tags"):
            continue
        r.set(f, _from_body(tf, v))


def _arm_type(raw: Any) -> str | None:
    """Microsoft.Storage/storageAccounts@2023-01-01 -> Microsoft.Storage/storageAccounts."""
    return raw.split("@", 1)[0].strip() if isinstance(raw, str) else None


def _body(raw: Any) -> dict | Unknown:
    """azapi 2.x takes an object; 1.x a JSON string (jsonencode)."""
    if isinstance(raw, Unknown):
        return raw
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return Unknown("the body is not JSON")
    if raw is MISSING or raw is None:
        return {}
    if not isinstance(raw, dict):
        return Unknown("the body is not an object")
    return raw   # parts not known yet stay Unknown: arm_map.Props reads them as Unknown


def _from_body(tf: TfResource, v: Value) -> Value:
    """The ARM mapper's value with a source origin: the .tf file and line, the body's property."""
    o = v.origin
    path = f"body.{o.path}".replace(_NOT_SET, " is not set in the body")
    origin = Origin(tf.source, path, tf.file, tf.attr_lines.get("body", tf.line))
    if isinstance(v, Unknown):
        return Unknown(v.reason.replace(_NOT_SET, " is not set in the body"), origin)
    return Value(v.value, origin)
