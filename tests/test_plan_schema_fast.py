"""The compiled plan-schema check (plan_schema._compile) answers as jsonschema does.

It decides alone whether a plan is well-formed (jsonschema runs only to name the place of an
error), so every mutation of a fixture plan must get jsonschema's verdict from it.
"""
from __future__ import annotations

import copy
import json
import pathlib
import random

from scanner.sources.terraform import plan_schema

ROOT = pathlib.Path(__file__).resolve().parent.parent
VALUES = [None, True, False, 0, 1.5, "x", [], {}, [1], {"a": 1}, ["x"], [{"references": 3}],
          {"references": [1]}, {"references": {"a": ["b"]}}, {"constant_value": [1]}]


def _paths(doc, pre=()):
    out = [pre]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, pre + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, pre + (i,))
    return out


def test_compiled_check_agrees_with_jsonschema_on_mutated_plans():
    fast = plan_schema._fast()
    assert fast is not None, "the compiled check does not cover the schema's keywords any more"
    validator = plan_schema._validator()
    rnd = random.Random(21)
    plans = sorted(ROOT.glob("fixtures/*/*/plan.json"))
    assert plans
    seen = {True: 0, False: 0}
    for p in plans:
        doc = json.loads(p.read_text())
        assert fast(doc) is True and validator.is_valid(doc)
        paths = [q for q in _paths(doc) if q]
        for _ in range(25):
            m = copy.deepcopy(doc)
            where = rnd.choice(paths)
            node = m
            for k in where[:-1]:
                node = node[k]
            if isinstance(node, dict) and rnd.random() < 0.2:
                del node[where[-1]]
            else:
                node[where[-1]] = copy.deepcopy(rnd.choice(VALUES))
            want = validator.is_valid(m)
            assert fast(m) is want, (p.name, where)
            seen[want] += 1
    assert seen[True] > 20 and seen[False] > 20, seen   # both verdicts were exercised
