"""Plain value classes for what a scan imports: equality, hash and repr from the fields, as a dataclass.

Python 3.11's ``@dataclass`` compiles each class's methods from source text when the module is
imported: about 2.4 M instructions a class, paid by every ``specguard`` run whether or not the class
is used (23 dataclasses on a ``.tf`` scan's import path cost ~6% of the 500-resource bench scan).
A subclass names its fields in ``__slots__`` and writes ``__init__``; these bases give it what
``@dataclass`` (``eq=True``) or ``@dataclass(frozen=True)`` would: ``==`` by class and fields in order,
a repr naming the fields, and for ``FrozenRecord`` a hash and no assignment after ``__init__``.
"""
from __future__ import annotations

from typing import Any


class Record:
    """``@dataclass``: equal when of the same class with equal fields; unhashable (it can change)."""

    __slots__ = ()
    __hash__ = None   # type: ignore[assignment]

    def _fields(self) -> tuple:
        return tuple(getattr(self, f) for f in self.__slots__)

    def __eq__(self, other: Any):
        if other.__class__ is self.__class__:
            return self._fields() == other._fields()
        return NotImplemented

    def __reduce__(self):   # copy and pickle: made again through __init__, fields in order
        return (self.__class__, self._fields())

    def __repr__(self) -> str:
        inner = ", ".join(f"{f}={getattr(self, f)!r}" for f in self.__slots__)
        return f"{self.__class__.__qualname__}({inner})"


class FrozenRecord(Record):
    """``@dataclass(frozen=True)``: as Record, hashable, and its fields cannot be assigned after __init__
    (which sets them with ``object.__setattr__``)."""

    __slots__ = ()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")
