"""Terraform's type constraints (``variable { type = ... }``) and the conversion of values to them.

Terraform converts every variable's value to its declared type before any expression sees it:
root values from tfvars and ``-var``, module call arguments, and defaults.  A missing
``optional(T)`` attribute becomes null, ``optional(T, d)`` becomes ``d`` (a null given value
too), all the way down; object types keep only the attributes they declare; strings, numbers
and bools convert as Terraform's type system does ("1" -> 1, 1 -> "1", "true" -> true).
Without this, ``each.value.ssl_policy`` on ``map(object({ssl_policy = optional(string)}))`` is an
error and ``try(var.db.multi_az, true)`` takes the fallback where Terraform has the declared default.

Types are tuples: ``("string",)``, ``("number",)``, ``("bool",)``, ``("any",)``,
``("list", T)``, ``("set", T)``, ``("map", T)``, ``("tuple", [T, ...])`` and
``("object", {name: Attr})``.  An Unknown stays Unknown where it is: an object with one unknown
attribute is still an object whose other attributes convert.  A value Terraform would reject
raises ``Mismatch`` with the path inside the value; the caller decides whether that is an input
error (values the user gave) or an Unknown (a module's inputs).
"""
from __future__ import annotations

import math
import re
from typing import Any

from ...errors import InputError
from ...record import FrozenRecord
from ...values import Unknown
from .hcl_eval import Computed, EvalError, Lazy, Scope, evaluate, to_str, type_name
from .hcl_parse import HclSyntaxError, parse_expression

STRING, NUMBER, BOOL, ANY = ("string",), ("number",), ("bool",), ("any",)
PRIMITIVES = {"string": STRING, "number": NUMBER, "bool": BOOL}
_NO_DEFAULT = object()


class Attr(FrozenRecord):
    """An attribute of an object type: its type, and whether it is optional (with its default).
    (A record, not a dataclass: scanner/record.py.)"""

    __slots__ = ("type", "optional", "default")

    def __init__(self, type: tuple, optional: bool = False, default: Any = _NO_DEFAULT):
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "optional", optional)
        object.__setattr__(self, "default", default)     # already converted to ``type``


class TypeSyntaxError(Exception):
    """A type constraint Terraform would refuse (``lisst(string)``, ``object(string)``)."""


class Mismatch(Exception):
    """A value Terraform would refuse for the type; ``path`` is where inside the value."""

    def __init__(self, message: str, path: str = ""):
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


# ----------------------------------------------------------------------------- type constraints
def parse_type(node: tuple) -> tuple:
    """The type a ``type =`` expression (a parse tree from hcl_parse) denotes."""
    kind = node[0]
    if kind == "lit" and isinstance(node[1], str):
        # "string", "list", "map" are Terraform 0.11's quoted types; in .tf.json every type is a string
        legacy = {"string": STRING, "list": ("list", ANY), "map": ("map", ANY)}
        if node[1] in legacy:
            return legacy[node[1]]
        try:
            return parse_type(parse_expression(node[1]))
        except HclSyntaxError as e:
            raise TypeSyntaxError(f"{node[1]!r} is not a type constraint ({e.message})") from None
    if kind == "name":
        name = node[1]
        if name in PRIMITIVES:
            return PRIMITIVES[name]
        if name == "any":
            return ANY
        if name in ("list", "map"):      # bare keywords: a collection of any one element type
            return (name, ANY)
        raise TypeSyntaxError(f"{name!r} is not a type (string, number, bool, any, list(...), map(...), "
                              f"set(...), object({{...}}), tuple([...]))")
    if kind == "call":
        name, args = node[1], node[2]
        if name in ("list", "set", "map"):
            _arity(name, args, 1)
            return (name, parse_type(args[0]))
        if name == "tuple":
            _arity(name, args, 1)
            if args[0][0] != "tuple":
                raise TypeSyntaxError("tuple(...) takes a list of element types: tuple([string, number])")
            return ("tuple", [parse_type(x) for x in args[0][1]])
        if name == "object":
            _arity(name, args, 1)
            if args[0][0] != "object":
                raise TypeSyntaxError("object(...) takes an object of attribute types: object({name = string})")
            attrs: dict[str, Attr] = {}
            for k, v in args[0][1]:
                key = k[1] if k[0] in ("lit", "name") and isinstance(k[1], str) else None
                if key is None:
                    raise TypeSyntaxError("an object type's attribute names must be written as names")
                attrs[key] = _attr(v)
            return ("object", attrs)
        if name == "optional":
            raise TypeSyntaxError("optional(...) is allowed only as an attribute type of object({...})")
        raise TypeSyntaxError(f"{name}(...) is not a type constructor")
    raise TypeSyntaxError("a type constraint is a type name or constructor (string, list(string), object({...}))")


def _arity(name: str, args: list, n: int) -> None:
    if len(args) != n:
        raise TypeSyntaxError(f"{name}(...) takes {n} argument{'s' if n > 1 else ''}")


def _attr(node: tuple) -> Attr:
    if node[0] != "call" or node[1] != "optional":
        return Attr(parse_type(node))
    args = node[2]
    if len(args) not in (1, 2):
        raise TypeSyntaxError("optional(...) takes a type and an optional default value")
    t = parse_type(args[0])
    if len(args) == 1:
        return Attr(t, optional=True)
    try:
        raw = evaluate(args[1], Scope(_no_refs))
    except EvalError as e:
        raise TypeSyntaxError(f"the default of optional(...) must be a constant: {e}") from None
    if isinstance(raw, Unknown):
        raise TypeSyntaxError(f"the default of optional(...) must be a constant ({raw.reason})")
    try:
        default = convert(raw, t)
    except Mismatch as e:
        raise TypeSyntaxError(f"the default of optional(...) does not match its type: {e}") from None
    return Attr(t, optional=True, default=default)


def _no_refs(name: str):
    raise EvalError(f"a type constraint cannot refer to {name}")


def show(t: tuple) -> str:
    """A type as Terraform writes it, for messages."""
    kind = t[0]
    if kind in ("list", "set", "map"):
        return f"{kind}({show(t[1])})"
    if kind == "tuple":
        return "tuple([" + ", ".join(show(x) for x in t[1]) + "])"
    if kind == "object":
        return "object({" + ", ".join(f"{k} = {show(a.type)}" for k, a in t[1].items()) + "})"
    return kind


def is_primitive(t: tuple | None) -> bool:
    return t is not None and t[0] in PRIMITIVES


# ----------------------------------------------------------------------------- conversion
def convert(value: Any, t: tuple | None, path: str = "") -> Any:
    """``value`` converted to ``t`` as Terraform converts it; raises Mismatch where Terraform refuses it."""
    if t is None or value is None or isinstance(value, Unknown):
        return value
    kind = t[0]
    if kind == "any":
        return value
    if kind == "string":
        return _to_string(value, path)
    if kind == "number":
        return _to_number(value, path)
    if kind == "bool":
        return _to_bool(value, path)
    if kind in ("list", "set"):
        if not isinstance(value, list):
            raise Mismatch(f"a {kind} is required, not {_a(value)}", path)
        items = [convert(x, t[1], f"{path}[{i}]") for i, x in enumerate(value)]
        if t[1] == ANY:
            items = _unify(items, path)
        return _set(items) if kind == "set" else items
    if kind == "tuple":
        if not isinstance(value, list):
            raise Mismatch(f"a tuple is required, not {_a(value)}", path)
        if len(value) != len(t[1]):
            raise Mismatch(f"a tuple of {len(t[1])} elements is required, not {len(value)}", path)
        return [convert(x, et, f"{path}[{i}]") for i, (x, et) in enumerate(zip(value, t[1]))]
    if kind == "map":
        if isinstance(value, (Lazy, Computed)):
            return Unknown(f"{path or 'the value'}: {value.what} as a map is known only after apply")
        if not isinstance(value, dict):
            raise Mismatch(f"a map is required, not {_a(value)}", path)
        out = {k: convert(x, t[1], _key_path(path, k)) for k, x in value.items()}
        if t[1] == ANY:
            out = dict(zip(out, _unify(list(out.values()), path)))
        return out
    if kind == "object":
        return _object(value, t[1], path)
    raise Mismatch(f"unsupported type {show(t)}", path)     # parse_type makes no other


def _object(value: Any, attrs: dict, path: str) -> dict:
    if not isinstance(value, (dict, Lazy)):
        raise Mismatch(f"an object is required, not {_a(value)}", path)
    out = {}
    for name, a in attrs.items():
        sub = _key_path(path, name)
        if isinstance(value, Lazy):
            try:
                x = value.get(name)
            except EvalError as e:
                raise Mismatch(f"attribute {name!r} is required ({e})", path) from None
        elif name in value:
            x = value[name]
        elif isinstance(value, Computed):
            x = value.missing(name)
        elif a.optional:
            x = None
        else:
            raise Mismatch(f"attribute {name!r} is required", path)
        if x is None and a.default is not _NO_DEFAULT:
            out[name] = a.default
        else:
            out[name] = convert(x, a.type, sub)
    return out      # attributes the type does not declare are dropped, as Terraform drops them


def _to_string(v: Any, path: str) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, float):
        if not math.isfinite(v):
            raise Mismatch("a string is required, not a non-finite number", path)
        # Terraform writes numbers in full, never with an exponent: 1e20 -> "100000000000000000000"
        from decimal import Decimal   # only for floats written out in full: not worth 5 ms at every start
        text = format(Decimal(repr(v)), "f")
        return text[:-2] if text.endswith(".0") else text
    if isinstance(v, (bool, int)):
        return to_str(v)
    raise Mismatch(f"a string is required, not {_a(v)}", path)


_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _to_number(v: Any, path: str) -> int | float:
    if isinstance(v, bool):
        raise Mismatch("a number is required, not a bool", path)
    if isinstance(v, (int, float)):
        if isinstance(v, float) and not math.isfinite(v):
            raise Mismatch("a number is required, not a non-finite number", path)
        return v
    if isinstance(v, str):
        if not _NUMBER.fullmatch(v) or len(v) > 400:
            raise Mismatch(f"a number is required, not the string {_quote(v)}", path)
        if re.fullmatch(r"[+-]?\d+", v):
            return int(v)
        f = float(v)
        if not math.isfinite(f):
            raise Mismatch(f"a number is required, not the string {_quote(v)}", path)
        return int(f) if f.is_integer() and abs(f) < 2 ** 53 else f
    raise Mismatch(f"a number is required, not {_a(v)}", path)


def _to_bool(v: Any, path: str) -> bool:
    if isinstance(v, bool):
        return v
    if v in ("true", "1"):
        return True
    if v in ("false", "0"):
        return False
    if isinstance(v, str):
        raise Mismatch(f"a bool is required, not the string {_quote(v)}", path)
    raise Mismatch(f"a bool is required, not {_a(v)}", path)


def _unify(items: list, path: str) -> list:
    """list(any) / map(any): one element type for all.  Mixed strings, numbers and bools become
    strings (as Terraform unifies them); numbers with bools have no common type."""
    kinds = {type_name(x) for x in items if x is not None and not isinstance(x, Unknown)}
    if len(kinds) < 2 or not kinds <= {"string", "number", "bool"}:
        return items      # one type, or collections (left as written: Terraform's rules there are subtler)
    if "string" not in kinds:
        raise Mismatch("all elements must have the same type (numbers and bools have no common type)", path)
    return [x if x is None or isinstance(x, Unknown) else _to_string(x, path) for x in items]


def _set(items: list) -> list:
    """A set: no duplicates; strings and numbers in Terraform's order (sorted)."""
    out: list = []
    seen: set = set()
    for x in items:
        if not isinstance(x, Unknown):
            key = _identity(x)
            if key in seen:
                continue
            seen.add(key)
        out.append(x)
    known = [x for x in out if not isinstance(x, Unknown)]
    if known and (all(isinstance(x, str) for x in known)
                  or all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in known)):
        out = sorted(known) + [x for x in out if isinstance(x, Unknown)]
    return out


def _identity(x: Any):
    """A hashable stand-in for a value (set membership in linear time)."""
    if isinstance(x, dict):
        return ("o", tuple(sorted((k, _identity(v)) for k, v in x.items())))
    if isinstance(x, list):
        return ("l", tuple(_identity(v) for v in x))
    if isinstance(x, Unknown):
        return ("u", id(x))
    if isinstance(x, (str, bool, int, float)) or x is None:
        return (type_name(x), x)
    return ("?", id(x))


def _key_path(path: str, key: str) -> str:
    return f"{path}.{key}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", key) else f"{path}[{_quote(key)}]"


def _quote(s: str) -> str:
    s = s if len(s) <= 60 else s[:57] + "..."
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _a(v: Any) -> str:
    name = type_name(v)
    if isinstance(v, dict) or isinstance(v, Lazy):
        name = "an object"
    elif name == "list":
        name = "a list"
    elif name == "null":
        name = "null"
    else:
        name = f"a {name}"
    return name


# ----------------------------------------------------------------------------- variable blocks
def variable_type(block, shown: str) -> tuple | None:
    """The type a ``variable`` block declares (None: no constraint); a bad constraint is an input
    error at its line, as Terraform refuses the configuration."""
    attr = block.attrs().get("type")
    if attr is None:
        return None
    try:
        return parse_type(attr.expr)
    except TypeSyntaxError as e:
        raise InputError(f"variable {block.labels[0]}: type = {attr.text}: {e}", shown, str(attr.line)) from None


def variable_nullable(block) -> bool:
    """``nullable = false`` (a literal, as Terraform requires)."""
    attr = block.attrs().get("nullable")
    return not (attr is not None and attr.expr == ("lit", False))

