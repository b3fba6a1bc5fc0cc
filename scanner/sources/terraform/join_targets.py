"""Joins of "attached" resources (WAF associations, flow logs) onto their targets.

``joins.related`` finds the attachments that certainly name a target. What might name it is
narrower here than ``joins.related_unknown``: an attachment whose attribute certainly references
another managed resource (an association with the API stage) cannot be this load balancer's, so it
does not make every load balancer unknown. One whose attribute is known only after apply and
references no managed resource (a data source, a variable, a remote state output) might name any
target, unless the data source it reads is of a type that cannot be this target.
"""
from __future__ import annotations

import re
from typing import Iterable

from ...values import Origin, Unknown, Value
from .joins import Pending, related, related_unknown
from .normalize import _address_map
from .tfmodel import MISSING, Refs, TfResource

_DATA = re.compile(r"(?:^|\.)data\.([a-z0-9_]+)\.")


def attached(tf: TfResource, types: Iterable[str], attr: str, data_types: Iterable[str] = ()) -> tuple[list, Pending]:
    """(certain, possible) resources of ``types`` that name ``tf`` through ``attr``.

    ``data_types``: the data-source types whose reads may be ``tf`` (data.aws_lb for a load
    balancer); a reference to a data source of another type does not make ``tf`` possible.
    """
    types = tuple(types)
    certain, keep, whys = [], [], []
    for o in related(tf, types, attr):
        # a single target attribute that references several resources of the target's type
        # (lookup({a = x.id, b = y.id}, key), a conditional) names one of them: possible for each
        same = sorted({a for a in (o.refs(attr) or []) if _type_of(a) == tf.type})
        if len(same) > 1:
            keep.append(o)
            whys.append(f"{o.address} names one of {', '.join(same)} ({attr}), and which one is not known")
        else:
            certain.append(o)
    pending = related_unknown(tf, types, attr)
    base = tf.address.split("[")[0]
    project = tf.project
    addrs = _address_map(project) if project is not None else {}
    data_types = set(data_types)
    for o in pending:
        if any(o is k for k in keep):
            continue
        refs = o.refs(attr) or []
        names_tf = any(a == tf.address or a.split("[")[0] == base for a in refs)
        if not names_tf:
            possible = refs.possible if isinstance(refs, Refs) else {}
            managed = [a for a in refs if a not in possible and not _DATA.search(a)
                       and (a in addrs and addrs[a].mode == "managed")]
            if managed:
                continue   # it names another managed resource: not this one
            data = {m.group(1) for a in refs for m in [_DATA.search(a)] if m}
            if data and not (data & data_types):
                continue   # it reads a data source that cannot be this target
        keep.append(o)
        whys.append(f"{o.address} names its target only after apply ({attr} is not known)"
                    if not names_tf else (pending.why or f"{o.address} may name it"))
    return certain, Pending(keep, whys[0] if whys else "")


_TYPE = re.compile(r"(?:^|\.)([a-z0-9_]+)\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?$")


def _type_of(address: str) -> str | None:
    if _DATA.search(address):
        return None
    m = _TYPE.search(address)
    return m.group(1) if m else None


def unknown_from(pending: Pending, tf: TfResource, what: str) -> Unknown:
    return Unknown(f"{what}: {pending.why}", tf.origin(pending[0].address if pending else what))


def none_found(tf: TfResource, what: str) -> Value:
    """A known "nothing attached", with evidence saying what was looked for."""
    return Value(None, Origin(tf.source, f"{what} (none in this configuration)", tf.file, tf.line))


def found(o: TfResource, path: str, value) -> Value:
    return Value(value, Origin(o.source, f"{o.address}.{path}", o.file, o.attr_lines.get(path.split(".")[0], o.line)))


def reference(o: TfResource, attr: str):
    """What an attribute names: its first referenced address, else its literal value, else None."""
    refs = o.refs(attr) or []
    if refs:
        return refs[0]
    raw = o.raw(attr)
    if isinstance(raw, str) and raw:
        return raw
    return None


def managed_target(o: TfResource, attr: str, types: Iterable[str]) -> TfResource | None | Unknown:
    """The managed resource of ``types`` that ``attr`` certainly names; None when it names none
    of this configuration; Unknown when which one is not settled."""
    refs = o.refs(attr) or []
    doubt = refs.doubt() if isinstance(refs, Refs) else None
    if doubt:
        return Unknown(f"which resource {attr} names is not settled: {doubt}", o.origin(attr))
    addrs = _address_map(o.project) if o.project is not None else {}
    types = set(types)
    for a in refs:
        t = addrs.get(a)
        if t is not None and t.mode == "managed" and t.type in types:
            if t.existence:
                return Unknown(f"{a} may not be created ({t.existence})", o.origin(attr))
            return t
    return None


def is_missing(raw) -> bool:
    return raw is MISSING or raw is None or raw == "" or raw == []
