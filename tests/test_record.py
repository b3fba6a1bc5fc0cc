"""scanner/record.py gives plain classes what @dataclass gave them (equality, hash, repr, frozenness)."""
from __future__ import annotations

import copy
import pickle
from dataclasses import FrozenInstanceError, dataclass, field

import pytest

from scanner.record import FrozenRecord, Record


class Point(FrozenRecord):
    __slots__ = ("x", "y")

    def __init__(self, x, y=0):
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)


class Bag(Record):
    __slots__ = ("name", "items")

    def __init__(self, name, items=None):
        self.name = name
        self.items = [] if items is None else items


@dataclass(frozen=True)
class DPoint:
    x: int
    y: int = 0


@dataclass
class DBag:
    name: str
    items: list = field(default_factory=list)


def test_a_frozen_record_behaves_as_a_frozen_dataclass():
    p, d = Point(1, 2), DPoint(1, 2)
    assert p == Point(1, 2) and p != Point(2, 1) and hash(p) == hash(Point(1, 2))
    assert len({p, Point(1, 2), Point(1)}) == 2
    assert repr(p) == repr(d).replace("DPoint", "Point")
    assert (p == (1, 2)) is False and p.__eq__(d) is NotImplemented   # another class is never equal
    with pytest.raises(AttributeError):
        p.x = 3
    with pytest.raises(AttributeError):
        d.x = 3   # (FrozenInstanceError is an AttributeError too)
    assert issubclass(FrozenInstanceError, AttributeError)
    with pytest.raises(AttributeError):
        del p.y
    assert pickle.loads(pickle.dumps(p)) == p and copy.deepcopy(p) == p


def test_a_record_behaves_as_a_dataclass():
    b, d = Bag("a"), DBag("a")
    assert b == Bag("a", []) and b != Bag("a", [1]) and b.items is not Bag("a").items
    assert repr(b) == repr(d).replace("DBag", "Bag")
    with pytest.raises(TypeError):
        hash(b)
    b.items.append(1)
    b.name = "b"
    assert b == Bag("b", [1]) and pickle.loads(pickle.dumps(b)) == b and copy.copy(b) == b
