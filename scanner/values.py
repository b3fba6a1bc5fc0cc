"""Values that remember where they came from, and Unknown as a value.

A rule never reads a bare Python object from a resource: it reads a ``Value``
(a known value plus its ``Origin``) or an ``Unknown`` (a reason plus its
``Origin``).  Comparisons return a ``Tri`` (TRUE / FALSE / UNKNOWN) and a Tri
refuses to be used as a Python bool, so ``if resource["encrypted"]`` cannot
silently treat "we could not see it" as "it is fine".
"""
from __future__ import annotations

import math

from dataclasses import dataclass
from typing import Any, Callable, Iterable


@dataclass(frozen=True)
class Origin:
    """Where a value was read: a plan path, a file and line, an API call."""

    source: str = ""          # terraform-plan | terraform-source | aws | azure | derived
    path: str = ""            # attribute name / JSON path / API call ("rds:DescribeDBInstances")
    file: str | None = None
    line: int | None = None
    api: str | None = None    # live sources: the API call that returned it

    def __init__(self, source: str = "", path: str = "", file: str | None = None, line: int | None = None,
                 api: str | None = None):
        # the frozen dataclass's own __init__ sets each field through object.__setattr__: twice
        # the cost, and a large plan makes tens of thousands of origins (equality, hash, repr and
        # the refusal to be changed stay the dataclass's)
        self.__dict__.update(source=source, path=path, file=file, line=line, api=api)

    def describe(self) -> str:
        where = self.path
        if self.file:
            where += f" ({self.file}{':' + str(self.line) if self.line else ''})"
        return where


class Tri:
    """Three-valued logic (Kleene).  Never usable as a plain bool."""

    __slots__ = ("state", "reason")

    def __init__(self, state: bool | None, reason: str = ""):
        self.state = state
        self.reason = reason

    def __bool__(self):  # the whole point: no accidental passes
        raise TypeError("a Tri is not a bool; use .is_true / .is_false / .is_unknown")

    @property
    def is_true(self) -> bool:
        return self.state is True

    @property
    def is_false(self) -> bool:
        return self.state is False

    @property
    def is_unknown(self) -> bool:
        return self.state is None

    def __and__(self, other: "Tri") -> "Tri":
        if self.is_false or other.is_false:
            return FALSE
        if self.is_unknown:
            return self
        if other.is_unknown:
            return other
        return TRUE

    def __or__(self, other: "Tri") -> "Tri":
        if self.is_true or other.is_true:
            return TRUE
        if self.is_unknown:
            return self
        if other.is_unknown:
            return other
        return FALSE

    def __invert__(self) -> "Tri":
        if self.is_unknown:
            return self
        return FALSE if self.state else TRUE

    def __repr__(self):
        return {True: "TRUE", False: "FALSE", None: f"UNKNOWN({self.reason})"}[self.state]


TRUE = Tri(True)
FALSE = Tri(False)


def tri(b: bool) -> Tri:
    return TRUE if b else FALSE


def unknown_tri(reason: str) -> Tri:
    return Tri(None, reason)


class Value:
    """A known value and where it came from."""

    __slots__ = ("value", "origin")
    known = True

    def __init__(self, value: Any, origin: Origin | None = None):
        self.value = value
        self.origin = origin or Origin()

    # -- comparisons: each returns a Tri, UNKNOWN when self is Unknown --------
    def test(self, predicate: Callable[[Any], bool]) -> Tri:
        return tri(bool(predicate(self.value)))

    def eq(self, other: Any) -> Tri:
        return self.test(lambda v: _norm(v) == _norm(other))

    def ne(self, other: Any) -> Tri:
        return ~self.eq(other)

    def is_in(self, options: Iterable[Any], ignore_case: bool = True) -> Tri:
        """Membership; strings compare without case by default (providers spell enums both ways),
        exactly with ``ignore_case=False`` (values people choose, such as tag values)."""
        if not ignore_case:
            opts_exact = set(options)
            return self.test(lambda v: v in opts_exact)
        opts = {_norm(o) for o in options}
        return self.test(lambda v: _norm(v) in opts)

    def ge(self, n: float) -> Tri:
        nan = self._not_a_number()
        return nan if nan is not None else self.test(lambda v: v is not None and _num(v) is not None and _num(v) >= n)

    def le(self, n: float) -> Tri:
        nan = self._not_a_number()
        return nan if nan is not None else self.test(lambda v: v is not None and _num(v) is not None and _num(v) <= n)

    def _not_a_number(self) -> Tri | None:
        """A known value that is not a finite number (``"inf"``, a list) answers no comparison."""
        if self.known and self.value is not None and _num(self.value) is None:
            return unknown_tri(f"{str(self.value)[:40]!r} is not a number")
        return None

    def truthy(self) -> Tri:
        """True only for a real true-ish value (True, "true", "1", "on", "enabled")."""
        return self.test(_truthy)

    def is_set(self) -> Tri:
        return self.test(lambda v: v not in (None, "", [], {}))

    def map(self, fn: Callable[[Any], Any], path: str | None = None) -> "Value":
        origin = self.origin if path is None else Origin(self.origin.source, path, self.origin.file, self.origin.line)
        return Value(fn(self.value), origin)

    def evidence(self) -> Any:
        return _plain(self.value)

    def __repr__(self):
        return f"Value({self.value!r} @ {self.origin.path})"

    def __bool__(self):
        raise TypeError("use .value or a comparison; a Value is not a bool")


class Unknown(Value):
    """A value that could not be obtained, with the reason why."""

    __slots__ = ("reason",)
    known = False

    def __init__(self, reason: str, origin: Origin | None = None):
        super().__init__(None, origin)
        self.reason = reason

    def test(self, predicate):
        return unknown_tri(self.reason)

    def map(self, fn, path=None):
        return self

    def evidence(self) -> Any:
        return {"unknown": self.reason}

    def __repr__(self):
        return f"Unknown({self.reason!r} @ {self.origin.path})"


class Absent(Value):
    """The source does not carry this field at all (not the same as unknown)."""

    __slots__ = ()

    def __init__(self, origin: Origin | None = None):
        super().__init__(None, origin)


def _truthy(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return v != 0
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "on", "yes", "enabled")
    return False


def _num(v: Any):
    """A finite number, or None: "inf", "nan" and 1e999 are not numbers (a retention of inf days
    must not pass a minimum)."""
    if isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError, OverflowError):
        return None
    return f if math.isfinite(f) else None


def _norm(v: Any) -> Any:
    return v.lower() if isinstance(v, str) else v


_LEAVES = frozenset((str, int, float, bool, type(None)))


def _plain(v: Any) -> Any:
    """Evidence is JSON: strip Values/Unknowns out of nested containers."""
    if v.__class__ in _LEAVES:
        return v   # most calls are on leaves (tag values, flags): answered before the type tests
    if isinstance(v, Value):
        return v.evidence()
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set, frozenset)):
        items = [_plain(x) for x in v]
        return sorted(items, key=repr) if isinstance(v, (set, frozenset)) else items
    return v


def plain(v: Any) -> Any:
    return _plain(v)


def all_known(values: Iterable[Value]) -> bool:
    return all(v.known for v in values)


def holds_unknown(v: Any) -> bool:
    """Whether an Unknown is anywhere in ``v`` (dicts and lists walked, any depth, without recursion:
    every security group's rules and every tag set pass here)."""
    stack = [v]
    while stack:
        x = stack.pop()
        if isinstance(x, Unknown):
            return True
        if isinstance(x, dict):
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)
    return False
