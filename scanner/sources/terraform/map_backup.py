"""AWS Backup plans, selections and cross-region copies of automated backups (BAK-02, BAK-04)."""
from __future__ import annotations

from typing import Any

from ...model import Resource
from ...values import Unknown, Value, holds_unknown
from .normalize import maps, ref_keys
from .tfmodel import TfProject, TfResource
from .map_data import _arn_region, _blocks, provider_region


# ------------------------------------------------------------------ AWS Backup
def _copy_region(holder: TfResource, path: str, project: TfProject | None) -> Any:
    """The region of a copy_action destination: from the ARN, or from the referenced vault's provider."""
    raw = holder.raw(path)
    region = _arn_region(raw)
    if region:
        return region
    for addr in holder.refs(path) or []:
        vault = next((x for x in (project.resources if project else []) if x.address == addr), None)
        if vault is not None:
            reg = provider_region(vault)
            if reg.known:
                return reg.value
            return Unknown(f"the region of {addr}: {reg.reason}", holder.origin(path))
    if isinstance(raw, Unknown):
        return Unknown(f"the destination vault is {raw.reason}", holder.origin(path))
    return Unknown("the destination vault's region cannot be read", holder.origin(path))


@maps("aws_backup_plan", kind="backup_plan")
def backup_plan(tf: TfResource, r: Resource) -> None:
    r.set("region", provider_region(tf))
    rules = _blocks(tf, "rule")
    cfg = tf.project.config_blocks(tf, "rule") if tf.project is not None else None
    # Where each rule is read from: the planned value, or the block as written in configuration.
    # A plan shows a set of blocks with any unknown member as wholly unknown, and `rule` is a set,
    # so its planned order is not the written order: configuration blocks pair up by rule_name.
    holders: list[tuple[TfResource, str]] = []
    if isinstance(rules, Unknown):
        if not cfg:
            r.set("rules", rules)
            return
        holders = [(c, "") for c in cfg]
    else:
        for i, rule in enumerate(rules):
            holder = (tf, f"rule.{i}.")
            if cfg and holds_unknown(rule) and isinstance(rule, dict):
                named = [c for c in cfg if c.raw("rule_name") == rule.get("rule_name")]
                if len(named) == 1 or len(cfg) == 1:
                    holder = ((named or cfg)[0], "")
            holders.append(holder)
    out = []
    for holder, p in holders:
        life = holder.raw(f"{p}lifecycle")
        if isinstance(life, Unknown):
            retention = Unknown(life.reason, holder.origin(f"{p}lifecycle"))
        elif isinstance(life, list) and life:
            d = holder.raw(f"{p}lifecycle.0.delete_after")
            retention = (Unknown(d.reason, holder.origin(f"{p}lifecycle.0.delete_after")) if isinstance(d, Unknown)
                         else d if isinstance(d, int) else None)
        else:
            retention = None  # no lifecycle: recovery points are kept until deleted by hand
        copies = []
        actions = holder.raw(f"{p}copy_action")
        if isinstance(actions, Unknown):
            copies.append(Unknown(actions.reason, holder.origin(f"{p}copy_action")))
        elif isinstance(actions, list):
            for j in range(len(actions)):
                copies.append(_copy_region(holder, f"{p}copy_action.{j}.destination_vault_arn", tf.project))
        name = holder.raw(f"{p}rule_name")
        out.append({"name": name if isinstance(name, str) else None, "retention_days": retention,
                    "copy_regions": copies})
    r.set("rules", Value(out, tf.origin("rule")))




_CONDITION_OPS = {"string_equals": "equals", "string_like": "like", "string_not_equals": "not_equals",
                  "string_not_like": "not_like"}


@maps("aws_backup_selection", kind="backup_selection")
def backup_selection(tf: TfResource, r: Resource) -> None:
    r.set("plan", ref_keys(tf, "plan_id"))
    r.set("resources", ref_keys(tf, "resources"))
    r.set("not_resources", ref_keys(tf, "not_resources"))
    tags = _blocks(tf, "selection_tag")
    if isinstance(tags, Unknown):
        r.set("tag_conditions", tags)
    else:
        r.set("tag_conditions", Value([{"key": t.get("key"), "value": t.get("value")}
                                       for t in tags if isinstance(t, dict)], tf.origin("selection_tag")))
    conds = _blocks(tf, "condition")
    if isinstance(conds, Unknown):
        r.set("conditions", conds)
        return
    out = []
    for c in conds:
        if not isinstance(c, dict):
            continue
        for op_name, op in _CONDITION_OPS.items():
            for e in c.get(op_name) or []:
                if isinstance(e, dict):
                    key = e.get("key")
                    if isinstance(key, str) and key.startswith("aws:ResourceTag/"):
                        key = key[len("aws:ResourceTag/"):]
                    out.append({"op": op, "key": key, "value": e.get("value")})
    r.set("conditions", Value(out, tf.origin("condition")))


@maps("aws_db_instance_automated_backups_replication", kind="backup_replication")
def backup_replication(tf: TfResource, r: Resource) -> None:
    r.set("source", ref_keys(tf, "source_db_instance_arn"))
    r.set("region", provider_region(tf))
