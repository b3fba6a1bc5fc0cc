"""MSG-01 and SEC-02 live on Azure: Service Bus queues and topic subscriptions, Key Vault secrets and keys.

None of them is in the resource listing or Resource Graph's ``Resources`` table: they are read under
their parents, found among the other resources (Service Bus namespaces) or the vault listing, with plain
paged GETs through the session's pipeline (``Session.list_json``: credential, retries, the read-only
guard), as Front Door's children are; azure-mgmt-servicebus would add a dependency for three GETs.

Key Vault is read through the management plane only (``Microsoft.KeyVault/vaults/{v}/secrets`` and
``/keys``): a secret's ``properties.attributes`` (``exp``: seconds since the epoch) and a key's
``properties.rotationPolicy``; the data plane, which holds secret values, is never called.
A failed listing leaves a placeholder (every field unknown) for what it would have shown.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ...values import Origin, Unknown, Value
from ..rotation import iso_days

if TYPE_CHECKING:   # inventory imports this module: its names are read when called
    from ...model import Resource
    from .inventory import Item, Reader

NAMESPACE = "microsoft.servicebus/namespaces"
QUEUE = "Microsoft.ServiceBus/namespaces/queues"
TOPIC = "Microsoft.ServiceBus/namespaces/topics"
SUBSCRIPTION = "Microsoft.ServiceBus/namespaces/topics/subscriptions"
VAULT = "Microsoft.KeyVault/vaults"
SECRET = "Microsoft.KeyVault/vaults/secrets"
KEY = "Microsoft.KeyVault/vaults/keys"
SERVICEBUS_API = "2021-11-01"
KEYVAULT_API = "2023-07-01"
SOURCE = "azure"

# arm type -> (kind, Terraform type, fields) -- registered in arm_map
TYPES = {
    QUEUE: ("data_store", "azurerm_servicebus_queue", ("dead_letter",)),
    SUBSCRIPTION: ("subscription", "azurerm_servicebus_subscription", ("dead_letter",)),
    SECRET: ("secret", "azurerm_key_vault_secret", ("expires",)),
    KEY: ("kms_key", "azurerm_key_vault_key", ("rotation_days",)),
}
UNTAGGED = {QUEUE, SUBSCRIPTION}   # Service Bus entities are proxy resources: no tags, as in Terraform


# ----------------------------------------------------------------------------- reading
def namespace_tasks(reader: "Reader", generic: list[tuple[dict, str, str]]) -> list:
    """A queue and topic listing under every Service Bus namespace among the other resources."""
    return [(list_namespace, (reader, body, sub)) for body, sub, _api in generic
            if str(body.get("type") or "").lower() == NAMESPACE and body.get("id")]


def vault_tasks(reader: "Reader", item: Item) -> list:
    return [(list_vault, (reader, item))]


def unlisted_with_generic(reader: "Reader", sub: str, failure) -> None:
    """The resource listing failed: the namespaces, so their queues and subscriptions, are unseen too."""
    reader.inv.unlisted.append((f"/subscriptions/{sub}/providers/{QUEUE}", sub, QUEUE, failure))
    reader.inv.unlisted.append((f"/subscriptions/{sub}/providers/{SUBSCRIPTION}", sub, SUBSCRIPTION, failure))


def _children(reader: "Reader", parent_id: str, collection: str, arm_type: str, api_version: str, sub: str,
              unseen: tuple[str, str] | None = None):
    """Every child of one collection as Items, or None when the listing failed: a placeholder stands in for
    what it would have shown (``unseen``: its scope and type, when that is not the collection's own)."""
    from .inventory import Item

    api = f"GET {arm_type}"
    try:
        return [Item(arm_type, body, sub, api)
                for body in reader.s.list_json(f"{parent_id}/{collection}", api_version, sub)]
    except Exception as e:
        f = reader.inv.fail(sub, api, e, f" (list) of {parent_id}")
        with reader.inv.lock:
            scope, what = unseen or (f"{parent_id}/{collection}", arm_type)
            reader.inv.unlisted.append((scope, sub, what, f))
        return None


def list_namespace(reader: "Reader", ns: dict, sub: str) -> list:
    for item in _children(reader, ns["id"], "queues", QUEUE, SERVICEBUS_API, sub) or ():
        reader.inv.add(item)
    # topics are not checked themselves: unlisted, their subscriptions are what is unseen
    topics = _children(reader, ns["id"], "topics", TOPIC, SERVICEBUS_API, sub,
                       unseen=(f"{ns['id']}/topics/*/subscriptions", SUBSCRIPTION))
    for topic in topics or ():
        for item in _children(reader, topic.body["id"], "subscriptions", SUBSCRIPTION, SERVICEBUS_API, sub) or ():
            reader.inv.add(item)
    return []


def list_vault(reader: "Reader", vault: Item) -> list:
    for collection, arm_type in (("secrets", SECRET), ("keys", KEY)):
        for item in _children(reader, vault.body["id"], collection, arm_type, KEYVAULT_API, vault.subscription) or ():
            reader.inv.add(item)
    return []


# ----------------------------------------------------------------------------- mapping
def dead_lettering(item: Item, p, r: "Resource") -> None:
    """Service Bus queue or subscription: expired messages go to its dead-letter sub-queue."""
    r.set("dead_letter", p.value("properties.deadLetteringOnMessageExpiration", lambda v: v is True or
                                 str(v).lower() == "true", missing=False, missing_note="default false"))


def secret_expiry(item: Item, p, r: "Resource") -> None:
    """A Key Vault secret's expiry (``attributes.exp``, epoch seconds) as an RFC 3339 time; None: never."""
    v = p.value("properties.attributes.exp", missing=None, missing_note="no expiry: the secret never expires")
    if v.known and v.value is not None:
        try:
            when = datetime.fromtimestamp(int(v.value), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        except (TypeError, ValueError, OverflowError, OSError):
            v = Unknown(f"attributes.exp {v.value!r} is not a time", v.origin)
        else:
            v = Value(when, v.origin)
    r.set("expires", v)


def key_rotation(item: Item, p, r: "Resource") -> None:
    r.set("rotation_days", rotation_days(p.raw("properties.rotationPolicy"), p.origin("properties.rotationPolicy")))


def rotation_days(policy: Any, origin: Origin) -> Value:
    """How often a key's rotation policy rotates it: ``timeAfterCreate`` of its rotate action, or
    ``expiryTime - timeBeforeExpiry``; None when no action rotates it (a notify action does not)."""
    if not isinstance(policy, dict):
        return Value(None, Origin(origin.source, f"{origin.path} (none: the key is not rotated)", api=origin.api))
    expiry = (policy.get("attributes") or {}).get("expiryTime")
    for action in policy.get("lifetimeActions") or []:
        if str(((action or {}).get("action") or {}).get("type") or "").lower() != "rotate":
            continue
        trigger = action.get("trigger") or {}
        after, before = trigger.get("timeAfterCreate"), trigger.get("timeBeforeExpiry")
        if after:
            got = iso_days(after)
            where = Origin(origin.source, f"{origin.path}.lifetimeActions.trigger.timeAfterCreate = {after}",
                           api=origin.api)
            return Unknown(got, where) if isinstance(got, str) else Value(got, where)
        if before and expiry:
            b, e = iso_days(before), iso_days(expiry)
            where = Origin(origin.source, f"{origin.path} (expiryTime = {expiry}, timeBeforeExpiry = {before})",
                           api=origin.api)
            if isinstance(b, str) or isinstance(e, str):
                return Unknown(b if isinstance(b, str) else e, where)
            return Value(max(e - b, 0), where)
        return Unknown("the rotate action's trigger sets no time the key's rotation can be read from", origin)
    return Value(None, Origin(origin.source, f"{origin.path} (no rotate action: the key is not rotated)",
                              api=origin.api))
