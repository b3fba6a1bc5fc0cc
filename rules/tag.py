"""TAG: tagging (seed 003 §7.3).

Reads the `tags` field (effective tags: in plans tags_all, or provider
default_tags merged with the resource's own tags).  The key "*" mapped to an
Unknown means other tags may exist that could not be resolved (default_tags
set from a reference): a required tag missing from what is known is then
unknown, not a fail.  Azure tag names are case-insensitive; AWS's are not.
"""
from __future__ import annotations

from scanner.controls import Check, Verdict, control
from scanner.model import KINDS
from scanner.values import Unknown


@control("TAG-01", title="Resources carry the required tags",
         family="TAG", severity="low", soc2=["CC6.1", "CC3.2"], kinds=KINDS, fields=("tags",),
         params={"required_tags": ["Environment", "Project", "CostCenter", "Owner"],
                 "environment_values": ["prod", "staging", "dev"],
                 "count_resource_group_tags": False},
         requirement="Every taggable resource carries Environment, Project, CostCenter and Owner, non-empty; "
                     "Environment is one of prod, staging, dev.")
def tag_01(r, ctx):
    tags = r["tags"]
    sets = getattr(tags, "candidates", None) if not tags.known else None
    if sets and all(isinstance(s, dict) for s in sets):
        return _one_of(r, ctx, tags, sets)
    if not tags.known:
        chk = Check()
        chk.unknown(f"the tags are not known: {tags.reason}", tags)
        return chk.verdict("")
    return _judge(r, ctx, tags.value)


def _one_of(r, ctx, tags, sets):
    """Tags that are one of several sets (provider_versions.AnyOf): decided when every set gets the
    same verdict (the required tags missing with or without the conditional's tags)."""
    verdicts = [_judge(r, ctx, s) for s in sets]
    statuses = {v.status for v in verdicts}
    if statuses == {"fail"}:
        messages = list(dict.fromkeys(v.message for v in verdicts))
        message = messages[0] if len(messages) == 1 else "whichever tags it gets: " + "; or ".join(messages)
        return Verdict("fail", message, {"tags (one of)": [v.evidence.get("tags") for v in verdicts]},
                       verdicts[0].file, verdicts[0].line)
    if statuses == {"pass"}:
        return Verdict("pass", verdicts[0].message, {"tags (one of)": [v.evidence.get("tags") for v in verdicts]},
                       verdicts[0].file, verdicts[0].line)
    chk = Check()
    chk.unknown(f"the tags are not known: {tags.reason}")
    return chk.verdict("")


def _judge(r, ctx, tags: dict | None):
    chk = Check()
    own = dict(tags or {})
    star = own.pop("*", None)
    inherited = {}
    if ctx["count_resource_group_tags"] and r.has("inherited_tags"):
        ih = r["inherited_tags"]
        if ih.known:
            inherited = dict(ih.value or {})
        else:
            star = star or ih
    chk.note("tags", own)   # note() copies it (plain)
    if inherited:
        chk.note("resource_group_tags", inherited)
    required = ctx["required_tags"]
    provider = r.provider
    for key in required:
        v = _lookup(own, key, provider)
        if v is None and inherited:
            v = _lookup(inherited, key, provider)
        if v is None:
            if isinstance(star, Unknown):
                chk.unknown(f"tag {key} is not set on the resource, and whether it comes from elsewhere is not "
                            f"known ({star.reason})")
            else:
                chk.fail(f"required tag {key} is missing")
            continue
        if isinstance(v, Unknown):
            chk.unknown(f"tag {key} is {v.reason}")
            continue
        if not str(v).strip():
            chk.fail(f"required tag {key} is empty")
            continue
        if key.lower() == "environment":
            allowed = ctx["environment_values"]
            # tag values are case-sensitive on AWS and Azure: cost reports and policies keyed on
            # Environment=prod do not match "Prod" (Value.is_in(..., ignore_case=False), without
            # a Value: its origin is no part of the finding)
            if v not in set(allowed):
                chk.fail(f"Environment is {v!r}, not one of {', '.join(allowed)} (tag values are case-sensitive)")
    if chk.fails or chk.unknowns:
        return chk.verdict("")
    return chk.verdict(f"tags {', '.join(required)} are set and Environment is allowed")


def _lookup(tags: dict, key: str, provider: str):
    if key in tags:
        return tags[key]
    if provider == "azure":
        for k, v in tags.items():
            if str(k).lower() == key.lower():
                return v
    return None
