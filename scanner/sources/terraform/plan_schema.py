"""Check a plan's structure against ``scanner/data/terraform-plan.schema.json`` before reading it.

The schema constrains only what ``plan.py`` reads (see its description).  A
33 MB plan takes jsonschema about as long to validate as specguard takes to scan
it, so a valid plan is checked by a small validator compiled from the same
schema (the subset of keywords it uses: type, properties, additionalProperties,
items, required, local $ref), in a few tens of milliseconds.  Only when that
finds the plan invalid does jsonschema run, to name the place (``best_match``)
as a JSON path, ``$.resource_changes[0].change``, with a short reason.
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Callable

from ...errors import json_path
from .provider_types import read_data

SCHEMA_FILE = "terraform-plan.schema.json"   # in scanner/data

_PY_TYPES = {"object": (dict,), "array": (list,), "string": (str,), "null": (type(None),),
             "boolean": (bool,), "number": (int, float), "integer": (int,)}
# x-expected: how a type error names what is expected there (default: the schema's types)
_ANNOTATIONS = {"$schema", "$id", "$defs", "title", "description", "$comment", "x-expected"}


@lru_cache(maxsize=None)
def schema() -> dict:
    return json.loads(read_data(SCHEMA_FILE))   # not importlib.resources: see provider_types.DATA


class _Unsupported(Exception):
    pass


def _compile(root: dict) -> Callable[[Any], bool]:
    """A predicate equivalent to the schema (for the keywords above); _Unsupported otherwise."""
    defs: dict[str, Callable[[Any], bool]] = {}

    def ref(target: str) -> Callable[[Any], bool]:
        if not target.startswith("#/$defs/") or target[8:] not in root.get("$defs", {}):
            raise _Unsupported(target)
        name = target[8:]
        if name not in defs:
            defs[name] = None   # recursion: resolved through the dict at run time
            defs[name] = build(root["$defs"][name])
        return lambda inst: defs[name] is None or defs[name](inst)

    def build(s: Any) -> Callable[[Any], bool] | None:
        """None stands for `true` (anything goes)."""
        if s is True or s == {}:
            return None
        if s is False:
            return lambda inst: False
        unknown = set(s) - _ANNOTATIONS - {"type", "properties", "additionalProperties", "items", "required", "$ref"}
        if unknown:
            raise _Unsupported(", ".join(sorted(unknown)))
        types = None
        if "type" in s:
            names = [s["type"]] if isinstance(s["type"], str) else s["type"]
            types = frozenset(t for n in names for t in _PY_TYPES[n])
            if "integer" in names or "number" in names:
                raise _Unsupported("numeric types")   # float-valued integers, bool vs int: not needed
        required = tuple(s.get("required", ()))
        props = tuple((k, f) for k, f in ((k, build(v)) for k, v in s.get("properties", {}).items()))
        names = frozenset(k for k, _ in props)
        props = tuple((k, f) for k, f in props if f is not None)
        addl = build(s["additionalProperties"]) if "additionalProperties" in s else None
        items = build(s["items"]) if "items" in s else None
        via = ref(s["$ref"]) if "$ref" in s else None

        def check(inst: Any) -> bool:
            t = type(inst)
            if types is not None and t not in types:
                return False
            if t is dict:
                for k in required:
                    if k not in inst:
                        return False
                for k, f in props:
                    if k in inst and not f(inst[k]):
                        return False
                if addl is not None:
                    for k, v in inst.items():
                        if k not in names and not addl(v):
                            return False
            elif t is list and items is not None:
                for v in inst:
                    if not items(v):
                        return False
            return via is None or via(inst)

        return check

    top = build(root)
    return top if top is not None else (lambda inst: True)


@lru_cache(maxsize=None)
def _fast() -> Callable[[Any], bool] | None:
    try:
        return _compile(schema())
    except _Unsupported:
        return None   # a keyword the compiled check does not know: jsonschema alone decides


@lru_cache(maxsize=None)
def _validator():
    from jsonschema import Draft202012Validator
    return Draft202012Validator(schema())


def first_error(doc: Any) -> tuple[str, str] | None:
    """None for a plan of the expected shape, else (JSON path, reason) of the most relevant error."""
    fast = _fast()
    try:
        if fast is not None and fast(doc):
            return None
        from jsonschema.exceptions import best_match
        err = best_match(_validator().iter_errors(doc))
    except RecursionError:
        return "$", "nested too deeply"
    if err is None:
        return None
    return json_path(err.absolute_path), reason(err)


def kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "an array"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


_NAMES = {"object": "an object", "array": "an array", "string": "a string", "boolean": "a boolean",
          "number": "a number", "integer": "an integer", "null": "null"}


def reason(err) -> str:
    if err.validator == "type":
        want = [err.validator_value] if isinstance(err.validator_value, str) else list(err.validator_value)
        shown = err.schema.get("x-expected") or " or ".join([_NAMES.get(t, t) for t in want if t != "null"] or ["null"])
        return f"expected {shown}, found {kind(err.instance)}"
    if err.validator == "required":
        missing = [k for k in err.validator_value if isinstance(err.instance, dict) and k not in err.instance]
        if len(missing) == 1:
            return f"{missing[0]!r} is missing"
        return f"{', '.join(repr(k) for k in missing[:-1])} and {missing[-1]!r} are missing" if missing \
            else "a required key is missing"
    msg = err.message.splitlines()[0] if err.message else err.validator
    return msg if len(msg) <= 160 else msg[:157] + "..."
