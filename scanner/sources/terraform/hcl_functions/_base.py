"""What every family of functions shares: the registry, argument conversion, bounds.

Arguments arrive evaluated: plain Python data (str, int/float, bool, None, list, dict) in which an
Unknown may stand for any part. Lists stand for Terraform's lists, tuples and sets alike; dicts for
maps and objects. A function registered ``strict`` gets only wholly known arguments (the first
Unknown inside any argument is the result); the others decide for themselves where an Unknown
changes the answer.
"""
from __future__ import annotations

import math
import re
import unicodedata
from typing import Any, Callable

from ....values import Unknown
from ..hcl_eval import Computed, EvalError, Lazy, type_name
from ..hcl_limits import MAX_ELEMENTS, MAX_STRING, LimitExceeded

__all__ = ["EvalError", "Unknown", "type_name", "LimitExceeded", "MAX_ELEMENTS", "MAX_STRING"]


class ScalarUnknown(Unknown):
    """An Unknown known to be a string, number or bool (the result of format(), length(), ...):
    flatten() keeps it as one element, where a bare Unknown might be a list."""

    __slots__ = ()


class Func:
    """One built-in: its implementation, how many arguments it takes, whether it reads files,
    whether its result is a string, number or bool (``scalar``)."""

    __slots__ = ("name", "impl", "min", "max", "strict", "scoped", "scalar")

    def __init__(self, name: str, impl: Callable, lo: int, hi: int | None, strict: bool, scoped: bool,
                 scalar: bool):
        self.name, self.impl, self.min, self.max, self.strict, self.scoped = name, impl, lo, hi, strict, scoped
        self.scalar = scalar


FUNCTIONS: dict[str, Func] = {}

# functions whose result is a list, map or any type; every other function returns a string, number or bool
NOT_SCALAR = {"split", "regex", "regexall", "csvdecode", "jsondecode", "yamldecode", "cidrsubnets", "fileset",
              "range", "tolist", "tomap", "toset", "sensitive", "nonsensitive", "ephemeralasnull", "convert",
              "chunklist", "coalesce", "coalescelist", "compact", "concat", "distinct", "element", "flatten",
              "keys", "lookup", "matchkeys", "merge", "one", "reverse", "setintersection", "setproduct",
              "setsubtract", "setunion", "slice", "sort", "transpose", "values", "zipmap", "formatlist", "try",
              "list", "map", "type"}


def fn(name: str, lo: int, hi: int | None = -1, *, strict: bool = True, scoped: bool = False):
    """Register a function taking ``lo`` to ``hi`` arguments (``hi`` None: any number; -1: exactly ``lo``).

    ``scoped`` functions get the evaluation Scope as their first argument (files, templates)."""

    def register(impl: Callable) -> Callable:
        FUNCTIONS[name] = Func(name, impl, lo, lo if hi == -1 else hi, strict, scoped, name not in NOT_SCALAR)
        return impl

    return register


# ----------------------------------------------------------------------------- bounds
def bounded_list(out: list, what: str = "a list") -> list:
    if len(out) > MAX_ELEMENTS:
        raise LimitExceeded(f"{what} of more than {MAX_ELEMENTS} elements")
    return out


def bounded_str(s: str) -> str:
    if len(s) > MAX_STRING:
        raise LimitExceeded(f"a string of more than {MAX_STRING} characters")
    return s


def check_result(v: Any) -> Any:
    """The result's own size (the functions that multiply their input check before they build)."""
    if isinstance(v, str):
        if len(v) > MAX_STRING:
            raise LimitExceeded(f"a string of more than {MAX_STRING} characters")
    elif isinstance(v, (list, dict)) and len(v) > MAX_ELEMENTS:
        raise LimitExceeded(f"a collection of more than {MAX_ELEMENTS} elements")
    return v


def expect_size(n: int, what: str = "the result") -> None:
    if n > MAX_ELEMENTS:
        raise LimitExceeded(f"{what} would have {n} elements, more than {MAX_ELEMENTS}")


def expect_chars(n: int) -> None:
    if n > MAX_STRING:
        raise LimitExceeded(f"the result would have {n} characters, more than {MAX_STRING}")


class Budget:
    """Counts nodes walked in a value that may share parts (a list of the same big list, YAML aliases)."""

    __slots__ = ("left",)

    def __init__(self, limit: int = MAX_ELEMENTS * 10):
        self.left = limit

    def spend(self, n: int = 1) -> None:
        self.left -= n
        if self.left < 0:
            raise LimitExceeded(f"a value of more than {MAX_ELEMENTS * 10} parts (elements and characters)")


# ----------------------------------------------------------------------------- numbers
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def num(v: Any, what: str = "") -> int | float:
    """A Terraform number (strings that spell a number convert, as Terraform converts them)."""
    if isinstance(v, bool):
        raise EvalError(f"{what or 'a number'} must be a number, not a bool")
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if not math.isfinite(v):
            raise EvalError(f"{what or 'a number'} must be a finite number")
        return v
    if isinstance(v, str):
        s = v
        if len(s) > 400 or not _NUMBER.fullmatch(s):
            raise EvalError(f"{what or 'a number'}: {_short(v)} is not a number")
        if re.fullmatch(r"[+-]?\d+", s):
            return int(s)
        f = float(s)
        if not math.isfinite(f):
            raise EvalError(f"{what or 'a number'}: {_short(v)} is out of range")
        return norm_num(f)
    if v is None:
        raise EvalError(f"{what or 'a number'} must not be null")
    raise EvalError(f"{what or 'a number'} must be a number, not a {type_name(v)}")


def integer(v: Any, what: str = "") -> int:
    x = num(v, what)
    if isinstance(x, float):
        if not x.is_integer():
            raise EvalError(f"{what or 'the number'} must be a whole number, not {fmt_num(x)}")
        x = int(x)
    return x


def norm_num(x: int | float) -> int | float:
    if isinstance(x, float):
        if not math.isfinite(x):
            raise EvalError("the result is not a finite number")
        if x.is_integer() and abs(x) < 2 ** 53:
            return int(x)
    return x


def fmt_num(x: int | float) -> str:
    """A number as Terraform writes it in a string: plain decimal, no exponent, shortest digits."""
    if isinstance(x, int):
        return str(x)
    x = norm_num(x)
    if isinstance(x, int):
        return str(x)
    from decimal import Decimal

    return format(Decimal(repr(x)), "f")


# ----------------------------------------------------------------------------- conversions
def string(v: Any, what: str = "") -> str:
    """Terraform's conversion to string: numbers and bools convert, null and collections do not."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return fmt_num(num(v, what))
    if v is None:
        raise EvalError(f"{what or 'the argument'} must not be null")
    raise EvalError(f"{what or 'the argument'} must be a string, not a {type_name(v)}")


def boolean(v: Any, what: str = "") -> bool:
    if isinstance(v, bool):
        return v
    if v == "true":
        return True
    if v == "false":
        return False
    if v is None:
        raise EvalError(f"{what or 'the argument'} must not be null")
    raise EvalError(f"{what or 'the argument'} must be a bool, not {_describe(v)}")


def seq(v: Any, what: str = "") -> list:
    if isinstance(v, list):
        return v
    if v is None:
        raise EvalError(f"{what or 'the argument'} must not be null")
    raise EvalError(f"{what or 'the argument'} must be a list or set, not a {type_name(v)}")


def mapping(v: Any, what: str = "") -> dict:
    if isinstance(v, dict):
        return v
    if v is None:
        raise EvalError(f"{what or 'the argument'} must not be null")
    raise EvalError(f"{what or 'the argument'} must be a map or object, not a {type_name(v)}")


def _describe(v: Any) -> str:
    if isinstance(v, str):
        return _short(v)
    return f"a {type_name(v)}"


def _short(s: str) -> str:
    return repr(s if len(s) <= 40 else s[:37] + "...")


def opaque(v: Any) -> Unknown | None:
    """A resource, module or namespace object as a value: its attributes are not all known here
    (the configured ones are; the others only after apply), so a function that reads it whole
    cannot be answered."""
    if isinstance(v, (Computed, Lazy)):
        return Unknown(f"{v.what} as a whole value is known only after apply")
    return None


def first_unknown(v: Any, seen: set | None = None) -> Unknown | None:
    """The first Unknown inside ``v`` (a resource or module object counts as one, see ``opaque``);
    a list or map shared many times over is looked at once, so a value made of one big list
    repeated a thousand times costs what its parts cost."""
    if isinstance(v, Unknown):
        return v
    if not isinstance(v, (list, dict)) or isinstance(v, Computed):
        return opaque(v)
    if seen is None:
        seen = set()
    stack = [v]
    while stack:
        x = stack.pop()
        if id(x) in seen:
            continue
        seen.add(id(x))
        for y in (x.values() if isinstance(x, dict) else x):
            if isinstance(y, Unknown):
                return y
            if isinstance(y, (Computed, Lazy)):
                return opaque(y)
            if isinstance(y, (list, dict)):
                stack.append(y)
    return None


def unknown_in(args) -> Unknown | None:
    seen = None
    for a in args:
        if isinstance(a, (list, dict)):
            if seen is None:
                seen = set()
            u = first_unknown(a, seen)
        elif isinstance(a, (Unknown, Lazy)):
            u = first_unknown(a)
        else:
            continue
        if u is not None:
            return u
    return None


def tf_equal(a: Any, b: Any) -> bool:
    """Terraform's == on known values: no conversion between types, 1 == 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(tf_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(tf_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def sort_set(items: list) -> list:
    """Terraform orders the elements of a set of strings lexically and of numbers by value."""
    if items and all(isinstance(x, str) for x in items):
        return sorted(items)
    if items and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in items):
        return sorted(items)
    return items


def dedupe(items: list) -> list:
    """The distinct elements in first-seen order, compared as Terraform compares values (linear:
    each element is keyed once, its parts counted against a budget)."""
    if all(type(x) is str for x in items):
        return list(dict.fromkeys(items))      # the common case: strings
    out: list = []
    seen: set = set()
    budget = Budget()
    for x in items:
        key = _key(x, budget)
        if key not in seen:
            seen.add(key)
            out.append(x)
    return out


def _key(x: Any, budget: "Budget"):
    """A hashable stand-in for a value: equal keys for values Terraform finds equal."""
    budget.spend()
    if isinstance(x, bool):
        return ("b", x)
    if isinstance(x, (int, float)):
        return ("n", x)          # 1 and 1.0 are the same number
    if isinstance(x, str):
        return ("s", x)
    if x is None:
        return ("z",)
    if isinstance(x, list):
        return ("l",) + tuple(_key(y, budget) for y in x)
    if isinstance(x, dict):
        return ("m",) + tuple((k, _key(x[k], budget)) for k in sorted(x))
    return ("?", id(x))


# ----------------------------------------------------------------------------- characters
def graphemes(s: str) -> list[str]:
    """User-perceived characters: a base with its combining marks, joiner sequences, flags, CRLF.

    Terraform counts in Unicode grapheme clusters (length, substr, strrev, format widths); this
    covers the cases text in configuration has (accents, emoji with modifiers, flags)."""
    if s.isascii() and "\r\n" not in s:
        return list(s)
    out: list[str] = []
    join_next = False
    for ch in s:
        if out:
            prev = out[-1]
            cat = unicodedata.category(ch)
            if (join_next or cat in ("Mn", "Me", "Mc") or ch in "\u200d\ufe0e\ufe0f"
                    or 0x1F3FB <= ord(ch) <= 0x1F3FF or 0xE0020 <= ord(ch) <= 0xE007F
                    or (prev == "\r" and ch == "\n")
                    or (_regional(ch) and _regional(prev[-1]) and sum(map(_regional, prev)) % 2 == 1)):
                out[-1] = prev + ch
                join_next = ch == "\u200d"
                continue
        out.append(ch)
        join_next = False
    return out


def _regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def char_count(s: str) -> int:
    if s.isascii() and "\r\n" not in s:
        return len(s)
    return len(graphemes(s))


# ----------------------------------------------------------------------------- type unification
def unify(items: list) -> list:
    """Terraform's conversion of a list's (or map's) elements to one type: where strings and other
    primitives mix, every primitive becomes a string (tolist(["a", 3]) is ["a", "3"])."""
    has_str = has_other = False
    for x in items:
        if isinstance(x, str):
            has_str = True
        elif isinstance(x, (bool, int, float)):
            has_other = True
        elif isinstance(x, (list, dict)):
            return items     # no primitive conversion between collections and scalars
    if has_str and has_other:
        return [string(x) if isinstance(x, (bool, int, float)) else x for x in items]
    return items
