"""Facts from the providers' schemas (scanner/data/provider-types.json), read once on first use:
the one reader of that file (the .tf evaluator, the joins, TAGGABLE and value_check use it).

A body is ``{"attrs": {name: type}, "blocks": {name: {"nesting": ..., "attrs": ..., "blocks": ...}}}``;
types use Terraform's JSON notation ("string", ["list", "string"], ["set", ["object", {...}]]).
"""
from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Any

# scanner/data, beside the package's modules (a wheel and an editable install alike): importlib.resources
# (and pathlib) would cost about 8 ms of imports at every start for the same read
DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__)))), "data")


def read_data(name: str) -> str:
    """The text of ``scanner/data/NAME``."""
    with open(os.path.join(DATA, name), encoding="utf-8") as fh:
        return fh.read()


@lru_cache(maxsize=1)
def document() -> dict:
    return json.loads(read_data("provider-types.json"))


@lru_cache(maxsize=1)
def tagged() -> frozenset[str]:
    """Managed resource types whose provider schema has a top-level ``tags`` attribute."""
    return frozenset(document()["tagged"])


def body(resource_type: str) -> dict | None:
    """The schema body of a resource type specguard reads (None: not in the facts)."""
    return document()["types"].get(resource_type)


def attr_type(node: dict | None, name: str) -> Any:
    """The type of attribute ``name`` of a body (None when not known)."""
    return (node or {}).get("attrs", {}).get(name) if node else None


def nested(node: dict | None, name: str) -> dict | None:
    """The body of nested block ``name``, or of the elements of an object-typed attribute (None: unknown)."""
    if not node:
        return None
    block = node.get("blocks", {}).get(name)
    if block is not None:
        return block
    t = attr_type(node, name)
    # list(object({...})) / set(object({...})) / object({...}) written as blocks
    while isinstance(t, list) and t and t[0] in ("list", "set", "map") and len(t) == 2:
        t = t[1]
    if isinstance(t, list) and len(t) >= 2 and t[0] == "object" and isinstance(t[1], dict):
        return {"attrs": t[1], "blocks": {}}
    return None


def is_ordered_list(t: Any) -> bool:
    """A list or tuple type: its elements keep their places, so a plan shows each one known or not.

    (A set with an unknown element cannot be hashed: a plan shows the whole set unknown.)"""
    return isinstance(t, list) and bool(t) and t[0] in ("list", "tuple")
