"""Evaluate HCL expressions (trees from ``hcl_parse``) the way Terraform would at plan time.

Values are plain Python data (str, int/float, bool, None, list, dict); anything
that cannot be evaluated here (a data source, an attribute known only after
apply, an unsupported function) is a ``scanner.values.Unknown`` whose reason
names the expression.  An operation on an Unknown gives an Unknown: nothing
unknown is ever turned into a known value by accident.

Names (``var``, ``local``, resource types, ``module``, ``each``, ...) are
looked up through a ``Scope``; ``hcl.py`` supplies the roots.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any, Callable

from ...values import Unknown


class EvalError(Exception):
    """The expression is wrong for its values (Terraform would stop with an error)."""


class Computed(dict):
    """Attributes of a resource instance: those not in the configuration are known only after apply."""

    def __init__(self, values: dict, what: str):
        super().__init__(values)
        self.what = what

    def missing(self, name: str) -> Unknown:
        return Unknown(f"{self.what}.{name} is known only after apply")


class Lazy:
    """A namespace whose members are computed on first use (resources, modules, locals)."""

    def __init__(self, getter: Callable[[str], Any], what: str):
        self.getter = getter
        self.what = what

    def get(self, name: str) -> Any:
        return self.getter(name)


class Scope:
    """Roots for names: ``roots(name)`` from the module instance, plus iteration variables."""

    def __init__(self, roots: Callable[[str], Any], local_vars: dict | None = None, module=None):
        self.roots = roots
        self.vars = local_vars or {}
        self.module = module      # the module instance (hcl.py uses it for references)

    def child(self, **local_vars) -> "Scope":
        merged = dict(self.vars)
        merged.update(local_vars)
        return Scope(self.roots, merged, self.module)

    def lookup(self, name: str) -> Any:
        if name in self.vars:
            return self.vars[name]
        return self.roots(name)


# ----------------------------------------------------------------------------- helpers
def is_unknown(v: Any) -> bool:
    return isinstance(v, Unknown)


def first_unknown(v: Any) -> Unknown | None:
    """The first Unknown anywhere inside ``v`` (None when ``v`` is wholly known)."""
    if isinstance(v, Unknown):
        return v
    if isinstance(v, dict):
        for x in v.values():
            u = first_unknown(x)
            if u is not None:
                return u
    elif isinstance(v, list):
        for x in v:
            u = first_unknown(x)
            if u is not None:
                return u
    return None


def _num(v: Any) -> float | int:
    if isinstance(v, bool):
        raise EvalError("a bool is not a number")
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str):
        try:
            f = float(v)
        except ValueError:
            raise EvalError(f"{v!r} is not a number")
        return int(f) if f.is_integer() and "." not in v else f
    raise EvalError(f"{type_name(v)} is not a number")


def _norm_num(x):
    if isinstance(x, float) and x.is_integer() and abs(x) < 2 ** 53:
        return int(x)
    return x


def to_str(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        v = _norm_num(v)
        return str(v) if isinstance(v, int) else repr(v)
    if v is None:
        raise EvalError("a null value cannot be used in a string")
    raise EvalError(f"a {type_name(v)} cannot be used in a string")


def to_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if v in ("true", "false"):
        return v == "true"
    raise EvalError(f"{type_name(v)} is not a bool")


def type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "list"
    if isinstance(v, (dict, Lazy)):
        return "object"
    return type(v).__name__


def get_attr(obj: Any, name: str) -> Any:
    if isinstance(obj, Unknown):
        return obj
    if isinstance(obj, Lazy):
        return obj.get(name)
    if isinstance(obj, dict):
        if name in obj:
            return obj[name]
        if isinstance(obj, Computed):
            return obj.missing(name)
        raise EvalError(f"this object has no attribute {name!r}")
    if obj is None:
        raise EvalError(f"attribute {name!r} of a null value")
    raise EvalError(f"a {type_name(obj)} has no attribute {name!r}")


def get_index(obj: Any, key: Any) -> Any:
    if isinstance(obj, Unknown):
        return obj
    if isinstance(key, Unknown):
        return Unknown(f"the index is not known ({key.reason})")
    if isinstance(obj, list):
        try:
            i = int(_num(key))
        except EvalError:
            raise EvalError(f"a list index must be a number, not {type_name(key)}")
        if not 0 <= i < len(obj):
            raise EvalError(f"index {i} is out of range (length {len(obj)})")
        return obj[i]
    if isinstance(obj, (dict, Lazy)):
        return get_attr(obj, to_str(key))
    raise EvalError(f"a {type_name(obj)} cannot be indexed")


# ----------------------------------------------------------------------------- evaluation
def evaluate(node: tuple, scope: Scope) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "name":
        return scope.lookup(node[1])
    if kind == "attr":
        return get_attr(evaluate(node[1], scope), node[2])
    if kind == "index":
        return get_index(evaluate(node[1], scope), evaluate(node[2], scope))
    if kind == "tmpl":
        return _template(node[1], scope)
    if kind == "tuple":
        return [evaluate(x, scope) for x in node[1]]
    if kind == "object":
        out = {}
        for k, v in node[1]:
            key = evaluate(k, scope)
            if isinstance(key, Unknown):
                return Unknown(f"an object key is not known ({key.reason})")
            out[to_str(key)] = evaluate(v, scope)
        return out
    if kind == "call":
        return call(node[1], node[2], node[3], scope)
    if kind == "cond":
        return _conditional(node, scope)
    if kind == "binop":
        return _binop(node[1], evaluate(node[2], scope), evaluate(node[3], scope), node, scope)
    if kind == "unop":
        v = evaluate(node[2], scope)
        if isinstance(v, Unknown):
            return v
        return (not to_bool(v)) if node[1] == "!" else _norm_num(-_num(v))
    if kind == "splat":
        return _splat(evaluate(node[1], scope), node[2], scope)
    if kind == "for":
        return _for(node, scope)
    raise EvalError(f"unsupported expression {kind}")


def _template(parts: list, scope: Scope) -> Any:
    out = []
    for p in parts:
        if isinstance(p, str):
            out.append(p)
            continue
        if p[0] == "tmpl_if":
            c = evaluate(p[1], scope)
            if isinstance(c, Unknown):
                return c
            v = _template(p[2] if to_bool(c) else p[3], scope)
        elif p[0] == "tmpl_for":
            coll = evaluate(p[3], scope)
            if isinstance(coll, Unknown):
                return coll
            chunks = []
            for k, x in _pairs(coll):
                sub = scope.child(**{p[2]: x, **({p[1]: k} if p[1] else {})})
                chunks.append(_template(p[4], sub))
            u = next((c for c in chunks if isinstance(c, Unknown)), None)
            if u is not None:
                return u
            v = "".join(chunks)
        else:
            v = evaluate(p, scope)
        if isinstance(v, Unknown):
            return v
        out.append(to_str(v))
    return "".join(out)


def _conditional(node: tuple, scope: Scope) -> Any:
    c = evaluate(node[1], scope)
    if isinstance(c, Unknown):
        a, b = evaluate(node[2], scope), evaluate(node[3], scope)
        if first_unknown(a) is None and a == b:
            return a
        return Unknown(f"the condition is not known ({c.reason})")
    return evaluate(node[2] if to_bool(c) else node[3], scope)


def _binop(op: str, a: Any, b: Any, node, scope) -> Any:
    if op in ("&&", "||"):
        # false && unknown is false; true || unknown is true (as Terraform does)
        for x, y in ((a, b), (b, a)):
            if not isinstance(x, Unknown) and isinstance(y, Unknown):
                xb = to_bool(x)
                if op == "&&" and not xb:
                    return False
                if op == "||" and xb:
                    return True
                return y
        if isinstance(a, Unknown):
            return a
        return (to_bool(a) and to_bool(b)) if op == "&&" else (to_bool(a) or to_bool(b))
    if op in ("==", "!="):
        ua, ub = first_unknown(a), first_unknown(b)
        if ua is not None or ub is not None:
            return ua if ua is not None else ub
        eq = _equal(a, b)
        return eq if op == "==" else not eq
    if isinstance(a, Unknown):
        return a
    if isinstance(b, Unknown):
        return b
    x, y = _num(a), _num(b)
    if op == "+":
        return _norm_num(x + y)
    if op == "-":
        return _norm_num(x - y)
    if op == "*":
        return _norm_num(x * y)
    if op == "/":
        if y == 0:
            raise EvalError("division by zero")
        return _norm_num(x / y)
    if op == "%":
        if y == 0:
            raise EvalError("modulo by zero")
        return _norm_num(math.fmod(x, y))
    return {"<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[op]


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if type_name(a) != type_name(b):
        return False
    return a == b


def _splat(v: Any, ops: list, scope: Scope) -> Any:
    if isinstance(v, Unknown):
        return v
    if v is None:
        return []
    items = v if isinstance(v, list) else [v]
    out = []
    for item in items:
        for op in ops:
            item = get_attr(item, op[1]) if op[0] == "attr" else get_index(item, evaluate(op[1], scope))
        out.append(item)
    return out


def _pairs(coll: Any) -> list[tuple[Any, Any]]:
    if isinstance(coll, list):
        return list(enumerate(coll))
    if isinstance(coll, dict):
        return sorted(coll.items(), key=lambda kv: kv[0])
    if isinstance(coll, Lazy):
        raise EvalError(f"cannot iterate over {coll.what}")
    raise EvalError(f"cannot iterate over a {type_name(coll)}")


def _for(node: tuple, scope: Scope) -> Any:
    _, is_obj, kname, vname, coll_e, key_e, val_e, cond_e, group = node
    coll = evaluate(coll_e, scope)
    if isinstance(coll, Unknown):
        return Unknown(f"the collection of a for expression is not known ({coll.reason})")
    out_list, out_obj = [], {}
    for k, v in _pairs(coll):
        sub = scope.child(**{vname: v, **({kname: k} if kname else {})})
        if cond_e is not None:
            c = evaluate(cond_e, sub)
            if isinstance(c, Unknown):
                return Unknown(f"a for expression's condition is not known ({c.reason})")
            if not to_bool(c):
                continue
        if is_obj:
            key = evaluate(key_e, sub)
            if isinstance(key, Unknown):
                return Unknown(f"a for expression's key is not known ({key.reason})")
            key = to_str(key)
            val = evaluate(val_e, sub)
            if group:
                out_obj.setdefault(key, []).append(val)
            else:
                if key in out_obj:
                    raise EvalError(f"duplicate key {key!r} in a for expression (use ... to group)")
                out_obj[key] = val
        else:
            out_list.append(evaluate(val_e, sub))
    return out_obj if is_obj else out_list


# ----------------------------------------------------------------------------- functions
def call(name: str, arg_nodes: list, expand: bool, scope: Scope) -> Any:
    if name in ("try", "can"):
        return _try(arg_nodes, scope) if name == "try" else _can(arg_nodes, scope)
    fn = FUNCTIONS.get(name)
    if fn is None:
        return Unknown(f"function {name}() is not evaluated by specguard")
    args = [evaluate(a, scope) for a in arg_nodes]
    if expand and args:
        last = args.pop()
        if isinstance(last, Unknown):
            return last
        if not isinstance(last, list):
            raise EvalError(f"{name}(...): only a list can be expanded with '...'")
        args.extend(last)
    return fn(*args)


def _try(arg_nodes: list, scope: Scope) -> Any:
    for a in arg_nodes:
        try:
            v = evaluate(a, scope)
        except EvalError:
            continue
        return v
    raise EvalError("no argument of try() could be evaluated")


def _can(arg_nodes: list, scope: Scope) -> Any:
    try:
        v = evaluate(arg_nodes[0], scope)
    except EvalError:
        return False
    return v if isinstance(v, Unknown) else True


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
