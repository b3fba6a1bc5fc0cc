"""Joins of split resources onto their parents (S3 encryption and versioning, server
configurations, TDE protectors, customer-managed keys): which resources of a project
point at a parent through one attribute.

A join follows the reference written in configuration; a literal name or id is matched
only where the attribute references nothing.
"""
from __future__ import annotations

from typing import Iterable

from ...values import Unknown
from .normalize import managed_of_types
from .tfmodel import TfProject, TfResource


def related(tf: TfResource, types: Iterable[str], attr: str) -> list[TfResource]:
    """Managed resources of ``types`` whose ``attr`` references ``tf`` (or names it literally).

    With count/for_each on both sides a reference like ``aws_s3_bucket.b[count.index].id``
    names no single instance; then instances are paired by their index.
    """
    project: TfProject | None = tf.project
    if project is None:
        return []
    index = _reverse_index(project, tuple(sorted(set(types))), attr)
    base = tf.address[:tf.address.rfind("[")] if tf.index is not None else tf.address
    hits = list(index.get(("ref", tf.address), ()))
    if tf.index is not None:
        # count.index / each.key: the instance with the same key as the referring resource
        hits += [o for o in index.get(("base", base), ()) if o.index is None or o.index == tf.index]
    for ident in (tf.raw("id"), tf.raw("arn"), tf.raw("name"), tf.raw("bucket")):
        if isinstance(ident, str) and ident:
            hits += index.get(("lit", ident), ())
    seen: set[int] = set()
    pos = index["position"]
    out = []
    for o in sorted(hits, key=lambda o: pos.get(id(o), 0)):
        if id(o) not in seen:
            seen.add(id(o))
            out.append(o)
    return out


def _reverse_index(project: TfProject, types: tuple[str, ...], attr: str) -> dict:
    """What each resource of ``types`` points at through ``attr``, built once per project.

    Keys: ("ref", address) for a reference to one instance, ("base", address without
    index) for a reference whose index is count.index/each.key, ("lit", value) for a
    literal name/id.  Looking a parent up is then constant time instead of a scan of
    every candidate (quadratic on large plans).
    """
    cache = project.__dict__.setdefault("_reverse_index_cache", {})
    key = (types, attr, len(project.resources))
    if key in cache:
        return cache[key]
    index: dict = {"order": []}
    for other in managed_of_types(project, types):
        index["order"].append(other)
        for ref in other.refs(attr) or []:
            index.setdefault(("ref", ref), []).append(other)
            if ref.endswith("]"):
                cut = ref.rfind("[")
                idx = ref[cut + 1:-1]
                if not (idx.isdigit() or idx.startswith('"')):
                    index.setdefault(("base", ref[:cut]), []).append(other)
        lit = other.raw(attr)
        if isinstance(lit, str):
            index.setdefault(("lit", lit), []).append(other)
    index["position"] = {id(o): i for i, o in enumerate(index["order"])}
    cache[key] = index
    return index


def related_unknown(tf: TfResource, types: Iterable[str], attr: str) -> list[TfResource]:
    """Resources of ``types`` whose ``attr`` is unknown and names no resource of tf's type
    in this project (a data source, a remote state output): they might belong to ``tf``."""
    project = tf.project
    if project is None:
        return []
    managed = {r.address.split("[")[0] for r in managed_of_types(project, (tf.type,))}
    out = []
    for other in managed_of_types(project, tuple(types)):
        if other.type in types and isinstance(other.raw(attr), Unknown):
            if not any(a.split("[")[0] in managed for a in other.refs(attr) or []):
                out.append(other)
    return out
