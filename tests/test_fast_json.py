"""The optional fast JSON parser (msgspec, the ``fast`` extra) changes no answer of plan.parse_json.

parse_json gives a large input to msgspec first; what msgspec refuses goes to the strict parser,
which accepts it or names the error.  These tests hold the two paths to the same documents (the
same types, key order, float signs) and the same errors, on hostile edge cases, random numbers,
every plan of the corpus, and a whole scan.
"""
from __future__ import annotations

import json
import math
import pathlib
import random
import sys

import pytest

from scanner.errors import InputError
from scanner.sources.terraform import plan

msgspec = pytest.importorskip("msgspec", reason="the fast extra (msgspec) is not installed")

ROOT = pathlib.Path(__file__).resolve().parent
PLANS = sorted((ROOT / "corpus" / "terraform-plans").rglob("*.json")) + sorted((ROOT / "tf_patterns").rglob("plan.json"))


@pytest.fixture
def fast(monkeypatch):
    """parse_json with msgspec first for every size; counts the inputs msgspec accepted."""
    monkeypatch.setattr(plan, "FAST_FROM", 0)
    monkeypatch.setattr(plan, "_fast_decode", None)
    monkeypatch.delenv("SPECGUARD_JSON", raising=False)
    accepted = []
    real = plan._fast_parse

    def counting(data):
        doc = real(data)
        if doc is not plan._REFUSED:
            accepted.append(len(data))
        return doc
    monkeypatch.setattr(plan, "_fast_parse", counting)
    return accepted


def strict(data: bytes):
    """parse_json's answer without msgspec: (document,) or the InputError's text."""
    saved = plan._fast_decode
    plan._fast_decode = False
    try:
        return (plan.parse_json(data, "in.json"),)
    except InputError as e:
        return str(e)
    finally:
        plan._fast_decode = saved


def answer(data: bytes):
    try:
        return (plan.parse_json(data, "in.json"),)
    except InputError as e:
        return str(e)


def same(a, b) -> bool:
    """Equal, and of the same types, key order and float signs all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return (a == b and math.copysign(1, a) == math.copysign(1, b)) or (a != a and b != b)
    return a == b


EDGE = [
    b'{"a": 1, "b": [true, false, null], "c": {"d": "e"}}',
    b' \n\t{"a":[1,2,{"b":null}]}\r\n ',
    b'{"a":1,"b":2,"a":3}',                       # duplicate key: first place, last value
    b'{"\\u00e9": "\\u00e9\\ud83d\\ude00\\/\\"\\\\\\b\\f\\n\\r\\t"}',
    b'"\\u0000"', b'123', b'-0', b'-0.0', b'0.1', b'1E5', b'1e-400', b'-1e-400',
    b'2.4703282292062327e-324', b'1.7976931348623157e308', b'1.7976931348623159e308',
    b'{"a": 1e999}', b'{"a": -1e999}', b'{"a": NaN}', b'{"a": Infinity}', b'{"a": -Infinity}',
    b'{"a": 123456789012345678901234567890}',
    b'{"a": ' + b'9' * 4300 + b'}', b'{"a": ' + b'9' * 4301 + b'}',
    b'{"a": "\\ud800"}', b'{"a": "\\udc00"}', b'{"a": "\\ud800\\u0041"}', b'{"a": "\\ud800\\udc00"}',
    b'{"a": "\xff"}', b'{"a": "\xed\xa0\x80"}', b'\xef\xbb\xbf{"a": 1}', '{"a": 1}'.encode("utf-16"),
    '{"a": "é"}'.encode("utf-32-le"),
    b'{"a": 1} x', b'{"a": "\x01"}', b'{"a": 1,}', b'[1,]', b'{"a" 1}', b"{'a': 1}", b'', b'   ',
    b'[' * 990 + b']' * 990, b'[' * 1200 + b']' * 1200, b'{"a":' * 2000 + b'1' + b'}' * 2000,
    b'{"a": tru}', b'{"a": 01}', b'{"a": 1.}', b'{"a": .5}', b'{"a": +1}', b'{"a": 0x10}',
]


@pytest.mark.parametrize("data", EDGE, ids=range(len(EDGE)))
def test_edge_cases_same_answer(fast, data):
    want, got = strict(data), answer(data)
    if isinstance(want, str):
        assert got == want            # the same one-line error, from the strict parser
    else:
        assert isinstance(got, tuple) and same(got[0], want[0])


def nesting(v) -> int:
    n = 0
    while isinstance(v, list):   # without recursion: these are nested as deep as Python allows
        n += 1
        v = v[0] if v else None
    return n


def test_nesting_at_the_limit_same_answer(fast):
    # msgspec nests a few levels deeper than json before it gives up: around the limit, every
    # depth gets the strict parser's answer (a document, or its "nested more than" error)
    limit = sys.getrecursionlimit()
    answers = set()
    for depth in range(limit - 80, limit + 5):
        data = b"[" * depth + b"]" * depth
        want, got = strict(data), answer(data)
        assert type(got) is type(want), depth
        assert got == want if isinstance(want, str) else nesting(got[0]) == nesting(want[0]) == depth
        answers.add(type(want))
    assert answers == {str, tuple}   # the limit is inside the range tried


def test_fast_path_is_taken_for_what_it_accepts(fast):
    # no fallback hides a fast path that never runs: msgspec gave these documents itself
    answer(b'{"a": [1, 2.5, "x"]}')
    answer(b'{"a": NaN}')
    assert fast == [len(b'{"a": [1, 2.5, "x"]}')]


def test_random_numbers_same(fast):
    rnd = random.Random(21)
    nums = []
    for _ in range(4000):
        x = rnd.random() * 10.0 ** rnd.randint(-320, 307)
        nums += [repr(x), f"{x:.17e}", f"-{x:.25e}", str(rnd.randint(-10 ** 30, 10 ** 30)),
                 f"{rnd.randint(0, 10 ** 20)}.{rnd.randint(0, 10 ** 25)}e{rnd.randint(-340, 280)}"]
    data = ("[" + ",".join(nums) + "]").encode()
    want, got = strict(data), answer(data)
    assert isinstance(want, tuple) and isinstance(got, tuple) and same(got[0], want[0])
    assert fast   # parsed by msgspec


@pytest.mark.parametrize("path", PLANS, ids=lambda p: p.name)
def test_corpus_plans_same(fast, path):
    data = path.read_bytes()
    want, got = strict(data), answer(data)
    assert type(got) is type(want)
    assert got == want if isinstance(want, str) else same(got[0], want[0])


def test_plan_scan_same_findings(fast, tmp_path, monkeypatch):
    import importlib.util

    from scanner.cli import main
    spec = importlib.util.spec_from_file_location("gen_plan", ROOT.parent / "bench" / "gen_plan.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    src = tmp_path / "plan.json"   # the bench's plan, small: every kind of resource the bench has
    src.write_text(json.dumps(gen.build(400)))
    outs = []
    for mode in ("fast", "stdlib"):
        plan._fast_decode = None
        monkeypatch.setenv("SPECGUARD_JSON", mode)
        out = tmp_path / f"{mode}.json"
        assert main(["scan", str(src), "--format", "json", "-o", str(out), "-q", "--fail-on", "none"]) == 0
        outs.append(json.loads(out.read_text()))
    assert len(fast) == 1   # the first scan was parsed by msgspec, the second was not
    for doc in outs:
        doc.pop("run")
    assert outs[0] == outs[1] and outs[0]["findings"]


def test_environment_turns_it_off(monkeypatch):
    monkeypatch.setattr(plan, "_fast_decode", None)
    monkeypatch.setenv("SPECGUARD_JSON", "stdlib")
    assert plan._fast_parse(b"{}") is plan._REFUSED
    assert plan._fast_decode is False


def test_small_inputs_stay_on_the_strict_parser(monkeypatch):
    # below FAST_FROM msgspec is never imported for them (its import costs more than it saves)
    monkeypatch.setattr(plan, "_fast_decode", None)
    plan.parse_json(b'{"a": 1}', "in.json")
    assert plan._fast_decode is None
