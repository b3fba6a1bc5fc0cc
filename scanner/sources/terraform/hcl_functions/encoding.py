"""Encoding functions: base64decode base64encode base64gzip csvdecode jsondecode jsonencode
textdecodebase64 textencodebase64 urlencode (YAML is in yaml_fns)."""
from __future__ import annotations

import base64
import binascii
import codecs
import json
import math
import re

from ._base import (Budget, EvalError, Unknown, expect_chars, expect_size, fmt_num, fn, norm_num, string,
                    unknown_in)

# Go's encoding/json escapes these even in strings that need no escaping (HTML safety)
_HTML_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_HTML_RX = re.compile("[<>&\u2028\u2029]")


def _json_str(s: str) -> str:
    out = json.dumps(s, ensure_ascii=False)
    return _HTML_RX.sub(lambda m: _HTML_ESCAPES[m.group(0)], out) if _HTML_RX.search(out) else out


def json_text(v) -> str:
    """Terraform's jsonencode of a wholly known value: object keys in order, numbers without
    exponent, HTML-safe escapes; the size is bounded as it is written."""
    budget = Budget()
    parts: list[str] = []
    size = [0]

    def put(s: str) -> None:
        size[0] += len(s)
        expect_chars(size[0])
        parts.append(s)

    def walk(x) -> None:
        budget.spend()
        if isinstance(x, str):
            put(_json_str(x))
        elif isinstance(x, bool):
            put("true" if x else "false")
        elif isinstance(x, (int, float)):
            if isinstance(x, float) and not math.isfinite(x):
                raise EvalError("a non-finite number cannot be encoded")
            put(fmt_num(x))
        elif x is None:
            put("null")
        elif isinstance(x, list):
            put("[")
            for i, y in enumerate(x):
                if i:
                    put(",")
                walk(y)
            put("]")
        elif isinstance(x, dict):
            put("{")
            for i, k in enumerate(sorted(x)):
                if i:
                    put(",")
                put(_json_str(str(k)) + ":")
                walk(x[k])
            put("}")
        else:
            raise EvalError(f"a {type(x).__name__} cannot be encoded")

    walk(v)
    return "".join(parts)


@fn("jsonencode", 1)
def _jsonencode(v):
    return json_text(v)


def _no_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _json_number(text: str):
    if len(text) > 400:
        raise ValueError("a number of more than 400 digits")
    return norm_num(float(text)) if any(c in text for c in ".eE") else int(text)


@fn("jsondecode", 1)
def _jsondecode(s):
    s = string(s)
    try:
        v = json.loads(s, parse_constant=_no_constant, parse_int=_json_number, parse_float=_json_number)
    except RecursionError:
        raise EvalError("the JSON is nested too deeply")
    except ValueError as e:
        raise EvalError(f"invalid JSON: {e}")
    _check_finite(v, Budget())
    return v


def _check_finite(v, budget: Budget) -> None:
    budget.spend()
    if isinstance(v, float) and not math.isfinite(v):
        raise EvalError("a number out of range")
    if isinstance(v, list):
        for x in v:
            _check_finite(x, budget)
    elif isinstance(v, dict):
        for x in v.values():
            _check_finite(x, budget)


@fn("base64encode", 1)
def _base64encode(s):
    s = string(s)
    expect_chars(len(s) * 2)
    return base64.b64encode(s.encode("utf-8")).decode("ascii")


def _b64(s: str) -> bytes:
    try:
        return base64.b64decode(s.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeError, ValueError):
        raise EvalError(f"failed to decode base64 data {s[:40]!r}")


@fn("base64decode", 1)
def _base64decode(s):
    raw = _b64(string(s))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise EvalError("the result of decoding the provided string is not valid UTF-8")


@fn("base64gzip", 1)
def _base64gzip(s):
    string(s)
    # the bytes depend on Go's compress/flate, which zlib does not reproduce; a different value
    # here would be a value Terraform does not compute
    return Unknown("base64gzip() is not computed by specguard: Terraform's gzip bytes (Go's "
                   "compress/flate) cannot be reproduced exactly")


def _codec(name: str, what: str):
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise EvalError(f"{what}: {name!r} is not a supported IANA encoding name")


@fn("textencodebase64", 2)
def _textencodebase64(s, encoding):
    s, enc = string(s), _codec(string(encoding, "the encoding"), "the encoding")
    try:
        data = s.encode(enc)
    except UnicodeEncodeError:
        raise EvalError(f"the string contains characters that {encoding!r} cannot represent")
    expect_chars(len(data) * 2)
    return base64.b64encode(data).decode("ascii")


@fn("textdecodebase64", 2)
def _textdecodebase64(s, encoding):
    raw, enc = _b64(string(s)), _codec(string(encoding, "the encoding"), "the encoding")
    try:
        return raw.decode(enc)
    except UnicodeDecodeError:
        raise EvalError(f"the bytes are not valid {encoding}")


@fn("urlencode", 1)
def _urlencode(s):
    from urllib.parse import quote_plus

    s = string(s)
    expect_chars(len(s) * 9)
    return quote_plus(s, safe="~", encoding="utf-8", errors="strict")


@fn("csvdecode", 1)
def _csvdecode(s):
    import csv
    import io

    s = string(s)
    if "\x00" in s:
        raise EvalError("the CSV contains a NUL character")
    rows = csv.reader(io.StringIO(s, newline=""), strict=True)
    try:
        header = next(rows, None)
        if header is None:
            raise EvalError("missing header line")
        out = []
        for n, row in enumerate(rows, start=2):
            if not row:
                continue
            if len(row) != len(header):
                raise EvalError(f"line {n}: wrong number of fields ({len(row)}, the header has {len(header)})")
            out.append(dict(zip(header, row)))
            expect_size(len(out))
    except csv.Error as e:
        raise EvalError(f"invalid CSV: {e}")
    return out
