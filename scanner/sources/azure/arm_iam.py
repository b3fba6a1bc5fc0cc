"""IAM-01 live on Azure: custom role definitions; IAM-02's missing Azure column.

Role definitions are not resources of the resource listing or of Resource Graph's ``Resources``
table: each subscription's are listed with one paged GET of
``/subscriptions/S/providers/Microsoft.Authorization/roleDefinitions`` (``$filter=type eq
'CustomRole'``; built-in roles are Microsoft's, not customer-written, and are dropped here too
should a filter not be applied). A custom role is mapped as the Terraform mapper maps
``azurerm_role_definition``: one Allow statement per ``permissions`` entry, its ``actions`` on every
resource (a role grants them wherever it is assigned). CONTROLS.md fails ``*`` among the actions
whatever ``notActions`` take away, so those are not read. A failed listing leaves a placeholder.

The list goes through the session's pipeline (credential, retries, the read-only guard: a GET to
Resource Manager) with a plain request, as ``Session.list_json`` does, because it needs ``$filter``;
azure-mgmt-authorization would add a dependency for this one GET.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ...policy_doc import strings
from ...values import Unknown, Value
from .inventory import Item

if TYPE_CHECKING:
    from ...model import Resource
    from .inventory import Reader

ROLE_DEF = "Microsoft.Authorization/roleDefinitions"
API_VERSION = "2022-04-01"
CUSTOM = "CustomRole"

# CONTROLS.md: IAM-02 has no Azure column; the audit says why, once per run.
IAM_02_AZURE = ("IAM-02 (people who sign in to the console use MFA) is not checked on Azure: multi-factor "
                "authentication is required by Entra ID conditional access policies and security defaults, which "
                "are Microsoft Graph objects outside Resource Manager; a Resource Manager audit cannot see them")


def role_definitions(reader: "Reader", sub: str) -> list:
    """A task for ``inventory.Work``: the subscription's custom role definitions."""
    api = f"GET {ROLE_DEF}"
    try:
        for body in reader.s.list_json(f"/subscriptions/{sub}/providers/{ROLE_DEF}", API_VERSION, sub,
                                       {"$filter": f"type eq '{CUSTOM}'"}):
            if str((body.get("properties") or {}).get("type") or "").lower() == CUSTOM.lower():
                reader.inv.add(Item(ROLE_DEF, body, sub, api))
    except Exception as e:
        f = reader.inv.fail(sub, api, e, " (list)")
        with reader.inv.lock:
            reader.inv.unlisted.append((f"/subscriptions/{sub}/providers/{ROLE_DEF}", sub, ROLE_DEF, f))
    return []


def role_definition(item: Item, p, r: "Resource") -> None:
    """arm_map mapper of a custom role (``p``: arm_map.Props of its body)."""
    role_name = p.raw("properties.roleName")
    if isinstance(role_name, str) and role_name:
        r.name = role_name   # the role's name, as azurerm_role_definition.name; the resource name is a GUID
    perms = p.raw("properties.permissions")
    if isinstance(perms, Unknown):
        r.set("statements", Unknown(perms.reason, p.origin("properties.permissions")))
        return
    if not isinstance(perms, list):
        r.set("statements", Unknown(f"properties.permissions was not returned by {p.api}",
                                    p.origin("properties.permissions")))
        return
    out = []
    for perm in perms:
        actions = strings(perm.get("actions") if isinstance(perm, dict) else None)
        out.append({"effect": "Allow", "sid": None, "actions": [] if actions is None else actions, "not_actions": None,
                    "resources": ["*"], "not_resources": None})
    r.set("statements", Value(out, p.origin("properties.permissions")))
