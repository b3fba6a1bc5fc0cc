"""The check at the adapters' boundary: every value a mapper reads has the type its provider gives it.

Every value a mapper reads goes through ``TfResource.raw``, which checks the top-level
attribute it comes from (the whole subtree) against the type the provider schema gives it
(``scanner/data/provider-types.json``, built from ``terraform providers schema -json``) and
against the few enumerations a rule depends on (``scanner/data/provider-values.json``):

- a plan holds values Terraform already converted and the provider validated, so a value of
  another type is a malformed plan: ``check`` raises ``Mismatch`` and the plan adapter turns
  it into an input error at the value's JSON path;
- ``.tf`` values are what configuration wrote, before Terraform's conversion: ``convert``
  applies Terraform's conversions (a number where a string is expected becomes that string,
  ``"5"`` where a number is expected becomes 5, a tuple becomes a list ...) and puts an
  ``Unknown`` saying Terraform would reject the configuration where no conversion exists.

Either way a value of the wrong type is never dropped and never read as something else.
Non-finite numbers (inf, nan) are not numbers.  The schema bounds the recursion: a value
nested deeper than its type is a mismatch at the first level that disagrees.
"""
from __future__ import annotations

import json
import math
import re
import sys
from functools import lru_cache
from typing import Any

from ...values import Unknown
from . import provider_types

VALUES_FILE = "data/provider-values.json"


class Rejected(Unknown):
    """An Unknown because Terraform would reject the value written: no resource comes of it."""

    __slots__ = ()


def rejected(where_: str, message: str) -> Rejected:
    return Rejected(f"rejected by Terraform ({where_}: {message})")


class Mismatch(Exception):
    """A value of the wrong type: where (path parts below the resource's values) and what."""

    def __init__(self, parts: tuple, message: str):
        super().__init__(message)
        self.parts = parts
        self.message = message


@lru_cache(maxsize=None)
def _data(name: str) -> dict:
    return json.loads(provider_types.read_data(name.removeprefix("data/")))


def tagged() -> frozenset:
    return provider_types.tagged()


_TAGS = ["map", "string"]


def schema(res_type: str) -> dict | None:
    """The schema facts of a resource type (a block body: attrs, blocks, required), or None."""
    return provider_types.body(res_type)


def type_at(res_type: str, parts: list[str]) -> Any:
    """The type at a path of names and indices (``["ingress", "0", "cidr_blocks"]``); None: not known."""
    body = schema(res_type)
    if body is None:
        if parts and parts[0] in ("tags", "tags_all") and res_type in tagged():
            t: Any = _TAGS
            for _ in parts[1:]:
                t = "string" if t is _TAGS else None
            return t
        return None
    t = {"nesting": "single", **body}
    for p in parts:
        t = _step(t, p)
        if t is None:
            return None
    return t


def _step(t: Any, p: str) -> Any:
    if isinstance(t, dict):
        if "nesting" in t:
            if t["nesting"] in ("single", "group"):
                return t.get("attrs", {}).get(p) or t.get("blocks", {}).get(p)
            return {"nesting": "single", "attrs": t.get("attrs", {}), "blocks": t.get("blocks", {}),
                    "required": t.get("required", ())}   # one block of a list/set/map
        return None   # any_of: the versions disagree; the check below still applies
    if isinstance(t, list):
        if t[0] in ("list", "set", "map"):
            return t[1]
        if t[0] == "object":
            return t[1].get(p)
        if t[0] == "tuple":
            return t[1][int(p)] if p.isdigit() and int(p) < len(t[1]) else None
    return None


def enums(res_type: str) -> dict[str, frozenset]:
    return _enums().get(res_type, {})


@lru_cache(maxsize=None)
def _enums() -> dict[str, dict[str, frozenset]]:
    out = {}
    for t, paths in _data(VALUES_FILE)["values"].items():
        out[t] = {p: frozenset(v.lower() for v in vals) for p, vals in paths.items()}
    return out


# --------------------------------------------------------------------------- naming
_KIND_OF = {"string": "a string", "number": "a number", "bool": "a bool", "list": "a list", "set": "a set",
            "map": "a map", "object": "an object", "tuple": "a list"}


def expected(t: Any) -> str:
    if isinstance(t, str):
        return _KIND_OF.get(t, t)
    if isinstance(t, list):
        return _KIND_OF.get(t[0], t[0])
    if isinstance(t, dict) and "any_of" in t:
        return " or ".join(dict.fromkeys(expected(x) for x in t["any_of"]))
    if isinstance(t, dict):
        return "a block" if t["nesting"] in ("single", "group") else (
            "a map of blocks" if t["nesting"] == "map" else "a list of blocks")
    return str(t)


def found(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a bool"
    if isinstance(v, float) and not math.isfinite(v):
        return f"{v} (not a finite number)"
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > _FLOAT_MAX:
        return "a number too large to use"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, (list, tuple)):
        return "a list"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


def where(parts) -> str:
    """``ingress[0].cidr_blocks[0]`` from ("ingress", 0, "cidr_blocks", 0)."""
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif re.match(r"^[A-Za-z_][A-Za-z0-9_-]*$", p):
            out += f".{p}" if out else p
        else:
            out += f"[{json.dumps(p)}]"
    return out


# --------------------------------------------------------------------------- plans: check
_FLOAT_MAX = sys.float_info.max   # providers' numbers are int64 or float64


def _finite_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and (
        math.isfinite(v) if isinstance(v, float) else abs(v) <= _FLOAT_MAX)


def check(v: Any, t: Any, parts: tuple, names: str = "", allowed: dict | None = None) -> None:
    """Raise Mismatch unless ``v`` (a plan's value, Unknown leaves allowed) has type ``t``."""
    if v is None or t is None or isinstance(v, Unknown):
        return
    if t.__class__ is str:
        if t == "string":
            if v.__class__ is str:
                if allowed and names in allowed and v.lower() not in allowed[names]:
                    raise Mismatch(parts, f"{json.dumps(v)} is not a value the provider accepts")
                return
        elif t == "number":
            if _finite_number(v):
                return
        elif t == "bool":
            if v.__class__ is bool:
                return
        elif t == "dynamic":
            return
        raise Mismatch(parts, f"expected {expected(t)}, found {found(v)}")
    if isinstance(t, list):
        kind = t[0]
        if kind in ("list", "set", "tuple"):
            if not isinstance(v, list):
                raise Mismatch(parts, f"expected {expected(t)}, found {found(v)}")
            if kind == "tuple":
                if len(v) != len(t[1]):
                    raise Mismatch(parts, f"expected a list of {len(t[1])} elements, found {len(v)}")
                for i, (x, et) in enumerate(zip(v, t[1])):
                    check(x, et, parts + (i,), names, allowed)
                return
            et = t[1]
            for i, x in enumerate(v):
                if x.__class__ is not str or et != "string" or allowed:   # list(string): the common case
                    check(x, et, parts + (i,), names, allowed)
            return
        if not isinstance(v, dict):
            raise Mismatch(parts, f"expected {expected(t)}, found {found(v)}")
        if kind == "map":
            et = t[1]
            for k, x in v.items():
                if x.__class__ is not str or et != "string":
                    check(x, et, parts + (k,), names, allowed)
        else:   # object
            for k, at in t[1].items():
                if k in v:
                    check(v[k], at, parts + (k,), _join(names, k), allowed)
        return
    if "any_of" in t:
        first = None
        for alt in t["any_of"]:
            try:
                check(v, alt, parts, names, allowed)
                return
            except Mismatch as e:
                first = first or e
        raise first
    # a nested block
    nesting = t["nesting"]
    if nesting in ("single", "group"):
        _check_body(v, t, parts, names, allowed)
    elif nesting == "map":
        if not isinstance(v, dict):
            raise Mismatch(parts, f"expected {expected(t)}, found {found(v)}")
        for k, b in v.items():
            _check_body(b, t, parts + (k,), names, allowed)
    else:
        if not isinstance(v, list):
            raise Mismatch(parts, f"expected {expected(t)}, found {found(v)}")
        for i, b in enumerate(v):
            _check_body(b, t, parts + (i,), names, allowed)


def _check_body(v: Any, t: dict, parts: tuple, names: str, allowed: dict | None) -> None:
    if isinstance(v, Unknown):
        return
    if not isinstance(v, dict):
        raise Mismatch(parts, f"expected a block (an object), found {found(v)}")
    for k, at in t.get("attrs", {}).items():
        if k in v:
            check(v[k], at, parts + (k,), _join(names, k), allowed)
    for k, bt in t.get("blocks", {}).items():
        if k in v:
            check(v[k], bt, parts + (k,), _join(names, k), allowed)
    for k in t.get("required", ()):
        if k in v and v[k] is None:
            raise Mismatch(parts + (k,), f"{k} is required, found null")


def _join(names: str, k: str) -> str:
    return f"{names}.{k}" if names else k


# --------------------------------------------------------------------------- .tf: convert
_NUMBER = re.compile(r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$")


class _Reject(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _number(v: Any) -> Any:
    if isinstance(v, bool):
        raise _Reject(f"expected a number, found {found(v)}")
    if isinstance(v, (int, float)):
        if not _finite_number(v):
            raise _Reject(f"expected a number, found {found(v)}")
        return v
    if isinstance(v, str):
        s = v
        if not _NUMBER.match(s) or len(s) > 400:
            raise _Reject(f"{json.dumps(v[:40])} is not a number")
        try:
            n = float(s) if any(c in s for c in ".eE") else int(s)
        except ValueError:
            raise _Reject(f"{json.dumps(v[:40])} is not a number") from None
        if isinstance(n, float):
            if not math.isfinite(n):
                raise _Reject(f"{json.dumps(v[:40])} is not a finite number")
            if n.is_integer() and abs(n) < 2 ** 53:
                n = int(n)
        return n
    raise _Reject(f"expected a number, found {found(v)}")


def _string(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise _Reject(f"expected a string, found {found(v)}")
        return str(int(v)) if v.is_integer() and abs(v) < 2 ** 53 else repr(v)
    raise _Reject(f"expected a string, found {found(v)}")


def _bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v in ("true", "false"):
        return v == "true"
    raise _Reject(f"expected a bool, found {found(v) if not isinstance(v, str) else json.dumps(v[:40])}")


def convert(v: Any, t: Any, parts: tuple, names: str = "", allowed: dict | None = None) -> Any:
    """``v`` converted to ``t`` as Terraform would, with an Unknown where it could not be."""
    if v is None or isinstance(v, Unknown) or t is None:
        return v
    try:
        return _convert(v, t, parts, names, allowed)
    except _Reject as e:
        return rejected(where(parts), e.message)


def _convert(v: Any, t: Any, parts: tuple, names: str, allowed: dict | None) -> Any:
    if isinstance(t, str):
        if t == "dynamic":
            return v
        if t == "string":
            s = _string(v)
            if allowed and names in allowed and s.lower() not in allowed[names]:
                raise _Reject(f"{json.dumps(s[:60])} is not a value the provider accepts")
            return s
        if t == "number":
            return _number(v)
        if t == "bool":
            return _bool(v)
        return v
    if isinstance(t, list):
        kind = t[0]
        if kind in ("list", "set", "tuple"):
            if not isinstance(v, (list, tuple)):
                raise _Reject(f"expected {expected(t)}, found {found(v)}")
            if kind == "tuple":
                if len(v) != len(t[1]):
                    raise _Reject(f"expected a list of {len(t[1])} elements, found {len(v)}")
                return [convert(x, et, parts + (i,), names, allowed) for i, (x, et) in enumerate(zip(v, t[1]))]
            return [convert(x, t[1], parts + (i,), names, allowed) for i, x in enumerate(v)]
        if not isinstance(v, dict):
            raise _Reject(f"expected {expected(t)}, found {found(v)}")
        if kind == "map":
            return {k: convert(x, t[1], parts + (k,), names, allowed) for k, x in v.items()}
        return {k: (convert(x, t[1][k], parts + (k,), _join(names, k), allowed) if k in t[1] else x)
                for k, x in v.items()}
    if "any_of" in t:
        for alt in t["any_of"]:
            try:
                check(v, alt, parts)
                return v   # already of one of the types the versions give it
            except Mismatch:
                continue
        return convert(v, t["any_of"][0], parts, names, allowed)
    nesting = t["nesting"]
    if nesting in ("single", "group"):
        if isinstance(v, list):   # source renders every block as a list, like a plan's list blocks
            return [_convert_body(b, t, parts + (i,), names, allowed) for i, b in enumerate(v)]
        return _convert_body(v, t, parts, names, allowed)
    if nesting == "map":
        if not isinstance(v, dict):
            raise _Reject(f"expected {expected(t)}, found {found(v)}")
        return {k: _convert_body(b, t, parts + (k,), names, allowed) for k, b in v.items()}
    if not isinstance(v, list):
        raise _Reject(f"expected {expected(t)}, found {found(v)}")
    return [_convert_body(b, t, parts + (i,), names, allowed) for i, b in enumerate(v)]


def _convert_body(v: Any, t: dict, parts: tuple, names: str, allowed: dict | None) -> Any:
    if v is None or isinstance(v, Unknown):
        return v
    if not isinstance(v, dict):
        return rejected(where(parts), f"expected a block, found {found(v)}")
    attrs, blocks = t.get("attrs", {}), t.get("blocks", {})
    out = {}
    for k, x in v.items():
        sub = attrs.get(k) or blocks.get(k)
        out[k] = convert(x, sub, parts + (k,), _join(names, k), allowed) if sub is not None else x
    for k in t.get("required", ()):
        if k in out and out[k] is None:
            out[k] = rejected(where(parts + (k,)), "required, set to null")
    return out


# --------------------------------------------------------------------------- the boundary
def at_boundary(res, at: str, top: str, v: Any) -> Any:
    """The value of ``res.values[top]`` as mappers may read it (see TfResource.raw).

    ``at`` is where ``res.values`` sit in the schema ("" the resource, "ingress.0" a block).
    A plan's project raises its input error for a mismatch; otherwise the value comes back
    converted, with an Unknown in place of what Terraform would reject.
    """
    by_top = _SITES.get((res.type, at))
    if by_top is None:
        by_top = _SITES[(res.type, at)] = {}
    site = by_top.get(top, _NO_SITE)
    if site is _NO_SITE:
        site = by_top[top] = _site(res.type, at, top)
    if site is None:
        return v
    t, required, parts, names, allowed = site
    project = res.project
    if project is not None and project.strict_values:
        if v is None:
            if not required:
                return v
        elif v.__class__ is str:
            if t == "string" and not (allowed and names in allowed):
                return v   # check()'s answer for most attributes, without its call
        elif v.__class__ is bool:
            if t == "bool":
                return v
        elif isinstance(v, Unknown):
            return v   # known after apply (most reads of a plan's ids): nothing to check
        elif v.__class__ is dict and t == _MAP_OF_STRING:
            for x in v.values():   # tags and tags_all of every resource: check()'s answer, without its call
                if x.__class__ is not str:
                    break
            else:
                return v
        try:
            if v is None:
                raise Mismatch(parts, f"{top} is required, found null")
            check(v, t, parts, names, allowed)
        except Mismatch as e:
            err = project.value_error(res, e.parts, e.message)
            if err is not None:
                raise err from None
            return Unknown(f"{where(e.parts)}: {e.message}")
        return v
    if v is None and required:
        return rejected(where(parts), "required, set to null")
    if ((t == "string" and type(v) is str and not (allowed and names in allowed)) or (t == "bool" and type(v) is bool)
            or (t == "number" and type(v) is int and abs(v) <= _FLOAT_MAX)):
        return v   # already of its type, nothing to check against (most attributes): as convert would give it
    out = convert(v, t, parts, names, allowed)
    # Terraform refuses the whole configuration for one bad element: reading the rest (a map
    # without the key that was written wrongly) would see what no apply can create
    bad = _first_rejected(out)
    return out if bad is None else bad


# (resource type, where) -> top-level attribute -> _site(...): a dict per type, not an lru_cache of
# three arguments, because every first read of an attribute asks (tens of thousands on a large plan)
_SITES: dict[tuple[str, str], dict[str, tuple | None]] = {}
_MAP_OF_STRING = ["map", "string"]
_NO_SITE = object()


def _site(res_type: str, at: str, top: str) -> tuple | None:
    """What the check needs at one place of a type's schema (None: nothing to check there)."""
    steps = [p for p in at.split(".") if p] + [top]
    t = type_at(res_type, steps)
    required = _required_at(res_type, steps)
    if t is None and not required:
        return None
    parts = tuple(int(p) if p.isdigit() else p for p in steps)
    names = ".".join(p for p in steps if not p.isdigit())
    return t, required, parts, names, enums(res_type) or None


def _first_rejected(v: Any) -> Rejected | None:
    stack = [v]
    while stack:
        x = stack.pop()
        if isinstance(x, Rejected):
            return x
        if isinstance(x, dict):
            stack.extend(reversed(list(x.values())))
        elif isinstance(x, list):
            stack.extend(reversed(x))
    return None


def _required_at(res_type: str, steps: list[str]) -> bool:
    """Whether the attribute at ``steps`` is required in the body that holds it."""
    body = type_at(res_type, steps[:-1]) if len(steps) > 1 else (
        {"nesting": "single", **schema(res_type)} if schema(res_type) else None)
    if isinstance(body, dict) and "nesting" in body and len(steps) > 1 and body["nesting"] not in ("single", "group"):
        body = _step(body, "0")
    return isinstance(body, dict) and steps[-1] in body.get("required", ())


def customer_key(tf, block: str, *attrs: str):
    """Value("customer") when the one ``block`` (customer_managed_key) names a key in one of
    ``attrs``, else an Unknown saying why not.

    A key id known, or set from an expression known only after apply, names a key; a block
    whose key ids are all null or rejected (Terraform refuses it) names none, and is never
    read as encryption with a customer-managed key.
    """
    from ...values import Origin, Value
    why = []
    for a in attrs:
        v = tf.get(f"{block}.0.{a}")
        if v.known and v.value not in (None, ""):
            return Value("customer", tf.origin(block))
        if not v.known and v.__class__.__name__ != "Absent" and not isinstance(v, Rejected):
            return Value("customer", Origin(tf.source, f"{block} ({a} known after apply)", v.origin.file,
                                            v.origin.line))
        why.append(v.reason if isinstance(v, Rejected) else f"{a} is {'not set' if not v.known else 'null'}")
    return Unknown(f"{block} names no key ({'; '.join(why)})", tf.origin(block))
