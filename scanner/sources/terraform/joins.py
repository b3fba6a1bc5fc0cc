"""Joins of split resources onto their parents (S3 encryption and versioning, server
configurations, TDE protectors, customer-managed keys): which resources of a project
point at a parent through one attribute.

A join follows the reference written in configuration; a literal name or id is matched
only where the attribute references nothing.
"""
from __future__ import annotations

import re
from typing import Iterable

from ...values import Unknown
from . import provider_types
from .normalize import managed_of_types
from .tfmodel import Refs, TfProject, TfResource


class Pending(list):
    """Resources that may configure a parent but cannot be shown to: ``why`` says why (the first's reason)."""

    def __init__(self, items=(), why: str = ""):
        super().__init__(items)
        self.why = why


def related(tf: TfResource, types: Iterable[str], attr: str) -> list[TfResource]:
    """Managed resources of ``types`` that certainly configure ``tf`` through ``attr``.

    The join follows the reference written in configuration. A literal name or id is matched only
    where the attribute references nothing, and only when no other resource of ``tf``'s type has
    that identity. With count/for_each on both sides a reference like
    ``aws_s3_bucket.b[count.index].id`` names no single instance; then instances are paired by
    their index. What may configure ``tf`` but is not settled is in ``related_unknown``.
    """
    return _matches(tf, types, attr)[0]


def related_unknown(tf: TfResource, types: Iterable[str], attr: str) -> Pending:
    """Resources of ``types`` that might configure ``tf``, but cannot be shown to:

    - ``attr`` is unknown and names no resource of tf's type in this project (a data source, a
      remote state output);
    - ``attr`` references ``tf`` only in a branch of a conditional whose condition is not known;
    - the resource may not be created (its count/for_each is not known);
    - it names ``tf`` by a literal value that another resource of tf's type shares.
    """
    project = tf.project
    if project is None:
        return Pending()
    out, whys = [], []
    for o, why in _matches(tf, types, attr)[1]:
        out.append(o)
        whys.append(why)
    seen = {id(o) for o in out}
    for other, why in _unsettled(project, tf.type, tuple(types), attr):
        if id(other) not in seen:
            out.append(other)
            whys.append(why)
    return Pending(out, whys[0] if whys else "")


def _unsettled(project: TfProject, parent_type: str, types: tuple[str, ...], attr: str) -> list:
    """Resources of ``types`` whose ``attr`` is unknown and references no resource of the parent's
    type: each might configure any parent. The same for every parent of a type, so built once per
    project (asking for each parent by scanning every candidate is quadratic on large plans)."""
    cache = project.__dict__.setdefault("_unsettled_cache", {})
    key = (parent_type, types, attr, len(project.resources))
    if key not in cache:
        managed = {r.address.split("[")[0] for r in managed_of_types(project, (parent_type,))}
        what = attr.replace('_id', '').replace('_', ' ')
        cache[key] = [(other, f"{other.address} names its {what} only after apply")
                      for other in managed_of_types(project, types)
                      if isinstance(other.raw(attr), Unknown)
                      and not any(a.split("[")[0] in managed for a in other.refs(attr) or [])]
    return cache[key]


def _matches(tf: TfResource, types: Iterable[str], attr: str) -> tuple[list[TfResource], list]:
    """(certain, [(possible, why)]) resources of ``types`` that point at ``tf`` through ``attr``."""
    project: TfProject | None = tf.project
    if project is None:
        return [], []
    index = _reverse_index(project, tuple(sorted(set(types))), attr)
    base = tf.address[:tf.address.rfind("[")] if tf.index is not None else tf.address
    hits = list(index.get(("ref", tf.address), ()))
    if tf.index is not None:
        # count.index / each.key: the instance with the same key as the referring resource
        hits += [o for o in index.get(("base", base), ()) if o.index is None or o.index == tf.index]
    maybe = [(o, why) for o, why in index.get(("maybe", tf.address), ())]
    idents = _identities(project, tf.type)
    for ident in (tf.raw("id"), tf.raw("arn"), tf.raw("name"), tf.raw("bucket")):
        if isinstance(ident, str) and ident:
            for o in index.get(("lit", ident), ()):
                if idents.get(ident, 0) > 1:
                    maybe.append((o, f"{o.address} names {ident!r}, which {idents[ident]} resources of type "
                                     f"{tf.type} share"))
                else:
                    hits.append(o)
    pos = index["position"]
    certain, possible, seen = [], [], set()
    for o in sorted(hits, key=lambda o: pos.get(id(o), 0)):
        if id(o) in seen:
            continue
        seen.add(id(o))
        if o.existence:
            possible.append((o, o.existence))
        else:
            certain.append(o)
    for o, why in maybe:
        if id(o) not in seen:
            seen.add(id(o))
            possible.append((o, why))
    return certain, possible


_INDEX = re.compile(r"\[[^\]]*\]")


def _one_of(other: TfResource, attr: str, refs: list[str]) -> dict[str, str]:
    """A single-valued attribute that references several resources of one type names one of them.

    A plan records every reference of an expression (both branches of a conditional, say) but not
    which one the value came from; that is not enough to say the attribute names either.
    """
    if len(refs) < 2 or provider_types.attr_type(provider_types.body(other.type), attr) != "string":
        return {}
    by_type: dict[str, set[str]] = {}
    for a in refs:
        base = _INDEX.sub("", a)
        if not base.startswith("data."):
            by_type.setdefault(base.rsplit(".", 2)[-2], set()).add(base)
    out = {}
    for bases in by_type.values():
        if len(bases) > 1:
            names = ", ".join(sorted(bases))
            for a in refs:
                if _INDEX.sub("", a) in bases:
                    out[a] = f"{attr} names one of {names}, and which one is not recorded"
    return out


def _identities(project: TfProject, type_: str) -> dict[str, int]:
    """How many resources of a type carry each literal identity (id, arn, name, bucket)."""
    cache = project.__dict__.setdefault("_identity_cache", {})
    key = (type_, len(project.resources))
    if key not in cache:
        counts: dict[str, int] = {}
        for r in managed_of_types(project, (type_,)):
            idents = (r.raw("id"), r.raw("arn"), r.raw("name"), r.raw("bucket"))
            for v in {x for x in idents if isinstance(x, str) and x}:
                counts[v] = counts.get(v, 0) + 1
        cache[key] = counts
    return cache[key]


def _reverse_index(project: TfProject, types: tuple[str, ...], attr: str) -> dict:
    """What each resource of ``types`` points at through ``attr``, built once per project.

    Keys: ("ref", address) for a certain reference to one instance, ("maybe", address) for a
    possible one (with why), ("base", address without index) for a reference whose index is
    count.index/each.key, ("lit", value) for a literal name/id where ``attr`` references nothing.
    Looking a parent up is then constant time instead of a scan of every candidate (quadratic
    on large plans).
    """
    cache = project.__dict__.setdefault("_reverse_index_cache", {})
    key = (types, attr, len(project.resources))
    if key in cache:
        return cache[key]
    index: dict = {"order": []}
    for other in managed_of_types(project, types):
        index["order"].append(other)
        refs = other.refs(attr) or []
        possible = dict(refs.possible) if isinstance(refs, Refs) else {}
        possible.update(_one_of(other, attr, refs))
        for ref in refs:
            if ref in possible:
                index.setdefault(("maybe", ref), []).append((other, f"{other.address} may configure it: "
                                                                    f"{possible[ref]}"))
                continue
            index.setdefault(("ref", ref), []).append(other)
            if ref.endswith("]"):
                cut = ref.rfind("[")
                idx = ref[cut + 1:-1]
                if not (idx.isdigit() or idx.startswith('"')):
                    index.setdefault(("base", ref[:cut]), []).append(other)
        lit = other.raw(attr)
        if isinstance(lit, str) and not refs:
            index.setdefault(("lit", lit), []).append(other)
    index["position"] = {id(o): i for i, o in enumerate(index["order"])}
    cache[key] = index
    return index
