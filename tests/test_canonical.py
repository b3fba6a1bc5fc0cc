"""The canonical JSON of a results document (scanner/canonical.py): the bytes every stored run's
SHA-256 and every report's "results SHA-256" are taken over, so they must stay those of the form
first shipped (json.dumps with sorted keys, compact separators, UTF-8, NaN refused), and the
bytes held for the run being stored must be given for that document only."""
from __future__ import annotations

import copy
import json
import math

import pytest

from scanner.canonical import canonical_json, hold, release
from storelib import base_doc


def shipped(doc) -> bytes:
    """The canonical form as stores and reports written before scanner/canonical.py computed it."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def awkward() -> dict:
    """Keys that sort by code point (upper before lower, é after z), escapes, nesting, numbers."""
    return {"z": 1, "Z": [1.5, -0.0, 1e300, 10**30, True, None], "é": "naïve \u2028 \"q\" \\ \n\t\x01 \U0001f600",
            "": {}, "findings": [{"b": [], "a": {"y": "\x7f", "X": [[]]}, "c": i} for i in range(7)],
            "a": [], "list": list(range(5)), "nested": {"k": [{"z": 0, "a": 1}]}}


def test_the_bytes_are_the_shipped_form():
    for doc in (awkward(), base_doc(), {}, {"findings": []}, {1: "a", 10: "b", 9: "c"}, [1, {"b": 1, "a": 2}], "t", 3):
        assert canonical_json(doc) == shipped(doc)
    assert list(json.loads(canonical_json(awkward()))) == sorted(awkward())     # by code point


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused(bad):
    with pytest.raises(ValueError):
        canonical_json({"findings": [{"evidence": {"x": bad}}] * 3})


def test_held_bytes_are_given_for_that_document_only_until_released():
    doc = base_doc()
    data = shipped(doc)
    hold(doc, lambda: data)
    try:
        assert canonical_json(doc) is data
        twin = copy.deepcopy(doc)             # equal, but not the document held
        assert canonical_json(twin) == data and canonical_json(twin) is not data
        release(twin)                         # another document's release leaves it held
        assert canonical_json(doc) is data
    finally:
        release(doc)
    assert canonical_json(doc) == data and canonical_json(doc) is not data
