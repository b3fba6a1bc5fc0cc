"""yamldecode and yamlencode: YAML 1.2 (core schema) as Terraform reads and writes it.

PyYAML reads YAML 1.1, where `yes`, `on` and `0777` are not strings; a loader with the 1.2 core
schema's resolvers reads them as Terraform does. Aliases are allowed but their expansion is
bounded ("billion laughs"), and a cycle is an error as in Terraform.
"""
from __future__ import annotations

import base64
import datetime
import json
import math
import re

import yaml

from ._base import Budget, EvalError, expect_chars, fmt_num, fn, norm_num, string


class _Loader(yaml.SafeLoader):
    pass


_Loader.yaml_implicit_resolvers = {}
for _tag, _rx, _first in [
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", ["<"]),        # merge keys, which Terraform's reader accepts
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     list("-+0123456789.")),
]:
    _Loader.add_implicit_resolver(_tag, re.compile(_rx), _first)


def _int(loader, node):
    text = loader.construct_scalar(node)
    if len(text) > 400:
        raise EvalError("a YAML integer of more than 400 digits")
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text)


def _float(loader, node):
    text = loader.construct_scalar(node)
    if len(text) > 400:
        raise EvalError("a YAML number of more than 400 digits")
    try:
        f = float(text.replace(".inf", "inf").replace(".Inf", "inf").replace(".INF", "inf"))
    except ValueError:
        raise EvalError(f"{text[:40]!r} is not a number")
    if not math.isfinite(f):
        raise EvalError(f"{text!r} is not a finite number (Terraform numbers are finite)")
    return norm_num(f)


def _timestamp(loader, node):
    return loader.construct_scalar(node)


def _binary(loader, node):
    return "".join(loader.construct_scalar(node).split())


_Loader.add_constructor("tag:yaml.org,2002:int", _int)
_Loader.add_constructor("tag:yaml.org,2002:float", _float)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
_Loader.add_constructor("tag:yaml.org,2002:binary", _binary)


def _plain(v, budget: Budget, stack: set):
    """A copy with string keys and no shared parts, counting every part an alias expands to."""
    budget.spend()
    if isinstance(v, (list, dict)):
        if id(v) in stack:
            raise EvalError("the YAML refers to a collection from inside itself (a cycle)")
        stack.add(id(v))
        try:
            if isinstance(v, list):
                return [_plain(x, budget, stack) for x in v]
            out = {}
            for k, x in v.items():
                if isinstance(k, (list, dict, tuple)):
                    raise EvalError("a YAML map key must be a string, not a collection")
                out[_key(k)] = _plain(x, budget, stack)
            return out
        finally:
            stack.discard(id(v))
    if isinstance(v, str):
        budget.spend(len(v) // 64)
    elif isinstance(v, (datetime.date, datetime.datetime)):
        return v.isoformat()
    elif isinstance(v, bytes):
        return base64.b64encode(v).decode()
    return v


def _key(k) -> str:
    if k is None:
        return "null"
    if isinstance(k, bool):
        return "true" if k else "false"
    if isinstance(k, (int, float)):
        return fmt_num(k)
    return str(k)


@fn("yamldecode", 1)
def _yamldecode(s):
    text = string(s)
    try:
        docs = list(yaml.load_all(text, Loader=_Loader))
    except RecursionError:
        raise EvalError("the YAML is nested too deeply")
    except yaml.YAMLError as e:
        raise EvalError(f"invalid YAML: {str(e).splitlines()[0] if str(e) else e.__class__.__name__}")
    if len(docs) > 1:
        raise EvalError("the string contains more than one YAML document")
    if not docs:
        return None
    return _plain(docs[0], Budget(), set())


# ----------------------------------------------------------------------------- yamlencode
def _scalar(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return fmt_num(v)
    return json.dumps(v, ensure_ascii=False)


def _emit(v, indent: str, out: list, budget: Budget, size: list) -> None:
    """Block style as Terraform writes it: quoted strings, a sequence under a key not indented."""

    def put(s: str) -> None:
        size[0] += len(s)
        expect_chars(size[0])
        out.append(s)

    budget.spend()
    if isinstance(v, dict) and v:
        first = True
        for k in sorted(v):
            x = v[k]
            put(("" if first else indent) + json.dumps(str(k), ensure_ascii=False) + ":")
            first = False
            if isinstance(x, dict) and x:
                put("\n" + indent + "  ")
                _emit(x, indent + "  ", out, budget, size)
            elif isinstance(x, list) and x:
                put("\n" + indent)
                _emit(x, indent, out, budget, size)
            else:
                put(" " + _flow(x) + "\n")
    elif isinstance(v, list) and v:
        first = True
        for x in v:
            put(("" if first else indent) + "- ")
            first = False
            if isinstance(x, (dict, list)) and x:
                _emit(x, indent + "  ", out, budget, size)
            else:
                put(_flow(x) + "\n")
    else:
        put(_flow(v) + "\n")


def _flow(v) -> str:
    if isinstance(v, dict):
        return "{}"
    if isinstance(v, list):
        return "[]"
    return _scalar(v)


@fn("yamlencode", 1)
def _yamlencode(v):
    out: list[str] = []
    _emit(v, "", out, Budget(), [0])
    return "".join(out)
