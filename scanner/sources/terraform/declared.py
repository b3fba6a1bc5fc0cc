"""Where a Terraform configuration says it deploys: the regions and subscriptions it names.

An auditor reading a report of a plan or a .tf tree wants its scope as a live audit has one.
Only what the configuration states as a constant counts: the AWS provider's ``region`` (or a
resource's own ``region``, AWS provider 6), an azurerm resource's ``location`` and the azurerm
provider's ``subscription_id``.  A value that comes from an expression the scanner cannot
resolve, or a region left to the environment (AWS_REGION), is not listed: the list is what
the configuration declares, not a guess.
"""
from __future__ import annotations

from typing import Any

from ...values import Unknown
from .tfmodel import MISSING, TfProject, TfResource


def declared_scope(project: TfProject) -> dict[str, list[str]]:
    regions: list[str] = []
    subscriptions: list[str] = []
    # a plan's provider setting depends only on the provider key: asked once per key, not once
    # per resource (ten thousand lookups through the configuration on a large plan)
    settings: dict[tuple, Any] = {}

    def setting(res: TfResource, name: str) -> Any:
        if getattr(res, "provider_entry", None) is not None:   # .tf source: evaluated per module instance
            return _provider_setting(project, res, name)
        key = (res.provider_key, res.type.split("_", 1)[0], name)
        if key not in settings:
            settings[key] = _provider_setting(project, res, name)
        return settings[key]

    for res in project.managed():
        cloud = res.type.split("_", 1)[0]
        if cloud == "azurerm":
            _add(regions, res.raw("location"))
            _add(subscriptions, setting(res, "subscription_id"))
        elif cloud == "aws":
            own = res.raw("region")
            _add(regions, own if _text(own) else setting(res, "region"))
    return {k: sorted(v) for k, v in (("regions", regions), ("subscriptions", subscriptions)) if v}


def _provider_setting(project: TfProject, res: TfResource, name: str) -> Any:
    entry = getattr(res, "provider_entry", None)          # .tf source: (block, file, module instance)
    if entry is not None:
        block, _, owner = entry
        attr = block.attrs().get(name)
        return project.attr_value(attr, owner.scope, annotate=False) if attr is not None else None
    config = getattr(project, "config", None)              # plan: configuration.provider_config
    if not isinstance(config, dict):
        return None
    pc = config.get("provider_config") or {}
    key = res.provider_key or res.type.split("_", 1)[0]
    entry = pc.get(key) if isinstance(pc, dict) else None
    if entry is None and ":" in key:
        entry = pc.get(key.split(":", 1)[1])
    expr = ((entry or {}).get("expressions") or {}).get(name) if isinstance(entry, dict) else None
    return expr.get("constant_value") if isinstance(expr, dict) else None


def _text(v: Any) -> bool:
    return isinstance(v, str) and bool(v.strip()) and v is not MISSING and not isinstance(v, Unknown)


def _add(out: list[str], v: Any) -> None:
    if _text(v) and v not in out:
        out.append(v)
