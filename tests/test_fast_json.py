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


# ----------------------------------------------------------------------------- the canonical encoder
def _plain_value(rnd, depth=0):
    def text():
        return "".join(chr(rnd.choice([rnd.randint(0, 0x7F), rnd.randint(0x80, 0xD7FF), rnd.randint(0xE000, 0x10FFFF)]))
                       for _ in range(rnd.randint(0, 8)))
    k = rnd.randint(0, 6 if depth < 4 else 3)
    if k == 0:
        return text()
    if k == 1:
        return rnd.randint(-10 ** 20, 10 ** 20)
    if k == 2:
        return rnd.choice([True, False, None])
    if k == 3:
        return rnd.randint(-5, 5)
    if k == 4:
        return [_plain_value(rnd, depth + 1) for _ in range(rnd.randint(0, 4))]
    if k == 5:
        return {text(): _plain_value(rnd, depth + 1) for _ in range(rnd.randint(0, 4))}
    return tuple(_plain_value(rnd, depth + 1) for _ in range(rnd.randint(0, 3)))


def test_msgspec_writes_the_canonical_bytes_of_plain_values():
    # every character class (controls, astral, U+2028), big integers, tuples, key order by code point
    from scanner.canonical import _encode
    enc = msgspec.json.Encoder(order="sorted")
    every = "".join(chr(i) for i in range(0x80)) + "\u2028\u2029\ufeff\u00e9\U0001F600\uffff\ud7ff\ue000"
    values = [every, {every: 1}, {"b": 1, "a": [1, {"c": None, "B": True}], "": "x", "\U0001F600": 1, "\uffff": 2}]
    rnd = random.Random(7)
    values += [_plain_value(rnd) for _ in range(5000)]
    for v in values:
        assert enc.encode(v) == _encode(v).encode("utf-8")


def _doc_of(evidence_list):
    from scanner.engine import Finding
    from scanner.model import Resource
    from scanner.profile import load_profile
    from scanner.results import Run, build_document
    r = Resource(kind="generic", type="aws_x", address="aws_x.a", provider="aws", source="terraform-plan")
    found = [Finding("TAG-01", "pass", "low", r, "ok", ev) for ev in evidence_list]
    return build_document(found, load_profile(None, []), Run(command="scan"))


@pytest.fixture
def small_marks(monkeypatch):
    from scanner import canonical, results
    monkeypatch.setattr(results, "FAST_ENCODE_FROM", 0)
    monkeypatch.delenv("SPECGUARD_JSON", raising=False)
    canonical.forget_plain()
    yield canonical
    canonical.forget_plain()


@pytest.mark.parametrize("evidence, plain", [
    ({"tags": {"a": "b"}, "n": 3, "x": None, "l": [1, "2", True]}, True),
    ({"retention": 35.0}, False),                       # a float: 35.0 is written as json writes it
    ({"deep": {"deeper": [1, {"f": 1e16}]}}, False),
    ({"ports": {22: "ssh", "x": [1]}}, False),         # a key json would turn into "22"
    ({"when": __import__("datetime").date(2026, 1, 1)}, False),   # no JSON form: json's error, as before
])
def test_a_document_is_marked_plain_only_when_it_is(small_marks, evidence, plain):
    doc = _doc_of([evidence, {"ok": "yes"}])
    assert bool(small_marks._plain and small_marks._plain[0][0] is doc) is plain


def test_the_marked_documents_bytes_are_the_stdlib_encoders(small_marks, monkeypatch):
    from scanner.canonical import _encode, canonical_json
    doc = _doc_of([{"tags": {"é": "ü\n\x01"}, "n": 10 ** 19}, {"l": ["\U0001F600"]}])
    used = []
    real = small_marks._fast_encoder
    monkeypatch.setattr(small_marks, "_fast_encoder", lambda d: used.append(1) or real(d))
    assert canonical_json(doc) == _encode(doc).encode("utf-8") and used
    doc["history"] = {"since": "2026-01-01", "ratio": 0.5}   # set after the build, a float: the stdlib writes it
    assert small_marks._fast_encoder(doc) is None
    assert canonical_json(doc) == _encode(doc).encode("utf-8")
    del doc["history"]
    doc["findings"] = list(doc["findings"])   # replaced: no longer the list that was checked
    assert small_marks._fast_encoder(doc) is None


def test_a_large_plans_document_is_encoded_by_msgspec(tmp_path, monkeypatch):
    import importlib.util

    from scanner import canonical
    from scanner.canonical import _encode
    from scanner.cli import build_parser
    from scanner.pipeline import scan_paths
    spec = importlib.util.spec_from_file_location("gen_plan", ROOT.parent / "bench" / "gen_plan.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    src = tmp_path / "plan.json"
    src.write_text(json.dumps(gen.build(3000)))
    monkeypatch.delenv("SPECGUARD_JSON", raising=False)
    doc = scan_paths(build_parser().parse_args(["scan", str(src), "-q"]))
    assert len(doc["findings"]) >= 5000 and canonical._plain and canonical._plain[0][0] is doc
    assert canonical._fast_encoder(doc) == _encode(doc).encode("utf-8")
    canonical.forget_plain()
