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
    """A predicate equivalent to the schema (for the keywords above); _Unsupported otherwise.

    Written as Python source, one function per schema node, and compiled once: a check of a
    type alone is inlined (``type(v) in T3``), a node that constrains only objects and arrays
    is not called for a string or a number, and a $ref is a direct call.  The closures this
    replaces cost a call and a lookup per node visited (a large plan's configuration is
    hundreds of thousands of nodes)."""
    defs = root.get("$defs", {})
    lines: list[str] = []
    consts: dict[str, Any] = {"_MISS": object(), "_CONTAINERS": frozenset((dict, list))}
    def_names: dict[str, str] = {}
    aliases: list[str] = []
    scalars_pass: dict[str, bool] = {}
    counter = [0]

    def const(value: Any) -> str:
        name = f"C{len(consts)}"
        consts[name] = value
        return name

    def check_keys(s: dict) -> None:
        unknown = set(s) - _ANNOTATIONS - {"type", "properties", "additionalProperties", "items", "required",
                                           "$ref"}
        if unknown:
            raise _Unsupported(", ".join(sorted(unknown)))

    def target(ref: str) -> str:
        if not ref.startswith("#/$defs/") or ref[8:] not in defs:
            raise _Unsupported(ref)
        name = ref[8:]
        if name not in def_names:
            def_names[name] = f"d_{len(def_names)}"
            body = defs[name]
            fn = "_always" if body is True or body == {} else "_never" if body is False else node(body)
            aliases.append(f"{def_names[name]} = {fn}")   # bound after every function is defined
        return def_names[name]

    def passes_scalars(s: Any, seen: frozenset = frozenset()) -> bool:
        """Whether any string, number, bool or null passes ``s`` (no type keyword on the way)."""
        if s is True or s == {}:
            return True
        if s is False or not isinstance(s, dict) or "type" in s:
            return False
        ref = s.get("$ref")
        if ref is None:
            return True
        name = ref[8:]
        if name in seen:
            return True
        return passes_scalars(defs.get(name, False), seen | {name})

    def cond(s: Any, var: str) -> str | None:
        """An expression true when ``var`` passes ``s`` (None: always)."""
        if s is True or s == {}:
            return None
        if s is False:
            return "False"
        check_keys(s)
        keys = set(s) - _ANNOTATIONS
        if keys == {"type"}:
            return f"type({var}) in {const(types_of(s))}"
        if keys == {"$ref"}:
            call = f"{target(s['$ref'])}({var})"
        else:
            call = f"{node(s)}({var})"
        if passes_scalars(s):
            return f"(type({var}) not in _CONTAINERS or {call})"
        return call

    def types_of(s: dict) -> frozenset:
        names = [s["type"]] if isinstance(s["type"], str) else s["type"]
        if "integer" in names or "number" in names:
            raise _Unsupported("numeric types")   # float-valued integers, bool vs int: not needed
        return frozenset(t for n in names for t in _PY_TYPES[n])

    def node(s: dict) -> str:
        check_keys(s)
        counter[0] += 1
        name = f"n_{counter[0]}"
        body: list[str] = ["    t = type(inst)"]
        if "type" in s:
            body.append(f"    if t not in {const(types_of(s))}:")
            body.append("        return False")
        props = s.get("properties", {})
        required = s.get("required", ())
        addl = s.get("additionalProperties")
        dict_part: list[str] = []
        if required:
            dict_part.append("        if " + " or ".join(f"{k!r} not in inst" for k in required) + ":")
            dict_part.append("            return False")
        for k, sub in props.items():
            c = cond(sub, "v")
            if c is None:
                continue
            dict_part.append(f"        v = inst.get({k!r}, _MISS)")
            dict_part.append(f"        if v is not _MISS and not {c}:")
            dict_part.append("            return False")
        if addl is not None:
            c = cond(addl, "v")
            if c is not None:
                names = const(frozenset(props))
                dict_part.append("        for k, v in inst.items():")
                dict_part.append(f"            if k not in {names} and not {c}:")
                dict_part.append("                return False")
        list_part: list[str] = []
        if "items" in s:
            c = cond(s["items"], "v")
            if c is not None:
                list_part.append("        for v in inst:")
                list_part.append(f"            if not {c}:")
                list_part.append("                return False")
        if dict_part:
            body.append("    if t is dict:")
            body += dict_part
            if list_part:
                body.append("    elif t is list:")
                body += list_part
        elif list_part:
            body.append("    if t is list:")
            body += list_part
        via = target(s["$ref"]) if "$ref" in s else None
        body.append(f"    return {via}(inst)" if via else "    return True")
        lines.append(f"def {name}(inst):")
        lines.extend(body)
        return name

    if root is True or root == {}:
        return lambda inst: True
    if root is False:
        return lambda inst: False
    top = node(root)
    namespace: dict[str, Any] = dict(consts, _never=lambda inst: False, _always=lambda inst: True)
    exec(compile("\n".join(lines + aliases) + "\n", "<plan schema>", "exec"), namespace)   # our own schema's text
    return namespace[top]


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
