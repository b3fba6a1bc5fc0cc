"""Terraform's built-in functions for the .tf evaluator (``hcl_eval.call`` looks them up here).

Arguments arrive evaluated: plain Python data in which an Unknown may stand for any part.
A function whose result depends on an Unknown returns an Unknown; one that Terraform would
reject raises ``EvalError``.
"""
from __future__ import annotations

import json
import re
from typing import Callable

from ...values import Unknown
from .hcl_eval import EvalError, _norm_num, _num, first_unknown, to_bool, to_str, type_name


def _known(*args):
    """The first Unknown among the arguments (top level), else None."""
    for a in args:
        if isinstance(a, Unknown):
            return a
    return None


def _strict(fn):
    """A function whose arguments must all be wholly known."""

    def wrapper(*args):
        for a in args:
            u = first_unknown(a)
            if u is not None:
                return u
        return fn(*args)

    return wrapper


def _merge(*maps):
    u = _known(*maps)
    if u is not None:
        return u
    out: dict = {}
    for m in maps:
        if m is None:
            continue
        if not isinstance(m, dict):
            raise EvalError(f"merge() takes maps or objects, not a {type_name(m)}")
        out.update(m)
    return out


def _concat(*lists):
    u = _known(*lists)
    if u is not None:
        return u
    out: list = []
    for x in lists:
        if not isinstance(x, list):
            raise EvalError(f"concat() takes lists, not a {type_name(x)}")
        out.extend(x)
    return out


def _lookup(m, key, *default):
    u = _known(m, key)
    if u is not None:
        return u
    if not isinstance(m, dict):
        raise EvalError(f"lookup() takes a map, not a {type_name(m)}")
    k = to_str(key)
    if k in m:
        return m[k]
    if default:
        return default[0]
    raise EvalError(f"lookup(): no key {k!r} and no default")


def _toset(v):
    u = _known(v)
    if u is not None:
        return u
    if not isinstance(v, list):
        raise EvalError(f"toset() takes a list, not a {type_name(v)}")
    out = []
    for x in v:
        if isinstance(x, Unknown):
            return Unknown(f"an element of the set is not known ({x.reason})")
        if x not in out:
            out.append(x)
    # Terraform orders a set of strings lexically; plans show them that way
    if all(isinstance(x, str) for x in out):
        out.sort()
    return out


def _tomap(v):
    u = _known(v)
    if u is not None:
        return u
    if not isinstance(v, dict):
        raise EvalError(f"tomap() takes an object, not a {type_name(v)}")
    return dict(v)


def _length(v):
    u = _known(v)
    if u is not None:
        return u
    if isinstance(v, (list, dict, str)):
        return len(v)
    raise EvalError(f"length() of a {type_name(v)}")


_FMT = re.compile(r"%(?:%|([-+ #0]*)(\d*)(?:\.(\d+))?([vsdfqtbxXeEgGo]))")


@_strict
def _format(fmt, *args):
    args = list(args)
    pos = [0]

    def sub(m):
        if m.group(0) == "%%":
            return "%"
        if pos[0] >= len(args):
            raise EvalError("format(): not enough arguments")
        v = args[pos[0]]
        pos[0] += 1
        verb = m.group(4)
        flags, width, prec = m.group(1) or "", m.group(2) or "", m.group(3)
        if verb in "sv":
            s = to_str(v) if not isinstance(v, (list, dict)) else json.dumps(v, separators=(",", ":"))
        elif verb == "q":
            s = json.dumps(to_str(v))
        elif verb == "t":
            s = "true" if to_bool(v) else "false"
        elif verb == "d":
            s = str(int(_num(v)))
        elif verb in "xXob":
            s = format(int(_num(v)), verb)
        else:
            s = format(float(_num(v)), f".{prec or 6}{verb}")
            prec = None
        if prec is not None and verb in "sv":
            s = s[: int(prec)]
        if width:
            s = s.ljust(int(width)) if "-" in flags else s.rjust(int(width), "0" if "0" in flags else " ")
        return s

    return _FMT.sub(sub, to_str(fmt))


def _coalesce(*args):
    for a in args:
        if isinstance(a, Unknown):
            return a
        if a is not None and a != "":
            return a
    raise EvalError("coalesce(): every argument is null or empty")


def _coalescelist(*args):
    for a in args:
        if isinstance(a, Unknown):
            return a
        if isinstance(a, list) and a:
            return a
    return []


def _flatten(v):
    u = _known(v)
    if u is not None:
        return u
    out = []
    for x in v:
        if isinstance(x, Unknown):
            return x
        out.extend(_flatten(x) if isinstance(x, list) else [x])
    return out


def _element(lst, i):
    u = _known(lst, i)
    if u is not None:
        return u
    if not lst:
        raise EvalError("element() of an empty list")
    return lst[int(_num(i)) % len(lst)]


def _keys(m):
    return m if isinstance(m, Unknown) else sorted(m.keys())


def _values(m):
    return m if isinstance(m, Unknown) else [m[k] for k in sorted(m.keys())]


def _contains(lst, v):
    u = _known(lst)
    if u is None:
        u = first_unknown(v)
    if u is not None:
        return u
    if any(isinstance(x, Unknown) for x in lst):
        if v in lst:
            return True
        return Unknown("an element of the list is not known")
    return v in lst


def _distinct(lst):
    u = _known(lst)
    if u is not None:
        return u
    out = []
    for x in lst:
        if x not in out:
            out.append(x)
    return out


def _compact(lst):
    u = _known(lst)
    if u is not None:
        return u
    return [x for x in lst if x not in (None, "")]


def _zipmap(ks, vs):
    u = _known(ks, vs)
    if u is not None:
        return u
    if len(ks) != len(vs):
        raise EvalError("zipmap(): the lists differ in length")
    return {to_str(k): v for k, v in zip(ks, vs)}


def _tonumber(v):
    if isinstance(v, Unknown) or v is None:
        return v
    return _num(v)


def _tostring(v):
    if isinstance(v, Unknown) or v is None:
        return v
    return to_str(v)


def _tobool(v):
    if isinstance(v, Unknown) or v is None:
        return v
    return to_bool(v)


def _tolist(v):
    if isinstance(v, Unknown):
        return v
    if not isinstance(v, list):
        raise EvalError(f"tolist() takes a list or set, not a {type_name(v)}")
    return list(v)


def _one(v):
    u = _known(v)
    if u is not None:
        return u
    if not v:
        return None
    if len(v) > 1:
        raise EvalError("one(): more than one element")
    return v[0]


FUNCTIONS: dict[str, Callable] = {
    "merge": _merge, "concat": _concat, "lookup": _lookup, "tomap": _tomap, "toset": _toset,
    "tolist": _tolist, "length": _length, "format": _format, "coalesce": _coalesce,
    "coalescelist": _coalescelist, "flatten": _flatten, "element": _element, "keys": _keys,
    "values": _values, "contains": _contains, "distinct": _distinct, "compact": _compact,
    "zipmap": _zipmap, "tonumber": _tonumber, "tostring": _tostring, "tobool": _tobool, "one": _one,
    "lower": _strict(lambda s: to_str(s).lower()),
    "upper": _strict(lambda s: to_str(s).upper()),
    "trimspace": _strict(lambda s: to_str(s).strip()),
    "join": _strict(lambda sep, lst: to_str(sep).join(to_str(x) for x in lst)),
    "split": _strict(lambda sep, s: to_str(s).split(to_str(sep))),
    "replace": _strict(lambda s, a, b: to_str(s).replace(to_str(a), to_str(b))),
    "startswith": _strict(lambda s, p: to_str(s).startswith(to_str(p))),
    "endswith": _strict(lambda s, p: to_str(s).endswith(to_str(p))),
    "substr": _strict(lambda s, o, n: to_str(s)[int(_num(o)):][: None if int(_num(n)) < 0 else int(_num(n))]),
    "min": _strict(lambda *xs: _norm_num(min(_num(x) for x in xs))),
    "max": _strict(lambda *xs: _norm_num(max(_num(x) for x in xs))),
    "abs": _strict(lambda x: _norm_num(abs(_num(x)))),
    "jsonencode": _strict(lambda v: json.dumps(v, separators=(",", ":"))),
    "jsondecode": _strict(lambda s: json.loads(to_str(s))),
    "range": _strict(lambda *a: list(range(*(int(_num(x)) for x in a)))),
}
